"""A clock stepped back loses no article (issue 15, item 8): windows run by ingest sequence, not by the
wall clock alone. The scheduler stamps what it ingests with its clock (`--now`), as the service does."""

from __future__ import annotations

import json
import os


def drop(folder, name: str, title: str) -> None:
    (folder / f".{name}").write_text(json.dumps({"title": title, "labels": ["World"], "body": f"{title}. "
                                                 "Officials confirmed it on Tuesday; more is expected."}) + "\n")
    os.replace(folder / f".{name}", folder / name)


def test_an_article_ingested_after_the_clock_stepped_back_is_still_sent(run, tmp_path, smtp_env):
    assert run("init").exit_code == 0
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (tmp_path / "digest.toml").write_text('[ingest]\nfolders = ["incoming/"]\n[digest]\nsend_at = "07:00"\n')
    assert run("subscribers", "add", "ada@example.org", "--topic", "World").exit_code == 0
    drop(incoming, "a.jsonl", "Harbour Bridge Reopens After Repairs")
    assert run("schedule", "run", "--once", "--now", "2026-11-25T07:00:00+00:00").exit_code == 0
    assert len(smtp_env.messages) == 1
    # NTP steps the clock back 7 minutes; a story arrives; then time goes on as usual.
    drop(incoming, "b.jsonl", "Northern Dam Passes Its Safety Review")
    for now in ("2026-11-25T06:53:00+00:00", "2026-11-25T07:10:00+00:00", "2026-11-26T07:00:00+00:00",
                "2026-11-27T07:00:00+00:00"):
        r = run("schedule", "run", "--once", "--now", now)
        assert r.exit_code == 0, r
    assert not list(incoming.glob("*.jsonl")), "both files were ingested"
    texts = [data.decode() for rc, data in smtp_env.messages if rc == ["ada@example.org"]]
    assert sum("Harbour Bridge Reopens" in t for t in texts) == 1
    assert sum("Northern Dam Passes" in t for t in texts) == 1, "the story ingested behind the watermark was lost"
