"""A new subscriber's first digest (issue 12, item 10): a weekly subscriber's is their first slot after
sign-up, never the slot before it; a daily subscriber who signs up after today's slot gets today's at once
(README, Scheduling, says why). Through the CLI: `subscribers add` and `schedule run --once --now`, a real
SQLite file and a real SMTP server."""

from __future__ import annotations

import json

import time_machine

WEDNESDAY = "2026-11-25T10:00:00+00:00"      # after Monday 23 November 07:00, the last weekly slot


def test_a_weekly_subscriber_waits_for_the_first_monday_after_sign_up(run, tmp_path, smtp_env):
    (tmp_path / "digest.toml").write_text('[digest]\nsend_at = "07:00"\nweekly_on = "monday"\n')
    (tmp_path / "a.jsonl").write_text(json.dumps({"title": "Harbour Bridge Reopens After Repairs",
                                                  "labels": ["World"], "body": "The bridge reopened on Tuesday. "
                                                  "Engineers said the repairs took two months."}) + "\n")
    with time_machine.travel(WEDNESDAY, tick=False):
        assert run("init").exit_code == 0
        assert run("articles", "ingest", tmp_path / "a.jsonl").exit_code == 0
        assert run("subscribers", "add", "wes@example.org", "--topic", "World", "--frequency", "weekly").exit_code == 0
        assert run("subscribers", "add", "dee@example.org", "--topic", "World").exit_code == 0
    r = run("schedule", "run", "--once", "--now", "2026-11-25T10:05:00+00:00")
    assert r.exit_code == 0, r
    assert [rc for rc, _ in smtp_env.messages] == [["dee@example.org"]]      # daily: today's digest at once
    for now in ("2026-11-27T07:00:00+00:00", "2026-11-29T23:59:00+00:00"):
        assert run("schedule", "run", "--once", "--now", now).exit_code == 0
    assert ["wes@example.org"] not in [rc for rc, _ in smtp_env.messages]
    assert run("schedule", "run", "--once", "--now", "2026-11-30T07:00:00+00:00").exit_code == 0
    weekly = [data for rc, data in smtp_env.messages if rc == ["wes@example.org"]]
    assert len(weekly) == 1 and b"Harbour Bridge" in weekly[0]
    editions = {d["edition"] for d in json.loads(run("deliveries", "list", "--json").stdout)
                if d["email"] == "wes@example.org"}
    assert editions == {"weekly-2026-11-30"}
