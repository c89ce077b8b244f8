"""How values sit in columns: timestamps as sortable UTC text, lists as JSON, addresses folded as
the email column compares them. Used by every repository of digest.db; nothing here runs SQL.
May import: nothing from digest.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar, overload

T = TypeVar("T")


@overload
def ts(value: dt.datetime) -> str: ...
@overload
def ts(value: None) -> None: ...
@overload
def ts(value: dt.datetime | None) -> str | None: ...
def ts(value: dt.datetime | None) -> str | None:
    """One timestamp format everywhere (UTC, microseconds), so SQL can compare them as text."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# A column read from a sqlite3.Row is Any: the overloads then give Any, so a NOT NULL column needs no
# None check, while a value the code knows is None or str keeps its precise type.
@overload
def parse_ts(value: str) -> dt.datetime: ...
@overload
def parse_ts(value: None) -> None: ...
@overload
def parse_ts(value: str | None) -> dt.datetime | None: ...
def parse_ts(value: str | None) -> dt.datetime | None:
    return _parse_ts(value)


@functools.lru_cache(maxsize=8192)
def _parse_ts(value: str | None) -> dt.datetime | None:
    """A stored timestamp as an aware datetime. Cached: a ledger repeats the same few windows and
    batch stamps on every row, and datetimes are immutable."""
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def email_key(email: str) -> str:
    """The address as the email column compares it (COLLATE NOCASE folds ASCII letters only)."""
    return email.encode("utf-8", "surrogateescape").lower().decode("utf-8", "surrogateescape")


def ids_json(values: Iterable[Any]) -> str:
    """A list bound as one parameter and read back in SQL with json_each(?): no placeholders to count."""
    return json.dumps(list(values))


def chunks(values: list[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]
