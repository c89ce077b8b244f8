"""Shared fixtures: every test gets its own database, config and working directory.

Integration tests send over SMTP to a real aiosmtpd server on 127.0.0.1 (tests/smtp_server.py).
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli
from smtp_server import Sink

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SUBSCRIBERS = ROOT / "subscribers"
# ../shared next to the clone; a clone elsewhere (a git worktree) names it in SHARED_DIR.
SHARED = Path(os.environ.get("SHARED_DIR") or ROOT.parent / "shared")
SHARED_SEED = SHARED / "seeds" / "000_2db35636422c40cc.txt"


def optional(missing: str, skipped: str, how: str = "") -> str:
    """The reason of a skip for want of an optional checker: what is missing, what is skipped, and
    that `make test` does not need it (README, Quick start)."""
    return f"optional: {missing}, so {skipped} is skipped ({how + '; ' if how else ''}make test needs none of it)"
# 64 hex digits, as `openssl rand -hex 32` makes them: a secret `digest send` accepts.
TEST_SECRET = "5f0c9a7e3b18d2e46a9f1c07b3d58e2a6c4f9b1d07e3a5c8f2b6d4e19a0c7f35"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No test touches real state: DIGEST_* variables point into tmp_path, and we run there."""
    for var in list(os.environ):
        if var.startswith("DIGEST_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("DIGEST_DB", str(tmp_path / "digest.db"))
    monkeypatch.setenv("DIGEST_SECRET", TEST_SECRET)
    monkeypatch.setenv("DIGEST_BASE_URL", "https://news.example.com")
    monkeypatch.setenv("DIGEST_FROM", "The Digest <digest@news.example.com>")
    # The fixtures and seeds carry fixed November 2026 dates while the wall clock moves on: no story
    # is left out as stale unless a test asks for it (tests/test_stale.py sets its own limit).
    monkeypatch.setenv("DIGEST_MAX_AGE_DAYS", "36500")
    # Set by the admin (the test), so a real send takes it: the built-in default is refused as a placeholder.
    monkeypatch.setenv("DIGEST_POSTAL_ADDRESS", "The Digest, 1 Example Street, Springfield 00000, USA")
    monkeypatch.chdir(tmp_path)
    return tmp_path


class Result:
    def __init__(self, r):
        self.exit_code, self.stdout, self.stderr = r.exit_code, r.stdout, r.stderr
        self.stdout_bytes = r.stdout_bytes     # r.stdout turns CRLF into LF
        self.exception = r.exception

    def __repr__(self):
        return f"<exit {self.exit_code}\nstdout: {self.stdout}\nstderr: {self.stderr}>"


@pytest.fixture
def run():
    """run("articles", "list") -> Result with exit_code, stdout, stderr (in process, real CLI)."""
    def _run(*args, input=None):
        r = CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)
        return Result(r)
    return _run


@pytest.fixture
def sink(tmp_path):
    with Sink(tmp_path / "received") as s:
        yield s


@pytest.fixture
def smtp_env(sink, monkeypatch):
    monkeypatch.setenv("DIGEST_SMTP_URL", sink.url)
    return sink


@pytest.fixture
def seeded(run, tmp_path):
    """A database with the project's seeds and sample subscribers."""
    assert run("init").exit_code == 0
    r = run("articles", "ingest", SEEDS)
    assert r.exit_code == 0, r
    r = run("subscribers", "import", SUBSCRIBERS / "newsroom.csv")
    assert r.exit_code == 0, r
    return tmp_path


def parse(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")
