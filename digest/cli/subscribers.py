"""`digest subscribers ...`: the people on the lists, one address at a time or a CSV at a time."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import pipeline
from .. import subscribers as lists
from ..errors import DigestError, ParseError, RelayError
from ..store import SUBSCRIBER_STATUSES
from .app import App, echo_json, finish, pass_app, say, table

OPTED_OUT = ("unsubscribed", "bounced", "suppressed")


@click.group(name="subscribers")
def subscribers_group() -> None:
    """Add, change, import, export and list subscribers.

    Example: digest subscribers add ada@example.org --topic Europe --topic World
    """


def subscriber_json(s, send_at: str | None = None) -> dict:
    return {"email": s.email, "name": s.name, "status": s.status, "topics": s.topics,
            "frequency": s.frequency, "timezone": s.timezone, "send_at": send_at}


def _check(check, value):
    """Run a subscribers.check_* validator; its ParseError becomes a CLI-ready DigestError."""
    try:
        return check(value)
    except ParseError as exc:
        raise DigestError(exc.message[:1].upper() + exc.message[1:] + ".") from None


def _find(app: App, email: str):
    return app.store.subscriber(lists.normalize_email(email))


def _topic_ids(app: App, topics) -> list[int]:
    return [app.store.topic(t).id for t in topics]


@subscribers_group.command(name="add")
@click.argument("email")
@click.option("--topic", "topics", multiple=True, required=True, help="A topic to follow (repeatable).")
@click.option("--name", help="The subscriber's name.")
@click.option("--frequency", type=click.Choice(lists.FREQUENCIES), help="daily (default) or weekly.")
@click.option("--timezone", help="Area/City, e.g. Europe/Berlin.")
@click.option("--confirm", is_flag=True, help="Double opt-in: status pending until they click the emailed link.")
@click.option("--resubscribe", is_flag=True, help="Re-activate an address that unsubscribed (only if they asked).")
@pass_app
def subscribers_add(app: App, email: str, topics: tuple[str, ...], name: str | None, frequency: str | None,
                    timezone: str | None, confirm: bool, resubscribe: bool) -> None:
    """Add a subscriber (or add topics to an existing one).

    With --confirm the address stays pending and gets a confirmation email (needs DIGEST_SMTP_URL);
    run it again to resend the link.

    Example: digest subscribers add ada@example.org --name "Ada Lovelace" --topic Europe --confirm
    """
    address = lists.normalize_email(email)
    tz = _check(lists.check_timezone, timezone)
    store = app.store
    _topic_ids(app, topics)   # unknown topics fail before anything is written
    try:
        current = store.subscriber(address).status
    except DigestError:
        current = None
    if current in OPTED_OUT and not (resubscribe or confirm):
        raise DigestError(f"{address} is {current}; adding it would mail someone who opted out.",
                          "Pass --confirm to ask them by email, or --resubscribe if they asked to come back.")
    if confirm:
        pipeline.relay_for(app.cfg)   # fail before writing anything when no relay is set
        if not app.cfg.secret:
            raise DigestError("DIGEST_SECRET is not set, so no confirmation link can be signed.",
                              "Set DIGEST_SECRET to a long random string (for example `openssl rand -hex 32`).")
    outcome = store.upsert_subscriber(address, name=name, topics=list(topics), frequency=frequency, timezone=tz,
                                      status="pending" if confirm else "active")
    sub = store.subscriber(address)
    say(f"{outcome.capitalize()} {sub.email} ({sub.status}): {', '.join(sub.topics)}")
    if confirm and sub.status == "pending":
        sent = pipeline.send_confirmation(store, app.cfg, sub.email)
        if sent.status != "sent":
            raise RelayError(f"The confirmation email to {sub.email} was not accepted: {sent.code} {sent.reply}",
                             "They stay pending; run the same command again to resend.")
        say(f"Sent a confirmation link to {sub.email} (valid {pipeline.CONFIRM_DAYS} days).")


@subscribers_group.command(name="set")
@click.argument("email")
@click.option("--frequency", type=click.Choice(lists.FREQUENCIES), help="daily or weekly.")
@click.option("--timezone", help="Area/City, e.g. Europe/Berlin (\"\" clears it).")
@click.option("--name", help="The subscriber's name (\"\" clears it).")
@click.option("--send-at", help="Local time of day for their digest, HH:MM (\"\" clears it).")
@pass_app
def subscribers_set(app: App, email: str, frequency: str | None, timezone: str | None, name: str | None,
                    send_at: str | None) -> None:
    """Change a subscriber's frequency, timezone, name or time of day.

    Example: digest subscribers set ada@example.org --frequency weekly --timezone Europe/Berlin
    """
    sub = _find(app, email)
    fields: dict = {}
    if frequency:
        fields["frequency"] = frequency
    if timezone is not None:
        fields["timezone"] = _check(lists.check_timezone, timezone)
    if name is not None:
        fields["name"] = name.strip() or None
    if send_at is not None:
        fields["send_at"] = _check(lists.check_time, send_at)
    if not fields:
        raise DigestError("Nothing to change.", "Pass --frequency, --timezone, --name or --send-at.")
    app.store.set_subscriber_fields(sub.id, **fields)
    say(f"Updated {sub.email}: " + ", ".join(f"{k} = {v if v is not None else '-'}" for k, v in fields.items()))


@subscribers_group.command(name="show")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def subscribers_show(app: App, email: str, as_json: bool) -> None:
    """Show one subscriber: topics, status, frequency, timezone and their deliveries.

    Example: digest subscribers show ada@example.org
    """
    sub = _find(app, email)
    counts, recent = app.store.subscriber_deliveries(sub.id)
    send_at = app.store.send_at(sub.id)
    if as_json:
        echo_json({**subscriber_json(sub, send_at), "created_at": sub.created_at, "deliveries": counts,
                   "recent": [dict(r) for r in recent]})
        return
    click.echo(f"email:      {sub.email}")
    click.echo(f"name:       {sub.name or '-'}")
    click.echo(f"status:     {sub.status}")
    click.echo(f"topics:     {', '.join(sub.topics) or '-'}")
    click.echo(f"frequency:  {sub.frequency}")
    click.echo(f"timezone:   {sub.timezone or '-'}")
    click.echo(f"send at:    {send_at or '-'}")
    click.echo(f"since:      {sub.created_at:%Y-%m-%d}" if sub.created_at else "since:      -")
    click.echo("deliveries: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"))
    if recent:
        click.echo("")
        table(["edition", "status", "sent at", "topics"],
              [[r["edition_key"], r["status"], (r["sent_at"] or "-")[:19].replace("T", " "), r["mix"]]
               for r in recent])


@subscribers_group.command(name="list")
@click.option("--topic", help="Only subscribers of this topic.")
@click.option("--status", type=click.Choice(SUBSCRIBER_STATUSES))
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


@subscribers_group.command(name="subscribe")
@click.argument("email")
@click.argument("topics", nargs=-1, required=True)
@click.option("--resubscribe", is_flag=True, help="Re-activate an address that unsubscribed (only if they asked).")
@pass_app
def subscribers_subscribe(app: App, email: str, topics: tuple[str, ...], resubscribe: bool) -> None:
    """Add topics to an existing subscriber.

    Example: digest subscribers subscribe ada@example.org Politics World
    """
    sub = _find(app, email)
    ids = _topic_ids(app, topics)
    if sub.status in OPTED_OUT and not resubscribe:
        raise DigestError(f"{sub.email} is {sub.status}; subscribing would mail someone who opted out.",
                          "Pass --resubscribe if they asked to come back.")
    with app.store.transaction():
        app.store.subscribe_topics(sub.id, ids)
        if sub.status in OPTED_OUT:
            app.store.set_status(sub.id, "active")
    sub = app.store.subscriber_by_id(sub.id)
    say(f"{sub.email} ({sub.status}): {', '.join(sub.topics)}")


@subscribers_group.command(name="unsubscribe")
@click.argument("email")
@click.argument("topics", nargs=-1)
@pass_app
def subscribers_unsubscribe(app: App, email: str, topics: tuple[str, ...]) -> None:
    """Drop topics from a subscriber; with no topics, unsubscribe them from the list entirely.

    Their record stays (status unsubscribed), so no later import can add them back.

    Example: digest subscribers unsubscribe ada@example.org Politics
    """
    sub = _find(app, email)
    ids = _topic_ids(app, topics)
    with app.store.transaction():      # dropping the last topic and unsubscribing happen together
        left = app.store.unsubscribe_topics(sub.id, ids) if topics else 0
        changed = not left and app.store.set_status(sub.id, "unsubscribed", only_from=("active", "pending"))
    if left:
        say(f"{sub.email}: {', '.join(app.store.subscriber_by_id(sub.id).topics)}")
        return
    if topics:
        say(f"{sub.email} has no topics left.")
    if changed:
        say(f"Unsubscribed {sub.email}.")
    else:
        say(f"{sub.email} was already {app.store.subscriber_by_id(sub.id).status}; nothing changed.")


@subscribers_group.command(name="remove")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Really delete the subscriber and their delivery records.")
@pass_app
def subscribers_remove(app: App, email: str, yes: bool) -> None:
    """Delete a subscriber with their subscriptions and delivery records.

    To stop mail but remember the address (so no import adds it back), use `suppress` instead.

    Example: digest subscribers remove ada@example.org --yes
    """
    sub = _find(app, email)
    if not yes:
        counts, _ = app.store.subscriber_deliveries(sub.id)
        raise DigestError(f"Removing {sub.email} deletes them, {len(sub.topics)} subscriptions and "
                          f"{sum(counts.values())} delivery records, and a later import could add them back.",
                          "Pass --yes to remove, or use `digest subscribers suppress` to keep them off the lists.")
    n = app.store.remove_subscriber(sub.id)
    say(f"Removed {sub.email} ({n} delivery records).")


@subscribers_group.command(name="suppress")
@click.argument("email")
@pass_app
def subscribers_suppress(app: App, email: str) -> None:
    """Never mail an address again (it need not be on a list yet); imports skip it.

    Example: digest subscribers suppress complaints@example.org
    """
    address = lists.normalize_email(email)
    outcome = app.store.suppress_address(address)
    say(f"Suppressed {address}" + (" (new address)." if outcome == "added" else "."))


@subscribers_group.command(name="import")
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
    rows are imported; exit 1 if any failed.

    Example: digest subscribers import subscribers/newsroom.csv --dry-run
    """
    report = pipeline.import_subscribers(app.store, Path(file).read_bytes(), file, dry_run=dry_run,
                                         overwrite=overwrite)
    if dry_run:
        _print_changes(app, report.changes, as_json)
    verb = "would import" if dry_run else "imported"
    kept = ""
    if report.kept:
        kept = (f"; {report.kept} {'row differs' if report.kept == 1 else 'rows differ'} from values on file "
                "(a subscriber's own choices), which "
                + ("would be kept; --overwrite replaces them" if dry_run
                   else "were kept; --dry-run lists them, --overwrite replaces them"))
    finish(report.errors, f"{file}: {verb} {report.added} new, {report.updated} updated, {report.unchanged} "
                          f"unchanged, {report.skipped} skipped (opted out), {report.merged} duplicates merged, "
                          f"{len(report.errors)} failed{kept}")


def _print_changes(app: App, changes: list, as_json: bool) -> None:
    """The rows of a dry run that would change something, or that differ from what is kept."""
    names = {tid: name for tid, name in app.store.topic_ids().values()}
    topics = lambda ids: ", ".join(names.get(t, str(t)) for t in ids) or "-"  # noqa: E731
    shown = lambda v: topics(v) if isinstance(v, (list, set, tuple)) else (v or "-")  # noqa: E731
    rows = []
    for c in changes:
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


@subscribers_group.command(name="export")
@click.option("--topic", help="Only subscribers of this topic.")
@click.option("--status", type=click.Choice(SUBSCRIBER_STATUSES), help="Only subscribers with this status.")
@pass_app
def subscribers_export(app: App, topic: str | None, status: str | None) -> None:
    """Write subscribers as CSV to stdout, in the format `import` reads (formula cells made safe).

    Example: digest subscribers export --topic Europe > europe.csv
    """
    topic_id = app.store.topic(topic).id if topic else None
    out = sys.stdout
    n = lists.write_csv(app.store.export_rows(topic_id, status), out)
    out.flush()
    say(f"Exported {n} subscribers.")


def register(cli: click.Group) -> None:
    cli.add_command(subscribers_group)
