"""Sending, the one use case behind `digest send`, the scheduler's digest job and `digest demo`:
finish what earlier editions left (rows still pending, deferred, or claimed by a sender that died),
plan, then send what was planned. Also: failed deliveries sent again on request, and a dry run.
May import: clock, config, db, errors, models, selection.select, selection.slots, smtp,
and .editions/.fleet/.send_edition/.tally.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from ..clock import now
from ..config import Config, RelaySettings
from ..db import Database
from ..errors import DigestError, NotFound
from ..models import Edition
from ..selection import select
from ..selection.slots import DigestSchedule
from ..smtp import UNCERTAIN_REASONS, Outcome
from . import fleet
from .editions import Plan, Planner, edition_key, local_today, plan_due_slots, plan_edition, plan_special, special_key
from .send_edition import send_edition
from .tally import Tally

# What `resend_uncertain` takes besides True: "all", or one reason (smtp.UNCERTAIN_REASONS; the
# README says which is safe to resend).
RESEND_UNCERTAIN = ("all", *UNCERTAIN_REASONS)


@dataclass
class SendReport:
    leftovers: list[tuple[str, Tally]] = field(default_factory=list)   # earlier editions finished first
    sent: list[tuple[Plan, Tally]] = field(default_factory=list)       # the editions planned now, as sent
    due: int = 0                # the scheduler: subscribers whose latest slot had no delivery yet
    planned: int = 0            # delivery rows written in this pass
    queued: list[tuple[Plan, int]] | None = None     # [worker] queue: each edition planned, and its jobs queued
    empty: int = 0              # due but under min_items: skipped, the items wait for the next slot
    stopped: bool = False
    # What ended the pass early: a run that stopped after doing what it could (its tally is the last
    # one, with the same error), or one that could not start or write (no tally of its own).
    error: DigestError | None = None
    tally: Tally = field(default_factory=Tally)          # every run of the pass, merged
    edition_tally: Tally = field(default_factory=Tally)  # the runs of the editions planned now, merged

    @property
    def editions(self) -> list[str]:
        return [plan.key for plan, _ in self.sent]

    @property
    def resumed(self) -> list[str]:
        return [key for key, _ in self.leftovers]


def send(db: Database, cfg: Config, relays: list[RelaySettings], *, frequency: str | None = "daily",
         schedule: DigestSchedule | None = None, at: dt.datetime | None = None,
         should_stop: Callable[[], bool] | None = None, progress: Callable[[int, int], None] | None = None,
         on_message: Callable[[Outcome], None] | None = None, resend_uncertain: bool | str = False,
         force: bool = False, special: str | None = None) -> SendReport:
    """Retry earlier editions' leftovers (up to their deadline, whatever day it is), plan, send.

    Without `schedule`: today's edition of `frequency`, as `digest send` and the demo do; its own
    leftovers are sent with it, after planning. With `schedule` (the scheduler): every frequency's
    leftovers, then every subscriber whose slot is due at `at` (editions.plan_due_slots); an empty
    pass sends nothing. With `special` (a title): every edition's leftovers, then the special edition
    of that title (editions.plan_special). New windows are planned after the leftovers, so they start
    where those ended.
    """
    stop = should_stop or (lambda: False)
    at = at or now()
    report = SendReport()
    if cfg.worker.queue and db.dialect == "postgres":
        return _queue(db, cfg, report, frequency=frequency, schedule=schedule, at=at, special=special, stop=stop)
    today = None
    if special is not None:
        special = check_title(special)
        today = special_key(special, local_today(cfg, at))
    elif schedule is None:
        if frequency is None:
            raise ValueError("send: give a frequency (digest send) or a schedule (the scheduler)")
        today = edition_key(frequency, local_today(cfg, at))
    for edition in db.editions.with_leftovers(None if schedule or special else frequency):
        if edition.key == today:
            continue
        if stop():
            report.stopped = True
            return report
        try:
            tally = send_edition(db, cfg, Plan(edition.id, edition.key, edition.date), relays,
                                 should_stop=should_stop, progress=progress, on_message=on_message, force=force)
        except DigestError as exc:      # it could not start, or may not write: no tally of its own
            report.error = exc
            return report
        report.leftovers.append((edition.key, tally))
        report.tally.merge(tally)
        if tally.error is not None:
            report.error = tally.error
            return report
    if special is not None:
        plans = [plan_special(db, cfg, special, at=at)]
    elif schedule is not None:
        slots = plan_due_slots(db, cfg, schedule, at, should_stop=stop)
        plans, report.due, report.stopped = slots.plans, slots.due, slots.stopped
    else:
        assert frequency is not None, "checked above"
        plans = [plan_edition(db, cfg, frequency=frequency, at=at)]
    for plan in plans:
        report.planned += plan.created
        report.empty += plan.skipped_empty
        if schedule is not None and (not plan.created or report.stopped):
            continue
        if stop():
            report.stopped = True
            continue
        try:
            tally = send_edition(db, cfg, plan, relays, should_stop=should_stop, progress=progress,
                                 on_message=on_message, resend_uncertain=resend_uncertain, force=force)
        except DigestError as exc:
            report.error = exc
            break
        report.sent.append((plan, tally))
        report.tally.merge(tally)
        report.edition_tally.merge(tally)
        if tally.error is not None:
            report.error = tally.error
            break
    report.stopped = report.stopped or stop()
    return report


def _queue(db: Database, cfg: Config, report: SendReport, *, frequency: str | None, schedule: DigestSchedule | None,
           at: dt.datetime, special: str | None, stop: Callable[[], bool]) -> SendReport:
    """[worker] queue on Postgres: plan into batches and queue one job per batch for `digest worker`,
    sending nothing here. Planned again (a second `digest send`, a scheduler on every host), it adds no
    row and no second job; a batch left without a job (planned, then this process died) is queued now."""
    if special is not None:
        plans = [plan_special(db, cfg, check_title(special), at=at)]
    elif schedule is not None:
        slots = plan_due_slots(db, cfg, schedule, at, should_stop=stop)
        plans, report.due, report.stopped = slots.plans, slots.due, slots.stopped
    else:
        plans = [plan_edition(db, cfg, frequency=frequency or "daily", at=at)]
    report.queued = []
    for plan in plans:
        report.planned += plan.created
        report.empty += plan.skipped_empty
        waiting = [b.id for b in db.batches.of_edition(plan.edition_id) if b.status != "done" and b.job_id is None]
        report.queued.append((plan, fleet.queue_batches(db, cfg, waiting)))
    return report


def check_title(title: str) -> str:
    """A special edition's title, one line; it is the Subject of every message."""
    title = " ".join(title.split())
    if not title:
        raise DigestError("A special edition needs a title: it is the Subject of every message.",
                          'Example: digest send --special "Breaking: parliament dissolved"')
    return title


