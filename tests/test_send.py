"""Sending through a real SMTP server on 127.0.0.1: one message per subscriber, exactly once."""

from __future__ import annotations

import json
import re

from conftest import parse
from smtp_server import ClosedPort


def bodies(msg):
    return msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()


def linked(text: str, article: dict) -> list[str]:
    """Where the plain-text digest links to this article (its own item, or "Also reported by")."""
    return re.findall(rf"/articles/{article['id']}\b", text)


def own_stories(arts: list[dict]) -> set[int]:
    """The clusters told only by the newsroom's own pages (no source, no link of their own): each is
    one item with no "Also reported" line, linked once, by the version that leads (#21 item 9)."""
    return {a["cluster"] for a in arts if a["cluster"] is not None} - {
        a["cluster"] for a in arts if a["source"] or a["url"] is not None}


def test_each_subscriber_gets_one_message_with_only_their_topics(run, seeded, smtp_env, monkeypatch):
    monkeypatch.setenv("DIGEST_MAX_ITEMS_PER_TOPIC", "20")      # every story in the message, none behind "N more"
    run("subscribers", "add", "two@example.org", "--topic", "Europe", "--topic", "World", "--name", "Two Topics")
    run("subscribers", "add", "pol@example.org", "--topic", "Politics")
    r = run("send", "--yes")
    assert r.exit_code == 0, r
    subs = [s for s in json.loads(run("subscribers", "list", "--json").stdout) if s["frequency"] == "daily"]
    received = {}
    for rcpts, data in smtp_env.messages:
        assert len(rcpts) == 1
        assert rcpts[0] not in received, "a subscriber got two messages"
        received[rcpts[0]] = parse(data)
    assert set(received) == {s["email"] for s in subs}

    arts = json.loads(run("articles", "list", "--json").stdout)
    text, html = bodies(received["two@example.org"])
    own = own_stories(arts)
    for a in arts:
        in_mix = bool({"Europe", "World"} & set(a["topics"]))
        if a["cluster"] in own:
            continue
        # Each article once, even when tagged with both of the subscriber's topics: as its item's
        # link, or under "Also reported by" when another report of its story leads.
        assert len(linked(text, a)) == (1 if in_mix else 0), a["headline"]
    for story in own:
        mates = [a for a in arts if a["cluster"] == story]
        in_mix = any({"Europe", "World"} & set(a["topics"]) for a in mates)
        assert sum(len(linked(text, a)) for a in mates) == (1 if in_mix else 0)
    ptext, _ = bodies(received["pol@example.org"])
    for a in arts:
        if a["cluster"] not in own:
            assert bool(linked(ptext, a)) == ("Politics" in a["topics"])


def test_message_structure_and_headers(run, seeded, smtp_env):
    run("subscribers", "add", "ada@example.org", "--topic", "World", "--name", "Ada Lovelace")
    assert run("send", "--yes").exit_code == 0
    data = next(d for rcpts, d in smtp_env.messages if rcpts == ["ada@example.org"])
    msg = parse(data)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    for header in ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe", "List-Id"):
        assert msg[header], header
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["List-Unsubscribe"].strip().startswith("<https://news.example.com/u/")
    assert msg["To"].addresses[0].addr_spec == "ada@example.org"
    assert msg["To"].addresses[0].display_name == "Ada Lovelace"     # where the name goes (subscribers/README.md)
    assert msg["Message-ID"].endswith("@news.example.com>")
    unsub = msg["List-Unsubscribe"].strip().strip("<>").split(">")[0]
    text, html = bodies(msg)
    assert unsub in text and unsub in html
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")


def test_second_send_sends_nothing(run, seeded, smtp_env):
    assert run("send", "--yes").exit_code == 0
    first = len(smtp_env.messages)
    assert first > 0
    r = run("send", "--yes")
    assert r.exit_code == 0
    assert len(smtp_env.messages) == first
    assert "nothing to send" in r.stderr and f"skipped {first}" in r.stderr


def test_dry_run_sends_and_records_nothing(run, seeded, smtp_env):
    r = run("send", "--dry-run")
    assert r.exit_code == 0 and "Europe" in r.stdout
    assert smtp_env.messages == []
    assert run("send", "--yes").exit_code == 0 and smtp_env.messages


def test_unreachable_relay_is_one_clear_line_and_nothing_is_marked_sent(run, seeded, monkeypatch, sink):
    with ClosedPort() as port:
        monkeypatch.setenv("DIGEST_SMTP_URL", f"smtp://127.0.0.1:{port}")
        r = run("send", "--yes")
    assert r.exit_code != 0
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1 and f"127.0.0.1:{port}" in errors[0]
    # The relay comes back: everyone is still due and gets the edition once.
    monkeypatch.setenv("DIGEST_SMTP_URL", sink.url)
    assert run("send", "--yes").exit_code == 0
    subs = [s for s in json.loads(run("subscribers", "list", "--status", "active", "--json").stdout)
            if s["frequency"] == "daily"]
    assert sorted(r[0] for r, _ in sink.messages) == sorted(s["email"] for s in subs)


def test_preview_is_what_would_be_sent(run, seeded, smtp_env, monkeypatch):
    monkeypatch.setenv("DIGEST_MAX_ITEMS_PER_TOPIC", "20")      # every story in the message, none behind "N more"
    run("subscribers", "add", "ada@example.org", "--topic", "Europe")
    r = run("preview", "--subscriber", "ada@example.org", "--format", "text")
    assert r.exit_code == 0
    arts = json.loads(run("articles", "list", "--topic", "Europe", "--json").stdout)
    own = own_stories(arts)
    for a in arts:
        assert linked(r.stdout, a) or any(linked(r.stdout, b) for b in arts if a["cluster"] in own
                                          and b["cluster"] == a["cluster"])
    html = run("preview", "--topic", "World", "--format", "html").stdout
    assert html.lstrip().lower().startswith("<!doctype html")
    eml = run("preview", "--topic", "World", "--format", "eml", "--out", "x.eml")
    assert eml.exit_code == 0
    assert smtp_env.messages == []   # preview never sends


def test_csv_import_names_bad_rows_and_imports_the_rest(run, tmp_path):
    assert run("init").exit_code == 0
    f = tmp_path / "list.csv"
    f.write_text("email,name,topics\nada@example.org,Ada,Europe\nnot-an-address,Bad,World\n"
                 "bob@EXAMPLE.org,Bob,Politics;World\ncy@example.org,Cy,Sports\n")
    r = run("subscribers", "import", f)
    assert r.exit_code == 1
    assert f"{f}:3:" in r.stderr and "not-an-address" in r.stderr
    assert f"{f}:5:" in r.stderr and "Known topics" in r.stderr
    emails = [s["email"] for s in json.loads(run("subscribers", "list", "--json").stdout)]
    assert emails == ["bob@example.org", "ada@example.org"]     # newest first


def test_unknown_topic_lists_the_known_ones(run):
    assert run("init").exit_code == 0
    r = run("subscribers", "add", "x@example.org", "--topic", "Sports")
    assert r.exit_code == 1
    assert 'Topic "Sports" does not exist. Known topics: Europe, Politics, World.' in r.stderr


def test_commands_need_an_initialised_database(run):
    r = run("articles", "list")
    assert r.exit_code == 1 and "digest init" in r.stderr
