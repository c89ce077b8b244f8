"""Subscriber lists: address validation and the CSV format. No database here.

CSV columns: email, name, topics (separated by ";"), frequency (daily|weekly), timezone
(Area/City), and optionally status (active, pending, unsubscribed, bounced, suppressed; blank =
active). Only email is required. The file is UTF-8 (a BOM is fine); a row that is not is reported
with its line number and the other rows go on. Export writes the same columns, with any cell that
a spreadsheet would run as a formula (=, +, -, @, tab, CR) or that starts with an apostrophe
prefixed with one apostrophe; import removes exactly that apostrophe, so a round trip is lossless.
May import: errors.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from .errors import InvalidAddress, ParseError

COLUMNS = ["email", "name", "topics", "frequency", "timezone", "status"]
FREQUENCIES = ("daily", "weekly")
STATUSES = ("active", "pending", "unsubscribed", "bounced", "suppressed")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNDECODABLE = re.compile("[\udc80-\udcff]")


# A plain ASCII dot-atom local part, which email-validator accepts and returns unchanged.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


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


@functools.lru_cache(maxsize=1024)
def _zone_ok(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def check_timezone(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    if not _zone_ok(value.strip()):
        raise ParseError(f'timezone "{value.strip()}" is not a known Area/City zone')
    return value.strip()


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
    if value not in STATUSES:
        raise ParseError(f'status "{value}" is not one of {", ".join(STATUSES)}')
    return value


@dataclass
class Row:
    line: int
    email: str
    name: str | None
    topics: list[str]
    frequency: str | None
    timezone: str | None
    status: str = "active"


def _unformula(value: str) -> str:
    # Undo export's protection (exactly one apostrophe) so a round trip is lossless.
    return value[1:] if value[:1] == "'" and value[1:2] and value[1:2] in (*FORMULA_START, "'") else value


def read_csv(data: bytes, origin: str) -> Iterator[Row | ParseError]:
    """Yield a Row per good record and a ParseError ("FILE:LINE: reason") per bad one."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    # surrogateescape keeps undecodable bytes visible per cell, so one Latin-1 row fails alone.
    text = data.decode("utf-8", "surrogateescape")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        yield ParseError(f"{origin}:1: not a CSV header ({exc})")
        return
    fields = [f.strip().lower() for f in header]
    if "email" not in fields:
        yield ParseError(f"{origin}:1: no `email` column (found: {', '.join(fields) or 'nothing'}; "
                         f"expected: {', '.join(COLUMNS)})")
        return
    reader.fieldnames = fields
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield ParseError(f"{origin}:{reader.line_num}: not valid CSV ({exc})")
            continue
        yield _row(record, reader.line_num, origin)


def _row(record: dict, line: int, origin: str) -> Row | ParseError:
    bad = [k for k, v in record.items() if isinstance(v, str) and _UNDECODABLE.search(v)]
    if bad:
        return ParseError(f"{origin}:{line}: not UTF-8 (in the {bad[0]} column); save the file as UTF-8 "
                          "and import again")
    get = lambda k: _unformula((record.get(k) or "").strip())  # noqa: E731
    try:
        return Row(line, normalize_email(get("email")), get("name") or None,
                   [t.strip() for t in get("topics").replace(",", ";").split(";") if t.strip()],
                   check_frequency(get("frequency")), check_timezone(get("timezone")), check_status(get("status")))
    except (InvalidAddress, ParseError) as exc:
        return ParseError(f"{origin}:{line}: {exc.message}")


def safe_cell(value: str | None) -> str:
    value = value or ""
    return "'" + value if value[:1] in (*FORMULA_START, "'") and value else value


def write_csv(rows: Iterable[dict], out: io.TextIOBase) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    n = 0
    for r in rows:
        writer.writerow([safe_cell(r.get(c)) for c in COLUMNS])
        n += 1
    return n
