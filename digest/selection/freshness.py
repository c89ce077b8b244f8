"""Stale stories: which articles are too old for an edition's window, and how a blurb of an old
story names its days. An article published (else ingested) more than max_age_days before the
window opened is left out; a kept story more than OLD_DAYS older than the edition gets its relative
weekdays ("on Thursday") written as dates ("on 26 November"), since the reader cannot know which
Thursday is meant. Pure: plain values in and out, at render time; the stored summary is never
rewritten, and an editor's override is left as the editor wrote it.
May import: models, plural, readers.dates.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import zoneinfo

from ..models import Article
from ..plural import plural
from ..readers.dates import find_date

OLD_DAYS = 5          # a story older than this (against the edition's date) gets dates, not weekdays
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_DAY = "|".join(_WEEKDAYS)
# "on Thursday (night)", "last Tuesday", "overnight into Tuesday", "next Friday", a bare weekday
# after a verb ("said Thursday") and a possessive ("Tuesday's runoff": "the 17 November runoff").
_RELATIVE = re.compile(
    rf"\b(?:(?P<lead>[Oo]n|[Ll]ast|[Nn]ext|[Tt]his(?: past)?|[Oo]vernight into|[Ll]ate on|[Ee]arly on)\s+)?"
    rf"(?P<day>{_DAY})(?:(?P<own>['’]s)|\s+(?P<part>morning|afternoon|evening|night))?\b")
# A future marker shortly before the weekday: "will vote on Thursday" is the Thursday after publication.
_FUTURE = re.compile(r"\b(?:will|'ll|shall|due|expected|scheduled|set to|plans? to|is to|are to|would)\b[^.;]{0,40}$",
                     re.I)
_PREPOSITIONS = {"between", "and", "or", "to", "from", "until", "till", "since", "by", "before", "after", "through",
                 "into", "of", "for"}


def published(a: Article) -> dt.datetime | None:
    """The date that makes an article old: its published date, else when it was ingested."""
    return a.published or a.ingested_at


def cutoff(since: dt.datetime | None, max_age_days: int) -> dt.datetime | None:
    """The oldest date an edition of the window opening at `since` still takes."""
    return None if since is None else since - dt.timedelta(days=max_age_days)


def split(articles: list[Article], since: dt.datetime | None,
          max_age_days: int) -> tuple[list[Article], list[Article]]:
    """(kept, left out): left out is every article dated before cutoff(since, max_age_days)."""
    limit = cutoff(since, max_age_days)
    if limit is None:
        return articles, []
    kept: list[Article] = []
    old: list[Article] = []
    for a in articles:
        when = published(a)
        (old if when is not None and when < limit else kept).append(a)
    return kept, old


def left_out_note(old: list[Article], max_age_days: int, tz: str = "UTC") -> str | None:
    """What the preview says about the stories left out: "2 stories left out: older than 3 days
    before the edition's window (published 16 Nov, 18 Nov)". Several reports of one story count once."""
    if not old:
        return None
    stories = {a.cluster_id if a.cluster_id is not None else -a.id for a in old}
    days = sorted({_local(when, tz) for a in old if (when := published(a)) is not None})
    shown = ", ".join(f"{d.day} {_MONTHS[d.month - 1][:3]}" for d in days[:6]) + (", …" if len(days) > 6 else "")
    n = len(stories)
    return (f"{plural(n, 'story', 'stories')} left out: older than {plural(max_age_days, 'day', 'days')} "
            f"before the edition's window (published {shown}); "
            "[digest] max_age_days sets the limit.")


def _local(at: dt.datetime, tz: str) -> dt.date:
    return (at.astimezone(zoneinfo.ZoneInfo(tz)) if at.tzinfo else at).date()


