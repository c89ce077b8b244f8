"""Articles from the admin's side: feed files and feed URLs through `articles ingest`, removing an
article (an edition already sent keeps it in its archive), and the article's own date.

Through the CLI, against a real SQLite file; feeds over a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import pytest

from conftest import SEEDS
from test_feeds import ATOM, RSS


@pytest.fixture
def db(run):
    assert run("init").exit_code == 0
    return run


def articles(run, *args):
    r = run("articles", "list", "--json", *args)
    assert r.exit_code == 0, r
    return json.loads(r.stdout)


# ---- feed files and URLs (issue 12, item 4) ---------------------------------------------------------

def test_feed_files_are_ingested_as_feeds_by_suffix_or_content(db, tmp_path):
    (tmp_path / "world.xml").write_text(RSS)
    (tmp_path / "desk.txt").write_text(ATOM)          # a feed saved under the wrong name
    r = db("articles", "ingest", tmp_path / "world.xml", tmp_path / "desk.txt")
    assert r.exit_code == 1                            # the RSS has one entry without a title
    assert [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")] == [
        f"Error: {tmp_path / 'world.xml'}: entry 3: no title"]
    assert "Ingested: 3 added" in r.stderr
    titles = sorted(a["title"] for a in articles(db))
    assert titles == ["Parliament Passes the Budget", "Ports Reopen After the Storm",
                      "Rail Strike Ends in Two Countries"]
    assert not any(t.startswith("<") for t in titles)
    ports = next(a for a in articles(db) if a["title"].startswith("Ports"))
    assert ports["url"] == "https://wire.example/ports" and ports["topics"] == ["World"]


def test_two_feeds_never_overwrite_each_other(db, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.rss").write_text(RSS)
    (folder / "b.atom").write_text(ATOM)
    (folder / "page.html").write_text("<!DOCTYPE html><html><body>hi</body></html>")   # not picked from a folder
    assert "3 added" in db("articles", "ingest", folder).stderr
    assert len(articles(db)) == 3


def test_a_web_page_is_refused_by_name(db, tmp_path):
    page = tmp_path / "page.txt"
    page.write_text("<!DOCTYPE html>\n<html><head><title>Home</title></head><body>Hello</body></html>\n")
    r = db("articles", "ingest", page)
    assert r.exit_code == 1 and f"Error: {page}: a web page (HTML), not an article file or a feed" in r.stderr
    assert articles(db) == []


class FeedServer:
    """Serves /world.xml, /desk.atom and a 404, on 127.0.0.1."""

    def __init__(self):
        pages = {"/world.xml": RSS.encode(), "/desk.atom": ATOM.encode(),
                 "/page": b"<!DOCTYPE html><html><body>a web page</body></html>"}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = pages.get(self.path)
                self.send_response(200 if body else 404)
                self.end_headers()
                self.wfile.write(body or b"not here")

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def feed_server():
    s = FeedServer()
    yield s
    s.stop()


def test_a_feed_url_is_fetched_once(db, feed_server):
    r = db("articles", "ingest", f"{feed_server.url}/desk.atom")
    assert r.exit_code == 0 and "Ingested: 1 added" in r.stderr, r
    assert [a["title"] for a in articles(db)] == ["Rail Strike Ends in Two Countries"]
    assert "Ingested: 0 added, 0 updated, 1 unchanged" in db("articles", "ingest", f"{feed_server.url}/desk.atom").stderr


def test_a_feed_url_that_cannot_be_read_says_why(db, feed_server, tmp_path):
    from digest.sink import free_port
    closed = f"http://127.0.0.1:{free_port()}/feed.xml"
    (tmp_path / "ok.atom").write_text(ATOM)
    r = db("articles", "ingest", f"{feed_server.url}/missing.xml", closed, f"{feed_server.url}/page",
           tmp_path / "ok.atom")
    assert r.exit_code == 1
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]
    assert errors[0] == f"Error: {feed_server.url}/missing.xml: the server answered 404 Not Found"
    assert errors[1].startswith(f"Error: {closed}: cannot fetch (") and "refused" in errors[1]
    assert errors[2].startswith(f"Error: {feed_server.url}/page: not a valid RSS or Atom feed")
    assert len(errors) == 3 and "Ingested: 1 added" in r.stderr      # the good file still went in


# ---- removing articles ------------------------------------------------------------------------------

def test_remove_needs_yes_and_names_what_it_would_remove(db, tmp_path):
    assert db("articles", "ingest", SEEDS).exit_code == 0
    first = articles(db)[0]
    r = db("articles", "remove", first["id"])
    assert r.exit_code == 1 and "Would remove 1 article" in r.stderr and "--yes" in r.stderr
    assert f"#{first['id']}  {first['title'][:30]}" in r.stderr and "never sent" in r.stderr
    assert len(articles(db)) == 15
    r = db("articles", "remove", first["id"], 999, "--yes")
    assert r.exit_code == 1 and "Article 999 does not exist" in r.stderr and "nothing was removed" in r.stderr
    assert len(articles(db)) == 15


def test_a_removed_article_leaves_later_digests_but_stays_in_the_sent_archive(db, smtp_env, tmp_path):
    assert db("articles", "ingest", SEEDS).exit_code == 0
    db("subscribers", "add", "ada@example.org", "--topic", "Europe")
    assert db("send", "--yes").exit_code == 0
    sent = articles(db, "--topic", "Europe")[0]
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps({"title": "<?xml version='1.0'?> Garbage from a broken feed", "labels": ["Europe"],
                                 "body": "Nothing anyone should read. It came from a broken feed file."}) + "\n")
    assert db("articles", "ingest", extra).exit_code == 0
    garbage = next(a for a in articles(db) if a["title"].startswith("<?xml"))

    r = db("articles", "remove", sent["id"], garbage["id"], "--yes")
    assert r.exit_code == 0 and "Removed 2 articles" in r.stderr, r
    assert "sent in " in r.stderr and "stays in that archive" in r.stderr
    ids = {a["id"] for a in articles(db)}
    assert sent["id"] not in ids and garbage["id"] not in ids and len(ids) == 14
    assert db("articles", "show", garbage["id"]).exit_code == 1
    assert "0 added, 0 updated, 0 unchanged, 1 removed earlier (left out)" in db("articles", "ingest", extra).stderr
    assert "Nothing to remove" in db("articles", "remove", garbage["id"]).stderr

    preview = db("preview", "--topic", "Europe", "--format", "text")
    assert garbage["headline"] not in preview.stdout and sent["headline"] not in preview.stdout

    # The archive of the edition already sent still shows the removed article.
    from digest import config, pipeline
    from digest.store import Store
    store = Store.open(config.load().db, create=False)
    try:
        [entry] = pipeline.archive(store, config.load(), topic="Europe")
        html = pipeline.archive_html(store, config.load(), entry)
    finally:
        store.close()
    assert sent["headline"] in html and garbage["headline"] not in html


def test_a_feed_file_dropped_into_a_watched_folder_is_read_as_a_feed(db, tmp_path):
    from digest import config, pipeline
    from digest.store import Store
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "wire.rss").write_text(RSS)
    store = Store.open(config.load().db, create=False)
    try:
        report = pipeline.ingest_sources(store, [folder], [])
    finally:
        store.close()
    assert len(report.added) == 2 and (folder / "done" / "wire.rss").exists()
    assert sorted(a["title"] for a in articles(db)) == ["Parliament Passes the Budget", "Ports Reopen After the Storm"]
