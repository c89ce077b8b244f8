"""The scheduler: digest as an unattended service, on APScheduler 3.x.

Two jobs: `ingest` (every N minutes: watched folders and feeds) and `digest` (a tick every
minute that sends every subscriber whose slot is due, see digest.slots). Neither job keeps any
state of its own: what is due is read from the database at each tick, so a missed tick, a
restart or three days of downtime all end the same way, with one digest per subscriber whose
window starts at their watermark. Both jobs run on one worker thread, so an ingest and a digest
never interleave.

Only one scheduler works on a database at a time: it holds the "scheduler" lease (renewed by a
thread of its own); a second one stands by (daemon) or exits with a clear message (--once). A
holder on this host whose process is gone is taken over at once, not after the lease expires.
SIGTERM/SIGINT stop it cleanly at any moment (the handlers go in first): the message in flight is
finished and recorded, then exit 0.

Settings come from digest.toml's [ingest] and [digest] tables, validated here.
May import: config, errors, feeds, ledger (whether a lease holder is alive), pipeline, slots, store.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from . import pipeline
from .config import Config
from .errors import ConfigError, DigestError, LockedError, NotFound
from .feeds import FeedSpec
from .ledger import _holder_is_dead as holder_is_dead   # the send lease's test: same host, pid not running
from .slots import WEEKDAYS, DigestSchedule, next_slot, parse_time, zone
from .store import Store
from .store import now as wall_clock

log = logging.getLogger("digest.scheduler")
UTC = dt.timezone.utc

LEASE_NAME = "scheduler"
LEASE_SECONDS = 60          # a scheduler that dies hard is replaced by a standby within this
DEFAULT_INGEST_MINUTES = 10
DEFAULT_TICK_SECONDS = 60


# ---- settings -----------------------------------------------------------------------------------

@dataclass
class Settings:
    source: str | None                  # the digest.toml that was read
    base_dir: Path                      # relative folders and feed files are read from here
    ingest_every: float                 # seconds
    folders: list[Path] = field(default_factory=list)
    feeds: list[FeedSpec] = field(default_factory=list)
    folder_sources: dict[Path, str] = field(default_factory=dict)   # the outlet of a folder's articles
    digest: DigestSchedule = field(default_factory=DigestSchedule)
    tick_every: float = DEFAULT_TICK_SECONDS

    @property
    def has_ingest(self) -> bool:
        return bool(self.folders or self.feeds)


def _positive(value, where: str, hint: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"{where} = {value!r} is not a positive number.", hint)
    return float(value)


def load_settings(cfg: Config) -> Settings:
    """[ingest] and [digest] from the configuration, every value checked, errors naming file and key."""
    where = cfg.source or "the configuration"
    base = Path(cfg.source).resolve().parent if cfg.source else Path.cwd()
    ingest = dict(cfg.sections.get("ingest") or {})
    known = {"every_minutes", "every_seconds", "folders", "feeds"}
    unknown = sorted(set(ingest) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown setting `{unknown[0]}` in [ingest].",
                          f"Known settings: {', '.join(sorted(known))}.")
    every = DEFAULT_INGEST_MINUTES * 60.0
    if "every_minutes" in ingest:
        every = 60 * _positive(ingest["every_minutes"], f"{where}: [ingest] every_minutes",
                               "Give the minutes between ingests, e.g. every_minutes = 10.")
    if "every_seconds" in ingest:
        every = _positive(ingest["every_seconds"], f"{where}: [ingest] every_seconds",
                          "Give the seconds between ingests, e.g. every_seconds = 30.")
    folders, folder_sources = [], {}
    raw_folders = ingest.get("folders", [])
    if isinstance(raw_folders, str) or not isinstance(raw_folders, list):
        raw_folders = [None]
    for item in raw_folders:
        if isinstance(item, dict) and isinstance(item.get("path"), str) and set(item) <= {"path", "source"} \
                and isinstance(item.get("source", ""), str):
            folders.append(item["path"])
            if item.get("source", "").strip():
                folder_sources[(base / item["path"]).resolve()] = item["source"].strip()
        elif isinstance(item, str):
            folders.append(item)
        else:
            raise ConfigError(f"{where}: [ingest] folders must be a list of paths or {{path = ..., source = ...}}.",
                              'Example: folders = ["incoming/", {path = "wires/", source = "Compass Wire"}]')
    feeds = []
    raw_feeds = ingest.get("feeds", [])
    if isinstance(raw_feeds, str) or not isinstance(raw_feeds, list):
        raise ConfigError(f"{where}: [ingest] feeds must be a list.",
                          'Example: feeds = ["https://example.org/world.xml", "feeds/local.atom"]')
    for n, item in enumerate(raw_feeds, 1):
        if isinstance(item, str) and item.strip():
            feeds.append(FeedSpec(item.strip()))
        elif isinstance(item, dict) and isinstance(item.get("url"), str) and \
                isinstance(item.get("labels", []), list):
            feeds.append(FeedSpec(item["url"].strip(), [str(x) for x in item.get("labels", [])]))
        else:
            raise ConfigError(f"{where}: [ingest] feeds entry {n} ({item!r}) is neither a URL/path nor "
                              "{url = ..., labels = [...]}.",
                              'Example: feeds = ["feeds/local.atom", {url = "https://x.org/rss", labels = ["World"]}]')
    table = dict(cfg.sections.get("digest") or {})
    schedule = DigestSchedule.from_table(table, default_timezone=cfg.timezone, where=where)
    tick = DEFAULT_TICK_SECONDS
    if "check_every_seconds" in table:
        tick = _positive(table["check_every_seconds"], f"{where}: [digest] check_every_seconds",
                         "How often the digest job looks for due subscribers; the default is 60.")
    return Settings(source=str(Path(cfg.source).resolve()) if cfg.source else None, base_dir=base, ingest_every=every,
                    folders=[(base / f).resolve() for f in folders], feeds=feeds, digest=schedule, tick_every=tick,
                    folder_sources=folder_sources)


# ---- the lease ----------------------------------------------------------------------------------

class Lease:
    """The database lease that makes this the one working scheduler, kept alive by a thread.

    It uses a connection of its own, so renewing never waits for (or joins) a job's transaction.
    `held` turns False if the lease is lost (this process was frozen past its expiry and another
    took over): the jobs then stop at the next message and this process stands by again.
    """

    def __init__(self, db: str, *, seconds: int = LEASE_SECONDS, owner: str | None = None):
        self.store = Store.open(db, create=False)
        self.seconds = seconds
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.held = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def try_acquire(self) -> str | None:
        """Take or renew the lease; returns the other holder when it is not ours."""
        with self._lock:
            holder = self.store.acquire_lease(LEASE_NAME, self.owner, self.seconds)
            if holder and holder_is_dead(holder):
                # A scheduler on this host that died hard (kill -9, OOM) left its lease behind: its pid is
                # gone, so nobody need wait up to LEASE_SECONDS for it to expire.
                log.warning("the scheduler lease of %s, whose process is gone, is taken over", holder)
                self.store.break_lease(LEASE_NAME, holder)
                holder = self.store.acquire_lease(LEASE_NAME, self.owner, self.seconds)
        was, self.held = self.held, holder is None
        if was and not self.held:
            log.error("lost the scheduler lease to %s; standing by", holder)
        elif not was and self.held and self._thread is not None:
            log.info("took over the scheduler lease")
        return holder

    def start(self) -> None:
        def keep() -> None:
            while not self._stop.wait(self.seconds / 3):
                try:
                    self.try_acquire()
                except Exception as exc:   # a locked or vanished database: try again, never die
                    log.warning("could not renew the scheduler lease: %s", exc)
        self._thread = threading.Thread(target=keep, name="digest-lease", daemon=True)
        self._thread.start()

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            if self.held:
                self.store.release_lease(LEASE_NAME, self.owner)
                self.held = False
            self.store.close()


# ---- the scheduler ------------------------------------------------------------------------------

@dataclass
class JobInfo:
    id: str
    trigger: object
    description: str


def _fmt(at: dt.datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


class Scheduler:
    """One scheduler process. `clock` is injectable: every job asks it for "now"."""

    def __init__(self, cfg: Config, settings: Settings, *, clock: Callable[[], dt.datetime] = wall_clock,
                 lease_seconds: int = LEASE_SECONDS):
        self.cfg = cfg
        self.settings = settings
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.stopping = _Flag()
        self.busy = threading.Lock()        # held while a job works, so shutdown can wait for it
        self.store: Store | None = None
        self.lease: Lease | None = None
        self.relay_factory = None

    # -- jobs --

    def jobs(self) -> list[JobInfo]:
        s = self.settings
        out = []
        start = self.clock()
        # Both jobs also run once at start (see build); the triggers give the runs after that.
        if s.has_ingest:
            what = [f"{len(s.folders)} folder(s)", f"{len(s.feeds)} feed(s)"]
            first = start + dt.timedelta(seconds=s.ingest_every)
            out.append(JobInfo("ingest", IntervalTrigger(seconds=s.ingest_every, start_date=first, timezone=UTC),
                               f"every {_every(s.ingest_every)}: new files and feed entries ({', '.join(what)})"))
        tick = CronTrigger(second=0, timezone=UTC) if s.tick_every == 60 else \
            IntervalTrigger(seconds=s.tick_every, start_date=start + dt.timedelta(seconds=s.tick_every), timezone=UTC)
        d = s.digest
        out.append(JobInfo("digest", tick, f"every {_every(s.tick_every)}: send subscribers whose slot is due "
                           f"(default {d.send_at:%H:%M} {d.timezone}; weekly on {WEEKDAYS[d.weekly_on]}; "
                           f"min_items {d.min_items})"))
        return out

    def should_stop(self) -> bool:
        return self.stopping.is_set() or (self.lease is not None and not self.lease.held)

    def ingest(self, at: dt.datetime) -> pipeline.SourcesReport:
        s = self.settings
        r = pipeline.ingest_sources(self.store, s.folders, s.feeds, at=at, base_dir=s.base_dir,
                                    settings=self.cfg.summary, folder_sources=s.folder_sources)
        for err in r.errors:
            log.warning("ingest: %s", err)
        for err in r.feed_errors:
            log.warning("feed failed (tried again next time): %s", err)
        log.info("ingest at %s: %d added, %d updated, %d unchanged; %d file(s); feeds %d new, %d unchanged, "
                 "%d failed", _fmt(at), len(r.added), len(r.updated), len(r.unchanged), r.files, r.feeds,
                 r.feeds_unchanged, len(r.feed_errors))
        return r

    def digest(self, at: dt.datetime) -> pipeline.DueReport:
        r = pipeline.run_due(self.store, self.cfg, self.settings.digest, at, self.relay_factory,
                             should_stop=self.should_stop)
        t = r.tally
        for mix, report in sorted(t.lint.items()):
            for warning in report.warnings:
                log.warning("lint: %s: %s", mix, warning)
        if r.due or r.resumed or t.sent or not t.ok:
            log.info("digest at %s: %d due, %d sent, %d under min_items (skipped until their next slot), deferred %d, bounced %d, "
                     "failed %d, uncertain %d%s%s%s", _fmt(at), r.due, t.sent, r.empty, t.deferred, t.bounced,
                     t.failed, t.uncertain, f"; editions {', '.join(r.editions)}" if r.editions else "",
                     f"; resumed {', '.join(r.resumed)}" if r.resumed else "",
                     "; stopped early" if r.stopped else "")
        else:
            log.info("digest at %s: nobody due", _fmt(at))
        return r

    def _job(self, name: str) -> None:
        """What APScheduler runs: one job at the clock's now, never raising (it would only be logged)."""
        if self.should_stop():
            if self.lease is not None and not self.lease.held and not self.stopping.is_set():
                log.debug("%s: standing by (another scheduler holds the lease)", name)
            return
        with self.busy:
            try:
                getattr(self, name)(self.clock())
            except DigestError as exc:
                log.error("%s failed, will try again at the next run: %s", name, exc)
            except Exception:
                log.exception("%s failed, will try again at the next run", name)

    # -- running --

    def _open(self) -> None:
        self.relay_factory = pipeline.relay_for(self.cfg)      # no relay: fail before doing anything
        for folder in self.settings.folders:
            if not folder.is_dir():
                raise ConfigError(f"Watched folder {folder} does not exist.",
                                  f"Create it, or fix [ingest] folders in {self.settings.source or 'digest.toml'}.")
        store = Store.open(self.cfg.db, create=False)
        if store.needs_migration():
            store.close()
            raise NotFound(f"Database {self.cfg.db} needs migrating.", "Run `digest init`.")
        try:
            pipeline.preflight(store, self.cfg)     # a configuration fault stops us here, before any tick
        except DigestError:
            store.close()
            raise
        self.store = store
        self.lease = Lease(self.cfg.db, seconds=self.lease_seconds)

    def _close(self) -> None:
        if self.lease is not None:
            self.lease.release()
        if self.store is not None:
            self.store.close()

    def run_once(self, at: dt.datetime | None = None, *, early: list[int] | None = None) -> pipeline.DueReport:
        """Ingest, then send whatever is due at `at` (default: now), exactly as the daemon would; then return.

        The stop handlers go in first, so a SIGTERM/SIGINT at any moment ends the run cleanly (exit 0
        from the CLI): before the lease, nothing is done; after, the message in flight is recorded.
        `early`: signals the CLI caught before we could (see digest/cli/__init__.py).
        """
        with _signals(self.request_stop, early):
            at = at or self.clock()
            if self.stopping.is_set():
                return pipeline.DueReport(stopped=True)
            self._open()
            try:
                holder = self.lease.try_acquire()
                if holder:
                    raise LockedError(f"Another scheduler ({holder}) is working on {self.cfg.db}; this run did "
                                      "nothing.", "Wait for it to finish (or stop it) and run again; every due "
                                      "digest is sent once.")
                self.lease.start()
                if self.settings.has_ingest and not self.should_stop():
                    self.ingest(at)
                if self.should_stop():
                    return pipeline.DueReport(stopped=True)
                return self.digest(at)
            finally:
                self._close()

    def build(self) -> BackgroundScheduler:
        """The APScheduler instance with its jobs, not started (`digest schedule list` shows it)."""
        sched = BackgroundScheduler(timezone=UTC, executors={"default": ThreadPoolExecutor(1)},
                                    job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        start = self.clock()
        for job in self.jobs():
            # Both run once at start: a scheduler that was down catches up at once, not at the next tick.
            sched.add_job(self._job, job.trigger, args=[job.id], id=job.id, name=job.description,
                          next_run_time=start)
        return sched

    def run_forever(self, *, early: list[int] | None = None) -> None:
        """Run until SIGTERM/SIGINT; returns after the job in flight has finished and been recorded.

        The handlers go in before anything else and only set an Event; this (main) thread is the one
        that notices it and shuts the jobs down, so a stop at any moment, even before the scheduler
        has started, ends the same way: nothing half-done, exit 0.
        """
        with _signals(self.request_stop, early):
            if self.stopping.is_set():
                log.info("scheduler stopped before it started")
                return
            self._open()
            try:
                holder = self.lease.try_acquire()
                if holder:
                    log.warning("another scheduler (%s) holds the lease on %s; standing by to take over if it "
                                "stops", holder, self.cfg.db)
                self.lease.start()
                sched = self.build()
                for job in self.jobs():
                    log.info("job %s: %s", job.id, job.description)
                if not self.stopping.is_set():
                    log.info("scheduler started on %s (config: %s)", self.cfg.db, self.settings.source or "defaults")
                    sched.start()
                    try:
                        while not self.stopping.is_set():
                            # Polled, not waited on: a handler that set an Event this thread waits on could
                            # deadlock on the Event's own lock. A tenth of a second is a stop's latency.
                            time.sleep(0.1)
                    finally:
                        sched.shutdown(wait=True)   # the job in flight finishes its message and records it
                with self.busy:
                    pass
                log.info("scheduler stopped")
            finally:
                self._close()

    def request_stop(self, signum: int | None = None, frame=None) -> None:
        """The signal handler: only sets a flag; the jobs check it between messages, the main loop every 0.1 s."""
        if signum is not None:
            log.info("%s received: finishing the message in flight, then stopping", signal.Signals(signum).name)
        self.stopping.set()


class _Flag:
    """threading.Event's set/is_set without its lock: a signal handler may set it while the code it
    interrupted holds that lock (a second signal inside the first handler), which would deadlock."""

    def __init__(self):
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set


class _signals:
    """Route SIGTERM and SIGINT to `handler` while inside (only possible in the main thread).

    `early`: signals that arrived before we were installed; they are handed to `handler` at once.
    """

    def __init__(self, handler, early: list[int] | None = None):
        self.handler = handler
        self.early = early
        self.saved: dict = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self.saved[sig] = signal.signal(sig, self.handler)
        for sig in list(self.early or []):
            self.handler(sig, None)
        return self

    def __exit__(self, *exc):
        for sig, old in self.saved.items():
            signal.signal(sig, old)


def _every(seconds: float) -> str:
    if seconds % 3600 == 0:
        return "hour" if seconds == 3600 else f"{seconds / 3600:g} hours"
    if seconds % 60 == 0:
        return "minute" if seconds == 60 else f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"


# ---- what `digest schedule list` shows ----------------------------------------------------------

def describe(cfg: Config, settings: Settings, at: dt.datetime, store: Store | None = None) -> dict:
    """Jobs with their triggers and next run times, and the next digest slots; nothing is started."""
    sched = Scheduler(cfg, settings, clock=lambda: at)
    jobs = []
    for job in sched.jobs():
        nxt = job.trigger.get_next_fire_time(None, at)
        jobs.append({"id": job.id, "trigger": str(job.trigger), "description": job.description,
                     "next_run": _fmt(nxt) if nxt else None})
    d = settings.digest
    slots = []
    groups: dict[tuple, int] = {}
    if store is not None:
        for batch in store.iter_schedule_candidates():
            for sub, send_at in batch:
                key = (sub.frequency, sub.timezone or d.timezone,
                       (parse_time(send_at) if send_at else None) or d.send_at)
                groups[key] = groups.get(key, 0) + 1
    else:
        groups = {("daily", d.timezone, d.send_at): 0, ("weekly", d.timezone, d.send_at): 0}
    for (frequency, tz, send_at), count in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2]))):
        z = zone(tz) or zone(d.timezone)
        if frequency not in ("daily", "weekly"):
            continue
        slot = next_slot(frequency, z, send_at, d.weekly_on, at)
        slots.append({"frequency": frequency, "timezone": tz, "send_at": send_at.strftime("%H:%M"),
                      "subscribers": count, "next_slot": _fmt(slot.at), "edition": slot.key})
    feeds = []
    if store is not None and "feeds" in {r["name"] for r in store.q("SELECT name FROM sqlite_master")}:
        feeds = [dict(r) for r in store.feed_states()]
    return {"config": settings.source, "now": _fmt(at), "jobs": jobs, "slots": slots,
            "folders": [str(f) for f in settings.folders], "feeds": [f.url for f in settings.feeds],
            "feed_state": feeds}


def parse_now(value: str) -> dt.datetime:
    """--now: ISO-8601; without an offset it means UTC."""
    try:
        at = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise DigestError(f"--now {value!r} is not an ISO-8601 date and time.",
                          "Example: --now 2026-11-25T07:00:00+01:00") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)
