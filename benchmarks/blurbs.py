"""How often a blurb still holds a caption, a credit or a dateline: ingest's reading and
summarizing of the scraped-page fixtures (tests/fixtures/scraped: JSON Lines, RSS, Atom and
page-as-text in ten outlets' shapes) and of the dev set (../shared/eval/bbc-dev), with the body
cleaner and the outlet's standfirst (after) and without them (before: the body as read, the
summarizer alone, as on main), in the same run.

Run from the repository root:  .venv/bin/python benchmarks/blurbs.py [--show N] [--limit N]

The detectors below are written here, not taken from digest.readers.clean, so the benchmark does
not grade the cleaner by its own rules. Speed: the after pipeline (clean + standfirst + summarize)
next to the summarizer alone, articles per CPU second.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digest import readers  # noqa: E402
from digest.config import SummarySettings  # noqa: E402
from digest.pipeline.articles import summarize_article  # noqa: E402
from digest.readers.clean import clean_body  # noqa: E402
from digest.summarize import DocFreq, summarize  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCRAPED = ROOT / "tests" / "fixtures" / "scraped"
DEV = ROOT.parent / "shared" / "eval" / "bbc-dev"

_DATE = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}"
FAULTS = {
    "credit": re.compile(r"REUTERS/|\((?:AP|AFP|EPA) Photo|Getty Images|\bPhoto:|Credit\.\.\.|\s/\s(?:AFP|AP|DER SPIEGEL)\b"
                         r"|via AP\)|FILE PHOTO|\bfile photo\b|^In this (?:image|photo)|/Al Jazeera\]", re.I),
    "dateline": re.compile(r"\((?:Reuters|AP|AFP|CNN|Bloomberg)\)\s*[-—–]|^[A-Z]{3,}[A-Z ,.'-]*\s(?:--|—|–|-)\s"),
    "caption": re.compile(rf"^[^.]{{0,300}},\s*{_DATE}\.?(?:\s|$)|^\[File:|^(?:Photo|Image|Pictured)\s*:"),
    "timestamp": re.compile(r"^\d{1,2}[.:][0-5]\d\b"),
    "teaser": re.compile(r"\bRead more\b|^Related\b|Click here|Follow our live", re.I),
}


def faults(blurb: str) -> list[str]:
    return [k for k, rx in FAULTS.items() if rx.search(blurb)]


def scraped() -> list:
    return [a for f in sorted(SCRAPED.iterdir()) for a in readers.read_path(f) if hasattr(a, "body")]


def dev(limit: int | None) -> list:
    out = []
    for f in sorted(DEV.glob("articles/*/*.txt"))[:limit]:
        raw = f.read_bytes()
        text = raw.decode("utf-8") if raw.isascii() or _utf8(raw) else raw.decode("latin-1")
        title, _, body = text.strip().partition("\n")
        out.append(readers.ParsedArticle(title=title.strip(), body=body.strip(), labels=[]))
    return out


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def before(arts, df) -> list[str]:
    return [summarize(a.title, a.body, df=df, outlet=a.source).summary for a in arts]


def after(arts, df, settings) -> list[tuple[str, str]]:
    out = []
    for a in arts:
        body = clean_body(a.body, title=a.title).body
        s, source = summarize_article(a.title, body, a.source, df, settings, a.description)
        out.append((s.summary, source))
    return out


def timed(fn, *args):
    start = time.process_time()
    result = fn(*args)
    return result, time.process_time() - start


def report(name: str, arts, settings, show: int) -> None:
    df = DocFreq.from_texts(a.body for a in arts)
    old, t_old = timed(before, arts, df)
    new, t_new = timed(after, arts, df, settings)
    n = len(arts)
    bad_old = [faults(b) for b in old]
    bad_new = [faults(b) for b, _ in new]
    pct = lambda rows: 100 * sum(bool(r) for r in rows) / n  # noqa: E731
    print(f"{name}: {n} articles")
    print(f"  blurbs holding a caption, credit or dateline (or a live-blog time, a teaser):"
          f"  before {pct(bad_old):5.1f}%   after {pct(bad_new):5.1f}%")
    for kind in FAULTS:
        b = sum(kind in r for r in bad_old)
        a = sum(kind in r for r in bad_new)
        if a or b:
            print(f"    {kind:10} before {b:3}  after {a:3}")
    standfirst = sum(src == "standfirst" for _, src in new)
    changed = sum(o != b for o, (b, _) in zip(old, new))
    print(f"  blurbs changed {changed}; from the outlet's standfirst {standfirst}")
    print(f"  speed: summarizer alone {n / t_old:.0f} articles/s; clean + standfirst + summarize {n / t_new:.0f} "
          f"articles/s (ratio {t_old / t_new:.2f})")
    for a, o, (b, src) in [x for x in zip(arts, old, new) if x[1] != x[2][0]][:show]:
        print(f"  [{a.title[:70]}]\n    before: {o}\n    after ({src}): {b}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show", type=int, default=0, help="print N changed blurbs, before and after")
    ap.add_argument("--limit", type=int, help="only the first N dev articles")
    args = ap.parse_args(argv)
    settings = SummarySettings()
    report("scraped-page fixtures", scraped(), settings, args.show)
    if DEV.exists():
        report("dev set (bbc-dev)", dev(args.limit), settings, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
