"""The one module that composes the stages: ingest -> store -> select -> summarize -> render -> send -> record.

The CLI, the demo and the scheduler call these functions and nothing below them. Work is done
once per topic mix (select, render, inline), never per subscriber; per subscriber only the
address, name, links and Message-ID differ.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import ingest, message, render, select, summarize, tokens
from .config import Config
from .errors import DigestError, ParseError
from .models import Article, EditionView, ItemView, Rendered, SectionView, Subscriber
from .send import Outcome, Relay
from .store import Store, now, parse_ts, ts

log = logging.getLogger("digest")


# ---- ingest ---------------------------------------------------------------------------------

@dataclass
class IngestReport:
    added: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)


def ingest_paths(store: Store, paths: Iterable[str | Path], *, at: dt.datetime | None = None) -> IngestReport:
    """Read, summarize and store every article under `paths`; a bad file is reported, never fatal."""
    report = IngestReport()
    aliases = store.alias_map()
    vocabulary = set(aliases)
    df = summarize.DocFreq.from_texts(store.all_bodies())
    for path in ingest.expand_paths(list(paths)):
        for item in ingest.read_path(path, vocabulary):
            if isinstance(item, ParseError):
                report.errors.append(item)
                continue
            store_article(store, item, aliases, df, at=at, report=report)
    return report


def store_article(store: Store, art, aliases: dict[str, str], df: summarize.DocFreq, *,
                  at: dt.datetime | None, report: IngestReport) -> int:
    guid, checksum = ingest.identity(art)
    df.add(art.body)
    s = summarize.summarize(art.title, art.body, df=df)
    topics = ingest.map_topics(art.labels, aliases)
    article_id, outcome = store.upsert_article(art, guid=guid, checksum=checksum, topics=topics,
                                               headline=s.headline, summary=s.summary, sentences=s.sentences, at=at)
    getattr(report, outcome).append(article_id)
    return article_id


# ---- editions -------------------------------------------------------------------------------

def edition_key(frequency: str, day: dt.date) -> str:
    return f"{frequency}-{day.isoformat()}"


def local_today(cfg: Config, at: dt.datetime) -> dt.date:
    return at.astimezone(zoneinfo.ZoneInfo(cfg.timezone)).date()


@dataclass
class Plan:
    """An edition ready to send: its id and key, and the delivery rows written for it."""
    edition_id: int
    key: str
    date: dt.date
    created: int
    skipped_empty: int


def plan_edition(store: Store, cfg: Config, *, frequency: str = "daily", at: dt.datetime | None = None,
                 subscribers: list[Subscriber] | None = None, min_items: int = 1) -> Plan:
    """Write a pending delivery row for every due subscriber whose digest would not be empty.

    The window (since, until) is fixed in the row, so a resumed send renders exactly what the
    interrupted one would have.
    """
    at = at or now()
    day = local_today(cfg, at)
    key = edition_key(frequency, day)
    edition_id = store.edition(key, frequency, day)
    due = subscribers if subscribers is not None else store.due_subscribers(edition_id, frequency)
    rows, empty = [], 0
    counts: dict[tuple, int] = {}
    for sub in due:
        since, until = select.window(sub, store.watermark(sub.id), at)
        mix = select.mix_key(sub.topics)
        n = counts.get((mix, since))
        if n is None:
            n = counts[(mix, since)] = len(store.articles_between(sub.topics, since, until))
        if n < max(min_items, 1):
            empty += 1
            continue
        rows.append(dict(edition_id=edition_id, subscriber_id=sub.id, mix=mix, since=since, until=until,
                         message_id=message.message_id(key, sub.id, cfg.domain)))
    created = store.create_deliveries(rows)
    return Plan(edition_id, key, day, created, empty)


# ---- render ---------------------------------------------------------------------------------

def article_url(cfg: Config, art: Article) -> str:
    return art.url or f"{cfg.base_url}/articles/{art.id}"


def edition_view(cfg: Config, key: str, day: dt.date, mix: str, articles: list[Article],
                 at: dt.datetime | None = None) -> EditionView:
    at = at or now()
    sections = []
    for topic, arts in select.sections(mix, articles):
        ranked = sorted(arts, key=lambda a: -summarize.article_score(
            age_hours=max(0.0, (at - (a.published or a.ingested_at or at)).total_seconds() / 3600),
            words=len(a.body.split()), sources=1))
        items = [ItemView(headline=a.headline, summary=a.summary, url=article_url(cfg, a), source=a.source,
                          published=(a.published or a.ingested_at)) for a in ranked]
        sections.append(SectionView(topic=topic, slug=_slug(topic), items=items))
    ordered = [i for s in sections for i in s.items]
    return EditionView(
        newsletter=cfg.newsletter, edition_key=key, date=day,
        subject=summarize.edition_subject([i.headline for i in ordered]) if ordered else f"{cfg.newsletter}: {day}",
        preheader=summarize.preheader([i.summary for i in ordered]),
        sections=sections, topics=select.mix_topics(mix), base_url=cfg.base_url,
        postal_address=cfg.postal_address)


def _slug(name: str) -> str:
    from .store import slugify
    return slugify(name)


@dataclass
class Body:
    """One rendered body, shared by every subscriber of a topic mix and window."""
    mix: str
    view: EditionView
    rendered: Rendered
    articles: list[Article]


def render_group(store: Store, cfg: Config, key: str, day: dt.date, mix: str, since: dt.datetime | None,
                 until: dt.datetime) -> Body:
    topics = select.mix_topics(mix)
    arts = store.articles_between(topics, since, until)
    view = edition_view(cfg, key, day, mix, arts, at=until)
    rendered = render.render_mix(view, template_dirs=[cfg.templates_dir] if cfg.templates_dir else None)
    return Body(mix, view, rendered, arts)


def personal_message(cfg: Config, body: Body, *, subscriber_id: int, email: str, name: str | None,
                     message_id: str, test: bool = False, date: dt.datetime | None = None) -> bytes:
    unsub = tokens.url(cfg.base_url, cfg.secret, "unsubscribe", subscriber_id)
    prefs = tokens.url(cfg.base_url, cfg.secret, "preferences", subscriber_id)
    html, text = render.personalize(body.rendered, unsubscribe_url=unsub, preferences_url=prefs,
                                    email=email, name=name)
    env = message.Envelope(sender=cfg.sender, to_email=email, to_name=name, subject=body.rendered.subject,
                           message_id=message_id, date=date or now(), list_id=cfg.list_id,
                           unsubscribe_url=unsub, unsubscribe_mailto=cfg.unsubscribe_mailto, test=test)
    return message.to_bytes(message.build(env, html=html, text=text))


# ---- send and record ------------------------------------------------------------------------

@dataclass
class Tally:
    sent: int = 0
    skipped: int = 0
    deferred: int = 0
    bounced: int = 0
    failed: int = 0
    uncertain: int = 0
    by_mix: dict[str, dict] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.deferred or self.bounced or self.failed or self.uncertain)


def send_edition(store: Store, cfg: Config, plan: Plan, relay_factory: Callable[[], Relay], *,
                 on_message: Callable[[Outcome], None] | None = None, batch: int = 50) -> Tally:
    """Send every pending delivery of the edition and record each outcome.

    A row is marked sent only after the relay accepted the message. Outcomes are written in
    batches (one transaction each) so the bookkeeping stays small next to the SMTP time.
    """
    tally = Tally()
    tally.skipped = store.delivery_counts(plan.edition_id).get("sent", 0)
    pending = store.deliveries(plan.edition_id, status=("pending", "deferred"))
    if not pending:
        return tally
    bodies: dict[tuple, Body] = {}
    relay = relay_factory().open()
    updates: list[tuple[int, str, str | None]] = []
    try:
        for row in pending:
            gkey = (row["mix"], row["since"], row["until"])
            if gkey not in bodies:
                bodies[gkey] = render_group(store, cfg, plan.key, plan.date, row["mix"],
                                            parse_ts(row["since"]), parse_ts(row["until"]))
            body = bodies[gkey]
            data = personal_message(cfg, body, subscriber_id=row["subscriber_id"], email=row["email"],
                                    name=row["name"], message_id=row["message_id"])
            outcome = relay.send(cfg.sender_address, row["email"], data)
            updates.append((row["id"], outcome.status, f"{outcome.code} {outcome.reply}".strip()))
            setattr(tally, outcome.status, getattr(tally, outcome.status) + 1)
            stats = tally.by_mix.setdefault(row["mix"], {"articles": len(body.articles), "recipients": 0, "sent": 0})
            stats["recipients"] += 1
            stats["sent"] += outcome.status == "sent"
            if on_message:
                on_message(outcome)
            if len(updates) >= batch:
                store.mark_deliveries(updates)
                updates = []
    finally:
        if updates:
            store.mark_deliveries(updates)
        relay.close()
    return tally


def relay_for(cfg: Config) -> Callable[[], Relay]:
    settings = cfg.smtp()
    if settings is None:
        raise DigestError("No SMTP relay is configured.",
                          "Set DIGEST_SMTP_URL, e.g. smtp://user:pass@mail.example.com:587?starttls=true.")
    return lambda: Relay(settings, local_hostname=cfg.domain)


def groups_for_preview(store: Store, cfg: Config, *, topics: list[str] | None = None, email: str | None = None,
                       frequency: str = "daily", at: dt.datetime | None = None) -> tuple[Body, Subscriber | None]:
    """What a subscriber (or a topic mix) would receive in the edition due now."""
    at = at or now()
    day = local_today(cfg, at)
    sub = None
    if email:
        sub = store.subscriber(email)
        mix_list = sub.topics
        since, until = select.window(sub, store.watermark(sub.id), at)
    else:
        names = [store.topic(t).name for t in topics] if topics else [t.name for t in store.topics()]
        mix_list = names
        since, until = at - select.FIRST_WINDOW[frequency], at
    if not mix_list:
        raise DigestError("Nothing to preview: no topics.", "Pass --topic T or --subscriber EMAIL.")
    body = render_group(store, cfg, edition_key(frequency, day), day, select.mix_key(mix_list), since, until)
    return body, sub
