"""Articles from the admin's side: feed files and feed URLs through `articles ingest`, removing an
article (an edition already sent keeps it in its archive), and the article's own date.

Through the CLI, against a real SQLite file; feeds over a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import http.server
import json
import threading

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
    assert r.exit_code == 1                            # the RSS has one entry with neither title nor text
    assert [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")] == [
        f"Error: {tmp_path / 'world.xml'}: entry 3: no title and no text"]
    assert "Ingested: 4 added" in r.stderr             # the entry with text and no title is kept
    titles = sorted(a["title"] for a in articles(db))
    assert titles == ["", "Parliament Passes the Budget", "Ports Reopen After the Storm",
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
    assert "4 added" in db("articles", "ingest", folder).stderr
    assert len(articles(db)) == 4


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
    from smtp_server import ClosedPort
    (tmp_path / "ok.atom").write_text(ATOM)
    with ClosedPort() as port:
        closed = f"http://127.0.0.1:{port}/feed.xml"
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
    from digest.db import Database
    store = Database.open(config.load().db, create=False)
    try:
        [entry] = pipeline.archive(store, config.load(), topic="Europe")
    finally:
        store.close()
    # The edition's web page lists every story of the topic (the email caps them per topic).
    listed = [i.headline for i in [entry.view.lead, *(i for s in entry.view.sections for i in s.items)] if i]
    assert sent["headline"] in listed and garbage["headline"] not in listed


def test_a_feed_file_dropped_into_a_watched_folder_is_read_as_a_feed(db, tmp_path):
    from digest import config, pipeline
    from digest.db import Database
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "wire.rss").write_text(RSS)
    store = Database.open(config.load().db, create=False)
    try:
        report = pipeline.ingest(store, folders=[folder])
    finally:
        store.close()
    assert len(report.added) == 3 and (folder / "done" / "wire.rss").exists()
    assert sorted(a["title"] for a in articles(db)) == ["", "Parliament Passes the Budget", "Ports Reopen After the Storm"]


# ---- JSON Lines with wrong types (issue 15, item 9) -------------------------------------------------

TEXT = ("title", "body", "content", "url", "source", "caption", "sources", "author", "bio", "published")
LABELS = ("labels", "topics", "categories")
WRONG = [5, -1.5, True, False, [], ["a"], {"a": 1}, [1, 2], {"": None}]


def _hostile_lines(rng, n: int) -> tuple[list[str], dict[int, str], int]:
    """JSON Lines, the errors expected at each bad line number (a fragment of the message), and how
    many lines are good articles."""
    lines, bad, good = [], {}, 0
    for i in range(n):
        art = {"title": f"Harbour story number {i} for the desk", "labels": rng.choice([["World"], "World;Europe", []]),
               "body": f"Story {i} begins here. The harbour reopened on day {i} after the storm. Crews worked."}
        for name in rng.sample(["url", "source", "caption", "author", "bio", "published"], rng.randint(0, 3)):
            art[name] = {"url": f"https://example.org/{i}", "published": "2026-11-20T08:00:00Z"}.get(name, f"{name} {i}")
        kind = rng.random()
        if kind < 0.45:
            text = json.dumps(art)
            good += 1
        elif kind < 0.75:
            name = rng.choice(TEXT + LABELS)
            art[name] = rng.choice([w for w in WRONG if not (name in LABELS and isinstance(w, list)
                                                            and all(isinstance(x, str) for x in w))])
            text = json.dumps(art)
            bad[len(lines) + 1] = f'field "{name}" must be a string'
        else:
            text, why = rng.choice([
                ("[1, 2, 3]", "expected a JSON object per line"), ('"just a string"', "expected a JSON object"),
                ("null", "expected a JSON object"), ("{not json", "invalid JSON"), ("[" * 5000, "invalid JSON"),
                ("1" * 5000, "invalid JSON"), ('{"title": "\\ud800 cut", "body": "text"}', 'field "title" is not valid'),
                ('{"title": "No body"}', "no body text"), ('{"body": "   "}', "no body text"),
                ('{"title": "Bad date", "body": "Text.", "published": "yesterday"}', 'field "published" is not an ISO'),
                ('{"title": "Far date", "body": "Text.", "published": "9999-12-31T23:59:59-05:00"}',
                 'field "published" is not an ISO'),
            ])
            bad[len(lines) + 1] = why
        lines.append(text)
        if rng.random() < 0.05:
            lines.append("")            # blank lines are skipped, and still counted
    return lines, bad, good


@pytest.mark.parametrize("seed", range(4))
def test_json_lines_with_wrong_types_name_file_line_and_field_and_the_rest_is_ingested(db, tmp_path, seed):
    import random
    lines, bad, good = _hostile_lines(random.Random(seed), 150)
    f = tmp_path / f"hostile-{seed}.jsonl"
    f.write_text("\n".join(lines) + "\n")
    r = db("articles", "ingest", f)                      # an uncaught exception fails the test here
    assert r.exit_code == 1
    errors = {int(ln.split(":")[2]): ln for ln in r.stderr.splitlines() if ln.startswith(f"Error: {f}:")}
    assert set(errors) == set(bad), r
    for n, fragment in bad.items():
        assert fragment in errors[n], (n, lines[n - 1][:120], errors[n])
    assert f"Ingested: {good} added, 0 updated, 0 unchanged, {len(bad)} failed" in r.stderr
    assert len(articles(db, "--all")) == good     # more than the 50 a listing shows by default


def test_a_wrong_type_is_named_exactly(db, tmp_path):
    f = tmp_path / "x.jsonl"
    f.write_text(json.dumps({"title": ["not", "a", "string"], "body": "Text."}) + "\n"
                 + json.dumps({"title": "Fine", "body": "The harbour reopened on Monday. Crews cheered."}) + "\n"
                 + json.dumps({"title": "Labels", "body": "Text here.", "labels": ["World", 3]}) + "\n")
    r = db("articles", "ingest", f)
    assert f'Error: {f}:1: field "title" must be a string (got a list)' in r.stderr
    assert f'Error: {f}:3: field "labels" must be a string or a list of strings (got a list)' in r.stderr
    assert "Ingested: 1 added" in r.stderr and "Traceback" not in r.stderr


# ---- titles with no letters (issue 15, item 12) ----------------------------------------------------

def test_titles_with_no_letters_do_not_overwrite_each_other(db, tmp_path):
    f = tmp_path / "x.jsonl"
    rows = [("???", "The council met on Monday. It voted to close the bridge."),
            ("!!!", "Fans filled the square on Sunday. The team won the cup."),
            ("2026", "The year in review begins with the floods. Then came the vote."),
            ("—", "A short note from the desk. Nothing else happened.")]
    f.write_text("".join(json.dumps({"title": t, "body": b, "labels": ["World"]}) + "\n" for t, b in rows))
    r = db("articles", "ingest", f)
    assert r.exit_code == 0 and "Ingested: 4 added" in r.stderr, r
    assert sorted(a["title"] for a in articles(db)) == sorted(t for t, _ in rows)
    assert "0 added, 0 updated, 4 unchanged" in db("articles", "ingest", f).stderr    # still one article each


# ---- the article's date comes from its own text (issue 12, item 11) ------------------------------

DATED = """World Politics

