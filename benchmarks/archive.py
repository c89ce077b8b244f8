"""What an ingest costs as the archive grows, and what one enormous article costs.

Run from the repository root:  .venv/bin/python benchmarks/archive.py [--sizes 0,10000,50000]
                                   [--baseline-src DIR] [--big-mb 10]

Builds stores of invented articles (direct inserts, about 2 KB each, one in five with an
outlet's footer paragraph) spread at a big newsroom's rate, 137 a day (so 50,000 is a year of
archive, 10,000 is 73 days), then times `digest articles ingest` of 100 new invented articles
(ten stories told twice, a third with footers) into a copy of each, in a child process (wall time
and peak RSS from os.wait4). The same-run baseline is the empty store. Stores are built at the
schema before m011 and migrated by `digest init` (the one-time backfill of the counts, timed
too), so `--baseline-src` can point at an unpacked older digest (`git archive main digest templates | tar
-x -C DIR`) to run the same ingests with it. At the largest size, `digest articles list` and
`digest preview` are timed as well; and one `--big-mb` article (varied prose, one file) is
ingested into an empty store, against a 2 KB article in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Only stdlib here: digest is imported by the children that build stores (`--build`), so this
# process stays small. A child's peak RSS as the kernel reports it is at least its parent's size
# when it was forked.

PER_DAY = 137
WORDS = ("council minister harbour railway budget court strike festival museum election vaccine "
         "reservoir bridge treaty airline refinery garrison senate tariff drought orchestra stadium "
         "pipeline satellite hospital university ferry copper wheat bond currency verdict inquiry").split()
VERBS = "approved rejected delayed announced opened closed sued praised blocked funded".split()
PLACES = ("Gdansk Porto Ghent Brest Lyon Turku Split Varna Cork Graz Bergen Malmo Bari Leipzig "
          "Aarhus Tartu Kaunas Brno Pecs Cluj Sibiu Zadar Faro Bilbao Nantes").split()
NAMES = ("Kowalski Lind Moreau Varga Novak Horvat Silva Jansen Berg Costa Weber Rossi Popescu "
         "Nielsen Dubois Kovac Marin Fischer Lopes Meyer").split()
FOOTERS = ["Compass Wire Service is an independent news agency; its reports reach 200 newspapers.",
           "Baltic Desk reporting is supported by readers in nine countries. Subscribe at our site.",
           "Harbour Post corrections: write to the readers' editor; we answer within two days."]


def sentence(rng: random.Random, k: int) -> str:
    return (f"The {rng.choice(WORDS)} in {rng.choice(PLACES)} was {rng.choice(VERBS)} by {rng.choice(NAMES)} "
            f"after {rng.randint(2, 900)} {rng.choice(WORDS)}s and a {rng.choice(WORDS)} worth "
            f"{rng.randint(1, 99)}.{rng.randint(0, 9)} million, case {k}-{rng.randint(100, 999)}.")


def invent(rng: random.Random, k: int) -> tuple[str, str]:
    """(title, body) of one invented article: six paragraphs, sometimes an outlet's footer."""
    title = f"{rng.choice(PLACES)} {rng.choice(WORDS)} {rng.choice(VERBS)} ({k})"
    paras = [" ".join(sentence(rng, k) for _ in range(3)) for _ in range(6)]
    if k % 5 == 0:
        paras.append(FOOTERS[k % 3])
    return title, "\n\n".join(paras)


def build(path: Path, n: int, now: dt.datetime, seed: int = 7) -> None:
    """A store of `n` articles as a digest before m011 left it (no corpus counts)."""
    from digest import pipeline
    from digest.db import Database, ts
    db = Database.open(path)
    db.init()
    pipeline.add_topic(db, "World")
    topic = db.conn.execute("SELECT id FROM topics WHERE name = 'World'").fetchone()[0]
    rng, step = random.Random(seed), dt.timedelta(days=1) / PER_DAY
    rows = []
    for k in range(n):
        title, body = invent(rng, k)
        at = now - (n - k) * step
        rows.append(dict(guid=f"bench:{k}", checksum=str(k), title=title, body=body, at=ts(at),
                         published=ts(at - dt.timedelta(minutes=rng.randint(0, 360))),
                         headline=title, summary=body.split(". ")[0] + ".", seq=k + 1))
    with db.transaction():
        db.conn.executemany("""INSERT INTO articles (guid, checksum, title, body, published, ingested_at, updated_at,
            headline, summary, seq) VALUES (:guid, :checksum, :title, :body, :published, :at, :at, :headline,
            :summary, :seq)""", rows)
        db.conn.execute("INSERT INTO article_topics (article_id, topic_id) SELECT id, ? FROM articles", (topic,))
        db.conn.execute("UPDATE counters SET value = ? WHERE name = 'ingest_seq'", (n,))
    db.close()
    conn = sqlite3.connect(path)        # closed, so the WAL is folded in and a copy of the file is whole
    conn.executescript("""DROP TABLE corpus_paragraphs; DROP TABLE corpus_terms;
        DELETE FROM counters WHERE name = 'live_articles';
        DELETE FROM _sqlite_migrations WHERE name = 'm011_corpus_counts'; PRAGMA user_version = 10;""")
    conn.close()


