"""`digest schedule run` as a real process: a watched folder to a real SMTP server, and SIGTERM mid-send.

These wait for a process (polling with a deadline), never for a schedule: the daemon's intervals
are set to fractions of a second in digest.toml.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import parse
from digest import config, pipeline
from digest.db import Database
from smtp_server import Sink

STORY = """World

A Strong Quake Shakes the Northern Coast

A strong earthquake shook the northern coast on Tuesday morning. Buildings swayed in the capital.

No damage was reported, officials said. Trains stopped for an hour while engineers checked the tracks.

Example Wire contributed to this report.
"""


def wait_for(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Daemon:
    """`python -m digest schedule run` with its stderr collected line by line."""

    def __init__(self, cwd, env, *args):
        self.proc = subprocess.Popen([sys.executable, "-m", "digest", "schedule", "run", *args], cwd=cwd, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line)

    def log(self) -> str:
        return "".join(self.lines)

    def stop(self, sig=signal.SIGTERM, timeout=60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.proc.wait(timeout)
        self.reader.join(5)
        return rc


@pytest.fixture
def env(sink):
    return {**os.environ, "DIGEST_SMTP_URL": sink.url}


def test_a_file_dropped_into_the_watched_folder_reaches_a_subscriber(run, tmp_path, sink, env):
    assert run("init").exit_code == 0
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (tmp_path / "digest.toml").write_text(
        '[ingest]\nevery_seconds = 0.2\nfolders = ["incoming/"]\n'
        '[digest]\nsend_at = "00:00"\ncheck_every_seconds = 0.2\n')
    daemon = Daemon(tmp_path, env)
    try:
        wait_for(lambda: "ingest at" in daemon.log(), what="the first ingest")
        # Written under a hidden name and renamed into place, as the README tells writers to do.
        (incoming / ".quake.txt").write_text(STORY)
        os.replace(incoming / ".quake.txt", incoming / "quake.txt")
        wait_for(lambda: (incoming / "done" / "quake.txt").exists(), what="the file to be ingested")
        r = run("subscribers", "add", "ada@example.org", "--topic", "World")
        assert r.exit_code == 0, r
        wait_for(lambda: sink.messages, what="the digest at the SMTP server")
        (rcpts, data), = sink.messages
        assert rcpts == ["ada@example.org"]
        assert "Quake" in parse(data).get_body(("plain",)).get_content()
        # A second scheduler on the same database stands by; SIGINT stops it cleanly.
        standby = Daemon(tmp_path, env)
        try:
            wait_for(lambda: "standing by" in standby.log(), what="the second scheduler to stand by")
        finally:
            assert standby.stop(signal.SIGINT) == 0, standby.log()
        assert "SIGINT received" in standby.log() and "digest at" not in standby.log()
        # More ticks pass: nothing is sent twice.
        ticks = daemon.log().count("digest at")
        wait_for(lambda: daemon.log().count("digest at") >= ticks + 3, what="three more ticks")
        assert len(sink.messages) == 1
    finally:
        rc = daemon.stop()
    assert rc == 0, daemon.log()
    assert "SIGTERM received" in daemon.log() and "scheduler stopped" in daemon.log()


FIRE = """World

Wildfire Forces Evacuations in the Hills

A wildfire forced hundreds of families from their homes in the hills on Monday. Firefighters worked through the night.

Officials said the fire was contained by morning. Schools in the area stayed closed.
"""


def test_a_file_waiting_in_the_watched_folder_at_start_is_in_the_first_digest_sent(run, tmp_path, sink, env):
    assert run("init").exit_code == 0
    (tmp_path / "fire.txt").write_text(FIRE)
    assert run("articles", "ingest", tmp_path / "fire.txt").exit_code == 0      # so the first tick has a digest
    assert run("subscribers", "add", "ada@example.org", "--topic", "World").exit_code == 0
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "quake.txt").write_text(STORY)           # waiting before the scheduler starts
    # The ingest job's own interval is an hour: only the tick's ingest can bring the file in.
    (tmp_path / "digest.toml").write_text(
        '[ingest]\nevery_minutes = 60\nfolders = ["incoming/"]\n'
        '[digest]\nsend_at = "00:00"\ncheck_every_seconds = 0.2\n')
    daemon = Daemon(tmp_path, env)
    try:
        wait_for(lambda: sink.messages, what="the first digest at the SMTP server")
        wait_for(lambda: daemon.log().count("digest at") >= 3, what="two more ticks")
    finally:
        assert daemon.stop() == 0, daemon.log()
    (rcpts, data), = sink.messages
    text = parse(data).get_body(("plain",)).get_content()
    assert rcpts == ["ada@example.org"] and "Wildfire" in text and "Quake" in text, daemon.log()
    log = daemon.log()
    assert log.index("ingest at") < log.index("digest at"), log


class GatedSink(Sink):
    """A Sink that holds its reply to the Nth message until released: a send caught mid-flight."""

    def __init__(self, folder, hold_at: int):
        super().__init__(folder)
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.release = threading.Event()

    def store(self, mail_from, rcpts, data):
        super().store(mail_from, rcpts, data)
        if len(self.messages) == self.hold_at:
            self.holding.set()
            self.release.wait(30)


@pytest.mark.slow
def test_sigterm_mid_send_finishes_the_message_in_flight_and_a_resume_sends_nobody_twice(run, tmp_path):
    n = 400
    assert run("init").exit_code == 0
    (tmp_path / "story.txt").write_text(STORY)
    assert run("articles", "ingest", tmp_path / "story.txt").exit_code == 0
    store = Database.open(tmp_path / "digest.db")
    cfg = config.load()
    for i in range(n):
        pipeline.add_subscriber(store, cfg, f"reader{i:03d}@example.org", ["World"])
    (tmp_path / "digest.toml").write_text('[digest]\nsend_at = "00:00"\ncheck_every_seconds = 0.5\n')
    with GatedSink(tmp_path / "received", hold_at=25) as sink:
        env = {**os.environ, "DIGEST_SMTP_URL": sink.url}
        daemon = Daemon(tmp_path, env)
        try:
            wait_for(sink.holding.is_set, what="the 25th message")
            daemon.proc.send_signal(signal.SIGTERM)
            wait_for(lambda: "SIGTERM received" in daemon.log(), what="the daemon to take the signal")
        finally:
            sink.release.set()
            rc = daemon.stop()
        assert rc == 0, daemon.log()
        first = [r[0] for r, _ in sink.messages]
        assert 25 <= len(first) < n, "stopped mid-send"
        recorded = {r.email for r in store.deliveries.listed(status="sent")}
        assert recorded == set(first), "every message the server got is recorded as sent"

        resume = subprocess.run([sys.executable, "-m", "digest", "schedule", "run", "--once"], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=120)
        assert resume.returncode == 0, resume.stderr
        everyone = [r[0] for r, _ in sink.messages]
    assert len(everyone) == len(set(everyone)) == n, "nobody twice, nobody missed"
    assert len(store.deliveries.listed(status="sent")) == n
    store.close()
