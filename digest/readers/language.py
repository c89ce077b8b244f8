"""The language an article is written in: a tag as a source gives it ("de-DE", "fr_FR", "ES") made
the bare ISO 639 code ("de"), or, when no source says, detected from the text by py3langid.

py3langid was chosen by measuring it against lingua on short news text (benchmarks/languages.py):
both got every sentence right, py3langid was the one right on every headline-sized fragment when
kept to digest's languages, several times faster, and 5 MB installed against lingua's 96 MB. Its
model ships in the wheel, so nothing is downloaded at run time.
May import: nothing from digest.
"""

from __future__ import annotations

import functools
import re

DEFAULT = "en"
SAMPLE = 400            # characters read: the title and the lede say it; 1,500 cost 1 ms an article, 400 a quarter of it
# What the detector may answer. Kept to the languages a newsroom of digest's kind writes in: over
# all 97 of py3langid's, a short Italian text came back "ext" (Extremaduran).
DETECTABLE = ("en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da", "no", "fi", "cs", "ro", "hu", "el",
              "tr", "ru", "uk", "ar", "he")
_TAG = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*\s*$")


def normalize(tag: object) -> str | None:
    """The bare language code of a tag ("de-DE" -> "de", "FR" -> "fr"), or None when it is no tag."""
    if not isinstance(tag, str):
        return None
    m = _TAG.match(tag)
    return m.group(1).lower() if m else None


@functools.lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier  # loaded once, on first use

    ident = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE)
    ident.set_languages(list(DETECTABLE))
    return ident


def detect(text: str, default: str = DEFAULT) -> str:
    """The language `text` is most likely in (one of DETECTABLE), `default` when it has no letters."""
    sample = text[:SAMPLE]
    if not any(ch.isalpha() for ch in sample):
        return default
    return str(_identifier().classify(sample)[0])
