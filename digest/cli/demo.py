"""`digest demo`: the whole path on embedded defaults, into a real SMTP server on 127.0.0.1.
May import: config, servers.demo_smtp, models, pipeline, plural, resources, and .app.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

import click

from .. import pipeline, resources
from ..config import DEMO_SECRET, Config
from ..models import FREQUENCIES, Article
from ..plural import plural
from ..servers.demo_smtp import DemoServer
from .app import App, pass_app, say, table


def _find(name: str) -> Path:
    """seeds/ and subscribers/ from the working directory, else the ones digest ships."""
    here = Path(name)
    return here if here.is_dir() else resources.folder(name)


@click.command(name="demo")
@click.option("--out", "out_dir", default="demo-out", show_default=True, type=click.Path(file_okay=False),
              help="Where received messages (.eml) and previews (.html) go.")
@pass_app
def demo_command(app: App, out_dir: str) -> None:
    """Create the database, ingest seeds/ and subscribers/, and send the edition to a local SMTP server.

    Unless DIGEST_SMTP_URL or [[relay]] tables name relays, a real SMTP server starts on
    127.0.0.1 and every message it receives is written to demo-out/. Run it again and nothing is
    sent twice.

    Example: digest demo
    """
    started = time.monotonic()
    cfg = app.cfg
    if os.environ.get("DIGEST_SMTP_URL") or cfg.relay_tables:
        pipeline.check_placeholders(cfg)     # real relays: the placeholders must not reach real people
    if not cfg.secret:
        cfg.secret = DEMO_SECRET
    app.init_db()
    db = app.db
    seeds, lists = _find("seeds"), _find("subscribers")
    report = pipeline.ingest(db, paths=[seeds], settings=cfg.summary)
    for err in report.errors:
        click.echo(f"Error: {err.message}", err=True)
    say(f"Database {cfg.db}; articles from {seeds}: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged")
    added = 0
    for csv_file in sorted(lists.glob("*.csv")):
        imported = pipeline.import_subscribers(db, csv_file.read_bytes(), str(csv_file))
        for err in imported.errors:
            click.echo(f"Error: {err.message}", err=True)
        added += imported.added
    say(f"Subscribers from {lists}: {added} new; {len(pipeline.subscribers(db, status='active'))} active")
    _keep_the_seeds(cfg, pipeline.articles(db))
    pipeline.preflight(db, cfg, demo=True)    # secret, DKIM key, templates: one error before anything is sent
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    server = None
    if not os.environ.get("DIGEST_SMTP_URL") and not cfg.relay_tables:
        server = DemoServer(out).start()
        cfg.smtp_url = server.url
        say(f"SMTP server listening on 127.0.0.1:{server.port}, writing to {out}/")
    # The demo sends every frequency's edition now, so each subscriber (daily or weekly) gets one.
    tally = pipeline.Tally()
    try:
        for frequency in FREQUENCIES:
            sent = pipeline.send(db, cfg, pipeline.relays_for(cfg), frequency=frequency)
            if sent.error is not None:
                raise sent.error
            tally.merge(sent.edition_tally)
            for plan, _ in sent.sent:
                for name, html in pipeline.sent_previews(db, cfg, plan).items():
                    (out / name).write_text(html, encoding="utf-8")
    finally:
        if server:
            server.stop()
    if tally.sent == 0 and tally.ok:
        say(f"This edition was already sent to {plural(tally.skipped, 'subscriber', 'subscribers')}: nothing sent twice.")
    else:
        table(["topic mix", "articles", "recipients", "sent"],
              [[mix, s["articles"], s["recipients"], s["sent"]] for mix, s in sorted(tally.by_mix.items())])
    say(f"sent {tally.sent}, skipped {tally.skipped}, deferred {tally.deferred + tally.pending}, bounced {tally.bounced}, "
        f"failed {tally.failed}; {time.monotonic() - started:.1f}s; messages and previews in {out}/")
    if report.errors or not tally.ok:
        sys.exit(1)


def _keep_the_seeds(cfg: Config, arts: list[Article]) -> None:
    """The seeds are a fixed sample with fixed dates, older every day: the demo raises max_age_days
    so that they are not left out as stale, and says so. (Weekdays in their blurbs read as dates.)"""
    dates = [d for a in arts if (d := a.published or a.ingested_at) is not None]
    if not dates:
        return
    oldest = min(dates)
    age = (dt.datetime.now(dt.timezone.utc) - oldest).days + 2     # + the daily window and a margin
    if age > cfg.max_age_days:
        cfg.max_age_days = age
        say(f"The seeds date from {oldest:%d %b %Y}: the demo keeps stories up to {age} days old "
            "(a real edition leaves out any older than [digest] max_age_days, 3 by default).")


def register(cli: click.Group) -> None:
    cli.add_command(demo_command)
