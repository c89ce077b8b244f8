"""The fault campaign against a fleet (`benchmarks/faults.py --fleet`): does every subscriber get exactly
one copy when workers and hosts die?

Each trial copies a store of N subscribers (default 2,000; benchmarks/send.py's shapes) into a fresh
database on one private PostgreSQL, starts the tests' SMTP server (tests/smtp_server.py) greylisting
5% of recipients (a 451 at their first RCPT), and two "hosts" (a folder, a journal and, where this
runs as root, a host name of its own, so neither can see the other's pids) of two `digest worker`
each. Then `digest send --yes` queues the edition, and while the workers send it:

  kill    every 2-5 s, kill -9 a random worker at work (started, its journal replayed), and start it
          again on its host at once
  stall   once, SIGSTOP a worker past its lease (DIGEST_WORKER_LEASE, 8 s), then SIGCONT
  host    once, kill both workers of one host and hide its journal folder; bring both back after the lease

When every batch is done, the workers are stopped (SIGTERM) and the trial counts, from what the server
received: subscribers with 0, 1 and 2+ copies, deliveries the ledger lists as uncertain (and how many
of those the server did receive), subscribers lost (no copy, not uncertain, not failed) and every exit
code (k: killed by us; P: the planning send; K, H: a worker killed alone or with its host). The bound it
checks: uncertain <= single kills x a worker's connections (concurrency x connections: what it has in
flight) + the rows the lost host's workers held 'sending' when they died (the host-loss window) + the
rows the stopped worker held 'sending' (taken over by the other host, they are uncertain too).
"""

from __future__ import annotations

import collections
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import fleet_parts as fp
import send as sendbench
from smtp_server import Sink

LEASE = 8.0        # longer than a worker takes to start again here (2-5 s under load), as 120 s is in use


class TimedSink(Sink):
    """The tests' server, noting when each message arrived (to tell a duplicate's story)."""

    def store(self, mail_from: str, rcpts: list[str], data: bytes) -> None:
        super().store(mail_from, rcpts, data)
        with self._lock:
            self.times.append(time.time())

    def __init__(self, *args, **kwargs):
        self.times: list[float] = []
        super().__init__(*args, **kwargs)


def sending_rows(url: str, pids: list[int]) -> int:
    """Rows 'sending' in the batches these worker pids hold: what may turn uncertain if they never return."""
    if not pids:
        return 0
    pats = [f"%:{pid}:%" for pid in pids]
    (n,), = fp.rows(url, "SELECT count(*) FROM deliveries d JOIN batches b ON b.id = d.batch_id "
                         "WHERE d.status = 'sending' AND b.owner LIKE ANY(%s)", pats)
    return int(n)


