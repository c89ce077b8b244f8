"""The rules: which kind a status, an action or a set of headers means. Plain values in and out.

A DSN recipient block with Action: failed and a 5.x.x status is a hard bounce; 4.x.x or
Action: delayed is soft. Three 5.x.x subjects are soft, because they say nothing about the address
(RFC 3463): x.2.2 mailbox full ("a persistent transient failure"), x.3.4 message too big, and
x.7.x refused by the receiver's policy (our reputation, our authentication, our content); a
subscriber is suppressed for those only after repeated soft bounces. An auto-reply is known by its
RFC 3834 Auto-Submitted header or, for the vacation programs that predate it, by the headers and
subject lines they write.
May import: bounces.report.
"""

from __future__ import annotations

import re
from email.message import Message

from .report import Kind

_ENHANCED = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)")
_NOT_THE_ADDRESS = {"2.2": "the mailbox is full", "3.4": "the message is too big for the receiver"}
_NOT_DELIVERY = ("delivered", "relayed", "expanded")


def enhanced_status(text: str | None) -> str | None:
    """The first RFC 3463 status code in a text: `550 5.1.1 <x>: User unknown` -> `5.1.1`."""
    m = _ENHANCED.search(text or "")
    return ".".join(m.groups()) if m else None


def reply_code(text: str | None) -> str | None:
    """The first SMTP reply code (e.g. `554`) at the start of a line or after "said:"/"error:"."""
    m = re.search(r"(?:^|said:|error:|smtp;)\s*([245]\d\d)(?=[ :-]|$)", text or "", re.I | re.M)
    return m.group(1) if m else None


def status_kind(status: str | None, action: str | None = None) -> tuple[Kind | None, str]:
    """(kind, why) for one recipient, or (None, why) when the report is not about a failure."""
    action = (action or "").strip().lower()
    if action.startswith(_NOT_DELIVERY):
        return None, f"the report says {action}, not a failure"
    if action.startswith("delayed"):
        return Kind.SOFT, f"delivery delayed{f' ({status})' if status else ''}; the relay is still trying"
    if status:
        klass, _, subject = status.partition(".")
        if klass == "4":
            return Kind.SOFT, f"temporary failure ({status})"
        if klass == "5":
            if subject in _NOT_THE_ADDRESS:
                return Kind.SOFT, f"{_NOT_THE_ADDRESS[subject]} ({status}): counted as a soft bounce"
            if subject.startswith("7."):
                return Kind.SOFT, (f"refused by the receiver's policy ({status}): about the sender or the "
                                   "content, not the address; counted as a soft bounce")
            return Kind.HARD, f"permanent failure ({status})"
        if klass == "2":
            return None, f"status {status} is a success"
    if action.startswith(("failed", "error")):     # opensmtpd writes "error"
        return Kind.HARD, "the report says failed, with no status code"
    return None, "no action and no status code"


def code_status(code: str | None) -> str | None:
    """An SMTP reply code as the enhanced status class it implies: 550 -> 5.0.0, 452 -> 4.0.0."""
    return f"{code[0]}.0.0" if code and code[0] in "45" else None


def diagnostic_line(text: str, address: str | None = None) -> str | None:
    """The line of a notice that carries the remote server's reply, one line, at most 300 chars.
    Prefers a line naming a status code; the lines that continue it (indented) are joined."""
    lines = text.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        if _ENHANCED.search(line) or reply_code(line):
            out = [line.strip()]
            for nxt in lines[i + 1:i + 4]:
                if not nxt.startswith((" ", "\t")) or not nxt.strip():
                    break
                out.append(nxt.strip())
            joined = " ".join(" ".join(out).split())
            return joined[:300] or None
    # No code anywhere (Gmail's old notice): the first line of prose after the one naming the address
    at = next((i for i, line in enumerate(lines) if address and address.lower() in line.lower()), None)
    for line in lines[at + 1:] if at is not None else []:
        line = line.strip()
        if line and not line.endswith(":") and (not address or address.lower() not in line.lower()):
            return " ".join(line.split())[:300]
    return None


# ---- auto-replies (RFC 3834) and the vacation programs that came before it

_VACATION_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|autoreply|out of (the )?office|on vacation|away from (my )?"
    r"(mail|e-?mail|office)|i am (currently )?(away|out)|abwesen|r[ée]ponse automatique|absence|risposta "
    r"automatica|respuesta autom[aá]tica|automatisch antwoord|fuera de la oficina|auto:)", re.I)
_AUTO_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder", "x-vacation", "x-auto-response-suppress")


def auto_reply_reason(headers: Message) -> str | None:
    """Why a message is an auto-reply (from its headers: a Message), or None if it does not look like one."""
    submitted = (headers.get("auto-submitted") or "").strip().lower()
    if submitted and not submitted.startswith("no"):
        return f"Auto-Submitted: {submitted.split(';')[0]} (RFC 3834)"
    for name in _AUTO_HEADERS:
        if headers.get(name) is not None:
            return f"{name.title()}: an auto-responder's header"
    precedence = (headers.get("precedence") or "").strip().lower()
    subject = " ".join(str(headers.get("subject") or "").split())
    if precedence == "auto_reply":
        return "Precedence: auto_reply"
    if _VACATION_SUBJECT.match(subject):
        return f"a vacation notice (Subject: {subject[:60]})"
    return None
