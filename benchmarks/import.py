"""A million subscribers on one host: `digest subscribers import`, `send --dry-run` and the planning
phase of `send`, against a bare sqlite3 executemany of the same rows, measured in the same run.

Run from the repository root:  .venv/bin/python benchmarks/import.py [--rows 100000]

Generates a CSV (addresses, names, one or two topics, frequency, timezone) in a temporary directory
and, at a tenth of --rows and at --rows (so the per-row cost shows whether time grows linearly):
  - runs the real `digest subscribers import` in a child process (validation with email-validator,
    duplicate merging, batched writes) into a fresh database that holds the seed articles;
  - runs the baseline in a child: the same rows (already parsed, no validation) inserted with one
    plain executemany into a bare table of the same columns;
  - runs `digest send --dry-run` and pipeline.plan_edition (what `send` does before its first
    message: one pending delivery row per due subscriber) in children;
and prints each child's wall and CPU seconds (wait4), rows/s and peak RSS, and the database size.
Peak RSS is the child's ru_maxrss from wait4 (this parent stays small, so it is the child's own) or,
for the children of this script, their VmHWM.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", ""]
TOPICS = ["Europe;World", "Politics", "World;Politics", "Europe"]
COLUMNS = ["email", "name", "topics", "frequency", "timezone"]


def make_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for i in range(rows):
            w.writerow([f"reader.{i}@Example{i % 97}.org", f"Reader {i}", TOPICS[i % 4],
                        "weekly" if i % 5 == 0 else "daily", ZONES[i % 4]])


def run_child(args: list[str], env: dict[str, str]) -> dict:
    """A child process: wall seconds, CPU seconds and peak RSS (MB) from wait4; its JSON stdout, if any."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:     # files: no pipe can fill up
        start = time.perf_counter()
        proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        out.seek(0), err.seek(0)
        out, err = out.read(), err.read()
    wall = time.perf_counter() - start
    if status:
        raise SystemExit(f"{' '.join(args[1:])} failed ({status}): {err[-2000:].decode(errors='replace')}")
    result = json.loads(out) if out.startswith(b"{") else {}
    result.setdefault("vm_hwm_mb", usage.ru_maxrss / 1024)
    result.update(wall=wall, cpu=usage.ru_utime + usage.ru_stime, stderr=err.decode(errors="replace"))
    return result


def digest(env: dict[str, str], *args: str) -> dict:
    return run_child([sys.executable, "-m", "digest", *args], env)


def me(env: dict[str, str], *args: str) -> dict:
    return run_child([sys.executable, str(Path(__file__).resolve()), "--child", *args], env)


def baseline_child(csv_path: str, db: str) -> None:
    """In a child: the same rows, parsed by the csv module, in one executemany into a bare table."""
    from send import vm_hwm
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    conn = sqlite3.connect(db)
    conn.execute(f"CREATE TABLE subscribers ({', '.join(c + ' TEXT' for c in COLUMNS)})")
    start, cpu = time.perf_counter(), time.process_time()
    with conn:
        conn.executemany(f"INSERT INTO subscribers VALUES ({', '.join('?' * len(COLUMNS))})", rows)
    print(json.dumps({"insert_s": time.perf_counter() - start, "insert_cpu_s": time.process_time() - cpu,
                      "vm_hwm_mb": vm_hwm()}))


def plan_child() -> None:
    """In a child: the planning phase of `digest send` (pending delivery rows), timed."""
    from digest import config, pipeline
    from digest.db import Database
    from send import vm_hwm
    cfg = config.load()
    store = Database.open(cfg.db)
    start, cpu = time.perf_counter(), time.process_time()
    plan = pipeline.plan_edition(store, cfg)
    print(json.dumps({"planned": plan.created, "plan_s": time.perf_counter() - start,
                      "plan_cpu_s": time.process_time() - cpu, "vm_hwm_mb": vm_hwm()}))


def size_mb(db: Path) -> float:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 1e6


