"""Ingest, the one loop behind `digest articles ingest`, the scheduler's ingest job and the demo:
read articles from paths (files, folders, the URL of a feed fetched once), watched folders (files
moved to done/ or failed/ once read) and configured feeds (fetched with their ETag and
Last-Modified); settle each article's language (as its source or folder says, else detected),
summarize and store it; then cluster what arrived. A bad file, line, entry or feed is reported
and never stops the others.
May import: clock, config, db, errors, models, plural, readers, and .articles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import readers
from ..clock import now
from ..config import SummarySettings
from ..db import Database
from ..errors import ParseError
from ..models import FeedSpec, ParsedArticle
from ..plural import ngettext, plural
from ..readers import clean, feeds, language, watch
from .articles import body_index, cluster_recent, doc_freq, summarize_article

MAX_BODY = 200_000      # characters of a body stored, summarized and fingerprinted (about 200 KB)


def cap_body(art: ParsedArticle, limit: int = MAX_BODY) -> tuple[ParsedArticle, str | None]:
    """The article with its body cut to `limit` characters at a paragraph break, and a warning
    naming the file and what was cut (None when it fits). Past that, a body is a dump rather than
    a story, and every later stage (cleaner, summarizer, clustering) would pay for its length."""
    body = art.body
    if len(body) <= limit:
        return art, None
    cut = body.rfind("\n", 0, limit + 1)
    if cut < limit // 2:                # no paragraph break in the second half: cut at a space
        cut = max(body.rfind(" ", 0, limit + 1), limit // 2)
    kept = body[:cut].rstrip()
    kb = lambda n: f"{n / 1000:,.0f} KB"  # noqa: E731
    where = art.origin or "an article"
    return replace(art, body=kept), (
        f"{where}: the body of \"{art.title[:60]}\" is {kb(len(body))}; only its first {kb(len(kept))} "
        f"({len(clean.paragraphs(kept)):,} paragraphs) are stored and summarized, the last {kb(len(body) - len(kept))} were cut.")


@dataclass
class IngestReport:
    added: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)      # removed by an admin earlier: not brought back
    errors: list[ParseError] = field(default_factory=list)
    files: int = 0                      # files read from watched folders (then moved to done/ or failed/)
    feeds: int = 0                      # feeds that had something new
    feeds_unchanged: int = 0            # 304 Not Modified, or the same file as last time
    feed_errors: list[ParseError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)      # read, but not as the writer may have meant
    no_topic: list[int] = field(default_factory=list)      # stored under no topic: they reach no subscriber
    cleaned: int = 0                    # articles whose body lost a caption, credit, dateline, teaser...

    def notices(self) -> list[str]:
        """The warnings, then how many articles reach nobody: what a log or a terminal should show."""
        n = len(self.no_topic)
        return self.warnings + ([f"{plural(n, 'article has', 'articles have')} no topic: "
                                 f"{ngettext('it reaches', 'they reach', n)} no subscriber. List them with "
                                 "`digest articles list --no-topic`; file them with `--topic T` or "
                                 "`digest articles edit ID --topic T`."] if n else [])


class _Store:
    """Summarize and store articles as they arrive, weighing words by the store's counts of them."""

    def __init__(self, db: Database, at: dt.datetime | None, settings: SummarySettings, report: IngestReport):
        self.db, self.at, self.settings, self.report = db, at, settings, report
        self.aliases = db.topics.alias_map()
        self.vocabulary = set(self.aliases)

    def __call__(self, art: ParsedArticle, topic: str | None = None) -> int:
        """Store one article; `topic` files it when its labels map to no topic."""
        guid, checksum = readers.identity(art)      # of the article as given: the cleaner may change
        self.report.warnings += art.notes
        art, cut = cap_body(art)
        self.report.warnings += [cut] if cut else []
        cleaned = clean.clean_body(art.body, title=art.title)
        art = replace(art, body=cleaned.body, removed=cleaned.removed,
                      language=art.language or language.detect(art.title + "\n" + art.body))
        self.report.cleaned += bool(cleaned.removed)
        s, source = summarize_article(art.title, art.body, art.source, doc_freq(self.db, art.body), self.settings,
                                      art.description, language=art.language)
        topics = readers.map_topics(art.labels, self.aliases) or ([topic] if topic else [])
        article_id, outcome = self.db.articles.upsert(
            art, guid=guid, checksum=checksum, topics=topics, headline=s.headline, summary=s.summary,
            sentences=s.sentences, at=self.at, summary_source=source, index_of=body_index)
        getattr(self.report, outcome).append(article_id)
        if not topics and outcome in ("added", "updated"):
            self.report.no_topic.append(article_id)
        return article_id


