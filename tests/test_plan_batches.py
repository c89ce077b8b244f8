"""Planning in batches (issue 5: a list of 100,000 is never in memory at once).

The batch size is shrunk to 2 so five subscribers span three batches: everyone still gets exactly
one digest per slot, each with their own window, and empty slots are closed across batch edges.
Real SQLite, real aiosmtpd Sink; the clock is an argument.
"""

from __future__ import annotations

import pytest

from digest import pipeline
from digest.pipeline import editions
from test_schedule import World, utc

EMAILS = [f"reader{i}@example.org" for i in range(5)]


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(editions, "PLAN_BATCH", 2)
    monkeypatch.setattr(editions, "EMPTY_SAMPLE", 2)


def test_every_subscriber_gets_one_digest_per_slot_across_batches(tmp_path, sink):
    w = World(tmp_path, sink, send_at="07:00", timezone="UTC")
    for i, email in enumerate(EMAILS):
        w.subscribe(email, topics=("World", "Europe") if i % 2 else ("World",))
    first = w.news(utc("2026-11-24T05:00:00+00:00"))
    r = w.tick(utc("2026-11-24T07:00:00+00:00"))
    assert (r.due, r.planned, r.tally.sent) == (5, 5, 5)
    assert w.tick(utc("2026-11-24T08:00:00+00:00")).due == 0        # nobody twice
    second = w.news(utc("2026-11-25T05:00:00+00:00"))
    r = w.tick(utc("2026-11-25T07:00:00+00:00"))
    assert r.tally.sent == 5
    for email in EMAILS:
        day1, day2 = w.inbox(email)
        # Each batch read its own watermarks: day 2 starts where day 1 ended.
        assert first in day1 and second in day2 and first not in day2


def test_empty_slots_are_closed_in_every_batch(tmp_path, sink):
    w = World(tmp_path, sink, send_at="07:00", timezone="UTC", min_items=2)
    for email in EMAILS:
        w.subscribe(email)
    w.news(utc("2026-11-24T05:00:00+00:00"))
    r = w.tick(utc("2026-11-24T07:00:00+00:00"))
    assert (r.due, r.empty, r.tally.sent) == (5, 5, 0)
    w.news(utc("2026-11-24T09:00:00+00:00"))         # enough news now, but today's slot is closed for all five
    assert w.tick(utc("2026-11-24T10:00:00+00:00")).due == 0
    assert not w.sink.messages


def test_send_plans_everyone_once_and_keeps_only_a_sample_of_empty_ids(tmp_path, sink):
    w = World(tmp_path, sink)
    for email in EMAILS:
        w.subscribe(email)
    w.news(utc("2026-11-24T05:00:00+00:00"))
    at = utc("2026-11-24T07:00:00+00:00")
    plan = pipeline.plan_edition(w.store, w.cfg, at=at)
    assert (plan.created, plan.skipped_empty) == (5, 0)
    assert pipeline.plan_edition(w.store, w.cfg, at=at).created == 0       # idempotent
    empty = pipeline.plan_edition(w.store, w.cfg, at=at, frequency="weekly", min_items=5,
                                  subscribers=w.store.subscribers.listed())
    assert (empty.created, empty.skipped_empty, len(empty.empty_ids)) == (0, 5, 2)
