"""The stops that come before `digest schedule run` is ready: its supervisor may send SIGTERM or SIGINT
at any moment, even while Python is still importing the CLI. `hold_if_schedule_run` puts handlers in
first (digest.cli calls it before any other import); a stop that comes this early is held in
EARLY_STOPS and handed to the scheduler (cli.schedule), which then ends cleanly (exit 0) instead of
dying mid-import ("Aborted!", or a thread joined before it started).
May import: nothing from digest (it runs before the rest is imported).
"""

from __future__ import annotations

import signal
from types import FrameType

EARLY_STOPS: list[int] = []


def _hold_stop(signum: int, frame: FrameType | None) -> None:
    EARLY_STOPS.append(signum)


def is_schedule_run(argv: list[str]) -> bool:
    """The first two words of the command line, global options skipped, are `schedule run`."""
    words: list[str] = []
    skip = False
    for arg in argv[1:]:
        if skip:
            skip = False
        elif arg == "--config":
            skip = True
        elif not arg.startswith("-"):
            words.append(arg)
            if len(words) == 2:
                break
    return words == ["schedule", "run"]


def hold_if_schedule_run(argv: list[str]) -> None:
    if is_schedule_run(argv):
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _hold_stop)
