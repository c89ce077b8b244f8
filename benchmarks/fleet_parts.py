"""The parts of a fleet on this machine, for benchmarks/fleet.py and `benchmarks/faults.py --fleet`:
a private PostgreSQL (tests/private_postgres.py) holding a template store that each run copies, real
`digest worker` processes grouped into "hosts" (one journal folder and one relay per host), and a
receiver that answers each SMTP command after a fixed delay, as a relay across a network does.
"""

from __future__ import annotations

import asyncio
import collections
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _p in (ROOT, ROOT / "tests", ROOT / "benchmarks"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import psycopg  # noqa: E402

from private_postgres import PrivatePostgres  # noqa: E402

DIGEST = [sys.executable, "-m", "digest"]
TICK = os.sysconf("SC_CLK_TCK")
UNSHARE = shutil.which("unshare") if os.geteuid() == 0 else None


class Delayed:
    """An SMTP server on 127.0.0.1:0 that waits `delay` seconds before each reply and keeps nothing
    but a count of the recipients of every message it accepted (`got`). No PIPELINING, so a client
    pays one round trip per command: MAIL, RCPT, DATA and the final dot, as across a network."""

    def __init__(self, delay: float = 0.02):
        self.delay, self.port, self.got = delay, 0, collections.Counter()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def say(text: str) -> None:
            await asyncio.sleep(self.delay)
            writer.write(text.encode() + b"\r\n")
            await writer.drain()
        rcpts: list[str] = []
        try:
            await say("220 delayed.localdomain ESMTP")
            while line := await reader.readline():
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    await say("250-delayed.localdomain\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800")
                elif verb == b"MAIL":
                    rcpts = []
                    await say("250 2.1.0 Ok")
                elif verb == b"RCPT":
                    rcpts.append(line.split(b"<", 1)[1].split(b">", 1)[0].decode("utf-8", "replace").lower())
                    await say("250 2.1.5 Ok")
                elif verb == b"DATA":
                    await say("354 End data with <CR><LF>.<CR><LF>")
                    await reader.readuntil(b"\r\n.\r\n")
                    self.got.update(rcpts)
                    rcpts = []
                    await say("250 2.0.0 Ok: queued")
                elif verb == b"QUIT":
                    await say("221 2.0.0 Bye")
                    break
                else:       # RSET, NOOP
                    rcpts = [] if verb == b"RSET" else rcpts
                    await say("250 2.0.0 Ok")
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    def start(self) -> Delayed:
        async def serve() -> None:
            server = await asyncio.start_server(self.session, "127.0.0.1", 0, limit=64 * 1024 * 1024)
            self.port = server.sockets[0].getsockname()[1]
            self.ready.set()
            async with server:
                try:
                    await server.serve_forever()
                except asyncio.CancelledError:
                    pass
        threading.Thread(target=self.loop.run_until_complete, args=(serve(),), daemon=True).start()
        self.ready.wait(10)
        return self

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def stop(self) -> None:
        for task in asyncio.all_tasks(self.loop):
            self.loop.call_soon_threadsafe(task.cancel)


class Postgres(PrivatePostgres):
    """The tests' private PostgreSQL; `fail` instead of pytest.fail; a template store each run copies."""

    def template(self, sqlite_path: Path, name: str) -> None:
        """`digest db copy` of a built SQLite store into database `name`, then copied by `copy`."""
        url = self.fresh(name)
        r = subprocess.run([*DIGEST, "db", "copy", str(sqlite_path), url], capture_output=True, text=True, cwd=ROOT)
        if r.returncode:
            raise SystemExit(f"digest db copy failed ({r.returncode}): {r.stderr.strip()[-800:]}")

    def copy(self, template: str, name: str) -> str:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def drop(self, name: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def active_ms(self, name: str) -> float:
        """Time the server spent executing statements in database `name` (pg_stat_database.active_time:
        every session's, flushed when a session ends or goes idle)."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute("SELECT pg_stat_clear_snapshot()")
            row = conn.execute("SELECT active_time FROM pg_stat_database WHERE datname = %s", (name,)).fetchone()
        return float(row[0] or 0) if row else 0.0

    def cpu(self) -> float:
        """CPU seconds of the whole server: the postmaster, its live children and every child it reaped."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        total = proc_cpu(pid, children=True)
        for child in Path("/proc").glob("[0-9]*"):
            try:
                fields = (child / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                total += sum(int(f) for f in fields[11:15]) / TICK
        return total


def proc_cpu(pid: int, *, children: bool = False) -> float:
    """user + system CPU seconds of a live process (and of its reaped children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15 if children else 13]) / TICK


class Worker:
    """One `digest -v worker` process of a host; its log in the host's folder."""

    def __init__(self, host: Host, number: int, concurrency: int):
        self.host, self.number, self.concurrency = host, number, concurrency
        self.log = host.folder / f"worker-{number}-{time.monotonic_ns()}.log"
        env = {**host.env, "DIGEST_JOURNAL_DIR": str(host.journal)}
        command = [*DIGEST, "-v", "worker", "--concurrency", str(concurrency)]
        if UNSHARE:     # a host name of its own: another "host" cannot tell whether its pids are alive
            command = [UNSHARE, "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', f"fleet-{host.name}", *command]
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(command, env=env,
                                         cwd=host.folder, stdout=out, stderr=subprocess.STDOUT)
        self.code: int | None = None

    def ready(self) -> bool:
        return self.proc.poll() is not None or "at a time" in self.log.read_text(errors="replace")

    def cpu(self) -> float:
        return proc_cpu(self.proc.pid)

    def signal(self, sig: int) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM (after SIGCONT), then SIGKILL if it does not end within `timeout`; its exit code."""
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.code = self.proc.returncode
        return self.code


class Host:
    """A "host": its own folder and journal, its own relay (DIGEST_SMTP_URL), its workers."""

    def __init__(self, folder: Path, name: str, env: dict[str, str], relay_url: str):
        self.name, self.folder = name, folder / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.journal = self.folder / "journal"
        self.env = {**env, "DIGEST_SMTP_URL": relay_url}
        self.env.pop("DIGEST_CONFIG", None)
        self.workers: list[Worker] = []

    def start(self, concurrency: int) -> Worker:
        w = Worker(self, len(self.workers), concurrency)
        self.workers.append(w)
        return w


def wait_for(predicate, timeout: float, poll: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(poll)
    return True


def rows(url: str, sql: str, *params) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def statuses(url: str) -> dict[str, int]:
    return dict(rows(url, "SELECT status, count(*) FROM deliveries GROUP BY status"))  # type: ignore[arg-type]


def batches_left(url: str) -> int:
    """Batches not done (-1 before any is planned)."""
    (total, done), = rows(url, "SELECT count(*), count(*) FILTER (WHERE status = 'done') FROM batches")
    return total - done if total else -1
