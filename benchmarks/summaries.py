"""Score digest.summarize on the BBC News Summary development set (ROUGE F1 x100).

Run from the repository root:  .venv/bin/python benchmarks/summaries.py [--headlines] [--limit N]

Compares our 3-sentence summaries with LEAD-3 in the same run, also reports the product setting
(70 words), and optionally headlines written from the body alone against the real titles. The data
is read from ../shared/eval/bbc-dev (see its README.md); it is never copied into the repository.
Needs the test extra (rouge-score).
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

from digest.summarize import DocFreq, make_headline, split_sentences, summarize  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "bbc-dev"


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


def load(data: Path, limit: int | None) -> list[tuple[str, str, str]]:
    """(title, body, reference) for every article with a reference, all categories."""
    items = []
    for art in sorted(data.glob("articles/*/*.txt")):
        ref = data / "summaries" / art.parent.name / art.name
        if not ref.exists():
            continue
        title, _, body = read_text(art).strip().partition("\n")
        items.append((title.strip(), body.strip(), unglue(read_text(ref))))
    if limit:
        items = items[:limit]
    return items


def mean_scores(scorer, pairs, keys) -> dict[str, float]:
    totals = {k: [] for k in keys}
    for ref, hyp in pairs:
        result = scorer.score(ref, hyp)
        for k in keys:
            totals[k].append(result[k].fmeasure * 100)
    return {k: round(statistics.fmean(v), 2) for k, v in totals.items()}


def run_summaries(items, df, max_words: int):
    start = time.process_time()
    outs = [summarize(title, body, df=df, max_sentences=3, max_words=max_words).summary
            for title, body, _ in items]
    elapsed = time.process_time() - start
    return outs, len(items) / elapsed if elapsed else float("inf")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--headlines", action="store_true", help="also score headlines from the body alone")
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

    ours, rate = run_summaries(items, df, max_words=10**6)
    product, product_rate = run_summaries(items, df, max_words=70)
    lead3 = [" ".join(split_sentences(body)[:3]) for _, body, _ in items]

    s_ours = mean_scores(scorer, zip(refs, ours), keys)
    s_lead = mean_scores(scorer, zip(refs, lead3), keys)
    s_prod = mean_scores(scorer, zip(refs, product), keys)
    words = lambda texts: round(statistics.fmean(len(t.split()) for t in texts), 1)  # noqa: E731

    print(f"{len(items)} articles from {args.data}")
    print(f"{'':22}{'R1':>7}{'R2':>7}{'RL':>7}{'words':>8}")
    for name, sc, texts in (("ours, 3 sentences", s_ours, ours), ("LEAD-3", s_lead, lead3),
                            ("ours, 70 words (prod)", s_prod, product)):
        print(f"{name:22}{sc['rouge1']:7.2f}{sc['rouge2']:7.2f}{sc['rougeL']:7.2f}{words(texts):8.1f}")
    diff = {k: round(s_ours[k] - s_lead[k], 2) for k in keys}
    print(f"{'difference (3 sent.)':22}{diff['rouge1']:+7.2f}{diff['rouge2']:+7.2f}{diff['rougeL']:+7.2f}")
    print(f"speed: {rate:.0f} articles/s (3 sentences), {product_rate:.0f} articles/s (70 words), one core")

    result = {"summary": {**s_ours, "lead3_rouge1": s_lead["rouge1"], "lead3_rouge2": s_lead["rouge2"],
                          "lead3_rougeL": s_lead["rougeL"], "words": words(ours),
                          "articles_per_s": round(rate, 1), "n": len(items)}}
    if args.headlines:
        heads = [make_headline(None, body) for _, body, _ in items]
        h = mean_scores(scorer, zip((t for t, _, _ in items), heads), ["rouge1", "rougeL"])
        within = round(100 * sum(len(x) <= 60 for x in heads) / len(heads), 1)
        print(f"headlines from the body: R1 {h['rouge1']:.2f}  RL {h['rougeL']:.2f}  "
              f"within 60 chars {within:.1f}%  median {statistics.median(len(x) for x in heads)} chars")
        result["headline"] = {**h, "within_60": within, "n": len(heads)}
    else:
        result["headline"] = {"rouge1": None, "rougeL": None, "within_60": None, "n": 0}   # not measured
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
