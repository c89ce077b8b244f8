"""`digest subscribers import` and `export`: a whole list at a time, as CSV (the format is in
subscribers/README.md). Who may be mailed is decided in digest.pipeline, not here.
May import: models, pipeline, plural, and .app.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .. import pipeline
from ..models import SUBSCRIBER_STATUSES
from ..plural import plural
from .app import App, echo_json, finish, pass_app, say, table


@click.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and print what each would change; write nothing.")
@click.option("--overwrite", is_flag=True,
              help="Replace values already on file (topics, frequency, time, timezone, name) with the file's. "
                   "An address that opted out is still never re-subscribed.")
@click.option("--json", "as_json", is_flag=True, help="With --dry-run: print the changes as JSON.")
@pass_app
def subscribers_import(app: App, file: str, dry_run: bool, overwrite: bool, as_json: bool) -> None:
    """Import a CSV: email,name,topics,frequency,timezone,send_at[,status]; topics separated by ";".

    New addresses are added; for an address already on file, only empty fields are filled. What a
    subscriber chose (topics, frequency, time, timezone) is kept unless you pass --overwrite, and
    an address that unsubscribed, bounced or was suppressed is never re-subscribed. --dry-run
    prints, row by row, what would change. Every bad row is named with its line number; the good
    rows are imported; exit 1 if any failed. Rows are written a few thousand per transaction once
    the whole file has been checked; if the import is interrupted, run it again to finish it.

    Example: digest subscribers import subscribers/newsroom.csv --dry-run
    """
    with Path(file).open("rb") as data:     # read row by row: a list of a million rows is never held
        report = pipeline.import_subscribers(app.db, data, file, dry_run=dry_run, overwrite=overwrite)
    if dry_run:
        _print_changes(report, as_json)
    verb = "would import" if dry_run else "imported"
    kept = ""
    if report.kept:
        kept = (f"; {plural(report.kept, 'row differs', 'rows differ')} from values on file "
                "(a subscriber's own choices), which "
                + ("would be kept; --overwrite replaces them" if dry_run
                   else "were kept; --dry-run lists them, --overwrite replaces them"))
    finish(report.errors, f"{file}: {verb} {report.added} new, {report.updated} updated, {report.unchanged} "
                          f"unchanged, {report.skipped} skipped (opted out), {report.merged} duplicates merged, "
                          f"{len(report.errors)} failed{kept}")


def _print_changes(report: pipeline.ImportReport, as_json: bool) -> None:
    """The rows of a dry run that would change something, or that differ from what is kept."""
    names = report.topic_names
    topics = lambda ids: ", ".join(names.get(t, str(t)) for t in ids) or "-"  # noqa: E731
    shown = lambda v: topics(v) if isinstance(v, (list, set, tuple)) else (v or "-")  # noqa: E731
    rows: list[dict[str, Any]] = []
    for c in report.changes:
        if c.action == "unchanged" and not c.kept:
            continue
        if c.action == "add":
            what = [f"topics {topics(c.topics)}"] + [f"{k} {v}" for k, v in c.values.items() if v and k != "status"]
            if c.values["status"] != "active":
                what.append(f"status {c.values['status']}")
        elif c.action == "skip":
            what = [f"{c.reason}: an import never subscribes an address that opted out"]
        else:
            what = [f"{k} -> {shown(v)}" for k, v in c.values.items()]
            if c.topics:
                what.append(("topics -> " if c.replace_topics else "topics + ") + topics(c.topics))
            what += [f"kept {k} {shown(old)} (file: {shown(new)})" for k, (old, new) in c.kept.items()]
        rows.append({"line": c.line, "email": c.email, "action": c.action, "changes": what})
    if as_json:
        echo_json(rows)
    elif rows:
        table(["line", "email", "action", "changes"], [[r["line"], r["email"], r["action"], "; ".join(r["changes"])]
                                                      for r in rows])


@click.command(name="export")
@click.option("--topic", help="Only subscribers of this topic.")
@click.option("--status", type=click.Choice(SUBSCRIBER_STATUSES), help="Only subscribers with this status.")
@pass_app
def subscribers_export(app: App, topic: str | None, status: str | None) -> None:
    """Write subscribers as CSV to stdout, in the format `import` reads (formula cells made safe).

    Example: digest subscribers export --topic Europe > europe.csv
    """
    n = pipeline.export_subscribers(app.db, sys.stdout, topic=topic, status=status)
    sys.stdout.flush()
    say(f"Exported {plural(n, 'subscriber', 'subscribers')}.")


def register(group: click.Group) -> None:
    group.add_command(subscribers_import)
    group.add_command(subscribers_export)
