"""`digest send`: send the due edition to every subscriber, exactly once each (or one test copy)."""

from __future__ import annotations

import datetime as dt
import sys

import click

from .. import pipeline
from ..errors import DigestError, RelayError
from .app import App, pass_app, say, table


def print_tally(t: pipeline.Tally) -> None:
    say(f"sent {t.sent}, skipped {t.skipped} (already sent), deferred {t.deferred}, bounced {t.bounced}, "
        f"failed {t.failed}, uncertain {t.uncertain}")
    for email, reason in t.failures:
        say(f"failed: {email}: {reason}")
    if t.failed > len(t.failures):
        say(f"{t.failed - len(t.failures)} more failed: `digest deliveries list --status failed` lists every one.")
    if t.throttles:
        say(f"The relay throttled us {t.throttles} times; the rate went down to {t.slowest_rate:.1f} msgs/s.")
    if t.uncertain:
        say(f"{t.uncertain} deliveries are uncertain (in flight when a sender died). List them with "
            "`digest deliveries list --status uncertain`; resend with `digest send --resend-uncertain`.")
    if t.stopped:
        say("Stopped before the end; the next `digest send` carries on.")


@click.command(name="send")
@click.option("--dry-run", is_flag=True, help="Show who would get what; send and record nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--frequency", type=click.Choice(["daily", "weekly"]), default="daily", show_default=True)
@click.option("--resend-uncertain", is_flag=True,
              help="Also resend deliveries left uncertain by a crash (their recipients may get two copies).")
@click.option("--test-to", "test_to", metavar="EMAIL",
              help="Send one copy of the current edition to EMAIL, subject marked [TEST]; record nothing.")
@click.option("--topic", "topics", multiple=True, help="With --test-to: the topic mix to send (default: all).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@pass_app
def send_command(app: App, dry_run: bool, yes: bool, frequency: str, resend_uncertain: bool, test_to: str | None,
                 topics: tuple[str, ...], quiet: bool) -> None:
    """Send the due edition to every subscriber who has not received it yet.

    Exit 0 when all were sent, 3 when some were deferred, bounced, failed or uncertain, 2 when the
    relay cannot be reached, 4 when another `digest send` is sending this edition.

    Example: DIGEST_SMTP_URL=smtp://localhost:2525 digest send --yes
    """
    store, cfg = app.store, app.cfg
    if topics and not test_to:
        raise DigestError("--topic only goes with --test-to.", "Example: digest send --test-to me@example.org "
                          "--topic Europe")
    if dry_run:
        _dry_run(app, frequency)
        return
    relay = pipeline.relay_for(cfg)
    if test_to:
        _test_send(app, relay, test_to, list(topics), frequency)
        return
    if not yes and (pending := _count_pending(app, frequency)):
        click.confirm(f"Send to {pending} subscribers through {cfg.smtp().name}?", abort=True, err=True)
    # Earlier editions with deliveries still deferred (or planned and interrupted) are retried first,
    # up to their deadline, whatever day the next run is on; today's edition is planned after them,
    # so its windows start where those deliveries ended.
    today = pipeline.edition_key(frequency, pipeline.local_today(cfg, pipeline.now()))
    earlier = [pipeline.Plan(r["id"], r["key"], dt.date.fromisoformat(r["date"]), 0, 0)
               for r in store.editions_with_pending() if r["key"] != today and r["frequency"] == frequency]
    earlier_ok = True
    with _progress(quiet) as progress:
        try:
            for old in earlier:
                retried = pipeline.send_edition(store, cfg, old, relay, progress=progress)
                say(f"Edition {old.key}: retried deferred deliveries: sent {retried.sent}, "
                    f"still deferred {retried.deferred}, failed {retried.failed}")
                earlier_ok = earlier_ok and retried.ok
            plan = pipeline.plan_edition(store, cfg, frequency=frequency)
            tally = pipeline.send_edition(store, cfg, plan, relay, progress=progress,
                                          resend_uncertain=resend_uncertain)
        except RelayError as exc:
            if getattr(exc, "tally", None) is not None:
                print_tally(exc.tally)
            raise
    if tally.sent == 0 and tally.ok:
        say(f"Edition {plan.key}: nothing to send (already sent to {tally.skipped}).")
    print_tally(tally)
    sys.exit(0 if tally.ok and earlier_ok else 3)


def _test_send(app: App, relay, to: str, topics: list[str], frequency: str) -> None:
    from ..subscribers import normalize_email   # the same address check as `subscribers add`
    to = normalize_email(to)
    outcome = pipeline.send_test(app.store, app.cfg, relay, to, topics=topics or None, frequency=frequency)
    if outcome.status == "sent":
        say(f"Test copy sent to {to} through {app.cfg.smtp().name} ({outcome.text}); nothing recorded.")
        return
    say(f"Test copy to {to} was {outcome.status}: {outcome.text}")
    sys.exit(3)


class _progress:
    """A rich progress bar on stderr with rate and ETA; nothing when quiet or stderr is not a terminal."""

    def __init__(self, quiet: bool):
        self.bar = None
        if not quiet and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn)
            self.bar = Progress(TextColumn("sending"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.fields[rate]}"),
                                TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self.task = None

    def __enter__(self):
        if self.bar is None:
            return None
        self.bar.start()
        self.task = self.bar.add_task("send", total=None, rate="")

        def update(done: int, total: int) -> None:
            speed = self.bar.tasks[0].speed
            self.bar.update(self.task, completed=done, total=total,
                            rate=f"{speed:,.0f} msgs/s" if speed else "")
        return update

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def _count_pending(app: App, frequency: str) -> int:
    key = pipeline.edition_key(frequency, pipeline.local_today(app.cfg, pipeline.now()))
    edition_id = app.store.edition_id(key)
    waiting = app.store.count_due(edition_id, pipeline.now()) if edition_id else 0
    due = app.store.count_due_subscribers(edition_id if edition_id else -1, frequency)
    return waiting + due


def _dry_run(app: App, frequency: str) -> None:
    store, cfg = app.store, app.cfg
    at = pipeline.now()
    key = pipeline.edition_key(frequency, pipeline.local_today(cfg, at))
    rows = store.q("SELECT id FROM editions WHERE key = ?", [key])
    # Streamed: a count and one window per topic mix, never the whole list in memory.
    mixes: dict[str, list] = {}
    for batch in store.iter_due_subscribers(rows[0]["id"] if rows else -1, frequency):
        marks = store.watermarks(s.id for s in batch)
        for sub in batch:
            since, until = pipeline.select.window(sub, marks.get(sub.id), at)
            entry = mixes.setdefault(pipeline.select.mix_key(sub.topics), [0, since, until])
            entry[0] += 1
    out = []
    for mix, (count, since, until) in sorted(mixes.items()):
        out.append([mix, store.count_articles_between(pipeline.select.mix_topics(mix), since, until), count])
    table(["topic mix", "articles", "recipients"], out)
    say(f"Dry run of edition {key}: nothing sent, nothing recorded.")


def register(cli: click.Group) -> None:
    cli.add_command(send_command)
