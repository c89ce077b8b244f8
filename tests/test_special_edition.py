"""A second edition the same day: `digest send --special TITLE` sends the stories not yet sent to the
subscribers of their topics, with its own key, ledger and archive page, exactly once (#25 item 3).
Real SQLite store, real CLI, a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import re

from conftest import parse
from digest import config, pipeline
from digest.db import Database

BREAKING = ("Parliament was dissolved on Tuesday evening after the governing coalition lost a confidence vote "
            "by 212 votes to 198, and the president set an election for the second Sunday of February.")


def _breaking(run, tmp_path, title="Parliament dissolved after confidence vote", labels=("Europe",)) -> int:
    path = tmp_path / f"breaking-{abs(hash(title))}.jsonl"
    path.write_text(json.dumps({"title": title, "body": BREAKING, "labels": list(labels),
                                "url": f"https://example.org/{abs(hash(title))}",
                                "published": dt.datetime.now(dt.timezone.utc).isoformat()}) + "\n")
    r = run("articles", "ingest", path)
    assert r.exit_code == 0, r
    return next(a["id"] for a in json.loads(run("articles", "list", "--json").stdout) if a["title"] == title)


def _europe(run) -> set[str]:
    listed = json.loads(run("subscribers", "list", "--all", "--json").stdout)
    return {s["email"] for s in listed if s["status"] == "active" and "Europe" in s["topics"]}


def test_a_special_edition_sends_only_the_new_story_to_its_topic_and_only_once(seeded, run, tmp_path, smtp_env):
    assert run("send", "--yes").exit_code == 0                       # today's daily edition
    daily = len(smtp_env.messages)
    assert daily > 0
    _breaking(run, tmp_path)
    plain = run("send", "--dry-run")
    assert "0 subscribers would get a digest" in plain.stderr       # today's edition went out already
    dry = run("send", "--special", "Breaking: parliament dissolved", "--dry-run")
    europe = _europe(run)
    assert f"{len(europe)} subscriber" in dry.stderr and "Nothing sent" in dry.stderr
    assert len(smtp_env.messages) == daily

    r = run("send", "--special", "Breaking: parliament dissolved", "--yes")
    assert r.exit_code == 0, r
    special = smtp_env.messages[daily:]
    assert {rcpts[0] for rcpts, _ in special} == europe              # the subscribers of its topic, each once
    msg = parse(special[0][1])
    assert msg["Subject"] == "Breaking: parliament dissolved"
    html = msg.get_body(preferencelist=("html",)).get_content()
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert "Parliament dissolved after confidence vote" in html and "Breaking: parliament dissolved" in text
    assert "Rhine Delta" not in html                                  # nothing already sent comes again
    key = re.search(r"special-\d{4}-\d\d-\d\d-breaking-parliament-dissolved", r.stderr + html).group(0)

    again = run("send", "--special", "Breaking: parliament dissolved", "--yes")
    assert again.exit_code == 0 and len(smtp_env.messages) == daily + len(europe)
    assert "already sent to" in again.stderr
    other = run("send", "--special", "Another title, nothing new", "--yes")
    assert other.exit_code == 0 and len(smtp_env.messages) == daily + len(europe)
    assert "no new articles since their last digest" in other.stderr

    ledger = json.loads(run("deliveries", "list", "--edition", key, "--all", "--json").stdout)
    assert len(ledger) == len(europe) and {d["status"] for d in ledger} == {"sent"}

    cfg = config.load()
    db = Database.open(cfg.db)
    try:
        [entry] = pipeline.archive(db, cfg, key=key)
        assert entry.view.special == "Breaking: parliament dissolved" and entry.view.stories == 1
        page = pipeline.archive_html(db, cfg, entry)
        assert "Parliament dissolved after confidence vote" in page and "Rhine Delta" not in page
        # tomorrow's daily starts where the special ended: the breaking story is not sent twice
        tomorrow = pipeline.now() + dt.timedelta(days=1)
        report = pipeline.send(db, cfg, pipeline.relays_for(cfg), frequency="daily", at=tomorrow)
        assert report.tally.sent == 0
    finally:
        db.close()


def test_a_special_edition_needs_a_title_and_goes_alone(seeded, run, smtp_env):
    blank = run("send", "--special", "  ", "--yes")
    assert blank.exit_code == 1 and "needs a title" in blank.stderr
    both = run("send", "--special", "News", "--test-to", "me@example.org")
    assert both.exit_code == 1 and "--special does not go with --test-to" in both.stderr
    assert smtp_env.messages == []


def test_preview_says_which_edition_it_shows_and_leaves_out_what_was_sent(seeded, run, tmp_path, smtp_env):
    before = run("preview", "--topic", "Europe")
    today = re.search(r"Edition (daily-\d{4}-\d\d-\d\d):", before.stderr).group(1)
    assert "went out already" not in before.stderr and "Rhine Delta" in before.stdout
    assert run("send", "--yes").exit_code == 0
    _breaking(run, tmp_path)
    after = run("preview", "--topic", "Europe")
    assert f"Edition {today} went out already" in after.stderr and "digest send --special" in after.stderr
    shown = re.search(r"^Edition (daily-\d{4}-\d\d-\d\d): Parliament dissolved", after.stderr, re.M).group(1)
    assert shown > today                                              # the next edition's key, not the sent one's
    assert "Parliament dissolved after confidence vote" in after.stdout and "Rhine Delta" not in after.stdout
    assert f"/archive/{today}" not in after.stdout                    # no link to the sent edition's page
    every = run("preview", "--topic", "Europe", "--include-sent")
    assert "Rhine Delta" in every.stdout and "Parliament dissolved" in every.stdout
    email = sorted(_europe(run))[0]
    mine = run("preview", "--subscriber", email)
    assert "went out already" in mine.stderr and "Rhine Delta" not in mine.stdout
    assert "Parliament dissolved after confidence vote" in mine.stdout
