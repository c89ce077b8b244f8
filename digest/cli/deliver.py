"""`digest send`: send the due edition to every subscriber, exactly once each (or one test copy)."""

from __future__ import annotations

import datetime as dt
import sys

import click

from .. import pipeline
from ..errors import DigestError, NotFound
from .app import App, pass_app, say, table


def print_tally(t: pipeline.Tally) -> None:
    say(f"sent {t.sent}, skipped {t.skipped} (already sent), deferred {t.deferred}, bounced {t.bounced}, "
        f"failed {t.failed}, uncertain {t.uncertain}")
    for email, reason in t.failures:
        say(f"failed: {email}: {reason}")
    if t.failed > len(t.failures):
        say(f"{t.failed - len(t.failures)} more failed: `digest deliveries list --status failed` lists every one.")
    for reply, n in sorted(t.reasons.items(), key=lambda kv: -kv[1])[:3]:
        say(f"  {n} × {reply}")
    if len(t.reasons) > 3:
        say("  ... every reply: `digest deliveries list --status failed` (or bounced)")
    if t.throttles:
        say(f"The relay throttled us {t.throttles} times; the rate went down to {t.slowest_rate:.1f} msgs/s.")
    if t.uncertain:
        say(f"{t.uncertain} deliveries are uncertain (in flight when a sender died). List them with "
            "`digest deliveries list --status uncertain`; resend with `digest send --resend-uncertain`.")
    if t.stopped:
        say("Stopped before the end; the next `digest send` carries on.")


def print_lint(t: pipeline.Tally) -> None:
    """What `digest preview` says about a body, for every topic mix this run sent."""
    from ..preview_server import summary
    for mix, report in sorted(t.lint.items()):
        for warning in report.warnings:
            say(f"lint: {mix}: warning: {warning}")
    if t.lint:
        mix, largest = max(t.lint.items(), key=lambda kv: kv[1].size_bytes)
        n = sum(len(r.warnings) for r in t.lint.values())
        say(f"lint: {len(t.lint)} topic mix{'' if len(t.lint) == 1 else 'es'}, largest {mix}: "
            f"{largest.size_bytes / 1024:.1f} KiB of 102 KiB; {n} warning{'' if n == 1 else 's'}")


@click.command(name="send")
@click.option("--dry-run", is_flag=True, help="Show who would get what; send and record nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--frequency", type=click.Choice(["daily", "weekly"]), default="daily", show_default=True)
@click.option("--resend-uncertain", is_flag=True,
              help="Also resend deliveries left uncertain by a crash (their recipients may get two copies).")
@click.option("--retry-failed", is_flag=True,
              help="Put the failed deliveries back in the queue once and send them (every edition, or --edition).")
@click.option("--edition", "edition_key", metavar="KEY", help="With --retry-failed: only this edition, "
              "e.g. daily-2026-11-25.")
@click.option("--force", is_flag=True, help="Send even a digest Gmail would clip (102 KiB of HTML or more).")
@click.option("--test-to", "test_to", metavar="EMAIL",
              help="Send one copy of the current edition to EMAIL, subject marked [TEST]; record nothing.")
