"""What a send run reports: the Tally of one edition's run (with what each relay answered), merged
over several editions the one way (the scheduler's pass, the demo's two frequencies), and the errors
that end a run our fault.
May import: errors, compose.lint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..compose.lint import LintReport
from ..errors import DigestError

FAILURE_SAMPLE = 5      # failed deliveries the tally names, with their reason
COUNTS = ("sent", "skipped", "deferred", "pending", "bounced", "failed", "uncertain", "uncertain_earlier", "retried",
          "throttles", "recovered", "requeued", "not_requeued")


@dataclass
class RelayTally:
    """What one relay answered in a run (each answer counted once: a deferral retried on another relay
    is that relay's deferral), how often it throttled us, and why it was taken out of rotation."""
    sent: int = 0
    deferred: int = 0
    bounced: int = 0
    failed: int = 0
    uncertain: int = 0
    throttles: int = 0
    slowest_rate: float = 0.0    # the lowest rate its pacer fell to (msgs/s), 0 = never throttled
    out: str = ""                # why it was taken out of rotation ("" = it stayed in)

    def merge(self, other: RelayTally) -> None:
        for name in ("sent", "deferred", "bounced", "failed", "uncertain", "throttles"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if other.slowest_rate:
            self.slowest_rate = min(self.slowest_rate or other.slowest_rate, other.slowest_rate)
        self.out = self.out or other.out


class BuildError(DigestError):
    """Messages could not be built: our fault, not the recipients'. Their rows wait in the queue."""


class ClippedError(DigestError):
    """A digest is too large for Gmail, which would clip it (and hide the unsubscribe link)."""


@dataclass
class Tally:
    sent: int = 0
    skipped: int = 0             # already sent before this run
    deferred: int = 0            # left for a later run after a temporary failure
    pending: int = 0             # never attempted (the run stopped before them: no relay left, a stop asked)
    bounced: int = 0
    failed: int = 0
    uncertain: int = 0           # the final dot written, no answer read; see `digest deliveries list --status uncertain`
    uncertain_earlier: int = 0   # of which, already uncertain before this run (reported by an earlier one)
    uncertain_reasons: dict[str, int] = field(default_factory=dict)   # smtp.UNCERTAIN_REASONS -> rows
    by_mix: dict[str, dict] = field(default_factory=dict)
    retried: int = 0             # retries within this run
    throttles: int = 0           # times the relay asked us to slow down
    slowest_rate: float = 0.0    # the lowest rate the pacer fell to (msgs/s), 0 = never throttled
    recovered: int = 0           # outcomes replayed from a previous run's journal
    stopped: bool = False        # should_stop() ended the run early
    requeued: int = 0            # failed deliveries put back in the queue by retry_failed
    not_requeued: int = 0        # failed deliveries left alone: a later digest covers them, or the address left
    lint: dict[str, LintReport] = field(default_factory=dict)   # per topic mix, its largest body
    reasons: dict[str, int] = field(default_factory=dict)       # failed and bounced: reply -> count
    elapsed: float = 0.0         # seconds in the send loop
    bookkeeping: float = 0.0     # of which, seconds in ledger transactions (claims and outcomes)
    failures: list[tuple[str, str]] = field(default_factory=list)   # (email, reason): the first FAILURE_SAMPLE
    relays: dict[str, RelayTally] = field(default_factory=dict)      # relay name -> what it answered
    # The fault that ended the run after it had sent and recorded what it could (the relay refused
    # us mid-run, messages that could not be built, a digest too large): the caller reports the
    # tally, then raises it. None for a run that went to its end.
    error: DigestError | None = None

    def relay(self, name: str) -> RelayTally:
        return self.relays.setdefault(name, RelayTally())

    def pacing(self, lanes: list) -> None:
        """What each relay's pacer did in the run (smtp.Lane: name, pacer.throttles, pacer.lowest)."""
        for lane in lanes:
            relay = self.relay(lane.name)
            relay.throttles += lane.pacer.throttles
            if lane.pacer.throttles:
                relay.slowest_rate = lane.pacer.lowest
        self.throttles = sum(lane.pacer.throttles for lane in lanes)
        self.slowest_rate = min((lane.pacer.lowest for lane in lanes if lane.pacer.throttles), default=0.0)

    @property
    def ok(self) -> bool:
        """Nothing this run left to look at: uncertain rows an earlier run reported do not count."""
        return not (self.deferred or self.pending or self.bounced or self.failed
                    or self.uncertain > self.uncertain_earlier)

    def lint_mix(self, mix: str, report: LintReport) -> None:
        """Keep a mix's largest body's lint report (a full one over a size-only one of the same size)."""
        mine = self.lint.get(mix)
        if mine is None or report.size_bytes > mine.size_bytes:
            self.lint[mix] = report

    def merge(self, other: Tally) -> Tally:
        """Add another edition's run to this one: counts add up, a mix keeps its largest body's lint
        and article count, the slowest rate is the lowest seen, the first error stays."""
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reply, n in other.reasons.items():
            self.reasons[reply] = self.reasons.get(reply, 0) + n
        for why, n in other.uncertain_reasons.items():
            self.uncertain_reasons[why] = self.uncertain_reasons.get(why, 0) + n
        for mix, report in other.lint.items():
            self.lint_mix(mix, report)
        for mix, stats in other.by_mix.items():
            mine = self.by_mix.setdefault(mix, {"articles": 0, "recipients": 0, "sent": 0})
            mine["articles"] = max(mine["articles"], stats["articles"])
            mine["recipients"] += stats["recipients"]
            mine["sent"] += stats["sent"]
        self.failures += other.failures[:max(0, FAILURE_SAMPLE - len(self.failures))]
        for name, relay in other.relays.items():
            self.relay(name).merge(relay)
        if other.slowest_rate:
            self.slowest_rate = min(self.slowest_rate or other.slowest_rate, other.slowest_rate)
        self.stopped = self.stopped or other.stopped
        self.elapsed += other.elapsed
        self.bookkeeping += other.bookkeeping
        self.error = self.error or other.error
        return self
