"""A relay's `connections` and `rate` hold for the whole fleet (Postgres only): real `digest worker`
processes, each with its own journal folder (a "host"), send through one real SMTP server on 127.0.0.1
that counts the connections open at once and notes when each message came. What a user (and their
provider) would notice: never more connections than the relay allows, never faster than its rate, one
copy per subscriber, and a slot a dead worker held goes to another once its lease runs out.
"""

from __future__ import annotations

import time
from collections import Counter

import psycopg
import pytest

from private_postgres import NEEDS_POSTGRES, postgres_server, postgres_url  # noqa: F401  (fixtures)
from test_workers import copies, done, fleet, rows, statuses, stop, wait_for, worker  # noqa: F401  (fixture)

pytestmark = [NEEDS_POSTGRES, pytest.mark.slow]


def most_in_a_window(times: list[float], seconds: float) -> int:
    """The most messages the receiver got within any `seconds` (from the times it noted)."""
    best, first = 0, 0
    for last, t in enumerate(times):
        while t - times[first] >= seconds:
            first += 1
        best = max(best, last - first + 1)
    return best


def test_one_connection_for_the_fleet_however_many_workers_and_jobs(fleet, run, smtp_env, tmp_path):
    url = fleet(20)
    assert run("send", "--yes").exit_code == 0
    # connections = 1, two workers of two jobs each: before the fleet's slots, four connections at once.
    a, log_a = worker(tmp_path, "a", "--concurrency", "2", DIGEST_RATE="20", DIGEST_CONNECTIONS="1")
    b, log_b = worker(tmp_path, "b", "--concurrency", "2", DIGEST_RATE="20", DIGEST_CONNECTIONS="1")
    try:
        wait_for(lambda: done(url, 20), 60, "every delivery is final", log_a, log_b)
    finally:
        stop(a, b)
    assert smtp_env.peak == 1, f"the relay saw {smtp_env.peak} connections at once"
    got = copies(smtp_env)
    assert len(got) == 20 and set(got.values()) == {1}, got
    assert statuses(url) == Counter(sent=20)
    assert rows(url, "SELECT count(*) FROM relay_slots WHERE owner IS NOT NULL") == [(0,)]   # all let go


def test_the_fleet_stays_under_the_relays_rate(fleet, run, smtp_env, tmp_path):
    url = fleet(30)
    assert run("send", "--yes").exit_code == 0
    rate, connections = 10, 2       # each of the 2 slots at 5 a second; four jobs of their own would make 40
    env = {"DIGEST_RATE": str(rate), "DIGEST_CONNECTIONS": str(connections)}
    a, log_a = worker(tmp_path, "a", "--concurrency", "2", **env)
    b, log_b = worker(tmp_path, "b", "--concurrency", "2", **env)
    try:
        wait_for(lambda: done(url, 30), 60, "every delivery is final", log_a, log_b)
    finally:
        stop(a, b)
    times = sorted(smtp_env.times)
    assert len(times) == 30 and set(copies(smtp_env).values()) == {1}
    overall = (len(times) - 1) / (times[-1] - times[0])
    assert overall <= rate * 1.1, f"{overall:.1f} messages a second, the relay allows {rate}"
    assert most_in_a_window(times, 1.0) <= rate + connections     # a second's share, plus one per connection
    assert smtp_env.peak <= connections


def test_a_dead_workers_slot_is_taken_over_once_its_lease_runs_out(fleet, run, smtp_env, tmp_path):
    url = fleet(6)
    assert run("send", "--yes").exit_code == 0
    relay = f"127.0.0.1:{smtp_env.port}"        # the one relay of DIGEST_SMTP_URL is known by host:port
    lease = 3.0
    with psycopg.connect(url, autocommit=True) as conn:     # its only slot, held by a worker on a host now gone
        conn.execute("INSERT INTO relay_slots (relay, slot, owner, lease_until) VALUES "
                     "(%s, 0, 'gone-host:4242:deadbeef:/var/lib/digest/journal', now() + make_interval(secs => %s))",
                     (relay, lease))
        held_from = time.monotonic()
    a, log_a = worker(tmp_path, "a", DIGEST_CONNECTIONS="1")
    try:
        wait_for(lambda: done(url, 6), 60, "every delivery is final", log_a)
    finally:
        stop(a)
    assert smtp_env.times[0] >= held_from + lease - 0.5, "a message went out while the dead worker's lease ran"
    got = copies(smtp_env)
    assert len(got) == 6 and set(got.values()) == {1}, got
    assert smtp_env.peak == 1
    assert rows(url, "SELECT slot, owner FROM relay_slots WHERE relay = %s", relay) == [(0, None)]


def test_a_killed_workers_slot_goes_at_once_to_a_worker_of_its_host(fleet, run, smtp_env, tmp_path):
    url = fleet(8)
    assert run("send", "--yes").exit_code == 0
    env = {"DIGEST_CONNECTIONS": "1", "DIGEST_WORKER_LEASE": "12"}
    a, log_a = worker(tmp_path, "a", DIGEST_RATE="4", **env)           # slow, so it dies mid-batch
    wait_for(lambda: statuses(url)["sent"] >= 1, 60, "the first worker has sent one", log_a)
    a.kill()
    a.wait()
    killed = time.monotonic()
    [(held, left)] = rows(url, "SELECT count(*), max(extract(epoch FROM lease_until - now()))::float FROM relay_slots "
                               "WHERE owner IS NOT NULL AND lease_until > now()")
    assert held == 1 and left > 7
    before = len(smtp_env.times)
    again, log_again = worker(tmp_path, "a", **env)          # its host: the dead pid's slot is free at once
    try:
        wait_for(lambda: done(url, 8), 60, "the restarted worker finished", log_again)
    finally:
        stop(again)
    assert smtp_env.times[before] < killed + left, "the restarted worker waited out the dead worker's lease"
    assert set(copies(smtp_env).values()) == {1}
    assert smtp_env.peak == 1


def test_a_batch_waiting_out_a_retry_lets_its_connection_go_to_the_next_batch(fleet, run, smtp_env, tmp_path):
    url = fleet(8)
    assert run("send", "--yes").exit_code == 0
    smtp_env.greylist = "reader000@"        # the first row of the first batch: a 451, then accepted
    a, log_a = worker(tmp_path, "a", "--concurrency", "2", DIGEST_CONNECTIONS="1", DIGEST_RETRY_BASE="6")
    try:
        wait_for(lambda: statuses(url)["sent"] == 8, 60, "every subscriber has theirs", log_a)
    finally:
        stop(a)
    order = [rcpts[0] for rcpts, _ in smtp_env.messages]
    assert len(order) == 8 and len(set(order)) == 8
    assert smtp_env.attempts["reader000@example.org"] == 2
    # The other batch did not wait for the first one's back-off (3 to 6 s): it went while reader000 waited.
    assert order[-1] == "reader000@example.org", order
    assert smtp_env.peak == 1
