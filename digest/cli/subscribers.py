"""`digest subscribers ...`: the people on the lists, one address at a time (subscriber_lists.py:
a CSV at a time). Who may be mailed is decided in digest.pipeline.audience, not here.
May import: errors, models, pipeline, plural, and .app/.bounces/.paging/.subscriber_lists.
"""

from __future__ import annotations

import datetime as dt

import click

from .. import pipeline
from ..errors import RelayError
from ..models import FREQUENCIES, SUBSCRIBER_STATUSES, Subscriber
from ..plural import plural
from .app import App, Commands, echo_json, pass_app, say, table
from .bounces import record_json
from .paging import echo_json_rows, paging_options, say_more


@click.group(name="subscribers", cls=Commands)
def subscribers_group() -> None:
    """Add, change, import, export and list subscribers.

    Example: digest subscribers add ada@example.org --topic Europe --topic World
    """


def subscriber_json(s: Subscriber, send_at: str | None = None) -> dict:
    return {"email": s.email, "name": s.name, "status": s.status, "topics": s.topics,
            "frequency": s.frequency, "timezone": s.timezone, "send_at": send_at, "language": s.language}


@subscribers_group.command(name="add")
@click.argument("email")
@click.option("--topic", "topics", multiple=True, required=True, help="A topic to follow (repeatable).")
@click.option("--name", help="The subscriber's name.")
@click.option("--frequency", type=click.Choice(FREQUENCIES), help="daily (default) or weekly.")
@click.option("--timezone", help="Area/City, e.g. Europe/Berlin.")
@click.option("--language", help="The email's language for them (de, fr, es, en; he, ar, fa, ur: English, right to left); "
              "default: [digest] language.")
@click.option("--confirm", is_flag=True, help="Double opt-in: status pending until they click the emailed link.")
@click.option("--resubscribe", is_flag=True, help="Re-activate an address that unsubscribed (only if they asked).")
@pass_app
def subscribers_add(app: App, email: str, topics: tuple[str, ...], name: str | None, frequency: str | None,
                    timezone: str | None, language: str | None, confirm: bool, resubscribe: bool) -> None:
    """Add a subscriber (or add topics to an existing one).

    With --confirm the address stays pending and gets a confirmation email (needs DIGEST_SMTP_URL);
    run it again to resend the link.

    Example: digest subscribers add ada@example.org --name "Ada Lovelace" --topic Europe --confirm
    """
    added = pipeline.add_subscriber(app.db, app.cfg, email, topics, name=name, frequency=frequency,
                                    timezone=timezone, confirm=confirm, resubscribe=resubscribe, language=language)
    sub = added.subscriber
    say(f"{added.outcome.capitalize()} {sub.email} ({sub.status}): {', '.join(sub.topics)}")
    sent = added.confirmation
    if sent is not None:
        if sent.status != "sent":
            raise RelayError(f"The confirmation email to {sub.email} was not accepted: {sent.code} {sent.reply}",
                             "They stay pending; run the same command again to resend.")
        say(f"Sent a confirmation link to {sub.email} (valid {pipeline.CONFIRM_DAYS} days).")


@subscribers_group.command(name="set")
@click.argument("email")
@click.option("--frequency", type=click.Choice(FREQUENCIES), help="daily or weekly.")
@click.option("--timezone", help="Area/City, e.g. Europe/Berlin (\"\" clears it).")
@click.option("--name", help="The subscriber's name (\"\" clears it).")
@click.option("--send-at", help="Local time of day for their digest, HH:MM (\"\" clears it).")
@click.option("--language", help="The email's language for them, e.g. de (\"\": the newsletter's).")
@pass_app
def subscribers_set(app: App, email: str, frequency: str | None, timezone: str | None, name: str | None,
                    send_at: str | None, language: str | None) -> None:
    """Change a subscriber's frequency, timezone, name, time of day or language.

    Example: digest subscribers set ada@example.org --frequency weekly --timezone Europe/Berlin
    """
    sub, fields = pipeline.change_subscriber(app.db, email, frequency=frequency, timezone=timezone, name=name,
                                             send_at=send_at, language=language)
    say(f"Updated {sub.email}: " + ", ".join(f"{k} = {v if v is not None else '-'}" for k, v in fields.items()))


