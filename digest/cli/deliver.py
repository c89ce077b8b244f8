"""`digest send`: send the due edition to every subscriber, exactly once each (or a special edition,
or one test copy).
May import: errors, models, pipeline, plural, and .app/.tallies.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from .. import pipeline
from ..errors import DigestError
from ..models import FREQUENCIES
from ..plural import plural
from .app import App, pass_app, say, table
from .tallies import print_lint, print_tally

if TYPE_CHECKING:       # rich is imported only when a bar is shown
    from rich.progress import Progress


@click.command(name="send")
@click.option("--dry-run", is_flag=True, help="Show who would get what; send and record nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--frequency", type=click.Choice(FREQUENCIES), default="daily", show_default=True)
@click.option("--resend-uncertain", type=click.Choice(pipeline.RESEND_UNCERTAIN), is_flag=False, flag_value="all",
              default=None,
              help="Also resend today's uncertain deliveries: all, or one reason (relay-dropped: most likely never "
                   "received; sender-died, no-answer: most likely received, a second copy).")
@click.option("--retry-failed", is_flag=True,
              help="Put the failed deliveries back in the queue once and send them (every edition, or --edition).")
@click.option("--edition", "edition_key", metavar="KEY", help="With --retry-failed: only this edition, "
              "e.g. daily-2026-11-25.")
@click.option("--force", is_flag=True, help="Send even a digest Gmail would clip (102 KiB of HTML or more).")
@click.option("--test-to", "test_to", metavar="EMAIL",
              help="Send one copy of the current edition to EMAIL, subject marked [TEST]; record nothing.")
@click.option("--topic", "topics", multiple=True, help="With --test-to: the topic mix to send (default: all).")
@click.option("--special", metavar="TITLE",
              help="Send a special edition now, titled TITLE (its Subject): the stories not yet sent, to the "
                   "subscribers of their topics, whatever their schedule. Run again, it sends nothing.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@pass_app
def send_command(app: App, dry_run: bool, yes: bool, frequency: str, resend_uncertain: str | None, retry_failed: bool,
                 edition_key: str | None, force: bool, test_to: str | None, topics: tuple[str, ...],
                 special: str | None, quiet: bool) -> None:
    """Send the due edition to every subscriber who has not received it yet.

    --special "TITLE" sends a special edition instead: every active subscriber whose topics hold a
    story not yet sent to them gets those stories now, under TITLE. It has its own key
    (special-DATE-TITLE), ledger and archive page; their next regular digest starts after it:
    digest send --special "Breaking: parliament dissolved" --yes

    Everything a message needs (DIGEST_SECRET, DIGEST_BASE_URL, the DKIM key, the templates) is
    checked first: a problem is one error and nothing is planned or recorded. Each topic mix is
    linted as `digest preview` does; one Gmail would clip is refused unless --force.

    Every relay is checked first: one that does not answer is left out with a warning. With several
    relays ([[relay]] in digest.toml), one that fails mid-run is taken out and the others carry on;
    the tally says which relay sent what.

    Exit 0 when all were sent, 3 when this run left some deferred, pending, bounced, failed or newly
    uncertain (rows uncertain since an earlier run are only reported), 2 when no
    relay can be reached (or every relay refused us), 4 when another `digest send` is sending this
    edition, 1 for any other error (configuration, a digest too large, messages that could not be
    built).

    Example: DIGEST_SMTP_URL=smtp://localhost:2525 digest send --yes
    """
    cfg = app.cfg
    if topics and not test_to:
        raise DigestError("--topic only goes with --test-to.", "Example: digest send --test-to me@example.org "
                          "--topic Europe")
    if edition_key and not retry_failed:
        raise DigestError("--edition only goes with --retry-failed.",
                          "Example: digest send --retry-failed --edition daily-2026-11-25")
    if retry_failed and test_to:
        raise DigestError("--retry-failed and --test-to do not go together.", "Run them one after the other.")
    if special is not None and (retry_failed or test_to):
        raise DigestError(f"--special does not go with {'--retry-failed' if retry_failed else '--test-to'}.",
                          "Run them one after the other.")
    if dry_run:
        _dry_run(app, frequency, retry_failed, edition_key, special)
        return
    pipeline.preflight(app.db, cfg)      # a configuration fault: one error, nothing planned, nothing recorded
    relays = pipeline.relays_for(cfg)
    if test_to:
        _test_send(app, relays, test_to, list(topics), frequency, force)
        return
    relays = _checked(app, relays)
    if retry_failed:
        _retry_failed(app, relays, edition_key, yes, quiet, force)
        return
    if not yes and (pending := pipeline.waiting(app.db, cfg, frequency, special)):
        what = f"the special edition \"{pipeline.check_title(special)}\"" if special is not None else "the digest"
        click.confirm(f"Send {what} to {plural(pending, 'subscriber', 'subscribers')} through {_names(relays)}?",
                      abort=True, err=True)
    with _progress(quiet) as progress:
        report = pipeline.send(app.db, cfg, relays, frequency=frequency, progress=progress,
                               resend_uncertain=resend_uncertain or False, force=force, special=special)
    if report.queued is not None:       # [worker] queue: planned here, sent by `digest worker`
        for plan, jobs in report.queued:
            say(f"Edition {plan.key}: planned {plural(plan.created, 'delivery', 'deliveries')} in "
                f"{plural(len(plan.batches), 'batch', 'batches')}; queued {plural(jobs, 'job', 'jobs')} for digest worker")
        return
    earlier_ok = True
    for key, retried in report.leftovers:
        if retried.error is None:
            say(f"Edition {key}: retried deferred deliveries: sent {retried.sent}, "
                f"still deferred {retried.deferred}, failed {retried.failed}")
        earlier_ok = earlier_ok and retried.ok
    if report.error is not None:
        runs = report.sent or report.leftovers
        if runs and runs[-1][1].error is report.error:      # it sent what it could: say what
            print_lint(runs[-1][1])
            print_tally(runs[-1][1])
        raise report.error
    plan, tally = report.sent[0]
    print_lint(tally)
    if tally.sent == 0 and tally.ok:
        say(f"Edition {plan.key}: {_nothing_to_send(plan, tally)}")
    print_tally(tally)
    sys.exit(0 if tally.ok and earlier_ok else 3)


def _nothing_to_send(plan: pipeline.Plan, t: pipeline.Tally) -> str:
    """Why a run sent nothing, in the admin's terms."""
    parts = []
    if t.skipped:
        parts.append(f"already sent to {plural(t.skipped, 'subscriber', 'subscribers')}")
    if plan.skipped_empty:
        n = plan.skipped_empty
        parts.append(f"{plural(n, 'subscriber has', 'subscribers have')} no new articles since their last digest")
    if not parts:
        return ("nothing to send: no active subscriber with topics is waiting for it "
                "(`digest subscribers list --status active`).")
    return "nothing to send: " + "; ".join(parts) + "."


