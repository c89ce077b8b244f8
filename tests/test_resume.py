"""Exactly once across crashes: a real `digest send` killed with SIGKILL mid-run, then resumed.

Proved through a real SMTP server: nobody receives two copies, everybody receives one, except the
deliveries the ledger lists as uncertain (at most one per connection per kill).
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import SEEDS
from digest import config, pipeline
from digest.db import Database
from digest.smtp.journal import journal_dir
from smtp_server import Sink

TOPICS = ["Europe", "World", "Politics", "Europe;World", "Europe;Politics;World"]


def make_list(tmp_path, run, n: int) -> None:
    assert run("init").exit_code == 0
    assert run("articles", "ingest", SEEDS).exit_code == 0
    f = tmp_path / "list.csv"
    names = ["Ada Lovelace", "Zoë O'Brien", "山田 太郎", "Smith, John", ""]
    f.write_text("email,name,topics\n" + "".join(
        f"reader{i:04d}@example.org,{json.dumps(names[i % 5])},{TOPICS[i % 5]}\n" for i in range(n)))
    r = run("subscribers", "import", f)
    assert r.exit_code == 0, r


def copies(sink) -> collections.Counter:
    return collections.Counter(rcpts[0] for rcpts, _ in sink.messages)


def test_replay_of_a_dead_runs_journal(tmp_path, run, monkeypatch):
    """The crash state by hand: claimed rows, one answered, one in flight, one bounced, the rest waiting."""
    make_list(tmp_path, run, 12)
    cfg = config.load()
    store = Database.open(cfg.db)
    plan = pipeline.plan_edition(store, cfg)
    rows = store.deliveries.claim(plan.edition_id, "pending", 0, 1000)
    a, b, c = rows[0], rows[1], rows[2]
    folder = journal_dir(store.path)
    folder.mkdir()
    (folder / f"e{plan.edition_id}-99999-dead-0.log").write_text(
        f"D {a.id}\nR {a.id} sent 0 250 OK queued\nD {b.id}\n")
    (folder / f"e{plan.edition_id}-99999-dead-1.log").write_text(
        f"D {c.id}\nR {c.id} bounced 0 550 5.1.1 user unknown\nD 12")    # a torn last line
    with Sink(tmp_path / "received") as sink:
        monkeypatch.setenv("DIGEST_SMTP_URL", sink.url)
        tally = pipeline.send_edition(store, config.load(), plan, pipeline.relays_for(config.load()))
    got = copies(sink)
    assert set(got) == {r.email for r in rows[3:]} and set(got.values()) == {1}
    status = {r.id: r.status for r in store.deliveries.listed(plan.edition_id)}
    assert (status[a.id], status[b.id], status[c.id]) == ("sent", "uncertain", "bounced")
    assert store.subscribers.get(c.email).status == "bounced"
    assert (tally.sent, tally.skipped, tally.uncertain, tally.recovered) == (len(rows) - 3, 1, 1, 3)
    assert list(folder.iterdir()) == []       # replayed, then removed; this run's journal removed too
    store.close()


@pytest.mark.slow
def test_sigkill_at_several_points_then_resume_sends_everyone_exactly_once(tmp_path, run, monkeypatch):
    n, connections = 300, 4
    make_list(tmp_path, run, n)
    with Sink(tmp_path / "received") as sink:
        env = {**os.environ, "DIGEST_SMTP_URL": sink.url, "DIGEST_CONNECTIONS": str(connections),
               "DIGEST_RETRY_BASE": "0.01"}
        cmd = [sys.executable, "-m", "digest", "send", "--yes", "--quiet"]
        kills = 0
        for kill_at in (1, 90, 180):
            proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            start = len(sink.messages)
            while len(sink.messages) < start + kill_at and proc.poll() is None:
                time.sleep(0.002)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait()
        assert kills >= 2, "the sender finished before it could be killed: make the list longer"
        final = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert final.returncode in (0, 3), final.stderr
        got = copies(sink)

    uncertain = {d["email"] for d in json.loads(run("deliveries", "list", "--status", "uncertain", "--json", "--all").stdout)}
    assert len(uncertain) <= connections * kills
    doubled = {e for e, c in got.items() if c > 1}
    assert not doubled, f"{len(doubled)} subscribers got two copies"
    everyone = {f"reader{i:04d}@example.org" for i in range(n)}
    missing = everyone - set(got) - uncertain
    assert not missing, f"{len(missing)} subscribers got nothing"
    sent = {d["email"] for d in json.loads(run("deliveries", "list", "--status", "sent", "--json", "--all").stdout)}
    assert sent | uncertain == everyone and not (sent & uncertain)
    assert sent <= set(got)                     # nothing marked sent that the server did not accept
    if final.returncode == 0:       # uncertain rows an earlier run found are reported, not news (issue 25)
        assert not uncertain or f"{len(uncertain)} still uncertain from an earlier run" in final.stderr
    rows = json.loads(run("deliveries", "list", "--status", "uncertain", "--json", "--all").stdout)
    assert all(d["last_reply"].startswith("sender-died: ") for d in rows)    # only the sender died here


def test_should_stop_finishes_what_is_in_flight_and_the_next_run_carries_on(tmp_path, run, monkeypatch):
    """How the scheduler stops a send on SIGTERM: between messages, nothing lost, nothing doubled."""
    make_list(tmp_path, run, 40)
    monkeypatch.setenv("DIGEST_CONNECTIONS", "2")
    with Sink(tmp_path / "received") as sink:
        monkeypatch.setenv("DIGEST_SMTP_URL", sink.url)
        cfg = config.load()
        store = Database.open(cfg.db)
        plan = pipeline.plan_edition(store, cfg)
        seen = []
        first = pipeline.send_edition(store, cfg, plan, pipeline.relays_for(cfg), on_message=seen.append,
                                      should_stop=lambda: len(seen) >= 5)
        assert first.stopped and 5 <= first.sent < 40 and (first.deferred, first.pending) == (0, 40 - first.sent)
        assert first.sent == len(sink.messages)
        assert store.deliveries.counts(plan.edition_id) == {"sent": first.sent, "pending": 40 - first.sent}
        second = pipeline.send_edition(store, cfg, plan, pipeline.relays_for(cfg))
        store.close()
    assert (second.sent, second.skipped, second.ok) == (40 - first.sent, first.sent, True)
    assert set(copies(sink).values()) == {1} and len(copies(sink)) == 40
