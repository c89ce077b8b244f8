"""A fault campaign against `digest send`: does every subscriber get exactly one copy, whatever happens?

Run from the repository root:  .venv/bin/python benchmarks/faults.py [--trials 24] [--seed 15] [--json FILE]
                                [--fleet [--subscribers 2000]]

Each trial builds a fresh database (the seed articles plus hostile ones: titles carrying RFC 2047
encoded-word header injections, CR/LF and NUL; subscribers with hostile names, internationalised
domains, and one non-ASCII local part written straight into the database, which import refuses),
starts a real SMTP server on 127.0.0.1 (tests/smtp_server.py, greylisting 5% of recipients in half the
trials), and runs real `digest send` processes while it injects faults at random moments:

  kill    kill -9, one to three times (sometimes before the first message: during planning)
  lock    another connection takes the database's write lock and keeps it until the sender gives up
  stall   SIGSTOP mid-send, past a short lease; a second sender takes over; SIGCONT while it sends
  mixed   a kill, then a lock, then a stall, in one trial

Then plain `digest send` runs until the edition is finished, and the trial counts, from what the
server received: subscribers with 0, 1 and 2+ copies, deliveries the ledger lists as uncertain,
subscribers lost (no copy, not uncertain, not failed with a reason), messages with an injected
header, and every exit code. It prints one table row per trial and the totals.

--fleet runs the campaign against `digest worker` processes on PostgreSQL over two "hosts" instead:
kill -9 every 2-5 s, a worker stopped past its lease, a whole host lost with its journal hidden, 5%
greylisting (benchmarks/fleet_faults.py says how).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import email
import email.policy
import json
import os
import random
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))   # the fault-injecting SMTP server of the tests

from smtp_server import Sink  # noqa: E402

MIXES = ["Europe", "World", "Politics", "Europe;World", "Europe;Politics;World"]
NAMES = ["Ada Lovelace", "Zoë O'Brien", "山田 太郎", "Smith, John", "",
         "=?utf-8?q?=0D=0ABcc:_evil@example.com?=", "Eve\r\nBcc: evil@example.com", '"Quoted" <x@evil.example>']
HOSTILE_TITLES = [
    "Subj =?utf-8?q?=0D=0ABcc:_evil@example.com?= Storm closes Baltic ports",
    "Harbour strike =?utf-8?b?DQpYLUluamVjdGVkOiB5ZXM=?= spreads to the north",
    "Flood\r\nBcc: evil@example.com warning for the Rhine delta",
    "Null\x00byte ministers meet in Brussels",
    "=?utf-8?q?=0D=0A=0D=0A<html>body_injection?= Senate passes stopgap bill",
]
BODY = ("Officials said on Tuesday that the measure would take effect next month. The decision followed weeks of "
        "talks between the parties. Critics said the plan did not go far enough, while supporters called it a "
        "first step. A vote is expected before the end of the year.")
SEND = [sys.executable, "-m", "digest", "send", "--yes", "--quiet"]
NON_ASCII_LOCAL = "jürgen@example.org"
VERBOSE = False         # --verbose: a note with the Error: line of every run that exited 1, 2 or 4


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.003)
    return True


# ---- one trial's world ----------------------------------------------------------------------

def build(folder: Path, n: int, rnd: random.Random) -> tuple[dict, set[str]]:
    from digest import config, pipeline
    from digest.db import Database
    env = {**os.environ, "DIGEST_DB": str(folder / "digest.db"), "DIGEST_SECRET": secrets.token_hex(32),
           "DIGEST_MAX_AGE_DAYS": "36500",   # the generated stories carry fixed dates: never stale here
           "DIGEST_BASE_URL": "https://news.example.com", "DIGEST_FROM": "The Digest <digest@news.example.com>",
           "DIGEST_POSTAL_ADDRESS": "The Digest, 1 Harbour Road, Cobh, Ireland",
           "DIGEST_CONNECTIONS": str(rnd.choice([1, 2, 4])), "DIGEST_RETRY_BASE": "0.01",
           "DIGEST_LEASE_SECONDS": "2", "DIGEST_LOCK_TIMEOUT": "0.5", "DIGEST_SEND_BATCH": str(rnd.choice([20, 100, 500]))}
    env.pop("DIGEST_CONFIG", None)
    hostile = folder / "hostile.jsonl"
    hostile.write_text("".join(json.dumps({"title": t, "body": BODY, "labels": [MIXES[i % 3]],
                                           "url": f"https://example.org/h{i}"}) + "\n"
                               for i, t in enumerate(HOSTILE_TITLES)))
    cfg = config.load(env=env)
    store = Database.open(cfg.db)
    store.init()
    store.topics.ensure_defaults()
    pipeline.ingest(store, paths=[ROOT / "seeds", hostile])
    emails = [f"reader{i:05d}@example.org" for i in range(n)]
    emails[1::97] = [f"leser{i}@bücher.example" for i in range(len(emails[1::97]))]
    emails[2::101] = [f"kunde{i}@xn--strae-oqa.example" for i in range(len(emails[2::101]))]
    rows = "".join(f'{e},{json.dumps(NAMES[i % len(NAMES)])},{MIXES[i % len(MIXES)]}\n' for i, e in enumerate(emails))
    pipeline.import_subscribers(store, ("email,name,topics\n" + rows).encode(), "campaign.csv")
    store.close()
    with sqlite3.connect(cfg.db) as c:    # written before import refused such addresses
        c.execute("INSERT INTO subscribers (email, name, status, frequency, created_at, updated_at)"
                  " VALUES (?, 'Jürgen', 'active', 'daily', '2026-01-01', '2026-01-01')", (NON_ASCII_LOCAL,))
        c.execute("INSERT INTO subscriptions SELECT id, 1 FROM subscribers WHERE email = ?", (NON_ASCII_LOCAL,))
        everyone = {r[0] for r in c.execute("SELECT email FROM subscribers")}
    return env, everyone


class Trial:
    def __init__(self, folder: Path, env: dict, sink: Sink, n: int, rnd: random.Random):
        self.folder, self.env, self.sink, self.n, self.rnd = folder, env, sink, n, rnd
        self.codes: list[str] = []
        self.notes: list[str] = []
        self.verbose = VERBOSE

    def start(self) -> subprocess.Popen:
        return subprocess.Popen(SEND, env=self.env, cwd=self.folder, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)

    def finish(self, proc: subprocess.Popen, tag: str, timeout: float = 180) -> None:
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
            self.notes.append(f"{tag}: HUNG, killed")
        code = proc.returncode
        self.codes.append(f"{tag}{'k' if code == -9 else code}")
        if err and "Traceback" in err:
            self.notes.append(f"{tag}: traceback: {err.strip().splitlines()[-1][:120]}")
        elif self.verbose and code not in (0, 3, -9):
            self.notes.append(f"{tag}: " + " ".join(ln[:110] for ln in err.splitlines() if ln.startswith("Error:")))

    def moment(self) -> int:
        """A random number of messages after which the fault strikes (0: during planning)."""
        done = len(self.sink.messages)
        return done + (0 if self.rnd.random() < 0.15 else self.rnd.randint(1, max(1, int(self.n * 0.6))))

    def reached(self, proc: subprocess.Popen, count: int) -> bool:
        if count == len(self.sink.messages):
            time.sleep(self.rnd.uniform(0.05, 0.6))       # planning, or the first messages
            return proc.poll() is None
        wait_for(lambda: len(self.sink.messages) >= count or proc.poll() is not None)
        return proc.poll() is None

    def kill(self) -> None:
        proc = self.start()
        if self.reached(proc, self.moment()):
            proc.send_signal(signal.SIGKILL)
        else:
            self.notes.append("kill: the sender finished first")
        self.finish(proc, "K")

    def lock(self) -> None:
        proc = self.start()
        conn = sqlite3.connect(self.env["DIGEST_DB"], timeout=30, isolation_level=None)
        try:
            if self.reached(proc, self.moment()):
                conn.execute("BEGIN IMMEDIATE")
            else:
                self.notes.append("lock: the sender finished first")
            self.finish(proc, "L")
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()

    def stall(self) -> None:
        a = self.start()
        # Mid-send, holding the lease (a stall during planning is only a slow start).
        if not self.reached(a, max(self.moment(), len(self.sink.messages) + 1)):
            self.notes.append("stall: the sender finished first")
            self.finish(a, "S")
            return
        a.send_signal(signal.SIGSTOP)
        stalled = self.lease_owner()
        wait_for(self.lease_expired, timeout=30)
        b = self.start()
        # Woken before anyone took over, the stalled sender rightly keeps its lease: wake it after.
        wait_for(lambda: self.lease_owner() not in (stalled, None) or b.poll() is not None)
        before = len(self.sink.messages)
        wait_for(lambda: len(self.sink.messages) >= before + self.rnd.randint(0, self.n // 4) or b.poll() is not None)
        a.send_signal(signal.SIGCONT)
        self.finish(a, "S")
        self.finish(b, "B")

    def lease_owner(self) -> str | None:
        with sqlite3.connect(self.env["DIGEST_DB"], timeout=30) as c:
            row = c.execute("SELECT owner FROM leases WHERE name LIKE 'send:%'").fetchone()
        return row[0] if row else None

    def lease_expired(self) -> bool:
        with sqlite3.connect(self.env["DIGEST_DB"], timeout=30) as c:
            rows = c.execute("SELECT expires_at FROM leases WHERE name LIKE 'send:%'").fetchall()
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return all(r[0] < stamp for r in rows)

    def settle(self) -> None:
        """Plain runs until nothing is left to send (at most four)."""
        for _ in range(4):
            proc = self.start()
            self.finish(proc, "")
            with sqlite3.connect(self.env["DIGEST_DB"], timeout=30) as c:
                left = c.execute("SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending', 'deferred')"
                                 ).fetchone()[0]
            if not left and proc.returncode in (0, 3):
                return


def injected(data: bytes) -> bool:
    """A header that data put there (Bcc, X-Injected), or a control character in a header value."""
    head = data.split(b"\r\n\r\n", 1)[0]
    msg = email.message_from_bytes(head + b"\r\n\r\n", policy=email.policy.default)
    if msg.get_all("Bcc") or msg.get_all("X-Injected"):
        return True
    return any(ch in str(value) for _, value in msg.items() for ch in "\x00\r\n")


def run_trial(number: int, kind: str, greylist: bool, rnd: random.Random) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"digest-fault-{number}-"))
    n = rnd.randint(250, 600)
    started = time.monotonic()
    try:
        env, everyone = build(folder, n, rnd)
        with Sink(greylist=r"[02468]0@" if greylist else None) as sink:    # numbers ending 00, 20 ... 80: 5%
            env["DIGEST_SMTP_URL"] = sink.url
            trial = Trial(folder, env, sink, n, rnd)
            for step in {"kill": ["kill"] * rnd.randint(1, 3), "lock": ["lock"], "stall": ["stall"],
                         "mixed": ["kill", "lock", "stall"]}[kind]:
                getattr(trial, step)()
            trial.settle()
            got = collections.Counter(rcpts[0] for rcpts, _ in sink.messages)
            bad_headers = sum(injected(data) for _, data in sink.messages)
        with sqlite3.connect(env["DIGEST_DB"]) as c:
            status = dict(c.execute("SELECT s.email, d.status FROM deliveries d JOIN subscribers s"
                                    " ON s.id = d.subscriber_id").fetchall())
            reasons = dict(c.execute("SELECT s.email, d.last_reply FROM deliveries d JOIN subscribers s"
                                     " ON s.id = d.subscriber_id WHERE d.status = 'failed'").fetchall())
        from digest.smtp import AddressError, smtp_address
        copies = {}         # by the address as the envelope carried it (an IDN domain in ASCII)
        for e in everyone:
            try:
                copies[e] = got.get(smtp_address(e), 0)
            except AddressError:
                copies[e] = got.get(e, 0)
        uncertain = {e for e, s in status.items() if s == "uncertain"}
        failed = {e for e, s in status.items() if s == "failed"}
        lost = {e for e in everyone if copies[e] == 0 and e not in uncertain and e not in failed}
        return {"trial": number, "fault": kind + (" + greylist 5%" if greylist else ""), "subscribers": len(everyone),
                "connections": int(env["DIGEST_CONNECTIONS"]),
                "copies_0": sum(1 for c in copies.values() if c == 0), "copies_1": sum(1 for c in copies.values() if c == 1),
                "copies_2plus": sum(1 for c in copies.values() if c >= 2), "uncertain": len(uncertain),
                "uncertain_received": sum(1 for e in uncertain if copies[e]), "lost": len(lost),
                "failed": {e: reasons.get(e, "") for e in failed}, "injected_headers": bad_headers,
                "exit_codes": " ".join(trial.codes), "notes": trial.notes,
                "seconds": round(time.monotonic() - started, 1)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=24)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--json", dest="json_out", metavar="FILE")
    ap.add_argument("--verbose", action="store_true", help="note the Error: line of every run that exited 1, 2 or 4")
    ap.add_argument("--fleet", action="store_true",
                    help="digest worker processes over two hosts on PostgreSQL instead (benchmarks/fleet_faults.py)")
    ap.add_argument("--subscribers", type=int, default=2000, help="with --fleet: subscribers in each trial")
    args = ap.parse_args()
    if args.fleet:
        import fleet_faults  # beside this script, which Python puts first on the path
        fleet_faults.campaign(args.trials, args.seed, args.subscribers, args.json_out)
        return
    global VERBOSE
    VERBOSE = args.verbose
    rnd = random.Random(args.seed)
    kinds = ["kill", "lock", "stall", "mixed"]
    results = []
    print("| # | fault | subscribers | conns | 0 copies | 1 copy | 2+ copies | uncertain (received) | lost | "
          "failed (reason) | injected | exit codes | s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for i in range(args.trials):
        r = run_trial(i + 1, kinds[i % len(kinds)], greylist=(i // len(kinds)) % 2 == 1, rnd=rnd)
        results.append(r)
        failed = "; ".join(f"{e}: {why[:40]}" for e, why in r["failed"].items())
        print(f"| {r['trial']} | {r['fault']} | {r['subscribers']} | {r['connections']} | {r['copies_0']} | "
              f"{r['copies_1']} | {r['copies_2plus']} | {r['uncertain']} ({r['uncertain_received']}) | {r['lost']} | "
              f"{len(r['failed'])} ({failed}) | {r['injected_headers']} | {r['exit_codes']} | {r['seconds']} |",
              flush=True)
        for note in r["notes"]:
            print(f"|   | note: {note} |", flush=True)
    total = {k: sum(r[k] for r in results) for k in ("subscribers", "copies_0", "copies_1", "copies_2plus",
                                                     "uncertain", "uncertain_received", "lost", "injected_headers")}
    print(f"\ntotal: {len(results)} trials, {total['subscribers']} subscribers; copies 0/1/2+: {total['copies_0']}/"
          f"{total['copies_1']}/{total['copies_2plus']}; uncertain {total['uncertain']} (of which received "
          f"{total['uncertain_received']}); lost {total['lost']}; injected headers {total['injected_headers']}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"trials": results, "total": total}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
