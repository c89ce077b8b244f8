"""How tables print a moment: in the newsroom's timezone (`timezone` of digest.toml, DIGEST_TIMEZONE),
to the second. `--json` keeps the full ISO stamps of the store instead.
May import: nothing from digest.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo


def local_zone(name: str) -> dt.tzinfo:
    """The zone of this name (configuration already checked it); UTC if it cannot be read."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.timezone.utc


def local_time(at: dt.datetime | None, zone: dt.tzinfo, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """`at` in `zone`, to the second ("" for no time); a stamp without an offset is UTC, as stored."""
    if at is None:
        return ""
    return (at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)).astimezone(zone).strftime(fmt)
