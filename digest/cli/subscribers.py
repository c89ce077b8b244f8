"""`digest subscribers ...`: the people on the lists."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import subscribers as lists
from ..errors import DigestError, ParseError
from .app import App, echo_json, pass_app, say, table


@click.group(name="subscribers")
def subscribers_group() -> None:
    """Add, import and list subscribers.

    Example: digest subscribers add ada@example.org --topic Europe --topic World
    """


def subscriber_json(s) -> dict:
    return {"email": s.email, "name": s.name, "status": s.status, "topics": s.topics,
            "frequency": s.frequency, "timezone": s.timezone}


@subscribers_group.command(name="add")
@click.argument("email")
@click.option("--topic", "topics", multiple=True, required=True, help="A topic to follow (repeatable).")
@click.option("--name", help="The subscriber's name.")
@click.option("--frequency", type=click.Choice(lists.FREQUENCIES), help="daily (default) or weekly.")
@click.option("--timezone", help="Area/City, e.g. Europe/Berlin.")
@pass_app
def subscribers_add(app: App, email: str, topics: tuple[str, ...], name: str | None, frequency: str | None,
                    timezone: str | None) -> None:
    """Add a subscriber (or add topics to an existing one).

    Example: digest subscribers add ada@example.org --name "Ada Lovelace" --topic Europe
    """
    address = lists.normalize_email(email)
    try:
        tz = lists.check_timezone(timezone)
    except ParseError as exc:
        raise DigestError(exc.message[:1].upper() + exc.message[1:] + ".") from None
    outcome = app.store.upsert_subscriber(address, name=name, topics=list(topics), frequency=frequency, timezone=tz)
    sub = app.store.subscriber(address)
    say(f"{outcome.capitalize()} {sub.email}: {', '.join(sub.topics)}")


@subscribers_group.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and report, write nothing.")
@pass_app
def subscribers_import(app: App, file: str, dry_run: bool) -> None:
    """Import a CSV (email,name,topics[,frequency,timezone]; topics separated by ";").

    Every bad row is named with its line number; the good rows are imported; exit 1 if any failed.
    An address that unsubscribed is never re-subscribed by an import.

    Example: digest subscribers import subscribers/newsroom.csv
    """
    counts = {"added": 0, "updated": 0, "skipped": 0}
    failed = 0
    for row in lists.read_csv(Path(file).read_bytes(), file):
        if isinstance(row, ParseError):
            click.echo(f"Error: {row.message}", err=True)
            failed += 1
            continue
        try:
            for t in row.topics:
                app.store.topic(t)
            if not row.topics:
                raise DigestError("no topics given")
            if dry_run:
                counts["added"] += 1
                continue
            counts[app.store.upsert_subscriber(row.email, name=row.name, topics=row.topics, frequency=row.frequency,
                                               timezone=row.timezone, resubscribe=False)] += 1
        except DigestError as exc:
            click.echo(f"Error: {file}:{row.line}: {exc.message}", err=True)
            failed += 1
    verb = "would import" if dry_run else "imported"
    say(f"{file}: {verb} {counts['added']} new, {counts['updated']} updated, "
        f"{counts['skipped']} skipped (unsubscribed), {failed} failed")
    if failed:
        sys.exit(1)


@subscribers_group.command(name="list")
@click.option("--topic", help="Only subscribers of this topic.")
@click.option("--status", type=click.Choice(["pending", "active", "unsubscribed", "bounced", "suppressed"]))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def subscribers_list(app: App, topic: str | None, status: str | None, as_json: bool) -> None:
    """List subscribers.

    Example: digest subscribers list --topic World --json
    """
    subs = app.store.subscribers(topic=topic, status=status)
    if as_json:
        echo_json([subscriber_json(s) for s in subs])
        return
    table(["email", "name", "status", "frequency", "topics"],
          [[s.email, s.name or "", s.status, s.frequency, ", ".join(s.topics)] for s in subs])


def register(cli: click.Group) -> None:
    cli.add_command(subscribers_group)
