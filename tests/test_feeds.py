"""Feeds: RSS and Atom from files and from a real HTTP server on 127.0.0.1 (ETag, Last-Modified, failures)."""

from __future__ import annotations

import datetime as dt
import http.server
import threading

import pytest

from digest import pipeline
from digest.db import Database
from digest.errors import ParseError
from digest.models import FeedSpec
from digest.readers import feeds
from smtp_server import ClosedPort

AT = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.timezone.utc)

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
  <title>World Wire</title><link>https://wire.example/</link><description>News</description>
  <item>
    <title>Ports Reopen After the Storm</title>
    <link>https://wire.example/ports</link>
    <category>World</category>
    <pubDate>Tue, 24 Nov 2026 18:30:00 GMT</pubDate>
    <description>&lt;p&gt;Ports along the coast &lt;b&gt;reopened&lt;/b&gt; on Tuesday.&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;p&gt;Crews cleared the channels overnight &amp;amp; ships began to move.&lt;/p&gt;</description>
  </item>
  <item>
    <title>Parliament Passes the Budget</title>
    <link>https://wire.example/budget</link>
    <category>Parliament</category>
    <description>The budget passed by a wide margin after a long debate in the chamber.</description>
  </item>
  <item><title></title><description></description></item>
  <item><link>https://wire.example/quake</link><description>A magnitude 6.1 earthquake struck off the coast of northern Chile on Tuesday, officials said. No damage was reported.</description></item>
</channel></rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Europe Desk</title><id>urn:desk</id><updated>2026-11-25T05:00:00Z</updated>
  <entry>
    <title>Rail Strike Ends in Two Countries</title>
    <id>urn:desk:rail</id>
    <link href="https://desk.example/rail"/>
    <updated>2026-11-25T04:00:00Z</updated>
    <category term="Eastern Europe"/>
    <summary>Short summary.</summary>
    <content type="html">&lt;p&gt;Unions and operators signed a deal at dawn.&lt;/p&gt;&lt;p&gt;Trains run again from noon.&lt;/p&gt;</content>
  </entry>
