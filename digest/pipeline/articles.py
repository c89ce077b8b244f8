"""Articles after they are stored: one story told by several sources clustered into one, the
machine's headlines and blurbs rewritten (resummarize), and what editors do by hand: read one
article with where its blurb came from, override its text, remove it.
May import: clock, selection.cluster, config, db, errors, compose.lint, models, page, plural, readers.clean, summarize.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .. import summarize
from ..clock import now
from ..compose.lint import LONG_HEADLINE
from ..config import SummarySettings
from ..db import Database
from ..errors import DigestError
from ..models import Article, ArticleText, BodyIndex, MachineSummary, Removal
from ..page import Page
from ..plural import plural
from ..readers import clean
from ..selection import cluster as clusters
from ..summarize import standfirst

CLUSTER_DAYS = 14       # how far back (by ingest time) a new article looks for other reports of its story


def summarize_article(title: str, body: str, outlet: str | None, df: summarize.DocFreq,
                      settings: SummarySettings, description: str | None = None, *,
                      language: str | None = None) -> tuple[summarize.Summary, str]:
    """The machine's headline and blurb, and where the blurb came from: the outlet's standfirst
    when it stands alone as news ("standfirst"), else the body ("lede"). A standfirst that cannot
    be the blurb still points at the body paragraph it summarizes, which the lede then starts from.
    Sentences are read in the article's `language` (None: English, as before m018)."""
    lang = language or "en"
    s = summarize.summarize(title, body, df=df, max_words=settings.max_words, language=lang,
                            max_sentences=settings.max_sentences, outlet=outlet, site_names=settings.site_names)
    if not description:
        return s, "lede"
    cleaned, _ = clean.clean_text(description)
    text = standfirst.as_blurb(cleaned, title=title, max_words=settings.max_words,
                               max_sentences=settings.max_sentences, language=lang)
    if text and not _same_words(text, s.summary):
        return summarize.Summary(s.headline, text, []), "standfirst"
    near = standfirst.closest(cleaned, body, language=lang)
    paras = clean.paragraphs(body)
    first = s.sentences[0] if s.sentences else 0
    before = [len(summarize.split_sentences(p, lang)) for p in paras]
    lede_para = next((k for k in range(len(paras)) if sum(before[:k + 1]) > first), 0)
    if near is not None and near > lede_para:
        text, picked = summarize.blurb("\n\n".join(paras[near:]), df=df, max_sentences=settings.max_sentences,
                                       max_words=settings.max_words, language=lang)
        if text:
            return summarize.Summary(s.headline, text, [i + sum(before[:near]) for i in picked]), "lede"
    return s, "lede"


def _same_words(a: str, b: str) -> bool:
    return re.sub(r"\W+", " ", a.lower()).strip() == re.sub(r"\W+", " ", b.lower()).strip()


def body_index(body: str) -> BodyIndex:
    """What the corpus counts of a body: its paragraphs' fingerprints (boilerplate) and its
    distinct terms (the summarizer's document frequencies)."""
    return BodyIndex(clusters.fingerprints(body), set(summarize.terms(body)))


def doc_freq(db: Database, body: str) -> summarize.DocFreq:
    """Document frequencies of `body`'s terms over the store with `body` counted in, as if it were
    stored: what the summarizer weighs an arriving article's words by."""
    ts = set(summarize.terms(body))
    got = db.corpus.doc_freq(ts)
    return summarize.DocFreq(db.corpus.live() + 1, {t: got.get(t, 0) + 1 for t in ts})


def cluster_recent(db: Database, *, at: dt.datetime | None = None, touched: Iterable[int] = (),
                   days: int = CLUSTER_DAYS, window: dt.timedelta = clusters.WINDOW) -> dict[int, int | None]:
    """Group the `touched` articles (just stored or edited) with the other reports of their
    stories and write the cluster ids of everything compared: the smallest article id of a group,
    None when alone.

    Only the neighbourhood is read, never the archive: the articles ingested in the last `days`
    and published within `window` of a touched one (only those can be its story), plus the
    other members of the stories they are in, so a group is judged whole. Within that batch,
    clusters.cluster compares only documents sharing rare terms. Boilerplate comes from the
    store's paragraph counts (db.corpus). Older articles keep the cluster they had: a story is
    only news for a couple of weeks."""
    since = (at or now()) - dt.timedelta(days=days)
    new = db.articles.texts_of(touched)
    if not new:
        return {}
    times = [a.published or a.ingested_at for a in new]
    near = db.articles.near(since, min(times) - window, max(times) + window)
    stories = {a.cluster_id for a in near if a.cluster_id is not None}
    batch = db.articles.texts_of({a.id for a in new} | {a.id for a in near} | set(db.articles.cluster_mates(since, stories)))
    common = db.corpus.common(set().union(*(clusters.fingerprints(a.body) for a in batch)), clusters.BOILERPLATE_DOCS)
    assignments: dict[int, int | None] = {}
    for group in clusters.cluster([_doc(a) for a in batch], window=window, common=common):
        for article_id in group:
            assignments[article_id] = group[0] if len(group) > 1 else None
    db.articles.set_clusters(assignments)
    return assignments


def _doc(a: ArticleText) -> clusters.Doc:
    return clusters.Doc(a.id, a.title, a.body, a.published or a.ingested_at)


@dataclass
class ResummaryReport:
    checked: int = 0
    changed: list[int] = field(default_factory=list)
    overridden: list[int] = field(default_factory=list)   # changed underneath an editor's override


