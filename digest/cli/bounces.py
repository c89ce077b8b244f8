"""`digest bounces ...`: what comes back after the relay accepted a message (bounces, complaints,
auto-replies, mailto unsubscribes), read three ways into one processor, and listed for admins.
May import: config, errors, models, pipeline, plural, servers.bounce_listener, and .app/.paging.
"""

from __future__ import annotations

import datetime as dt
import signal
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

import click

from .. import pipeline
from ..config import DEMO_SECRET
from ..errors import DigestError
from ..models import BounceRecord
from ..plural import plural
from .app import App, Commands, pass_app, say, table
from .paging import echo_json_rows, paging_options, say_more

EX_TEMPFAIL = 75      # sysexits.h: an MTA's pipe keeps the message and tries again later


@click.group(name="bounces", cls=Commands)
def bounces_group() -> None:
    """Read bounces, complaints and mailto unsubscribes, and list them.

    Example: digest bounces list --unattributed
    """


@bounces_group.command(name="process")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--envelope-to", metavar="ADDRESS",
              help="The address the message was delivered to (an MTA pipe's ${recipient}), when it is not in its headers.")
@click.option("--demo", is_flag=True, help="Check tokens with the demo secret when DIGEST_SECRET is unset (after `digest demo`).")
@pass_app
def bounces_process(app: App, files: tuple[str, ...], envelope_to: str | None, demo: bool) -> None:
    """Process .eml files, or one message on standard input (-), as the MTA hands it over.

    Each line of output says what was done. The same message twice counts once. A file that cannot
    be read is named and the others are processed (exit 1); when the database cannot record a
    message, the exit code is 75 (EX_TEMPFAIL), so an MTA pipe keeps it and tries again.

    Example: digest bounces process tests/bounces/postfix-hard.txt
    """
    if demo and not app.cfg.secret:
        app.cfg.secret = DEMO_SECRET
    db, unreadable, failed = app.db, [], None
    for name in files:
        try:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            unreadable.append(f"{name}: {exc.strerror or exc}")
            continue
        try:
            done = pipeline.process_bounce(db, app.cfg, data, envelope_to=envelope_to, via="process")
        except DigestError:
            raise
        except Exception as exc:      # noqa: BLE001 -- the database could not record it: the MTA must retry
            failed = failed or (name, exc)
            continue
        click.echo(f"{'stdin' if name == '-' else name}: {done.summary()}")
    for line in unreadable:
        click.echo(f"Error: cannot read {line}", err=True)
    if failed is not None:
        click.echo(f"Error: {failed[0]}: could not record it ({type(failed[1]).__name__}: {failed[1]}). "
                   "Nothing was changed for it; process it again later.", err=True)
        sys.exit(EX_TEMPFAIL)
    if unreadable:
        sys.exit(1)


@bounces_group.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=2525, show_default=True, type=int,
              help="Port to listen on (0: any free port, which the first line names).")
@pass_app
def bounces_serve(app: App, host: str, port: int) -> None:
    """Listen for bounces by SMTP and LMTP: the MTA hands the bounce domain to this port.

    A message is answered 250 only once it is recorded, else 451 so the MTA tries again. One line
    per message on stderr says what was done. SIGTERM or Ctrl-C stops it.

    Example: digest bounces serve --port 2525
    """
    from ..servers.bounce_listener import BounceListener
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        listener = BounceListener(app.cfg, host, port, report=say).start()
    except OSError as exc:
        raise DigestError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}.",
                          "Choose another --port, or stop what holds this one.") from None
    say(f"Listening for bounces to @{app.cfg.bounce_domain} on {host}:{listener.port} (SMTP and LMTP; Ctrl-C stops)")
    try:
        stop.wait()
    finally:
        listener.stop()
    say(f"Stopped after {plural(listener.handler.received, 'message', 'messages')}.")


@bounces_group.command(name="fetch")
@pass_app
def bounces_fetch(app: App) -> None:
    """Poll the IMAP mailbox of [bounces] once: process every message, move them to the done folder.

    Run it from cron (or a systemd timer) when the MTA cannot hand bounces to `digest bounces serve`.

    Example: DIGEST_IMAP_PASSWORD=... digest bounces fetch
    """
    got = pipeline.fetch_bounces(app.db, app.cfg, on_message=lambda done: click.echo(done.summary()))
    dup = sum(p.duplicate for p in got.processed)
    say(f"Fetched {plural(len(got.processed), 'message', 'messages')} ({dup} already processed); moved {got.moved} to "
        f"{app.cfg.bounces.imap_done_folder}.")
    if got.error is not None:
        raise DigestError(f"Could not record a message ({type(got.error).__name__}: {got.error}); it and the "
                          "ones after it stay in the mailbox.", "Run `digest bounces fetch` again later.")


def record_json(b: BounceRecord) -> dict:
    return {"id": b.id, "received_at": b.received_at, "kind": b.kind, "address": b.address,
            "subscriber": b.email, "edition": b.edition_key, "status": b.status, "diagnostic": b.diagnostic,
            "action": b.action_taken, "reason": b.reason, "source": b.source, "via": b.via, "sender": b.sender,
            "report_message_id": b.report_message_id, "original_message_id": b.original_message_id}


def bounce_table(records: Iterable[BounceRecord]) -> None:
    table(["id", "received", "kind", "address", "edition", "status", "action"],
          ([b.id, f"{b.received_at:%Y-%m-%d %H:%M}", b.kind, b.address or "-", b.edition_key or "-",
            b.status or "-", b.action_taken] for b in records))


@bounces_group.command(name="list")
@click.option("--unattributed", is_flag=True, help="Only those matched to no delivery (kept for you to read).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@paging_options
@pass_app
def bounces_list(app: App, unattributed: bool, as_json: bool, limit: int | None, since: dt.datetime | None) -> None:
    """List what came back, newest first: kind, address, edition, status code and what was done.
    The newest 50 unless --limit N or --all, and how many more; --since keeps those received from
    that date or time on.

    Example: digest bounces list --unattributed
    """
    page = pipeline.bounce_listing(app.db, kept_only=unattributed, since=since, limit=limit)
    if as_json:
        echo_json_rows(record_json(b) for b in page.rows)
    else:
        bounce_table(page.rows)
        if unattributed and page.total:
            say("Read one with `digest bounces show ID`.")
    say_more(page, "bounces")


@bounces_group.command(name="show")
@click.argument("bounce_id", type=int)
@pass_app
def bounces_show(app: App, bounce_id: int) -> None:
    """Print the message of a report kept for you (one matched to no delivery), as it came.

    Example: digest bounces show 12 | less
    """
    sys.stdout.buffer.write(pipeline.kept_message(app.db, bounce_id))
    sys.stdout.flush()


def register(cli: click.Group) -> None:
    cli.add_command(bounces_group)
