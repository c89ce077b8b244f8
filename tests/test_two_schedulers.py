"""Two schedulers on one PostgreSQL (issue #20 item 5): `digest schedule run` started twice, as two
processes, with a slot due, sends one edition and one copy per subscriber; with [worker] queue on they
plan it once (the batches and their jobs) and a `digest worker` sends it; and when the scheduler that
sends is killed mid-send, the other takes over and finishes with nobody mailed twice. These wait for
processes (polling with a deadline), never for a schedule: the ticks are fractions of a second.
"""

from __future__ import annotations

import signal
from collections import Counter

import pytest

from private_postgres import NEEDS_POSTGRES, postgres_server, postgres_url  # noqa: F401  (fixtures)
from test_schedule_integration import Daemon
from test_schedule_integration import wait_for as wait_until
from test_workers import copies, done, fleet, rows, statuses, stop, worker  # noqa: F401  (fleet: a fixture)

pytestmark = [NEEDS_POSTGRES, pytest.mark.slow]
N = 30
STANDBY = "another scheduler"        # the one that does not hold the lease says so at start, and waits


def schedule(tmp_path, *, queue: bool) -> None:
    (tmp_path / "digest.toml").write_text('[digest]\nsend_at = "00:00"\ncheck_every_seconds = 0.2\n'
                                          + ("[worker]\nqueue = true\nbatch_size = 4\n" if queue else ""))


def both(tmp_path, monkeypatch, **env: str) -> tuple[Daemon, Daemon]:
    """Two `digest schedule run` started at once on the one database, each with its own journal folder."""
    import os
    daemons = []
    for host in ("a", "b"):
        monkeypatch.setenv("DIGEST_JOURNAL_DIR", str(tmp_path / f"journal-{host}"))
        daemons.append(Daemon(tmp_path, {**os.environ, **env}))
    return daemons[0], daemons[1]


def holder_and_standby(a: Daemon, b: Daemon) -> tuple[Daemon, Daemon]:
    wait_until(lambda: (STANDBY in a.log()) != (STANDBY in b.log()), what="one scheduler to stand by")
    return (b, a) if STANDBY in a.log() else (a, b)


def one_edition_one_copy_each(url: str, sink) -> None:
    assert rows(url, "SELECT count(*) FROM editions") == [(1,)]
    assert rows(url, "SELECT count(*), count(DISTINCT subscriber_id) FROM deliveries") == [(N, N)]
    got = copies(sink)
    assert len(got) == N and set(got.values()) == {1}, got


@pytest.mark.parametrize("queue", [False, True], ids=["digest send", "queue and worker"])
def test_two_schedulers_on_one_postgres_send_one_edition_once(fleet, smtp_env, tmp_path, monkeypatch, queue):
    url = fleet(N)
    if not queue:
        monkeypatch.delenv("DIGEST_WORKERS")
    schedule(tmp_path, queue=queue)
    a, b = both(tmp_path, monkeypatch)
    workers = []
    try:
        sending, standby = holder_and_standby(a, b)
        if queue:
            workers.append(worker(tmp_path, "w", "--concurrency", "2")[0])
        wait_until(lambda: done(url, N), timeout=120, what="every delivery is final")
        ticks = sending.log().count("digest at")
        wait_until(lambda: sending.log().count("digest at") >= ticks + 3, what="three more ticks")
    finally:
        stop(*workers)
        rcs = [d.stop() for d in (a, b)]
    assert rcs == [0, 0], a.log() + b.log()
    one_edition_one_copy_each(url, smtp_env)
    assert statuses(url) == Counter(sent=N)
    assert "digest at" not in standby.log()          # it never ran a tick: nothing planned, nothing sent
    if queue:   # planned once: ceil(30 / 4) batches, one job each, all done
        assert rows(url, "SELECT count(*), count(DISTINCT job_id) FROM batches WHERE status = 'done'") == [(8, 8)]
        # every job is for one of those batches (a stalled job procrastinate retries may add a row for the same batch)
        assert rows(url, "SELECT count(DISTINCT args->>'batch_id') FROM procrastinate_jobs") == [(8,)]


def test_the_standby_scheduler_finishes_an_edition_when_the_one_sending_is_killed(fleet, smtp_env, tmp_path,
                                                                                   monkeypatch):
    url = fleet(N)
    monkeypatch.delenv("DIGEST_WORKERS")
    schedule(tmp_path, queue=False)
    a, b = both(tmp_path, monkeypatch, DIGEST_RATE="10")       # slow, so it is killed mid-send
    try:
        sending, standby = holder_and_standby(a, b)
        wait_until(lambda: statuses(url)["sent"] >= 5, what="five sent")
        sending.proc.send_signal(signal.SIGKILL)
        sending.proc.wait(30)
        # Its process is gone on this host: taken over within seconds (lease.STANDBY_POLL), not the lease's 60.
        wait_until(lambda: "took over the scheduler lease" in standby.log(), timeout=10, what="the takeover")
        wait_until(lambda: done(url, N), timeout=120, what="the standby to finish the edition")
    finally:
        rcs = [d.stop() for d in (a, b)]
    assert rcs[[a, b].index(standby)] == 0, standby.log()
    assert rows(url, "SELECT count(*) FROM editions") == [(1,)]
    got = copies(smtp_env)
    assert set(got.values()) == {1}, got                      # nobody twice
    s = statuses(url)
    # One connection: at most the one in flight; the other host cannot read its journal, so it is uncertain.
    assert s["sent"] + s["uncertain"] == N and s["uncertain"] <= 1
    assert len(got) >= N - s["uncertain"]
    assert "took over the scheduler lease" in standby.log() and "resumed daily-" in standby.log()
    # Each journals in its own host's folder ([worker] journal/send/), none in a folder named after the URL.
    assert not (tmp_path / "postgresql:").exists()
    assert (tmp_path / "journal-a" / "send").is_dir() or (tmp_path / "journal-b" / "send").is_dir()