class FleetTrial:
    def __init__(self, pg: fp.Postgres, env: dict, folder: Path, number: int, n: int, rnd: random.Random):
        self.pg, self.folder, self.number, self.n, self.rnd = pg, folder, number, n, rnd
        self.name = f"faults_{number}"
        self.url = pg.copy("tpl_faults", self.name)
        self.connections, self.concurrency = rnd.choice([1, 2]), 2
        self.env = {**env, "DIGEST_DB": self.url, "DIGEST_WORKERS": "1", "DIGEST_CONNECTIONS": str(self.connections),
                    "DIGEST_WORKER_LEASE": str(LEASE), "DIGEST_BATCH_SIZE": str(rnd.choice([50, 100, 200])),
                    "DIGEST_SEND_BATCH": "20", "DIGEST_RETRY_BASE": "0.01", "DIGEST_RATE": "40"}
        self.codes: list[str] = []
        self.notes: list[str] = []
        self.kills = self.stalls = 0
        # rows 'sending' in the batches of the workers we killed (K), of the host we lost (H), of the worker
        # we stopped (S), when we did: what may turn uncertain if another host takes those batches over
        self.window = {"K": 0, "H": 0, "S": 0}

    def code(self, w: fp.Worker, tag: str) -> None:
        c = w.proc.returncode
        self.codes.append(f"{tag}{'k' if c == -9 else c}")
        if c not in (0, -9):
            self.notes.append(f"{tag}: exit {c}: " + " | ".join(w.log.read_text(errors="replace").splitlines()[-3:]))

    def kill(self, w: fp.Worker, tag: str) -> None:
        self.window[tag] += sending_rows(self.url, [w.proc.pid])
        w.signal(signal.SIGKILL)
        w.proc.wait()
        self.code(w, tag)

    def run(self, sink: Sink) -> None:
        hosts = [fp.Host(self.folder, f"host{x}", self.env, sink.url) for x in "ab"]
        for h in hosts:
            h.start(self.concurrency), h.start(self.concurrency)
        live = [w for h in hosts for w in h.workers]
        fp.wait_for(lambda: all(w.ready() for w in live), 60)
        plan = subprocess.run([*fp.DIGEST, "send", "--yes", "--quiet"], env={**self.env, "DIGEST_SMTP_URL": sink.url},
                              cwd=self.folder, capture_output=True, text=True)
        self.codes.append(f"P{plan.returncode}")
        start = time.monotonic()
        try:
            self.faults(hosts, live, start)
        finally:
            for w in live:
                w.stop()
                self.code(w, "")

    def faults(self, hosts: list[fp.Host], live: list[fp.Worker], start: float) -> None:
        rnd = self.rnd
        next_kill = start + rnd.uniform(2, 5)
        stall_at, host_at = start + rnd.uniform(1, 4), start + rnd.uniform(3, 7)
        stalled: fp.Worker | None = None
        down: fp.Host | None = None
        wake_at = back_at = 0.0
        hidden = False
        while time.monotonic() - start < 300:
            now = time.monotonic()
            # a worker at work: started, its journal replayed (one still starting is not a victim: killed
            # again and again before it replays, it would leave its batches to the other host's lease)
            busy = [w for w in live if w is not stalled and w.host is not down and w.proc.poll() is None and w.ready()]
            if stall_at and now >= stall_at and busy:
                stalled, stall_at = rnd.choice(busy), 0.0
                self.window["S"] += sending_rows(self.url, [stalled.proc.pid])
                stalled.signal(signal.SIGSTOP)
                self.stalls += 1
                wake_at = now + LEASE + rnd.uniform(1, 2)
            elif stalled and now >= wake_at:
                stalled.signal(signal.SIGCONT)
                stalled = None
            elif host_at and now >= host_at:
                down, host_at = rnd.choice(hosts), 0.0
                for w in [w for w in live if w.host is down]:
                    if w is stalled:
                        stalled = None
                    self.kill(w, "H")
                    live.remove(w)
                    self.kills += 1
                if down.journal.exists():
                    down.journal.rename(down.journal.with_name("journal.hidden"))
                    hidden = True
                back_at = now + LEASE + rnd.uniform(1, 3)
            elif down and now >= back_at:
                if hidden:
                    down.journal.with_name("journal.hidden").rename(down.journal)
                    hidden = False
                live += [down.start(self.concurrency), down.start(self.concurrency)]
                down = None
            elif now >= next_kill and busy:
                victim = rnd.choice(busy)
                self.kill(victim, "K")
                self.kills += 1
                live.remove(victim)
                live.append(victim.host.start(self.concurrency))
                next_kill = now + rnd.uniform(2, 5)
            elif not (stall_at or stalled or host_at or down) and self.finished():
                break
            time.sleep(0.05)
        else:
            self.notes.append(f"not finished after 300 s: {fp.statuses(self.url)}")

    def finished(self) -> bool:
        s = fp.statuses(self.url)
        return fp.batches_left(self.url) == 0 and not any(s.get(k) for k in ("pending", "sending", "deferred"))


