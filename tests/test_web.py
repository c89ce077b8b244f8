"""The subscriber web app over real HTTP: waitress on 127.0.0.1, httpx as the client.

Unsubscribe by link and by RFC 8058 one-click POST, preferences, double opt-in, the archive and
feeds; forged, altered, expired, wrong-purpose and cross-subscriber tokens are refused, and so
are forms without their CSRF token.
"""

from __future__ import annotations

import html
import json
import re
import threading

import httpx
import pytest

from conftest import SEEDS, TEST_SECRET, parse
from digest import config, readers
from digest.lists import tokens

SECRET = TEST_SECRET


class Server:
    """The app on waitress in a thread; `url(path)` for requests, `link(url)` maps a mailed URL here."""

    def __init__(self, demo: bool = False):
        import waitress.server

        from digest.web.subscriber import create_app
        self.app = create_app(config.load(), demo=demo)
        self._srv = waitress.server.create_server(self.app, host="127.0.0.1", port=0, threads=2)
        self.base = f"http://127.0.0.1:{self._srv.effective_port}"
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._srv.run()
        except OSError:
            pass            # stop() closed the socket under the select loop: that is how waitress stops

    def url(self, path: str) -> str:
        return self.base + path

    def link(self, mailed: str) -> str:
        """Mailed links point at DIGEST_BASE_URL (behind the proxy); send them to this server."""
        return self.base + mailed.removeprefix("https://news.example.com")

    def stop(self) -> None:
        self._srv.task_dispatcher.shutdown(timeout=2)
        self._srv.close()
        self._thread.join(5)


@pytest.fixture
def db(run):
    assert run("init").exit_code == 0
    run("subscribers", "add", "ada@example.org", "--topic", "Europe", "--topic", "World", "--name", "Ada")
    run("subscribers", "add", "bob@example.org", "--topic", "Politics", "--name", "Bob")
    return run


@pytest.fixture
def server(db):
    s = Server()
    yield s
    s.stop()


@pytest.fixture
def client():
    with httpx.Client(follow_redirects=False, timeout=10) as c:
        yield c


def sub(run, email):
    return json.loads(run("subscribers", "show", email, "--json").stdout)


def sid(email: str) -> int:
    from digest.db import Database
    s = Database.open(config.load().db, create=False)
    try:
        return s.subscribers.get(email).id
    finally:
        s.close()


def link(purpose: str, email: str, secret: str = SECRET) -> str:
    return f"/{tokens.PURPOSES[purpose]}/{tokens.make(secret, purpose, sid(email))}"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


# ---- unsubscribe ------------------------------------------------------------------------------

def test_unsubscribe_by_link_shows_a_page_then_the_button_unsubscribes(db, server, client):
    page = client.get(server.url(link("unsubscribe", "ada@example.org")))
    assert page.status_code == 200 and "ada@example.org" in page.text and "bob@example.org" not in page.text
    assert '<button type="submit">Unsubscribe</button>' in page.text
    assert sub(db, "ada@example.org")["status"] == "active"        # a GET (link scanner) changes nothing
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    done = client.post(server.url(link("unsubscribe", "ada@example.org")), data={"csrf": csrf_of(page.text)})
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert sub(db, "ada@example.org")["status"] == "unsubscribed"
    assert sub(db, "bob@example.org")["status"] == "active"


def test_one_click_unsubscribe_from_a_real_message(db, smtp_env, server):
    assert db("articles", "ingest", SEEDS).exit_code == 0
    assert db("send", "--yes").exit_code == 0
    rcpts, data = next(m for m in smtp_env.messages if m[0] == ["ada@example.org"])
    msg = parse(data)
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    mailed = re.search(r"<(https://[^>]+)>", msg["List-Unsubscribe"]).group(1)
    # What a mail client does (RFC 8058): a POST with this body, no cookie, no page, no CSRF token.
    for _ in range(2):                                              # idempotent
        r = httpx.post(server.link(mailed), data={"List-Unsubscribe": "One-Click"})
        assert r.status_code == 200 and r.text == "Unsubscribed.\n"
    assert sub(db, "ada@example.org")["status"] == "unsubscribed"
    assert sub(db, "bob@example.org")["status"] == "active"
    # multipart/form-data is allowed by the RFC too.
    r = httpx.post(server.url(link("unsubscribe", "bob@example.org")), files={"List-Unsubscribe": (None, "One-Click")})
    assert r.status_code == 200 and sub(db, "bob@example.org")["status"] == "unsubscribed"


