"""One inbound message (a bounce, a complaint, an auto-reply, an unsubscribe request) -> a Report.

The order matters, and each step says why it is where it is:
1. an ARF feedback report (RFC 5965): a complaint names itself, whatever else it carries;
2. a DSN (RFC 3464): its per-recipient Action and Status decide. Before auto-replies, because
   Postfix and Exim mark their own bounces `Auto-Submitted: auto-replied`;
3. a message to the List-Unsubscribe mailto address with its token: an unsubscribe request, even if
   the mail client that sent it marked it auto-generated;
4. the non-standard bounce formats (old Exim, Exchange, Yahoo, Gmail's plain notice, ...) through
   flufl.bounce, the detectors Mailman uses;
5. an auto-reply or vacation notice: ignored;
6. anything else is UNKNOWN and is kept for the admin. Nothing is guessed.
The VERP token is taken from the envelope recipient when the caller knows it, else from the
headers the delivering MTA adds (Delivered-To, X-Original-To, ...), else from the report itself.
May import: bounces.report, bounces.classify, bounces.mime, bounces.verp.
"""

from __future__ import annotations

import hashlib
import logging
from email.message import Message
from email.utils import getaddresses, parseaddr

from . import classify, mime, verp
from .report import Kind, Recipient, Report

log = logging.getLogger(__name__)
_ADDRESS_HEADERS = ("delivered-to", "x-original-to", "envelope-to", "x-envelope-to", "x-rcpt-to", "to", "cc")


def parse(data: bytes, envelope_to: str | None = None, *, bounce_prefix: str = "bounces",
          unsubscribe_prefix: str = "unsubscribe") -> Report:
    """Read one inbound message. `envelope_to` is the RCPT TO it arrived with, when the caller has it
    (the SMTP/LMTP listener, an MTA pipe's ${recipient}); the prefixes are the local parts of the
    bounce address and of the configured unsubscribe mailto (`verp.mailto_parts(...)[0]`)."""
    msg = mime.load(data)
    ctx = _Context(data, msg, envelope_to, bounce_prefix, unsubscribe_prefix)
    fields = mime.feedback_fields(msg)
    if fields is not None:
        return _arf(ctx, fields)
    blocks = mime.status_blocks(msg)
    if blocks:
        report = _dsn(ctx, blocks)
        if report is not None:
            return report
    if ctx.purpose == "unsubscribe":
        sender = parseaddr(mime.field(msg, "from") or "")[1]
        return ctx.report(Kind.UNSUBSCRIBE, [sender] if sender else [], source="address",
                          reason="a message to the List-Unsubscribe mailto address, with its token")
    report = _flufl(ctx)
    if report is not None:
        return report
    why = classify.auto_reply_reason(msg)
    if why:
        sender = parseaddr(mime.field(msg, "from") or "")[1]
        return ctx.report(Kind.AUTO_REPLY, [sender] if sender else [], source="headers", reason=why)
    if ctx.plain_unsubscribe:
        return ctx.report(Kind.UNKNOWN, [], source="address",
                          reason=f"sent to {ctx.plain_unsubscribe} without a token: cannot tell whose it is")
    return ctx.report(Kind.UNKNOWN, [], source="none",
                      reason="no DSN, feedback report, known bounce format or auto-reply header")


