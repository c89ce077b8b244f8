"""Subscriber lists: address validation and the CSV format. No database here.

CSV columns: email, name, topics (separated by ";"), frequency (daily|weekly), timezone
(Area/City). Only email is required. Every bad row is reported with its line number and reason;
the good rows go on. Export writes the same columns, with cells that a spreadsheet would run as a
formula (=, +, -, @) quoted with a leading apostrophe.
May import: errors.
"""

from __future__ import annotations

import csv
import io
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from .errors import InvalidAddress, ParseError

COLUMNS = ["email", "name", "topics", "frequency", "timezone"]
FREQUENCIES = ("daily", "weekly")


def normalize_email(address: str) -> str:
    """Syntax check and normalisation (no DNS): lower-cased domain; local part as written."""
    address = (address or "").strip()
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(f'"{address}" is not a valid email address: {exc}') from None
    local, _, domain = result.normalized.rpartition("@")
    return f"{local}@{domain.lower()}"


def check_frequency(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().lower()
    if value not in FREQUENCIES:
        raise ParseError(f'frequency "{value}" is not one of {", ".join(FREQUENCIES)}')
    return value


def check_timezone(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    try:
        zoneinfo.ZoneInfo(value.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ParseError(f'timezone "{value.strip()}" is not a known Area/City zone') from None
    return value.strip()


@dataclass
class Row:
    line: int
    email: str
    name: str | None
    topics: list[str]
    frequency: str | None
    timezone: str | None


def _unformula(value: str) -> str:
    # Undo export's protection so a round trip is lossless.
    return value[1:] if value.startswith("'") and value[1:2] in ("=", "+", "-", "@") else value


def read_csv(data: bytes, origin: str) -> Iterator[Row | ParseError]:
    """Yield a Row per good line and a ParseError ("FILE:LINE: reason") per bad one."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield ParseError(f"{origin}: not UTF-8 (byte {exc.start}); save the file as UTF-8 and import again")
        return
    reader = csv.DictReader(io.StringIO(text, newline=""))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "email" not in fields:
        yield ParseError(f"{origin}:1: no `email` column (columns: {', '.join(COLUMNS)})")
        return
    reader.fieldnames = fields
    for record in reader:
        line = reader.line_num
        get = lambda k: _unformula((record.get(k) or "").strip())  # noqa: E731
        try:
            email = normalize_email(get("email"))
            row = Row(line, email, get("name") or None,
                      [t.strip() for t in get("topics").replace(",", ";").split(";") if t.strip()],
                      check_frequency(get("frequency")), check_timezone(get("timezone")))
        except (InvalidAddress, ParseError) as exc:
            yield ParseError(f"{origin}:{line}: {exc.message}")
            continue
        yield row


def safe_cell(value: str | None) -> str:
    value = value or ""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def write_csv(rows: Iterator[dict], out: io.TextIOBase) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    n = 0
    for r in rows:
        writer.writerow([safe_cell(r.get(c)) for c in COLUMNS])
        n += 1
    return n
