"""What an SMTP reply means: every answer of the relay classified as an Outcome, and the address
forms an envelope can carry.

An Outcome is about the recipient, or about us (the sender address, the account, the relay):
  2xx after the final dot                                   sent
  4xx to RCPT, DATA or the dot (greylisting, mailbox full)  deferred: that recipient is retried with
                                                            back-off; the rate is left alone
  5xx to RCPT, or x.1.x/x.2.1 later                         bounced (the address is bad: suppressed)
  other 5xx (DATA, content)                                 failed
  connection lost after the final dot                       uncertain (delivered or not, nobody knows)
  an address that cannot be put in an envelope, or any
  unexpected error while sending to it                      failed, with the reason
  -- about us, never held against the recipient --
  421/454 anywhere, any 4xx to MAIL FROM, a 4xx that names  requeue: the message goes back to the queue
  the sender, the relaying or the authentication            unattempted and the Pacer slows down
  any 5xx to MAIL FROM, 530, x.1.7/x.1.8 (the sender's      stop: the run stops with one error; the
  address), "Relay access denied", "Sender address          deliveries stay pending, nobody is
  rejected", "Authentication required" (at any stage:       suppressed
  Postfix delays its refusals to RCPT TO)
A burst of recipient 4xx in a row (BURST) is the relay throttling us after all, and slows the Pacer.
May import: errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import idna

from ..errors import RelayError

CONNECTION_CODES = {421, 454}   # about the connection or the relay, whatever the stage
BURST = 5                       # recipient 4xx in a row, with no message accepted between: throttling
_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})")
# Refusals about us rather than the recipient, as Postfix, Exim and Exchange word them. Postfix
# delays its MAIL FROM and client restrictions to RCPT TO, so they are looked for at every stage.
_ABOUT_US = re.compile(r"sender address rejected|client host rejected|relay(ing)? (access )?(denied|not permitted|"
                       r"prohibited)|unable to relay|authentication (is )?required|not authenticated|"
                       r"must (issue|authenticate)", re.I)


class AddressError(ValueError):
    """An address that cannot be written in an SMTP envelope (RFC 5321, without SMTPUTF8)."""


def smtp_address(address: str) -> str:
    """The address as the envelope and the To header carry it: an internationalised domain in its
    ASCII form (IDNA 2008, `xn--...`). A local part that is not ASCII would need SMTPUTF8, which
    digest does not send: AddressError says so."""
    if address.isascii():
        return address
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        raise AddressError("the part before the @ is not ASCII: that needs SMTPUTF8, and digest sends ASCII "
                           "envelopes only; ask the subscriber for an ASCII address")
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise AddressError(f"the domain {domain} cannot be written in ASCII (IDNA: {exc})") from None
    return f"{local}@{ascii_domain}"


RECORDED = ("sent", "deferred", "bounced", "failed", "uncertain")   # outcomes of the recipient
ABOUT_US = ("requeue", "stop")       # outcomes about the sender or the relay: nothing is recorded
# Why a delivery is uncertain (the final dot written, no answer read), so whether a resend makes a
# second copy: the sender died after the dot (found in its journal: most likely received), the relay
# dropped the connection (most likely not), or it never gave a usable answer in time (it may have).
UNCERTAIN_REASONS = ("sender-died", "relay-dropped", "no-answer")


def uncertain_reason(text: str | None) -> str | None:
    """The reason an uncertain outcome's text starts with ("relay-dropped: connection ..."), if any."""
    head = (text or "").split(":", 1)[0]
    return head if head in UNCERTAIN_REASONS else None


@dataclass
class Outcome:
    status: str          # sent | deferred | bounced | failed | uncertain (RECORDED) | requeue | stop (ABOUT_US)
    code: int
    reply: str
    throttled: bool = False
    stage: str = ""      # mail | rcpt | data | dot
    soft: bool = False   # a soft bounce: the mailbox is full (x.2.2), or temporary failures ran out of time
    relay: str = ""      # the name of the relay that answered (set by the pool)
    timed_out: bool = False   # the relay stopped answering mid-transaction: the pool takes it out of rotation
    lost: bool = False   # the connection was lost before the final dot: not delivered, and not the recipient's 4xx
    reason: str = ""     # why an uncertain one is (UNCERTAIN_REASONS): its text starts with it

    @property
    def text(self) -> str:
        text = f"{self.code} {self.reply}".strip() if self.code else self.reply
        return f"{self.reason}: {text}" if self.reason else text


def classify(code: int, reply: str = "", stage: str = "dot") -> str:
    if 200 <= code < 300:
        return "sent"
    if about_us(code, reply, stage):
        return "requeue" if code < 500 else "stop"
    if 400 <= code < 500:
        return "deferred"
    m = _ENHANCED.match(reply)
    if stage == "rcpt" or (m and (m.group(2) == "1" or (m.group(2), m.group(3)) == ("2", "1"))):
        return "bounced"
    return "failed"


def about_us(code: int, reply: str, stage: str) -> bool:
    """Is this refusal about the sender, the account or the relay (not about the recipient)?"""
    if stage == "mail" or code in CONNECTION_CODES or code == 530:
        return True
    m = _ENHANCED.match(reply)
    if m and m.group(2) == "1" and m.group(3) in ("7", "8"):     # bad sender's mailbox / system address
        return True
    return bool(_ABOUT_US.search(reply))


def outcome_of(code: int, reply: bytes | str, stage: str) -> Outcome:
    text = reply_text(reply)
    m = _ENHANCED.match(text)
    soft = bool(m and m.group(1) == "5" and (m.group(2), m.group(3)) == ("2", "2"))
    status = "failed" if soft and code >= 500 else classify(code, text, stage)
    return Outcome(status, code, text, throttled=status == "requeue", stage=stage, soft=soft and status == "failed")


def reply_text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())


def refusal(outcome: Outcome, relay: str, mail_from: str, env: str = "DIGEST_SMTP_URL") -> RelayError:
    """The error that takes a relay out of rotation when it refuses us (a `stop` outcome), with the fix.
    `env` is where that relay's URL and password go."""
    text = outcome.text
    if outcome.code == 530 or re.search(r"authenticat", text, re.I):
        hint = f"Put the relay's user and password in {env} (smtp://USER:PASSWORD@host:587?starttls=true)."
    elif re.search(r"relay", text, re.I):
        hint = (f"The relay does not relay for this client: log in (user and password in {env}) or "
                "allow this host on the relay.")
    elif re.search(r"client host", text, re.I):
        hint = "The relay refuses this machine's address: allow it on the relay, or send through another one."
    else:
        hint = ("Set DIGEST_FROM, or [bounces] domain (the envelope sender's domain), to one the relay accepts "
                "from this account.")
    where = {"mail": "MAIL FROM", "rcpt": "RCPT TO", "data": "DATA", "dot": "the end of the message"}.get(
        outcome.stage, "MAIL FROM")
    return RelayError(f"SMTP relay {relay} refused the sender <{mail_from}> at {where}: {text}.",
                      f"Nothing was marked: the deliveries stay pending and nobody was suppressed. {hint}")
