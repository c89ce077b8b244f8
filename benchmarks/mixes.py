"""What twenty topics cost against three: plan + render + send of one edition, same run, same receiver.

Run from the repository root:  .venv/bin/python benchmarks/mixes.py [--subscribers 1000,10000,100000]
                                [--connections C] [--receiver auto|postfix|aiosmtpd] [--json FILE]

For each N it builds two databases of 200 generated articles (tests/newsroom.py, ingested as JSON
Lines: every 7th story carried by a second topic, every 11th reported by two more outlets) and N
subscribers (seeded RNG):
  twenty  20 topics, each subscriber following a random 1-6 of them (thousands of distinct mixes)
  three   the same articles over 3 topics, each subscriber following a random 1-3 (at most 7 mixes)
and runs `digest send` on each in a child process (benchmarks/send.py's child: plan_edition, then
send_edition) into a receiver that discards (benchmarks/send.py's private Postfix, or aiosmtpd in a
subprocess). Prints the child's CPU seconds (wait4), wall seconds and peak RSS (VmHWM) for both, and
their ratio. Targets at 100,000: CPU within 1.5x of the three-topic run, peak RSS <= 150 MB.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import send as sendbench  # noqa: E402  (benchmarks/send.py: receivers, the child, wait4 figures)

TWENTY = ["Europe", "World", "Politics", "Pacific", "Africa", "Americas", "Business", "Markets", "Technology",
          "Science", "Health", "Climate", "Energy", "Sport", "Culture", "Books", "Travel", "Food", "Education",
          "Opinion"]
ARTICLES = 200


def articles(topics: list[str]) -> list[dict]:
    import newsroom
    rows = newsroom.edition(ARTICLES, tuple(topics), seed=22)
    out = []
    for i, r in enumerate(rows):
        if i % 7 == 0:
            r["labels"].append(topics[(i * 3 + 1) % len(topics)])
        r["url"] = f"https://{r['source'].lower().replace(' ', '')}.example/{i}"
        out.append(r)
        if i % 11 == 0:
            for k, outlet in enumerate(["Radio Nord", "Mountain Post"]):
                out.append({**r, "source": outlet, "url": f"https://{outlet.lower().replace(' ', '')}.example/{i}",
                            "body": r["body"].replace(".", f" {outlet.split()[0]} said.", 2 + k)})
    return out[:ARTICLES]


def build_db(folder: Path, topics: list[str], n: int, most: int, seed: int = 1) -> tuple[dict, int]:
    """A database of ARTICLES articles over `topics` and n subscribers of 1..`most` random topics;
    returns the environment for digest and the number of distinct mixes."""
    from digest import config, pipeline
    from digest.db import Database
    folder.mkdir(mode=0o755, parents=True, exist_ok=True)
    env = {**sendbench.os.environ, "DIGEST_DB": str(folder / "bench.db"), "DIGEST_SECRET": secrets.token_hex(32),
           "DIGEST_MAX_AGE_DAYS": "36500",   # the generated stories carry fixed dates: never stale here
           "DIGEST_BASE_URL": "https://news.example.com", "DIGEST_FROM": "The Digest <digest@news.example.com>",
           "DIGEST_POSTAL_ADDRESS": "The Digest, 1 Harbour Road, Cobh, Ireland"}
    cfg = config.load(env=env)
    store = Database.open(cfg.db)
    store.init()
    for t in topics:
        store.topics.add(t)
    (folder / "articles.jsonl").write_text("".join(json.dumps(r) + "\n" for r in articles(topics)))
    report = pipeline.ingest(store, paths=[folder / "articles.jsonl"])
    if report.errors:
        raise SystemExit(f"ingest failed: {report.errors[:3]}")
    rnd = random.Random(seed)
    picks = [rnd.sample(topics, rnd.randint(1, most)) for _ in range(n)]
    names = sendbench.NAMES
    rows = "".join(f'reader{i:06d}@example.org,"{names[i % len(names)]}",{";".join(p)}\n' for i, p in enumerate(picks))
    imported = pipeline.import_subscribers(store, ("email,name,topics\n" + rows).encode(), "bench.csv")
    store.close()
    if getattr(imported, "errors", None):
        raise SystemExit(f"subscriber import failed: {imported.errors[:3]}")
    return env, len({"+".join(sorted(p)) for p in picks})


def one(folder: Path, port: int, connections: int, topics: list[str], n: int, most: int) -> dict:
    t = time.perf_counter()
    env, mixes = build_db(folder, topics, n, most)
    setup = time.perf_counter() - t
    d = sendbench.digest_send(env, port, connections)
    if d["sent"] != n:
        print(f"warning: sent {d['sent']} of {n}", file=sys.stderr)
    return {"topics": len(topics), "subscribers": n, "mixes": mixes, "sent": d["sent"], "cpu_s": round(d["cpu"], 2),
            "wall_s": round(d["wall"], 2), "plan_s": round(d["plan_s"], 2), "peak_rss_mb": round(d["peak_rss_mb"], 1),
            "cpu_ms_per_msg": round(d["cpu"] / max(1, d["sent"]) * 1000, 3), "setup_s": round(setup, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subscribers", default="1000,10000,100000", help="comma-separated counts")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--receiver", choices=["auto", "postfix", "aiosmtpd"], default="auto")
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args()
    counts = [int(c.replace("_", "")) for c in args.subscribers.split(",") if c.strip()]
    folder = Path(tempfile.mkdtemp(prefix="digest-mixes-"))
    folder.chmod(0o755)
    use_postfix = args.receiver == "postfix" or (args.receiver == "auto" and sendbench.Postfix.available())
    receiver = (sendbench.Postfix if use_postfix else sendbench.Aiosmtpd)(folder)
    results = []
    try:
        receiver.start()
        port = receiver.port
        for n in counts:
            for topics, most in ((TWENTY, 6), (TWENTY[:3], 3)):
                r = one(folder / f"{len(topics)}-{n}", port, args.connections, topics, n, most)
                print(f"{r['topics']:>2} topics, {n:,} subscribers, {r['mixes']:,} mixes: cpu {r['cpu_s']:.1f}s, "
                      f"wall {r['wall_s']:.1f}s, peak RSS {r['peak_rss_mb']:.0f} MB", file=sys.stderr)
                results.append(r)
                shutil.rmtree(folder / f"{len(topics)}-{n}", ignore_errors=True)
    finally:
        receiver.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"receiver: {receiver.name}; {args.connections} connections; {ARTICLES} articles")
    print(f"{'subscribers':>11}  {'topics':>6}  {'mixes':>6}  {'CPU s':>7}  {'wall s':>7}  {'plan s':>6}  "
          f"{'ms/msg':>6}  {'peak RSS MB':>11}  {'CPU ratio':>9}")
    for twenty, three in zip(results[::2], results[1::2]):
        ratio = twenty["cpu_s"] / three["cpu_s"] if three["cpu_s"] else float("nan")
        twenty["cpu_ratio"] = round(ratio, 2)
        for r in (twenty, three):
            print(f"{r['subscribers']:>11,}  {r['topics']:>6}  {r['mixes']:>6,}  {r['cpu_s']:>7.1f}  {r['wall_s']:>7.1f}  "
                  f"{r['plan_s']:>6.1f}  {r['cpu_ms_per_msg']:>6.3f}  {r['peak_rss_mb']:>11.0f}  "
                  + (f"{ratio:>9.2f}" if r is twenty else f"{'1.00':>9}"))
    last = results[-2]
    print(f"at {last['subscribers']:,}: CPU {last['cpu_ratio']:.2f}x the three-topic run (target <= 1.5), "
          f"peak RSS {last['peak_rss_mb']:.0f} MB (target <= 150)")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
