"""`digest send --retry-failed [--edition KEY]`: failed deliveries go back to the queue once, and are sent
with the same exactly-once guarantees (issue 12, item 1). A real SMTP server on 127.0.0.1 refuses the
content for one recipient, then accepts it.
"""

from __future__ import annotations

import datetime as dt
import json

import time_machine

from digest.clock import now


def ledger(run, *args) -> list[dict]:
    return json.loads(run("deliveries", "list", "--json", *args).stdout)


def test_failed_deliveries_are_sent_again_once(run, seeded, smtp_env):
    assert run("subscribers", "add", "carol@example.org", "--topic", "World", "--name", "Carol").exit_code == 0
    smtp_env.fail_data.append((r"To: Carol <carol@example\.org>", 554, 1))    # refused once, then accepted
    r = run("send", "--yes")
    assert r.exit_code == 3, r
    assert "failed 1" in r.stderr and "1 × 554" in r.stderr           # the tally says why
    failed = ledger(run, "--status", "failed")
    assert [d["email"] for d in failed] == ["carol@example.org"]
    before = len(smtp_env.messages)

    dry = run("send", "--retry-failed", "--dry-run")
    assert dry.exit_code == 0 and failed[0]["edition"] in dry.stdout and len(smtp_env.messages) == before

    r = run("send", "--retry-failed", "--edition", failed[0]["edition"], "--yes")
    assert r.exit_code == 0, r
    assert "1 failed deliveries queued again" in r.stderr and "sent 1" in r.stderr
    assert [rc for rc, _ in smtp_env.messages[before:]] == [["carol@example.org"]]
    assert ledger(run, "--status", "failed") == []
    (carol,) = [d for d in ledger(run) if d["email"] == "carol@example.org"]
    assert carol["status"] == "sent" and "requeued by --retry-failed" not in (carol["last_reply"] or "")

    again = run("send", "--retry-failed", "--yes")
    assert again.exit_code == 0 and "No failed deliveries to retry" in again.stderr
    everyone = [rc[0] for rc, _ in smtp_env.messages]
    assert len(everyone) == len(set(everyone)), "nobody got two copies"


def add_story(run, tmp_path, title: str) -> int:
    f = tmp_path / f"{len(list(tmp_path.glob('story-*')))}.jsonl"
    f = f.with_name("story-" + f.name)
    f.write_text(json.dumps({"title": title, "labels": ["World"], "body": f"{title}. Officials confirmed the "
                             "news on Tuesday. More details are expected later this week."}) + "\n")
    assert run("articles", "ingest", f).exit_code == 0
    return next(a["id"] for a in json.loads(run("articles", "list", "--json").stdout) if a["title"] == title)


def carols(sink) -> list[str]:
    return [data.decode() for rcpts, data in sink.messages if rcpts == ["carol@example.org"]]


def test_a_failed_delivery_a_later_digest_covers_is_left_alone(run, seeded, smtp_env, tmp_path):
    assert run("subscribers", "add", "carol@example.org", "--topic", "World", "--name", "Carol").exit_code == 0
    assert run("send", "--yes").exit_code == 0                  # day 0: carol's first digest
    day0 = now()
    with time_machine.travel(day0 + dt.timedelta(days=1), tick=True):
        x = add_story(run, tmp_path, "Harbour Bridge Reopens After Repairs")
        smtp_env.fail_data.append((r"To: Carol <carol@example\.org>", 554, 1))
        assert run("send", "--yes").exit_code == 3              # day 1: refused for carol
        missed = ledger(run, "--status", "failed")[0]["edition"]
    with time_machine.travel(day0 + dt.timedelta(days=2), tick=True):
        y = add_story(run, tmp_path, "Northern Dam Passes Its Safety Review")
        assert run("send", "--yes").exit_code == 0              # day 2: from her day-0 watermark: x and y
        n = len(smtp_env.messages)
        r = run("send", "--retry-failed", "--edition", missed, "--yes")
    assert r.exit_code == 0, r
    assert "No failed deliveries to retry" in r.stderr and "covered by a later digest" in r.stderr
    assert len(smtp_env.messages) == n
    assert [m.count(f"/articles/{x}") > 0 for m in carols(smtp_env)] == [False, True]
    assert [m.count(f"/articles/{y}") > 0 for m in carols(smtp_env)] == [False, True]


def test_a_failed_first_digest_is_sent_beside_a_later_one_that_does_not_cover_it(run, seeded, smtp_env, tmp_path):
    assert run("subscribers", "add", "carol@example.org", "--topic", "World", "--name", "Carol").exit_code == 0
    smtp_env.fail_data.append((r"To: Carol <carol@example\.org>", 554, 1))
    assert run("send", "--yes").exit_code == 3                  # her first digest is refused
    missed = ledger(run, "--status", "failed")[0]["edition"]
    with time_machine.travel(now() + dt.timedelta(days=1, minutes=5), tick=True):
        y = add_story(run, tmp_path, "Northern Dam Passes Its Safety Review")
        assert run("send", "--yes").exit_code == 0              # a first digest again: the last day only
        r = run("send", "--retry-failed", "--yes")
    assert r.exit_code == 0, r
    assert f"Edition {missed}: 1 failed deliveries queued again" in r.stderr
    later, first = sorted(carols(smtp_env), key=lambda m: f"/articles/{y}" in m, reverse=True)
    arts = json.loads(run("articles", "list", "--topic", "World", "--json").stdout)
    # A story told by two of the newsroom's own pages is linked once, by its lead (no "Also reported" line).
    own = {a["cluster"] for a in arts if a["cluster"] is not None} - {
        a["cluster"] for a in arts if a["source"] or a["url"] is not None}
    stories = [[a["id"] for a in arts if a["cluster"] == c] for c in own]
    stories += [[a["id"]] for a in arts if a["cluster"] not in own]
    for ids in stories:       # every World story reached her once, in one of the two digests
        assert sum((f"/articles/{i}" in first) + (f"/articles/{i}" in later) for i in ids) == 1, ids


def test_an_unknown_edition_is_named(run, seeded, smtp_env):
    r = run("send", "--retry-failed", "--edition", "daily-1999-01-01", "--yes")
    assert r.exit_code == 1 and "Error: Edition daily-1999-01-01 does not exist." in r.stderr
    r = run("send", "--edition", "daily-1999-01-01", "--yes")
    assert r.exit_code == 1 and "--edition only goes with --retry-failed" in r.stderr