Runoff Set After a Tight First Round

Runoff Set After a Tight First Round
{caption}
{stamp}
{dateline}Voters in the district will return to the polls in two weeks after no candidate won a majority.

Turnout was the highest in a decade, officials said.
"""


@pytest.mark.parametrize("stamp, dateline, caption, expected", [
    ("Published Nov. 21, 2026", "", "Voters queue outside a school, Nov. 17, 2026 (A. Photo / Desk)", "2026-11-21"),
    ("", "HARLOW FALLS, Nov. 22 (Wire) — ", "Voters queue outside a school, Nov. 17, 2026 (A. Photo / Desk)",
     "2026-11-22"),
    ("", "", "Voters queue outside a school, Nov. 17, 2026 (A. Photo / Desk)", "2026-11-17"),
    ("", "", "Voters queue outside a school (A. Photo / Desk)", "2026-11-10"),       # the file's name
])
def test_an_articles_date_comes_from_its_own_text_first(db, tmp_path, stamp, dateline, caption, expected):
    f = tmp_path / "2026-11-10-runoff.txt"
    f.write_text(DATED.format(stamp=stamp, dateline=dateline, caption=caption))
    assert db("articles", "ingest", f).exit_code == 0
    [art] = articles(db)
    assert art["published"][:10] == expected
    shown = json.loads(db("articles", "show", art["id"], "--json").stdout)
    assert "Published" not in shown["body"] and shown["body"].startswith((dateline or "Voters").strip()[:6])


def test_a_json_article_without_a_date_takes_its_datelines(db, tmp_path):
    f = tmp_path / "x.jsonl"
    f.write_text(json.dumps({"title": "Grain terminal hit", "labels": ["World"],
                             "body": "ODESA, Ukraine, Nov. 24, 2026 — A drone attack damaged a grain terminal. "
                                     "Firefighters worked through the night."}) + "\n")
    assert db("articles", "ingest", f).exit_code == 0
    assert articles(db)[0]["published"][:10] == "2026-11-24"
