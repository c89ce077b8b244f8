"""The one module that composes the stages: ingest -> store -> select -> summarize -> render -> send -> record.

The CLI, the demo and the scheduler call these functions and nothing below them. Work is done
once per topic mix (select, render, inline), never per subscriber; per subscriber only the
address, name, links and Message-ID differ.
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
import queue
import time
import uuid
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path

from . import ingest, message, render, select, summarize, tokens
from . import lint as lint_mod   # the preview's lint summary
from . import cluster as clusters   # one story told once (issue 3)
from .config import Config
from .errors import DigestError, ParseError
from .models import Article, EditionView, ItemView, Rendered, SectionView, Subscriber
from . import ledger   # the record stage's journal, replay and lease (issue 5)
from . import send as send_mod
from .errors import ConfigError, NotFound, RelayError
from .models import PLACEHOLDERS
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
    if report.added or report.updated:
        cluster_recent(store, at=at, touched=report.added + report.updated)
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


CLUSTER_DAYS = 14       # how far back a new article looks for other reports of its story


def cluster_recent(store: Store, *, at: dt.datetime | None = None, touched: Iterable[int] = (),
                   days: int = CLUSTER_DAYS) -> dict[int, int | None]:
    """Group the articles of the last `days` (plus `touched`, e.g. an old article just edited) by
    story and write their cluster ids: the smallest article id of a group, None when alone.
    Older articles keep the cluster they had: a story is only news for a couple of weeks."""
    since = (at or now()) - dt.timedelta(days=days)
    docs = [clusters.Doc(r["id"], r["title"], r["body"]) for r in store.cluster_candidates(since, touched)]
    assignments: dict[int, int | None] = {}
    for group in clusters.cluster(docs):
        for article_id in group:
            assignments[article_id] = group[0] if len(group) > 1 else None
    if assignments:
        store.set_clusters(assignments)
    return assignments


@dataclass
class ResummaryReport:
    checked: int = 0
    changed: list[int] = field(default_factory=list)
    overridden: list[int] = field(default_factory=list)   # changed underneath an editor's override


def resummarize(store: Store, ids: Iterable[int] | None = None) -> ResummaryReport:
    """Rewrite the machine's headline and summary of `ids` (all articles when None) with document
    frequencies from the whole store, in one transaction. Editor overrides live in their own
    columns and are never touched, so the digest keeps printing them."""
    rows = store.machine_summaries(ids)
    df = summarize.DocFreq.from_texts(store.all_bodies())
    report, writes = ResummaryReport(), []
    for row in rows:
        s = summarize.summarize(row["title"], row["body"], df=df)
        report.checked += 1
        if (s.headline, s.summary, s.sentences) != (row["headline"], row["summary"], row["sentences"]):
            writes.append((row["id"], s.headline, s.summary, s.sentences))
            report.changed.append(row["id"])
            if row["has_override"]:
                report.overridden.append(row["id"])
    if writes:
        store.set_summaries(writes)
    return report


# ---- editions -------------------------------------------------------------------------------

def edition_key(frequency: str, day: dt.date) -> str:
    return f"{frequency}-{day.isoformat()}"


def local_today(cfg: Config, at: dt.datetime) -> dt.date:
    return at.astimezone(zoneinfo.ZoneInfo(cfg.timezone)).date()


PLAN_BATCH = 2000       # subscribers per planning step: one query reads them, one transaction writes their rows
EMPTY_SAMPLE = 100      # Plan.empty_ids keeps at most this many ids; skipped_empty counts them all


@dataclass
class Plan:
    """An edition ready to send: its id and key, and how many delivery rows were written for it."""
    edition_id: int
    key: str
    date: dt.date
    created: int
    skipped_empty: int
    # The first EMPTY_SAMPLE subscribers under min_items, for messages: an edition of 100,000 must
    # not carry 100,000 ids. The scheduler closes empty slots batch by batch instead (_Planner).
    empty_ids: list[int] = field(default_factory=list)


class _Planner:
    """Plans one edition a batch of subscribers at a time, so memory follows the batch, not the list.

    Per batch: one query for the watermarks, one transaction for the delivery rows (and, for the
    scheduler, the empty slots). Articles are counted once per (mix, since) for the whole edition.
    """

    def __init__(self, store: Store, cfg: Config, *, frequency: str, day: dt.date, at: dt.datetime,
                 min_items: int, close_empty: bool = False):
        self.store, self.cfg, self.at, self.close_empty = store, cfg, at, close_empty
        self.floor = max(min_items, 1)
        key = edition_key(frequency, day)
        self.plan = Plan(store.edition(key, frequency, day), key, day, 0, 0)
        self.counts: dict[tuple[str, dt.datetime], int] = {}

    def add(self, subs: list[Subscriber]) -> None:
        plan, marks = self.plan, self.store.watermarks(sub.id for sub in subs)
        rows, empty = [], []
        for sub in subs:
            since, until = select.window(sub, marks.get(sub.id), self.at)
            mix = select.mix_key(sub.topics)
            n = self.counts.get((mix, since))
            if n is None:
                n = self.counts[(mix, since)] = self.store.count_articles_between(sub.topics, since, until)
            if n < self.floor:
                empty.append(sub.id)
                continue
            rows.append(dict(edition_id=plan.edition_id, subscriber_id=sub.id, mix=mix, since=since, until=until,
                             message_id=message.message_id(plan.key, sub.id, self.cfg.domain)))
        plan.created += self.store.plan_batch(rows, empty_ids=empty, at=self.at,
                                              empty_key=plan.key if self.close_empty else None)
        plan.skipped_empty += len(empty)
        plan.empty_ids.extend(empty[:max(0, EMPTY_SAMPLE - len(plan.empty_ids))])


def plan_edition(store: Store, cfg: Config, *, frequency: str = "daily", at: dt.datetime | None = None,
                 subscribers: Iterable[Subscriber] | None = None, min_items: int = 1,
                 day: dt.date | None = None) -> Plan:
    """Write a pending delivery row for every due subscriber whose digest would not be empty.

    The window (since, until) is fixed in the row, so a resumed send renders exactly what the
    interrupted one would have. `day` names the edition (the scheduler passes the subscribers'
    local date of their slot); by default it is today in the configured timezone. Due subscribers
    are read from the store PLAN_BATCH at a time and their rows written batch by batch: a list of
    100,000 is never in memory at once.
    """
    at = at or now()
    planner = _Planner(store, cfg, frequency=frequency, day=day or local_today(cfg, at), at=at, min_items=min_items)
    if subscribers is None:
        batches = store.iter_due_subscribers(planner.plan.edition_id, frequency, batch=PLAN_BATCH)
    else:
        batches = _batches(subscribers, PLAN_BATCH)
    for batch in batches:
        planner.add(batch)
    return planner.plan


def _batches(items: Iterable, size: int) -> Iterable[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# ---- render ---------------------------------------------------------------------------------

def article_url(cfg: Config, art: Article) -> str:
    return art.url or f"{cfg.base_url}/articles/{art.id}"


def _score(a: Article, at: dt.datetime, sources: int) -> float:
    return summarize.article_score(
        age_hours=max(0.0, (at - (a.published or a.ingested_at or at)).total_seconds() / 3600),
        words=len(a.body.split()), sources=sources)


def _stories(articles: list[Article], at: dt.datetime) -> list[tuple[Article, list[Article], float]]:
    """One (lead, others, score) per story: the articles of one cluster become one story, led by
    its best-scored member; the score counts every source carrying it. Best story first."""
    groups: dict[object, list[Article]] = {}
    for a in articles:
        groups.setdefault(a.cluster_id if a.cluster_id is not None else ("alone", a.id), []).append(a)
    stories = []
    for members in groups.values():
        ranked = sorted(members, key=lambda a: (-_score(a, at, len(members)), a.id))
        stories.append((ranked[0], ranked[1:], _score(ranked[0], at, len(members))))
    return sorted(stories, key=lambda s: (-s[2], s[0].id))


def _source_name(a: Article) -> str:
    """Who else carries the story: the publication, else the link's domain, else us."""
    from urllib.parse import urlsplit
    domain = urlsplit(a.url).hostname if a.url else None
    return a.source or (domain.removeprefix("www.") if domain else None) or "Our newsroom"