@click.option("--topic", "topics", multiple=True, help="With --test-to: the topic mix to send (default: all).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@pass_app
def send_command(app: App, dry_run: bool, yes: bool, frequency: str, resend_uncertain: bool, retry_failed: bool,
                 edition_key: str | None, force: bool, test_to: str | None, topics: tuple[str, ...],
                 quiet: bool) -> None:
    """Send the due edition to every subscriber who has not received it yet.

    Everything a message needs (DIGEST_SECRET, DIGEST_BASE_URL, the DKIM key, the templates) is
    checked first: a problem is one error and nothing is planned or recorded. Each topic mix is
    linted as `digest preview` does; one Gmail would clip is refused unless --force.

    Exit 0 when all were sent, 3 when some were deferred, bounced, failed or uncertain, 2 when the
    relay cannot be reached, 4 when another `digest send` is sending this edition, 1 for any other
    error (configuration, a digest too large, messages that could not be built).

    Example: DIGEST_SMTP_URL=smtp://localhost:2525 digest send --yes
    """
    store, cfg = app.store, app.cfg
    if topics and not test_to:
        raise DigestError("--topic only goes with --test-to.", "Example: digest send --test-to me@example.org "
                          "--topic Europe")
    if edition_key and not retry_failed:
        raise DigestError("--edition only goes with --retry-failed.",
                          "Example: digest send --retry-failed --edition daily-2026-11-25")
    if retry_failed and test_to:
        raise DigestError("--retry-failed and --test-to do not go together.", "Run them one after the other.")
    if dry_run:
        _dry_run(app, frequency, retry_failed, edition_key)
        return
    pipeline.preflight(store, cfg)      # a configuration fault: one error, nothing planned, nothing recorded
    relay = pipeline.relay_for(cfg)
    if test_to:
        _test_send(app, relay, test_to, list(topics), frequency, force)
        return
    if retry_failed:
        _retry_failed(app, relay, edition_key, yes, quiet, force)
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
                retried = pipeline.send_edition(store, cfg, old, relay, progress=progress, force=force)
                say(f"Edition {old.key}: retried deferred deliveries: sent {retried.sent}, "
                    f"still deferred {retried.deferred}, failed {retried.failed}")
                earlier_ok = earlier_ok and retried.ok
            plan = pipeline.plan_edition(store, cfg, frequency=frequency)
            tally = pipeline.send_edition(store, cfg, plan, relay, progress=progress,
                                          resend_uncertain=resend_uncertain, force=force)
        except DigestError as exc:
            if getattr(exc, "tally", None) is not None:
                print_lint(exc.tally)
                print_tally(exc.tally)
            raise
    print_lint(tally)
    if tally.sent == 0 and tally.ok:
        say(f"Edition {plan.key}: {_nothing_to_send(plan, tally)}")
    print_tally(tally)
    sys.exit(0 if tally.ok and earlier_ok else 3)


def _nothing_to_send(plan: pipeline.Plan, t: pipeline.Tally) -> str:
    """Why a run sent nothing, in the admin's terms."""
    parts = []
    if t.skipped:
        parts.append(f"already sent to {t.skipped} subscriber{'' if t.skipped == 1 else 's'}")
    if plan.skipped_empty:
        n = plan.skipped_empty
        parts.append(f"{n} subscriber{' has' if n == 1 else 's have'} no new articles since their last digest")
    if not parts:
        return ("nothing to send: no active subscriber with topics is waiting for it "
                "(`digest subscribers list --status active`).")
    return "nothing to send: " + "; ".join(parts) + "."


def _retry_failed(app: App, relay, edition_key: str | None, yes: bool, quiet: bool, force: bool) -> None:
    store = app.store
    rows = store.failed_counts(edition_key)
    if edition_key and store.edition_id(edition_key) is None:
        raise NotFound(f"Edition {edition_key} does not exist.",
                       "See the editions with `digest deliveries list --status failed`.")
    due = sum(r["requeueable"] for r in rows)
    if not due:
        left = sum(r["failed"] for r in rows)
        say(f"No failed deliveries to retry{f' in edition {edition_key}' if edition_key else ''}"
            + (f" ({left} failed, each covered by a later digest or for an address that left the list)."
               if left else "."))
        return
    if not yes:
        click.confirm(f"Send {due} failed deliveries again through {app.cfg.smtp().name}?", abort=True, err=True)
    ok = True
    with _progress(quiet) as progress:
        for r in rows:
            if not r["requeueable"]:
                continue
            plan = pipeline.Plan(r["id"], r["key"], dt.date.fromisoformat(r["date"]), 0, 0)
            try:
                tally = pipeline.send_edition(store, app.cfg, plan, relay, progress=progress, retry_failed=True,
                                              force=force)
            except DigestError as exc:
                if getattr(exc, "tally", None) is not None:
                    print_tally(exc.tally)
                raise
            print_lint(tally)
            say(f"Edition {plan.key}: {tally.requeued} failed deliveries queued again"
                + (f", {tally.not_requeued} left failed (a later digest covers them, or the address left)"
                   if tally.not_requeued else ""))
            print_tally(tally)
            ok = ok and tally.ok
    sys.exit(0 if ok else 3)


def _test_send(app: App, relay, to: str, topics: list[str], frequency: str, force: bool) -> None:
    from ..subscribers import normalize_email   # the same address check as `subscribers add`
    to = normalize_email(to)
    outcome, report = pipeline.send_test(app.store, app.cfg, relay, to, topics=topics or None, frequency=frequency,
                                         force=force)
    from ..preview_server import summary
    for warning in report.warnings:
        say(f"lint: warning: {warning}")
    say(f"lint: {summary(report)}")
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


def _dry_run(app: App, frequency: str, retry_failed: bool, edition_key: str | None) -> None:
    store, cfg = app.store, app.cfg
    try:
        pipeline.preflight(store, cfg)
    except DigestError as exc:
        say(f"Warning: a real send would stop here: {exc}")
    if retry_failed:
        rows = store.failed_counts(edition_key)
        table(["edition", "failed", "would be retried"], [[r["key"], r["failed"], r["requeueable"]] for r in rows])
        say(f"Dry run of --retry-failed: {sum(r['requeueable'] for r in rows)} failed deliveries would be sent "
            "again; nothing sent, nothing recorded.")
        return
    at = pipeline.now()
    key = pipeline.edition_key(frequency, pipeline.local_today(cfg, at))
    edition_id = store.edition_id(key)
    # Streamed: one count per (topic mix, window), never the whole list in memory. Windows as plan_edition cuts them.
    until_seq = store.ingest_seq()
    mixes: dict[str, list[int]] = {}
    counts: dict[tuple, int] = {}
    empty = 0
    for batch in store.iter_due_subscribers(edition_id or -1, frequency):
        marks, seqs = store.watermarks(s.id for s in batch), store.seq_watermarks(s.id for s in batch)
        for sub in batch:
            since, until = pipeline.select.window(sub, marks.get(sub.id), at)
            since_seq = seqs.get(sub.id)
            since_seq = since_seq if since_seq is not None else store.seq_after(since)
            mix = pipeline.select.mix_key(sub.topics)
            n = counts.get((mix, since_seq))
            if n is None:
                n = counts[(mix, since_seq)] = store.count_articles_between(sub.topics, since, until,
                                                                            since_seq=since_seq, until_seq=until_seq)
            if n == 0:
                empty += 1
                continue
            entry = mixes.setdefault(mix, [0, 0])
            entry[0] = max(entry[0], n)
            entry[1] += 1
    rows = [[mix, n, count] for mix, (n, count) in sorted(mixes.items())]
    if rows:
        table(["topic mix", "articles (most)", "recipients"], rows)
    sent = store.delivery_counts(edition_id).get("sent", 0) if edition_id else 0
    would = sum(r[2] for r in rows)
    why = [f"{would} subscriber{'' if would == 1 else 's'} would get a digest"]
    if sent:
        why.append(f"{sent} already had this edition")
    if empty:
        why.append(f"{empty} have no new articles since their last digest")
    if not would and not sent and not empty:
        why.append("no active subscriber with topics is waiting for it")
    say(f"Dry run of edition {key}: {'; '.join(why)}. Nothing sent, nothing recorded.")


def register(cli: click.Group) -> None:
    cli.add_command(send_command)
