"""The scheduler's operations (issue 7; owner: scheduler, called by digest/scheduler.py): ingest
watched folders and feeds, and send every subscriber whose slot is due, once.

May import feeds, watch, ingest, summarize, config/errors/models/send/store, and .articles,
.editions and .delivery; not preview or lists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .. import ingest, summarize
from ..config import Config, SummarySettings
from ..errors import ParseError
from ..models import Subscriber
from ..send import Outcome, Relay
from ..store import Store, now
from . import editions   # PLAN_BATCH is read through the module, so a patched value takes effect
from .articles import IngestReport, cluster_recent, store_article
from .delivery import Tally, send_edition
from .editions import Plan, _Planner

@dataclass
class SourcesReport(IngestReport):
    """One ingest run over watched folders and feeds."""
    files: int = 0                      # files read from watched folders (then moved to done/ or failed/)
    feeds: int = 0                      # feeds that had something new
    feeds_unchanged: int = 0            # 304 Not Modified, or the same file as last time
    feed_errors: list[ParseError] = field(default_factory=list)


def ingest_sources(store: Store, folders: Iterable[Path], feed_specs: Iterable, *, at: dt.datetime | None = None,
                   base_dir: Path | None = None, settings: SummarySettings | None = None,
                   folder_sources: dict[Path, str] | None = None) -> SourcesReport:
    """Ingest new files from watched folders and new entries from feeds, all stamped `at`.

    A file is moved to done/ once its articles are stored (to failed/ when none could be read);
    a feed keeps its ETag/Last-Modified so an unchanged one costs a 304. A bad file, entry or feed
    is reported and never stops the others. `folder_sources` names the outlet of a folder's
    articles (a JSON Lines `source` of their own wins); a feed's title is its entries' outlet.
    """
    settings = settings or SummarySettings()
    folder_sources = folder_sources or {}
    from .. import feeds, watch
    at = at or now()
    report = SourcesReport()
    aliases = store.alias_map()
    vocabulary = set(aliases)
    df: summarize.DocFreq | None = None

    def keep(art) -> None:
        nonlocal df
        if df is None:      # built only when something arrived: the scan itself stays cheap
            df = summarize.DocFreq.from_texts(store.all_bodies())
        store_article(store, art, aliases, df, at=at, report=report, settings=settings)

    for folder in folders:
        outlet = folder_sources.get(Path(folder))
        for path in watch.new_files(Path(folder)):
            good, bad = 0, []
            for item in ingest.read_path(path, vocabulary):
                if isinstance(item, ParseError):
                    bad.append(item)
                else:
                    item.source = item.source or outlet
                    keep(item)
                    good += 1
            report.errors += bad
            report.files += 1
            try:
                watch.file_away(Path(folder), path, watch.DONE if good or not bad else watch.FAILED)
            except OSError as exc:
                report.errors.append(ParseError(f"{path}: read, but cannot be moved out of the watched folder "
                                                f"({exc.strerror}); it will be read again",
                                                "Make the folder writable by the scheduler."))
    for spec in feed_specs:
        state = store.feed_state(spec.url)
        try:
            got = feeds.fetch(spec, etag=state["etag"] if state else None,
                              modified=state["modified"] if state else None, base_dir=base_dir)
        except ParseError as exc:
            store.record_feed(spec.url, at=at, error=str(exc))
            report.feed_errors.append(exc)
            continue
        if got.entries is None:
            store.record_feed(spec.url, at=at, keep_validators=True)
            report.feeds_unchanged += 1
            continue
        for art in got.entries:
            keep(art)
        report.errors += got.errors
        report.feeds += 1
        store.record_feed(spec.url, at=at, etag=got.etag, modified=got.modified, entries=len(got.entries))
    if report.added or report.updated:
        # The same story from a watched folder and a feed is one item, as with `articles ingest`.
        cluster_recent(store, at=at, touched=report.added + report.updated,
                       window=dt.timedelta(hours=settings.cluster_window_hours))
    return report


@dataclass
class DueReport:
    """One pass of the digest job at one instant."""
    due: int = 0                        # subscribers whose latest slot had no delivery yet
    planned: int = 0                    # delivery rows written in this pass
    empty: int = 0                      # due but under min_items: skipped, the items wait for the next slot
    editions: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)    # editions whose interrupted send was finished
    tally: Tally = field(default_factory=Tally)
    stopped: bool = False


def _add_tally(into: Tally, t: Tally) -> None:
    for name in ("sent", "skipped", "deferred", "bounced", "failed", "uncertain"):
        setattr(into, name, getattr(into, name) + getattr(t, name))
    for reply, n in t.reasons.items():
        into.reasons[reply] = into.reasons.get(reply, 0) + n
    for mix, report in t.lint.items():
        if mix not in into.lint or report.size_bytes > into.lint[mix].size_bytes:
            into.lint[mix] = report
    for mix, stats in t.by_mix.items():
        mine = into.by_mix.setdefault(mix, {"articles": stats["articles"], "recipients": 0, "sent": 0})
        mine["recipients"] += stats["recipients"]
        mine["sent"] += stats["sent"]


def _before_sign_up(sub: Subscriber, slot) -> bool:
    """A weekly subscriber's first digest is their first slot after they signed up, not the one before
    (which could be six days old: a "weekly" at once, then another on weekly_on). A daily subscriber
    who signs up after today's slot does get today's digest at the next tick: it covers the last day,
    as their first slot would, and waiting up to 24 hours for it would help nobody."""
    return slot.frequency == "weekly" and sub.created_at is not None and slot.at < sub.created_at


def run_due(store: Store, cfg: Config, schedule, at: dt.datetime, relay_factory: Callable[[], Relay], *,
            should_stop: Callable[[], bool] | None = None,
            on_message: Callable[[Outcome], None] | None = None) -> DueReport:
    """Send every subscriber whose slot (schedule: a slots.DigestSchedule) is due at `at`, once.

    Due = their most recent slot at or before `at` has no delivery row yet and was not found empty
    (under min_items: that slot is closed, the items roll over to the next), and, for a weekly
    subscriber, came after they signed up (_before_sign_up). A digest Gmail would clip is sent all
    the same (force; there is nobody to ask) and its lint warning logged. So after days of
    downtime only the latest slot is sent, and its window starts at the subscriber's watermark:
    one digest covers the whole gap. Interrupted sends are finished first, so a new window never
    overlaps one that was planned but not yet sent.
    """
    stop = should_stop or (lambda: False)
    report = DueReport()
    for row in store.editions_with_pending():
        if stop():
            report.stopped = True
            return report
        plan = Plan(row["id"], row["key"], dt.date.fromisoformat(row["date"]), 0, 0)
        _add_tally(report.tally, send_edition(store, cfg, plan, relay_factory, should_stop=stop, on_message=on_message,
                                                      force=True))
        report.resumed.append(row["key"])
    # Plan every due slot first, a batch of candidates at a time (memory follows the batch), then
    # send edition by edition. A stop mid-planning leaves pending rows: the next pass resumes them above.
    planners: dict[tuple[dt.date, str], _Planner] = {}
    for batch in store.iter_schedule_candidates(batch=editions.PLAN_BATCH):
        if stop():
            report.stopped = True
            break
        slotted = [(sub, slot) for sub, send_at in batch if (slot := schedule.slot_for(sub, send_at, at)) is not None
                   and not _before_sign_up(sub, slot)]
        done = store.handled_slots_among([sub.id for sub, _ in slotted], {slot.key for _, slot in slotted})
        groups: dict[tuple[dt.date, str], list[Subscriber]] = {}
        for sub, slot in slotted:
            if (sub.id, slot.key) not in done:
                groups.setdefault((slot.day, slot.frequency), []).append(sub)
        for (day, frequency), subs in sorted(groups.items()):
            report.due += len(subs)
            if (day, frequency) not in planners:
                # close_empty: an empty slot is closed, its items roll over to the next slot, not to some hour of today
                planners[(day, frequency)] = _Planner(store, cfg, frequency=frequency, day=day, at=at,
                                                      min_items=schedule.min_items, close_empty=True)
            planners[(day, frequency)].add(subs)
    for _, planner in sorted(planners.items(), key=lambda kv: kv[0]):
        plan = planner.plan
        report.planned += plan.created
        report.empty += plan.skipped_empty
        if plan.created and not report.stopped:
            if stop():
                report.stopped = True
                continue
            _add_tally(report.tally, send_edition(store, cfg, plan, relay_factory, should_stop=stop, on_message=on_message,
                                                      force=True))
            report.editions.append(plan.key)
    report.stopped = report.stopped or stop()
    return report
