"""Message building: one subscriber's digest as RFC 5322 bytes. Plain values in, bytes out.

multipart/alternative with the text part first and the HTML part second, UTF-8, a deterministic
Message-ID per (edition, subscriber), List-Id, List-Unsubscribe (https, plus mailto when
configured) and List-Unsubscribe-Post for RFC 8058 one-click. Nothing from article or subscriber
data can put a CR or LF into a header.
May import: nothing from digest.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import hashlib
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr


@dataclass
class Envelope:
    sender: str                 # "Name <addr>"
    to_email: str
    to_name: str | None
    subject: str
    message_id: str
    date: dt.datetime
    list_id: str
    unsubscribe_url: str
    unsubscribe_mailto: str | None = None
    test: bool = False          # a test send: subject prefixed, marked in a header


def one_line(value: str | None) -> str:
    """Collapse every run of whitespace, CR and LF included, to one space: no header injection."""
    return " ".join((value or "").split())


def message_id(edition_key: str, subscriber_id: int, domain: str) -> str:
    """The same (edition, subscriber) always gets the same Message-ID, so a duplicate can be spotted."""
    digest = hashlib.sha256(f"{edition_key}/{subscriber_id}".encode()).hexdigest()[:16]
    return f"<{one_line(edition_key).replace(' ', '-')}.{subscriber_id}.{digest}@{domain}>"


def build(env: Envelope, *, html: str, text: str) -> EmailMessage:
    msg = EmailMessage(policy=email.policy.SMTP)
    name, addr = parseaddr(env.sender)
    msg["From"] = Address(one_line(name), addr_spec=addr)
    msg["To"] = Address(one_line(env.to_name), addr_spec=one_line(env.to_email))
    msg["Subject"] = ("[TEST] " if env.test else "") + one_line(env.subject)
    msg["Date"] = format_datetime(env.date)
    msg["Message-ID"] = env.message_id
    msg["List-Id"] = one_line(env.list_id)
    links = [f"<{env.unsubscribe_url}>"]
    if env.unsubscribe_mailto:
        links.append(f"<{env.unsubscribe_mailto}>")
    msg["List-Unsubscribe"] = ", ".join(links)
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["MIME-Version"] = "1.0"
    if env.test:
        msg["X-Digest-Test"] = "yes"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return msg


def to_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=email.policy.SMTP)
