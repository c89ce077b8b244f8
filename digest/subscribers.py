"""Subscriber lists: address validation and the CSV format. No database here.

CSV columns: email, name, topics (separated by ";"), frequency (daily|weekly), timezone
(Area/City), send_at (HH:MM, their local time of day), and optionally status (active, pending,
unsubscribed, bounced, suppressed; blank = active). Only email is required. The file is UTF-8 (a
BOM is fine); a row that is not, or that is not valid CSV (a stray quote), is reported with its
line number and the other rows go on. Export writes the same columns, with any cell that a
spreadsheet would run as a formula (=, +, -, @, tab, CR) or that starts with an apostrophe
prefixed with one apostrophe; import removes exactly that apostrophe, so a round trip is lossless.

`plan_import` decides what one row does to the subscriber already on file: an import adds
subscribers and fills empty fields, and leaves what a subscriber chose (topics, frequency, time,
timezone) alone unless told to overwrite; an opted-out address is never subscribed again.
May import: errors.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email

from .errors import InvalidAddress, ParseError

COLUMNS = ["email", "name", "topics", "frequency", "timezone", "send_at", "status"]
OPTED_OUT = ("unsubscribed", "bounced", "suppressed")
FREQUENCIES = ("daily", "weekly")
STATUSES = ("active", "pending", "unsubscribed", "bounced", "suppressed")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNDECODABLE = re.compile("[\udc80-\udcff]")


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
    send_at: str | None = None


def _unformula(value: str) -> str:
    # Undo export's protection (exactly one apostrophe) so a round trip is lossless.
    return value[1:] if value[:1] == "'" and value[1:2] and value[1:2] in (*FORMULA_START, "'") else value


def read_csv(data: bytes, origin: str) -> Iterator[Row | ParseError]:
    """Yield a Row per good record and a ParseError ("FILE:LINE: reason") per bad one."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    # surrogateescape keeps undecodable bytes visible per cell, so one Latin-1 row fails alone.
    text = data.decode("utf-8", "surrogateescape")
    header: list[str] | None = None
    for item in _records(text, origin, lambda: header):
        if isinstance(item, ParseError):
            yield item
            continue
        line, cells = item
        if header is None:
            header = [f.strip().lower() for f in cells]
            if "email" not in header:
                yield ParseError(f"{origin}:{line}: no `email` column (found: {', '.join(header) or 'nothing'}; "
                                 f"expected: {', '.join(COLUMNS)})")
                return
            continue
        yield _row(dict(zip(header, cells)), line, origin)


def _records(text: str, origin: str, header) -> Iterator[tuple[int, list[str]] | ParseError]:
    """(first line, cells) per CSV record, or a ParseError naming the line where one went wrong.

    A quoted cell may hold a line break, so one record can span lines. A stray quote would swallow
    every line up to the next quote as one cell: when a record spans lines and one of the lines it
    swallowed reads as a row of its own (its email cell is an address), or it has the wrong number
    of cells, the quote is reported at its line and reading starts again on the next line.
    """
    lines = io.StringIO(text, newline="").readlines()
    at = 0      # lines handed to the csv reader so far

    def feed():
        nonlocal at
        while at < len(lines):
            at += 1
            yield lines[at - 1]

    reader = csv.reader(feed())
    while at < len(lines):
        start = at
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield ParseError(f"{origin}:{start + 1}: not valid CSV ({exc})")
            at = start + 1
            reader = csv.reader(feed())
            continue
        fields = header()
        if at - start > 1 and fields is not None and (
                len(cells) != len(fields) or any(_reads_as_row(ln, fields) for ln in lines[start + 1:at])):
            yield ParseError(f"{origin}:{start + 1}: a quote opened in this row is not closed on it, so it "
                             f"would swallow the next {at - start - 1} line(s); those are read on their own. "
                             'Close the quote, or double a quote inside a quoted cell ("")')
            at = start + 1
            reader = csv.reader(feed())
            continue
        if cells:
            yield start + 1, cells


_ADDRESS_LIKE = re.compile(r"[^@\s\",;]+@[^@\s\",;]+\.[^@\s\",;]+")


