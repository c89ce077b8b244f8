"""The editor chooses the lead: `articles edit --lead` and `--priority N`, a default ranking that
weighs what an editor would (outlets, length and substance of the lede, recency), and a preview
that shows the order and why (#25 item 1). Real SQLite store, real CLI, a real SMTP server."""

from __future__ import annotations

import datetime as dt
import json

from conftest import parse
from digest.selection.ranking import lede_words, score

NOW = dt.datetime.now(dt.timezone.utc)
LONG = ("The European Union's finance ministers agreed on Thursday to lend Ukraine €50 billion over "
        "four years, backed by the bloc's budget, after Hungary lifted its veto at a late-night meeting. ")

PORT = ("Dock workers in Rotterdam returned to work on Monday after their union accepted a 6% pay rise, "
        "ending a nine-day strike that left more than 200 container ships waiting off the Dutch coast. ")

RAIL = ("The new rail link between Tallinn and Riga opened a year ahead of schedule on Sunday, cutting the "
        "journey between the two Baltic capitals from six hours by bus to under two by train. ")
TUNNEL = ("The Brenner freight tunnel reopened to lorries on Saturday after eight months of repairs to its "
          "ventilation, easing the queues that had stretched for 40 kilometres on the Austrian side. ")


def _store(run, tmp_path, rows: list[dict]) -> dict[str, int]:
    """Articles from a JSON Lines file, ingested into a fresh store; title -> id."""
    assert run("init").exit_code == 0
    path = tmp_path / "feed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    r = run("articles", "ingest", path)
    assert r.exit_code == 0, r
    listed = json.loads(run("articles", "list", "--all", "--json").stdout)
    return {a["title"]: a["id"] for a in listed}


def _article(title: str, body: str, hours_ago: float, labels=("Europe",), source=None) -> dict:
    row = {"title": title, "body": body, "labels": list(labels), "url": f"https://example.org/{abs(hash(title))}",
           "published": (NOW - dt.timedelta(hours=hours_ago)).isoformat()}
    if source:
        row["source"] = source
    return row


def _subject(run, *topics) -> str:
    r = run("preview", *[x for t in topics for x in ("--topic", t)], "--format", "eml")
    assert r.exit_code == 0, r
    return parse(r.stdout_bytes)["Subject"]


def test_the_machine_weighs_outlets_length_lede_and_recency():
    base = dict(age_hours=5, words=500, lede_words=15, sources=1)
    s = score(**base)
    assert score(**{**base, "age_hours": 1}) > s
    assert score(**{**base, "words": 900}) > s
    assert score(**{**base, "sources": 3}) > s
    assert score(**{**base, "lede_words": 3}) < s
    assert lede_words("Here we go again.") <= 1 < 8 <= lede_words(LONG)


def test_a_one_line_feed_item_does_not_lead_over_a_substantial_story_just_by_being_newest(run, tmp_path):
    _store(run, tmp_path, [
        _article("EU lends Ukraine €50bn after Hungary lifts veto", "\n\n".join([LONG] * 6), hours_ago=14),
        _article("Kenya and Tanzania sign deal on shared power line",
                 "Kenya and Tanzania signed a deal on a shared power line.", hours_ago=1),
    ])
    assert _subject(run, "Europe").startswith("EU lends Ukraine €50bn after Hungary lifts veto")


def test_a_story_more_outlets_carry_leads(run, tmp_path):
    other = LONG.replace("finance ministers", "ministers of finance")
    _store(run, tmp_path, [
        _article("Dutch port strike ends after pay deal", "\n\n".join([PORT] * 6), hours_ago=2),
        _article("EU agrees €50bn Ukraine loan", "\n\n".join([LONG] * 6), hours_ago=5, source="Wire One"),
        _article("Ukraine gets €50bn EU loan as veto ends", "\n\n".join([other] * 6), hours_ago=5,
                 source="Wire Two"),
    ])
    listed = json.loads(run("articles", "list", "--all", "--json").stdout)
    assert len({a["cluster"] for a in listed if "Ukraine" in a["title"]} - {None}) == 1     # one story, two outlets
    assert "Ukraine" in _subject(run, "Europe")


def test_an_editor_pins_the_lead_and_the_sent_subject_is_its_headline(run, tmp_path, smtp_env):
    ids = _store(run, tmp_path, [
        _article("EU lends Ukraine €50bn after Hungary lifts veto", "\n\n".join([LONG] * 6), hours_ago=2),
        _article("Baltic rail link opens a year early", RAIL, hours_ago=30),
        _article("Alpine tunnel reopens after repairs", TUNNEL, hours_ago=40),
    ])
    rail, tunnel = ids["Baltic rail link opens a year early"], ids["Alpine tunnel reopens after repairs"]
    r = run("articles", "edit", tunnel, "--lead")
    assert r.exit_code == 0 and "pinned lead" in r.stdout
    r = run("articles", "edit", rail, "--lead")           # one lead at a time: the pin moves, and says so
    assert r.exit_code == 0 and f"#{tunnel}" in r.stderr and "no longer the pinned lead" in r.stderr
    assert "pinned lead" in run("articles", "show", rail).stdout
    assert "pinned lead" not in run("articles", "show", tunnel).stdout
    preview = run("preview", "--topic", "Europe")
    assert "1. #%d Baltic rail link opens a year early: lead (pinned by an editor)" % rail in preview.stderr
    assert run("subscribers", "add", "reader@example.org", "--topic", "Europe").exit_code == 0
    asked = run("send", input="n\n")
    assert "Send to 1 subscriber through" in asked.stderr and smtp_env.messages == []
    assert run("send", "--yes").exit_code == 0
    [(_, data)] = smtp_env.messages
    assert parse(data)["Subject"].startswith("Baltic rail link opens a year early")
    assert run("articles", "edit", rail, "--no-lead").exit_code == 0
    assert _subject(run, "Europe").startswith("EU lends Ukraine")


def test_priority_orders_a_topic_and_zero_gives_it_back_to_the_machine(run, tmp_path):
    ids = _store(run, tmp_path, [
        _article("EU lends Ukraine €50bn after Hungary lifts veto", "\n\n".join([LONG] * 6), hours_ago=2),
        _article("Baltic rail link opens a year early", RAIL, hours_ago=30),
        _article("Alpine tunnel reopens after repairs", TUNNEL, hours_ago=40),
    ])
    tunnel, rail = ids["Alpine tunnel reopens after repairs"], ids["Baltic rail link opens a year early"]
    assert run("articles", "edit", tunnel, "--priority", 2).exit_code == 0
    assert run("articles", "edit", rail, "--priority", 1).exit_code == 0
    order = [line for line in run("preview", "--topic", "Europe").stderr.splitlines() if line.startswith("  ")]
    loan = ids["EU lends Ukraine €50bn after Hungary lifts veto"]
    assert [line.split()[1] for line in order] == [f"#{rail}", f"#{tunnel}", f"#{loan}"]
    assert "priority 1 (set by an editor)" in order[0] and "outlet" in order[2] and "lede" in order[2]
    text = run("preview", "--topic", "Europe").stdout
    assert text.index("Baltic rail") < text.index("Alpine tunnel") < text.index("EU lends Ukraine")
    assert run("articles", "edit", rail, "--priority", 0).exit_code == 0
    assert run("articles", "edit", tunnel, "--priority", 0).exit_code == 0
    assert _subject(run, "Europe").startswith("EU lends Ukraine")
    bad = run("articles", "edit", rail, "--priority", -1)
    assert bad.exit_code != 0 and "a priority is 1 or more" in bad.stderr
