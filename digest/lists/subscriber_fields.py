"""What a subscriber's fields may hold: an address (syntax and normalisation, no DNS), a frequency,
a timezone, a time of day, a status, a language. Each check returns the value as stored, or raises
InvalidAddress / ParseError saying what is wrong. No database here.
May import: config.tables, errors, matching, models.
"""

from __future__ import annotations

import functools
import re

from email_validator import EmailNotValidError, validate_email

from ..config.tables import checked_language
from ..errors import ConfigError, InvalidAddress, ParseError
from ..matching import canonical_zone, unknown_zone
from ..models import FREQUENCIES, SUBSCRIBER_STATUSES

# A plain ASCII dot-atom local part, which email-validator accepts and returns unchanged.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
LOCAL_MAX_OCTETS = 64     # RFC 5321 4.5.3.1.1: counted in octets, so "é" counts twice


def normalize_email(address: str) -> str:
    """Syntax check and normalisation (no DNS): lower-cased domain; local part as written."""
    address = (address or "").strip()
    local, at, domain = address.rpartition("@")
    # Fast path for the common case (a list import is mostly plain addresses on a few domains):
    # the domain's verdict is cached, and a plain local part needs no more than the regex.
    if at and len(local) <= 64 and len(address) <= 254 and _PLAIN_LOCAL.fullmatch(local):
        verdict = _domain(domain)
        if verdict.startswith("@"):
            return local + verdict
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(f'"{address}" is not a valid email address: {exc}') from None
    local, _, domain = result.normalized.rpartition("@")
    if not local.isascii():
        # It would need SMTPUTF8 end to end; digest sends ASCII envelopes (an IDN domain is fine: it goes as xn--).
        raise InvalidAddress(f'"{address}": the part before the @ is not ASCII, and digest cannot send to such '
                             "an address (it would need SMTPUTF8). Ask for an ASCII address.")
    octets = len(local.encode("utf-8", "surrogateescape"))
    if octets > LOCAL_MAX_OCTETS:
        raise InvalidAddress(f'"{address}" is not a valid email address: the part before the @-sign is '
                             f"{octets} bytes long, more than the {LOCAL_MAX_OCTETS} a mail server must accept")
    return f"{local}@{domain.lower()}"


@functools.lru_cache(maxsize=4096)
def _domain(domain: str) -> str:
    """"@normalized.domain" when email-validator accepts it, else "" (then the full check reports why)."""
    try:
        return "@" + validate_email("x@" + domain, check_deliverability=False).normalized.rpartition("@")[2].lower()
    except EmailNotValidError:
        return ""


def check_frequency(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().lower()
    if value not in FREQUENCIES:
        raise ParseError(f'frequency "{value}" is not one of {", ".join(FREQUENCIES)}')
    return value


def check_timezone(value: str | None) -> str | None:
    """A zone in any case, stored under its canonical name ("europe/lisbon" -> "Europe/Lisbon")."""
    if not value or not value.strip():
        return None
    canonical = canonical_zone(value)
    if canonical is None:
        raise ParseError(unknown_zone(value))
    return canonical


def check_time(value: str | None) -> str | None:
    """A local time of day as "HH:MM" (24-hour), or None."""
    if not value or not value.strip():
        return None
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
    if not m:
        raise ParseError(f'time of day "{value.strip()}" is not HH:MM (24-hour)')
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def check_status(value: str | None) -> str:
    value = (value or "").strip().lower() or "active"
    if value not in SUBSCRIBER_STATUSES:
        raise ParseError(f'status "{value}" is not one of {", ".join(SUBSCRIBER_STATUSES)}')
    return value


def check_language(value: str | None) -> str | None:
    """A language of the email's frame, checked as [digest] language is (config.checked_language:
    "de-DE" is "de"), or None: the newsletter's."""
    if not value or not value.strip():
        return None
    try:
        return checked_language(value, "language")
    except ConfigError as exc:
        raise ParseError(exc.message, exc.hint) from None
