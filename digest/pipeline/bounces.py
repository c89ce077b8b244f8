"""What comes back after the relay accepted a message: bounces (RFC 3464 DSNs and the older formats),
complaints (RFC 5965 ARF), auto-replies and mailto unsubscribes. One processor for the three
intakes (`digest bounces serve`, `fetch` and `process`): parse, match to a delivery, act, record,
in one transaction, once per report (the same report twice counts once).

Matching never guesses. A VERP token proven with DIGEST_SECRET names its delivery; a forged or
altered one is kept for the admin and nothing is done. A report without a token is matched only to
deliveries actually sent (sent or uncertain): by the original Message-ID, else by the recipient's
address. Whatever matches nothing is kept for the admin, with the message. What a match means for
the subscriber is audience.bounce_came_back's call.
May import: bounces, clock, config, db, errors, bounces.mailbox, models, page, and .audience.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .. import bounces
from ..bounces.mailbox import Mailbox
from ..clock import now
from ..config import Config
from ..db import Database
from ..errors import ConfigError, NotFound
from ..models import BounceRecord, Delivery, Subscriber
from ..page import Page
from .audience import bounce_came_back

# (address, kind, status, diagnostic, delivery, subscriber, action) of one address of a report
Match = tuple[str, str, str | None, str | None, Delivery | None, Subscriber | None, str]

KEPT = "kept"                       # action_taken of a report matched to nobody: the admin's to read
ACTING = ("hard", "soft", "complaint", "unsubscribe")
MAX_RAW = 1 << 20                   # a kept message is stored up to 1 MiB


@dataclass
class Line:
    """One address of a processed report: whose delivery it was matched to and what was done."""
    address: str
    email: str | None
    edition_key: str | None
    action: str


@dataclass
class Processed:
    kind: str
    reason: str
    duplicate: bool = False
    lines: list[Line] = field(default_factory=list)

    def summary(self) -> str:
        if self.duplicate:
            return f"{self.kind}: already processed (the same report twice counts once)"
        said = "; ".join(f"{ln.email or ln.address or '(no address)'}: {ln.action}" for ln in self.lines)
        return f"{self.kind}: {said or 'nothing to record'} ({self.reason})"


def bounce_prefixes(cfg: Config) -> tuple[str, str]:
    """(bounce prefix, unsubscribe prefix): the local parts `parse` looks for."""
    mailto = cfg.unsubscribe_mailto
    return cfg.bounces.prefix, (bounces.mailto_parts(mailto)[0] if mailto else "unsubscribe")


def process_bounce(db: Database, cfg: Config, data: bytes, *, envelope_to: str | None = None,
                   via: str = "process") -> Processed:
    """Read one inbound message and do what it says, once. `envelope_to`: the RCPT TO it came with,
    when the intake knows it. Raises only for a fault of ours (the database): the caller keeps the
    message (the listener answers 451, the mailbox keeps it, `process` exits 1)."""
    bounce_prefix, unsubscribe_prefix = bounce_prefixes(cfg)
    report = bounces.parse(data, envelope_to=envelope_to, bounce_prefix=bounce_prefix,
                           unsubscribe_prefix=unsubscribe_prefix)
    at = now()
    db.set_lock_timeout(cfg.send.lock_timeout)      # a locked database: wait this long, then the caller retries later
    with db.transaction():
        if db.bounces.seen(report.dedup_key):
            return Processed(str(report.kind), report.reason, duplicate=True)
        rows, lines = [], []
        for address, kind, status, diagnostic, delivery, sub, action in _matches(db, cfg, report, at):
            rows.append({"dedup_key": report.dedup_key, "address": address, "kind": kind, "status": status,
                         "diagnostic": diagnostic, "reason": report.reason, "source": report.source, "via": via,
                         "action_taken": action, "sender": report.sender, "report_message_id": report.message_id,
                         "original_message_id": report.original_message_id,
                         "delivery_id": delivery.id if delivery else None, "subscriber_id": sub.id if sub else None,
                         "edition_id": delivery.edition_id if delivery else None,
                         "raw": data[:MAX_RAW] if action.startswith(KEPT) else None})
            lines.append(Line(address, sub.email if sub else None, delivery.edition_key if delivery else None, action))
        db.bounces.record(rows, at)
    return Processed(str(report.kind), report.reason, lines=lines)


def _matches(db: Database, cfg: Config, report: bounces.Report, at: dt.datetime) -> Iterator[Match]:
    """(address, kind, status, diagnostic, delivery, subscriber, action) per address of the report."""
    kind = str(report.kind)
    if report.token:
        ids = bounces.delivery_of(report, cfg.secret)
        address = report.recipients[0] if report.recipients else ""
        if ids is None:
            yield (address, kind, report.status, report.diagnostic, None, None,
                   f"{KEPT}: its {report.token_purpose} token is forged or altered; nothing done")
            return
        yield _by_token(db, cfg, report, ids, address, at)
        return
    if report.kind is bounces.Kind.AUTO_REPLY:
        yield (report.recipients[0] if report.recipients else "", kind, None, None, None, None, "ignored")
        return
    details = report.details or tuple(bounces.Recipient(a, report.kind, report.action, report.status,
                                                        report.diagnostic) for a in report.recipients)
    by_mid = db.bounces.sent_with_message_id(report.original_message_id) if report.original_message_id else None
    if not details:
        if by_mid is not None and report.kind is not bounces.Kind.UNKNOWN:
            yield _act(db, cfg, by_mid.email or "", kind, report.status, report.diagnostic, by_mid, at)
        else:
            yield ("", kind, report.status, report.diagnostic, None, None, f"{KEPT}: names no delivery of ours")
        return
    for d in details:
        delivery = _sent_to(db, d.address, by_mid, single=len(details) == 1)
        if delivery is None or report.kind is bounces.Kind.UNKNOWN:
            yield (d.address, str(d.kind), d.status, d.diagnostic, delivery, None,
                   f"{KEPT}: " + ("matches no delivery we sent" if delivery is None else "not a bounce we can read"))
        else:
            yield _act(db, cfg, d.address, str(d.kind), d.status, d.diagnostic, delivery, at)


def _sent_to(db: Database, address: str, by_mid: Delivery | None, *, single: bool) -> Delivery | None:
    """The delivery a recipient of a report without a token names: the one with the report's
    original Message-ID when it went to this address (or when the report names only one address,
    rewritten on the way by a forward), else the newest one sent to this address."""
    if by_mid is not None and ((by_mid.email or "").lower() == address.lower() or single):
        return by_mid
    return db.bounces.last_sent_to(address)


def _by_token(db: Database, cfg: Config, report: bounces.Report, ids: tuple[int, int], address: str,
              at: dt.datetime) -> Match:
    edition_id, subscriber_id = ids
    kind, status, diagnostic = str(report.kind), report.status, report.diagnostic
    if report.kind is bounces.Kind.UNKNOWN:
        return address, kind, status, diagnostic, None, _subscriber(db, subscriber_id), f"{KEPT}: not a bounce we can read"
    if edition_id == 0 and subscriber_id == 0:
        return address, kind, status, diagnostic, None, None, "none: a test copy (`send --test-to`)"
    sub = _subscriber(db, subscriber_id)
    if sub is None:
        return address, kind, status, diagnostic, None, None, f"none: subscriber #{subscriber_id} no longer exists"
    delivery = db.bounces.delivery(edition_id, subscriber_id) if edition_id else None
    if report.kind is bounces.Kind.AUTO_REPLY:
        return address or sub.email, kind, status, diagnostic, delivery, sub, "ignored"
    action = bounce_came_back(db, cfg, sub.id, kind, at=at, delivery_id=delivery.id if delivery else None)
    return address or sub.email, kind, status, diagnostic, delivery, sub, action


def _act(db: Database, cfg: Config, address: str, kind: str, status: str | None, diagnostic: str | None,
         delivery: Delivery, at: dt.datetime) -> Match:
    sub = _subscriber(db, delivery.subscriber_id)
    if sub is None:
        gone = f"none: subscriber #{delivery.subscriber_id} no longer exists"
        return address, kind, status, diagnostic, delivery, None, gone
    action = bounce_came_back(db, cfg, sub.id, kind, at=at, delivery_id=delivery.id) if kind in ACTING else "ignored"
    return address, kind, status, diagnostic, delivery, sub, action


def _subscriber(db: Database, subscriber_id: int) -> Subscriber | None:
    try:
        return db.subscribers.by_id(subscriber_id)
    except NotFound:
        return None


@dataclass
class Fetched:
    """What one poll of the mailbox did: messages processed (and moved), of them duplicates."""
    processed: list[Processed] = field(default_factory=list)
    moved: int = 0
    error: Exception | None = None       # the fault that stopped it; the rest stay in the folder


def fetch_bounces(db: Database, cfg: Config, *, on_message: Callable[[Processed], None] | None = None) -> Fetched:
    """Read every message of the configured IMAP folder, process each, and move the processed ones to
    the done folder. A message that cannot be recorded stops the poll and stays where it is, with
    every later one, for the next poll; the ones before it are moved."""
    out = Fetched()
    with Mailbox(cfg.bounces) as box:
        done: list[str] = []
        try:
            for uid, data in box.messages():
                try:
                    result = process_bounce(db, cfg, data, via="fetch")
                except Exception as exc:      # noqa: BLE001 -- a database fault: keep it and the rest for later
                    out.error = exc
                    break
                out.processed.append(result)
                done.append(uid)
                if on_message:
                    on_message(result)
        finally:
            box.done(done)
            out.moved = len(done)
    return out


# ---- what admins read ----------------------------------------------------------------------------

def bounce_listing(db: Database, *, kept_only: bool = False, since: dt.datetime | None = None,
                   limit: int | None = 50) -> Page[BounceRecord]:
    """The newest `limit` recorded reports (None: all; one row per address), received at or after
    `since`; `kept_only`: those matched to nobody. The rows are read as they are iterated."""
    return db.bounces.page(kept_only=kept_only, since=since, limit=limit)


def subscriber_bounces(db: Database, sub: Subscriber, limit: int = 20) -> list[BounceRecord]:
    return db.bounces.listed(subscriber_id=sub.id, limit=limit)


def kept_message(db: Database, bounce_id: int) -> bytes:
    """The message of a report kept for the admin, as it came."""
    raw = db.bounces.raw(bounce_id)
    if raw is None:
        raise NotFound(f"Bounce #{bounce_id} has no message kept (only reports matched to nobody keep one).",
                       "List them with `digest bounces list --unattributed`.")
    return bytes(raw)


def check_bounce_setup(cfg: Config) -> None:
    """The bounce address and the unsubscribe mailto can carry the longest token (ConfigError if
    not). Only lengths and characters are checked: any secret makes tokens of the same shape."""
    shape = "0" * 64
    try:
        bounces.return_path(shape, 2**63 - 1, 2**63 - 1, cfg.bounce_domain, prefix=cfg.bounces.prefix)
        if cfg.unsubscribe_mailto:
            bounces.unsubscribe_mailto(shape, 2**63 - 1, 2**63 - 1, cfg.unsubscribe_mailto)
    except ValueError as exc:
        raise ConfigError(f"The bounce or unsubscribe address cannot carry a delivery's token: {exc}.",
                          "Set [bounces] prefix (letters, digits, '.', '_', '-'; no '+') and "
                          "unsubscribe_mailto (mailto:unsubscribe@your.domain) to shorter plain addresses.") from None