def _reads_as_row(line: str, fields: list[str]) -> bool:
    try:
        cells = next(csv.reader([line]), [])
    except csv.Error:
        return False
    i = fields.index("email")
    return len(cells) > i and bool(_ADDRESS_LIKE.fullmatch(cells[i].strip()))


def _row(record: dict, line: int, origin: str) -> Row | ParseError:
    bad = [k for k, v in record.items() if isinstance(v, str) and _UNDECODABLE.search(v)]
    if bad:
        return ParseError(f"{origin}:{line}: not UTF-8 (in the {bad[0]} column); save the file as UTF-8 "
                          "and import again")
    get = lambda k: _unformula((record.get(k) or "").strip())  # noqa: E731
    try:
        return Row(line, normalize_email(get("email")), get("name") or None,
                   [t.strip() for t in get("topics").replace(",", ";").split(";") if t.strip()],
                   check_frequency(get("frequency")), check_timezone(get("timezone")), check_status(get("status")),
                   check_time(get("send_at")))
    except (InvalidAddress, ParseError) as exc:
        return ParseError(f"{origin}:{line}: {exc.message}")


def safe_cell(value: str | None) -> str:
    value = value or ""
    return "'" + value if value[:1] in (*FORMULA_START, "'") and value else value


def write_csv(rows: Iterable[dict], out: io.TextIOBase) -> int:
    writer = csv.writer(out, lineterminator="\n")
    # With "\n" ending each row, the csv module quotes a cell holding "\n" but not a lone "\r",
    # which every reader takes for the end of the row: such a row is written fully quoted.
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(COLUMNS)
    n = 0
    for r in rows:
        cells = [safe_cell(r.get(c)) for c in COLUMNS]
        (quoted if any("\r" in c for c in cells) else writer).writerow(cells)
        n += 1
    return n


# ---- what a row of an import does to the subscriber on file ----------------------------------

@dataclass
class Change:
    line: int
    email: str
    action: str                               # add | update | unchanged | skip
    subscriber_id: int | None = None
    values: dict = field(default_factory=dict)     # columns to write (every one for "add")
    topics: list[int] = field(default_factory=list)    # topic ids to subscribe to
    replace_topics: bool = False              # --overwrite: `topics` become the whole subscription
    kept: dict = field(default_factory=dict)  # field -> (on file, in the row): left as it was
    reason: str | None = None                 # why skipped: the opt-out on file


def plan_import(current: dict | None, row: dict, *, overwrite: bool = False) -> Change:
    """What importing `row` does to `current`, the subscriber on file (None: a new address).

    row: line, email, name, topic_ids (list), frequency, timezone, send_at, status.
    current: id, status, name, frequency, timezone, send_at, topic_ids (set).

    An import adds subscribers and fills fields that are empty. A value already on file (the
    topics, frequency, time and timezone a subscriber chose on their preference page, or a name)
    is kept and reported, unless `overwrite`; then the row's non-empty values replace it and its
    topics become the whole subscription. An address that opted out is skipped even then. A row
    may record an opt-out (status unsubscribed, bounced, suppressed): that is always applied.
    """
    if current is None:
        return Change(row["line"], row["email"], "add",
                      values={"name": row["name"], "status": row["status"], "frequency": row["frequency"] or "daily",
                              "timezone": row["timezone"], "send_at": row["send_at"]},
                      topics=list(row["topic_ids"]))
    change = Change(row["line"], row["email"], "update", current["id"])
    if current["status"] in OPTED_OUT:
        change.action, change.reason = "skip", current["status"]
        return change
    if row["status"] in OPTED_OUT:
        status = row["status"]
    else:
        status = "active" if "active" in (current["status"], row["status"]) else "pending"
    if status != current["status"]:
        change.values["status"] = status
    for name in ("name", "frequency", "timezone", "send_at"):
        new, old = row[name], current[name]
        if not new or new == old:
            continue
        if not old or overwrite:
            change.values[name] = new
        else:
            change.kept[name] = (old, new)
    want, have = list(row["topic_ids"]), set(current["topic_ids"])
    if want and set(want) != have:
        if not have:
            change.topics = want
        elif overwrite:
            change.topics, change.replace_topics = want, True
        else:
            change.kept["topics"] = (sorted(have), want)
    if not change.values and not change.topics:
        change.action = "unchanged"
    return change