@subscribers_group.command(name="show")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def subscribers_show(app: App, email: str, as_json: bool) -> None:
    """Show one subscriber: topics, status, frequency, timezone, their deliveries and what came back.

    Example: digest subscribers show ada@example.org
    """
    sub = pipeline.find_subscriber(app.db, email)
    counts, recent = pipeline.subscriber_deliveries(app.db, sub)
    bounced = pipeline.subscriber_bounces(app.db, sub)
    send_at = sub.send_at
    if as_json:
        echo_json({**subscriber_json(sub, send_at), "created_at": sub.created_at, "deliveries": counts,
                   "recent": recent, "bounces": [record_json(b) for b in bounced]})
        return
    click.echo(f"email:      {sub.email}")
    click.echo(f"name:       {sub.name or '-'}")
    click.echo(f"status:     {sub.status}")
    click.echo(f"topics:     {', '.join(sub.topics) or '-'}")
    click.echo(f"frequency:  {sub.frequency}")
    click.echo(f"timezone:   {sub.timezone or '-'}")
    click.echo(f"send at:    {send_at or '-'}")
    click.echo(f"language:   {sub.language or f'- (the newsletter’s: {app.cfg.language})'}")
    click.echo(f"since:      {sub.created_at:%Y-%m-%d}" if sub.created_at else "since:      -")
    click.echo("deliveries: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"))
    if recent:
        click.echo("")
        table(["edition", "status", "sent at", "topics"],
              [[r["edition_key"], r["status"], (r["sent_at"] or "-")[:19].replace("T", " "), r["mix"]]
               for r in recent])
    if bounced:
        click.echo("")
        click.echo("bounces, complaints and replies that came back:")
        for b in bounced:
            click.echo(f"  {b.received_at:%Y-%m-%d %H:%M}  {b.kind}  {b.edition_key or '-'}  {b.status or '-'}  "
                       f"{b.action_taken}")
            click.echo(f"      {b.diagnostic or b.reason}")


@subscribers_group.command(name="list")
@click.option("--topic", help="Only subscribers of this topic.")
@click.option("--status", type=click.Choice(SUBSCRIBER_STATUSES))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@paging_options
@pass_app
def subscribers_list(app: App, topic: str | None, status: str | None, as_json: bool, limit: int | None,
                     since: dt.datetime | None) -> None:
    """List subscribers, newest first: the newest 50 unless --limit N or --all, and how many more.
    --since keeps those added from that date or time on.

    Example: digest subscribers list --topic World --status active --limit 200
    """
    page = pipeline.subscriber_listing(app.db, topic=topic, status=status, since=since, limit=limit)
    if as_json:
        echo_json_rows(subscriber_json(s) for s in page.rows)
    else:
        table(["email", "name", "status", "frequency", "topics"],
              ([s.email, s.name or "", s.status, s.frequency, ", ".join(s.topics)] for s in page.rows))
    say_more(page, "subscribers")


@subscribers_group.command(name="subscribe")
@click.argument("email")
@click.argument("topics", nargs=-1, required=True)
@click.option("--resubscribe", is_flag=True, help="Re-activate an address that unsubscribed (only if they asked).")
@pass_app
def subscribers_subscribe(app: App, email: str, topics: tuple[str, ...], resubscribe: bool) -> None:
    """Add topics to an existing subscriber.

    Example: digest subscribers subscribe ada@example.org Politics World
    """
    sub = pipeline.subscribe(app.db, email, topics, resubscribe=resubscribe)
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
    done = pipeline.unsubscribe(app.db, email, topics)
    sub = done.subscriber
    if topics:
        say(_topics_dropped(done))
        if done.topics_left:
            return
    if done.changed:
        say(f"Unsubscribed {sub.email}" + (" from the list." if topics else "."))
    else:
        say(f"{sub.email} was already {sub.status}; nothing changed.")


def _topics_dropped(done: pipeline.Unsubscribed) -> str:
    """What was dropped and what is left: "Unsubscribed ada@example.org from World; still on Europe"."""
    sub = done.subscriber
    not_on = f"was not on {', '.join(done.not_on)}" if done.not_on else ""
    if done.dropped:
        said = f"Unsubscribed {sub.email} from {', '.join(done.dropped)}" + (f" ({not_on})" if not_on else "")
    else:
        said = f"{sub.email} {not_on}"
    return said + (f"; still on {', '.join(sub.topics)}" if done.topics_left else "; on no topic now")


@subscribers_group.command(name="remove")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Really delete the subscriber and their delivery records.")
@pass_app
def subscribers_remove(app: App, email: str, yes: bool) -> None:
    """Delete a subscriber with their subscriptions and delivery records.

    To stop mail but remember the address (so no import adds it back), use `suppress` instead.

    Example: digest subscribers remove ada@example.org --yes
    """
    sub, n = pipeline.remove_subscriber(app.db, email, yes=yes)
    say(f"Removed {sub.email} ({plural(n, 'delivery record', 'delivery records')}).")


@subscribers_group.command(name="suppress")
@click.argument("email")
@pass_app
def subscribers_suppress(app: App, email: str) -> None:
    """Never mail an address again (it need not be on a list yet); imports skip it.

    Example: digest subscribers suppress complaints@example.org
    """
    address, outcome = pipeline.suppress(app.db, email)
    say(f"Suppressed {address}" + (" (new address)." if outcome == "added" else "."))


def register(cli: click.Group) -> None:
    from . import subscriber_lists  # import and export: their commands join this group
    subscriber_lists.register(subscribers_group)
    cli.add_command(subscribers_group)
