"""One page of a listing, as digest.db hands it to the pipeline and the CLI. No I/O here.
May import: nothing from digest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """Its rows, read from the database as they are iterated (iterate once), and how many rows
    matched in all, so a listing can say how many it left out."""
    rows: Iterator[T]
    total: int
    limit: int | None              # None: every matching row

    @property
    def more(self) -> int:
        return 0 if self.limit is None else max(0, self.total - self.limit)
