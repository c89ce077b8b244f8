"""Listings that page: `articles list`, `subscribers list`, `deliveries list` and `bounces list` on a
large store, the default page (newest 50) against --all and --all --json, and against the floor of
any digest command (`digest topics list`: the interpreter and the imports) in the same run.

Run from the repository root:  .venv/bin/python benchmarks/listings.py [--subscribers 1000000]
                                [--articles 50000]

Builds one store in a temporary directory: --articles generated articles (benchmarks/archive.py's
builder, straight into SQLite), --subscribers imported from a generated CSV (benchmarks/import.py's,
through the real `digest subscribers import`), and one planned edition (a pending delivery row per
subscriber, pipeline.plan_edition). Then runs each listing in a child process with its output going
to /dev/null, and prints its wall seconds and peak RSS (wait4). Memory must stay flat: the default
page and the streamed --json alike stay near the floor, whatever the store holds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import importlib  # noqa: E402

import archive  # noqa: E402  (benchmarks/archive.py: the article store builder)

importer = importlib.import_module("import")   # benchmarks/import.py: the CSV and its children


def timed(env: dict[str, str], *args: str) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one digest command, its output discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "digest", *args], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"digest {' '.join(args)} failed: {err[-500:].decode(errors='replace')}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subscribers", type=int, default=200_000)
    ap.add_argument("--articles", type=int, default=50_000)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="digest-listings-"))
    db = folder / "digest.db"
    env = {**os.environ, "DIGEST_DB": str(db), "DIGEST_SECRET": secrets.token_hex(32), "PYTHONPATH": str(ROOT),
           "DIGEST_BASE_URL": "https://news.example.com", "DIGEST_FROM": "The Digest <digest@news.example.com>",
           "DIGEST_MAX_AGE_DAYS": "36500"}
    try:
        t = time.perf_counter()
        archive.build_in_child(db, args.articles, dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1))
        importer.digest(env, "init")                  # the builder leaves a store from before m011
        for topic in ("Europe", "Politics"):          # the CSV's other topics (World is the store's)
            importer.digest(env, "topics", "add", topic)
        importer.make_csv(folder / "list.csv", args.subscribers)
        importer.digest(env, "subscribers", "import", str(folder / "list.csv"))
        planned = importer.me(env, "plan")
        print(f"store: {args.articles:,} articles, {args.subscribers:,} subscribers, "
              f"{planned.get('planned', 0):,} deliveries planned; built in {time.perf_counter() - t:.0f} s")
        floor = timed(env, "topics", "list")
        print(f"{'command':<44} {'wall s':>7} {'peak RSS MB':>12}")
        print(f"{'digest topics list (the floor)':<44} {floor[0]:7.2f} {floor[1]:12.0f}")
        for what in ("articles", "subscribers", "deliveries", "bounces"):
            for extra in ([], ["--all"], ["--all", "--json"]):
                wall, mb = timed(env, what, "list", *extra)
                label = f"digest {what} list {' '.join(extra)}".strip()
                print(f"{label:<44} {wall:7.2f} {mb:12.0f}   {mb - floor[1]:+5.0f} MB over the floor")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