def one(folder: Path, rows: int) -> dict:
    folder.mkdir()
    data = folder / "list.csv"
    make_csv(data, rows)
    env = {**os.environ, "DIGEST_DB": str(folder / "digest.db"), "DIGEST_SECRET": secrets.token_hex(32),
           "DIGEST_MAX_AGE_DAYS": "36500",   # the generated stories carry fixed dates: never stale here
           "DIGEST_BASE_URL": "https://news.example.com", "DIGEST_FROM": "The Digest <digest@news.example.com>",
           "DIGEST_POSTAL_ADDRESS": "The Digest, 1 Harbour Road, Cobh, Ireland"}
    digest(env, "init")
    digest(env, "articles", "ingest", str(ROOT / "seeds"))
    (folder / "empty.csv").write_text(",".join(COLUMNS) + "\n")
    # The fixed cost of a command (starting Python, importing digest): the same commands on no rows.
    fixed = {"import": digest(env, "subscribers", "import", str(folder / "empty.csv"))["wall"],
             "dry": digest(env, "send", "--dry-run")["wall"]}
    imp = digest(env, "subscribers", "import", str(data))
    if f"{rows} new" not in imp["stderr"]:
        raise SystemExit(f"import did not add every row: {imp['stderr'][-500:]}")
    with sqlite3.connect(folder / "digest.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db_mb = size_mb(folder / "digest.db")
    base = me(env, "baseline", str(data), str(folder / "baseline.db"))
    dry = digest(env, "send", "--dry-run")
    plan = me(env, "plan")
    daily = rows - (rows + 4) // 5       # every fifth row is weekly: not due in the daily edition
    if plan["planned"] != daily:
        print(f"warning: planned {plan['planned']} of {daily} daily subscribers", file=sys.stderr)
    return {"rows": rows, "fixed": fixed, "import": imp, "base": base, "dry": dry, "plan": plan, "db_mb": db_mb,
            "csv_mb": data.stat().st_size / 1e6, "base_db_mb": size_mb(folder / "baseline.db")}


def report(r: dict) -> None:
    n, imp, base, dry, plan = r["rows"], r["import"], r["base"], r["dry"], r["plan"]
    print(f"\n{n:,} rows (CSV {r['csv_mb']:.0f} MB)")
    print(f"  digest subscribers import   {imp['wall']:6.1f} s wall {imp['cpu']:6.1f} s CPU "
          f"{n / imp['wall']:9,.0f} rows/s  peak RSS {imp['vm_hwm_mb']:6.1f} MB")
    print(f"  baseline: bare executemany  {base['insert_s']:6.1f} s wall {base['insert_cpu_s']:6.1f} s CPU "
          f"{n / base['insert_s']:9,.0f} rows/s  peak RSS {base['vm_hwm_mb']:6.1f} MB (holds every row)")
    print(f"    import / baseline: {imp['wall'] / base['insert_s']:.1f}x the wall time "
          "(validation, topics, merging, indexes, subscriptions)")
    print(f"  digest send --dry-run       {dry['wall']:6.1f} s wall {dry['cpu']:6.1f} s CPU "
          f"{'':19}peak RSS {dry['vm_hwm_mb']:6.1f} MB")
    print(f"  send's planning phase       {plan['plan_s']:6.1f} s wall {plan['plan_cpu_s']:6.1f} s CPU "
          f"{plan['planned'] / max(plan['plan_s'], 1e-9):9,.0f} rows/s  peak RSS {plan['vm_hwm_mb']:6.1f} MB"
          f" ({plan['planned']:,} daily subscribers planned)")
    print(f"  database after import: {r['db_mb']:.0f} MB ({r['db_mb'] * 1e6 / n:.0f} bytes per subscriber; "
          f"the bare table: {r['base_db_mb']:.0f} MB)")


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        return baseline_child(*sys.argv[3:5]) if sys.argv[2] == "baseline" else plan_child()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (a shared machine: read the ratios)")
    with tempfile.TemporaryDirectory() as tmp:
        small, big = one(Path(tmp) / "small", max(1, args.rows // 10)), one(Path(tmp) / "big", args.rows)
    for r in (small, big):
        report(r)
    grow = big["rows"] / small["rows"]
    work = lambda r, k: r[k]["wall"] - r["fixed"][k]  # noqa: E731  (less starting the command)
    print(f"\nstarting a command (the same command on no rows): import {big['fixed']['import']:.1f} s, "
          f"send --dry-run {big['fixed']['dry']:.1f} s; less that, at {grow:.0f}x the rows (linear: {grow:.0f}x):")
    ratio = lambda a, b: f"{a / b:.1f}x" if b >= 0.5 else "(too short to compare)"  # noqa: E731
    print(f"  import {ratio(work(big, 'import'), work(small, 'import'))} the time, "
          f"baseline {ratio(big['base']['insert_s'], small['base']['insert_s'])}, "
          f"send --dry-run {ratio(work(big, 'dry'), work(small, 'dry'))}, "
          f"planning {ratio(big['plan']['plan_s'], small['plan']['plan_s'])}")
    peak = max(big[k]["vm_hwm_mb"] for k in ("import", "dry", "plan"))
    print(f"peak RSS of import, send --dry-run and planning at {big['rows']:,}: {peak:.0f} MB "
          f"(target <= 150 MB: {'met' if peak <= 150 else 'NOT met'}); parent's own peak "
          f"{_parent_hwm():.0f} MB")


def _parent_hwm() -> float:
    from send import vm_hwm
    return vm_hwm()


if __name__ == "__main__":
    main()