def resummarize(db: Database, ids: Iterable[int] | None = None, *,
                settings: SummarySettings | None = None) -> ResummaryReport:
    """Rewrite the machine's headline and summary of `ids` (all articles when None) with document
    frequencies from the whole store (its counts, db.corpus), in one transaction. Editor overrides live in their own
    columns and are never touched, so the digest keeps printing them."""
    rows = db.articles.machine_summaries(ids)
    df = summarize.DocFreq(db.corpus.live(), db.corpus.doc_freq())
    report, writes = ResummaryReport(), []
    for row in rows:
        s, source = summarize_article(row.title, row.body, row.source, df, settings or SummarySettings(),
                                      row.description, language=row.language)
        report.checked += 1
        if (s.headline, s.summary, s.sentences, source) != (row.headline, row.summary, row.sentences,
                                                             row.summary_source):
            writes.append((row.id, s.headline, s.summary, s.sentences, source))
            report.changed.append(row.id)
            if row.has_override:
                report.overridden.append(row.id)
    if writes:
        db.articles.set_summaries(writes)
    return report


# ---- what editors do by hand ------------------------------------------------------------------

def articles(db: Database, topic: str | None = None) -> list[Article]:
    """Every article not removed (of one topic), oldest first."""
    return db.articles.live(db.topics.get(topic).id if topic else None)


def article_listing(db: Database, *, topic: str | None = None, no_topic: bool = False,
                    since: dt.datetime | None = None, limit: int | None = 50) -> Page[Article]:
    """The newest `limit` articles not removed (None: all), of one topic or of none, ingested
    at or after `since`; the rows are read as they are iterated."""
    return db.articles.page(topic_id=db.topics.get(topic).id if topic else None, no_topic=no_topic,
                            since=since, limit=limit)


@dataclass
class ArticleDetail:
    article: Article
    machine: MachineSummary                 # what the machine wrote (printed unless overridden)
    sentences: list[tuple[int, str]]        # (index in the body, text) of the sentences the blurb took
    total_sentences: int
    others: list[Article]                   # the other reports of the same story


def article_detail(db: Database, article_id: int) -> ArticleDetail:
    a = db.articles.get(article_id)
    others = [o for o in db.articles.cluster(a.cluster_id) if o.id != a.id] if a.cluster_id else []
    [machine] = db.articles.machine_summaries([a.id])
    sentences = summarize.split_sentences(a.body, a.language or "en")
    picked = [(i, sentences[i]) for i in machine.sentences if 0 <= i < len(sentences)]
    return ArticleDetail(a, machine, picked, len(sentences), others)


def edit_article(db: Database, article_id: int, *, headline: str | None = None, summary: str | None = None,
                 clear: bool = False) -> tuple[Article, str | None]:
    """An editor's headline or blurb ("" or `clear`: back to the machine's); returns the article and a
    warning when the headline is long enough to wrap or be cut in a subject line."""
    if clear:
        headline = summary = ""
    headline = " ".join(headline.split()) if headline is not None else None
    summary = " ".join(summary.split()) if summary is not None else None
    db.editing.set_override(article_id, headline=headline, summary=summary)
    warning = None
    if headline and len(headline) > LONG_HEADLINE:
        warning = (f"the headline of article {article_id} is {len(headline)} characters, over {LONG_HEADLINE}; "
                   "it is saved, but may wrap or be cut in the subject line.")
    return db.articles.get(article_id), warning


def rank_article(db: Database, article_id: int, *, lead: bool | None = None,
                 priority: int | None = None) -> tuple[Article, Article | None]:
    """An editor's ranking: `lead` pins the article as the lead of the next edition that carries it
    (False unpins it), `priority` orders it within its topic (1 first; 0 goes back to the machine's
    score). Returns the article and the one the lead pin moved from, if any."""
    if priority is not None and priority < 0:
        raise DigestError(f"--priority {priority}: a priority is 1 or more (1 comes first), or 0 to drop it.")
    moved = None
    if priority is not None:
        db.editing.set_priority(article_id, priority or None)
    if lead is not None:
        moved = db.editing.pin_lead(article_id, lead)
    return db.articles.get(article_id), moved


def pinned_lead(db: Database) -> Article | None:
    """The article an editor pinned as the lead, if any."""
    return db.editing.pinned()


def file_article(db: Database, article_id: int, topic: str) -> Article:
    """File one article under one more topic by hand (one ingested without labels, say)."""
    name = db.topics.get(topic).name
    db.articles.file_under(article_id, name)
    return db.articles.get(article_id)


def removal_preview(db: Database, ids: Iterable[int]) -> list[Removal]:
    """Per article: removed already, or the sent editions that carried it (their archives keep it)."""
    return db.articles.removal_preview(ids)


def remove_articles(db: Database, found: list[Removal], *, asked: Iterable[int], yes: bool = False) -> int:
    """Take the articles not removed yet out of every later digest, preview and listing; without
    `yes`, raise saying how many would go. Returns how many were removed."""
    live = [a.id for a in found if a.removed_at is None]
    if live and not yes:
        raise DigestError(f"Would remove {plural(len(live), 'article', 'articles')} from every later digest.",
                          f"Pass --yes to remove: digest articles remove {' '.join(map(str, asked))} --yes")
    return db.articles.remove(live, index_of=body_index) if live else 0