class _Context:
    """What every step needs: the message, the token found in its addresses, its identity."""

    def __init__(self, data: bytes, msg: Message, envelope_to: str | None, bounce_prefix: str,
                 unsubscribe_prefix: str):
        self.msg, self.original = msg, mime.original_headers(msg)
        self.bounce_prefix, self.unsubscribe_prefix = bounce_prefix, unsubscribe_prefix
        self.plain_unsubscribe: str | None = None
        self.token, self.purpose = self.find_token(_addresses(msg, envelope_to))
        mid = mime.field(msg, "message-id")
        self.message_id = mid
        head_end = data.find(b"\r\n\r\n") if b"\r\n\r\n" in data else data.find(b"\n\n")
        body = data[head_end:] if head_end >= 0 else data
        self.dedup_key = f"mid:{mid}" if mid else "sha256:" + hashlib.sha256(body).hexdigest()

    def find_token(self, candidates: list[str]) -> tuple[str | None, str | None]:
        for addr in candidates:
            token = verp.token_in(addr, self.bounce_prefix)
            if token:
                return token, "bounce"
            token = verp.token_in(addr, self.unsubscribe_prefix)
            if token:
                return token, "unsubscribe"
            if addr.lower().partition("@")[0] == self.unsubscribe_prefix.lower() and "@" in addr:
                self.plain_unsubscribe = self.plain_unsubscribe or addr
        return None, None

    def more_tokens(self, *addresses: str | None) -> None:
        """Addresses inside the report itself (the original's envelope sender): used only when the
        message's own addresses held no bounce token."""
        if self.purpose != "bounce":
            token = next((t for a in addresses if (t := verp.token_in(a, self.bounce_prefix))), None)
            if token:
                self.token, self.purpose = token, "bounce"

    def report(self, kind: Kind, recipients: list[str], *, source: str, reason: str,
               details: tuple[Recipient, ...] = (), status: str | None = None, action: str | None = None,
               diagnostic: str | None = None, original: str | None = None,
               feedback_type: str | None = None) -> Report:
        token, purpose = self.token, self.purpose
        if purpose == "unsubscribe" and kind is not Kind.UNSUBSCRIBE:
            token = purpose = None       # an unsubscribe token vouches for a request, not for a bounce
        original = original or mime.field(self.original, "message-id") or _replied_to(self.msg)
        seen: dict[str, None] = {}
        for r in recipients:
            if r and "@" in r:
                seen.setdefault(r.strip(), None)
        return Report(kind=kind, recipients=tuple(seen), status=status, action=action, diagnostic=diagnostic,
                      token=token, token_purpose=purpose, original_message_id=original,
                      message_id=self.message_id, sender=parseaddr(mime.field(self.msg, "from") or "")[1] or None,
                      dedup_key=self.dedup_key, source=source, reason=reason,
                      details=details, feedback_type=feedback_type)


def _addresses(msg: Message, envelope_to: str | None) -> list[str]:
    out = [envelope_to] if envelope_to else []
    for name in _ADDRESS_HEADERS:
        out += [addr for _, addr in getaddresses([str(v) for v in msg.get_all(name, [])]) if addr]
    return out


def _arf(ctx: _Context, fields: Message) -> Report:
    ftype = (mime.field(fields, "feedback-type") or "").lower() or None
    ctx.more_tokens(mime.typed_address(mime.field(fields, "original-mail-from")),
                    parseaddr(mime.field(ctx.original, "return-path") or "")[1])
    rcpts = [mime.typed_address(" ".join(str(v).split())) or "" for v in fields.get_all("original-rcpt-to", [])]
    if not any(rcpts) and ctx.original is not None:
        rcpts = [addr for _, addr in getaddresses([str(v) for v in ctx.original.get_all("to", [])])]
    if ftype == "abuse":
        return ctx.report(Kind.COMPLAINT, rcpts, source="arf", feedback_type=ftype,
                          reason="a spam complaint (ARF Feedback-Type: abuse)")
    return ctx.report(Kind.UNKNOWN, rcpts, source="arf", feedback_type=ftype,
                      reason=f"a feedback report of type {ftype or '(none)'}, not a complaint: kept for the admin")


