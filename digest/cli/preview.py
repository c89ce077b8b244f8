"""`digest preview`: exactly what a subscriber or a topic mix would receive."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import pipeline
from ..message import message_id
from .app import App, pass_app


@click.command(name="preview")
@click.option("--topic", "topics", multiple=True, help="Preview this topic mix (repeatable; default: all topics).")
@click.option("--subscriber", "email", help="Preview what this subscriber would receive.")
@click.option("--format", "fmt", type=click.Choice(["html", "text", "eml"]), default="text", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write to a file instead of stdout.")
@click.option("--frequency", type=click.Choice(["daily", "weekly"]), default="daily", show_default=True)
@pass_app
def preview_command(app: App, topics: tuple[str, ...], email: str | None, fmt: str, out: str | None,
                    frequency: str) -> None:
    """Render the current edition for a topic mix or a subscriber, without sending anything.

    Example: digest preview --topic Europe --topic World --format html --out /tmp/digest.html
    """
    body, sub = pipeline.groups_for_preview(app.store, app.cfg, topics=list(topics), email=email, frequency=frequency)
    sid = sub.id if sub else 0
    to = sub.email if sub else "preview@" + app.cfg.domain
    data = pipeline.personal_message(app.cfg, body, subscriber_id=sid, email=to, name=sub.name if sub else None,
                                     message_id=message_id(body.view.edition_key, sid, app.cfg.domain))
    if fmt == "eml":
        content: bytes = data
    else:
        from email import message_from_bytes, policy
        msg = message_from_bytes(data, policy=policy.default)
        part = msg.get_body(preferencelist=("html",) if fmt == "html" else ("plain",))
        content = part.get_content().encode("utf-8")
    n = sum(len(s.items) for s in body.view.sections)
    click.echo(f"{body.view.subject}  ({n} items; topics: {', '.join(body.view.topics)})", err=True)
    if out:
        Path(out).write_bytes(content)
        click.echo(f"Wrote {out}", err=True)
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()


def register(cli: click.Group) -> None:
    cli.add_command(preview_command)
