"""Counted words as a reader reads them: "1 article", "2 articles", "0 subscribers". The form comes
from gettext.ngettext (the default NullTranslations until a translation is installed), so a
translation can later supply its own plural rules through the same calls.
May import: nothing from digest.
"""

from __future__ import annotations

import gettext


def ngettext(one: str, many: str, n: int, translations: gettext.NullTranslations | None = None) -> str:
    """The form of a word (or phrase) for the count `n`: in `translations` (a language's catalog,
    with its own plural rule) when given, else through the process-wide gettext."""
    if translations is not None:
        return translations.ngettext(one, many, n)
    return gettext.ngettext(one, many, n)


def plural(n: int, one: str, many: str) -> str:
    """The count and its word: plural(1, "article", "articles") -> "1 article"; counts of a
    thousand and more with separators ("1,200 articles")."""
    return f"{n:,} {ngettext(one, many, n)}"