def edition_view(cfg: Config, key: str, day: dt.date, mix: str, articles: list[Article],
                 at: dt.datetime | None = None) -> EditionView:
    """The digest of one topic mix: each story once, in the section of its lead article (members of
    one cluster may carry different topics), sections in mix order, stories by score within them.
    The subject and preheader come from the best-scored stories of the whole edition."""
    at = at or now()
    stories = _stories(articles, at)
    items = {lead.id: ItemView(headline=lead.headline, summary=lead.summary, url=article_url(cfg, lead),
                               source=lead.source, published=(lead.published or lead.ingested_at),
                               also=[(_source_name(o), article_url(cfg, o)) for o in others])
             for lead, others, _ in stories}
    # select.sections keeps the order it is given, so passing leads best-first orders each section.
    placed = select.sections(mix, [lead for lead, _, _ in stories])
    sections = [SectionView(topic=topic, slug=_slug(topic), items=[items[a.id] for a in leads])
                for topic, leads in placed]
    shown = {a.id for _, leads in placed for a in leads}
    top = [items[lead.id] for lead, _, _ in stories if lead.id in shown]
    return EditionView(
        newsletter=cfg.newsletter, edition_key=key, date=day,
        subject=summarize.edition_subject([i.headline for i in top]) if top else f"{cfg.newsletter}: {day}",
        preheader=summarize.preheader([i.summary for i in top]),
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


# ---- send and record (owner: sending, issue 5; design in digest/ledger.py and digest/send.py) ------

@dataclass
class Tally:
    sent: int = 0
    skipped: int = 0             # already sent before this run
    deferred: int = 0            # left for a later run (temporary failures, or not reached before a stop)
    bounced: int = 0
    failed: int = 0
    uncertain: int = 0           # in flight when a sender died; see `digest deliveries list --status uncertain`
    by_mix: dict[str, dict] = field(default_factory=dict)
    retried: int = 0             # retries within this run
    throttles: int = 0           # times the relay asked us to slow down
    slowest_rate: float = 0.0    # the lowest rate the pacer fell to (msgs/s), 0 = never throttled
    recovered: int = 0           # outcomes replayed from a previous run's journal
    stopped: bool = False        # should_stop() ended the run early
    elapsed: float = 0.0         # seconds in the send loop
    bookkeeping: float = 0.0     # of which, seconds in ledger transactions (claims and outcomes)

    @property
    def ok(self) -> bool:
        return not (self.deferred or self.bounced or self.failed or self.uncertain)


class _Row:
    """One claimed delivery on its way through the pool."""
    __slots__ = ("id", "subscriber_id", "email", "name", "message_id", "attempts", "created_at", "group", "tries")

    def __init__(self, r, group):
        self.id, self.subscriber_id, self.email, self.name = r["id"], r["subscriber_id"], r["email"], r["name"]
        self.message_id, self.attempts, self.created_at = r["message_id"], r["attempts"], parse_ts(r["created_at"])
        self.group, self.tries = group, 0


@dataclass
class _Group:
    body: Body
    prepared: message.Prepared


class _DateHeader:
    """format_datetime once a second, not once a message."""

    def __init__(self):
        self.second, self.value = -1, ""

    def __call__(self) -> str:
        t = int(time.time())
        if t != self.second:
            self.value = format_datetime(dt.datetime.fromtimestamp(t, dt.timezone.utc))
            self.second = t
        return self.value


def prepare_group(cfg: Config, body: Body, *, test: bool = False) -> message.Prepared:
    return message.prepare(sender=cfg.sender, subject=body.rendered.subject, list_id=cfg.list_id,
                           html=body.rendered.html, text=body.rendered.text, markers=list(PLACEHOLDERS.values()),
                           unsubscribe_mailto=cfg.unsubscribe_mailto, test=test)


def fast_message(cfg: Config, group: _Group, *, subscriber_id: int, email: str, name: str | None, message_id: str,
                 date: str, signer: message.Signer | None = None, test: bool = False) -> bytes:
    """One subscriber's message from the group's prepared body; the stdlib builds the rare one it cannot."""
    unsub = tokens.url(cfg.base_url, cfg.secret, "unsubscribe", subscriber_id)
    prefs = tokens.url(cfg.base_url, cfg.secret, "preferences", subscriber_id)
    values = {PLACEHOLDERS["unsubscribe_url"]: unsub, PLACEHOLDERS["preferences_url"]: prefs,
              PLACEHOLDERS["email"]: email, PLACEHOLDERS["name"]: name or ""}
    data = group.prepared.build(to_email=email, to_name=name, message_id=message_id, date=date,
                                unsubscribe_url=unsub, values=values)
    if data is None:
        data = personal_message(cfg, group.body, subscriber_id=subscriber_id, email=email, name=name,
                                message_id=message_id, test=test)
    return signer.sign(data) if signer else data


def signer_for(cfg: Config) -> message.Signer | None:
    """A DKIM signer when DIGEST_DKIM_KEY names a key, else None."""
    if not cfg.dkim_key:
        return None
    try:
        key = Path(cfg.dkim_key).read_bytes()
    except OSError as exc:
        raise ConfigError(f"DKIM key {cfg.dkim_key}: {exc.strerror}.",
                          "Point DIGEST_DKIM_KEY at a PEM RSA private key, or unset it to send unsigned.") from None
    return message.Signer(key, cfg.dkim_selector, cfg.dkim_domain or cfg.domain)


class _EditionSender:
    """One run of send_edition: claims rows in batches, feeds the pool, retries, records in batches."""

    def __init__(self, store: Store, cfg: Config, plan: Plan, settings: send_mod.SendSettings, lease: ledger.Lease,
                 tally: Tally, should_stop, progress, on_message):
        self.store, self.cfg, self.plan, self.s, self.lease, self.tally = store, cfg, plan, settings, lease, tally
        self.should_stop, self.progress, self.on_message = should_stop, progress, on_message
        self.groups: dict[tuple, _Group] = {}
        self.buffer: list[tuple] = []
        self.unclaimed: list[int] = []
        self.retry: list[tuple[float, int, _Row]] = []
        self.cursor = {"deferred": 0, "pending": 0}
        self.feed: list[_Row] = []
        self.outstanding = 0
        self.done = 0
        self.last_flush = self.last_progress = time.monotonic()
        self.date = _DateHeader()
        self.signer: message.Signer | None = None
        self.relay_error: DigestError | None = None

    def _group(self, r) -> _Group:
        key = (r["mix"], r["since"], r["until"])
        if key not in self.groups:
            body = render_group(self.store, self.cfg, self.plan.key, self.plan.date, r["mix"],
                                parse_ts(r["since"]), parse_ts(r["until"]))
            self.groups[key] = _Group(body, prepare_group(self.cfg, body))
        return self.groups[key]

    def _db(self, fn, *args, **kw):
        t = time.perf_counter()
        try:
            return fn(*args, **kw)
        finally:
            self.tally.bookkeeping += time.perf_counter() - t

    def _claim(self) -> bool:
        """Refill the in-memory feed with the next batch: due deferred rows first, then pending ones."""
        for status in ("deferred", "pending"):
            if self.cursor[status] is None:
                continue
            rows = self._db(self.store.claim_deliveries, self.plan.edition_id, status, self.cursor[status],
                            self.s.batch, due=now() if status == "deferred" else None)
            if not rows:
                self.cursor[status] = None
                continue
            self.cursor[status] = rows[-1]["id"]
            self.feed.extend(_Row(r, self._group(r)) for r in rows)
            self.feed.reverse()          # popped from the end, so sent in id order
            return True
        return False

    def _job(self, row: _Row) -> send_mod.Job:
        cfg, group, date, signer = self.cfg, row.group, self.date, self.signer
        return send_mod.Job(row, row.email, lambda: fast_message(
            cfg, group, subscriber_id=row.subscriber_id, email=row.email, name=row.name,
            message_id=row.message_id, date=date(), signer=signer))

    def _submit(self, pool: send_mod.Pool, row: _Row) -> None:
        pool.submit(self._job(row))
        self.outstanding += 1

    def _flush(self, force: bool = False) -> None:
        if not force and len(self.buffer) < self.s.batch and time.monotonic() - self.last_flush < 0.5:
            return
        buffer, unclaimed, self.buffer, self.unclaimed = self.buffer, self.unclaimed, [], []
        self._db(self.store.record_outcomes, buffer, soft_bounce_limit=self.s.soft_bounce_limit)
        if unclaimed:
            self._db(self.store.unclaim, unclaimed)
        self.last_flush = time.monotonic()

    def _feed(self, pool: send_mod.Pool, window: int) -> None:
        t = time.monotonic()
        due = []
        while self.retry and self.retry[0][0] <= t and self.outstanding + len(due) < window:
            due.append(heapq.heappop(self.retry)[2])
        if due:
            self._flush(force=True)     # their 'deferred' must be written before they are claimed again
            claimed = {r["id"] for r in self._db(self.store.claim_ids, [r.id for r in due])}
            for row in due:
                if row.id in claimed:
                    self.tally.retried += 1
                    self._submit(pool, row)
        while self.outstanding < window and (self.feed or self._claim()):
            self._submit(pool, self.feed.pop())

    def _outcome(self, row: _Row, outcome: send_mod.Outcome) -> None:
        t = self.tally
        status, soft, next_at = outcome.status, outcome.soft, None
        reply = outcome.text
        if status == "deferred":
            row.tries += 1
            delay = self.s.backoff(row.attempts + row.tries)
            next_at = now() + dt.timedelta(seconds=delay)
            if next_at > row.created_at + dt.timedelta(seconds=self.s.retry_deadline):
                status, soft, next_at = "failed", True, None
                reply = f"gave up after {row.attempts + row.tries} attempts; last reply: {reply}"
            elif row.tries < self.s.retry_attempts and not self.stopping:
                heapq.heappush(self.retry, (time.monotonic() + delay, row.id, row))
                self.buffer.append((row.id, status, reply, next_at, False))
                return
        self.buffer.append((row.id, status, reply, next_at, soft))
        self.done += 1
        if status != "deferred":
            setattr(t, status, getattr(t, status) + 1)
        stats = t.by_mix.setdefault(row.group.body.mix, {"articles": len(row.group.body.articles),
                                                         "recipients": 0, "sent": 0})
        stats["recipients"] += 1
        stats["sent"] += status == "sent"
        if self.on_message:
            self.on_message(outcome)

    def run(self, first_relay: send_mod.Relay, relay_factory: Callable[[], Relay], journal: ledger.Journal,
            pacer: send_mod.Pacer) -> None:
        self.stopping = False
        window = self.s.connections * 4
        pool = send_mod.Pool(relay_factory, self.s.connections, self.cfg.sender_address, pacer, journal,
                             first=first_relay)
        alive = self.s.connections
        try:
            while True:
                if not self.stopping and self.should_stop and self.should_stop():
                    self.stopping = self.tally.stopped = True
                if self.stopping:
                    self._return_unstarted(pool)
                else:
                    self._feed(pool, window)
                if self.outstanding == 0 and (self.stopping or not self.retry):
                    break
                self.lease.renew_if_due()
                self._report()
                wait = 0.2 if self.outstanding else max(0.0, min(0.2, self.retry[0][0] - time.monotonic()))
                try:
                    job, outcome, err = pool.results.get(timeout=wait)
                except queue.Empty:
                    self._flush()
                    continue
                if job == "exit":
                    alive -= 1
                    if alive == 0:
                        self.stopping = True
                        self.relay_error = self.relay_error or RelayError(
                            "Every connection to the SMTP relay was lost.", "Check that the relay is running.")
                    continue
                self.outstanding -= 1
                if err is not None:     # this worker's connection could not be reopened: not attempted
                    self.relay_error = err
                    if alive > 1:
                        self._submit(pool, job.item)
                    else:
                        self.unclaimed.append(job.item.id)
                    continue
                self._outcome(job.item, outcome)
                self._flush()
        finally:
            self._return_unstarted(pool)
            pool.close()
            self._drain(pool)
            self.unclaimed.extend(r.id for r in self.feed)
            self.feed = []
            self._flush(force=True)
            self.tally.throttles, self.tally.slowest_rate = pacer.throttles, pacer.lowest
            self._report(final=True)

    def _return_unstarted(self, pool: send_mod.Pool) -> None:
        jobs = pool.take_unstarted()
        self.outstanding -= len(jobs)
        self.unclaimed.extend(j.item.id for j in jobs)

    def _drain(self, pool: send_mod.Pool) -> None:
        """Wait for the messages still in flight (the relay's timeout bounds this) and record them."""
        deadline = time.monotonic() + (self.cfg.smtp().timeout if self.cfg.smtp() else 30) + 5
        self.stopping = True
        while self.outstanding > 0 and time.monotonic() < deadline:
            try:
                job, outcome, err = pool.results.get(timeout=0.5)
            except queue.Empty:
                continue
            if job == "exit":
                continue
            self.outstanding -= 1
            if err is not None:
                self.unclaimed.append(job.item.id)
            else:
                self._outcome(job.item, outcome)

    def _report(self, final: bool = False) -> None:
        if self.progress and (final or time.monotonic() - self.last_progress > 0.1):
            self.progress(self.done, self.total)
            self.last_progress = time.monotonic()


def send_edition(store: Store, cfg: Config, plan: Plan, relay_factory: Callable[[], Relay], *,
                 should_stop: Callable[[], bool] | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 resend_uncertain: bool = False, settings: send_mod.SendSettings | None = None,
                 on_message: Callable[[Outcome], None] | None = None) -> Tally:
    """Send every due delivery of the edition exactly once and record each outcome.

    Holds the edition's lease (LockedError if another sender has it), first replays what a killed
    run left behind (digest/ledger.py), then sends over `connections` parallel connections. A row is
    marked sent only after the relay accepted the message. `should_stop` is checked between messages:
    when it returns True the messages in flight are finished and recorded and the rest stay queued.
    `progress(done, total)` is called a few times a second. A relay that cannot be reached raises
    RelayError before anything is claimed; one lost for good mid-run raises it after recording.
    """
    s = settings or send_mod.SendSettings.from_config(cfg)
    tally = Tally()
    started = time.monotonic()
    with ledger.Lease(store, f"send:{plan.key}", s.lease_seconds) as lease:
        folder = ledger.journal_dir(store)
        rec = ledger.recover(store, plan.edition_id, folder, soft_bounce_limit=s.soft_bounce_limit,
                             deadline=s.retry_deadline, resend_uncertain=resend_uncertain)
        tally.recovered = rec.replayed + rec.uncertain
        tally.failed += rec.expired         # ran out of time since the last run: this run's news
        tally.skipped = store.delivery_counts(plan.edition_id).get("sent", 0)
        total = store.count_due(plan.edition_id, now())
        if total:
            signer = signer_for(cfg)
            first = relay_factory().open()      # RelayError here: nothing claimed, nothing marked
            sender = _EditionSender(store, cfg, plan, s, lease, tally, should_stop, progress, on_message)
            sender.signer = signer
            sender.total = total
            journal = ledger.Journal(folder, plan.edition_id, s.connections)
            pacer = send_mod.Pacer(s.rate)
            try:
                sender.run(first, relay_factory, journal, pacer)
            finally:
                # Keep the journal if a message may still be in flight: the next run must see its D line.
                journal.close(remove=sender.outstanding == 0)
            if sender.relay_error and (sender.outstanding or store.count_due(plan.edition_id, now())):
                counts = store.delivery_counts(plan.edition_id)
                _finish(tally, counts, started)
                sender.relay_error.tally = tally
                raise sender.relay_error
        _finish(tally, store.delivery_counts(plan.edition_id), started)
    return tally


def _finish(tally: Tally, counts: dict[str, int], started: float) -> None:
    tally.deferred = counts.get("deferred", 0) + counts.get("pending", 0) + counts.get("sending", 0)
    tally.uncertain = counts.get("uncertain", 0)
    tally.elapsed = time.monotonic() - started


def send_test(store: Store, cfg: Config, relay_factory: Callable[[], Relay], to: str, *,
              topics: list[str] | None = None, frequency: str = "daily") -> Outcome:
    """Send the edition due now (for `topics`, or every topic) to one address, marked as a test.

    Nothing is recorded: no delivery row, no watermark, no lease. The links in it point at the
    subscriber with that address if there is one, else at nobody (subscriber 0).
    """
    body, _ = groups_for_preview(store, cfg, topics=topics, frequency=frequency)
    try:
        sid = store.subscriber(to).id
    except NotFound:
        sid = 0
    group = _Group(body, prepare_group(cfg, body, test=True))
    mid = message.message_id(f"{body.view.edition_key}-test-{uuid.uuid4().hex[:8]}", sid, cfg.domain)
    data = fast_message(cfg, group, subscriber_id=sid, email=to, name=None, message_id=mid,
                        date=_DateHeader()(), signer=signer_for(cfg), test=True)
    relay = relay_factory().open()
    try:
        return relay.send(cfg.sender_address, to, data)
    finally:
        relay.close()


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


# ---- editor's preview (owner: preview; `digest preview` and digest/preview_server.py) ------------

@dataclass
class Preview:
    """One message exactly as it would be sent (bytes), its two parts as a client decodes them,
    and the lint report for those parts."""
    body: Body
    subscriber: Subscriber | None
    eml: bytes
    html: str
    text: str | None
    lint: lint_mod.LintReport


def preview_message(store: Store, cfg: Config, *, topics: list[str] | None = None, email: str | None = None,
                    frequency: str = "daily", at: dt.datetime | None = None) -> Preview:
    """Build the real message for a subscriber or a topic mix (nothing is sent or recorded) and lint
    the parts read back from it, so the preview judges what the reader's client would get."""
    from email import message_from_bytes, policy
    body, sub = groups_for_preview(store, cfg, topics=topics, email=email, frequency=frequency, at=at)
    sid = sub.id if sub else 0
    data = personal_message(cfg, body, subscriber_id=sid, email=sub.email if sub else "preview@" + cfg.domain,
                            name=sub.name if sub else None,
                            message_id=message.message_id(body.view.edition_key, sid, cfg.domain))
    msg = message_from_bytes(data, policy=policy.default)
    html_part, text_part = msg.get_body(preferencelist=("html",)), msg.get_body(preferencelist=("plain",))
    html = html_part.get_content() if html_part is not None else ""
    text = text_part.get_content() if text_part is not None else None
    return Preview(body, sub, data, html, text, lint_mod.lint(html, text))


@dataclass
class MixInfo:
    """A topic mix the preview lists: how many active subscribers get exactly it, and how many
    stories its edition due now would show (a story told by several sources counts once)."""
    mix: str
    topics: list[str]
    subscribers: int
    stories: int


def preview_mixes(store: Store, cfg: Config, *, frequency: str = "daily",
                  at: dt.datetime | None = None) -> list[MixInfo]:
    """Every distinct mix of the active subscribers (most subscribed first), then each single
    topic that is not already one of them."""
    at = at or now()
    counts: dict[str, int] = {}
    for sub in store.subscribers(status="active"):
        if sub.topics:
            key = select.mix_key(sub.topics)
            counts[key] = counts.get(key, 0) + 1
    mixes = sorted(counts, key=lambda k: (-counts[k], k.lower()))
    mixes += [t.name for t in store.topics() if t.name not in counts]
    since, day = at - select.FIRST_WINDOW[frequency], local_today(cfg, at)
    out = []
    for m in mixes:
        # The edition's view, without rendering it: cheap enough for every mix on one page.
        view = edition_view(cfg, edition_key(frequency, day), day, m,
                            store.articles_between(select.mix_topics(m), since, at), at=at)
        out.append(MixInfo(m, select.mix_topics(m), counts.get(m, 0), sum(len(s.items) for s in view.sections)))
    return out


# ---- lists and subscriber self-service (issue 6: import, confirmation mail, web archive) -----

@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    skipped: int = 0       # opted out before (unsubscribed, bounced, suppressed): never re-subscribed
    merged: int = 0        # rows that repeated an address already in the file
    errors: list[ParseError] = field(default_factory=list)


def import_subscribers(store: Store, data: bytes, origin: str, *, dry_run: bool = False,
                       batch: int = 5000) -> ImportReport:
    """Validate every CSV row, merge repeated addresses, and write the good rows in batches.

    Topic names are resolved against one pre-loaded map, and each batch is one transaction of a few
    executemany calls, so 100,000 rows take seconds; a bad row is reported and never stops the rest.
    """
    from . import subscribers as lists
    from .store import _email_key
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
            merged[key] = {"email": row.email, "name": row.name, "topic_ids": ids, "frequency": row.frequency,
                           "timezone": row.timezone, "status": row.status}
    rows = list(merged.values())
    for i in range(0, len(rows), batch):
        counts = store.import_batch(rows[i:i + batch], dry_run=dry_run)
        report.added += counts["added"]
        report.updated += counts["updated"]
        report.skipped += counts["skipped"]
    return report


def _merge_row(into: dict, row, ids: dict[int, None]) -> None:
    """A repeated address: topics are unioned, later non-empty values win, and an opt-out sticks."""
    into["topic_ids"].update(ids)
    for attr in ("name", "frequency", "timezone"):
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
                entries.append(ArchiveEntry(row["key"], day, t.name, t.slug, since, until,
                                            edition_view(cfg, row["key"], day, t.name, arts, at=until)))
    return entries


def archive_html(store: Store, cfg: Config, entry: ArchiveEntry) -> str:
    """The web version of one topic's digest in one edition, rendered exactly like the email."""
    body = render_group(store, cfg, entry.key, entry.date, entry.topic, entry.since, entry.until)
    # No subscriber here: the footer's links go to a page that explains where the personal links are.
    html, _ = render.personalize(body.rendered, unsubscribe_url=f"{cfg.base_url}/manage",
                                 preferences_url=f"{cfg.base_url}/manage", email="you", name=None)
    return html


# ---- the scheduler's operations (issue 7; owner: scheduler, called by digest/scheduler.py) -------

@dataclass
class SourcesReport(IngestReport):
    """One ingest run over watched folders and feeds."""
    files: int = 0                      # files read from watched folders (then moved to done/ or failed/)
    feeds: int = 0                      # feeds that had something new
    feeds_unchanged: int = 0            # 304 Not Modified, or the same file as last time
    feed_errors: list[ParseError] = field(default_factory=list)


def ingest_sources(store: Store, folders: Iterable[Path], feed_specs: Iterable, *, at: dt.datetime | None = None,
                   base_dir: Path | None = None) -> SourcesReport:
    """Ingest new files from watched folders and new entries from feeds, all stamped `at`.

    A file is moved to done/ once its articles are stored (to failed/ when none could be read);
    a feed keeps its ETag/Last-Modified so an unchanged one costs a 304. A bad file, entry or feed
    is reported and never stops the others.
    """
    from . import feeds, watch
    at = at or now()
    report = SourcesReport()
    aliases = store.alias_map()
    vocabulary = set(aliases)
    df: summarize.DocFreq | None = None

    def keep(art) -> None:
        nonlocal df
        if df is None:      # built only when something arrived: the scan itself stays cheap
            df = summarize.DocFreq.from_texts(store.all_bodies())
        store_article(store, art, aliases, df, at=at, report=report)

    for folder in folders:
        for path in watch.new_files(Path(folder)):
            good, bad = 0, []
            for item in ingest.read_path(path, vocabulary):
                if isinstance(item, ParseError):
                    bad.append(item)
                else:
                    keep(item)
                    good += 1
            report.errors += bad
            report.files += 1
            try:
                watch.file_away(Path(folder), path, watch.DONE if good or not bad else watch.FAILED)
            except OSError as exc:
                report.errors.append(ParseError(f"{path}: read, but cannot be moved out of the watched folder "
                                                f"({exc.strerror}); it will be read again",
                                                "Make the folder writable by the scheduler."))
    for spec in feed_specs:
        state = store.feed_state(spec.url)
        try:
            got = feeds.fetch(spec, etag=state["etag"] if state else None,
                              modified=state["modified"] if state else None, base_dir=base_dir)
        except ParseError as exc:
            store.record_feed(spec.url, at=at, error=str(exc))
            report.feed_errors.append(exc)
            continue
        if got.entries is None:
            store.record_feed(spec.url, at=at, keep_validators=True)
            report.feeds_unchanged += 1
            continue
        for art in got.entries:
            keep(art)
        report.errors += got.errors
        report.feeds += 1
        store.record_feed(spec.url, at=at, etag=got.etag, modified=got.modified, entries=len(got.entries))
    if report.added or report.updated:
        # The same story from a watched folder and a feed is one item, as with `articles ingest`.
        cluster_recent(store, at=at, touched=report.added + report.updated)
    return report


@dataclass
class DueReport:
    """One pass of the digest job at one instant."""
    due: int = 0                        # subscribers whose latest slot had no delivery yet
    planned: int = 0                    # delivery rows written in this pass
    empty: int = 0                      # due but under min_items: skipped, the items wait for the next slot
    editions: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)    # editions whose interrupted send was finished
    tally: Tally = field(default_factory=Tally)
    stopped: bool = False


