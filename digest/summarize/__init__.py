"""Headlines and blurbs: what the digest says about each article.

The one entry point is `summarize(title, body)`; the edition helpers (Subject line, preheader,
story order) are re-exported for the render stage. One module per job, each importing only the
ones above it:
  languages         the words of de, fr and es the splitter and the standalone rules need
  words             tokenizer, stemmer, stopwords, document frequencies (also used by digest.selection.cluster)
  sentences         sentence splitter, passages, which passages may appear in a blurb
  standalone        whether a passage needs something the blurb does not give the reader
  summary           the blurb: the lede, then what stands on its own, within the word budget
  headlinese        the rewrites that put a sentence in headline style
  tense             past to present for a machine headline ("signed" -> "signs")
  machine_headline  a headline from the lede, for an article without a title
  headline          the editor's title, cleaned and whole; else the machine's
  edition           Subject line, preheader, story score
Pure functions over plain values: no database, no files, no network.
May import: nothing from digest outside digest.summarize.
"""

from __future__ import annotations

from collections.abc import Iterable

from .edition import SUBJECT_MAX, edition_subject, preheader, short_form
from .headline import clean_title, make_headline
from .machine_headline import HEADLINE_MAX as MACHINE_HEADLINE_MAX
from .machine_headline import headline_from_body
from .sentences import split_sentences
from .summary import MAX_SENTENCES, MAX_WORDS, Summary, blurb
from .words import DocFreq, terms


def summarize(title: str | None, body: str, *, df: DocFreq | None = None, max_sentences: int = MAX_SENTENCES,
              max_words: int = MAX_WORDS, outlet: str | None = None, site_names: Iterable[str] = (),
              language: str = "en") -> Summary:
    """Headline and blurb of one article. `body` is the body only (never the caption, sources line
    or bio); `outlet` and `site_names` say which trailing site names a title may lose; `language`
    is the article's ("de"; .languages says which have their own rules, the rest are read as English)."""
    text, sentences = blurb(body, df=df, max_sentences=max_sentences, max_words=max_words, language=language)
    return Summary(make_headline(title, body, outlet=outlet, site_names=site_names, language=language), text, sentences)


__all__ = [
    "summarize", "Summary", "DocFreq", "terms", "split_sentences", "blurb",
    "make_headline", "clean_title", "headline_from_body", "MACHINE_HEADLINE_MAX",
    "edition_subject", "preheader", "short_form", "SUBJECT_MAX", "MAX_WORDS", "MAX_SENTENCES",
]
