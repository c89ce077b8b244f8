"""Editions: name them (edition_key, special_key, local_today) and plan them: one pending delivery row
per due subscriber whose digest would not be empty, written PLAN_BATCH subscribers at a time
(Planner), for `digest send` (today's edition of one frequency, or a special edition) and for the
scheduler (every slot due now). A delivery's mix names the subscriber's language when it is not the
newsletter's (select.subscriber_mix: "Europe+World@de"), so the edition is planned per (topic mix,
language) and every stage that groups by mix renders, claims and counts per (mix, language). On
Postgres the rows are written in batches of [worker] batch_size (digest.db.batches), in the same
transaction, for `digest worker`; SQLite's rows have none.
May import: clock, config, db, selection.freshness, compose.message, models, selection.select, selection.slots.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..clock import now
from ..compose import message
from ..config import Config
from ..db import Database
from ..models import Delivery, Subscriber, slugify
from ..selection import freshness, select
from ..selection.slots import DigestSchedule, Slot


def edition_key(frequency: str, day: dt.date) -> str:
    return f"{frequency}-{day.isoformat()}"


def special_key(title: str, day: dt.date) -> str:
    """A special edition's key: its day and its title, so that the same special sent again is the same
    edition (its ledger says who has it) and another title the same day is another edition."""
    return f"special-{day.isoformat()}-{slugify(title)[:60].rstrip('-')}"


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
    created: int = 0
    skipped_empty: int = 0
    # The first EMPTY_SAMPLE subscribers under min_items, for messages: an edition of 100,000 must
    # not carry 100,000 ids. The scheduler closes empty slots batch by batch instead (Planner).
    empty_ids: list[int] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)    # on Postgres: the batches its rows were written in


class Planner:
    """Plans one edition a batch of subscribers at a time, so memory follows the batch, not the list.

    Per batch: one query for the watermarks, one transaction for the delivery rows (and, for the
    scheduler, the empty slots). The articles of a window are read once, as how many carry each set of
    topics, and every mix is counted from those in memory: planning does not query once per topic mix.
    """

    def __init__(self, db: Database, cfg: Config, *, frequency: str, day: dt.date, at: dt.datetime,
                 min_items: int, close_empty: bool = False, title: str | None = None):
        self.db, self.cfg, self.at, self.close_empty = db, cfg, at, close_empty
        # A special edition goes only to those with a story no edition has carried yet (news_after).
        self.news_after = (db.editions.sent_seq() or 0) if title else None
        self.floor = max(min_items, 1)
        key = special_key(title, day) if title else edition_key(frequency, day)
        self.plan = Plan(db.editions.ensure(key, "special" if title else frequency, day, title), key, day)
        self.counts: dict[tuple, int] = {}
        self.sets: dict[tuple, dict[frozenset[str], int]] = {}
        # Every window of this edition ends at the last article stored now, by ingest order (not by
        # the clock, which may step back): one stored later falls in the next window, never in none.
        self.until_seq = db.articles.last_seq()
        self.first_seq: dict[dt.datetime, int] = {}

    def since_seq(self, since: dt.datetime, mark: int | None) -> int:
        """Where a window starts in ingest order: the last digest's end, or for a first digest
        everything stored after its time window opened."""
        if mark is not None:
            return mark
        if since not in self.first_seq:
            self.first_seq[since] = self.db.articles.seq_after(since)
        return self.first_seq[since]

    def count(self, sub: Subscriber, since: dt.datetime, until: dt.datetime, since_seq: int) -> int:
        """The articles the subscriber's digest would show (len(db.articles.between(...)) of the window,
        stale ones (freshness.cutoff) left out, so that a window holding only those plans no empty
        digest), counted from the window's topic sets."""
        mix, fresh = select.mix_key(sub.topics), freshness.cutoff(since, self.cfg.max_age_days)
        n = self.counts.get((mix, since_seq, until, fresh))
        if n is None:
            sets = self.sets.get((since_seq, until, fresh))
            if sets is None:
                if len(self.sets) >= 64:    # watermarks are few; a long tail of old ones is read again
                    self.sets.clear()
                sets = self.sets[(since_seq, until, fresh)] = {}
                every = [t.name for t in self.db.topics.all()]
                for names, k in self.db.articles.topic_sets_between(every, since, until, since_seq=since_seq,
                                                                    until_seq=self.until_seq, fresh_after=fresh):
                    key = frozenset(t.casefold() for t in names)
                    sets[key] = sets.get(key, 0) + k
            mine = {t.casefold() for t in sub.topics}     # topic names compare as NOCASE
            n = self.counts[(mix, since_seq, until, fresh)] = sum(k for s, k in sets.items() if not mine.isdisjoint(s))
        return n

    def has_news(self, sub: Subscriber, since: dt.datetime, until: dt.datetime, since_seq: int) -> bool:
        """For a special edition: does the subscriber's window hold a story no edition carried yet? (The
        window itself still starts where their last digest ended, so nothing in between is lost.)"""
        return self.news_after is None or self.count(sub, since, until, max(since_seq, self.news_after)) > 0

    def add(self, subs: list[Subscriber]) -> None:
        ids = [sub.id for sub in subs]
        plan, marks, seqs = self.plan, self.db.editions.watermarks(ids), self.db.editions.seq_watermarks(ids)
        rows, empty = [], []
        for sub in subs:
            since, until = select.window(sub, marks.get(sub.id), self.at)
            since_seq = self.since_seq(since, seqs.get(sub.id))
            if self.count(sub, since, until, since_seq) < self.floor or not self.has_news(sub, since, until, since_seq):
                empty.append(sub.id)
                continue
            mix = select.subscriber_mix(sub, self.cfg.language)
            rows.append(Delivery(0, plan.edition_id, sub.id, "pending", mix, since, until,
                                 message.message_id(plan.key, sub.id, self.cfg.domain), since_seq=since_seq,
                                 until_seq=self.until_seq))
        with self.db.transaction():      # the batch's rows and, for the scheduler, its empty slots
            if rows and self.db.dialect == "postgres":      # cut into batches for `digest worker`
                created, batches = self.db.batches.plan(plan.edition_id, rows, self.cfg.worker.batch_size)
                plan.created += created
                plan.batches.extend(batches)
            elif rows:
                plan.created += self.db.deliveries.create(rows)
            if self.close_empty and empty:
                self.db.editions.close_empty_slots(empty, plan.key, self.at)
        plan.skipped_empty += len(empty)
        plan.empty_ids.extend(empty[:max(0, EMPTY_SAMPLE - len(plan.empty_ids))])


