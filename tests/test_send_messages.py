"""What `send`, `send --dry-run` and `preview --subscriber` say when there is nothing to send (issue 12,
item 7): the reason, in the admin's terms, never "already sent to 0" or an empty table alone."""

from __future__ import annotations

import datetime as dt
import json

import time_machine

from digest.clock import now


def daily(run) -> int:
    return sum(s["frequency"] == "daily" for s in json.loads(run("subscribers", "list", "--status", "active",
                                                               "--json").stdout))


def test_send_says_why_it_sends_nothing(run, seeded, smtp_env):
    n = daily(run)
    assert run("send", "--yes").exit_code == 0
    again = run("send", "--yes")
    assert again.exit_code == 0 and f"nothing to send: already sent to {n} subscribers." in again.stderr
    with time_machine.travel(now() + dt.timedelta(days=1), tick=True):
        tomorrow = run("send", "--yes")
    assert tomorrow.exit_code == 0, tomorrow
    assert "already sent to 0" not in tomorrow.stderr
    assert f"nothing to send: {n} subscribers have no new articles since their last digest." in tomorrow.stderr


def test_a_dry_run_with_everyone_served_says_so(run, seeded, smtp_env):
    n = daily(run)
    first = run("send", "--dry-run")
    assert first.exit_code == 0 and f"{n} subscribers would get a digest" in first.stderr
    assert run("send", "--yes").exit_code == 0
    r = run("send", "--dry-run")
    assert r.exit_code == 0
    assert r.stdout == ""              # no empty table
    assert f"0 subscribers would get a digest; {n} already had this edition" in r.stderr
    with time_machine.travel(now() + dt.timedelta(days=1), tick=True):
        r = run("send", "--dry-run")
    assert f"{n} have no new articles since their last digest" in r.stderr


def test_preview_of_a_served_or_unsubscribed_subscriber_says_why_it_is_empty(run, seeded, smtp_env):
    assert run("subscribers", "add", "ada@example.org", "--topic", "Europe").exit_code == 0
    before = run("preview", "--subscriber", "ada@example.org")
    assert before.exit_code == 0 and "Note:" not in before.stderr and " stories;" in before.stderr
    assert run("send", "--yes").exit_code == 0
    served = run("preview", "--subscriber", "ada@example.org")
    assert served.exit_code == 0
    assert "(0 stories;" in served.stderr
    assert "Note: ada@example.org has already been sent every article up to" in served.stderr
    assert "no digest would be sent now" in served.stderr
    assert run("subscribers", "unsubscribe", "ada@example.org").exit_code == 0
    gone = run("preview", "--subscriber", "ada@example.org")
    assert "Note: ada@example.org is unsubscribed: no digest goes to them" in gone.stderr, gone


def test_one_story_is_one_story(run, tmp_path):
    assert run("init").exit_code == 0
    (tmp_path / "one.jsonl").write_text(json.dumps({"title": "A Strong Quake Shakes the Northern Coast",
                                                    "labels": ["World"], "body": "A strong earthquake shook the "
                                                    "coast on Tuesday. No damage was reported."}) + "\n")
    assert run("articles", "ingest", tmp_path / "one.jsonl").exit_code == 0
    r = run("preview", "--topic", "World")
    assert "(1 story;" in r.stderr and "1 stories" not in r.stderr