def test_one_click_needs_a_valid_signed_link(db, server):
    token = tokens.make(SECRET, "unsubscribe", sid("ada@example.org"))
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"),    # altered signature
                tokens.make("another-secret-" + "y" * 20, "unsubscribe", sid("ada@example.org")),  # forged
                tokens.make(SECRET, "preferences", sid("ada@example.org")),  # wrong purpose
                "nonsense"):
        r = httpx.post(server.url(f"/u/{bad}"), data={"List-Unsubscribe": "One-Click"})
        assert r.status_code == 400 and "not valid" in r.text and "ada@example.org" not in r.text
    assert sub(db, "ada@example.org")["status"] == "active"


# ---- tokens -----------------------------------------------------------------------------------

def test_forged_expired_and_cross_subscriber_tokens_never_show_data(db, server, client, run):
    ada, bob = sid("ada@example.org"), sid("bob@example.org")
    # A token is one subscriber's: Ada's link shows Ada, and only Ada.
    r = client.get(server.url(link("preferences", "ada@example.org")))
    assert r.status_code == 200 and "ada@example.org" in r.text and "bob@example.org" not in r.text
    # Swapping the id inside a signed token breaks the signature.
    payload, rest = tokens.make(SECRET, "preferences", ada).split(".", 1)
    other = tokens.make(SECRET, "preferences", bob).split(".", 1)[0]
    for path in (f"/p/{other}.{rest}", f"/p/{payload}", "/p/", f"/c/{tokens.make(SECRET, 'unsubscribe', ada)}",
                 f"/p/{tokens.make('wrong-secret-' + 'z' * 20, 'preferences', bob)}"):
        r = client.get(server.url(path))
        assert r.status_code in (400, 404), path
        assert "@example.org" not in r.text and "Traceback" not in r.text
    # A token for a subscriber who has since been removed: 404, not someone else.
    gone = link("preferences", "bob@example.org")
    assert run("subscribers", "remove", "bob@example.org", "--yes").exit_code == 0
    r = client.get(server.url(gone))
    assert r.status_code == 404 and "no longer exists" in r.text


def test_confirmation_links_expire(db, server, client, run):
    import time_machine
    run("subscribers", "add", "late@example.org", "--topic", "World")
    from digest.db import Database
    s = Database.open(config.load().db, create=False)
    s.subscribers.set_status(s.subscribers.get("late@example.org").id, "pending")
    s.close()
    with time_machine.travel("2020-01-01 00:00 +0000", tick=False):
        old = link("confirm", "late@example.org")
    r = client.get(server.url(old))
    assert r.status_code == 400 and "expired" in r.text
    assert sub(db, "late@example.org")["status"] == "pending"


# ---- preferences ------------------------------------------------------------------------------

def test_preferences_change_topics_frequency_time_and_zone(db, server, client):
    url = server.url(link("preferences", "ada@example.org"))
    page = client.get(url)
    assert page.status_code == 200
    assert re.search(r'<input type="checkbox" name="topic" value="\d+" checked> Europe', page.text)
    ids = dict((name, v) for v, name in re.findall(r'name="topic" value="(\d+)"[^>]*> (\w+)', page.text))
    r = client.post(url, data={"csrf": csrf_of(page.text), "topic": [ids["Politics"], ids["World"]],
                               "frequency": "weekly", "send_at": "07:30", "timezone": "Europe/Paris"})
    assert r.status_code == 303 and r.headers["Location"].endswith("?saved=1")
    again = client.get(r.headers["Location"] if r.headers["Location"].startswith("http")
                       else server.url(r.headers["Location"]))
    assert "Saved." in again.text and 'value="07:30"' in again.text and "<option selected>Europe/Paris" in again.text
    s = sub(db, "ada@example.org")
    assert (s["topics"], s["frequency"], s["send_at"], s["timezone"]) == (
        ["Politics", "World"], "weekly", "07:30", "Europe/Paris")


