"""Languages of the email's frame: the locales digest ships (digest/locales/<lang>/LC_MESSAGES/digest.po),
their catalogs as gettext translations, and dates and numbers spelled out in the locale (CLDR, through
Babel). The English strings are the msgids, so "en" needs no catalog. The .po files are read at run
time (compiled in memory once per process), so the wheel carries only them and nothing is downloaded.
A language CLDR writes right to left (Arabic, Hebrew, Persian, Urdu...) may be read without a catalog:
its frame is English (words, dates and numbers alike) and only its direction ("rtl") is its own.
May import: nothing from digest.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import io
from pathlib import Path

from babel import Locale, UnknownLocaleError, localedata
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

DEFAULT = "en"
DOMAIN = "digest"
FOLDER = Path(__file__).parent / "locales"

# English keeps the pattern its golden files were written in ("Sunday, 6 December 2026", "6 Dec 2026");
# every other locale takes CLDR's own full date and its own short day-month(-year) skeleton.
_LONG = {"en": "EEEE, d MMMM y"}
_SHORT = {"en": ("d MMM y", "d MMM")}


def catalog_path(language: str) -> Path:
    return FOLDER / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.lru_cache(maxsize=1)
def shipped() -> tuple[str, ...]:
    """Every language an email can be written in: English and each locale with a catalog."""
    found = sorted(p.name for p in FOLDER.iterdir() if catalog_path(p.name).is_file()) if FOLDER.is_dir() else []
    return (DEFAULT, *[lang for lang in found if lang != DEFAULT])


@functools.lru_cache(maxsize=64)
def direction(language: str) -> str:
    """"rtl" for a language CLDR writes right to left (Babel's Locale.character_order), else "ltr"."""
    try:
        return "rtl" if Locale.parse(language).character_order == "right-to-left" else "ltr"
    except (ValueError, TypeError, UnknownLocaleError):
        return "ltr"


def accepted(language: str) -> bool:
    """A language a newsletter or a subscriber may read: one with a catalog, or one written right to
    left, which is framed in English and laid out right to left until it has a catalog."""
    return language in shipped() or direction(language) == "rtl"


@functools.lru_cache(maxsize=1)
def right_to_left() -> tuple[str, ...]:
    """Every language (without a region) that CLDR writes right to left: ar, fa, he, ur and some twenty
    more. Reading each locale's data takes about a second, so only a listing asks for all of them."""
    return tuple(sorted(code for code in localedata.locale_identifiers()
                        if "_" not in code and direction(code) == "rtl"))


def frame(language: str) -> str:
    """The language the frame is written in: `language` when it has a catalog, else English."""
    return language if language in shipped() else DEFAULT


@functools.lru_cache(maxsize=16)
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of `language` as gettext translations (NullTranslations for English, and for a
    language without a catalog: the msgids)."""
    if frame(language) == DEFAULT:
        return NullTranslations()
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    mo = io.BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return Translations(mo, domain=DOMAIN)


@functools.lru_cache(maxsize=4096)   # an edition formats the same few dates thousands of times
def long_date(value: dt.date, language: str) -> str:
    """Sunday, 6 December 2026 / Sonntag, 6. Dezember 2026 / dimanche 6 décembre 2026"""
    language = frame(language)
    return format_date(value, _LONG.get(language, "full"), locale=language)


@functools.lru_cache(maxsize=4096)
def short_date(value: dt.date, language: str, *, year: bool = True) -> str:
    """6 Dec 2026 / 6. Dez. 2026 / 6 déc. 2026; without the year: 6 Dec / 6. Dez. / 6 déc."""
    language = frame(language)
    if language in _SHORT:
        return format_date(value, _SHORT[language][0 if year else 1], locale=language)
    locale = Locale.parse(language)
    return format_date(value, locale.datetime_skeletons["yMMMd" if year else "MMMd"], locale=locale)


@functools.lru_cache(maxsize=4096, typed=True)
def number(n: int | float, language: str) -> str:
    """1,200 / 1.200 / 1 200: a count as the locale groups its digits."""
    return format_decimal(n, locale=frame(language))
