"""JSON Lines articles: one object per line (title, body|content, labels|topics|categories, url,
source, published, caption, sources, author, bio, description|standfirst, language; README lists their types). The title may be missing: the digest then writes a headline from
the lede. Every field read is checked for its type: JSON from elsewhere can hold anything, and
nothing of a wrong type may reach the store.
May import: errors, models, .clean, .dates and .language.
"""

from __future__ import annotations

import datetime as dt

from ..errors import ParseError
from ..models import ParsedArticle
from .clean import is_junk_title
from .dates import date_from_text
from .language import normalize

TEXT_FIELDS = ("title", "body", "content", "url", "source", "caption", "sources", "author", "bio", "published",
               "description", "standfirst", "language")
LABEL_FIELDS = ("labels", "topics", "categories")
KNOWN_FIELDS = TEXT_FIELDS + LABEL_FIELDS
# Fields other exports put the body in: named in the error, so the writer knows what to rename.
BODY_ELSEWHERE = ("text", "article", "article_body", "articleBody", "story", "html", "full_text", "content_html")


def _check_fields(obj: dict, origin: str) -> None:
    """Every field we read has the type we expect, else ParseError `FILE:LINE: field "x" must be ...`:
    JSON from elsewhere can hold anything, and nothing of a wrong type may reach the store."""
    for name in TEXT_FIELDS:
        value = obj.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ParseError(f'{origin}: field "{name}" must be a string (got {_json_type(value)})')
        _check_unicode(value, name, origin)
    for name in LABEL_FIELDS:
        value = obj.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            _check_unicode(value, name, origin)
        elif isinstance(value, list) and all(isinstance(x, str) for x in value):
            for x in value:
                _check_unicode(x, name, origin)
        else:
            raise ParseError(f'{origin}: field "{name}" must be a string or a list of strings (got {_json_type(value)})')


def _check_unicode(value: str, name: str, origin: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ParseError(f'{origin}: field "{name}" is not valid text (it holds an unpaired surrogate, '
                         r"such as \ud800)") from None


def _json_type(value: object) -> str:
    return {bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "an object"}.get(
        type(value), type(value).__name__)


def parse_json_article(obj: object, *, origin: str) -> ParsedArticle:
    if not isinstance(obj, dict):
        raise ParseError(f"{origin}: expected a JSON object per line (got {_json_type(obj)})")
    _check_fields(obj, origin)
    title = (obj.get("title") or "").strip()
    body = (obj.get("body") or obj.get("content") or "").strip()
    if not body:
        elsewhere = [k for k in BODY_ELSEWHERE if isinstance(obj.get(k), str) and obj[k].strip()]
        if elsewhere:
            raise ParseError(f'{origin}: no "body" or "content" field; "{elsewhere[0]}" is not read',
                             f'Rename "{elsewhere[0]}" to "body" (the title is optional).')
        if "body" not in obj and "content" not in obj:
            raise ParseError(f'{origin}: no body text (no "body" or "content" field)',
                             "Give each line a `body` (the title is optional).")
        raise ParseError(f"{origin}: no body text", "Give each line a `body` (the title is optional).")
    if title and is_junk_title(title):
        raise ParseError(f"{origin}: the title {title[:60]!r} is only markup or unexpanded entities, no words",
                         "Give the title as plain text (decode &amp; and the like before export).")
    labels = obj.get("labels") or obj.get("topics") or obj.get("categories") or []
    if isinstance(labels, str):
        labels = [x.strip() for x in labels.split(";") if x.strip()]
    published = None
    if obj.get("published"):
        try:
            published = dt.datetime.fromisoformat(obj["published"].replace("Z", "+00:00"))
            if published.tzinfo is None:
                published = published.replace(tzinfo=dt.timezone.utc)
            published = published.astimezone(dt.timezone.utc)
        except (ValueError, OverflowError):
            raise ParseError(f'{origin}: field "published" is not an ISO-8601 date: {obj["published"]!r}') from None
    opt = lambda name: (obj.get(name) or "").strip() or None  # noqa: E731  (blank is absent: "  " is no URL)
    published = published or date_from_text(body, caption=opt("caption"))
    language = normalize(obj["language"]) if opt("language") else None
    if opt("language") and language is None:
        raise ParseError(f'{origin}: field "language" is not a language tag: {obj["language"]!r}',
                         'Give the ISO 639 code of the article\'s language, such as "de", "fr" or "pt-BR".')
    return ParsedArticle(
        title=title, body=body, labels=[x.strip() for x in labels if x.strip()], caption=opt("caption"),
        sources=opt("sources"), author=opt("author"), bio=opt("bio"), url=opt("url"),
        source=opt("source"), published=published, origin=origin,
        description=opt("description") or opt("standfirst"), language=language)
