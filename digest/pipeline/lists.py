"""Lists and subscriber self-service (issue 6): CSV import, the double opt-in confirmation mail,
the web archive of sent editions, and the article pages the digest links to.

May import subscribers, render, message, select, tokens, config/errors/models/store, and
.bodies and .delivery; not preview or schedule.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field

from .. import message, render, select, tokens
from ..config import Config
from ..errors import ParseError
from ..models import Article, EditionView
from ..send import Outcome
from ..store import Store, now, parse_ts
from .bodies import also_label, article_url, edition_view, render_group
from .delivery import relay_for

@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0       # opted out before (unsubscribed, bounced, suppressed): never re-subscribed
    merged: int = 0        # rows that repeated an address already in the file
    kept: int = 0          # rows whose values differ from what is on file, which was kept (no --overwrite)
    errors: list[ParseError] = field(default_factory=list)
    changes: list = field(default_factory=list)    # per row, what it does or would do (subscribers.Change)


def import_subscribers(store: Store, data: bytes, origin: str, *, dry_run: bool = False, overwrite: bool = False,
                       batch: int = 5000) -> ImportReport:
    """Validate every CSV row, merge repeated addresses, and plan each row against what is on file
    (lists.plan_import: add, fill empty fields, keep a subscriber's own choices unless `overwrite`,
    never re-subscribe an opt-out); then write it all in one transaction, unless `dry_run`.

    Topic names are resolved against one pre-loaded map, and each batch is read and written with a
    few executemany calls, so 100,000 rows take seconds; a bad row is reported and never stops the
    rest. The whole import is one transaction: a fault (a full disk) leaves the list as it was.
    """
    from .. import subscribers as lists
    from ..store import _email_key
    report = ImportReport()
    known = store.topic_ids()
    merged: dict[str, dict] = {}
    for row in lists.read_csv(data, origin):
        if isinstance(row, ParseError):
            report.errors.append(row)
            continue
        unknown = [t for t in row.topics if t.lower() not in known]
        if unknown:
            names = ", ".join(sorted({name for _, name in known.values()}, key=str.lower)) or "(none)"
            report.errors.append(ParseError(f'{origin}:{row.line}: topic "{unknown[0]}" does not exist. '
                                            f"Known topics: {names}."))
            continue
        ids = {known[t.lower()][0]: None for t in row.topics}
        if not ids and row.status in ("active", "pending"):
            report.errors.append(ParseError(f"{origin}:{row.line}: no topics given (topics column, e.g. Europe;World)"))
            continue
        key = _email_key(row.email)
        if key in merged:
            report.merged += 1
            _merge_row(merged[key], row, ids)
        else:
            merged[key] = {"line": row.line, "email": row.email, "name": row.name, "topic_ids": ids,
                           "frequency": row.frequency, "timezone": row.timezone, "send_at": row.send_at,
                           "status": row.status}
    rows = list(merged.values())
    with contextlib.nullcontext() if dry_run else store.transaction():
        for i in range(0, len(rows), batch):
            part = rows[i:i + batch]
            on_file = store.import_state([r["email"] for r in part])
            changes = [lists.plan_import(on_file.get(_email_key(r["email"])), r, overwrite=overwrite) for r in part]
            if not dry_run:
                store.apply_import(changes)
            for c in changes:
                count = {"add": "added", "update": "updated", "unchanged": "unchanged", "skip": "skipped"}[c.action]
                setattr(report, count, getattr(report, count) + 1)
                report.kept += bool(c.kept)
            if dry_run:
                report.changes += changes
    return report


def _merge_row(into: dict, row, ids: dict[int, None]) -> None:
    """A repeated address: topics are unioned, later non-empty values win, and an opt-out sticks."""
    into["topic_ids"].update(ids)
    for attr in ("name", "frequency", "timezone", "send_at"):
        if getattr(row, attr):
            into[attr] = getattr(row, attr)
    if into["status"] not in ("unsubscribed", "bounced", "suppressed"):
        into["status"] = row.status


CONFIRM_DAYS = 7


def send_confirmation(store: Store, cfg: Config, email: str) -> Outcome:
    """Mail a double opt-in link (/c/<token>, valid CONFIRM_DAYS days) to a pending subscriber."""
    from email.utils import make_msgid
    sub = store.subscriber(email)
    links = {"confirm_url": tokens.url(cfg.base_url, cfg.secret, "confirm", sub.id),
             "unsubscribe_url": tokens.url(cfg.base_url, cfg.secret, "unsubscribe", sub.id)}
    env = render.environment([cfg.templates_dir] if cfg.templates_dir else None)
    context = {"newsletter": cfg.newsletter, "topics": sub.topics, "days": CONFIRM_DAYS,
               "postal_address": cfg.postal_address, **links}
    html = env.get_template("web/confirm_email.html").render(context)
    text = env.get_template("web/confirm_email.txt").render(context)
    envelope = message.Envelope(
        sender=cfg.sender, to_email=sub.email, to_name=sub.name,
        subject=f"Confirm your subscription to {cfg.newsletter}", message_id=make_msgid("confirm", cfg.domain),
        date=now(), list_id=cfg.list_id, unsubscribe_url=links["unsubscribe_url"],
        unsubscribe_mailto=cfg.unsubscribe_mailto)
    data = message.to_bytes(message.build(envelope, html=html, text=text))
    relay = relay_for(cfg)().open()
    try:
        return relay.send(cfg.sender_address, sub.email, data)
    finally:
        relay.close()


@dataclass
class ArchiveEntry:
    """One topic's share of one sent edition: what the web archive and the Atom feed show."""
    key: str
    date: dt.date
    topic: str
    slug: str
    since: dt.datetime
    until: dt.datetime
    view: EditionView


