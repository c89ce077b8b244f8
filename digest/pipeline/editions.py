"""Editions: name them (edition_key, local_today) and plan them: one pending delivery row per due
subscriber whose digest would not be empty, written PLAN_BATCH subscribers at a time (_Planner).

May import select, message, config/models/store; nothing else in digest.pipeline (it is the
bottom of the package: bodies, delivery, lists and schedule import it).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

from .. import message, select
from ..config import Config
from ..models import Subscriber
from ..store import Store, now

def edition_key(frequency: str, day: dt.date) -> str:
    return f"{frequency}-{day.isoformat()}"


def local_today(cfg: Config, at: dt.datetime) -> dt.date:
    return at.astimezone(zoneinfo.ZoneInfo(cfg.timezone)).date()


PLAN_BATCH = 2000       # subscribers per planning step: one query reads them, one transaction writes their rows
EMPTY_SAMPLE = 100      # Plan.empty_ids keeps at most this many ids; skipped_empty counts them all


@dataclass
class Plan:
    """An edition ready to send: its id and key, and how many delivery rows were written for it."""
    edition_id: int
    key: str
    date: dt.date
    created: int
    skipped_empty: int
    # The first EMPTY_SAMPLE subscribers under min_items, for messages: an edition of 100,000 must
    # not carry 100,000 ids. The scheduler closes empty slots batch by batch instead (_Planner).
    empty_ids: list[int] = field(default_factory=list)


class _Planner:
    """Plans one edition a batch of subscribers at a time, so memory follows the batch, not the list.

    Per batch: one query for the watermarks, one transaction for the delivery rows (and, for the
    scheduler, the empty slots). Articles are counted once per (mix, since) for the whole edition.
    """

    def __init__(self, store: Store, cfg: Config, *, frequency: str, day: dt.date, at: dt.datetime,
                 min_items: int, close_empty: bool = False):
        self.store, self.cfg, self.at, self.close_empty = store, cfg, at, close_empty
        self.floor = max(min_items, 1)
        key = edition_key(frequency, day)
        self.plan = Plan(store.edition(key, frequency, day), key, day, 0, 0)
        self.counts: dict[tuple[str, int], int] = {}
        # Every window of this edition ends at the last article stored now, by ingest order (not by
        # the clock, which may step back): one stored later falls in the next window, never in none.
        self.until_seq = store.ingest_seq()
        self.first_seq: dict[dt.datetime, int] = {}

    def add(self, subs: list[Subscriber]) -> None:
        ids = [sub.id for sub in subs]
        plan, marks, seqs = self.plan, self.store.watermarks(ids), self.store.seq_watermarks(ids)
        rows, empty = [], []
        for sub in subs:
            since, until = select.window(sub, marks.get(sub.id), self.at)
            since_seq = seqs.get(sub.id)
            if since_seq is None:       # a first digest: everything stored after its time window opened
                if since not in self.first_seq:
                    self.first_seq[since] = self.store.seq_after(since)
                since_seq = self.first_seq[since]
            mix = select.mix_key(sub.topics)
            n = self.counts.get((mix, since_seq))
            if n is None:
                n = self.counts[(mix, since_seq)] = self.store.count_articles_between(
                    sub.topics, since, until, since_seq=since_seq, until_seq=self.until_seq)
            if n < self.floor:
                empty.append(sub.id)
                continue
            rows.append(dict(edition_id=plan.edition_id, subscriber_id=sub.id, mix=mix, since=since, until=until,
                             since_seq=since_seq, until_seq=self.until_seq,
                             message_id=message.message_id(plan.key, sub.id, self.cfg.domain)))
        plan.created += self.store.plan_batch(rows, empty_ids=empty, at=self.at,
                                              empty_key=plan.key if self.close_empty else None)
        plan.skipped_empty += len(empty)
        plan.empty_ids.extend(empty[:max(0, EMPTY_SAMPLE - len(plan.empty_ids))])


def plan_edition(store: Store, cfg: Config, *, frequency: str = "daily", at: dt.datetime | None = None,
                 subscribers: Iterable[Subscriber] | None = None, min_items: int = 1,
                 day: dt.date | None = None) -> Plan:
    """Write a pending delivery row for every due subscriber whose digest would not be empty.

    The window (since, until) is fixed in the row, so a resumed send renders exactly what the
    interrupted one would have. `day` names the edition (the scheduler passes the subscribers'
    local date of their slot); by default it is today in the configured timezone. Due subscribers
    are read from the store PLAN_BATCH at a time and their rows written batch by batch: a list of
    100,000 is never in memory at once.
    """
    at = at or now()
    planner = _Planner(store, cfg, frequency=frequency, day=day or local_today(cfg, at), at=at, min_items=min_items)
    if subscribers is None:
        batches = store.iter_due_subscribers(planner.plan.edition_id, frequency, batch=PLAN_BATCH)
    else:
        batches = _batches(subscribers, PLAN_BATCH)
    for batch in batches:
        planner.add(batch)
    return planner.plan


def _batches(items: Iterable, size: int) -> Iterable[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