</feed>
"""


@pytest.fixture
def store(tmp_path):
    s = Database.open(tmp_path / "digest.db")
    s.init()
    s.topics.ensure_defaults()
    yield s
    s.close()


def test_html_is_stripped_to_paragraphs_without_scripts():
    assert feeds.html_to_text("<p>One &amp; <b>two</b></p><script>x()</script><p>Three<br>Four</p>") == \
        "One & two\n\nThree\n\nFour"
    assert feeds.html_to_text("Plain &lt;text&gt;") == "Plain <text>"


def test_rss_and_atom_files_become_articles_with_topics(store, tmp_path):
    (tmp_path / "world.rss").write_text(RSS)
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "desk.atom").write_text(ATOM)
    specs = [FeedSpec("world.rss"), FeedSpec("feeds/desk.atom", ["World"])]
    r = pipeline.ingest(store, feed_specs=specs, at=AT, base_dir=tmp_path)
    assert (len(r.added), r.feeds, r.feed_errors) == (4, 2, [])
    assert [e.message for e in r.errors] == ["world.rss: entry 3: no title and no text"]
    arts = {a.title: a for a in store.articles.live()}
    # An entry without a title is kept: its headline is written from the lede, attribution and all.
    quake = arts[""]
    assert quake.url == "https://wire.example/quake" and quake.source == "World Wire"
    assert quake.headline == "Officials: Magnitude 6.1 earthquake struck off coast of northern Chile"
    ports = arts["Ports Reopen After the Storm"]
    assert ports.body == "Ports along the coast reopened on Tuesday.\n\nCrews cleared the channels overnight & ships began to move."
    assert (ports.url, ports.source, ports.topics) == ("https://wire.example/ports", "World Wire", ["World"])
    assert ports.published == dt.datetime(2026, 11, 24, 18, 30, tzinfo=dt.timezone.utc)
    assert ports.ingested_at == AT
    assert arts["Parliament Passes the Budget"].topics == ["Politics"]
    rail = arts["Rail Strike Ends in Two Countries"]
    assert rail.body == "Unions and operators signed a deal at dawn.\n\nTrains run again from noon."   # content, not summary
    assert rail.topics == ["Europe", "World"]        # its category plus the feed's own labels
    # The same files again: unchanged, nothing read twice.
    again = pipeline.ingest(store, feed_specs=specs, at=AT, base_dir=tmp_path)
    assert (again.feeds_unchanged, len(again.added)) == (2, 0)


class FeedServer:
    """http.server on 127.0.0.1 serving feeds with ETag / Last-Modified, recording what it was asked."""

    def __init__(self):
        self.docs: dict[str, tuple[int, str, dict]] = {}     # path -> (status, body, headers)
        self.requests: list[tuple[str, dict]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append((self.path, dict(self.headers.items())))
                status, body, headers = outer.docs.get(self.path, (404, "not found", {}))
                etag, modified = headers.get("ETag"), headers.get("Last-Modified")
                if status == 200 and ((etag and self.headers.get("If-None-Match") == etag) or
                                      (modified and self.headers.get("If-Modified-Since") == modified)):
                    status, body = 304, ""
                data = body.encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_etag_and_last_modified_are_sent_back_and_a_304_reads_nothing(store):
    with FeedServer() as srv:
        srv.docs["/world.rss"] = (200, RSS, {"ETag": '"v1"', "Content-Type": "application/rss+xml"})
        srv.docs["/desk.atom"] = (200, ATOM, {"Last-Modified": "Wed, 25 Nov 2026 05:00:00 GMT"})
        specs = [FeedSpec(srv.url + "/world.rss"), FeedSpec(srv.url + "/desk.atom")]
        first = pipeline.ingest(store, feed_specs=specs, at=AT)
        assert (first.feeds, len(first.added)) == (2, 4)
        assert store.feeds.state(srv.url + "/world.rss").etag == '"v1"'
        second = pipeline.ingest(store, feed_specs=specs, at=AT + dt.timedelta(minutes=10))
        assert (second.feeds_unchanged, len(second.added), len(second.unchanged)) == (2, 0, 0)
        asked = {path: headers for path, headers in srv.requests[2:]}
        assert asked["/world.rss"]["If-None-Match"] == '"v1"'
        assert asked["/desk.atom"]["If-Modified-Since"] == "Wed, 25 Nov 2026 05:00:00 GMT"
        # A new version (new ETag) is read again; what was already stored is unchanged, the new entry added.
        srv.docs["/world.rss"] = (200, RSS.replace("<item>", "<item><title>Harbour Tax Dropped</title>"
                                                   "<link>https://wire.example/tax</link><category>World</category>"
                                                   "<description>The tax was dropped.</description></item><item>", 1),
                                  {"ETag": '"v2"'})
        third = pipeline.ingest(store, feed_specs=specs, at=AT + dt.timedelta(minutes=20))
        assert (len(third.added), len(third.unchanged), third.feeds) == (1, 3, 1)
        assert store.feeds.state(srv.url + "/world.rss").etag == '"v2"'


def test_a_failing_feed_is_recorded_and_retried_and_never_stops_the_others(store, tmp_path):
    (tmp_path / "bad.xml").write_text("<html><body>This is a web page, not a feed</body></html>")
    (tmp_path / "desk.atom").write_text(ATOM)
    with FeedServer() as srv, ClosedPort() as closed:
        srv.docs["/broken"] = (500, "oops", {})
        srv.docs["/world.rss"] = (200, RSS, {})
        dead = f"http://127.0.0.1:{closed}/feed"
        specs = [FeedSpec(srv.url + "/broken"), FeedSpec(dead), FeedSpec("bad.xml"), FeedSpec("missing.rss"),
                 FeedSpec(srv.url + "/world.rss"), FeedSpec("desk.atom")]
        r = pipeline.ingest(store, feed_specs=specs, at=AT, base_dir=tmp_path)
        assert (r.feeds, len(r.added)) == (2, 4)
        reasons = [str(e) for e in r.feed_errors]
        assert len(reasons) == 4
        assert "/broken: the server answered 500" in reasons[0]
        assert dead in reasons[1] and "cannot fetch" in reasons[1]
        assert "bad.xml: not a valid RSS or Atom feed" in reasons[2]
        assert "missing.rss: cannot read the feed file" in reasons[3]
        state = store.feeds.state(srv.url + "/broken")
        assert state.failures == 1 and "500" in state.last_error
        # Next run: the broken feed is asked again, and recovers.
        srv.docs["/broken"] = (200, ATOM.replace("rail", "bus").replace("Rail", "Bus"), {})
        r2 = pipeline.ingest(store, feed_specs=specs, at=AT + dt.timedelta(minutes=10), base_dir=tmp_path)
        assert sum(p == "/broken" for p, _ in srv.requests) == 2
        assert len(r2.added) == 1 and len(r2.feed_errors) == 3
        assert store.feeds.state(srv.url + "/broken").failures == 0


def test_a_feed_error_names_the_feed_and_says_it_is_retried():
    with pytest.raises(ParseError) as err:
        feeds.parse(b"not xml at all", origin="https://x.example/feed")
    assert "https://x.example/feed" in str(err.value)
