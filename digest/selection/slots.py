"""Slots: when each subscriber's digest is due, computed in their own local time.

A subscriber's slot is their local send time (their own `send_at`, else the configured one) on
every day (daily) or on the configured weekday (weekly), in their timezone (else the configured
one). Slots are built as local wall-clock times with zoneinfo and only then turned into UTC, so a
07:00 Europe/Berlin subscriber gets 07:00 on both sides of a clock change. A slot is named by its
LOCAL date: one edition key per local day, which is what makes it "once" across restarts.
Pure functions over plain values; the clock is always an argument.
May import: matching, models.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from ..matching import canonical_zone
from ..models import FREQUENCIES, WEEKDAYS, Subscriber

UTC = dt.timezone.utc
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


@dataclass(frozen=True)
class Slot:
    frequency: str
    day: dt.date            # the subscriber's local date of the slot: the edition's date
    at: dt.datetime         # the instant, in UTC

    @property
    def key(self) -> str:
        # Same format as pipeline.edition_key: the editions the scheduler and `digest send` write agree.
        return f"{self.frequency}-{self.day.isoformat()}"


def parse_time(value: str) -> dt.time | None:
    """"07:00" or "07:00:30" -> time; None when it is not a time of day."""
    m = _TIME.match(str(value))
    if not m:
        return None
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if h > 23 or mi > 59 or s > 59:
        return None
    return dt.time(h, mi, s)


def parse_weekday(value: str) -> int | None:
    v = str(value).strip().lower()
    for i, name in enumerate(WEEKDAYS):
        if v == name or (len(v) >= 3 and name.startswith(v)):
            return i
    return None


def zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone of `name`, written in any case (matching.canonical_zone), or None."""
    canonical = canonical_zone(str(name))
    return zoneinfo.ZoneInfo(canonical) if canonical else None


@dataclass
class DigestSchedule:
    """The [digest] table (read by digest.config): defaults for subscribers who did not choose."""
    send_at: dt.time = dt.time(7, 0)
    timezone: str = "UTC"
    weekly_on: int = 0                  # Monday
    min_items: int = 1
    check_every: float = 60.0           # seconds between the scheduler's looks for due subscribers

    @property
    def default_zone(self) -> dt.tzinfo:
        """The zone of `timezone` (the configuration refuses one that does not exist)."""
        tz = zone(self.timezone)
        if tz is None:
            raise ValueError(f"unknown timezone {self.timezone!r}")
        return tz

    def slot_for(self, sub: Subscriber, now: dt.datetime) -> Slot | None:
        """The subscriber's most recent slot at or before `now` (None for a frequency we do not schedule)."""
        if sub.frequency not in FREQUENCIES:
            return None
        tz = zone(sub.timezone) if sub.timezone else None
        at = parse_time(sub.send_at) if sub.send_at else None
        return latest_slot(sub.frequency, tz or self.default_zone, at or self.send_at, self.weekly_on, now)


def _instant(day: dt.date, at: dt.time, tz: dt.tzinfo) -> dt.datetime:
    # fold=0: an ambiguous time (clocks going back) means its first occurrence; a time that does not
    # exist (clocks going forward) maps to the instant the same number of minutes after the jump.
    return dt.datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _matches(frequency: str, day: dt.date, weekly_on: int) -> bool:
    return frequency == "daily" or day.weekday() == weekly_on


def latest_slot(frequency: str, tz: dt.tzinfo, at: dt.time, weekly_on: int, now: dt.datetime) -> Slot:
    """The most recent slot at or before `now`."""
    day = now.astimezone(tz).date() + dt.timedelta(days=1)   # +1: an eastern zone may already be "tomorrow"
    while True:
        if _matches(frequency, day, weekly_on):
            instant = _instant(day, at, tz)
            if instant <= now:
                return Slot(frequency, day, instant)
        day -= dt.timedelta(days=1)


def next_slot(frequency: str, tz: dt.tzinfo, at: dt.time, weekly_on: int, now: dt.datetime) -> Slot:
    """The first slot strictly after `now`."""
    day = now.astimezone(tz).date() - dt.timedelta(days=1)
    while True:
        if _matches(frequency, day, weekly_on):
            instant = _instant(day, at, tz)
            if instant > now:
                return Slot(frequency, day, instant)
        day += dt.timedelta(days=1)
