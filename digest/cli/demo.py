"""`digest demo`: the whole path on embedded defaults, into a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from .. import pipeline, resources, tokens
from ..sink import Sink
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

    Unless DIGEST_SMTP_URL names a relay, a real SMTP server starts on 127.0.0.1 and every
    message it receives is written to demo-out/. Run it again and nothing is sent twice.

    Example: digest demo
    """
    started = time.monotonic()
    cfg = app.cfg
    if not cfg.secret:
        cfg.secret = tokens.DEMO_SECRET
    store, _ = app.init_store()
    seeds, lists = _find("seeds"), _find("subscribers")
    report = pipeline.ingest_paths(store, [seeds], settings=cfg.summary)
    for err in report.errors:
        click.echo(f"Error: {err.message}", err=True)
    say(f"Database {cfg.db}; articles from {seeds}: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged")
    added = 0
    for csv_file in sorted(lists.glob("*.csv")):
        imported = pipeline.import_subscribers(store, csv_file.read_bytes(), str(csv_file))
        for err in imported.errors:
            click.echo(f"Error: {err.message}", err=True)
        added += imported.added
    say(f"Subscribers from {lists}: {added} new; {len(store.subscribers(status='active'))} active")
    pipeline.preflight(store, cfg, demo=True)    # secret, DKIM key, templates: one error before anything is sent
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sink = None
    if not os.environ.get("DIGEST_SMTP_URL"):
        sink = Sink(out).start()
        cfg.smtp_url = sink.url
        say(f"SMTP server listening on 127.0.0.1:{sink.port}, writing to {out}/")
    # The demo sends every frequency's edition now, so each subscriber (daily or weekly) gets one.
    tally = pipeline.Tally()
    try:
        for frequency in ("daily", "weekly"):
            plan = pipeline.plan_edition(store, cfg, frequency=frequency)
            part = pipeline.send_edition(store, cfg, plan, pipeline.relay_for(cfg))
            _merge(tally, part)
            _previews(store, cfg, plan, out)
    finally:
        if sink:
            sink.stop()
    if tally.sent == 0 and tally.ok:
        say(f"This edition was already sent to {tally.skipped} subscribers: nothing sent twice.")
    else:
        table(["topic mix", "articles", "recipients", "sent"],
              [[mix, s["articles"], s["recipients"], s["sent"]] for mix, s in sorted(tally.by_mix.items())])
    say(f"sent {tally.sent}, skipped {tally.skipped}, deferred {tally.deferred}, bounced {tally.bounced}, "
        f"failed {tally.failed}; {time.monotonic() - started:.1f}s; messages and previews in {out}/")
    if report.errors or not tally.ok:
        sys.exit(1)


def _merge(total: pipeline.Tally, part: pipeline.Tally) -> None:
    for name in ("sent", "skipped", "deferred", "bounced", "failed", "uncertain"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    for mix, stats in part.by_mix.items():
        mine = total.by_mix.setdefault(mix, {"articles": 0, "recipients": 0, "sent": 0})
        mine["articles"] = max(mine["articles"], stats["articles"])
        mine["recipients"] += stats["recipients"]
        mine["sent"] += stats["sent"]


def _previews(store, cfg, plan, out: Path) -> None:
    """One .html preview per topic mix of this edition, as its subscribers received it."""
    seen = set()
    for row in store.deliveries(plan.edition_id):
        key = (row["mix"], row["since"], row["until"])
        if key in seen:
            continue
        seen.add(key)
        body = pipeline.render_group(store, cfg, plan.key, plan.date, row["mix"],
                                     pipeline.parse_ts(row["since"]), pipeline.parse_ts(row["until"]),
                                     since_seq=row["since_seq"], until_seq=row["until_seq"])
        html, _ = pipeline.render.personalize(body.rendered, unsubscribe_url=f"{cfg.base_url}/u/preview",
                                              preferences_url=f"{cfg.base_url}/p/preview", email="", name=None)
        (out / f"preview-{row['mix'].replace('+', '-').lower()}.html").write_text(html, encoding="utf-8")


def register(cli: click.Group) -> None:
    cli.add_command(demo_command)