def _checked(app: App, relays: list) -> list:
    """Every relay checked before anything is planned: one that does not answer is left out of this
    run, with a warning; none answering is one error (exit 2), and nothing is planned."""
    check = pipeline.check_relays(app.cfg, relays)
    for settings, err in check.down:
        say(f"Warning: relay {settings.name} is left out of this run: {err}")
    return check.usable


def _names(relays: list) -> str:
    return ", ".join(r.smtp.label for r in relays)


def _retry_failed(app: App, relays: list, edition_key: str | None, yes: bool, quiet: bool, force: bool) -> None:
    editions = pipeline.failed_editions(app.db, edition_key)
    due = sum(e.requeueable for e in editions)
    if not due:
        left = sum(e.failed for e in editions)
        say(f"No failed deliveries to retry{f' in edition {edition_key}' if edition_key else ''}"
            + (f" ({left} failed, each covered by a later digest or for an address that left the list)."
               if left else "."))
        return
    if not yes:
        click.confirm(f"Send {due} failed deliveries again through {_names(relays)}?", abort=True, err=True)
    with _progress(quiet) as progress:
        report = pipeline.retry_failed(app.db, app.cfg, relays, editions, progress=progress, force=force)
    ok = True
    for plan, tally in report.sent:
        if tally.error is not None:
            print_tally(tally)
            raise tally.error
        print_lint(tally)
        say(f"Edition {plan.key}: {tally.requeued} failed deliveries queued again"
            + (f", {tally.not_requeued} left failed (a later digest covers them, or the address left)"
               if tally.not_requeued else ""))
        print_tally(tally)
        ok = ok and tally.ok
    if report.error is not None:
        raise report.error
    sys.exit(0 if ok else 3)


def _test_send(app: App, relays: list, to: str, topics: list[str], frequency: str, force: bool) -> None:
    to, outcome, report = pipeline.send_test(app.db, app.cfg, relays, to, topics=topics or None, frequency=frequency,
                                             force=force)
    for warning in report.warnings:
        say(f"lint: warning: {warning}")
    say(f"lint: {pipeline.lint_summary(report)}")
    if outcome.status == "sent":
        say(f"Test copy sent to {to} through {outcome.relay} ({outcome.text}); nothing recorded.")
        return
    say(f"Test copy to {to} was {outcome.status}: {outcome.text}")
    sys.exit(3)


class _progress:
    """A rich progress bar on stderr with rate and ETA; nothing when quiet or stderr is not a terminal."""

    def __init__(self, quiet: bool):
        self.bar: Progress | None = None
        if not quiet and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
            self.bar = Progress(TextColumn("sending"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.fields[rate]}"),
                                TimeRemainingColumn(), console=Console(stderr=True), transient=True)

    def __enter__(self) -> Callable[[int, int], None] | None:
        bar = self.bar
        if bar is None:
            return None
        bar.start()
        task = bar.add_task("send", total=None, rate="")

        def update(done: int, total: int) -> None:
            speed = bar.tasks[0].speed
            bar.update(task, completed=done, total=total,
                            rate=f"{speed:,.0f} msgs/s" if speed else "")
        return update

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _dry_run(app: App, frequency: str, retry_failed: bool, edition_key: str | None, special: str | None) -> None:
    db = app.db         # a database that cannot be opened is the Error, not a preflight warning
    try:
        pipeline.preflight(db, app.cfg)
    except DigestError as exc:
        say(f"Warning: a real send would stop here: {exc}")
    if retry_failed:
        editions = pipeline.failed_editions(app.db, edition_key, must_exist=False)
        table(["edition", "failed", "would be retried"], [[e.key, e.failed, e.requeueable] for e in editions])
        say(f"Dry run of --retry-failed: {sum(e.requeueable for e in editions)} failed deliveries would be sent "
            "again; nothing sent, nothing recorded.")
        return
    d = pipeline.dry_run(app.db, app.cfg, frequency, special=special)
    if d.mixes:
        table(["topic mix", "articles (most)", "recipients"], [list(row) for row in d.mixes])
    would = sum(count for _, _, count in d.mixes)
    why = [f"{plural(would, 'subscriber', 'subscribers')} would get a digest"]
    if d.already:
        why.append(f"{d.already} already had this edition")
    if d.empty:
        why.append(f"{d.empty} have no new articles since their last digest")
    if not would and not d.already and not d.empty:
        why.append("no active subscriber with topics is waiting for it")
    say(f"Dry run of edition {d.key}: {'; '.join(why)}. Nothing sent, nothing recorded.")


def register(cli: click.Group) -> None:
    cli.add_command(send_command)