def ingest(db: Database, *, paths: Iterable[str | Path] = (), folders: Iterable[Path] = (),
           feed_specs: Iterable[FeedSpec] = (), at: dt.datetime | None = None, base_dir: Path | None = None,
           settings: SummarySettings | None = None, folder_sources: dict[Path, str] | None = None,
           topic: str | None = None, folder_topics: Mapping[Path, str | None] | None = None,
           folder_languages: Mapping[Path, str] | None = None) -> IngestReport:
    """Read, summarize and store every article from these sources, all stamped `at` (default now).

    `folder_sources` names the outlet of a watched folder's articles (a JSON Lines `source` of
    their own wins); a feed's title is its entries' outlet. `topic` (for `paths`), `folder_topics`
    and a feed's own topic file the articles whose labels map to no topic. `folder_languages` gives
    the language of a watched folder's articles that do not say their own.
    """
    settings = settings or SummarySettings()
    folders, feed_specs = list(folders), list(feed_specs)
    # A default topic by name, slug or alias; an unknown one is an error before anything is read.
    named = lambda t: db.topics.get(t).name if t else None  # noqa: E731
    topic = named(topic)
    folder_topics = {Path(k): named(v) for k, v in (folder_topics or {}).items()}
    feed_specs = [replace(f, topic=named(f.topic)) for f in feed_specs]
    if folders or feed_specs:
        at = at or now()        # a scheduler's pass: one instant for everything it stored
    report = IngestReport()
    keep = _Store(db, at, settings, report)
    names = [str(p) for p in paths]
    for url in [p for p in names if feeds.is_url(p)]:          # fetched once, nothing remembered
        try:
            got = feeds.fetch(FeedSpec(url))
        except ParseError as exc:
            report.errors.append(exc)
            continue
        for art in got.entries or []:
            keep(art, topic)
        report.errors += got.errors
    for path in readers.expand_paths([p for p in names if not feeds.is_url(p)]):
        _read(path, keep, report, topic=topic)
    for folder in folders:
        _watched(Path(folder), (folder_sources or {}).get(Path(folder)), keep, report,
                 folder_topics.get(Path(folder)), (folder_languages or {}).get(Path(folder)))
    for spec in feed_specs:
        _feed(db, spec, at or now(), base_dir, keep, report)     # `at` was set above: there are feeds
    if report.added or report.updated:
        # The same story from a folder and a feed is one item.
        cluster_recent(db, at=at, touched=report.added + report.updated,
                       window=dt.timedelta(hours=settings.cluster_window_hours))
    return report


def _read(path: Path, keep: _Store, report: IngestReport, outlet: str | None = None,
          topic: str | None = None, lang: str | None = None) -> tuple[int, int]:
    """Every article in one file; returns (stored, bad)."""
    good = bad = 0
    for item in readers.read_path(path, keep.vocabulary):
        if isinstance(item, ParseError):
            report.errors.append(item)
            bad += 1
        elif isinstance(item, str):         # a warning about the file (fields it does not read)
            report.warnings.append(item)
        else:
            item.source = item.source or outlet
            item.language = item.language or lang
            keep(item, topic)
            good += 1
    return good, bad


def _watched(folder: Path, outlet: str | None, keep: _Store, report: IngestReport, topic: str | None = None,
             lang: str | None = None) -> None:
    """New files of a watched folder, each moved to done/ once read (failed/ when nothing in it was)."""
    for path in watch.new_files(folder):
        good, bad = _read(path, keep, report, outlet, topic, lang)
        report.files += 1
        try:
            watch.file_away(folder, path, watch.DONE if good or not bad else watch.FAILED)
        except OSError as exc:
            report.errors.append(ParseError(f"{path}: read, but cannot be moved out of the watched folder "
                                            f"({exc.strerror}); it will be read again",
                                            "Make the folder writable by the scheduler."))


def _feed(db: Database, spec: FeedSpec, at: dt.datetime, base_dir: Path | None, keep: _Store,
          report: IngestReport) -> None:
    """One configured feed, asked only for what changed since its last fetch."""
    state = db.feeds.state(spec.url)
    try:
        got = feeds.fetch(spec, etag=state.etag if state else None, modified=state.modified if state else None,
                          base_dir=base_dir)
    except ParseError as exc:
        db.feeds.record(spec.url, at=at, error=str(exc))
        report.feed_errors.append(exc)
        return
    if got.entries is None:
        db.feeds.record(spec.url, at=at, keep_validators=True)
        report.feeds_unchanged += 1
        return
    for art in got.entries:
        keep(art, spec.topic)
    report.errors += got.errors
    report.feeds += 1
    db.feeds.record(spec.url, at=at, etag=got.etag, modified=got.modified, entries=len(got.entries))
