"""What a send run does with each message's outcome: back to the queue when it was about us (the
relay, our lease) or our fault (a message that could not be built), take the relay out of rotation
when it refuses the sender (or refuses us temporarily too often), retry a deferral with back-off
until the deadline, and otherwise buffer it for the ledger and count it in the tally, with the
relay that answered. Also what happens to a relay taken out of rotation, and to its unstarted rows.
May import: clock, config, smtp, errors, and .messages/.relays/.tally. The run is passed in (Run says
what of it is used), so this module never imports pipeline.sender, which calls it.
"""

from __future__ import annotations

import datetime as dt
import email.errors
import heapq
import random
import time
from collections.abc import Callable
from typing import Any, Protocol, cast

from ..clock import now
from ..config import Config, SendSettings
from ..errors import DigestError, RelayError
from ..smtp import RECORDED, Job, Lane, Outcome, Pool, Result, refusal
from .messages import Claimed
from .relays import no_relay_left
from .tally import FAILURE_SAMPLE, Tally


class Run(Protocol):
    """What an outcome touches of the send run it belongs to (pipeline.sender's EditionRun is one)."""

    cfg: Config
    s: SendSettings
    tally: Tally
    pool: Pool | None
    feed: list[Claimed]                         # rows to send next
    retry: list[tuple[float, int, Claimed]]     # deferred rows to try again in this run (a heap)
    buffer: list[tuple]                         # outcomes not yet written to the ledger
    unclaimed: list[int]                        # rows handed back to the queue unattempted
    unbuilt: list[Claimed]
    gone: list[tuple[str, DigestError]]
    on_message: Callable[[Outcome], Any] | None
    done: int
    outstanding: int
    stopping: bool

    def lane(self, name: str) -> Lane | None: ...

    def stop(self, exc: DigestError) -> None: ...


StopCheck = Callable[[], bool]             # a run's callbacks: asked between messages,
OnProgress = Callable[[int, int], None]    # told (done, total),
OnMessage = Callable[[Outcome], None]      # and told each message's outcome
ROW_REQUEUES = 2        # a refusal about the relay that keeps coming back for one row is that row's deferral


def backoff(settings: SendSettings, attempt: int) -> float:
    """Exponential back-off with full jitter in its upper half: base * 2^(attempt-1), capped."""
    delay = min(settings.retry_cap, settings.retry_base * (2 ** max(0, attempt - 1)))
    return delay * (0.5 + random.random() / 2)


def settle_outcome(run: Run, row: Claimed, outcome: Outcome) -> None:
    t, s = run.tally, run.s
    if row.unbuilt is not None:
        if not isinstance(row.unbuilt, email.errors.MessageDefect):
            # Our fault (configuration, templates, a bug), not the recipient's: back to the queue,
            # no attempt counted, and the run ends with a BuildError.
            run.unclaimed.append(row.id)
            run.unbuilt.append(row)
            return
        # The stdlib refused the recipient's own address (a non-ASCII local part): theirs.
        outcome = Outcome("failed", 0, f"the address {row.email} cannot be written in a message: {row.unbuilt}")
    status, soft, next_at = outcome.status, outcome.soft, None
    reply, lane = outcome.text, run.lane(outcome.relay)
    if lane is not None and status in RECORDED:
        answered = t.relay(lane.name)
        setattr(answered, status, getattr(answered, status) + 1)
    if status == "requeue" and outcome.throttled:
        row.requeues += 1
        if row.requeues > ROW_REQUEUES:     # always this one, while others go through: its own 4xx after all
            status = "deferred"
    if status == "requeue":         # about the relay or our lease, not the recipient: again later, unattempted
        run.feed.insert(0, row)
        if outcome.throttled and lane is not None:
            lane.refusals += 1
            if lane.refusals >= s.relay_retries:
                relay_out(run, lane, RelayError(
                    f"SMTP relay {lane.label} refused us temporarily {lane.refusals} times in a row, last: {reply}.",
                    "Nothing was marked for those deliveries: they stay pending. Run `digest send` again later; "
                    "check DIGEST_FROM and the relay's limits if it persists."))
        return
    if status == "stop":            # the relay refuses the sender or the account: out, blame nobody
        run.feed.insert(0, row)     # unattempted: another relay, or back to the queue when none is left
        if lane is not None:        # the envelope sender is the VERP return path, on the bounce domain
            cfg = run.cfg
            relay_out(run, lane, refusal(outcome, lane.label, f"{cfg.bounces.prefix}+<token>@{cfg.bounce_domain}",
                                         lane.settings.smtp.env))
        return
    if status == "sent" and lane is not None:
        lane.refusals = 0
    if status == "deferred":
        row.tries += 1
        delay = backoff(s, row.attempts + row.tries)
        next_at = now() + dt.timedelta(seconds=delay)
        if next_at > row.created_at + dt.timedelta(seconds=s.retry_deadline):
            status, soft, next_at = "failed", True, None
            reply = f"gave up after {row.attempts + row.tries} attempts; last reply: {reply}"
        elif row.tries < s.retry_attempts and not run.stopping:
            heapq.heappush(run.retry, (time.monotonic() + delay, row.id, row))
            run.buffer.append((row.id, status, reply, None if outcome.lost else next_at, False, outcome.relay or None,
                               None))
            return
        if outcome.lost:
            # A dropped connection is the relay's trouble, not a recipient's tempfail: when this run ends
            # before retrying it (the relay went down), the next run sends it at once, with the pending rows.
            next_at = None
    run.buffer.append((row.id, status, reply, next_at, soft, outcome.relay or None,
                       (outcome.reason or "no-answer") if status == "uncertain" else None))
    run.done += 1
    if status != "deferred":
        setattr(t, status, getattr(t, status) + 1)
    if status in ("failed", "bounced"):
        t.reasons[reply] = t.reasons.get(reply, 0) + 1
    if status == "failed" and len(t.failures) < FAILURE_SAMPLE:
        t.failures.append((row.email, reply))
    assert row.group is not None, "a row is given its group before it is tried (EditionRun.submit)"
    stats = t.by_mix.setdefault(row.group.body.mix, {"articles": len(row.group.body.articles),
                                                     "recipients": 0, "sent": 0})
    stats["recipients"] += 1
    stats["sent"] += status == "sent"
    if run.on_message:
        run.on_message(outcome)


def again(run: Run, row: Claimed) -> None:
    """A row handed back unattempted (its relay went out of rotation): next, on another relay."""
    if run.stopping:
        run.unclaimed.append(row.id)
    else:
        run.feed.append(row)


def relay_out(run: Run, lane: Lane, why: DigestError) -> None:
    """Take a relay out of rotation for the rest of the run; its unstarted rows go to the others.
    With none left, the run stops with the one relay's error, or each relay's."""
    if lane.out is not None:
        return
    pool = run.pool
    assert pool is not None, "a relay goes out of rotation only while its pool runs"
    jobs = pool.take_out(lane, why)
    run.outstanding -= len(jobs)
    for job in jobs:
        again(run, claimed(job))
    run.tally.relay(lane.name).out = why.message
    run.gone.append((lane.name, why))
    if not pool.rotation:
        run.stop(no_relay_left(run.gone))


def claimed(job: Job) -> Claimed:
    """The row the run handed the pool with this job (the pool carries it without reading it)."""
    return cast(Claimed, job.item)


def attempted(r: Result) -> tuple[Claimed, Outcome]:
    """The row and outcome of a job the pool attempted (a Result with a job and no error has one)."""
    assert r.job is not None and r.outcome is not None, "the pool reports an outcome for each job it tried"
    return claimed(r.job), r.outcome
