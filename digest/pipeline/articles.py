"""Ingest stage of the pipeline: read articles, summarize and store them, and cluster one story
told by several sources (issue 3); also re-summarizes stored articles.

May import the stage modules (ingest, feeds, summarize, cluster), config/errors/models/store;
nothing else in digest.pipeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .. import feeds, ingest, summarize
from .. import cluster as clusters   # one story told once (issue 3)
from ..config import SummarySettings
from ..errors import ParseError
from ..store import Store, now

@dataclass
class IngestReport:
    added: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)      # removed by an admin earlier: not brought back
    errors: list[ParseError] = field(default_factory=list)


def ingest_paths(store: Store, paths: Iterable[str | Path], *, at: dt.datetime | None = None,
                 settings: SummarySettings | None = None) -> IngestReport:
    """Read, summarize and store every article under `paths` (files, folders, or the http(s) URL of
    a feed, fetched once); a bad file, entry or feed is reported, never fatal."""
    settings = settings or SummarySettings()
    report = IngestReport()
    aliases = store.alias_map()
    vocabulary = set(aliases)
    df = summarize.DocFreq.from_texts(store.all_bodies())
    paths = [str(p) for p in paths]
    for url in [p for p in paths if feeds.is_url(p)]:
        try:
            got = feeds.fetch(feeds.FeedSpec(url))
        except ParseError as exc:
            report.errors.append(exc)
            continue
        for art in got.entries or []:
            store_article(store, art, aliases, df, at=at, report=report)
        report.errors += got.errors
    for path in ingest.expand_paths([p for p in paths if not feeds.is_url(p)]):
        for item in ingest.read_path(path, vocabulary):
            if isinstance(item, ParseError):
                report.errors.append(item)
                continue
            store_article(store, item, aliases, df, at=at, report=report, settings=settings)
    if report.added or report.updated:
        cluster_recent(store, at=at, touched=report.added + report.updated,
                       window=dt.timedelta(hours=settings.cluster_window_hours))
    return report


def summarize_article(title: str, body: str, outlet: str | None, df: summarize.DocFreq,
                      settings: SummarySettings) -> summarize.Summary:
    return summarize.summarize(title, body, df=df, max_words=settings.max_words,
                               max_sentences=settings.max_sentences, outlet=outlet, site_names=settings.site_names)


def store_article(store: Store, art, aliases: dict[str, str], df: summarize.DocFreq, *,
                  at: dt.datetime | None, report: IngestReport, settings: SummarySettings | None = None) -> int:
    guid, checksum = ingest.identity(art)
    df.add(art.body)
    s = summarize_article(art.title, art.body, art.source, df, settings or SummarySettings())
    topics = ingest.map_topics(art.labels, aliases)
    article_id, outcome = store.upsert_article(art, guid=guid, checksum=checksum, topics=topics,
                                               headline=s.headline, summary=s.summary, sentences=s.sentences, at=at)
    getattr(report, outcome).append(article_id)
    return article_id


CLUSTER_DAYS = 14       # how far back (by ingest time) a new article looks for other reports of its story


def cluster_recent(store: Store, *, at: dt.datetime | None = None, touched: Iterable[int] = (),
                   days: int = CLUSTER_DAYS, window: dt.timedelta = clusters.WINDOW) -> dict[int, int | None]:
    """Group the articles ingested in the last `days` (plus `touched`, e.g. an old article just
    edited) by story and write their cluster ids: the smallest article id of a group, None when
    alone. Two articles can be one story only when published within `window` of each other, and
    paragraphs that recur across the store (boilerplate) do not count. Older articles keep the
    cluster they had: a story is only news for a couple of weeks."""
    since = (at or now()) - dt.timedelta(days=days)
    docs = [clusters.Doc(r["id"], r["title"], r["body"], r["published"] or r["ingested_at"])
            for r in store.cluster_candidates(since, touched)]
    common = clusters.boilerplate(store.all_bodies())
    assignments: dict[int, int | None] = {}
    for group in clusters.cluster(docs, window=window, common=common):
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


def resummarize(store: Store, ids: Iterable[int] | None = None, *,
                settings: SummarySettings | None = None) -> ResummaryReport:
    """Rewrite the machine's headline and summary of `ids` (all articles when None) with document
    frequencies from the whole store, in one transaction. Editor overrides live in their own
    columns and are never touched, so the digest keeps printing them."""
    rows = store.machine_summaries(ids)
    df = summarize.DocFreq.from_texts(store.all_bodies())
    report, writes = ResummaryReport(), []
    for row in rows:
        s = summarize_article(row["title"], row["body"], row["source"], df, settings or SummarySettings())
        report.checked += 1
        if (s.headline, s.summary, s.sentences) != (row["headline"], row["summary"], row["sentences"]):
            writes.append((row["id"], s.headline, s.summary, s.sentences))
            report.changed.append(row["id"])
            if row["has_override"]:
                report.overridden.append(row["id"])
    if writes:
        store.set_summaries(writes)
    return report
