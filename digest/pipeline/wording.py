"""What the subscriber pages and the confirmation mail say, in the reader's language: the catalogs
(digest.i18n) the faces render with, the language a subscriber reads, and the preference and sign-up
forms' values checked, each problem worded in that language (the English msgids are the sentences
the pages said before they spoke other languages).
May import: errors, i18n, matching, models, lists.subscriber_fields.
"""

from __future__ import annotations

import datetime as dt
import gettext

from .. import i18n
from ..errors import InvalidAddress, ParseError
from ..lists.subscriber_fields import check_time, normalize_email
from ..matching import canonical_zone, zone_suggestions
from ..models import FREQUENCIES, Subscriber

DEFAULT = i18n.DEFAULT


def languages() -> tuple[str, ...]:
    """Every language the pages and emails can speak, English first."""
    return i18n.shipped()


def accepts(language: str) -> bool:
    """A language a page may speak: one digest ships, or one written right to left (framed in English)."""
    return i18n.accepted(language)


def direction(language: str) -> str:
    """"rtl" for a language written right to left (Hebrew, Arabic...), else "ltr": the pages' `dir`."""
    return i18n.direction(language)


def translations(language: str) -> gettext.NullTranslations:
    """The catalog of one shipped language (English, and a language without a catalog: the msgids themselves)."""
    return i18n.translations(language if language in i18n.shipped() else DEFAULT)


def short_date(value: dt.date | dt.datetime, language: str) -> str:
    """6 Dec 2026 / 6. Dez. 2026 / 6 déc. 2026 (a datetime shows its own calendar date)."""
    return i18n.short_date(value.date() if isinstance(value, dt.datetime) else value, language)


def long_date(value: dt.date | dt.datetime, language: str) -> str:
    """Sunday, 6 December 2026 / Sonntag, 6. Dezember 2026 / dimanche 6 décembre 2026."""
    return i18n.long_date(value.date() if isinstance(value, dt.datetime) else value, language)


def reader_language(sub: Subscriber | None, newsletter: str) -> str:
    """The language a subscriber reads: their own, else the newsletter's `[digest] language`."""
    return (sub.language if sub is not None and sub.language else None) or newsletter


def check_preferences(frequency: str, send_at: str, timezone: str,
                      language: str = DEFAULT) -> tuple[dict, list[str]]:
    """A preference form's frequency, time of day and time zone: the values to store, and one
    sentence in `language` per value that cannot be."""
    t = translations(language)
    errors: list[str] = []
    values: dict[str, str | None] = {"frequency": frequency}
    if frequency not in FREQUENCIES:
        errors.append(t.gettext("Choose how often: daily or weekly."))
    try:
        values["send_at"] = check_time(send_at)
    except ParseError:
        errors.append(t.gettext('The time of day "%(value)s" is not HH:MM on a 24-hour clock.')
                      % {"value": send_at.strip()})
    zone = timezone.strip()
    values["timezone"] = canonical_zone(zone) if zone else None
    if zone and values["timezone"] is None:
        guesses = zone_suggestions(zone)
        errors.append(t.gettext('Unknown time zone "%(value)s": did you mean %(zone)s?') % {"value": zone,
                                                                                           "zone": guesses[0]}
                      if guesses else t.gettext('Unknown time zone "%(value)s": choose one from the list.')
                      % {"value": zone})
    return values, errors


def check_address(email: str, language: str = DEFAULT) -> tuple[str | None, str | None]:
    """A sign-up form's address as it is stored, or None and why not, in `language`."""
    try:
        return normalize_email(email), None
    except InvalidAddress:      # its own words are English and technical; the form says it plainly
        return None, translations(language).gettext('"%(address)s" is not a valid email address. Check it for a '
                                                    'typo.') % {"address": email.strip()}
