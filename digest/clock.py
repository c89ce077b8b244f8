"""The wall clock: one `now()`, aware and in UTC, for every stage that needs the time.

Stages that must be testable over simulated days take the instant as an argument instead; the
tests move this clock with time-machine.
May import: nothing from digest.
"""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