def dated(articles: list[Article], day: dt.date, tz: str = "UTC") -> list[Article]:
    """The articles as an edition of `day` shows them: a story more than OLD_DAYS old whose blurb
    is the machine's gets its relative weekdays as dates (a copy; the article itself is unchanged).
    An editor's override is theirs: it is left as they wrote it."""
    zone = zoneinfo.ZoneInfo(tz)
    # Older than OLD_DAYS days by the edition's calendar: published before this local midnight.
    old = dt.datetime.combine(day - dt.timedelta(days=OLD_DAYS), dt.time(), zone)
    out = []
    for a in articles:
        when = published(a)
        if when is None or a.summary_override or when >= (old if when.tzinfo else old.replace(tzinfo=None)):
            out.append(a)
            continue
        # Every mix of a window that carries the article dates it again: keep its copy for the
        # edition (keyed by the very object, which the entry holds so that its id is not reused).
        key = (id(a), day, tz)
        kept = _DATED.get(key)
        if kept is None or kept[0] is not a:
            if len(_DATED) > 20_000:
                _DATED.clear()
            summary = dated_text(a.summary, _local(when, tz), same_day_only=_photo_dated(a, when))
            kept = _DATED[key] = (a, a if summary == a.summary else dataclasses.replace(a, summary=summary))
        out.append(kept[1])
    return out


_DATED: dict[tuple, tuple[Article, Article]] = {}


def _photo_dated(a: Article, when: dt.datetime) -> bool:
    """The article's date is its photo caption's (readers.dates takes it when nothing better is
    given): the photo may be days older than the text. The photo's own weekday is its date (the
    event pictured), but another weekday counted back from it could be a wrong date, which is worse
    than an unclear one."""
    return a.caption is not None and (d := find_date(a.caption, when)) is not None and d.date() == when.date()


@functools.lru_cache(maxsize=4096)
def dated_text(text: str, pub: dt.date, same_day_only: bool = False) -> str:
    """Relative weekdays in `text` written as the dates they meant for a story published on `pub`:
    the weekday on or before publication ("last" one: strictly before), or after it when the
    sentence speaks of the future ("will meet on Thursday", "next Thursday")."""
    def date_of(m: re.Match) -> str:
        lead = (m.group("lead") or "").lower()
        before = text[:m.start()]
        wanted = _WEEKDAYS.index(m.group("day"))
        if same_day_only and (wanted != pub.weekday() or lead in ("last", "next")):
            return m.group(0)
        if lead == "next" or (lead in ("", "on", "this") and _FUTURE.search(before)):
            gap = (wanted - pub.weekday()) % 7 or 7
        else:
            gap = -((pub.weekday() - wanted) % 7 or (7 if lead == "last" else 0))
        d = pub + dt.timedelta(days=gap)
        when, part, start = f"{d.day} {_MONTHS[d.month - 1]}", m.group("part"), m.group("lead") or ""
        if lead.startswith(("overnight", "late", "early")):
            return f"{start} {when}" if not part else f"{start.split()[0]} on the {part} of {when}"
        if m.group("own"):                           # "Tuesday's mayoral runoff": "the 17 November mayoral runoff"
            if lead and lead not in ("last", "next", "this", "this past"):   # "on Tuesday's vote": keep "on"
                return f"{start} the {when}"
            out = f"the {when}"
            opens = start[:1].isupper() or not before.strip() or before.rstrip().endswith((".", "!", "?"))
            return out[:1].upper() + out[1:] if opens else out
        prev = before.split()[-1].lower().strip(",(") if before.split() else ""
        if prev in _PREPOSITIONS:                    # "between Monday and Wednesday", "since last Tuesday"
            return f"the {part} of {when}" if part else when
        out = f"on the {part} of {when}" if part else f"on {when}"
        # "On Thursday" stays capitalised; a bare weekday is only at a sentence's start ("Thursday, police said").
        opens = start[:1].isupper() if start else (not before.strip() or before.rstrip().endswith((".", "!", "?")))
        return out[:1].upper() + out[1:] if opens else out
    return _RELATIVE.sub(date_of, text)
