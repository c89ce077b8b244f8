"""Score digest.summarize on the BBC News Summary development set.

Run from the repository root:  .venv/bin/python benchmarks/summaries.py [--headlines] [--limit N]

Blurbs: ROUGE F1 x100 of the product's blurbs (the defaults: the lede and at most one more sentence,
within 55 words) next to LEAD-3 and LEAD-1 (the lede alone) computed in the same run, plus the
speed. ROUGE is a regression number only: its references are extracted from the articles and
reward sentences a reader cannot follow out of context (see ../shared/editorial for the editor's
check). Machine headlines (--headlines): written from the body alone, scored against the real
titles, with the rate of bad endings (a function word, or a word that needs a complement, last).
The data is read from ../shared/eval/bbc-dev (see its README.md); it is never copied into the
repository. Needs the test extra (rouge-score).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rouge_score import rouge_scorer  # noqa: E402

from digest.readers.language import detect  # noqa: E402
from digest.summarize import (  # noqa: E402
    MACHINE_HEADLINE_MAX,
    MAX_SENTENCES,
    MAX_WORDS,
    DocFreq,
    headline_from_body,
    split_sentences,
    summarize,
)

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "bbc-dev"

# Defined here, not taken from digest, so the benchmark does not grade the code by its own rules.
# A headline may not end on an article, preposition, conjunction, auxiliary or possessive...
FUNCTION_WORDS = set("""a an the of in on at for from by with to into onto over under across about after before
against between during through toward towards upon within without among amid despite via per than as and
or but nor so yet because while if that which who whom whose when where is are was were be been being has
have had will would can could should may might must do does did its their his her our my your this these
those""".split())
# ... nor on a word that needs what follows it ("... Plant Meant", "... Forecasts Across").
NEEDS_COMPLEMENT = set("""meant designed aimed set due expected used forced allowed able likely poised ready
bound known based linked tied related according compared owing thanks subject prone close unable""".split())


def bad_ending(headline: str) -> bool:
    words = re.findall(r"[\w'’-]+", headline.lower())
    if not words:
        return True
    quotes = headline.count("“") != headline.count("”") or headline.count('"') % 2
    return words[-1] in FUNCTION_WORDS or words[-1] in NEEDS_COMPLEMENT or bool(quotes) \
        or headline.count("(") != headline.count(")")


# ... nor stop mid-phrase: on a superlative or degree word with no noun ("Japan's biggest", "music
# rather") or a verb whose object is cut ("… proves"). Counted apart, so the figure above stays comparable.
MID_PHRASE = set("""rather less least very too quite proves suggests reveals includes becomes
biggest largest highest lowest latest best-known tallest fastest worst""".split())


def mid_phrase(headline: str) -> bool:
    words = re.findall(r"[\w'’-]+", headline)
    return bool(words) and words[-1] in MID_PHRASE


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:          # sport/199.txt is Latin-1
        return raw.decode("latin-1")


def unglue(reference: str) -> str:
    """The references glue sentences together ('time.She'); put the space back before scoring.
    Only after a lowercase letter, digit or closing quote, so 'U.S.' and '3.5' are left alone."""
    return re.sub(r"(?<=[a-z0-9%\"'”’)])([.!?])(?=[A-Z\"“‘])", r"\1 ", reference.strip())


def articles(data: Path, limit: int | None) -> list[Path]:
    """Every article with a reference, all categories, in a fixed order."""
    found = [a for a in sorted(data.glob("articles/*/*.txt")) if (data / "summaries" / a.parent.name / a.name).exists()]
    return found[:limit] if limit else found


def load(data: Path, limit: int | None) -> list[tuple[str, str, str]]:
    """(title, body, reference) for every article with a reference, all categories."""
    items = []
    for art in articles(data, limit):
        title, _, body = read_text(art).strip().partition("\n")
        items.append((title.strip(), body.strip(), unglue(read_text(data / "summaries" / art.parent.name / art.name))))
    return items


# Two halves of the data, so that a rule tuned on one can be checked on the other.
HALVES = {"business+tech": {"business", "tech"}, "sport+entertainment": {"sport", "entertainment"}}


def mean_scores(scorer, pairs, keys) -> dict[str, float]:
    totals = {k: [] for k in keys}
    for ref, hyp in pairs:
        result = scorer.score(ref, hyp)
        for k in keys:
            totals[k].append(result[k].fmeasure * 100)
    return {k: round(statistics.fmean(v), 2) for k, v in totals.items()}


def run_summaries(items, df, **kw):
    start = time.process_time()
    outs = [summarize(title, body, df=df, **kw).summary for title, body, _ in items]
    elapsed = time.process_time() - start
    return outs, len(items) / elapsed if elapsed else float("inf")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--headlines", action="store_true", help="also score headlines from the body alone")
    ap.add_argument("--show", type=int, default=0, help="print N machine headlines and N with bad endings")
    ap.add_argument("--limit", type=int, help="only the first N articles (quick run)")
    args = ap.parse_args(argv)

    items = load(args.data, args.limit)
    if not items:
        print(f"No articles under {args.data}/articles/*/ with a matching summary.", file=sys.stderr)
        return 1
    keys = ["rouge1", "rouge2", "rougeL"]
    scorer = rouge_scorer.RougeScorer(keys, use_stemmer=True)
    df = DocFreq.from_texts(body for _, body, _ in items)   # "our own article store" for this run
    refs = [ref for _, _, ref in items]

    ours, rate = run_summaries(items, df)
    three, _ = run_summaries(items, df, max_sentences=3, max_words=10**6)
    lead3 = [" ".join(split_sentences(body)[:3]) for _, body, _ in items]
    lead1 = [" ".join(split_sentences(body)[:1]) for _, body, _ in items]
    words = lambda texts: round(statistics.fmean(len(t.split()) for t in texts), 1)  # noqa: E731

    rows = [(f"digest (≤{MAX_SENTENCES} sent., ≤{MAX_WORDS} words)", ours), ("LEAD-3", lead3),
            ("LEAD-1 (the lede)", lead1), ("digest, 3 sentences", three)]
    scores = {name: mean_scores(scorer, zip(refs, texts), keys) for name, texts in rows}
    print(f"{len(items)} articles from {args.data}")
    print(f"{'':34}{'R1':>7}{'R2':>7}{'RL':>7}{'words':>8}")
    for name, texts in rows:
        sc = scores[name]
        print(f"{name:34}{sc['rouge1']:7.2f}{sc['rouge2']:7.2f}{sc['rougeL']:7.2f}{words(texts):8.1f}")
    s_ours, s_lead = scores[rows[0][0]], scores["LEAD-3"]
    diff = {k: round(s_ours[k] - s_lead[k], 2) for k in keys}
    print(f"{'difference (digest - LEAD-3)':34}{diff['rouge1']:+7.2f}{diff['rouge2']:+7.2f}{diff['rougeL']:+7.2f}")
    print(f"speed: {rate:.0f} articles/s (defaults), one core")
    detect("warm up")                                   # the detector's model loads once per process
    start = time.process_time()
    langs = [detect(title + "\n" + body) for title, body, _ in items]
    elapsed = time.process_time() - start
    with_language = 1 / (1 / rate + elapsed / len(items))
    print(f"with language detection (as ingest does): {with_language:.0f} articles/s; "
          f"{sum(x == 'en' for x in langs)}/{len(langs)} detected as English")

    result = {"summary": {**s_ours, "lead3_rouge1": s_lead["rouge1"], "lead3_rouge2": s_lead["rouge2"],
                          "lead3_rougeL": s_lead["rougeL"], "words": words(ours),
                          "articles_per_s": round(rate, 1), "with_language_per_s": round(with_language, 1),
                          "n": len(items)}}
    if args.headlines:
        heads = [headline_from_body(body) for _, body, _ in items]
        h = mean_scores(scorer, zip((t for t, _, _ in items), heads), ["rouge1", "rougeL"])
        within = round(100 * sum(len(x) <= MACHINE_HEADLINE_MAX for x in heads) / len(heads), 1)
        bad = [x for x in heads if bad_ending(x)]
        bad_pct = round(100 * len(bad) / len(heads), 2)
        mid = [x for x in heads if not bad_ending(x) and mid_phrase(x)]
        print(f"headlines from the body: R1 {h['rouge1']:.2f}  RL {h['rougeL']:.2f}  "
              f"within {MACHINE_HEADLINE_MAX} chars {within:.1f}%  median {statistics.median(len(x) for x in heads)} "
              f"chars  bad endings {bad_pct:.2f}% ({len(bad)}), mid-phrase {len(mid)}")
        cats = [a.parent.name for a in articles(args.data, args.limit)]
        halves = {}
        for name, members in HALVES.items():
            pairs = [(t, x) for (t, _, _), x, c in zip(items, heads, cats) if c in members]
            if pairs:
                halves[name] = {**mean_scores(scorer, pairs, ["rouge1", "rougeL"]), "n": len(pairs),
                                "bad_endings": sum(bad_ending(x) for _, x in pairs),
                                "median_chars": statistics.median(len(x) for _, x in pairs)}
        if halves:
            print("  by half: " + "; ".join(f"{n} ({v['n']}) R1 {v['rouge1']:.2f} RL {v['rougeL']:.2f} "
                                            f"bad endings {v['bad_endings']} median {v['median_chars']} chars"
                                            for n, v in halves.items()))
        for (title, _, _), head in list(zip(items, heads))[:: max(1, len(items) // max(args.show, 1))][:args.show]:
            print(f"  {title!r:45} -> {head!r}")
        for head in bad[:args.show]:
            print(f"  bad ending: {head!r}")
        for head in mid[:args.show]:
            print(f"  mid-phrase: {head!r}")
        result["headline"] = {**h, "within_limit": within, "bad_endings_pct": bad_pct, "mid_phrase": len(mid),
                              "n": len(heads), "halves": halves}
    else:
        result["headline"] = {"rouge1": None, "rougeL": None, "within_limit": None, "bad_endings_pct": None, "n": 0}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