def test_bad_preferences_are_refused_and_nothing_is_saved(db, server, client):
    url = server.url(link("preferences", "ada@example.org"))
    page = client.get(url)
    r = client.post(url, data={"csrf": csrf_of(page.text), "frequency": "hourly", "send_at": "25:99",
                               "timezone": "Mars/Olympus"})
    assert r.status_code == 400
    for text in ("Choose at least one topic", "daily or weekly", "25:99", "Mars/Olympus"):
        assert text in r.text
    s = sub(db, "ada@example.org")
    assert (s["topics"], s["frequency"]) == (["Europe", "World"], "daily")


def test_saving_preferences_after_unsubscribing_subscribes_again(db, server, client, run):
    run("subscribers", "unsubscribe", "ada@example.org")
    url = server.url(link("preferences", "ada@example.org"))
    page = client.get(url)
    assert "You are unsubscribed" in page.text
    wid = re.search(r'name="topic" value="(\d+)"[^>]*> World', page.text).group(1)
    r = client.post(url, data={"csrf": csrf_of(page.text), "topic": wid, "frequency": "daily"})
    assert r.status_code == 303 and sub(db, "ada@example.org")["status"] == "active"


# ---- CSRF -------------------------------------------------------------------------------------

def test_forms_without_a_valid_csrf_token_are_refused(db, server, client):
    ada_u = server.url(link("unsubscribe", "ada@example.org"))
    ada_p = server.url(link("preferences", "ada@example.org"))
    bob_page = client.get(server.url(link("unsubscribe", "bob@example.org")))
    attempts = [
        (ada_u, {}),                                                  # no token at all
        (ada_u, {"csrf": "forged"}),                                  # not signed by us
        (ada_u, {"csrf": csrf_of(bob_page.text)}),                    # another subscriber's form
        (ada_p, {"csrf": csrf_of(client.get(ada_u).text), "frequency": "weekly"}),   # another form
    ]
    for url, data in attempts:
        r = client.post(url, data=data)
        assert r.status_code == 400 and "Reload the page" in r.text, data
    # The right token from another browser (no nonce cookie): refused as well.
    token = csrf_of(client.get(ada_u).text)
    r = httpx.post(ada_u, data={"csrf": token})
    assert r.status_code == 400
    s = sub(db, "ada@example.org")
    assert s["status"] == "active" and s["frequency"] == "daily"


# ---- double opt-in ------------------------------------------------------------------------------

def test_confirm_link_from_the_email_activates_once(db, smtp_env, server, client):
    assert db("subscribers", "add", "new@example.org", "--topic", "World", "--confirm").exit_code == 0
    text = parse(smtp_env.messages[-1][1]).get_body(("plain",)).get_content()
    mailed = re.search(r"https://news\.example\.com/c/\S+", text).group(0)
    r = client.get(server.link(mailed))
    assert r.status_code == 200 and "You are subscribed" in r.text and "new@example.org" in r.text
    assert sub(db, "new@example.org")["status"] == "active"
    assert "Already confirmed" in client.get(server.link(mailed)).text
    # After an unsubscribe, the old confirmation link does not bring them back.
    db("subscribers", "unsubscribe", "new@example.org")
    assert "Nothing to confirm" in client.get(server.link(mailed)).text
    assert sub(db, "new@example.org")["status"] == "unsubscribed"


def test_subscribe_form_is_off_by_default(db, server, client):
    assert client.get(server.url("/subscribe")).status_code == 404
    assert client.post(server.url("/subscribe"), data={"email": "x@example.org"}).status_code == 404