def _add_tally(into: Tally, t: Tally) -> None:
    for name in ("sent", "skipped", "deferred", "bounced", "failed", "uncertain"):
        setattr(into, name, getattr(into, name) + getattr(t, name))
    for mix, stats in t.by_mix.items():
        mine = into.by_mix.setdefault(mix, {"articles": stats["articles"], "recipients": 0, "sent": 0})
        mine["recipients"] += stats["recipients"]
        mine["sent"] += stats["sent"]


def run_due(store: Store, cfg: Config, schedule, at: dt.datetime, relay_factory: Callable[[], Relay], *,
            should_stop: Callable[[], bool] | None = None,
            on_message: Callable[[Outcome], None] | None = None) -> DueReport:
    """Send every subscriber whose slot (schedule: a slots.DigestSchedule) is due at `at`, once.

    Due = their most recent slot at or before `at` has no delivery row yet and was not found empty
    (under min_items: that slot is closed, the items roll over to the next). So after days of
    downtime only the latest slot is sent, and its window starts at the subscriber's watermark:
    one digest covers the whole gap. Interrupted sends are finished first, so a new window never
    overlaps one that was planned but not yet sent.
    """
    stop = should_stop or (lambda: False)
    report = DueReport()
    for row in store.editions_with_pending():
        if stop():
            report.stopped = True
            return report
        plan = Plan(row["id"], row["key"], dt.date.fromisoformat(row["date"]), 0, 0)
        _add_tally(report.tally, send_edition(store, cfg, plan, relay_factory, should_stop=stop, on_message=on_message))
        report.resumed.append(row["key"])
    # Plan every due slot first, a batch of candidates at a time (memory follows the batch), then
    # send edition by edition. A stop mid-planning leaves pending rows: the next pass resumes them above.
    planners: dict[tuple[dt.date, str], _Planner] = {}
    for batch in store.iter_schedule_candidates(batch=PLAN_BATCH):
        if stop():
            report.stopped = True
            break
        slotted = [(sub, slot) for sub, send_at in batch if (slot := schedule.slot_for(sub, send_at, at)) is not None]
        done = store.handled_slots_among([sub.id for sub, _ in slotted], {slot.key for _, slot in slotted})
        groups: dict[tuple[dt.date, str], list[Subscriber]] = {}
        for sub, slot in slotted:
            if (sub.id, slot.key) not in done:
                groups.setdefault((slot.day, slot.frequency), []).append(sub)
        for (day, frequency), subs in sorted(groups.items()):
            report.due += len(subs)
            if (day, frequency) not in planners:
                # close_empty: an empty slot is closed, its items roll over to the next slot, not to some hour of today
                planners[(day, frequency)] = _Planner(store, cfg, frequency=frequency, day=day, at=at,
                                                      min_items=schedule.min_items, close_empty=True)
            planners[(day, frequency)].add(subs)
    for _, planner in sorted(planners.items(), key=lambda kv: kv[0]):
        plan = planner.plan
        report.planned += plan.created
        report.empty += plan.skipped_empty
        if plan.created and not report.stopped:
            if stop():
                report.stopped = True
                continue
            _add_tally(report.tally, send_edition(store, cfg, plan, relay_factory, should_stop=stop, on_message=on_message))
            report.editions.append(plan.key)
    report.stopped = report.stopped or stop()
    return report
