"""What `digest schedule list` shows besides the jobs: the next digest slot of every group of
subscribers (frequency, timezone, time of day), and what each feed's last fetch left.
May import: db, models, selection.slots.
"""

from __future__ import annotations

import datetime as dt

from ..db import Database, ts
from ..models import FREQUENCIES
from ..selection.slots import DigestSchedule, next_slot, parse_time, zone

UTC = dt.timezone.utc


def _fmt(at: dt.datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


def next_slots(db: Database | None, schedule: DigestSchedule, at: dt.datetime) -> list[dict]:
    """One row per (frequency, timezone, time of day) of the due subscribers, with its next slot;
    without a database, the configured defaults."""
    groups: dict[tuple, int] = {}
    if db is not None:
        for batch in db.editions.due_subscribers(None):
            for sub in batch:
                key = (sub.frequency, sub.timezone or schedule.timezone,
                       (parse_time(sub.send_at) if sub.send_at else None) or schedule.send_at)
                groups[key] = groups.get(key, 0) + 1
    else:
        groups = {(f, schedule.timezone, schedule.send_at): 0 for f in FREQUENCIES}
    slots = []
    for (frequency, tz, send_at), count in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2]))):
        if frequency not in FREQUENCIES:
            continue
        slot = next_slot(frequency, zone(tz) or schedule.default_zone, send_at, schedule.weekly_on, at)
        slots.append({"frequency": frequency, "timezone": tz, "send_at": send_at.strftime("%H:%M"),
                      "subscribers": count, "next_slot": _fmt(slot.at), "edition": slot.key})
    return slots


def feed_states(db: Database | None) -> list[dict]:
    """What each feed's last fetch left (validators, last outcome), timestamps as the ledger writes them."""
    if db is None:
        return []
    return [{"url": f.url, "etag": f.etag, "modified": f.modified, "checked_at": ts(f.checked_at),
             "ok_at": ts(f.ok_at), "last_error": f.last_error, "failures": f.failures, "entries": f.entries}
            for f in db.feeds.all()]