def test_subscribe_form_when_enabled_sends_a_confirmation(db, smtp_env, tmp_path):
    (tmp_path / "digest.toml").write_text("[web]\nallow_subscribe = true\n")
    srv = Server()
    try:
        with httpx.Client(timeout=10) as client:
            page = client.get(srv.url("/subscribe"))
            assert page.status_code == 200 and '<label for="email">' in page.text
            wid = re.search(r'name="topic" value="(\d+)"[^>]*> World', page.text).group(1)
            r = client.post(srv.url("/subscribe"), data={"csrf": csrf_of(page.text), "email": "Fan@Example.ORG",
                                                         "topic": wid})
            assert r.status_code == 200 and "Check your inbox" in r.text
            assert sub(db, "Fan@example.org")["status"] == "pending"
            # The confirmation: to them, with the link that activates them.
            assert smtp_env.messages[-1][0] == ["Fan@example.org"]
            text = parse(smtp_env.messages[-1][1]).get_body(("plain",)).get_content()
            assert re.search(r"https://news\.example\.com/c/\S+", text)
            # An address already subscribed gets the same answer and no mail (no address probing).
            n = len(smtp_env.messages)
            r = client.post(srv.url("/subscribe"), data={"csrf": csrf_of(page.text), "email": "ada@example.org",
                                                         "topic": wid})
            assert "Check your inbox" in r.text and len(smtp_env.messages) == n
            r = client.post(srv.url("/subscribe"), data={"email": "x@example.org", "topic": wid})
            assert r.status_code == 400                                  # no CSRF token
            r = client.post(srv.url("/subscribe"), data={"csrf": csrf_of(page.text), "email": "nope", "topic": wid})
            assert r.status_code == 400 and "not a valid email address" in r.text
    finally:
        srv.stop()


# ---- archive and feeds ------------------------------------------------------------------------

