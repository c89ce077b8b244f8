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


def test_planning_counts_each_mix_as_the_store_does(tmp_path, sink):
    """Planning counts every mix from the window's topic sets in memory: each count must be the
    store's own window for that mix (db.articles.between) (a story filed under three topics counted once, a
    removed story not at all), and a mix under min_items gets no delivery."""
    from digest.pipeline.sending import _Counter
    w = World(tmp_path, sink)
    w.store.topics.add("Politics")
    for minute, label in ((0, "World"), (10, "Europe"), (20, "Europe"), (30, "Politics"), (40, "Politics")):
        w.news(utc(f"2026-11-24T04:{minute:02d}:00+00:00"), label=label)
    arts = w.store.articles.live()
    w.store.articles.file_under(arts[2].id, "World")
    w.store.articles.file_under(arts[2].id, "Politics")
    w.store.articles.remove([arts[4].id], utc("2026-11-24T05:00:00+00:00"))
    mixes = [("World",), ("Europe",), ("Politics",), ("World", "Europe"), ("Europe", "Politics")]
    for i, topics in enumerate(mixes):
        w.subscribe(f"mix{i}@example.org", topics=topics)
    at, since = utc("2026-11-24T07:00:00+00:00"), utc("2026-11-23T07:00:00+00:00")
    counter = _Counter(w.store, w.cfg, frequency="daily", at=at)
    seq = counter.since_seq(since, None)
    counts = {}
    for sub in w.store.subscribers.listed():
        counts[tuple(sub.topics)] = counter.count(sub, since, at, seq)
        assert counts[tuple(sub.topics)] == len(w.store.articles.between(
            sub.topics, since, at, since_seq=seq, until_seq=counter.until_seq)), sub.topics
    assert counts[("World",)] == 2 and counts[("Politics",)] == 2      # the shared story, once; the removed one, never
    assert counts[("Europe", "Politics")] == 3
    plan = pipeline.plan_edition(w.store, w.cfg, at=at, min_items=3)
    assert (plan.created, plan.skipped_empty) == (2, 3)     # Europe+World and Europe+Politics reach 3
