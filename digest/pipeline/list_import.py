"""Whole lists: a CSV imported (read and validated row by row into a staging table, repeated
addresses merged, each row planned against what is on file, written in batches of a few thousand
addresses per transaction) and exported.

An import adds subscribers and fills fields that are empty. A value already on file (the topics,
frequency, time, timezone and language a subscriber chose on their preference page, or a name) is kept and
reported, unless `overwrite`; then the row's non-empty values replace it and its topics become
the whole subscription. An address that opted out is skipped even then (audience.opted_out). A row
may record an opt-out (status unsubscribed, bounced, suppressed): that is always applied.
May import: db, errors, matching, models, lists.subscriber_csv, and .audience.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO, TextIO

from ..db import Database, StagedRow, email_key
from ..errors import ParseError
from ..lists.subscriber_csv import Row, read_csv, write_csv
from ..matching import suggest
from ..models import ImportChange, OnFile
from .audience import opted_out


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0       # opted out before (unsubscribed, bounced, suppressed): never re-subscribed
    merged: int = 0        # rows that repeated an address already in the file
    kept: int = 0          # rows whose values differ from what is on file, which was kept (no --overwrite)
    errors: list[ParseError] = field(default_factory=list)
    changes: list[ImportChange] = field(default_factory=list)    # with dry_run: what each row would do
    topic_names: dict[int, str] = field(default_factory=dict)      # for reading `changes`


def import_subscribers(db: Database, source: bytes | BinaryIO, origin: str, *, dry_run: bool = False,
                       overwrite: bool = False, batch: int = 5000) -> ImportReport:
    """Validate every CSV row, merge repeated addresses, and plan each row against what is on file
    (plan_import); then write it, `batch` addresses per transaction, unless `dry_run`.

    The file is read once, row by row, into a staging table (one merged row per address), then
    planned and written from it in the order of the file, so memory does not grow with the list.
    A bad row is reported and never stops the rest. Nothing is written before every row has been
    read; a fault while writing (a full disk, a kill) leaves the batches committed so far, each
    whole, and running the same import again finishes it (rows already in read as unchanged).
    """
    report = ImportReport()
    known = db.topics.ids()
    report.topic_names = {tid: name for tid, name in known.values()}
    # A WAL of up to 40 MB between checkpoints: 200 commits of a million rows wait for fsync ~20 times.
    with db.staging.table(), db.checkpoint_every(10_000):
        _stage(db, read_csv(source, origin), origin, known, report, batch)
        for part in db.staging.batches(batch):
            with contextlib.nullcontext() if dry_run else db.transaction():
                on_file = db.subscribers.on_file([r.email for r in part])
                changes = [plan_import(on_file.get(r.key), r, overwrite=overwrite) for r in part]
                if not dry_run:
                    db.subscribers.apply_import(changes)
            for c in changes:
                count = {"add": "added", "update": "updated", "unchanged": "unchanged", "skip": "skipped"}[c.action]
                setattr(report, count, getattr(report, count) + 1)
                report.kept += bool(c.kept)
            if dry_run:
                report.changes += changes
    return report


def _stage(db: Database, rows: Iterable[Row | ParseError], origin: str, known: dict, report: ImportReport,
           batch: int) -> None:
    """Check each row and put it in the staging table, merged into an earlier row of its address."""
    part: list[tuple[StagedRow, Row]] = []
    for row in rows:
        if isinstance(row, ParseError):
            report.errors.append(row)
            continue
        unknown = [t for t in row.topics if t.lower() not in known]
        if unknown:
            names = sorted({name for _, name in known.values()}, key=str.lower)
            report.errors.append(ParseError(f'{origin}:{row.line}: topic "{unknown[0]}" does not exist.'
                                            f"{suggest(unknown[0], names)} Known topics: {', '.join(names) or '(none)'}."))
            continue
        ids = {known[t.lower()][0]: None for t in row.topics}
        if not ids and row.status in ("active", "pending"):
            report.errors.append(ParseError(f"{origin}:{row.line}: no topics given (topics column, e.g. Europe;World)"))
            continue
        part.append((StagedRow(row.line, email_key(row.email), row.email, row.name, ids, row.frequency,
                               row.timezone, row.send_at, row.status, row.language), row))
        if len(part) >= batch:
            _stage_part(db, part, report)
            part = []
    _stage_part(db, part, report)


def _stage_part(db: Database, part: list[tuple[StagedRow, Row]], report: ImportReport) -> None:
    """One batch of checked rows into staging: an address seen before (in this batch or an earlier
    one) is merged into its first row."""
    staged = db.staging.by_key(list({r.key for r, _ in part}))
    changed: dict[str, StagedRow] = {}
    new: dict[str, StagedRow] = {}
    for r, row in part:
        first = new.get(r.key) or changed.get(r.key) or staged.get(r.key)
        if first is None:
            new[r.key] = r
            continue
        report.merged += 1
        _merge_row(first, row, r.topic_ids)
        if first is staged.get(r.key):
            changed[r.key] = first
    db.staging.write(list(new.values()), list(changed.values()))


def _merge_row(into: StagedRow, row: Row, ids: dict[int, None]) -> None:
    """A repeated address: topics are unioned, later non-empty values win, and an opt-out sticks."""
    into.topic_ids.update(ids)
    for attr in ("name", "frequency", "timezone", "send_at", "language"):
        if getattr(row, attr):
            setattr(into, attr, getattr(row, attr))
    if not opted_out(into.status):
        into.status = row.status


def plan_import(current: OnFile | None, row: StagedRow, *, overwrite: bool = False) -> ImportChange:
    """What importing `row` (one address, its repeated rows merged) does to `current`, the
    subscriber on file (None: a new address)."""
    if current is None:
        return ImportChange(row.line, row.email, "add",
                            values={"name": row.name, "status": row.status,
                                    "frequency": row.frequency or "daily", "timezone": row.timezone,
                                    "send_at": row.send_at, "language": row.language},
                            topics=list(row.topic_ids))
    change = ImportChange(row.line, row.email, "update", current.id)
    if opted_out(current.status):
        change.action, change.reason = "skip", current.status
        return change
    if opted_out(row.status):
        status = row.status
    else:
        status = "active" if "active" in (current.status, row.status) else "pending"
    if status != current.status:
        change.values["status"] = status
    for name in ("name", "frequency", "timezone", "send_at", "language"):
        new, old = getattr(row, name), getattr(current, name)
        if not new or new == old:
            continue
        if not old or overwrite:
            change.values[name] = new
        else:
            change.kept[name] = (old, new)
    want, have = list(row.topic_ids), set(current.topic_ids)
    if want and set(want) != have:
        if not have:
            change.topics = want
        elif overwrite:
            change.topics, change.replace_topics = want, True
        else:
            change.kept["topics"] = (sorted(have), want)
    if not change.values and not change.topics:
        change.action = "unchanged"
    return change


def export_subscribers(db: Database, out: TextIO, *, topic: str | None = None,
                       status: str | None = None) -> int:
    """Write subscribers as CSV in the format import reads (formula cells made safe); returns how many."""
    return write_csv(db.subscribers.export(db.topics.get(topic).id if topic else None, status), out)
