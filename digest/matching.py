"""Values people type, matched the one way everywhere: a time zone without regard to case (stored
under its canonical zoneinfo name), and "did you mean" for a time zone, a topic or a command.
May import: nothing from digest.
"""

from __future__ import annotations

import difflib
import functools
import zoneinfo
from collections.abc import Iterable


@functools.lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    """Lower-cased name -> canonical name, for every zone zoneinfo knows."""
    return {z.lower(): z for z in zoneinfo.available_timezones()}


def canonical_zone(name: str | None) -> str | None:
    """The canonical zoneinfo name of `name` in any case ("europe/berlin" -> "Europe/Berlin"), or None."""
    text = (name or "").strip()
    if not text:
        return None
    found = _zones().get("_".join(text.lower().split()))     # no zone name has a space: "New York" is New_York
    if found is None and _loads(text):       # a zone the system has but does not list
        found = text
    return found


@functools.lru_cache(maxsize=256)
def _loads(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_suggestions(name: str, n: int = 3) -> list[str]:
    """Zones `name` may have meant: those whose city is `name` ("Lisbon", "new york"), then the
    closest spellings."""
    key = "_".join((name or "").strip().lower().split())
    zones = _zones()
    cities = sorted(z for low, z in zones.items() if low.rsplit("/", 1)[-1] == key and "/" in low)
    close = [zones[low] for low in _closest(key, list(zones), n, cutoff=0.75)]
    return list(dict.fromkeys(cities + close))[:n]


def _closest(word: str, choices: list[str], n: int, cutoff: float) -> list[str]:
    """difflib's close matches, keeping only those about as close as the best one (a typo has one
    answer; "Europe/Lisbn" is not also Europe/Dublin)."""
    scored = []
    for choice in difflib.get_close_matches(word, choices, n=n, cutoff=cutoff):
        scored.append((difflib.SequenceMatcher(None, word, choice).ratio(), choice))
    return [c for r, c in scored if r >= scored[0][0] - 0.05]


def unknown_zone(name: str) -> str:
    """'Unknown time zone "Lisbon": did you mean Europe/Lisbon?' (or how to write one)."""
    return f'Unknown time zone "{name.strip()}": ' + (
        did_you_mean(zone_suggestions(name)) or "use an Area/City name such as Europe/Berlin, or UTC.")


def close_to(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The choices closest to `word`, without regard to case, in their own spelling."""
    by_lower = {c.lower(): c for c in choices}
    return [by_lower[c] for c in _closest(word.strip().lower(), list(by_lower), n, cutoff=0.6)]


def suggest(word: str, choices: Iterable[str]) -> str:
    """' Did you mean Europe?' for a mistyped name among `choices`, or "" when none is close."""
    guess = did_you_mean(close_to(word, choices))
    return f" D{guess[1:]}" if guess else ""


def did_you_mean(names: list[str]) -> str:
    """'did you mean Europe/Lisbon?' / 'did you mean A or B?', or "" for no names."""
    if not names:
        return ""
    return "did you mean " + (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]) + "?"