def test_archive_and_feed_show_sent_editions_per_topic(db, smtp_env, server, client):
    import feedparser
    assert client.get(server.url("/archive/")).status_code == 200        # empty archive is fine
    assert db("articles", "ingest", SEEDS).exit_code == 0
    assert db("send", "--yes").exit_code == 0
    index = client.get(server.url("/archive/"))
    key = re.search(r'href="/archive/((?:daily|weekly)-[\d-]+)"', index.text).group(1)
    edition = client.get(server.url(f"/archive/{key}"))
    assert edition.status_code == 200 and '<h2 id="europe">Europe</h2>' in edition.text
    europe = json.loads(db("articles", "list", "--topic", "Europe", "--json").stdout)
    assert europe[0]["headline"].split()[0] in edition.text
    emailed = client.get(server.url(f"/archive/{key}/europe"))
    assert emailed.status_code == 200 and emailed.text.lstrip().lower().startswith("<!doctype html")
    assert "%%" not in emailed.text and "/manage" in emailed.text       # no subscriber's links in it
    feed = client.get(server.url("/feed/europe.xml"))
    assert feed.headers["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(feed.content)
    assert not parsed.bozo and parsed.feed.title.endswith("Europe")
    assert parsed.entries[0].link.endswith(f"/archive/{key}/europe")
    assert "<a href=" in parsed.entries[0].content[0].value
    for missing in ("/feed/sports.xml", f"/archive/{key}/sports", "/archive/daily-1999-01-01"):
        assert client.get(server.url(missing)).status_code == 404


def test_the_archive_page_lists_every_story_the_email_left_behind_its_more_link(db, smtp_env, server, client,
                                                                                monkeypatch):
    monkeypatch.setenv("DIGEST_MAX_ITEMS_PER_TOPIC", "2")
    assert db("articles", "ingest", SEEDS).exit_code == 0
    assert db("send", "--yes").exit_code == 0
    msg = parse(next(d for rcpts, d in smtp_env.messages if rcpts == ["ada@example.org"]))
    body = msg.get_body(("html",)).get_content()
    more = re.search(r'href="https://news.example.com(/archive/[\w-]+)#europe"[^>]*>(\d+) more Europe stories<', body)
    assert more, "no link to the rest of Europe"
    page = client.get(server.url(more.group(1)))
    assert page.status_code == 200
    europe = page.text.split('<h2 id="europe">', 1)[1].split("<h2", 1)[0]
    headlines = {a["headline"] for a in json.loads(db("articles", "list", "--topic", "Europe", "--json").stdout)}
    shown = {h for h in headlines if h in html.unescape(europe)}
    assert len(shown) >= 2 + int(more.group(2))                         # what the email showed, and the rest


# ---- article pages ----------------------------------------------------------------------------

def test_an_article_page_shows_the_whole_article_and_the_other_reports(db, server, client):
    assert db("articles", "ingest", SEEDS).exit_code == 0
    arts = json.loads(db("articles", "list", "--json").stdout)
    fund = next(a for a in arts if a["title"].startswith("E.U. Leaders Agree"))
    other = next(a for a in arts if a["cluster"] == fund["cluster"] and a["id"] != fund["id"])
    r = client.get(server.url(f"/articles/{fund['id']}"))
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    text = html.unescape(r.text)
    seed = readers.parse_text((SEEDS / "2026-11-20-eu-summit-joint-defense-fund.txt").read_text(encoding="utf-8"),
                             origin="fund.txt")
    assert f"<h1>{fund['title']}</h1>" in text
    assert f"By {seed.author}" in text and f"{seed.published.day} {seed.published:%b %Y}" in text   # its own date
    assert seed.caption in text                                          # the photo caption, kept apart
    for paragraph in seed.body.split("\n\n"):                          # the whole body, paragraph by paragraph
        assert f"<p>{paragraph}</p>" in text
    assert seed.sources in text and seed.bio in text
    assert " · ".join(fund["topics"]) in text
    assert "Other reports of this story" in text and f'href="https://news.example.com/articles/{other["id"]}"' in text
    assert client.get(server.url("/articles/99999")).status_code == 404
    assert client.get(server.url("/articles/x")).status_code == 404


def test_an_article_published_elsewhere_links_to_the_original(db, server, client, tmp_path):
    (tmp_path / "one.jsonl").write_text(json.dumps({
        "title": "Harbour council approves a tidal barrier", "labels": ["Europe"], "source": "Coastal Herald",
        "url": "https://www.coastalherald.example/2026/barrier",
        "body": "The harbour council approved a tidal barrier on Tuesday. Work starts in spring.\n\n"
                "The barrier protects four thousand homes. It should be finished before the 2029 storms."}) + "\n")
    assert db("articles", "ingest", tmp_path / "one.jsonl").exit_code == 0
    [art] = json.loads(db("articles", "list", "--json").stdout)
    r = client.get(server.url(f"/articles/{art['id']}"))
    assert r.status_code == 200 and "Coastal Herald" in r.text
    assert '<a href="https://www.coastalherald.example/2026/barrier">Read the full story at coastalherald.example</a>' \
        in r.text
    assert "It should be finished before the 2029 storms." not in r.text   # no copy of someone else's article


# ---- startup ----------------------------------------------------------------------------------

def test_the_app_refuses_to_start_without_a_secret(db, monkeypatch, run):
    from digest.errors import ConfigError
    from digest.web.subscriber import create_app
    monkeypatch.delenv("DIGEST_SECRET")
    with pytest.raises(ConfigError, match="DIGEST_SECRET"):
        create_app(config.load())
    r = run("serve", "--port", "1")
    assert r.exit_code == 1 and "Error: DIGEST_SECRET is not set" in r.stderr and "--demo" in r.stderr
    demo = Server(demo=True)                                          # demo mode signs with the demo secret
    try:
        url = demo.url(f"/u/{tokens.make(config.DEMO_SECRET, 'unsubscribe', sid('ada@example.org'))}")
        assert httpx.get(url).status_code == 200
    finally:
        demo.stop()


def test_the_app_refuses_a_weak_or_public_secret_except_in_demo_mode(db, monkeypatch, run):
    """The rule `digest send` applies (config.check_secret) holds for the pages that read the links too."""
    from digest.errors import ConfigError
    from digest.web.subscriber import create_app
    for weak in ("hunter2hunter2hunter2hunter2hunter2", config.DEMO_SECRET):
        monkeypatch.setenv("DIGEST_SECRET", weak)
        with pytest.raises(ConfigError, match="DIGEST_SECRET is") as err:
            create_app(config.load())
        assert "openssl rand -hex 32" in str(err.value)
        r = run("serve", "--port", "1")
        assert r.exit_code == 1 and r.stderr.startswith("Error: DIGEST_SECRET is") and "Traceback" not in r.stderr
    monkeypatch.setenv("DIGEST_SECRET", config.DEMO_SECRET)
    assert create_app(config.load(), demo=True) is not None          # the demo's public secret, in the demo
