"""The CSV format of subscriber lists. No database here.

Columns: email, name, topics (separated by ";"), frequency (daily|weekly), timezone (Area/City),
send_at (HH:MM, their local time of day), language (de, fr, ...; blank = the
newsletter's [digest] language), and optionally status (active, pending, unsubscribed,
bounced, suppressed; blank = active). Only email is required. The file is UTF-8 (a BOM is fine); a
row that is not, or that is not valid CSV (a stray quote), is reported with its line number and
the other rows go on. Export writes the same columns, with any cell that a spreadsheet would run
as a formula (=, +, -, @, tab, CR) or that starts with an apostrophe prefixed with one apostrophe;
import removes exactly that apostrophe, so a round trip is lossless.
May import: errors, models, plural, .subscriber_fields.
"""

from __future__ import annotations

import csv
import io
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from ..errors import InvalidAddress, ParseError
from ..models import Subscriber
from ..plural import plural
from .subscriber_fields import (
    check_frequency,
    check_language,
    check_status,
    check_time,
    check_timezone,
    normalize_email,
)

COLUMNS = ["email", "name", "topics", "frequency", "timezone", "send_at", "status", "language"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNDECODABLE = re.compile("[\udc80-\udcff]")


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
    language: str | None = None


def _unformula(value: str) -> str:
    # Undo export's protection (exactly one apostrophe) so a round trip is lossless.
    return value[1:] if value[:1] == "'" and value[1:2] and value[1:2] in (*FORMULA_START, "'") else value


def read_csv(source: bytes | BinaryIO, origin: str) -> Iterator[Row | ParseError]:
    """Yield a Row per good record and a ParseError ("FILE:LINE: reason") per bad one. `source` is
    read line by line, so a file of a million rows is never held whole."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    # surrogateescape keeps undecodable bytes visible per cell, so one Latin-1 row fails alone;
    # utf-8-sig drops a BOM; newline="" keeps line ends as they are, for the csv module.
    text = io.TextIOWrapper(source, encoding="utf-8-sig", errors="surrogateescape", newline="")
    header: list[str] | None = None
    # The lambda is meant to see `header` change: _records asks it for the header read so far.
    for item in _records(text, origin, lambda: header):  # noqa: B023
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


def _records(lines: Iterable[str], origin: str,
             header: Callable[[], list[str] | None]) -> Iterator[tuple[int, list[str]] | ParseError]:
    """(first line, cells) per CSV record, or a ParseError naming the line where one went wrong.

    A quoted cell may hold a line break, so one record can span lines. A stray quote would swallow
    every line up to the next quote as one cell: when a record spans lines and one of the lines it
    swallowed reads as a row of its own (its email cell is an address), or it has the wrong number
    of cells, the quote is reported at its line and reading starts again on the next line. Only
    the lines of the current record are held (a cell is capped by csv.field_size_limit), to be read
    again after such a fault.
    """
    source = iter(lines)
    again: deque[str] = deque()     # lines to read again after a bad record
    taken: list[str] = []           # the lines the current record has read
    at = 0                          # lines handed to the csv reader so far

    def feed() -> Iterator[str]:
        nonlocal at
        while True:
            if again:
                line = again.popleft()
            elif (read := next(source, None)) is not None:
                line = read
            else:
                return
            at += 1
            taken.append(line)
            yield line

    def restart_after(start: int) -> Iterator[list[str]]:
        nonlocal at
        again.extendleft(reversed(taken[1:]))
        at = start + 1
        return csv.reader(feed())

    reader: Iterator[list[str]] = csv.reader(feed())
    while True:
        start = at
        taken.clear()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield ParseError(f"{origin}:{start + 1}: not valid CSV ({exc})")
            reader = restart_after(start)
            continue
        fields = header()
        if at - start > 1 and fields is not None and (
                len(cells) != len(fields) or any(_reads_as_row(ln, fields) for ln in taken[1:])):
            yield ParseError(f"{origin}:{start + 1}: a quote opened in this row is not closed on it, so it "
                             f"would swallow the next {plural(at - start - 1, 'line', 'lines')}; those are read on their own. "
                             'Close the quote, or double a quote inside a quoted cell ("")')
            reader = restart_after(start)
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
                   check_time(get("send_at")), check_language(get("language")))
    except (InvalidAddress, ParseError) as exc:
        return ParseError(f"{origin}:{line}: {exc.message}")


def safe_cell(value: str | None) -> str:
    value = value or ""
    return "'" + value if value[:1] in (*FORMULA_START, "'") and value else value


def export_row(sub: Subscriber) -> dict[str, str | None]:
    """A subscriber as the columns export writes (every field an admin or subscriber can set)."""
    return {"email": sub.email, "name": sub.name, "topics": ";".join(sub.topics), "frequency": sub.frequency,
            "timezone": sub.timezone, "send_at": sub.send_at, "status": sub.status, "language": sub.language}


def write_csv(subscribers: Iterable[Subscriber], out: TextIO) -> int:
    """Write every subscriber as a row, formula cells made safe; returns how many."""
    writer = csv.writer(out, lineterminator="\n")
    # With "\n" ending each row, the csv module quotes a cell holding "\n" but not a lone "\r",
    # which every reader takes for the end of the row: such a row is written fully quoted.
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(COLUMNS)
    n = 0
    for sub in subscribers:
        row = export_row(sub)
        cells = [safe_cell(row[c]) for c in COLUMNS]
        (quoted if any("\r" in c for c in cells) else writer).writerow(cells)
        n += 1
    return n
