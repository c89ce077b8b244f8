"""Send one edition exactly once, and one test copy of the edition due now.

send_edition holds the edition's lease (LockedError if another sender has it), first replays what a
killed run left behind (ledger.recover), renders and lints every topic mix before the relays are
opened, then sends through every relay that answers, each over its own `connections` parallel
connections (sender.EditionRun). A row is marked sent only after a relay accepted the message.
May import: clock, config, db, errors, compose.lint, compose.message, models, plural,
compose.render, smtp, lists.subscriber_fields, and .bodies/.editions/.lease/.ledger/.messages/.preview/.relays/.sender/.tally.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from ..clock import now
from ..compose import lint as lint_mod
from ..compose import message
from ..config import Config, RelaySettings
from ..db import Database, faults
from ..errors import DigestError, LeaseLost, LedgerError
from ..lists.subscriber_fields import normalize_email
from ..plural import plural
from ..smtp import AddressError, Outcome, Relay, open_all, smtp_address
from ..smtp.journal import Journal
from . import ledger
from .editions import Plan
from .lease import Lease
from .messages import Claimed, DateHeader, fast_message, lint_body, prepare_group, return_path, signer_for
from .preview import groups_for_preview
from .relays import no_relay_left, open_relay
from .sender import EditionRun
from .tally import BuildError, ClippedError, Tally


def send_edition(db: Database, cfg: Config, plan: Plan, relays: list[RelaySettings], *,
                 should_stop: Callable[[], bool] | None = None, progress: Callable[[int, int], None] | None = None,
                 resend_uncertain: bool | str = False, on_message: Callable[[Outcome], None] | None = None,
                 retry_failed: bool = False, force: bool = False) -> Tally:
    """Send every due delivery of the edition exactly once and record each outcome; return the Tally.

    `should_stop` is checked between messages: when it returns True the messages in flight are
    finished and recorded and the rest stay queued. `progress(done, total)` is called a few times
    a second. `retry_failed`: the edition's failed deliveries go back to the queue first, once.
    A relay that fails is taken out of rotation and the others carry on (`tally.relays` says what
    each relay answered, and why one went out). A run that stopped after doing what it could returns
    its Tally with `error` set: no relay was left (RelayError: each refused us or was lost mid-run),
    messages could not be built (BuildError: they wait in the queue), a digest Gmail would clip
    (ClippedError; unless `force`: nothing claimed when it is among the first LINT_FULL mixes, else
    that mix's rows are held back in the queue and every other digest is sent).
    A run that cannot start or may not write raises instead: LockedError (another sender holds
    the edition), RelayError (no relay can be reached; nothing claimed), LedgerError (a ledger
    write failed; the journal is kept for the next run), LeaseLost (taken over; nothing more written).
    """
    s = cfg.send
    _not_the_workers(db, plan)
    tally = Tally()
    started = time.monotonic()
    db.set_lock_timeout(s.lock_timeout)
    try:
        lease = Lease(db, f"send:{plan.key}", s.lease_seconds).acquire()
    except faults() as exc:
        raise ledger.ledger_error(db, s, exc) from None
    run = None
    try:
        # Rows already uncertain before this run were reported by an earlier one: not this run's news.
        earlier = sum(db.deliveries.uncertain_by_reason(plan.edition_id).values())
        rec = ledger.recover(db, plan.edition_id, soft_bounce_limit=s.soft_bounce_limit, deadline=s.retry_deadline,
                             resend_uncertain=resend_uncertain, fence=lease.fence)
        tally.recovered = rec.replayed + rec.uncertain
        tally.uncertain_earlier = max(0, earlier - rec.requeued_uncertain)
        tally.failed += rec.expired         # ran out of time since the last run: this run's news
        if retry_failed:
            tally.requeued, tally.not_requeued = db.deliveries.requeue_failed(plan.edition_id)
        tally.skipped = db.deliveries.counts(plan.edition_id).get("sent", 0)
        total = db.deliveries.count_due(plan.edition_id, now())
        if total:
            run = EditionRun(db, cfg, plan, lease, tally, should_stop=should_stop, progress=progress,
                             on_message=on_message, force=force)
            tally.error = _lint(run, force)     # a clipped digest: nothing claimed, nothing marked
            if tally.error is not None:
                return tally
            run.signer = signer_for(cfg)
            opened = open_relays(run, cfg, relays)     # RelayError here: nothing claimed, nothing marked
            run.total = total
            slots = [r.name for r, _ in opened for _ in range(r.connection_count)]    # one journal file each
            journal = Journal(ledger.outbox(db), plan.edition_id, slots)
            try:
                run.run(opened, journal)
            finally:
                # Only once the database holds every outcome it says: never after a failed write, a
                # lost lease, or with a message whose reply never came (the next run needs its D line).
                journal.close(remove=run.committed)
            if isinstance(run.error, (LedgerError, LeaseLost)):
                raise run.error
            if run.error and (run.outstanding or db.deliveries.count_due(plan.edition_id, now())):
                tally.error = run.error
            elif run.unbuilt:
                tally.error = _build_error(plan, run.unbuilt)
            elif run.held:
                tally.error = _held_error(plan, run.held)
        _finish(tally, db.deliveries.counts(plan.edition_id), started)
        tally.uncertain_reasons = db.deliveries.uncertain_by_reason(plan.edition_id)
    except LeaseLost:
        lease.lost = True
        raise
    except faults() as exc:
        raise ledger.ledger_error(db, s, exc) from None
    finally:
        if run is None or run.writable:
            try:
                lease.release()
            except faults():
                pass        # it expires by itself, and a dead holder's is taken over at once
    return tally


def open_relays(run: EditionRun, cfg: Config, relays: list[RelaySettings]) -> list[tuple[RelaySettings, Relay]]:
    """A first connection to every relay, side by side; one that cannot be opened is out of this run
    from the start (said in the tally). RelayError when none opens."""
    opened = []
    for settings, got in open_all(relays, cfg.domain):
        run.tally.relay(settings.name)
        if isinstance(got, Relay):
            opened.append((settings, got))
        else:
            run.tally.relay(settings.name).out = got.message
            run.gone.append((settings.name, got))
    if not opened:
        raise no_relay_left(run.gone)
    return opened


def _not_the_workers(db: Database, plan: Plan) -> None:
    """An edition planned into batches for `digest worker` is theirs until every batch is done: a plain
    send beside them (this host's [worker] queue off by mistake) would claim rows a worker is sending."""
    if db.dialect != "postgres":
        return
    open_ = [b for b in db.batches.of_edition(plan.edition_id) if b.status != "done" and b.job_id is not None]
    if open_:
        raise DigestError(f"Edition {plan.key} is queued for digest worker: "
                          f"{plural(len(open_), 'batch is', 'batches are')} not done, so this send stops here "
                          "and sends nothing.",
                          "Run `digest worker` on a host to finish it, or set [worker] queue = true "
                          "(DIGEST_WORKERS=1) on this one so that `digest send` plans and queues.")


# Linting a body fully (an HTML parse) costs more than rendering it. Before anything is sent, the
# first LINT_FULL windows are linted fully: a digest clipped there (templates that make every digest
# too large) stops the whole edition, nothing claimed. Every other body has its size checked when the
# send makes it (EditionRun.group): a clipped one is held back, its rows left queued, and reported,
# while everyone else gets theirs; so the first message does not wait for every mix to be made.
LINT_FULL = 200


def _lint(run: EditionRun, force: bool) -> ClippedError | None:
    """Lint the first LINT_FULL bodies the due rows need (their groups kept for the send); a
    clipped one is refused unless forced."""
    clipped = []
    for window in run.db.deliveries.due_windows(run.plan.edition_id, now(), limit=LINT_FULL):
        body = run.group(window).body
        report = lint_body(run.cfg, body)
        run.tally.lint_mix(body.mix, report)
        if report.size_bytes >= lint_mod.CLIP_BYTES:
            clipped.append((body.mix, report.size_bytes))
    if not clipped or force:
        return None
    mix, size = max(clipped, key=lambda c: c[1])
    return ClippedError(f"Edition {run.plan.key}: the digest for {mix} is {size / 1024:.1f} KiB of HTML "
                        f"({plural(len(clipped), 'topic mix', 'topic mixes')} too large); Gmail clips a message at 102 KiB and hides "
                        "the rest, unsubscribe link included.",
                        "Nothing was sent. Send fewer stories, trim the templates, or pass --force to send it anyway.")


def _held_error(plan: Plan, held: dict[str, list[int]]) -> ClippedError:
    mix, (size, _) = max(held.items(), key=lambda h: h[1][0])
    rows = sum(n for _, n in held.values())
    return ClippedError(f"Edition {plan.key}: {plural(rows, 'delivery', 'deliveries')} of {plural(len(held), 'topic mix', 'topic mixes')} held back: the digest "
                        f"for {mix} is {size / 1024:.1f} KiB of HTML, and Gmail clips a message at 102 KiB and hides "
                        "the rest, unsubscribe link included. Every other subscriber's digest was sent.",
                        "They are still queued. Send fewer stories or trim the templates and run `digest send` "
                        "again, or pass --force to send them as they are.")


def _build_error(plan: Plan, unbuilt: list[Claimed]) -> BuildError:
    first = unbuilt[0].unbuilt
    reason = f"{type(first).__name__}: {first}" if str(first) else type(first).__name__
    err = BuildError(f"Edition {plan.key}: {plural(len(unbuilt), 'message', 'messages')} could not be built ({reason}), first for "
                     f"{unbuilt[0].email}. They are still queued; nothing was marked failed.",
                     "Fix the cause (`digest -v send` shows the traceback) and run `digest send` again.")
    err.__cause__ = first
    return err


def _finish(tally: Tally, counts: dict[str, int], started: float) -> None:
    tally.deferred = counts.get("deferred", 0)
    tally.pending = counts.get("pending", 0) + counts.get("sending", 0)     # never attempted: the next run sends them
    tally.uncertain = counts.get("uncertain", 0)
    tally.uncertain_earlier = min(tally.uncertain, tally.uncertain_earlier)
    tally.elapsed = time.monotonic() - started


def send_test(db: Database, cfg: Config, relays: list[RelaySettings], to: str, *,
              topics: list[str] | None = None, frequency: str = "daily",
              force: bool = False) -> tuple[str, Outcome, lint_mod.LintReport]:
    """Send the edition due now (for `topics`, or every topic) to one address, marked as a test,
    through the first relay (by weight) that answers; returns the address as normalised, the relay's
    outcome (its `relay` names the relay) and the lint report.

    Nothing is recorded: no delivery row, no watermark, no lease. The links in it point at the
    subscriber with that address if there is one, else at nobody (subscriber 0); its return path names
    no delivery (edition 0, subscriber 0), so its bounce suppresses nobody. Linted first, as
    send_edition does: a body Gmail would clip raises ClippedError unless `force`.
    """
    to = normalize_email(to)      # the same address check as `subscribers add`
    body, _ = groups_for_preview(db, cfg, topics=topics, frequency=frequency)
    report = lint_body(cfg, body)
    if report.size_bytes >= lint_mod.CLIP_BYTES and not force:
        raise ClippedError(f"The test copy for {body.mix} is {report.size_bytes / 1024:.1f} KiB of HTML; Gmail clips "
                           "a message at 102 KiB and hides the rest, unsubscribe link included.",
                           "Nothing was sent. Send fewer stories, trim the templates, or pass --force.")
    found = db.subscribers.find(to)
    sid = found.id if found else 0
    try:
        rcpt = smtp_address(to)
    except AddressError as exc:
        raise DigestError(f"Cannot send a test copy to {to}: {exc}.") from None
    group = prepare_group(cfg, body, test=True)
    mid = message.message_id(f"{body.view.edition_key}-test-{uuid.uuid4().hex[:8]}", sid, cfg.domain)
    data = fast_message(cfg, group, subscriber_id=sid, email=rcpt, name=None, message_id=mid,
                        date=DateHeader()(), signer=signer_for(cfg), test=True)
    relay = open_relay(cfg, relays)
    try:
        outcome = relay.send(return_path(cfg, 0, 0), rcpt, data)
        outcome.relay = relay.name
        return to, outcome, report
    finally:
        relay.close()