def plan_edition(db: Database, cfg: Config, *, frequency: str = "daily", at: dt.datetime | None = None,
                 subscribers: Iterable[Subscriber] | None = None, min_items: int = 1,
                 day: dt.date | None = None) -> Plan:
    """Write a pending delivery row for every due subscriber whose digest would not be empty.

    The window (since, until) is fixed in the row, so a resumed send renders exactly what the
    interrupted one would have. `day` names the edition; by default it is today in the configured
    timezone. Due subscribers are read PLAN_BATCH at a time and their rows written batch by batch:
    a list of 100,000 is never in memory at once.
    """
    at = at or now()
    planner = Planner(db, cfg, frequency=frequency, day=day or local_today(cfg, at), at=at, min_items=min_items)
    batches = (db.editions.due_subscribers(planner.plan.edition_id, frequency, batch=PLAN_BATCH)
               if subscribers is None else _batches(subscribers, PLAN_BATCH))
    for batch in batches:
        planner.add(batch)
    return planner.plan


def plan_special(db: Database, cfg: Config, title: str, *, at: dt.datetime | None = None) -> Plan:
    """A special edition: a pending row for every active subscriber, whatever their schedule, whose
    topics hold a story no edition has carried yet. Their window starts where their last digest
    ended, so a subscriber whose regular digest is not due yet gets what it would have held too.
    Planned again, it adds nobody: who has it is in its ledger, and everyone else's window is empty."""
    at = at or now()
    planner = Planner(db, cfg, frequency="special", day=local_today(cfg, at), at=at, min_items=1, title=title)
    for batch in db.editions.due_subscribers(planner.plan.edition_id, None, batch=PLAN_BATCH):
        planner.add(batch)
    return planner.plan


def _before_sign_up(sub: Subscriber, slot: Slot) -> bool:
    """A weekly subscriber's first digest is their first slot after they signed up, not the one before
    (which could be six days old: a "weekly" at once, then another on weekly_on). A daily subscriber
    who signs up after today's slot does get today's digest at the next tick: it covers the last day,
    as their first slot would, and waiting up to 24 hours for it would help nobody."""
    return slot.frequency == "weekly" and sub.created_at is not None and slot.at < sub.created_at


@dataclass
class SlotPlans:
    """The scheduler's planning at one instant: the editions it wrote rows for, in date order."""
    plans: list[Plan] = field(default_factory=list)
    due: int = 0                        # subscribers whose latest slot had no delivery yet
    stopped: bool = False


def plan_due_slots(db: Database, cfg: Config, schedule: DigestSchedule, at: dt.datetime, *,
                   should_stop: Callable[[], bool] = lambda: False) -> SlotPlans:
    """Plan every subscriber whose slot is due at `at`, a batch of candidates at a time.

    Due = their most recent slot at or before `at` has no delivery row yet and was not found empty
    (under min_items: that slot is closed, the items roll over to the next), and, for a weekly
    subscriber, came after they signed up. A stop mid-planning leaves pending rows: the next pass
    resumes them.
    """
    out = SlotPlans()
    planners: dict[tuple[dt.date, str], Planner] = {}
    for batch in db.editions.due_subscribers(None, batch=PLAN_BATCH):
        if should_stop():
            out.stopped = True
            break
        slotted = [(sub, slot) for sub in batch if (slot := schedule.slot_for(sub, at)) is not None
                   and not _before_sign_up(sub, slot)]
        done = db.editions.handled_slots([sub.id for sub, _ in slotted], {slot.key for _, slot in slotted})
        groups: dict[tuple[dt.date, str], list[Subscriber]] = {}
        for sub, slot in slotted:
            if (sub.id, slot.key) not in done:
                groups.setdefault((slot.day, slot.frequency), []).append(sub)
        for (day, frequency), subs in sorted(groups.items()):
            out.due += len(subs)
            if (day, frequency) not in planners:
                # close_empty: an empty slot is closed, its items roll over to the next slot, not to some hour of today
                planners[(day, frequency)] = Planner(db, cfg, frequency=frequency, day=day, at=at,
                                                     min_items=schedule.min_items, close_empty=True)
            planners[(day, frequency)].add(subs)
    out.plans = [planner.plan for _, planner in sorted(planners.items(), key=lambda kv: kv[0])]
    return out


def _batches(items: Iterable, size: int) -> Iterable[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
