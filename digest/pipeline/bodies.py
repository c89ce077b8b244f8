"""Render stage of the pipeline: the view of one topic mix (stories, sections, subject), its
rendered Body shared by every subscriber of that mix and window, and one subscriber's message
built from it the plain (stdlib) way. A mix key may name a language ("Europe+World@de",
select.mix_language): its body's frame is in that language, else in the newsletter's (cfg.language),
and so are its topics' names (a label per language, `topics rename --label`).

May import: bounces, clock, compose.message, compose.render, compose.views, config, db, errors, i18n,
lists.tokens, models, resources, selection.freshness, selection.ranking, selection.select, selection.versions,
summarize, and .editions/.topics.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections import OrderedDict
from dataclasses import dataclass

from .. import bounces, i18n, resources, summarize
from ..clock import now
from ..compose import message, render
from ..compose.views import EditionView, ItemView, Rendered, SectionView
from ..config import Config
from ..db import Database
from ..errors import ConfigError
from ..lists import tokens
from ..models import Article, Window, slugify
from ..selection import freshness, ranking, select
from ..selection.versions import also_reported, article_url
from .topics import labels_in

_SCORES: dict[tuple, float] = {}


def _score(a: Article, at: dt.datetime, sources: int) -> float:
    # Every mix that carries an article scores it again: remember it for the edition's window.
    key = (a.id, a.published or a.ingested_at, at, sources, a.summary)
    score = _SCORES.get(key)
    if score is None:
        if len(_SCORES) > 20_000:
            _SCORES.clear()
        score = _SCORES[key] = ranking.article_score(a, at, sources)
    return score


def stories(articles: list[Article], at: dt.datetime) -> list[ranking.Ranked]:
    """The edition's stories in the order it shows them (selection.ranking), best first."""
    return ranking.stories(articles, at, _score)


def _item(cfg: Config, a: Article, others: list[Article], number: int) -> ItemView:
    also, also_as = also_reported(cfg, a, others)
    return ItemView(headline=a.headline, summary=a.summary, url=article_url(cfg, a), source=a.source,
                    author=a.author, published=(a.published or a.ingested_at),
                    also=also, also_as=also_as, number=number)


