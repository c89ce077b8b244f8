"""What one inbound message says about a delivery: plain, frozen values and nothing else.

`parse.parse` returns a `Report`; the caller (the intake processor) decides what to store and whom
to suppress. A Report never holds a guess: the recipients are the addresses the message itself
names, and `token` is only what an address said, not yet checked against DIGEST_SECRET
(`verp.read_token` does that).
May import: nothing from digest.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Kind(enum.StrEnum):
    HARD = "hard"                  # permanent failure: suppress at once
    SOFT = "soft"                  # temporary (4.x.x, delayed, mailbox full, policy): count it
    COMPLAINT = "complaint"        # ARF Feedback-Type: abuse: unsubscribe and suppress
    AUTO_REPLY = "auto-reply"      # RFC 3834 auto-reply, vacation, out of office: ignore
    UNSUBSCRIBE = "unsubscribe"    # a message to the List-Unsubscribe mailto: unsubscribe
    UNKNOWN = "unknown"            # nothing we can read with confidence: keep it for the admin


@dataclass(frozen=True)
class Recipient:
    """One recipient named by the message, with its own outcome (a DSN can name several)."""
    address: str
    kind: Kind
    action: str | None = None       # DSN Action: failed, delayed, ...
    status: str | None = None       # RFC 3463 enhanced status, e.g. "5.1.1"
    diagnostic: str | None = None   # the remote server's words, one line


@dataclass(frozen=True)
class Report:
    kind: Kind
    recipients: tuple[str, ...]         # addresses the report names, as it wrote them: compare ignoring case
    status: str | None                  # of the recipient that decided `kind`
    action: str | None
    diagnostic: str | None
    token: str | None                   # the VERP (or unsubscribe) token an address carried, unverified
    token_purpose: str | None           # "bounce" or "unsubscribe": the purpose to verify it under
    original_message_id: str | None     # Message-ID of the message we sent, when the report carries it
    message_id: str | None              # this report's own Message-ID
    sender: str | None                  # this report's From address (a mailer-daemon, a person, an FBL)
    dedup_key: str                      # the same report twice (IMAP and a pipe) has the same key
    source: str                         # how it was read: dsn, arf, address, flufl, headers, none
    reason: str                         # one line for the admin: why this kind
    details: tuple[Recipient, ...] = ()
    feedback_type: str | None = None    # ARF Feedback-Type, as written

    @property
    def is_failure(self) -> bool:
        return self.kind in (Kind.HARD, Kind.SOFT)