def one_trial(pg: fp.Postgres, env: dict, root: Path, number: int, n: int, rnd: random.Random) -> dict:
    folder = root / f"trial{number}"
    folder.mkdir()
    started = time.monotonic()
    trial = FleetTrial(pg, env, folder, number, n, rnd)
    with TimedSink(greylist=r"[02468]0@") as sink:      # numbers ending 00, 20 ... 80: 5%
        trial.run(sink)
        got = collections.Counter(r.lower() for rcpts, _ in sink.messages for r in rcpts)
    twice = [e for e, k in got.items() if k > 1]
    if twice:          # keep the logs and journals, and tell each duplicate's story
        keep = Path(tempfile.gettempdir()) / f"fleet-duplicates-trial{number}-{int(time.time())}"
        shutil.copytree(folder, keep)
        for e in twice[:10]:
            row = fp.rows(trial.url, "SELECT d.id, d.status, d.attempts, d.batch_id, d.last_reply, d.updated_at "
                                     "FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE s.email = %s", e)
            seen = [(round(t, 3), sink.senders[i]) for i, (rc, _), t in zip(range(len(sink.messages)), sink.messages,
                                                                               sink.times) if e in [r.lower() for r in rc]]
            trial.notes.append(f"DUPLICATE {e}: ledger {row}; received at {seen}; logs in {keep}")
    status = dict(fp.rows(trial.url, "SELECT s.email, d.status FROM deliveries d JOIN subscribers s "
                                     "ON s.id = d.subscriber_id"))
    # why each is uncertain: "worker-lost" (another host took its batch over: its claimed rows), or
    # "sender-died" (its journal's message between the final dot and the reply)
    why = collections.Counter(r[0].split(":", 1)[0] for r in fp.rows(
        trial.url, "SELECT coalesce(last_reply, '') FROM deliveries WHERE status = 'uncertain'"))
    pg.drop(trial.name)
    everyone = {e.lower() for e in status}
    copies = {e: got.get(e, 0) for e in everyone}
    uncertain = {e for e, s in status.items() if s == "uncertain"}
    failed = {e for e, s in status.items() if s == "failed"}
    lost = {e for e in everyone if copies[e] == 0 and e not in uncertain and e not in failed}
    per_worker = trial.concurrency * trial.connections
    kills = trial.codes.count("Kk")
    bound = kills * per_worker + trial.window["H"] + trial.window["S"]
    return {"trial": number, "subscribers": len(everyone), "connections": trial.connections,
            "concurrency": trial.concurrency, "batch_size": int(trial.env["DIGEST_BATCH_SIZE"]),
            "copies_0": sum(1 for c in copies.values() if c == 0), "copies_1": sum(1 for c in copies.values() if c == 1),
            "copies_2plus": sum(1 for c in copies.values() if c >= 2), "uncertain": len(uncertain),
            "uncertain_received": sum(1 for e in uncertain if copies[e]), "uncertain_why": dict(why), "lost": len(lost), "failed": len(failed),
            "kills": trial.kills, "stalls": trial.stalls, "bound": bound,
            "kill_window": trial.window["K"], "host_window": trial.window["H"], "stall_window": trial.window["S"],
            "greylisted": sum(1 for a, k in sink.attempts.items() if k > 1), "extra": sorted(e for e in got
                                                                                          if e not in everyone)[:5],
            "exit_codes": " ".join(trial.codes), "notes": trial.notes, "seconds": round(time.monotonic() - started, 1)}


def campaign(trials: int, seed: int, n: int, json_out: str | None) -> None:
    rnd = random.Random(seed)
    root = Path(tempfile.mkdtemp(prefix="digest-fleet-faults-"))
    root.chmod(0o755)
    pg = fp.Postgres()
    results = []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))     # through the finally blocks: workers, Postgres
    try:
        pg.start()
        (root / "store").mkdir()
        env = sendbench.build_db(root / "store", n)
        pg.template(Path(env["DIGEST_DB"]), "tpl_faults")
        print("| # | subscribers | conns x batches | batch | kills | 0 copies | 1 copy | 2+ copies | uncertain "
              "(received) | kill / host / stall windows | bound | lost | failed | greylisted | exit codes | s |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for i in range(trials):
            r = one_trial(pg, env, root, i + 1, n, rnd)
            results.append(r)
            print(f"| {r['trial']} | {r['subscribers']} | {r['connections']} x {r['concurrency']} | {r['batch_size']} | "
                  f"{r['kills']} | {r['copies_0']} | {r['copies_1']} | {r['copies_2plus']} | {r['uncertain']} "
                  f"({r['uncertain_received']}) | {r['kill_window']} / {r['host_window']} / {r['stall_window']} | {r['bound']} | {r['lost']} | {r['failed']} | {r['greylisted']} | "
                  f"{r['exit_codes']} | {r['seconds']} |", flush=True)
            if r["uncertain_why"]:
                print(f"|   | uncertain by reason: {r['uncertain_why']} |")
            for note in r["notes"]:
                print(f"|   | note: {note[:300]} |", flush=True)
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)
    keys = ("kill_window", "host_window", "stall_window", "subscribers", "copies_0", "copies_1", "copies_2plus", "uncertain", "uncertain_received", "lost",
            "failed", "kills", "stalls", "bound")
    total = {k: sum(r[k] for r in results) for k in keys}
    print(f"\ntotal: {len(results)} trials, {total['subscribers']} subscribers, {total['kills']} kills (a host lost "
          f"counts one), {total['stalls']} stalls; copies 0/1/2+: {total['copies_0']}/{total['copies_1']}/"
          f"{total['copies_2plus']}; uncertain {total['uncertain']} (of which received {total['uncertain_received']}; "
          f"bound {total['bound']}; windows: kills {total['kill_window']}, hosts {total['host_window']}, stalls "
          f"{total['stall_window']}); lost {total['lost']}; failed {total['failed']}; trials over their bound: "
          f"{sum(1 for r in results if r['uncertain'] > r['bound'])}")
    if json_out:
        Path(json_out).write_text(json.dumps({"trials": results, "total": total}, indent=2))