def new_articles(folder: Path, n: int = 100, seed: int = 11) -> None:
    """`n` page-as-text files: ten stories told by two outlets (the same names and figures in other
    words), the rest unrelated; one in three ends with a footer already common in the store."""
    folder.mkdir(parents=True)
    rng = random.Random(seed)
    for k in range(n):
        if k < 20:
            story = random.Random(1000 + k // 2)
            place, name, figure = story.choice(PLACES), story.choice(NAMES), story.randint(100, 999)
            lede = (f"{name} said the {place} refinery fire destroyed {figure} tonnes of fuel." if k % 2 else
                    f"A fire at the refinery in {place} burned {figure} tonnes of fuel, {name} told reporters.")
            title = (f"{place} refinery fire: {figure} tonnes lost" if k % 2 else
                     f"Fire at {place} refinery burns {figure} tonnes of fuel")
            body = lede + "\n\n" + " ".join(sentence(rng, 90_000 + k) for _ in range(4))
        else:
            title, body = invent(rng, 90_000 + k)
        if k % 3 == 0:
            body += "\n\n" + FOOTERS[k % 3]
        (folder / f"{k:03d}.txt").write_text(f"World\n\n{title}\n\n{body}\n")


def big_article(path: Path, mb: float, seed: int = 5) -> None:
    rng, out, size, k = random.Random(seed), [], 0, 0
    while size < mb * 1_000_000:
        p = " ".join(sentence(rng, k) for _ in range(4))
        out.append(p)
        size, k = size + len(p) + 2, k + 1
    path.write_text("World\n\nA report without end\n\n" + "\n\n".join(out) + "\n")


def build_in_child(path: Path, n: int, now: dt.datetime) -> None:
    subprocess.run([sys.executable, __file__, "--build", str(path), str(n), now.isoformat()], check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})


def child(args: list[str], db: Path, src: Path | None = None) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit code) of one digest command in a child process."""
    env = {**os.environ, "DIGEST_DB": str(db), "PYTHONPATH": str(src or ROOT)}
    env = {k: v for k, v in env.items() if not k.startswith("DIGEST_") or k == "DIGEST_DB"}
    started = time.perf_counter()
    with open(db.parent / "stderr.txt", "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "digest", *args], env=env, cwd=db.parent,
                                stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code:
        print(f"  ({' '.join(args[:2])} exited {code}: {(db.parent / 'stderr.txt').read_text().strip().splitlines()[-1:]})")
    return time.perf_counter() - started, usage.ru_maxrss / 1024, code


def row(label: str, seconds: float, mb: float, base: float | None) -> str:
    ratio = f"{seconds / base:5.2f}x" if base else "   --"
    return f"{label:<44} {seconds:7.2f} s {mb:7.0f} MB  {ratio}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,10000,50000")
    parser.add_argument("--baseline-src", type=Path, help="an unpacked older digest to run the same ingests with")
    parser.add_argument("--big-mb", type=float, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="ingests per store (median reported)")
    parser.add_argument("--build", nargs=3, metavar=("PATH", "N", "NOW"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        return build(Path(args.build[0]), int(args.build[1]), dt.datetime.fromisoformat(args.build[2]))
    sizes = [int(s) for s in args.sizes.split(",")]
    now = dt.datetime.now(dt.timezone.utc)
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores; times are wall clock of one child each")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        new_articles(tmp / "new")
        base: dict[str, float] = {}
        last: dict[str, float] = {}
        for n in sizes:
            store = tmp / f"store-{n}.db"
            t = time.perf_counter()
            build_in_child(store, n, now)
            print(f"store of {n:,} built in {time.perf_counter() - t:.1f} s ({store.stat().st_size / 1e6:.0f} MB)")
            for who, src in [("this digest", None)] + ([("baseline", args.baseline_src)] if args.baseline_src else []):
                work = tmp / f"{who.split()[0]}-{n}"
                work.mkdir()
                db = work / "digest.db"
                shutil.copy(store, db)
                if src is None:
                    s, mb, _ = child(["init"], db)
                    print(row(f"  {who}: init (m011 counts {n:,} bodies)", s, mb, None))
                runs = []
                pristine = work / "pristine.db"
                for k in range(args.repeat):        # each into a fresh copy; the median is reported
                    if k:
                        shutil.copy(pristine, db)
                    elif args.repeat > 1:
                        shutil.copy(db, pristine)
                    runs.append(child(["articles", "ingest", str(tmp / "new")], db, src))
                s, mb, code = sorted(runs)[len(runs) // 2]
                base.setdefault(who, s)
                last[who] = s
                print(row(f"  {who}: ingest 100 into {n:,} (median of {len(runs)})" + ("" if code == 0 else f" (exit {code})"), s, mb, base[who]))
                if n == max(sizes):
                    for cmd in (["articles", "list"], ["preview", "--topic", "World"]):
                        s, mb, code = child(cmd, db, src)
                        print(row(f"  {who}: {' '.join(cmd[:2])} at {n + 100:,}", s, mb, None))
        if args.big_mb:
            small, big = tmp / "small" / "one.txt", tmp / "big" / "huge.txt"
            for f in (small, big):
                f.parent.mkdir()
                build_in_child(f.parent / "digest.db", 0, now)
                child(["init"], f.parent / "digest.db")
            small.write_text("World\n\n" + "\n\n".join(invent(random.Random(3), 1)) + "\n")
            big_article(big, args.big_mb)
            s0, mb0, _ = child(["articles", "ingest", str(small)], small.parent / "digest.db")
            print(row("one 2 KB article, empty store", s0, mb0, None))
            s, mb, code = child(["articles", "ingest", str(big)], big.parent / "digest.db")
            print(row(f"one {big.stat().st_size / 1e6:.1f} MB article, empty store" + ("" if code == 0 else f" (exit {code})"),
                      s, mb, s0))
            print(f"  target: under 5 s and 150 MB -> {'met' if s < 5 and mb < 150 else 'NOT met'}")
        for who, s in last.items():
            if min(sizes) == 0 and max(sizes) > 0:
                ratio = s / base[who]
                print(f"{who}: ingest at {max(sizes):,} is {ratio:.2f}x the empty store's; target 1.3x -> "
                      f"{'met' if ratio <= 1.3 else 'NOT met'}")


if __name__ == "__main__":
    main()
