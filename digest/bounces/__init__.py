"""Bounces, complaints, auto-replies and mailto unsubscribes: reading what comes back.

A pure package: bytes of one inbound message in, a `Report` out; no database, no network. The
intake (an SMTP/LMTP listener, an IMAP poll, a pipe) and what is done with a Report (suppress,
unsubscribe, record) live elsewhere and call only what this file exports.

    report = bounces.parse(data, envelope_to=rcpt_to)
    delivery = bounces.delivery_of(report, secret)   # (edition_id, subscriber_id) or None

One module per job: `verp` (the addresses and their tokens), `mime` (reading a report's parts),
`classify` (the rules), `parse` (the order they are applied in), `report` (the values returned).
May import: lists.tokens, errors, and its own modules.
"""

from __future__ import annotations

from ..lists.tokens import BadToken
from .parse import parse
from .report import Kind, Recipient, Report
from .verp import mailto_parts, make_token, read_token, return_path, token_in, unsubscribe_mailto


def delivery_of(report: Report, secret: str | None) -> tuple[int, int] | None:
    """(edition_id, subscriber_id) that the report's token names and proves, or None when it has no
    token or a forged one (the caller then matches `report.recipients` and
    `report.original_message_id` against deliveries actually sent, and nothing else)."""
    if not report.token or not report.token_purpose:
        return None
    try:
        return read_token(secret, report.token, report.token_purpose)
    except BadToken:
        return None


__all__ = ["BadToken", "Kind", "Recipient", "Report", "delivery_of", "mailto_parts", "make_token", "parse",
           "read_token", "return_path", "token_in", "unsubscribe_mailto"]