def _dsn(ctx: _Context, blocks: list[Message]) -> Report | None:
    per_message = blocks[0] if not _is_recipient_block(blocks[0]) else None
    ctx.more_tokens(mime.typed_address(mime.field(per_message, "x-postfix-sender")),
                    parseaddr(mime.field(ctx.original, "return-path") or "")[1])
    notice = mime.notice(ctx.msg)
    details, whys = [], []
    for block in blocks:
        if not _is_recipient_block(block):
            continue
        addr = (mime.typed_address(mime.field(block, "original-recipient"))
                or mime.typed_address(mime.field(block, "final-recipient"))
                or mime.typed_address(mime.field(block, "x-actual-recipient")))
        action = (mime.field(block, "action") or "").split("(")[0].strip().lower() or None
        diagnostic = mime.field(block, "diagnostic-code")
        diagnostic = diagnostic.partition(";")[2].strip() if diagnostic and ";" in diagnostic[:12] else diagnostic
        status = _best_status(classify.enhanced_status(mime.field(block, "status")), diagnostic)
        kind, why = classify.status_kind(status, action)
        whys.append(why)
        if kind is not None and addr:
            details.append(Recipient(addr, kind, action, status,
                                     diagnostic or classify.diagnostic_line(notice, addr)))
    if not details:
        if not whys:
            return None                 # a delivery-status part with no recipient in it: try the others
        return ctx.report(Kind.UNKNOWN, [], source="dsn", reason=f"a DSN, but {whys[0]}: kept for the admin",
                          original=mime.field(per_message, "x-original-message-id"))
    lead = next((d for d in details if d.kind is Kind.HARD), details[0])
    return ctx.report(lead.kind, [d.address for d in details], source="dsn", details=tuple(details),
                      status=lead.status, action=lead.action, diagnostic=lead.diagnostic,
                      reason=f"DSN: {classify.status_kind(lead.status, lead.action)[1]}",
                      original=mime.field(per_message, "x-original-message-id"))


def _is_recipient_block(block: Message) -> bool:
    return any(block.get(h) is not None for h in ("final-recipient", "original-recipient", "action"))


def _best_status(status: str | None, diagnostic: str | None) -> str | None:
    """The Status field, unless it is a bare class (5.0.0) and the diagnostic names a precise status
    of the same class (Exim writes `Status: 5.0.0` over `552 5.2.2 Mailbox full`)."""
    precise = classify.enhanced_status(diagnostic)
    if status is None:
        return precise or classify.code_status(classify.reply_code(diagnostic))
    if status.endswith(".0.0") and precise and precise[0] == status[0]:
        return precise
    return status


def _flufl(ctx: _Context) -> Report | None:
    import flufl.bounce  # imported here: only the reports no standard reader understood pay for it
    try:
        temporary, permanent = flufl.bounce.all_failures(ctx.msg)
    except Exception:     # noqa: BLE001 -- a heuristic detector tripping on odd input must not lose the message
        log.warning("flufl.bounce could not read a message", exc_info=True)
        return None
    notice = mime.notice(ctx.msg)
    details = []
    for raw, failed in [(a, False) for a in sorted(temporary)] + [(a, True) for a in sorted(permanent)]:
        addr = _clean(raw)
        if not addr:
            continue
        diagnostic = classify.diagnostic_line(notice, addr)
        status = classify.enhanced_status(diagnostic) or classify.code_status(classify.reply_code(diagnostic))
        kind, _ = classify.status_kind(status, "failed" if failed else "delayed")
        details.append(Recipient(addr, kind or (Kind.HARD if failed else Kind.SOFT),
                                 "failed" if failed else "delayed", status, diagnostic))
    if not details:
        return None
    lead = next((d for d in details if d.kind is Kind.HARD), details[0])
    return ctx.report(lead.kind, [d.address for d in details], source="flufl", details=tuple(details),
                      status=lead.status, action=lead.action, diagnostic=lead.diagnostic,
                      reason=f"a non-standard bounce: {classify.status_kind(lead.status, lead.action)[1]}")


def _clean(raw: bytes) -> str | None:
    """flufl.bounce's heuristics can keep a little of the line around an address (`to:<x@y`)."""
    text = raw.decode("ascii", "replace").strip().strip("<>.,;:'\"()[]")
    text = text.rpartition("<")[2].rpartition(":")[2] if "@" in text.rpartition("<")[2] else text
    local, at, domain = text.rpartition("@")
    return text if at and local and "." in domain else None


def _replied_to(msg: Message) -> str | None:
    """The Message-ID an auto-reply answers (In-Reply-To, else the last References entry)."""
    value = mime.field(msg, "in-reply-to") or (mime.field(msg, "references") or "").split(" ")[-1]
    return value or None
