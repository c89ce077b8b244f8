"""A private PostgreSQL from Debian's package for the tests: its own cluster in a temp folder, made by
`initdb` as the postgres user (initdb refuses root), listening on 127.0.0.1 and a free port only, with
trust authentication for the postgres role. The system's PostgreSQL service is never configured or
started. Tests that need it skip with `NEEDS_POSTGRES` when the binaries (or the postgres user) are missing.

`postgres_server` (one per session) and `postgres_url` (a fresh, empty database per test, C collation as
digest needs) are the fixtures: import them into the test module that uses them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import optional
from digest.servers.demo_smtp import free_port


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


BIN = _bindir()
AS_ROOT = os.geteuid() == 0
AVAILABLE = BIN is not None and (_has_user("postgres") or not AS_ROOT)
NEEDS_POSTGRES = pytest.mark.skipif(not AVAILABLE, reason=optional(
    "Debian's postgresql (initdb, pg_ctl) or the postgres user is missing", "the PostgreSQL half of the contract tests",
    ".ci/run installs it"))

TRIES = 5      # ports tried before giving up, when another process takes the one picked first
DATABASE = "digest_test"


class PrivatePostgres:
    """`with PrivatePostgres() as pg:` then `pg.url("digest_test")`.

    Postgres cannot be handed port 0, so a free port is picked, and if another process takes it first
    (the postmaster then cannot bind it and pg_ctl says so), it is started again on another one, at
    most TRIES times."""

    def __init__(self) -> None:
        self.port = 0
        self.said = ""

    def _as_postgres(self, *args: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if AS_ROOT else list(args)

    def start(self) -> PrivatePostgres:
        assert BIN is not None
        self.root = Path(tempfile.mkdtemp(prefix="digest-postgres-"))
        if AS_ROOT:
            shutil.chown(self.root, "postgres", "postgres")      # mkdtemp's folder is root's, 0700
        self.data = self.root / "data"
        r = subprocess.run(self._as_postgres(str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                                             "--auth=trust", "--locale=C", "--encoding=UTF8", "--no-sync"),
                           capture_output=True, text=True)
        if r.returncode:
            self.stop()
            pytest.fail(f"initdb exited {r.returncode}: {(r.stderr or r.stdout).strip()}")
        for _ in range(TRIES):
            self.port = free_port()
            if self._start():
                return self
        self.stop()
        pytest.fail(f"postgres did not listen on 127.0.0.1:{self.port} (nor on {TRIES - 1} other free ports "
                    f"before it); {self.said}")

    def _start(self) -> bool:
        assert BIN is not None
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root}"
                   " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50")
        log = self.root / "postgres.log"
        r = subprocess.run(self._as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(log),
                                             "-o", options, "-w", "-t", "30", "start"),
                           capture_output=True, text=True)
        if r.returncode == 0 and self._answers():
            return True
        self.said = f"pg_ctl start exited {r.returncode}: {(r.stderr or r.stdout).strip()}; log: " + (
            log.read_text()[-500:] if log.exists() else "(none)")
        self._pg_ctl_stop()
        return False

    def _answers(self) -> bool:
        """Ours answers on the port (not another server that took it): it reports our data folder."""
        import psycopg
        for _ in range(50):
            try:
                with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=5) as conn:
                    row = conn.execute("SHOW data_directory").fetchone()
                    return row is not None and Path(row[0]) == self.data
            except psycopg.OperationalError:
                time.sleep(0.1)
        return False

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def fresh(self, database: str = DATABASE) -> str:
        """An empty database by that name (dropped first if a test left one); returns its URL."""
        import psycopg
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{database}" TEMPLATE template0 ENCODING \'UTF8\' LC_COLLATE \'C\' '
                         "LC_CTYPE 'C'")
        return self.url(database)

    def _pg_ctl_stop(self) -> None:
        assert BIN is not None
        subprocess.run(self._as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"),
                       capture_output=True)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl_stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivatePostgres:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PrivatePostgres]:
    if not AVAILABLE:
        pytest.skip(NEEDS_POSTGRES.kwargs["reason"])
    with PrivatePostgres() as pg:
        yield pg


@pytest.fixture
def postgres_url(postgres_server: PrivatePostgres) -> str:
    """postgresql://postgres@127.0.0.1:PORT/digest_test, empty, made for this test."""
    return postgres_server.fresh()
