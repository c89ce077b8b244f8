"""How often a blurb names a person it never introduced, on the BBC News Summary development set.

Run from the repository root:  .venv/bin/python benchmarks/blurbs_people.py [--show N] [--limit N]

A reader of a digest has only the blurb: "Walsh added that…" or "Mr Walsh said…" with no "Kerry
Walsh" before it leaves them asking who that is. The benchmark's own rule, written here and not
taken from digest so the code is not graded by itself:
  - a person of the article is the surname of a full name ("Kerry Walsh", not "Sir Elton") that the
    article also uses with an honorific ("Mr Walsh"), gives an age or a "who" ("Kerry Walsh, 34,")
    or has speak ("Walsh said"); its given name is never used alone ("Cairn Energy… Cairn said" is a
    firm) and the surname never appears in lower case ("Church", "Bank");
  - a blurb fails when it names such a surname alone (or with an honorific) before any full
    "Given Surname" in the blurb itself.
Baseline in the same run: LEAD-2 (the body's first two sentences), which is what a blurb would be
without any rule. The data is read from ../shared/eval/bbc-dev; it is never copied here.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digest.summarize import DocFreq, split_sentences, summarize  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "bbc-dev"
HONORIFIC = r"(?:Mr|Mrs|Ms|Miss|Dr|Sir|Dame|Lord|Lady)"


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def persons(body: str) -> set[str]:
    """Surnames the article uses for people (see the module docstring)."""
    out = set()
    for m in re.finditer(r"(?<![\w-])(?!" + HONORIFIC + r"\b)([A-Z][a-z]+) ([A-Z][a-z][\w'-]+)\b(?![\w-])", body):
        last = m.group(2)
        if re.search(HONORIFIC + r"\.? $", body[max(0, m.start() - 6):m.start()]):
            continue                                        # "Sir Elton John": Elton is no surname
        given, rest, said = m.group(1), body[m.end():m.end() + 80], r" (?:said|says|told|added|admitted)\b"
        if len(re.findall(r"\b" + given + r"\b", body)) > len(re.findall(r"\b" + given + " " + last + r"\b", body)):
            continue                                        # "Cairn Energy … Cairn said": a firm, not a given name
        if re.search(r"\b" + re.escape(last) + r"(?:'s)? (?:spokesman|spokeswoman|chief|boss|manager|chairman|fans|"
                     r"shares|players?|side)\b", body):
            continue                                        # "Wal-Mart spokesman", "Rangers boss": a body, not a person
        if re.search(r"\b" + given.lower() + r"\b", body):
            continue                                        # "Both Boeing…", "Shares Bombardier": a word, not a name
        mid_sentence = not re.search(r"(?:^|[.!?][\"”’']?\s+)$", body[max(0, m.start() - 4):m.start()])
        if re.search(r"\b" + HONORIFIC + r"\.? " + re.escape(last) + r"\b", body) \
                or re.match(r", \d{1,3},|, who\b|" + said, rest) \
                or mid_sentence and re.search(r"\b" + re.escape(last) + said, body):   # "Both Boeing…" opens one
            if not re.search(r"\b" + re.escape(last.lower()) + r"\b", body):
                out.add(last)
    return out


def stranger(blurb: str, surnames: set[str]) -> str | None:
    """The first surname the blurb uses before introducing it, else None."""
    for last in sorted(surnames):
        for m in re.finditer(r"\b" + re.escape(last) + r"\b", blurb):
            before, after = blurb[:m.start()], blurb[m.end():m.end() + 2]
            if re.search(r"[-\"“]$", before) or re.match(r"-|\s[A-Z]", after):
                continue                                    # part of another name: "T-Mobile", "Ford Motor"
            if re.search(r"\b(?!" + HONORIFIC + r"\b)[A-Z][\w.'-]*\s+$", before):
                break                                       # the full name: introduced here
            if re.search(r"\b(?!" + HONORIFIC + r"\b)[A-Z][a-z]+ " + re.escape(last) + r"\b", before):
                break
            return last
    return None


def load(data: Path, limit: int | None) -> list[tuple[str, str, str]]:
    items = []
    for art in sorted(data.glob("articles/*/*.txt")):
        title, _, body = read_text(art).strip().partition("\n")
        items.append((f"{art.parent.name}/{art.name}", title.strip(), body.strip()))
    return items[:limit] if limit else items


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--show", type=int, default=0, help="print N failing blurbs")
    ap.add_argument("--limit", type=int, help="only the first N articles (quick run)")
    args = ap.parse_args(argv)
    items = load(args.data, args.limit)
    if not items:
        print(f"No articles under {args.data}/articles/*/.", file=sys.stderr)
        return 1
    df = DocFreq.from_texts(body for _, _, body in items)
    start = time.process_time()
    ours = [summarize(title, body, df=df).summary for _, title, body in items]
    rate = len(items) / max(time.process_time() - start, 1e-9)
    lead2 = [" ".join(split_sentences(body)[:2]) for _, _, body in items]
    cast = [persons(body) for _, _, body in items]
    print(f"{len(items)} articles from {args.data}; {sum(bool(c) for c in cast)} name a person")
    fails = {}
    for name, blurbs in (("digest blurbs", ours), ("LEAD-2 (baseline)", lead2)):
        fails[name] = [(key, who, b) for (key, _, _), b, c in zip(items, blurbs, cast) if (who := stranger(b, c))]
        print(f"{name:20} name a person never introduced: {100 * len(fails[name]) / len(items):5.2f}% "
              f"({len(fails[name])})")
    print(f"speed: {rate:.0f} articles/s (summaries), one core")
    for key, who, b in fails["digest blurbs"][:args.show]:
        print(f"  {key} {who}: {b}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
