"""What a send run says on stderr: its tally (sent, skipped, deferred, failed, uncertain, and why),
each relay's share, and the lint of every topic mix it sent.
May import: pipeline, plural, and .app.
"""

from __future__ import annotations

from .. import pipeline
from ..plural import plural
from .app import say


def print_tally(t: pipeline.Tally) -> None:
    why = ", ".join(f"{reason} {n}" for reason, n in sorted(t.uncertain_reasons.items()) if n)
    say(f"sent {t.sent}, skipped {t.skipped} (already sent), deferred {t.deferred}, bounced {t.bounced}, "
        f"failed {t.failed}, uncertain {t.uncertain}" + (f" ({why})" if t.uncertain and why else "")
        + (f", pending {t.pending}" if t.pending else ""))
    for email, reason in t.failures:
        say(f"failed: {email}: {reason}")
    if t.failed > len(t.failures):
        say(f"{t.failed - len(t.failures)} more failed: `digest deliveries list --status failed` lists every one.")
    for reply, n in sorted(t.reasons.items(), key=lambda kv: -kv[1])[:3]:
        say(f"  {n} × {reply}")
    if len(t.reasons) > 3:
        say("  ... every reply: `digest deliveries list --status failed` (or bounced)")
    if len(t.relays) > 1:
        print_relays(t)
    elif t.throttles:
        say(f"The relay throttled us {t.throttles} times; the rate went down to {t.slowest_rate:.1f} msgs/s.")
    if t.pending:
        say(f"{t.pending} not attempted, still pending: the next `digest send` sends them.")
    if t.uncertain:
        print_uncertain(t)
    if t.stopped:
        say("Stopped before the end; the next `digest send` carries on.")


def print_uncertain(t: pipeline.Tally) -> None:
    """What is new among the uncertain rows, and which of them are safe to resend."""
    new = t.uncertain - t.uncertain_earlier
    if new == 0:
        say(f"{t.uncertain} still uncertain from an earlier run" + (", nothing new failed." if t.ok else "."))
    else:
        say(f"{plural(new, 'delivery', 'deliveries')} became uncertain: the final dot was written and no answer came"
            + (f" ({t.uncertain_earlier} more from an earlier run)." if t.uncertain_earlier else "."))
    say("  Why, per delivery: `digest deliveries list --status uncertain`. `digest send --resend-uncertain=relay-dropped` "
        "resends those a relay dropped (most likely never received); resending sender-died or no-answer ones "
        "most likely sends a second copy.")


def print_relays(t: pipeline.Tally) -> None:
    """Which relay sent what: each relay's answers (a deferral counts on the relay that gave it, whoever
    sent the message later), its throttles, and why it was taken out of rotation."""
    for name, r in t.relays.items():
        line = f"relay {name}: sent {r.sent}" + "".join(
            f", {what} {getattr(r, what)}" for what in ("deferred", "bounced", "failed", "uncertain") if getattr(r, what))
        if r.throttles:
            line += f"; throttled us {r.throttles} times, down to {r.slowest_rate:.1f} msgs/s"
        if r.out:
            line += f"; taken out of rotation, the others took its deliveries: {r.out}"
        say(line)


def print_lint(t: pipeline.Tally) -> None:
    """What `digest preview` says about a body, for every topic mix this run sent."""
    for mix, report in sorted(t.lint.items()):
        for warning in report.warnings:
            say(f"lint: {mix}: warning: {warning}")
    if t.lint:
        mix, largest = max(t.lint.items(), key=lambda kv: kv[1].size_bytes)
        n = sum(len(r.warnings) for r in t.lint.values())
        say(f"lint: {plural(len(t.lint), 'topic mix', 'topic mixes')}, largest {mix}: "
            f"{largest.size_bytes / 1024:.1f} KiB of 102 KiB; {plural(n, 'warning', 'warnings')}")