def _minutes(items: list[ItemView]) -> int:
    """Reading time of what the message shows (headlines and blurbs) at 200 words a minute."""
    words = sum(_words(i.headline) + _words(i.summary if i.brief is None else i.brief) for i in items)
    return max(1, -(-words // 200))


@functools.lru_cache(maxsize=16384)     # the same headlines and blurbs, mix after mix
def _words(text: str) -> int:
    return len(text.split())


@functools.lru_cache(maxsize=4096)
def _preheader(summary: str, language: str) -> str:
    return summarize.preheader(summarize.split_sentences(summary, language), language=language)


# A long edition is laid out compact, so that it fits in a few phone screens: from COMPACT_FROM
# stories on, every story after the top story is a brief: its headline, smaller, and its
# lede sentence only (the text twin, which has no screen to fill, tells it in full). Every story
# is in the body: a digest is read in the email, not clicked through.
COMPACT_FROM = 7


@functools.lru_cache(maxsize=8192)
def _lede(summary: str, language: str | None = None) -> str:
    # A story is in many mixes: split its blurb once, in its own language ("am 6. Dezember" is one sentence).
    sentences = summarize.split_sentences(summary, language or "en")
    return sentences[0] if sentences else summary


def _kept(placed: list, first: Article, ranked: list[Article], cap: int, total: int) -> dict[str, list[Article]]:
    """The stories each topic shows: at most `cap` per topic (the lead counting for its own), and at
    most `total` in the whole edition, in the edition's order; the others are behind "N more"."""
    per_topic = {}
    for topic, leads in placed:
        rest = [a for a in leads if a.id != first.id]
        per_topic[topic] = rest[:cap - (len(rest) < len(leads))]
    allowed = {a.id for keep in per_topic.values() for a in keep}
    best = {a.id for a in [a for a in ranked if a.id in allowed][:total - 1]}
    return {topic: [a for a in keep if a.id in best] for topic, keep in per_topic.items()}


def edition_view(cfg: Config, key: str, day: dt.date, mix: str, articles: list[Article],
                 at: dt.datetime | None = None, *, cap: int | None = None,
                 since: dt.datetime | None = None, special: str | None = None,
                 labels: dict[str, str] | None = None) -> EditionView:
    """_edition_view of the articles fresh enough for the window opening at `since` (none is left out
    without one); view.left_out says what was left out (freshness). A special edition's title is
    its Subject and stands under the masthead. `labels`: each topic's name as the reader calls it
    (labels_in), shown in the sections, the contents and the footer; the slugs stay the topic's."""
    kept, old = freshness.split(articles, since, cfg.max_age_days)
    view = _edition_view(cfg, key, day, mix, freshness.dated(kept, day, cfg.timezone), at, cap=cap,
                         labels=labels or {})
    view.left_out = freshness.left_out_note(old, cfg.max_age_days, cfg.timezone)
    if special and view.stories:
        view.special, view.subject = special, summarize.short_form(special, summarize.SUBJECT_MAX)
    return view


def _edition_view(cfg: Config, key: str, day: dt.date, mix: str, articles: list[Article],
                  at: dt.datetime | None = None, *, cap: int | None = None,
                  labels: dict[str, str] | None = None) -> EditionView:
    """The digest of one topic mix. The first story of the whole edition (selection.ranking: an editor's
    pinned lead, then their priorities, then the machine's score) leads: it opens the body, and the
    subject and preheader are made from it, so what the inbox promises is what the reader sees
    first. The other stories follow in sections (each story once, in the section of its lead
    article; sections in mix order, stories in the edition's order), at most cfg.max_items_per_topic per
    topic (`cap`, else cfg.max_items_per_topic), the lead counting for its own, and at most
    cfg.max_stories in all, the first kept; the rest of a topic become one link to the
    edition's web page, which lists them all."""
    at = at or now()
    cap = cap or cfg.max_items_per_topic
    ordered = stories(articles, at)
    others = {s.lead.id: s.others for s in ordered}
    # select.sections keeps the order it is given, so passing leads best-first orders each section.
    placed = select.sections(mix, [s.lead for s in ordered])
    shown = {a.id for _, leads in placed for a in leads}
    ranked = [s.lead for s in ordered if s.lead.id in shown]
    web_url = f"{cfg.base_url}/archive/{key}"
    label = (labels or {}).get
    names = [label(t, t) for t in select.mix_topics(mix)]
    if not ranked:
        return EditionView(newsletter=cfg.newsletter, edition_key=key, date=day, subject=f"{cfg.newsletter}: {day}",
                           preheader="", sections=[], topics=names, base_url=cfg.base_url,
                           postal_address=cfg.postal_address, web_url=web_url)
    first = ranked[0]
    kept = _kept(placed, first, ranked, cap, cfg.max_stories)
    compact = sum(map(len, kept.values())) + 1 >= COMPACT_FROM
    views = {first.id: _item(cfg, first, others[first.id], 1)}
    sections = []
    for topic, leads in placed:
        rest = [a for a in leads if a.id != first.id]
        keep = kept[topic]
        for a in keep:
            views[a.id] = _item(cfg, a, others[a.id], len(views) + 1)
            if compact:
                views[a.id].brief = _lede(a.summary, a.language)
        slug = slugify(topic)
        if rest:
            sections.append(SectionView(topic=label(topic, topic), slug=slug, items=[views[a.id] for a in keep],
                                        more=len(rest) - len(keep), more_url=f"{web_url}#{slug}"))
    return EditionView(
        newsletter=cfg.newsletter, edition_key=key, date=day,
        subject=summarize.edition_subject([a.headline for a in ranked], translations=i18n.translations(cfg.language)),
        preheader=_preheader(first.summary, first.language or "en"),
        sections=sections, topics=names, base_url=cfg.base_url,
        postal_address=cfg.postal_address, web_url=web_url, lead=views[first.id], stories=len(ranked),
        minutes=_minutes(list(views.values())))


@dataclass
class Body:
    """One rendered body, shared by every subscriber of a topic mix and window."""
    mix: str
    view: EditionView
    rendered: Rendered
    articles: list[Article]
    at: dt.datetime | None = None      # the window's end: the stories' ages are counted to it
    since: dt.datetime | None = None   # the window's start: stories older than max_age_days before it are out


def render_group(db: Database, cfg: Config, key: str, day: dt.date, window: Window) -> Body:
    """The body of one topic mix over one window: by ingest sequence when the delivery fixed one
    (db.articles.between), else by ingest time; `until` also dates the stories' recency."""
    arts = db.articles.between(select.mix_topics(window.mix), window.since, window.until,
                               since_seq=window.since_seq, until_seq=window.until_seq)
    cfg = speaking(cfg, window.mix)
    view = edition_view(cfg, key, day, window.mix, arts, at=window.until, since=window.since,
                        special=db.editions.title_of(key), labels=labels_in(db, cfg.language))
    return Body(window.mix, view, render_view(cfg, view), arts, window.until, window.since)


class Bodies:
    """The bodies of one edition's run, made cheaply mix after mix: the articles of a window are read
    once for every topic (and each mix takes its own from them), and one render.Renderer inlines the
    CSS per kind of element, not per page. Only the last WINDOWS windows' articles are kept; a Body is
    the caller's to keep or drop (EditionRun keeps a bounded number)."""

    WINDOWS = 8

    def __init__(self, db: Database, cfg: Config, key: str, day: dt.date):
        self.db, self.cfg, self.key, self.day = db, cfg, key, day
        self.special = db.editions.title_of(key)
        self.renderer = renderer(cfg)
        self.renderers = {cfg.language: self.renderer}    # and one per other language its mixes speak
        self.windows: OrderedDict[tuple, list[Article]] = OrderedDict()
        self.labels: dict[str, dict[str, str]] = {}     # language -> the topics' names in it, read once a run

    def articles(self, window: Window) -> list[Article]:
        """db.articles.between for the window's mix: the same articles in the same order, filtered
        from the window's articles of every topic."""
        span = (window.since, window.until, window.since_seq, window.until_seq)
        every = self.windows.get(span)
        if every is None:
            names = [t.name for t in self.db.topics.all()]
            every = self.db.articles.between(names, window.since, window.until, since_seq=window.since_seq,
                                             until_seq=window.until_seq)
            self.windows[span] = every
            if len(self.windows) > self.WINDOWS:
                self.windows.popitem(last=False)
        self.windows.move_to_end(span)
        mine = set(select.mix_topics(window.mix))
        return [a for a in every if not mine.isdisjoint(a.topics)]

    def body(self, window: Window, *, text: bool = True) -> Body:
        """The window's Body; without `text`, its html only (a size check's)."""
        arts = self.articles(window)
        cfg = speaking(self.cfg, window.mix)
        labels = self.labels.get(cfg.language)
        if labels is None:
            labels = self.labels[cfg.language] = labels_in(self.db, cfg.language)
        view = edition_view(cfg, self.key, self.day, window.mix, arts, at=window.until, since=window.since,
                            special=self.special, labels=labels)
        made = self.renderers.get(cfg.language) or self.renderers.setdefault(cfg.language, renderer(cfg))
        return Body(window.mix, view, render_view(cfg, view, made, text=text), arts)


def speaking(cfg: Config, mix: str) -> Config:
    """The configuration a mix's body is rendered with: the newsletter's, in the mix's language if it names one."""
    language = select.mix_language(mix)
    return cfg if language is None or language == cfg.language else dataclasses.replace(cfg, language=language)


def renderer(cfg: Config) -> render.Renderer:
    """A Renderer over the configured templates (a template dir first, the built-in ones last)."""
    return render.Renderer([cfg.templates_dir] if cfg.templates_dir else None, language=cfg.language)


def render_view(cfg: Config, view: EditionView, renderer: render.Renderer | None = None, *,
                text: bool = True) -> Rendered:
    """render.render_mix with the configured templates (through `renderer` when given: the same
    bytes, faster); a template that is missing or broken is a ConfigError naming the file, never a
    traceback."""
    import jinja2
    dirs = [cfg.templates_dir] if cfg.templates_dir else []
    try:
        if renderer is not None:
            return renderer.render(view, text=text)
        return render.render_mix(view, template_dirs=dirs or None, language=cfg.language)
    except jinja2.TemplateNotFound as exc:
        search = ", ".join(str(d) for d in [*dirs, resources.folder("templates")])
        raise ConfigError(f"Template {exc.name} was not found (searched {search}).",
                          "Restore it, or point DIGEST_TEMPLATES (templates_dir) at a folder that has it.") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"Template {exc.filename or exc.name}, line {exc.lineno}: {exc.message}.",
                          "Fix the template; `digest preview` shows the result.") from exc
    except jinja2.TemplateError as exc:
        raise ConfigError(f"The templates could not be rendered: {exc.message or type(exc).__name__}.",
                          "Fix the template; `digest -v preview` shows where.") from exc


def unsubscribe_mailto(cfg: Config, edition_id: int, subscriber_id: int) -> str | None:
    """The subscriber's own List-Unsubscribe mailto (the configured one with a token naming them),
    or None when none is configured. Edition 0: a test copy or a preview."""
    if not cfg.unsubscribe_mailto:
        return None
    return bounces.unsubscribe_mailto(cfg.secret, edition_id, subscriber_id, cfg.unsubscribe_mailto)


def feedback_id(cfg: Config, edition_key: str) -> str | None:
    """Feedback-ID for Gmail's feedback loop: the configured pattern, or None when it is ""."""
    return cfg.feedback_id.format(edition=edition_key, newsletter=slugify(cfg.newsletter)) if cfg.feedback_id else None


def personal_message(cfg: Config, body: Body, *, subscriber_id: int, email: str, name: str | None,
                     message_id: str, test: bool = False, date: dt.datetime | None = None,
                     edition_id: int = 0) -> bytes:
    unsub = tokens.url(cfg.base_url, cfg.secret, "unsubscribe", subscriber_id)
    prefs = tokens.url(cfg.base_url, cfg.secret, "preferences", subscriber_id)
    html, text = render.personalize(body.rendered, unsubscribe_url=unsub, preferences_url=prefs,
                                    email=email, name=name)
    env = message.Envelope(sender=cfg.sender, to_email=email, to_name=name, subject=body.rendered.subject,
                           message_id=message_id, date=date or now(), list_id=cfg.list_id, unsubscribe_url=unsub,
                           unsubscribe_mailto=unsubscribe_mailto(cfg, edition_id, subscriber_id), test=test,
                           list_archive=body.view.web_url, feedback_id=feedback_id(cfg, body.view.edition_key),
                           language=body.rendered.language)
    return message.to_bytes(message.build(env, html=html, text=text))
