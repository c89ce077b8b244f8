"""The editor's preview (`digest preview`, the preview web app, the demo's preview files): the real
message a subscriber or topic mix would get, linted, and the list of mixes to choose from.
Nothing is sent or recorded.
May import: clock, config, db, errors, compose.lint, compose.message, models, plural, compose.render, selection.freshness,
selection.ranking, selection.select, and .bodies/.editions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..clock import now
from ..compose import lint as lint_mod  # the preview's lint summary
from ..compose import message, render
from ..config import Config
from ..db import Database
from ..errors import DigestError
from ..models import Subscriber, Window
from ..plural import plural
from ..selection import freshness, ranking, select
from .bodies import Body, edition_view, personal_message, render_group, stories
from .editions import Plan, edition_key, local_today


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
    notes: list[str] = field(default_factory=list)    # why a subscriber would get nothing, said plainly
    ranking: list[str] = field(default_factory=list)  # the stories in the edition's order, and why

    @property
    def stories(self) -> int:
        return self.body.view.stories


def preview_message(db: Database, cfg: Config, *, topics: list[str] | None = None, email: str | None = None,
                    frequency: str = "daily", at: dt.datetime | None = None, include_sent: bool = False) -> Preview:
    """Build the real message for a subscriber or a topic mix (nothing is sent or recorded) and lint
    the parts read back from it, so the preview judges what the reader's client would get.

    It shows the stories no digest has carried yet (a subscriber's: none sent to them), unless
    `include_sent`; when today's edition has gone out, they are the next edition's, and it says so."""
    from email import message_from_bytes, policy
    at = at or now()
    key, edition_note = _which_edition(db, cfg, frequency, at, email, include_sent)
    body, sub = groups_for_preview(db, cfg, topics=topics, email=email, frequency=frequency, at=at, key=key,
                                   include_sent=include_sent)
    sid = sub.id if sub else 0
    data = personal_message(cfg, body, subscriber_id=sid, email=sub.email if sub else "preview@" + cfg.domain,
                            name=sub.name if sub else None,
                            message_id=message.message_id(body.view.edition_key, sid, cfg.domain))
    msg = message_from_bytes(data, policy=policy.default)
    html_part, text_part = msg.get_body(preferencelist=("html",)), msg.get_body(preferencelist=("plain",))
    html = html_part.get_content() if html_part is not None else ""
    text = text_part.get_content() if text_part is not None else None
    view = body.view
    headlines = [i.headline for i in ([view.lead] if view.lead else []) + [i for s in view.sections for i in s.items]]
    report = lint_mod.lint(html, text, headlines=headlines)
    if view.left_out:              # an editor may miss a story they expected: say why it is not there
        report.warnings.append(view.left_out)
        report.ok = False
    p = Preview(body, sub, data, html, text, report, ranking=ranking_lines(cfg, body))
    p.notes = [edition_note] if edition_note else []
    if sub is not None:
        p.notes += _notes(db, sub, p.stories)
    return p


def ranking_lines(cfg: Config, body: Body) -> list[str]:
    """The body's stories in the edition's order, each with why it is there (an editor's preview)."""
    at = body.at or now()
    kept, _ = freshness.split(body.articles, body.since, cfg.max_age_days)
    return [f"{n}. #{s.lead.id} {s.lead.headline}: {ranking.why(s, at)}"
            for n, s in enumerate(stories(kept, at), 1)]


def _which_edition(db: Database, cfg: Config, frequency: str, at: dt.datetime, email: str | None,
                   include_sent: bool) -> tuple[str, str | None]:
    """The key of the edition a preview shows, and what the editor must know about it: today's, or,
    once today's went out (to this subscriber), the next one's, which the stories since belong to."""
    day = local_today(cfg, at)
    key = edition_key(frequency, day)
    if email:
        _, recent = db.deliveries.of_subscriber(db.subscribers.get(email).id, last=1)
        went = bool(recent) and recent[0].edition_key == key
    else:
        went = bool(db.editions.sent(key, limit=1))
    if not went:
        return key, None
    if include_sent:
        return key, f"Edition {key} went out already; --include-sent shows its stories again with the newer ones."
    following = edition_key(frequency, day + dt.timedelta(days=7 if frequency == "weekly" else 1))
    return following, (f"Edition {key} went out already: this shows the stories since, which go in the next "
                       f"edition ({following}) or in a special edition now (digest send --special \"TITLE\"). "
                       "--include-sent shows the stories already sent too.")


def _notes(db: Database, sub: Subscriber, stories: int) -> list[str]:
    """What the editor must know before reading a subscriber's preview as what they will get."""
    notes = []
    if sub.status != "active":
        notes.append(f"{sub.email} is {sub.status}: no digest goes to them. This preview shows what their topics "
                     "would hold.")
    if stories == 0:
        mark = db.editions.watermark(sub.id)
        if mark is not None:
            _, recent = db.deliveries.of_subscriber(sub.id, last=1)
            last = f" (edition {recent[0].edition_key})" if recent else ""
            notes.append(f"{sub.email} has already been sent every article up to {mark:%Y-%m-%d %H:%M} UTC{last}; "
                         "nothing new has arrived in their topics since, so no digest would be sent now.")
        else:
            notes.append(f"No article in {sub.email}'s topics arrived in the window of a first digest, so no "
                         "digest would be sent now.")
    return notes


@dataclass
class MixInfo:
    """A topic mix the preview lists: how many active subscribers get exactly it, and how many
    stories its edition due now would show (a story told by several sources counts once)."""
    mix: str
    topics: list[str]
    subscribers: int
    stories: int


def preview_mixes(db: Database, cfg: Config, *, frequency: str = "daily",
                  at: dt.datetime | None = None) -> list[MixInfo]:
    """Every distinct mix of the active subscribers (most subscribed first), then each single
    topic that is not already one of them."""
    at = at or now()
    counts: dict[str, int] = {}
    for sub in db.subscribers.listed(status="active"):
        if sub.topics:
            key = select.mix_key(sub.topics)
            counts[key] = counts.get(key, 0) + 1
    mixes = sorted(counts, key=lambda k: (-counts[k], k.lower()))
    mixes += [t.name for t in db.topics.all() if t.name not in counts]
    since, day = at - select.FIRST_WINDOW[frequency], local_today(cfg, at)
    out = []
    for m in mixes:
        # The edition's view, without rendering it: cheap enough for every mix on one page.
        view = edition_view(cfg, edition_key(frequency, day), day, m,
                            db.articles.between(select.mix_topics(m), since, at), at=at, since=since)
        out.append(MixInfo(m, select.mix_topics(m), counts.get(m, 0), view.stories))
    return out


def preview_mix(db: Database, cfg: Config, mix: str, *, frequency: str = "daily") -> Preview:
    """The preview of one topic mix written as its key ("Europe+World")."""
    return preview_message(db, cfg, topics=select.mix_topics(mix), frequency=frequency)


def mix_file_name(mix: str) -> str:
    """A topic mix as a file name: "Europe+World" -> "europe-world"."""
    return select.mix_key(select.mix_topics(mix)).replace("+", "-").lower()


def sent_previews(db: Database, cfg: Config, plan: Plan) -> dict[str, str]:
    """One HTML page per topic mix of an edition, as its subscribers received it (the demo's
    preview files): file name -> html."""
    out: dict[str, str] = {}
    seen = set()
    for d in db.deliveries.listed(plan.edition_id):
        key = (d.mix, d.since, d.until)
        if key in seen:
            continue
        seen.add(key)
        body = render_group(db, cfg, plan.key, plan.date, d.window)
        html, _ = render.personalize(body.rendered, unsubscribe_url=f"{cfg.base_url}/u/preview",
                                     preferences_url=f"{cfg.base_url}/p/preview", email="", name=None)
        out[f"preview-{d.mix.replace('+', '-').lower()}.html"] = html
    return out


def lint_summary(report: lint_mod.LintReport) -> str:
    """`23.4 KiB of 102 KiB, 0 warnings`: the figure an editor watches as stories are added."""
    n = len(report.warnings)
    return (f"{report.size_bytes / 1024:.1f} KiB of {lint_mod.CLIP_BYTES // 1024} KiB, "
            f"{plural(n, 'warning', 'warnings')}")


def groups_for_preview(db: Database, cfg: Config, *, topics: list[str] | None = None, email: str | None = None,
                       frequency: str = "daily", at: dt.datetime | None = None, key: str | None = None,
                       include_sent: bool = True) -> tuple[Body, Subscriber | None]:
    """What a subscriber (or a topic mix) would receive in the edition due now (or `key`). A topic
    mix's window is the last day (or week); without `include_sent`, it leaves out the stories some
    digest has carried already. A subscriber's starts where their last digest ended (with
    `include_sent`: a first digest's window, as if nothing had been sent to them)."""
    at = at or now()
    day = local_today(cfg, at)
    sub = None
    seqs: dict = {}
    if email:
        sub = db.subscribers.get(email)
        mix_list = sub.topics
        since, until = select.window(sub, None if include_sent else db.editions.watermark(sub.id), at)
        # The window the next send would plan: from their last digest, by ingest sequence.
        mark = None if include_sent else db.editions.seq_watermarks([sub.id]).get(sub.id)
        seqs = {"since_seq": mark if mark is not None else db.articles.seq_after(since),
                "until_seq": db.articles.last_seq()}
    else:
        names = [db.topics.get(t).name for t in topics] if topics else [t.name for t in db.topics.all()]
        mix_list = names
        since, until = at - select.FIRST_WINDOW[frequency], at
        if not include_sent and (sent := db.editions.sent_seq()) is not None:
            seqs = {"since_seq": max(sent, db.articles.seq_after(since)), "until_seq": db.articles.last_seq()}
    if not mix_list:
        raise DigestError("Nothing to preview: no topics.", "Pass --topic T or --subscriber EMAIL.")
    mix = select.subscriber_mix(sub, cfg.language) if sub is not None else select.mix_key(mix_list)
    body = render_group(db, cfg, key or edition_key(frequency, day), day, Window(mix, since, until, **seqs))
    return body, sub
