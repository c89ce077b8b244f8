"""The lease under a race, on both databases: many senders (threads, then processes, each with its own
connection) asking for the same lease at the same instant get exactly one holder, and every other one
is told who holds it. An expired lease is taken over by exactly one of those racing for it, and the
one it was taken from can no longer renew it; a live holder renews and keeps it.

On PostgreSQL the take is one INSERT ... ON CONFLICT DO UPDATE ... WHERE expired RETURNING owner
(digest.db.leases): a read-then-write there would let two hosts both believe they hold it.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading

import pytest
import time_machine

from digest.db import Database
from digest.errors import LockedError
from digest.pipeline import Lease
from private_postgres import NEEDS_POSTGRES, postgres_server, postgres_url  # noqa: F401  (fixtures)

RACERS = 12
ROUNDS = 5


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=NEEDS_POSTGRES)])
def target(request, tmp_path):
    where = str(tmp_path / "race.db") if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    db = Database.open(where)
    db.init()
    db.close()
    return where


def race(target: str, name: str, racers: int = RACERS) -> tuple[list[str], list[str]]:
    """`racers` threads, each on its own connection, call Lease.acquire at once: (winners' owners, losers' errors)."""
    start = threading.Barrier(racers)
    won: list[str] = []
    lost: list[str] = []
    conns = [Database.open(target, create=False) for _ in range(racers)]

    def one(db: Database) -> None:
        lease = Lease(db, name, 60)
        start.wait()
        try:
            lease.acquire()
            won.append(lease.owner)
        except LockedError as exc:
            lost.append(exc.message)

    threads = [threading.Thread(target=one, args=(db,)) for db in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for db in conns:
        db.close()
    return won, lost


def test_racing_senders_get_exactly_one_holder(target):
    for n in range(ROUNDS):
        won, lost = race(target, f"send:daily-2026-12-0{n + 1}")
        assert len(won) == 1, f"round {n}: {len(won)} senders all believe they hold the lease"
        assert len(lost) == RACERS - 1
        assert all(f"({won[0]}) is sending daily-2026-12-0{n + 1}" in m for m in lost), lost[:2]
        db = Database.open(target, create=False)
        held = db.leases.holder(f"send:daily-2026-12-0{n + 1}")
        db.close()
        assert held is not None and held.owner == won[0]


def _take(target: str, name: str, owner: str, go, results) -> None:
    db = Database.open(target, create=False)
    go.wait(30)
    results.put((owner, db.leases.acquire(name, owner, 60)))
    db.close()


def test_racing_processes_get_exactly_one_holder(target):
    ctx = multiprocessing.get_context("fork")
    go, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_take, args=(target, "scheduler", f"host{i}:1:x", go, results)) for i in range(8)]
    for p in procs:
        p.start()
    go.set()
    outcomes = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    winners = [owner for owner, holder in outcomes if holder is None]
    assert len(winners) == 1, outcomes
    assert {holder for _, holder in outcomes if holder is not None} == {winners[0]}


def test_an_expired_lease_is_taken_over_by_one_and_its_old_holder_cannot_renew(target):
    db = Database.open(target, create=False)
    first = Lease(db, "send:daily-2026-12-07", 30).acquire()
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=31), tick=True):
        won, lost = race(target, "send:daily-2026-12-07", racers=6)
        assert len(won) == 1 and len(lost) == 5
        assert first.owner not in won
        assert db.leases.renew("send:daily-2026-12-07", first.owner, 30) is False
        assert db.leases.holder("send:daily-2026-12-07").owner == won[0]
    db.close()


def test_the_holder_renews_and_keeps_its_lease(target):
    db, other = Database.open(target, create=False), Database.open(target, create=False)
    lease = Lease(db, "scheduler", 30).acquire()
    before = db.leases.holder("scheduler").expires_at
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=20), tick=True):
        assert db.leases.renew("scheduler", lease.owner, 30) is True
        assert lease.try_acquire() is None                  # taking it again is renewing it
        after = db.leases.holder("scheduler").expires_at
        assert after >= before + dt.timedelta(seconds=19)
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=40), tick=True):
        # Past the first expiry, not past the renewed one: still ours.
        with pytest.raises(LockedError, match=lease.owner):
            Lease(other, "scheduler", 30).acquire()
    db.close()
    other.close()
