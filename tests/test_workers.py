"""Workers on several hosts (Postgres only): `digest send` with [worker] queue plans the edition into
batches and queues one procrastinate job per batch; `digest worker` processes (real ones, each with its
own journal folder: a "host") send them through a real SMTP server on 127.0.0.1. What a user would
notice: how many batches and jobs, how many copies each subscriber got, which rows are uncertain, and
that a worker stopped past its lease writes nothing once it wakes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from conftest import SEEDS
from private_postgres import NEEDS_POSTGRES, postgres_server, postgres_url  # noqa: F401  (fixtures)

pytestmark = [NEEDS_POSTGRES, pytest.mark.slow]
DIGEST = str(Path(sys.executable).parent / "digest")
FINAL = ("sent", "bounced", "failed", "uncertain")


@pytest.fixture
def fleet(run, postgres_url, smtp_env, monkeypatch, tmp_path):
    """A Postgres store with N subscribers (of World, which the seeds carry), queue mode on, batches of 4."""
    monkeypatch.setenv("DIGEST_DB", postgres_url)
    monkeypatch.setenv("DIGEST_WORKERS", "1")
    monkeypatch.setenv("DIGEST_BATCH_SIZE", "4")
    monkeypatch.setenv("DIGEST_WORKER_LEASE", "4")
    monkeypatch.setenv("DIGEST_CONNECTIONS", "1")

    def make(n: int) -> str:
        csv = tmp_path / "list.csv"
        csv.write_text("email,name,topics,frequency,timezone\n" + "".join(
            f"reader{i:03d}@example.org,Reader {i},World,daily,UTC\n" for i in range(n)))
        for args in (("init",), ("subscribers", "import", csv), ("articles", "ingest", SEEDS)):
            r = run(*args)
            assert r.exit_code == 0, r
        return postgres_url
    return make


def rows(url: str, sql: str, *params) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def statuses(url: str) -> Counter:
    return Counter(dict(rows(url, "SELECT status, count(*) FROM deliveries GROUP BY status")))


def ledger(url: str) -> list[tuple]:
    return rows(url, "SELECT id, status, attempts, updated_at, last_reply FROM deliveries ORDER BY id")


def worker(tmp_path: Path, host: str, *extra: str, **env: str) -> tuple[subprocess.Popen, Path]:
    """`digest -v worker` as its own process, with the journal of `host`; its log in a file."""
    log = tmp_path / f"worker-{host}-{time.monotonic_ns()}.log"
    environ = {**os.environ, "DIGEST_JOURNAL_DIR": str(tmp_path / f"journal-{host}"), **env}
    with open(log, "wb") as out:
        proc = subprocess.Popen([DIGEST, "-v", "worker", *extra], env=environ, stdout=out, stderr=subprocess.STDOUT)
    return proc, log


def wait_for(what, seconds: float, why: str, *logs: Path) -> None:
    deadline = time.monotonic() + seconds
    while not what():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting until {why}\n" + "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}"
                                                                        for p in logs))
        time.sleep(0.1)


def stop(*procs: subprocess.Popen) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGCONT)
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def copies(sink) -> Counter:
    return Counter(rcpt for rcpts, _ in sink.messages for rcpt in rcpts)


def done(url: str, n: int) -> bool:
    s = statuses(url)
    return sum(s[k] for k in FINAL) == n


def test_planning_on_postgres_writes_batches_and_queues_one_job_each(fleet, run):
    url = fleet(10)
    r = run("send", "--yes")
    assert r.exit_code == 0, r
    assert "planned 10 deliveries in 3 batches; queued 3 jobs for digest worker" in r.stdout + r.stderr
    batches = rows(url, "SELECT id, status, epoch, owner FROM batches ORDER BY id")
    assert len(batches) == 3 and all(b[1] == "queued" and b[2] == 0 and b[3] is None for b in batches)
    sizes = rows(url, "SELECT batch_id, count(*) FROM deliveries GROUP BY batch_id ORDER BY batch_id")
    assert [n for _, n in sizes] == [4, 4, 2] and all(bid is not None for bid, _ in sizes)
    jobs = rows(url, "SELECT (args->>'batch_id')::bigint FROM procrastinate_jobs WHERE status = 'todo' ORDER BY 1")
    assert [j[0] for j in jobs] == [b[0] for b in batches]
    again = run("send", "--yes")      # planned again: no row, no batch, no second job
    assert again.exit_code == 0 and "planned 0 deliveries in 0 batches; queued 0 jobs" in again.stdout + again.stderr
    assert len(rows(url, "SELECT id FROM batches")) == 3
    assert len(rows(url, "SELECT id FROM procrastinate_jobs")) == 3
    assert rows(url, "SELECT count(*) FROM editions") == [(1,)]


def test_two_sends_at_once_on_one_postgres_give_one_edition(fleet, tmp_path):
    url = fleet(30)
    procs = [subprocess.Popen([DIGEST, "send", "--yes"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert rows(url, "SELECT count(*) FROM editions") == [(1,)]
    assert rows(url, "SELECT count(*), count(DISTINCT subscriber_id) FROM deliveries") == [(30, 30)]
    assert rows(url, "SELECT count(*) FROM batches") == [(8,)]      # ceil(30 / 4), none empty
    assert rows(url, "SELECT count(*) FROM batches b WHERE NOT EXISTS "
                     "(SELECT 1 FROM deliveries d WHERE d.batch_id = b.id)") == [(0,)]
    assert rows(url, "SELECT count(DISTINCT args->>'batch_id') FROM procrastinate_jobs") == [(8,)]


def test_a_plain_send_beside_the_workers_is_refused_and_the_workers_still_send_once(fleet, run, smtp_env,
                                                                                   tmp_path, monkeypatch):
    url = fleet(10)
    assert run("send", "--yes").exit_code == 0                # planned and queued for the workers
    planned = statuses(url)
    monkeypatch.setenv("DIGEST_WORKERS", "0")                  # an admin's host with queue mode off
    plain = run("send", "--yes")
    out = plain.stdout + plain.stderr
    assert plain.exit_code != 0 and "is queued for digest worker: 3 batches are not done" in out, out
    assert "digest worker" in out and smtp_env.messages == []
    assert statuses(url) == planned and sum(planned.values()) == 10         # the ledger untouched
    monkeypatch.setenv("DIGEST_WORKERS", "1")
    a, log_a = worker(tmp_path, "a")
    try:
        wait_for(lambda: done(url, 10), 120, "every delivery is final", log_a)
    finally:
        stop(a)
    assert set(copies(smtp_env).values()) == {1} and len(copies(smtp_env)) == 10
    monkeypatch.setenv("DIGEST_WORKERS", "0")
    after = run("send", "--yes")             # every batch done: the edition is finished, nothing is sent again
    assert after.exit_code == 0, after
    assert len(smtp_env.messages) == 10


def test_two_workers_send_one_edition_to_every_subscriber_exactly_once(fleet, run, smtp_env, tmp_path):
    url = fleet(30)
    assert run("send", "--yes").exit_code == 0
    a, log_a = worker(tmp_path, "a", "--concurrency", "2")
    b, log_b = worker(tmp_path, "b", "--concurrency", "2")
    try:
        wait_for(lambda: done(url, 30), 120, "every delivery is final", log_a, log_b)
    finally:
        stop(a, b)
    got = copies(smtp_env)
    assert len(got) == 30 and set(got.values()) == {1}
    assert statuses(url) == Counter(sent=30)
    assert rows(url, "SELECT DISTINCT status FROM batches") == [("done",)]
    assert "batch " in log_a.read_text() + log_b.read_text()


def test_a_worker_killed_mid_batch_is_finished_by_another_without_a_duplicate(fleet, run, smtp_env, tmp_path):
    url = fleet(12)
    assert run("send", "--yes").exit_code == 0
    a, log_a = worker(tmp_path, "a", DIGEST_RATE="4")       # slow, so it dies mid-batch
    try:
        wait_for(lambda: statuses(url)["sent"] >= 2, 60, "the first worker has sent two", log_a)
        a.send_signal(signal.SIGKILL)
        a.wait()
        dead = {r[0] for r in rows(url, "SELECT d.id FROM deliveries d JOIN batches b ON b.id = d.batch_id "
                                        "WHERE d.status = 'sending'")}
        b, log_b = worker(tmp_path, "b")
        try:
            wait_for(lambda: done(url, 12), 120, "the other worker finished", log_b)
        finally:
            stop(b)
    finally:
        stop(a)
    got = copies(smtp_env)
    assert set(got.values()) == {1}, got                    # nobody got two
    s = statuses(url)
    assert s["sent"] + s["uncertain"] == 12 and s["uncertain"] <= 4   # at most one claim of the dead worker
    uncertain = {r[0] for r in rows(url, "SELECT id FROM deliveries WHERE status = 'uncertain'")}
    assert uncertain == dead                                 # what it held, never resent blindly
    assert len(got) >= 12 - len(uncertain)                   # everyone else has theirs
    listed = run("deliveries", "list", "--status", "uncertain")
    assert listed.exit_code == 0 and listed.stdout.count("@example.org") == len(uncertain)


def test_a_worker_restarted_on_its_host_replays_its_journal_first(fleet, run, smtp_env, tmp_path):
    url = fleet(8)
    assert run("send", "--yes").exit_code == 0
    a, log_a = worker(tmp_path, "a", DIGEST_RATE="4")
    wait_for(lambda: statuses(url)["sent"] >= 2, 60, "the worker has sent two", log_a)
    a.send_signal(signal.SIGKILL)
    a.wait()
    left = list((tmp_path / "journal-a").glob("e*-b*-*.log"))    # none when it died between two batches
    again, log_again = worker(tmp_path, "a")                 # the same host: its journal is there
    try:
        wait_for(lambda: done(url, 8), 120, "the restarted worker finished", log_again)
    finally:
        stop(again)
    got = copies(smtp_env)
    assert set(got.values()) == {1}, got
    s = statuses(url)
    assert s["sent"] + s["uncertain"] == 8 and s["uncertain"] <= 1   # one connection: at most one in flight
    assert ("replayed" in log_again.read_text()) == bool(left)


def test_a_worker_stopped_past_its_lease_writes_nothing_after_it_wakes(fleet, run, smtp_env, tmp_path):
    url = fleet(12)
    assert run("send", "--yes").exit_code == 0
    a, log_a = worker(tmp_path, "a", DIGEST_RATE="2")
    b = None
    mid_batch = ("SELECT b.id FROM batches b WHERE b.status = 'sending' AND b.owner LIKE '%%journal-a' AND EXISTS "
                 "(SELECT 1 FROM deliveries d WHERE d.batch_id = b.id AND d.status = 'sent')")
    try:
        wait_for(lambda: rows(url, mid_batch), 60, "the first worker is mid-batch", log_a)
        a.send_signal(signal.SIGSTOP)
        held = rows(url, "SELECT id, epoch FROM batches WHERE status = 'sending'")
        assert held
        b, log_b = worker(tmp_path, "b")
        wait_for(lambda: done(url, 12), 120, "the other worker finished while the first was stopped", log_b)
        taken = dict(rows(url, "SELECT id, epoch FROM batches"))
        assert all(taken[bid] > epoch for bid, epoch in held)      # taken over: a new epoch
        before = ledger(url)
        a.send_signal(signal.SIGCONT)
        wait_for(lambda: "Lost the lease" in log_a.read_text(), 30, "the woken worker saw its epoch lost", log_a)
        time.sleep(1)
        assert ledger(url) == before                               # not one row changed after it woke
    finally:
        stop(a, *([b] if b else []))
    got = copies(smtp_env)
    assert set(got.values()) == {1}, got


def test_a_batch_queued_twice_to_one_worker_is_sent_once(fleet, run, smtp_env, tmp_path):
    url = fleet(8)
    assert run("send", "--yes").exit_code == 0
    with psycopg.connect(url, autocommit=True) as conn:     # a second job for every batch, as a retry makes
        conn.execute("INSERT INTO procrastinate_jobs (queue_name, task_name, args, status) "
                     "SELECT queue_name, task_name, args, 'todo' FROM procrastinate_jobs")
    assert rows(url, "SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'") == [(4,)]
    a, log_a = worker(tmp_path, "a", "--concurrency", "2", DIGEST_RATE="8")
    try:
        wait_for(lambda: done(url, 8), 60, "every delivery is final", log_a)
        wait_for(lambda: not rows(url, "SELECT id FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"), 60,
                 "both jobs of each batch ended", log_a)
    finally:
        stop(a)
    got = copies(smtp_env)
    assert len(got) == 8 and set(got.values()) == {1}, got
    assert statuses(url) == Counter(sent=8)



def test_a_worker_renders_an_article_edited_between_two_batches_of_an_edition_again(fleet, run, smtp_env, tmp_path):
    """The worker keeps an edition's rendered mixes from batch to batch, never a stale one."""
    import email
    import email.policy
    url = fleet(8)
    assert run("send", "--yes").exit_code == 0
    a, log_a = worker(tmp_path, "a", DIGEST_RATE="4")       # slow, so the edit lands in the first batch
    try:
        wait_for(lambda: statuses(url)["sent"] >= 1, 60, "the first batch has begun", log_a)
        rows(url, "UPDATE articles SET headline_override = 'Zanzibarquux ' || id RETURNING id")
        wait_for(lambda: done(url, 8), 60, "both batches are sent", log_a)
    finally:
        stop(a)
    batch_of = dict(rows(url, "SELECT s.email, d.batch_id FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"))
    edited: dict[int, set[bool]] = {}
    for rcpts, data in smtp_env.messages:
        body = email.message_from_bytes(data, policy=email.policy.default).get_body(("plain",))
        edited.setdefault(batch_of[rcpts[0]], set()).add("Zanzibarquux" in body.get_content())  # type: ignore[union-attr]
    first, second = sorted(edited)
    assert edited == {first: {False}, second: {True}}        # the second batch's mix was rendered again
