"""The daemon: digest as an unattended service (`digest schedule run`), on APScheduler 3.x.

Two jobs, on one worker thread: `ingest` (every N minutes: watched folders and feeds) and `digest`
(a tick every minute: the watched folders, then every subscriber whose slot is due, digest.selection.slots).
The order is ours, not APScheduler's: at start a full ingest runs before the first tick, and each
tick reads the folders before it sends, so a file waiting there is in the digest that tick sends.
Neither job keeps state of its own: what is due is read from the database at each tick, so a
missed tick, a restart or days of downtime end the same way, one digest per subscriber.

One scheduler works on a database at a time: it holds the "scheduler" lease (pipeline.Lease,
renewed by a thread of its own on a connection of its own); a second one stands by (daemon) or
exits with a clear message (--once); a holder on this host whose process is gone is taken over at
once. SIGTERM/SIGINT stop it cleanly at any moment (the handlers go in first): the message in
flight is finished and recorded, then exit 0. Settings: digest.toml's [ingest] and [digest] tables.
May import: config, errors, models, pipeline, plural.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .. import pipeline
from ..config import Config, RelaySettings
from ..errors import ConfigError, DigestError, LockedError
from ..models import WEEKDAYS
from ..plural import plural

log = logging.getLogger("digest.scheduler")
UTC = dt.timezone.utc

LEASE_NAME = "scheduler"
LEASE_SECONDS = 60          # a scheduler that dies hard is replaced by a standby within this and 2 s (lease.STANDBY_POLL)


# ---- the scheduler ------------------------------------------------------------------------------

@dataclass
class JobInfo:
    id: str
    trigger: IntervalTrigger | CronTrigger
    description: str


def fmt(at: dt.datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


class Scheduler:
    """One scheduler process. `clock` is injectable: every job asks it for "now"."""

    def __init__(self, cfg: Config, *, clock: Callable[[], dt.datetime] = pipeline.now,
                 lease_seconds: int = LEASE_SECONDS):
        self.cfg = cfg
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.stopping = _Flag()
        self.busy = threading.Lock()        # held while a job works, so shutdown can wait for it
        self.db: pipeline.Database          # these three are set by _open, before any job can run (a job
        self.lease: pipeline.Lease          # before it fails at once on the missing attribute, where None
        self.relays: list[RelaySettings]    # went on into pipeline)

    # -- jobs --

    def jobs(self) -> list[JobInfo]:
        s, d = self.cfg.ingest, self.cfg.schedule
        out = []
        start = self.clock()
        # At start: one full ingest, then the first tick (see run_forever); the triggers give the runs after that.
        if s.any:
            what = [plural(len(s.folders), "folder", "folders"), plural(len(s.feeds), "feed", "feeds")]
            first = start + dt.timedelta(seconds=s.every)
            out.append(JobInfo("ingest", IntervalTrigger(seconds=s.every, start_date=first, timezone=UTC),
                               f"every {_every(s.every)}: new files and feed entries ({', '.join(what)})"))
        tick = CronTrigger(second=0, timezone=UTC) if d.check_every == 60 else \
            IntervalTrigger(seconds=d.check_every, start_date=start + dt.timedelta(seconds=d.check_every), timezone=UTC)
        out.append(JobInfo("digest", tick, f"every {_every(d.check_every)}: read the watched folders, then send "
                           f"subscribers whose slot is due (default {d.send_at:%H:%M} {d.timezone}; weekly on "
                           f"{WEEKDAYS[d.weekly_on]}; min_items {d.min_items})"))
        return out

    def should_stop(self) -> bool:
        return self.stopping.is_set() or (self.lease is not None and not self.lease.held)

    def ingest(self, at: dt.datetime, *, feeds: bool = True) -> pipeline.IngestReport:
        s = self.cfg.ingest       # feeds=False: a tick's own pass, over the watched folders only
        r = pipeline.ingest(self.db, folders=s.folders, feed_specs=s.feeds if feeds else (), at=at,
                            base_dir=s.base_dir, settings=self.cfg.summary, folder_sources=s.folder_sources,
                            folder_topics=s.folder_topics, folder_languages=s.folder_languages)
        for err in [*r.errors, *r.notices()]:
            log.warning("ingest: %s", err)
        for err in r.feed_errors:
            log.warning("feed failed (tried again next time): %s", err)
        if feeds or r.files or r.errors:        # a tick's pass over empty folders: no line every minute
            log.info("ingest at %s: %d added, %d updated, %d unchanged; %s; feeds %d new, %d unchanged, %d failed",
                     fmt(at), len(r.added), len(r.updated), len(r.unchanged), plural(r.files, "file", "files"),
                     r.feeds, r.feeds_unchanged, len(r.feed_errors))
        return r

    def digest(self, at: dt.datetime) -> pipeline.SendReport:
        """One tick: the watched folders first, so what waits there is in what this tick sends."""
        try:
            if self.cfg.ingest.folders and not self.should_stop():
                self.ingest(at, feeds=False)
        except DigestError as exc:      # what is already stored is still sent on time
            log.error("ingest before the digest failed, sending what is stored: %s", exc)
        return pipeline.SendReport(stopped=True) if self.should_stop() else self.send_due(at)

    def send_due(self, at: dt.datetime) -> pipeline.SendReport:
        # A digest Gmail would clip is sent all the same (force: there is nobody to ask), its lint logged.
        r = pipeline.send(self.db, self.cfg, self.relays, frequency=None, schedule=self.cfg.schedule, at=at,
                          should_stop=self.should_stop, force=True)
        if r.error is not None:
            raise r.error
        t = r.tally
        for name in [name for name, relay in sorted(t.relays.items()) if relay.out]:
            log.warning("relay %s was taken out of rotation (the others took its deliveries): %s", name, t.relays[name].out)
        for mix, report in sorted(t.lint.items()):
            for warning in report.warnings:
                log.warning("lint: %s: %s", mix, warning)
        if r.due or r.resumed or t.sent or not t.ok:
            log.info("digest at %s: %d due, %d sent, %d under min_items (skipped until their next slot), deferred %d, bounced %d, "
                     "failed %d, uncertain %d%s%s%s", fmt(at), r.due, t.sent, r.empty, t.deferred + t.pending, t.bounced,
                     t.failed, t.uncertain, f"; editions {', '.join(r.editions)}" if r.editions else "",
                     f"; resumed {', '.join(r.resumed)}" if r.resumed else "",
                     "; stopped early" if r.stopped else "")
        else:
            log.info("digest at %s: nobody due", fmt(at))
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
        self.relays = pipeline.relays_for(self.cfg)      # no relay: fail before doing anything
        for folder in self.cfg.ingest.folders:
            if not folder.is_dir():
                raise ConfigError(f"Watched folder {folder} does not exist.",
                                  f"Create it, or fix [ingest] folders in {self.source or 'digest.toml'}.")
        db = pipeline.open_database(self.cfg)
        try:
            pipeline.preflight(db, self.cfg)     # a configuration fault stops us here, before any tick
        except DigestError:
            db.close()
            raise
        self.db = db
        # A connection of its own, so renewing never waits for (or joins) a job's transaction.
        self.lease = pipeline.Lease(pipeline.open_database(self.cfg), LEASE_NAME, self.lease_seconds, log=log)

    @property
    def source(self) -> str | None:
        return str(Path(self.cfg.source).resolve()) if self.cfg.source else None

    def _close(self) -> None:
        if self.lease is not None:
            self.lease.release()
            self.lease.db.close()
        if self.db is not None:
            self.db.close()

    def run_once(self, at: dt.datetime | None = None, *, early: list[int] | None = None) -> pipeline.SendReport:
        """Ingest, then send what is due at `at` (default: now), as the daemon would; then return. A
        SIGTERM/SIGINT at any moment (`early`: those the CLI caught before us) ends it cleanly: before
        the lease, nothing is done; after, the message in flight is recorded."""
        with _signals(self.request_stop, early):
            at = at or self.clock()
            if self.stopping.is_set():
                return pipeline.SendReport(stopped=True)
            self._open()
            try:
                holder = self.lease.try_acquire()
                if holder:
                    raise LockedError(f"Another scheduler ({holder}) is working on {self.cfg.db}; this run did "
                                      "nothing.", "Wait for it to finish (or stop it) and run again; every due "
                                      "digest is sent once.")
                self.lease.keep_alive()
                if self.cfg.ingest.any and not self.should_stop():
                    self.ingest(at)
                return pipeline.SendReport(stopped=True) if self.should_stop() else self.send_due(at)
            finally:
                self._close()

    def build(self) -> BackgroundScheduler:
        """The APScheduler instance with its jobs, not started (`digest schedule list` shows it)."""
        sched = BackgroundScheduler(timezone=UTC, executors={"default": ThreadPoolExecutor(1)},
                                    job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        start = self.clock()
        for job in self.jobs():
            # The tick runs at start (catching up at once); run_forever ingested just before it.
            sched.add_job(self._job, job.trigger, args=[job.id], id=job.id, name=job.description,
                          **({"next_run_time": start} if job.id == "digest" else {}))
        return sched

    def run_forever(self, *, early: list[int] | None = None) -> None:
        """Run until SIGTERM/SIGINT, then return once the job in flight is recorded. The handlers go in
        first and only set a flag; this (main) thread notices it and shuts the jobs down, so a stop at
        any moment, even before the scheduler has started, ends the same way: nothing half-done."""
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
                self.lease.keep_alive()
                sched = self.build()
                for job in self.jobs():
                    log.info("job %s: %s", job.id, job.description)
                if not self.stopping.is_set():
                    log.info("scheduler started on %s (config: %s)", self.cfg.db, self.source or "defaults")
                    if self.cfg.ingest.any:
                        self._job("ingest")      # before the first tick: what waits is in its digest
                    sched.start()
                    try:
                        while not self.stopping.is_set():
                            # Polled: a handler setting an Event this thread waits on could deadlock on its lock.
                            time.sleep(0.1)
                    finally:
                        sched.shutdown(wait=True)   # the job in flight finishes its message and records it
                with self.busy:
                    pass
                log.info("scheduler stopped")
            finally:
                self._close()

    def request_stop(self, signum: int | None = None, frame: object = None) -> None:
        """The signal handler: only sets a flag; the jobs check it between messages, the main loop every 0.1 s."""
        if signum is not None:
            log.info("%s received: finishing the message in flight, then stopping", signal.Signals(signum).name)
        self.stopping.set()


class _Flag:
    """threading.Event's set/is_set without its lock: a signal handler may set it while the code it
    interrupted holds that lock (a second signal inside the first handler), which would deadlock."""
    _set = False        # until set() sets it on the instance

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set


class _signals:
    """Route SIGTERM and SIGINT to `handler` while inside (main thread only); `early`: signals that
    arrived before we were installed, handed to `handler` at once."""

    def __init__(self, handler: Callable[[int, object], None], early: list[int] | None = None):
        self.handler = handler
        self.early = early
        self.saved: dict = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self.saved[sig] = signal.signal(sig, self.handler)
        for signum in list(self.early or []):
            self.handler(signum, None)
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
