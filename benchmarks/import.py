"""How fast `digest subscribers import` takes a big CSV, against a bare sqlite executemany.

Run from the repository root:  .venv/bin/python benchmarks/import.py [--rows 100000]

Generates a CSV (addresses, names, two topics, frequency, timezone) in a temporary directory, runs
the real command in process (validation with email-validator, duplicate merging, batched writes)
into a fresh database, and prints rows/s. The baseline, measured in the same run, inserts the same
rows (already parsed, no validation) with one plain sqlite3 executemany into a bare table.
"""

from __future__ import annotations

import argparse
import csv
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from click.testing import CliRunner  # noqa: E402

from digest.cli import cli  # noqa: E402

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", ""]
TOPICS = ["Europe;World", "Politics", "World;Politics", "Europe"]


def make_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["email", "name", "topics", "frequency", "timezone"])
        for i in range(rows):
            w.writerow([f"reader.{i}@Example{i % 97}.org", f"Reader {i}", TOPICS[i % 4],
                        "weekly" if i % 5 == 0 else "daily", ZONES[i % 4]])


def baseline(path: Path, db: Path) -> float:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE subscribers (email TEXT, name TEXT, topics TEXT, frequency TEXT, timezone TEXT)")
    started = time.perf_counter()
    with conn:
        conn.executemany("INSERT INTO subscribers VALUES (?, ?, ?, ?, ?)", rows)
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "list.csv"
        make_csv(data, args.rows)
        os.environ["DIGEST_DB"] = str(tmp / "digest.db")
        runner = CliRunner()
        assert runner.invoke(cli, ["init"]).exit_code == 0
        started = time.perf_counter()
        result = runner.invoke(cli, ["subscribers", "import", str(data)])
        ours = time.perf_counter() - started
        if result.exit_code != 0:
            sys.exit(f"import failed: {result.stderr}")
        base = baseline(data, tmp / "baseline.db")
    print(f"rows:                          {args.rows}")
    print(f"digest subscribers import:     {ours:6.2f} s  {args.rows / ours:10,.0f} rows/s")
    print(f"baseline (bare executemany):   {base:6.2f} s  {args.rows / base:10,.0f} rows/s")
    print(f"overhead (validation, topics, merge, indexes): {ours / base:.1f}x the baseline")


if __name__ == "__main__":
    main()