def waiting(db: Database, cfg: Config, frequency: str, special: str | None = None) -> int:
    """How many messages `digest send` would send now: rows already due, and subscribers to plan
    (for a special edition: only those with a story not yet sent to them)."""
    if special is not None:
        return sum(count for _, _, count in dry_run(db, cfg, frequency, special=special).mixes)
    key = edition_key(frequency, local_today(cfg, now()))
    edition_id = db.editions.id_of(key)
    queued = db.deliveries.count_due(edition_id, now()) if edition_id else 0
    return queued + db.editions.count_due_subscribers(edition_id if edition_id else -1, frequency)


# ---- failed deliveries, on request ------------------------------------------------------------

def failed_editions(db: Database, edition_key: str | None = None, *, must_exist: bool = True) -> list[Edition]:
    """Editions with failed deliveries (or just KEY), each with how many `retry_failed` would send."""
    editions = db.deliveries.failed_by_edition(edition_key)
    if must_exist and edition_key and db.editions.id_of(edition_key) is None:
        raise NotFound(f"Edition {edition_key} does not exist.",
                       "See the editions with `digest deliveries list --status failed`.")
    return editions


def retry_failed(db: Database, cfg: Config, relays: list[RelaySettings], editions: list[Edition], *,
                 progress: Callable[[int, int], None] | None = None, force: bool = False) -> SendReport:
    """Put each edition's failed deliveries back in the queue once and send them, under the same
    lease, journal and ledger as any send; it plans no new edition. Stops at a run's error."""
    report = SendReport()
    for edition in editions:
        if not edition.requeueable:
            continue
        plan = Plan(edition.id, edition.key, edition.date)
        try:
            tally = send_edition(db, cfg, plan, relays, progress=progress, retry_failed=True, force=force)
        except DigestError as exc:
            report.error = exc
            break
        report.sent.append((plan, tally))
        report.tally.merge(tally)
        if tally.error is not None:
            report.error = tally.error
            break
    return report


# ---- what a send would do -----------------------------------------------------------------------

@dataclass
class DryRun:
    key: str
    mixes: list[tuple[str, int, int]]   # (topic mix, most articles in one window, recipients)
    already: int                        # subscribers who had this edition
    empty: int                          # subscribers with no new articles since their last digest


def dry_run(db: Database, cfg: Config, frequency: str, *, special: str | None = None) -> DryRun:
    """Who would get what in today's edition (or the special edition of that title), planned as
    plan_edition (plan_special) would and never written: one count per (topic mix, window), the list
    streamed, never whole in memory."""
    at = now()
    key = special_key(check_title(special), local_today(cfg, at)) if special is not None else \
        edition_key(frequency, local_today(cfg, at))
    edition_id = db.editions.id_of(key)
    planner = _Counter(db, cfg, frequency=frequency, at=at, special=special is not None)
    mixes: dict[str, list[int]] = {}
    empty = 0
    for batch in db.editions.due_subscribers(edition_id or -1, None if special is not None else frequency):
        marks, seqs = db.editions.watermarks(s.id for s in batch), db.editions.seq_watermarks(s.id for s in batch)
        for sub in batch:
            since, until = select.window(sub, marks.get(sub.id), at)
            since_seq = planner.since_seq(since, seqs.get(sub.id))
            n = planner.count(sub, since, until, since_seq)
            if n == 0 or not planner.has_news(sub, since, until, since_seq):
                empty += 1
                continue
            entry = mixes.setdefault(select.subscriber_mix(sub, cfg.language), [0, 0])
            entry[0] = max(entry[0], n)
            entry[1] += 1
    already = db.deliveries.counts(edition_id).get("sent", 0) if edition_id else 0
    return DryRun(key, [(mix, n, count) for mix, (n, count) in sorted(mixes.items())], already, empty)


class _Counter(Planner):
    """A Planner's window arithmetic without its edition row: a dry run writes nothing."""

    def __init__(self, db: Database, cfg: Config, *, frequency: str, at: dt.datetime, special: bool = False):
        self.db, self.cfg, self.at = db, cfg, at
        self.news_after = (db.editions.sent_seq() or 0) if special else None
        self.counts, self.first_seq, self.sets = {}, {}, {}
        self.until_seq = db.articles.last_seq()
