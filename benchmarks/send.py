"""How close `digest send` gets to the relay's own speed, through one relay or two.

Run from the repository root:  .venv/bin/python benchmarks/send.py [--subscribers N] [--connections C]
                                [--receiver auto|postfix|aiosmtpd] [--relays 1|2] [--dkim] [--json FILE]

Builds a database of N subscribers (default 100,000) over three topics (five topic mixes), starts its
own receiver on 127.0.0.1 (a private Postfix instance whose every transport is `discard`, so nothing
can leave the machine; aiosmtpd in a subprocess when Postfix is not installed), and measures in the
same run:
  ceiling  pre-built digest-sized messages over C reused smtplib connections (sendmail per message)
  digest   `digest send` end to end in a child process: plan, render once per mix, build, send over C
           connections, record in the ledger; its CPU time and peak RSS come from wait4().
Prints both rates, their ratio, client CPU per message and peak RSS; --json FILE writes them.
--dkim signs every message of the digest run with a throwaway RSA 2048 key (the ceiling sends
unsigned bytes, as a relay would be handed them).
--relays 2 starts two receivers (two private Postfix instances, or two aiosmtpd processes) and sends
through both as [[relay]] tables of equal weight, C connections each. The machine is shared and
noisy, so every ceiling is measured before and after the digest run: each relay alone, and both at
once (C connections each, the load digest puts on them); the ratio is digest's combined rate against
the mean of the two both-at-once ceilings, and both figures are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MIXES = ["Europe", "World", "Politics", "Europe;World", "Europe;Politics;World"]
NAMES = ["Ada Lovelace", "Zoë O'Brien", "山田 太郎", "Smith, John", "", "Grace Hopper", "Jean-Luc Picard"]


TRIES = 5      # ports tried for Postfix (it cannot bind port 0) before giving up


def unused_port() -> int:
    """A port nothing listened on a moment ago. Racy: only for Postfix, which cannot be handed port 0;
    Postfix.start checks that the server answering there is its own and moves on when it is not."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def banner(port: int, timeout: float = 20) -> bytes:
    """The greeting of the SMTP server on 127.0.0.1:port, once it answers (b"" if it never does)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            client = smtplib.SMTP(timeout=5)
            _, text = client.connect("127.0.0.1", port)
            client.quit()
            return text
        except (OSError, smtplib.SMTPException):
            time.sleep(0.1)
    return b""


# ---- receivers ------------------------------------------------------------------------------

class Postfix:
    """A private Postfix instance in a temp dir: listens on 127.0.0.1:port, discards everything."""

    name = "postfix (discard transport)"

    def __init__(self, folder: Path):
        self.folder, self.port, self.conf = folder, 0, folder / "postfix"
        self.host = f"bench-{secrets.token_hex(4)}.localdomain"     # tells its banner from another server's

    def configure(self, port: int) -> None:
        folder = self.folder
        queue, data = folder / "pfqueue", folder / "pfdata"
        for d in (self.conf, queue, data):
            d.mkdir(parents=True, exist_ok=True)
        shutil.chown(data, "postfix")
        (self.conf / "main.cf").write_text(f"""
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = {self.host}
mydestination =
mynetworks = 127.0.0.0/8
relayhost =
# Nothing leaves this machine: every transport discards.
default_transport = discard
relay_transport = discard
local_transport = discard
virtual_transport = discard
alias_maps =
alias_database =
notify_classes =
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
smtpd_client_connection_count_limit = 0
smtpd_client_message_rate_limit = 0
default_process_limit = 64
message_size_limit = 10240000
""")
        master = Path("/etc/postfix/master.cf").read_text().splitlines()
        out = []
        for line in master:
            if line.startswith("smtp ") and " inet " in f" {line} ":
                line = f"127.0.0.1:{port} inet n - n - - smtpd"
            out.append(line)
        (self.conf / "master.cf").write_text("\n".join(out) + "\n")
        subprocess.run(["postconf", "-c", str(self.conf), "-F", "*/*/chroot = n"], check=True,
                       capture_output=True)

    @staticmethod
    def available() -> bool:
        return bool(shutil.which("postfix")) and os.geteuid() == 0 and Path("/etc/postfix/master.cf").exists()

    def start(self) -> None:
        said = ""
        for _ in range(TRIES):
            self.port = unused_port()
            self.configure(self.port)
            r = subprocess.run(["postfix", "-c", str(self.conf), "start"], capture_output=True, text=True)
            said = r.stderr or r.stdout
            if r.returncode == 0 and self.host.encode() in banner(self.port):
                return
            self.stop()         # its smtpd could not bind, or another server took the port first
        raise SystemExit(f"postfix did not listen on 127.0.0.1 on any of {TRIES} free ports; last: {said.strip()}")

    def stop(self) -> None:
        subprocess.run(["postfix", "-c", str(self.conf), "stop"], capture_output=True)


class Aiosmtpd:
    name = "aiosmtpd (digest.servers.demo_smtp, in a subprocess, nothing written)"

    def __init__(self, folder: Path):
        self.port, self.proc = 0, None

    def start(self) -> None:
        # Binds port 0 and prints the port it got: nothing is picked first and bound later.
        code = ("import time; from digest.servers.demo_smtp import DemoServer; s = DemoServer(); s.start(); "
                "print(s.port, flush=True); time.sleep(10**6)")
        self.proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.isdigit():
            raise SystemExit(f"aiosmtpd did not start (exit {self.proc.poll()})")
        self.port = int(line)

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait()


# ---- setup ----------------------------------------------------------------------------------

def build_db(folder: Path, n: int) -> dict[str, str]:
    from digest import config, pipeline
    from digest.db import Database
    env = {**os.environ, "DIGEST_DB": str(folder / "bench.db"), "DIGEST_SECRET": secrets.token_hex(32),
           "DIGEST_MAX_AGE_DAYS": "36500",   # the generated stories carry fixed dates: never stale here
           "DIGEST_BASE_URL": "https://news.example.com", "DIGEST_FROM": "The Digest <digest@news.example.com>",
           "DIGEST_POSTAL_ADDRESS": "The Digest, 1 Harbour Road, Cobh, Ireland"}
    cfg = config.load(env=env)
    store = Database.open(cfg.db)
    store.init()
    store.topics.ensure_defaults()
    pipeline.ingest(store, paths=[ROOT / "seeds"])
    rows = "".join(f'reader{i:06d}@example.org,"{NAMES[i % len(NAMES)]}",{MIXES[i % len(MIXES)]}\n' for i in range(n))
    report = pipeline.import_subscribers(store, ("email,name,topics\n" + rows).encode(), "bench.csv")
    store.close()
    if getattr(report, "errors", None):
        raise SystemExit(f"subscriber import failed: {report.errors[:3]}")
    return env


def sample_messages(env: dict[str, str]) -> list[bytes]:
    """One real digest per topic mix, built the way digest builds them: the ceiling sends these."""
    from digest import config, pipeline
    from digest.compose import message
    from digest.db import Database
    cfg = config.load(env=env)
    store = Database.open(cfg.db)
    out = []
    for i, mix in enumerate(MIXES):
        body, _ = pipeline.groups_for_preview(store, cfg, topics=mix.split(";"))
        group = pipeline.prepare_group(cfg, body)
        out.append(pipeline.fast_message(cfg, group, subscriber_id=i + 1, email=f"reader{i:06d}@example.org",
                                         name=NAMES[i], message_id=message.message_id("bench", i, cfg.domain),
                                         date="Wed, 25 Nov 2026 07:00:00 +0000"))
    store.close()
    return out


# ---- the two measurements -------------------------------------------------------------------

def ceiling(port: int | list[int], connections: int, messages: list[bytes], count: int) -> float:
    """Pre-built bytes, reused connections, smtplib.sendmail: the most a Python client could hope for.
    Several ports: C connections to each at once, sharing the count. Each message has its own envelope
    sender, shaped like digest's VERP return paths (built before the clock starts): a relay does a
    little more work for a new sender each time (about 5% for Postfix here), and the ceiling must ask
    of it what digest asks."""
    senders = [f"bounces+1-{i:x}-{i:016x}@news.example.com" for i in range(count)]
    counter = iter(range(count))
    lock = threading.Lock()
    ports = port if isinstance(port, list) else [port]

    def work(port: int):
        smtp = smtplib.SMTP("127.0.0.1", port, local_hostname="news.example.com")
        try:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                smtp.sendmail(senders[i], [f"ceiling{i:06d}@example.org"], messages[i % len(messages)])
        finally:
            smtp.quit()

    threads = [threading.Thread(target=work, args=(p,)) for p in ports for _ in range(connections)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return count / (time.perf_counter() - start)


def digest_send(env: dict[str, str], port: int | list[int], connections: int) -> dict:
    """`digest send` in a child process: wall time, and its CPU and peak RSS from wait4(). Several
    ports: one [[relay]] each, equal weights, in a digest.toml beside the database."""
    env = {**env, "DIGEST_CONNECTIONS": str(connections)}
    if isinstance(port, list):
        toml = Path(env["DIGEST_DB"]).parent / "relays.toml"
        toml.write_text("".join(f'[[relay]]\nname = "relay{i}"\nurl = "smtp://127.0.0.1:{p}"\n'
                                for i, p in enumerate(port)))
        env["DIGEST_CONFIG"] = str(toml)
    else:
        env["DIGEST_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status:
        raise SystemExit(f"digest send failed ({status}): {out[-2000:]!r}")
    child = json.loads(out)
    child.update(wall=wall, cpu=usage.ru_utime + usage.ru_stime, peak_rss_mb=child["vm_hwm_mb"])
    return child


def child() -> None:
    """Runs in the child: the same calls `digest send --yes --quiet` makes, with timings."""
    from digest import config, pipeline
    from digest.db import Database
    cfg = config.load()
    store = Database.open(cfg.db)
    t0, c0 = time.perf_counter(), time.process_time()
    plan = pipeline.plan_edition(store, cfg)
    t1, c1 = time.perf_counter(), time.process_time()
    rss_after_plan = vm_hwm()
    tally = pipeline.send_edition(store, cfg, plan, pipeline.relays_for(cfg))
    t2, c2 = time.perf_counter(), time.process_time()
    print(json.dumps({"planned": plan.created, "sent": tally.sent, "failed": tally.failed + tally.deferred,
                      "plan_s": t1 - t0, "plan_cpu_s": c1 - c0, "send_s": t2 - t1, "send_cpu_s": c2 - c1,
                      "bookkeeping_s": tally.bookkeeping, "rss_after_plan_mb": rss_after_plan,
                      "vm_hwm_mb": vm_hwm(), "throttles": tally.throttles,
                      "by_relay": {name: r.sent for name, r in tally.relays.items()}}))


def vm_hwm() -> float:
    """This process's own peak RSS (MB). Not ru_maxrss: Linux carries that across fork and exec, so a
    child would report the parent's peak from building the database."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dkim_key(folder: Path) -> Path:
    """A throwaway RSA 2048 key for --dkim."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = folder / "dkim.pem"
    key.write_bytes(rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return key


def sign_cost(env: dict[str, str], messages: list[bytes], n: int = 200) -> float | None:
    """ms per message that DKIM signing adds (RSA 2048; benchmarks/dkim_sign.py compares signers), or
    None without openssl."""
    if not shutil.which("openssl"):
        return None
    from digest.compose import message
    with tempfile.TemporaryDirectory() as d:
        key = Path(d) / "k.pem"
        subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
        signer = message.Signer(key.read_bytes(), "bench", "news.example.com")
        start = time.process_time()
        for i in range(n):
            signer.sign(messages[i % len(messages)])
        return (time.process_time() - start) / n * 1000


def build_cost(env: dict[str, str], n: int = 2000) -> tuple[float, float]:
    """ms per message: the fast builder versus the stdlib oracle, same body, same subscriber."""
    from digest import config, pipeline
    from digest.compose import message
    from digest.db import Database
    cfg = config.load(env=env)
    store = Database.open(cfg.db)
    body, _ = pipeline.groups_for_preview(store, cfg, topics=["Europe", "World"])
    store.close()
    group = pipeline.prepare_group(cfg, body)
    start = time.process_time()
    for i in range(n):
        pipeline.fast_message(cfg, group, subscriber_id=i, email=f"r{i}@example.org", name=NAMES[i % len(NAMES)],
                              message_id=message.message_id("b", i, cfg.domain), date="Wed, 25 Nov 2026 07:00:00 +0000")
    fast = (time.process_time() - start) / n * 1000
    m = max(1, n // 20)
    start = time.process_time()
    for i in range(m):
        pipeline.personal_message(cfg, body, subscriber_id=i, email=f"r{i}@example.org", name=NAMES[i % len(NAMES)],
                                  message_id=message.message_id("b", i, cfg.domain))
    return fast, (time.process_time() - start) / m * 1000


def ceilings(ports: list[int], connections: int, messages: list[bytes], count: int, when: str) -> dict:
    """Two relays: each alone (half the count), then both at once with C connections each (the count)."""
    alone = [ceiling(p, connections, messages, count // 2) for p in ports]
    both = ceiling(ports, connections, messages, count)
    print(f"ceiling {when}: alone {', '.join(f'{c:,.0f}' for c in alone)}; both at once {both:,.0f} msgs/s",
          file=sys.stderr)
    return {"alone": alone, "both": both}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subscribers", type=int, default=100_000)
    ap.add_argument("--connections", type=int, default=4, help="connections per relay")
    ap.add_argument("--ceiling-messages", type=int, default=20_000,
                    help="messages for the ceiling run (the rate is steady long before 100,000)")
    ap.add_argument("--receiver", choices=["auto", "postfix", "aiosmtpd"], default="auto")
    ap.add_argument("--relays", type=int, choices=[1, 2], default=1,
                    help="2: two receivers, sent through as two [[relay]] tables of equal weight")
    ap.add_argument("--json", dest="json_out", metavar="FILE")
    ap.add_argument("--dkim", action="store_true", help="sign every message of the digest run (RSA 2048)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child()
        return

    folder = Path(tempfile.mkdtemp(prefix="digest-bench-"))
    folder.chmod(0o755)          # Postfix daemons run as the postfix user and must reach their queue
    use_postfix = args.receiver == "postfix" or (args.receiver == "auto" and Postfix.available())
    places = [folder] if args.relays == 1 else [folder / f"relay{i}" for i in range(args.relays)]
    for place in places:
        place.mkdir(mode=0o755, exist_ok=True)
    receivers = [(Postfix if use_postfix else Aiosmtpd)(place) for place in places]
    if not use_postfix:
        print("Postfix is not available here: falling back to aiosmtpd.", file=sys.stderr)
    ceil, before, after = 0.0, None, None
    try:
        t = time.perf_counter()
        env = build_db(folder, args.subscribers)
        if args.dkim:
            env.update(DIGEST_DKIM_KEY=str(dkim_key(folder)), DIGEST_DKIM_SELECTOR="bench")
        print(f"setup: {args.subscribers:,} subscribers in {time.perf_counter() - t:.1f}s", file=sys.stderr)
        messages = sample_messages(env)
        fast_ms, stdlib_ms = build_cost(env)
        dkim_ms = sign_cost(env, messages)
        for receiver in receivers:
            receiver.start()
        ports = [receiver.port for receiver in receivers]
        n_ceiling = min(args.subscribers, args.ceiling_messages)
        if args.relays == 1:
            ceil = ceiling(ports[0], args.connections, messages, n_ceiling)
            print(f"ceiling: {ceil:,.0f} msgs/s over {args.connections} connections ({n_ceiling:,} messages)",
                  file=sys.stderr)
            d = digest_send(env, ports[0], args.connections)
        else:
            before = ceilings(ports, args.connections, messages, n_ceiling, "before")
            d = digest_send(env, ports, args.connections)
            after = ceilings(ports, args.connections, messages, n_ceiling, "after")
            ceil = (before["both"] + after["both"]) / 2
    finally:
        for receiver in receivers:
            receiver.stop()
        shutil.rmtree(folder, ignore_errors=True)
    if d["sent"] != args.subscribers:
        print(f"warning: sent {d['sent']} of {args.subscribers}", file=sys.stderr)
    rate = d["sent"] / d["wall"]
    name = receivers[0].name + (f", {args.relays} of them" if args.relays > 1 else "")
    result = {
        "receiver": name, "relays": args.relays, "connections": args.connections, "subscribers": args.subscribers,
        "dkim": args.dkim,
        "ceiling_msgs_per_s": round(ceil, 1), "digest_msgs_per_s": round(rate, 1),
        "ratio": round(rate / ceil, 3), "client_cpu_ms_per_msg": round(d["cpu"] / d["sent"] * 1000, 3),
        "peak_rss_mb": round(d["peak_rss_mb"], 1),
        "detail": {
            "digest_wall_s": round(d["wall"], 2), "plan_s": round(d["plan_s"], 2), "send_s": round(d["send_s"], 2),
            "send_only_msgs_per_s": round(d["sent"] / d["send_s"], 1),
            "peak_rss_after_plan_mb": round(d["rss_after_plan_mb"], 1),
            "send_cpu_ms_per_msg": round(d["send_cpu_s"] / d["sent"] * 1000, 3),
            "bookkeeping_share_of_send": round(d["bookkeeping_s"] / d["send_s"], 4),
            "fast_build_ms": round(fast_ms, 4), "stdlib_build_ms": round(stdlib_ms, 3),
            "dkim_sign_ms": round(dkim_ms, 3) if dkim_ms else None, "message_kb": round(
                sum(map(len, messages)) / len(messages) / 1024, 1), "throttles": d["throttles"],
            "sent_by_relay": d["by_relay"],
        },
    }
    if before is not None:
        result["ceilings"] = {when: {"alone": [round(c, 1) for c in m["alone"]], "both": round(m["both"], 1)}
                              for when, m in (("before", before), ("after", after))}
        result["ratio_to_before"] = round(rate / before["both"], 3)
        result["ratio_to_after"] = round(rate / after["both"], 3)
    print(f"receiver:        {result['receiver']}")
    print(f"subscribers:     {args.subscribers:,} over {args.connections} connections"
          + (f" to each of {args.relays} relays of equal weight" if args.relays > 1 else "")
          + ("; every message DKIM-signed (RSA 2048)" if args.dkim else ""))
    if before is None:
        print(f"ceiling:         {ceil:,.0f} msgs/s  (pre-built bytes, smtplib, same connections)")
    else:
        for i in range(args.relays):
            print(f"ceiling relay{i}:  {before['alone'][i]:,.0f} before, {after['alone'][i]:,.0f} after  msgs/s  "
                  "(alone)")
        print(f"ceiling both:    {before['both']:,.0f} before, {after['both']:,.0f} after, mean {ceil:,.0f} msgs/s  "
              "(pre-built bytes, smtplib, the same connections to both at once)")
    print(f"digest:          {rate:,.0f} msgs/s  end to end ({d['wall']:.1f}s, of which plan {d['plan_s']:.1f}s); "
          f"send phase alone {result['detail']['send_only_msgs_per_s']:,.0f} msgs/s"
          + (f"; sent by relay: {', '.join(f'{k} {v:,}' for k, v in d['by_relay'].items())}" if before else ""))
    print(f"ratio:           {result['ratio']:.2f}  (target >= 0.7)"
          + (f"; {result['ratio_to_before']:.2f} to the ceiling before, {result['ratio_to_after']:.2f} to the one "
             "after" if before else ""))
    print(f"client CPU:      {result['client_cpu_ms_per_msg']:.3f} ms/msg end to end, "
          f"{result['detail']['send_cpu_ms_per_msg']:.3f} in the send phase  (target <= {1.5 if args.dkim else 1})")
    print(f"peak RSS:        {result['peak_rss_mb']:.0f} MB  (target <= 120; {d['rss_after_plan_mb']:.0f} MB "
          "already at the end of planning)")
    print(f"bookkeeping:     {result['detail']['bookkeeping_share_of_send']:.1%} of send time  (target < 5%)")
    print(f"build:           fast {fast_ms:.3f} ms/msg vs stdlib {stdlib_ms:.2f} ms/msg; "
          f"DKIM signing adds {dkim_ms:.2f} ms/msg" if dkim_ms else "")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
