"""`digest send`: send the due edition to every subscriber, exactly once each."""

from __future__ import annotations

import sys

import click

from .. import pipeline
from .app import App, pass_app, say, table


def print_tally(t: pipeline.Tally) -> None:
    say(f"sent {t.sent}, skipped {t.skipped} (already sent), deferred {t.deferred}, bounced {t.bounced}, "
        f"failed {t.failed}, uncertain {t.uncertain}")


@click.command(name="send")
@click.option("--dry-run", is_flag=True, help="Show who would get what; send and record nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--frequency", type=click.Choice(["daily", "weekly"]), default="daily", show_default=True)
@pass_app
def send_command(app: App, dry_run: bool, yes: bool, frequency: str) -> None:
    """Send the due edition to every subscriber who has not received it yet.

    Exit 0 when all were sent, 3 when some were deferred, bounced or failed.

    Example: DIGEST_SMTP_URL=smtp://localhost:2525 digest send --yes
    """
    store, cfg = app.store, app.cfg
    if dry_run:
        _dry_run(app, frequency)
        return
    relay = pipeline.relay_for(cfg)
    pending = _count_pending(app, frequency)
    if pending and not yes:
        click.confirm(f"Send to {pending} subscribers through {cfg.smtp().name}?", abort=True, err=True)
    plan = pipeline.plan_edition(store, cfg, frequency=frequency)
    tally = pipeline.send_edition(store, cfg, plan, relay)
    if tally.sent == 0 and tally.ok:
        say(f"Edition {plan.key}: nothing to send (already sent to {tally.skipped}).")
    print_tally(tally)
    sys.exit(0 if tally.ok else 3)


def _count_pending(app: App, frequency: str) -> int:
    key = pipeline.edition_key(frequency, pipeline.local_today(app.cfg, pipeline.now()))
    rows = app.store.q("SELECT id FROM editions WHERE key = ?", [key])
    waiting = len(app.store.deliveries(rows[0]["id"], status=("pending", "deferred"))) if rows else 0
    due = len(app.store.due_subscribers(rows[0]["id"] if rows else -1, frequency))
    return waiting + due


def _dry_run(app: App, frequency: str) -> None:
    store, cfg = app.store, app.cfg
    at = pipeline.now()
    key = pipeline.edition_key(frequency, pipeline.local_today(cfg, at))
    rows = store.q("SELECT id FROM editions WHERE key = ?", [key])
    due = store.due_subscribers(rows[0]["id"] if rows else -1, frequency)
    mixes: dict[str, list] = {}
    for sub in due:
        since, until = pipeline.select.window(sub, store.watermark(sub.id), at)
        mixes.setdefault(pipeline.select.mix_key(sub.topics), []).append((sub, since, until))
    out = []
    for mix, subs in sorted(mixes.items()):
        _, since, until = subs[0]
        n = len(store.articles_between(pipeline.select.mix_topics(mix), since, until))
        out.append([mix, n, len(subs)])
    table(["topic mix", "articles", "recipients"], out)
    say(f"Dry run of edition {key}: nothing sent, nothing recorded.")


def register(cli: click.Group) -> None:
    cli.add_command(send_command)
