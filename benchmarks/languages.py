"""Measure what digest's language support was chosen by: language detectors on short news text,
and sentence splitters on the abbreviations, ordinals and quotation marks of de, fr and es.

Run from the repository root:  .venv/bin/python benchmarks/languages.py [--candidates]

Without --candidates it measures what digest uses (digest.readers.language, digest.summarize's
splitter). --candidates also measures the libraries that were compared (py3langid, lingua,
pysbd, syntok); install them first (pip install lingua-language-detector pysbd syntok).
The text is in benchmarks/language_samples.py, written for this purpose.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from digest.readers.language import detect  # noqa: E402
from digest.summarize import split_sentences, summarize  # noqa: E402
from language_articles import ARTICLES as WIRE  # noqa: E402
from language_samples import ARTICLES, SENTENCES, SHORT, SPLITS  # noqa: E402

ROUNDS = 20


def score_detector(name: str, guess: Callable[[str], str], samples: dict[str, list[str]] = SENTENCES) -> None:
    items = [(lang, s) for lang, sents in samples.items() for s in sents]
    right = sum(guess(s) == lang for lang, s in items)
    wrong = [(lang, guess(s), s) for lang, s in items if guess(s) != lang]
    start = time.perf_counter()
    for _ in range(ROUNDS):
        for _, s in items:
            guess(s)
    per_s = ROUNDS * len(items) / (time.perf_counter() - start)
    print(f"{name:34} {right}/{len(items)} right  {per_s:9,.0f} texts/s")
    for lang, got, s in wrong:
        print(f"    {lang} read as {got}: {s}")


def score_splitter(name: str, split: Callable[[str, str], list[str]]) -> None:
    right = 0
    for lang, text, want in SPLITS:
        got = [" ".join(s.split()) for s in split(text, lang)]
        if got == want:
            right += 1
        else:
            print(f"    {name} {lang}: {got}")
    start = time.perf_counter()
    for _ in range(ROUNDS):
        for lang, text, _ in SPLITS:
            split(text, lang)
    per_s = ROUNDS * len(SPLITS) / (time.perf_counter() - start)
    print(f"{name:34} {right}/{len(SPLITS)} right  {per_s:9,.0f} paragraphs/s")


def summary_speed() -> None:
    """Articles per second through detection and the summarizer, per language (CPU time, one core)."""
    detect("warm up")
    for lang, body in ARTICLES.items():
        rounds = 200
        start = time.process_time()
        for _ in range(rounds):
            summarize("Titel", body, language=detect(body))
        per_s = rounds / (time.process_time() - start)
        print(f"detect + summarize, {lang} ({len(body.split())} words){'':10} {per_s:9,.0f} articles/s")


def judge(blurb: str, sentences: list[str]) -> tuple[bool, bool]:
    """(whole, standalone): is the blurb made of the article's true sentences, and of none marked "!"?"""
    rest, used = blurb.strip(), []
    for s in sentences:
        if rest.startswith(s.lstrip("!")):
            rest, used = rest[len(s.lstrip("!")):].lstrip(), used + [s]
    return not rest, not rest and not any(s.startswith("!") for s in used)


def blurbs() -> None:
    """How many blurbs of the wire articles are whole sentences, and stand alone: read by the
    English rules (as before) and by the article's language."""
    for lang, articles in WIRE.items():
        rows = {}
        for read_as in ("en", lang):
            whole = alone = 0
            for text in articles:
                paras = [[s.strip() for s in p.split(" | ")] for p in text.split("\n\n")]
                body = "\n\n".join(" ".join(s.lstrip("!") for s in p) for p in paras)
                w, a = judge(summarize("Titel", body, language=read_as).summary, [s for p in paras for s in p])
                whole, alone = whole + w, alone + a
            rows[read_as] = (whole, alone)
        (w0, a0), (w1, a1) = rows["en"], rows[lang]
        print(f"{lang}: blurbs of whole sentences {w0}/{len(articles)} -> {w1}/{len(articles)}, "
              f"whole and standalone {a0}/{len(articles)} -> {a1}/{len(articles)} (English rules -> {lang})")


def candidates() -> None:
    import py3langid
    import pysbd
    from lingua import Language, LanguageDetectorBuilder
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
    from syntok import segmenter

    ident = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE)
    ident.set_languages(list(SENTENCES))
    five = [Language.ENGLISH, Language.GERMAN, Language.FRENCH, Language.SPANISH, Language.ITALIAN]
    lingua = LanguageDetectorBuilder.from_languages(*five).build()
    lingua_low = LanguageDetectorBuilder.from_languages(*five).with_low_accuracy_mode().build()
    for samples, what in ((SENTENCES, "sentences"), (SHORT, "headlines")):
        print(f"-- {what}")
        score_detector("py3langid, all 97 languages", lambda s: py3langid.classify(s)[0], samples)
        score_detector("py3langid, en/de/fr/es/it", lambda s: ident.classify(s)[0], samples)
        for label, d in (("lingua, 5 languages", lingua), ("lingua, 5 languages, low accuracy", lingua_low)):
            score_detector(label, lambda s, d=d: d.detect_language_of(s).iso_code_639_1.name.lower(), samples)
    segs = {lang: pysbd.Segmenter(language=lang, clean=False) for lang in ("de", "fr", "es")}
    score_splitter("pysbd 0.3.4", lambda text, lang: segs[lang].segment(text))
    score_splitter("syntok 1.4.4", lambda text, lang: [
        "".join(t.spacing + t.value for t in sent).strip()
        for para in segmenter.process(text) for sent in para])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", action="store_true", help="also measure the libraries that were compared")
    args = ap.parse_args(argv)
    score_detector("digest.readers.language.detect", detect)
    score_detector("digest.readers.language.detect, headlines", detect, SHORT)
    score_splitter("digest.summarize.split_sentences", lambda text, lang: split_sentences(text, language=lang))
    summary_speed()
    blurbs()
    if args.candidates:
        candidates()
    return 0


if __name__ == "__main__":
    sys.exit(main())
