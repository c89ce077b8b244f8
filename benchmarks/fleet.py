"""How a fleet of `digest worker` processes on PostgreSQL scales, and what it costs against one host.

Run from the repository root:  .venv/bin/python benchmarks/fleet.py [--subscribers N] [--delayed-subscribers M]
                                [--delay 0.02] [--json FILE]

Starts a private PostgreSQL (tests/private_postgres.py) and two "hosts" (a folder each, with its own
journal and its own relay), builds a store of N subscribers (default 100,000; the shapes of
benchmarks/send.py) and copies it into a fresh database for every run. Each run starts its workers,
waits until they are idle, then times `digest send --yes` (queue mode, DIGEST_WORKERS=1: it plans the
edition into batches and queues them) and the workers until every batch is done, and checks every
subscriber's copies (the receiver's count, or the ledger for Postfix). It measures, in one run:

  delayed   1, 2 and 4 workers (half on each host) against a receiver that answers every SMTP command
            after --delay seconds (a relay across a network), one per host, M subscribers (default 20,000:
            the rate is steady long before; a single worker takes about 100 s for them), in batches
            of 500 (--delayed-batch-size), each worker 2 batches at once over 8 connections each
  postfix   4 workers into two private Postfix relays (discard transport, benchmarks/send.py), 4
            connections to each, against the same-run ceiling of benchmarks/send.py (pre-built bytes over
            4 reused smtplib connections to each relay at once, before and after) and against plain
            `digest send` on SQLite through the same two relays (also against that ceiling)
Database time per 1,000 messages is pg_stat_database.active_time of the run's database (every
session's time executing statements: planning, claims, fenced ledger writes, procrastinate's queue),
read after the workers have stopped; the server's CPU is the postmaster's whole process tree. Client
CPU per message is the workers' user + system time (/proc/PID/stat) from idle to done, plus the
planning `digest send`'s (wait4).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fleet_parts as fp  # noqa: E402
import send as sendbench  # noqa: E402


def fleet_run(pg: fp.Postgres, template: str, folder: Path, env: dict, relays: list[str], workers: int, *,
              concurrency: int, connections: int, tag: str, expect: int, got=None) -> dict:
    """One edition sent by `workers` workers, alternating between the hosts (one per relay URL)."""
    name = f"fleet_{tag}"
    url = pg.copy(template, name)
    # A relay's `connections` is the whole fleet's (relay_slots): allow each relay what its host's workers
    # use together, `connections` per batch in flight, as a provider's limit would be raised for them.
    per_relay = connections * concurrency * max(1, workers // len(relays))
    run_env = {**env, "DIGEST_DB": url, "DIGEST_WORKERS": "1", "DIGEST_CONNECTIONS": str(per_relay)}
    hosts = [fp.Host(folder / tag, f"host{chr(97 + i)}", run_env, relay) for i, relay in enumerate(relays)]
    procs = [hosts[i % len(hosts)].start(concurrency) for i in range(workers)]
    try:
        if not fp.wait_for(lambda: all(w.ready() for w in procs), 120):
            raise SystemExit(f"{tag}: workers did not start")
        if any(w.proc.poll() is not None for w in procs):
            raise SystemExit(f"{tag}: a worker exited: {procs[0].log.read_text()[-1500:]}")
        time.sleep(0.5)
        cpu0, db0, srv0 = sum(w.cpu() for w in procs), pg.active_ms(name), pg.cpu()
        start = time.perf_counter()
        plan = subprocess.Popen([*fp.DIGEST, "send", "--yes"], env={**run_env, "DIGEST_SMTP_URL": relays[0]}, cwd=folder, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        said = plan.stdout.read() if plan.stdout else ""
        _, status, usage = os.wait4(plan.pid, 0)
        planned = time.perf_counter()
        if status:
            raise SystemExit(f"{tag}: digest send exited {status}: {said[-1500:]}")
        db_plan = pg.active_ms(name) - db0
        if not fp.wait_for(lambda: fp.batches_left(url) == 0, 3600, poll=0.25):
            raise SystemExit(f"{tag}: the batches never finished")
        done = time.perf_counter()
        cpu = sum(w.cpu() for w in procs) - cpu0
    finally:
        codes = [w.stop() for w in procs]
    time.sleep(1.2)                     # the stats of the workers' sessions, flushed as they end
    db_all, srv = pg.active_ms(name) - db0, pg.cpu() - srv0
    s = fp.statuses(url)
    (subs, rows), = fp.rows(url, "SELECT count(DISTINCT subscriber_id), count(*) FROM deliveries WHERE status = 'sent'")
    pg.drop(name)
    sent = s.get("sent", 0)
    ok = sent == expect == subs == rows and (got is None or (len(got) == expect and set(got.values()) == {1}))
    return {"workers": workers, "concurrency": concurrency, "connections_per_batch": connections,
            "connections_total": workers * concurrency * connections, "sent": sent, "statuses": s,
            "one_copy_each": ok, "exit_codes": codes, "plan_s": round(planned - start, 2),
            "send_s": round(done - planned, 2), "wall_s": round(done - start, 2),
            "msgs_per_s": round(sent / (done - start), 1), "send_phase_msgs_per_s": round(sent / (done - planned), 1),
            "client_cpu_ms_per_msg": round((cpu + usage.ru_utime + usage.ru_stime) / max(1, sent) * 1000, 3),
            "worker_cpu_ms_per_msg": round(cpu / max(1, sent) * 1000, 3),
            "db_ms_per_1000": round(db_all / max(1, sent) * 1000, 1),
            "db_plan_ms_per_1000": round(db_plan / max(1, sent) * 1000, 1),
            "server_cpu_ms_per_1000": round(srv / max(1, sent) * 1e6, 1)}


def line(label: str, r: dict, base: float | None = None) -> str:
    rate = r["send_phase_msgs_per_s"]
    return (f"{label:<28} {rate:8,.0f} msgs/s" + (f"  ({rate / base:.2f}x one worker)" if base else "")
            + f"; end to end {r['msgs_per_s']:,.0f} (plan {r['plan_s']:.1f}s, send {r['send_s']:.1f}s); "
            f"{r['connections_total']} connections; client CPU {r['client_cpu_ms_per_msg']:.3f} ms/msg; "
            f"DB {r['db_ms_per_1000']:,.0f} ms/1,000 (plan {r['db_plan_ms_per_1000']:,.0f}); "
            f"one copy each: {r['one_copy_each']}; exits {r['exit_codes']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subscribers", type=int, default=100_000)
    ap.add_argument("--delayed-subscribers", type=int, default=20_000)
    ap.add_argument("--delay", type=float, default=0.02, help="seconds before each reply of the delayed receiver")
    ap.add_argument("--delayed-concurrency", type=int, default=2, help="batches at once per worker (delayed)")
    ap.add_argument("--delayed-connections", type=int, default=8, help="connections per batch (delayed)")
    ap.add_argument("--delayed-batch-size", type=int, default=500,
                    help="deliveries per batch (delayed): enough batches that 4 workers are not left idle at the end")
    ap.add_argument("--workers", default="1,2,4", help="worker counts against the delayed receiver")
    ap.add_argument("--connections", type=int, default=4, help="connections to each Postfix relay")
    ap.add_argument("--ceiling-messages", type=int, default=20_000)
    ap.add_argument("--skip-postfix", action="store_true")
    ap.add_argument("--json", dest="json_out", metavar="FILE")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="digest-fleet-"))
    folder.chmod(0o755)
    load = os.getloadavg()
    result: dict = {"subscribers": args.subscribers, "load_before": [round(x, 2) for x in load]}
    pg = fp.Postgres()
    receivers: list = []
    try:
        pg.start()
        n_delayed = min(args.subscribers, args.delayed_subscribers)
        (folder / "d").mkdir()
        env = sendbench.build_db(folder / "d", n_delayed)
        pg.template(Path(env["DIGEST_DB"]), "tpl_delayed")
        delayed = [fp.Delayed(args.delay).start() for _ in range(2)]
        receivers += delayed
        runs, base = [], None
        for n in (int(x) for x in args.workers.split(",")):
            for d in delayed:
                d.got.clear()
            r = fleet_run(pg, "tpl_delayed", folder, {**env, "DIGEST_BATCH_SIZE": str(args.delayed_batch_size)},
                          [d.url for d in delayed], n,
                          concurrency=args.delayed_concurrency, connections=args.delayed_connections,
                          tag=f"delayed{n}", expect=n_delayed)
            got = sum((d.got for d in delayed), start=collections.Counter())
            r["one_copy_each"] = r["one_copy_each"] and len(got) == n_delayed and set(got.values()) == {1}
            base = base or r["send_phase_msgs_per_s"]
            r["ratio_to_one"] = round(r["send_phase_msgs_per_s"] / base, 2)
            runs.append(r)
            print(line(f"delayed {args.delay * 1000:.0f} ms, {n} worker(s)", r, base if n > 1 else None), flush=True)
        result["delayed"] = {"subscribers": n_delayed, "delay_s": args.delay, "batch_size": args.delayed_batch_size,
                             "runs": runs}
        if not args.skip_postfix:
            result["postfix"] = postfix_runs(pg, folder, args, receivers)
    finally:
        for r in receivers:
            r.stop()
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(f"load average (1, 5, 15 min): before {result['load_before']}, after {result['load_after']} "
          f"on {os.cpu_count()} cores")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2) + "\n")


def postfix_runs(pg: fp.Postgres, folder: Path, args, receivers: list) -> dict:
    """4 workers on Postgres and plain `digest send` on SQLite, each against the same-run ceiling."""
    place = folder / "p"
    place.mkdir()
    env = sendbench.build_db(place, args.subscribers)
    pg.template(Path(env["DIGEST_DB"]), "tpl_full")
    messages = sendbench.sample_messages(env)
    relays = []
    for i in range(2):
        (place / f"relay{i}").mkdir(mode=0o755)
        relays.append(sendbench.Postfix(place / f"relay{i}"))
        relays[-1].start()
        receivers.append(relays[-1])
    ports = [r.port for r in relays]
    c, n_ceiling = args.connections, min(args.subscribers, args.ceiling_messages)
    before = sendbench.ceilings(ports, c, messages, n_ceiling, "before")
    # 2 workers per host, one batch at a time each, over half the relay's connections: 4 to each relay.
    fleet = fleet_run(pg, "tpl_full", folder, env, [f"smtp://127.0.0.1:{p}" for p in ports], 4,
                      concurrency=1, connections=max(1, c // 2), tag="postfix", expect=args.subscribers)
    sqlite = sendbench.digest_send(env, ports, c)
    after = sendbench.ceilings(ports, c, messages, n_ceiling, "after")
    ceil = (before["both"] + after["both"]) / 2
    s_rate = sqlite["sent"] / sqlite["wall"]
    out = {"ceiling_before": round(before["both"], 1), "ceiling_after": round(after["both"], 1),
           "ceiling": round(ceil, 1), "postgres_fleet": fleet,
           "postgres_ratio": round(fleet["msgs_per_s"] / ceil, 3),
           "sqlite": {"msgs_per_s": round(s_rate, 1), "sent": sqlite["sent"], "wall_s": round(sqlite["wall"], 2),
                      "client_cpu_ms_per_msg": round(sqlite["cpu"] / max(1, sqlite["sent"]) * 1000, 3)},
           "sqlite_ratio": round(s_rate / ceil, 3)}
    print(f"ceiling, both relays:        {before['both']:,.0f} before, {after['both']:,.0f} after, mean {ceil:,.0f} "
          f"msgs/s (pre-built bytes, smtplib, {c} connections to each relay at once)")
    print(line("postgres, 4 workers", fleet) + f"; ratio {out['postgres_ratio']:.2f} (target >= 0.7)")
    print(f"{'sqlite, digest send':<28} {s_rate:8,.0f} msgs/s end to end; client CPU "
          f"{out['sqlite']['client_cpu_ms_per_msg']:.3f} ms/msg; ratio {out['sqlite_ratio']:.2f} (target >= 0.7)",
          flush=True)
    return out


if __name__ == "__main__":
    main()
