"""`digest schedule ...`: run the scheduler (digest.servers.daemon: the service, or one pass) and show its jobs.
May import: config, servers.daemon, errors, pipeline, and .app/.early_stops.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys

import click

from .. import pipeline
from ..config import Config
from ..errors import DigestError
from ..servers.daemon import Scheduler, fmt
from .app import App, Commands, echo_json, pass_app, say, table
from .early_stops import EARLY_STOPS


@click.group(name="schedule", cls=Commands)
def schedule_group() -> None:
    """Run digest unattended: ingest on an interval, send each digest at each subscriber's local time.

    Example: digest --config digest.toml schedule run
    """


@schedule_group.command(name="run")
@click.option("--once", is_flag=True, help="Run whatever is due now, then exit (for cron, backfills, tests).")
@click.option("--now", "now_text", metavar="ISO-8601",
              help="With --once: act as the scheduler would at this instant (no offset = UTC). Ingest stamps it too.")
@pass_app
def schedule_run(app: App, once: bool, now_text: str | None) -> None:
    """Run the scheduler in the foreground until SIGTERM/SIGINT (then finish the message in flight, exit 0).

    Each job run is logged to stderr. A second scheduler on the same database stands by (or, with
    --once, exits 4). With --once, exits 3 when some messages were deferred, bounced or failed.

    Example: digest schedule run --once --now 2026-11-25T07:00:00+01:00
    """
    if now_text and not once:
        raise click.UsageError("--now needs --once (the daemon always runs on the real clock).")
    cfg = app.cfg
    logging.getLogger("digest").setLevel(logging.DEBUG if app.verbose else logging.INFO)
    sched = Scheduler(cfg)
    if not once:     # a stop that came while we were starting up is honoured at once
        sched.run_forever(early=EARLY_STOPS)
        return
    report = sched.run_once(parse_now(now_text) if now_text else None, early=EARLY_STOPS)
    t = report.tally
    say(f"{report.due} due, sent {t.sent}, {report.empty} under min_items, deferred {t.deferred + t.pending}, "
        f"bounced {t.bounced}, failed {t.failed}, uncertain {t.uncertain}"
        + (" (stopped early)" if report.stopped else ""))
    sys.exit(0 if t.ok else 3)


@schedule_group.command(name="list")
@click.option("--now", "now_text", metavar="ISO-8601", help="Compute next run times from this instant.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_app
def schedule_list(app: App, now_text: str | None, as_json: bool) -> None:
    """Show every job with its trigger and next run time, and the next digest slots; starts nothing.

    Example: digest schedule list --json
    """
    cfg = app.cfg
    at = parse_now(now_text) if now_text else pipeline.now()
    try:
        db = app.db
    except DigestError:     # no database yet: the jobs are still worth showing
        db = None
    info = describe(cfg, at, db)
    if as_json:
        echo_json(info)
        return
    say(f"Configuration: {info['config'] or '(none found: built-in defaults)'}")
    table(["job", "trigger", "next run (UTC)", "what"],
          [[j["id"], j["trigger"], j["next_run"] or "-", j["description"]] for j in info["jobs"]])
    if info["slots"]:
        click.echo()
        table(["frequency", "timezone", "send at", "subscribers", "next slot (UTC)", "edition"],
              [[s["frequency"], s["timezone"], s["send_at"], s["subscribers"], s["next_slot"], s["edition"]]
               for s in info["slots"]])


def describe(cfg: Config, at: dt.datetime, db: pipeline.Database | None = None) -> dict:
    """Jobs with their triggers and next run times, and the next digest slots; nothing is started."""
    sched = Scheduler(cfg, clock=lambda: at)
    jobs = []
    for job in sched.jobs():
        nxt = job.trigger.get_next_fire_time(None, at)
        jobs.append({"id": job.id, "trigger": str(job.trigger), "description": job.description,
                     "next_run": fmt(nxt) if nxt else None})
    return {"config": sched.source, "now": fmt(at), "jobs": jobs, "slots": pipeline.next_slots(db, cfg.schedule, at),
            "folders": [str(f) for f in cfg.ingest.folders], "feeds": [f.url for f in cfg.ingest.feeds],
            "feed_state": pipeline.feed_states(db)}


def parse_now(value: str) -> dt.datetime:
    """--now: ISO-8601; without an offset it means UTC."""
    try:
        at = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise DigestError(f"--now {value!r} is not an ISO-8601 date and time.",
                          "Example: --now 2026-11-25T07:00:00+01:00") from None
    return at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)


def register(cli: click.Group) -> None:
    cli.add_command(schedule_group)