def archive(store: Store, cfg: Config, *, key: str | None = None, topic: str | None = None,
            limit: int = 30) -> list[ArchiveEntry]:
    """Sent editions, newest first, split per topic (only topics with articles in the window).

    An edition's window is the one a regular subscriber of its frequency got: one day (or week)
    up to the latest cutoff of the edition's sent deliveries.
    """
    topics = [store.topic(topic)] if topic else store.topics()
    entries = []
    for row in store.sent_editions(key, limit=limit):
        until = parse_ts(row["until"])
        since = until - select.FIRST_WINDOW.get(row["frequency"], select.FIRST_WINDOW["daily"])
        day = dt.date.fromisoformat(row["date"])
        for t in topics:
            arts = store.articles_between([t.name], since, until)
            if arts:
                # The web page lists every story: it is where the email's "N more" links lead.
                entries.append(ArchiveEntry(row["key"], day, t.name, t.slug, since, until,
                                            edition_view(cfg, row["key"], day, t.name, arts, at=until,
                                                         cap=len(arts))))
    return entries


def archive_html(store: Store, cfg: Config, entry: ArchiveEntry) -> str:
    """The web version of one topic's digest in one edition, rendered exactly like the email."""
    body = render_group(store, cfg, entry.key, entry.date, entry.topic, entry.since, entry.until)
    # No subscriber here: the footer's links go to a page that explains where the personal links are.
    html, _ = render.personalize(body.rendered, unsubscribe_url=f"{cfg.base_url}/manage",
                                 preferences_url=f"{cfg.base_url}/manage", email="you", name=None)
    return html


@dataclass
class ArticlePage:
    """What /articles/<id> shows: the article, and the other reports of the same story."""
    article: Article
    paragraphs: list[str]              # the body, or only the blurb when the article lives elsewhere
    elsewhere: str | None              # the article's own URL, when it has one
    others: list[tuple[str, str, str]] = field(default_factory=list)   # (outlet or byline, headline, url)


def _byline(a: Article) -> str:
    """The outlet, else "By <author>", else how "Also reported by" names it."""
    if a.source:
        return a.source
    return f"By {a.author}" if a.author else also_label(a)


def article_page(store: Store, cfg: Config, article_id: int) -> ArticlePage:
    """The page of one article: the digest links here when an article has no URL of its own (every
    page-as-text article). An article published elsewhere gets its blurb and a link to the original,
    not a copy of someone else's text. Raises NotFound."""
    art = store.article(article_id)
    members = store.cluster_members(art.cluster_id) if art.cluster_id is not None else []
    others = [(_byline(o), o.headline, article_url(cfg, o)) for o in members if o.id != art.id]
    paragraphs = [art.summary] if art.url else [p.strip() for p in art.body.split("\n\n") if p.strip()]
    return ArticlePage(art, paragraphs, art.url, others)
