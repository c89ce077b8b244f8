"""An article's date from its own words: a "Published ..." line, then a dateline ("BRUSSELS, Nov. 20
(Reuters) — ..."), then the photo caption's date; only without any of them the date in the file's
name, then the ingest time. A date alone (no time of day) is read as 06:00 UTC, as a date in a file
name is.
May import: nothing from digest.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")

# A "Published ..." line, then a dateline ("BRUSSELS, Nov. 20 (Reuters) — ..."), then the photo
# caption's date; only without any of them the date in the file's name, then the ingest time.
# A date alone (no time of day) is read as 06:00 UTC, as a date in a file name is.

_MONTHS = {m: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], 1) for m in names}
# Capitalised ("Nov.", "November") or in capitals ("NOV."), never "may" the verb.
_MON = r"(?P<mon>" + "|".join(sorted({v for m in _MONTHS for v in (m.capitalize(), m.upper())}, key=len,
                                     reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_DATE_RES = [
    re.compile(r"\b(?P<year>\d{4})-(?P<num>[01]\d)-(?P<day>[0-3]\d)"
               r"(?:[T ](?P<hh>[0-2]\d):(?P<mm>[0-5]\d)(?::[0-5]\d(?:\.\d+)?)?\s*(?P<tz>Z|UTC|GMT|[+-]\d\d:?\d\d)?)?"),
    re.compile(r"\b" + _MON + r"\s+" + _DAY + r"\b(?:,?\s+(?P<year>\d{4})\b)?"),
    re.compile(r"\b" + _DAY + r"\s+" + _MON + r"(?:,?\s+(?P<year>\d{4})\b)?"),
]
STAMP_RE = re.compile(r"^(?:first\s+)?(?:published|posted)(?:\s+on)?\s*:?\s+", re.I)
# "BRUSSELS, Nov. 20 (Reuters) — ...", "KYIV, Ukraine, Nov. 20 – ...", "Nov. 20, 2026 -- ...": a place
# in capitals, or the date itself, opens the body and a dash closes the dateline.
_DATELINE = re.compile(r"^(?P<head>(?:[A-Z][A-Z'’.-]+\b|" + _MON + r"\s)[^\n—–]{0,78}?)\s*(?:—|–|--|\s-\s)")


def find_date(text: str, reference: dt.datetime | None = None) -> dt.datetime | None:
    """The first calendar date written in `text` (2026-11-20, Nov. 20, 2026, 20 November 2026,
    Nov. 20), as an aware datetime; a date without a year takes the year that puts it nearest
    `reference` (the date in the file's name, else now)."""
    found = []
    for pattern in _DATE_RES:
        m = pattern.search(text)
        if m:
            found.append(m)
    for m in sorted(found, key=lambda m: m.start()):
        got = _to_datetime(m, reference or dt.datetime.now(dt.timezone.utc))
        if got is not None:
            return got
    return None


def _to_datetime(m: re.Match, reference: dt.datetime) -> dt.datetime | None:
    parts = m.groupdict()
    month = int(parts["num"]) if parts.get("num") else _MONTHS[parts["mon"].lower()]
    day = int(parts["day"])
    hour, minute, tz = 6, 0, dt.timezone.utc
    if parts.get("hh") and parts.get("tz"):
        hour, minute = int(parts["hh"]), int(parts["mm"])
        if parts["tz"][0] in "+-":
            sign = -1 if parts["tz"][0] == "-" else 1
            digits = parts["tz"][1:].replace(":", "")
            tz = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        if parts.get("year"):
            return dt.datetime(int(parts["year"]), month, day, hour, minute, tzinfo=tz).astimezone(dt.timezone.utc)
        # No year: the one that puts the date nearest the reference ("Dec. 30" read on 2 January
        # is last year's).
        candidates = []
        for year in (reference.year - 1, reference.year, reference.year + 1):
            try:
                candidates.append(dt.datetime(year, month, day, hour, minute, tzinfo=tz))
            except ValueError:          # 29 February in a year without one
                continue
        return min(candidates, key=lambda d: abs(d - reference)) if candidates else None
    except (ValueError, OverflowError):
        return None


def take_stamp(blocks: list[str]) -> tuple[list[str], str | None]:
    """A "Published Nov. 20, 2026" line is metadata, not body text: (the blocks without it, it)."""
    for i, block in enumerate(blocks):
        if STAMP_RE.match(block) and len(block.split()) <= 12 and find_date(block):
            return blocks[:i] + blocks[i + 1:], block
    return blocks, None


def date_from_text(body: str, *, caption: str | None = None, stamp: str | None = None,
                   reference: dt.datetime | None = None) -> dt.datetime | None:
    """The article's date from its own words: the "Published" stamp, the dateline that opens the
    body, or the caption's date, in that order."""
    if stamp and (found := find_date(stamp, reference)):
        return found
    m = _DATELINE.match(body.lstrip())
    if m and (found := find_date(m.group("head"), reference)):
        return found
    if caption and (found := find_date(caption, reference)):
        return found
    return None


def date_from_name(origin: str) -> dt.datetime | None:
    m = DATE_IN_NAME.search(Path(origin).name)
    if not m:
        return None
    try:
        return dt.datetime.fromisoformat(m.group(1)).replace(hour=6, tzinfo=dt.timezone.utc)
    except ValueError:
        return None
