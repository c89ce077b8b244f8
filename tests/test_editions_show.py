"""`digest editions show KEY` and `digest editions list`: how far an edition is, on both databases, and on
PostgreSQL which worker holds which batch while a fleet sends it; `digest worker`'s one line per batch,
and its bars only in a terminal. What a user would notice: the numbers shown are the ledger's and the
receiver's, the holder shown is the worker process that is sending, --json parses, and a key that does
not exist is one error line naming it.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import threading
from collections import Counter

import pytest

from conftest import SEEDS, SUBSCRIBERS
from private_postgres import NEEDS_POSTGRES, postgres_server, postgres_url  # noqa: F401  (fixtures)
from smtp_server import Sink
from test_workers import DIGEST, copies, done, fleet, rows, statuses, stop, wait_for, worker  # noqa: F401  (fixture)

KEY = re.compile(r"Edition (\S+): planned")
LINE = re.compile(r"batch (\d+) of (\S+): sent (\d+), deferred (\d+), failed (\d+), uncertain (\d+) in ([\d.]+) s "
                  r"\(([\d,]+) msgs/s\); done")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=NEEDS_POSTGRES)])
def database(request, monkeypatch):
    if request.param == "postgres":
        monkeypatch.setenv("DIGEST_DB", request.getfixturevalue("postgres_url"))
    return request.param


def ledger_counts(run, key: str) -> Counter:
    listed = json.loads(run("deliveries", "list", "--edition", key, "--all", "--json").stdout)
    return Counter(d["ledger_status"] for d in listed)


def test_after_a_send_the_numbers_shown_are_the_ledgers_and_the_receivers(run, database, tmp_path, monkeypatch):
    with Sink(tmp_path / "received", fail_rcpt=[("^marcus", 550)]) as sink:    # one address is refused: bounced
        monkeypatch.setenv("DIGEST_SMTP_URL", sink.url)
        for args in (("init",), ("subscribers", "import", SUBSCRIBERS / "newsroom.csv"), ("articles", "ingest", SEEDS)):
            assert run(*args).exit_code == 0
        sent = run("send", "--yes")
        assert sent.exit_code == 3, sent      # 3: some were bounced
    key = json.loads(run("editions", "list", "--json").stdout)[0]["edition"]
    received = len(copies(sink))
    ledger = ledger_counts(run, key)
    assert received == ledger["sent"] == 9 and ledger["bounced"] == 1

    shown = run("editions", "show", key, "--json")
    assert shown.exit_code == 0, shown
    p = json.loads(shown.stdout)
    assert p["edition"] == key and p["database"] == database
    assert p["planned"] == sum(ledger.values()) == 10
    assert {s: p[s] for s in ledger} == dict(ledger)
    assert p["pending"] == p["sending"] == p["deferred"] == p["uncertain"] == p["failed"] == 0
    # The one relay answered for every row: its share is all of them, named as the ledger names it.
    (relay,) = p["relays"]
    assert relay["relay"] == f"127.0.0.1:{sink.port}" and relay["sent"] == received and relay["bounced"] == 1
    assert p["held"] == [] and p["workers"] == [] and p["sender"] is None

    text = run("editions", "show", key)
    assert text.exit_code == 0
    assert f"planned 10: pending 0, sending 0, sent {received}, deferred 0, bounced 1, failed 0, uncertain 0" in text.stdout
    assert re.search(rf"127\.0\.0\.1:{sink.port}\s+{received}\s+0\s+1\s+0\s+0", text.stdout), text.stdout
    if database == "sqlite":
        assert "batches: none (SQLite: one host, one `digest send`)" in text.stdout
    else:   # planned into batches, sent by `digest send` itself (queue mode off): done, nobody holds one
        assert re.search(r"batches (\d+): done \1, held by a worker 0, waiting 0", text.stdout) and "no worker holds" in text.stdout

    listed = run("editions", "list")
    assert listed.exit_code == 0
    assert re.search(rf"{key}\s+\S+ \S+\s+10\s+0\s+0\s+{received}\s+0\s+1\s+0\s+0", listed.stdout), listed.stdout


def test_an_edition_that_does_not_exist_is_one_error_line_naming_it_and_the_recent_keys(run, database, smtp_env):
    assert run("init").exit_code == 0
    nothing = run("editions", "show", "daily-2026-13-01")
    assert nothing.exit_code == 1 and nothing.stdout == ""
    assert nothing.stderr.strip().splitlines() == [
        'Error: Edition "daily-2026-13-01" does not exist. Recent editions: none yet. '
        "`digest editions list` lists them."]
    for args in (("subscribers", "import", SUBSCRIBERS / "newsroom.csv"), ("articles", "ingest", SEEDS),
                 ("send", "--yes")):
        assert run(*args).exit_code == 0
    key = json.loads(run("editions", "list", "--json").stdout)[0]["edition"]
    typo = run("editions", "show", key + "x", "--json")
    assert typo.exit_code == 1 and typo.stdout == ""
    assert typo.stderr.count("\n") == 1 and f'"{key}x" does not exist. Recent editions: {key}.' in typo.stderr


@NEEDS_POSTGRES
@pytest.mark.slow
def test_while_a_fleet_sends_the_holder_of_each_batch_is_shown(fleet, run, smtp_env, tmp_path):
    url = fleet(12)
    planned = run("send", "--yes")
    key = KEY.search(planned.stdout + planned.stderr).group(1)
    # Not -v: the one line per batch is logged by default.
    env = {**os.environ, "DIGEST_JOURNAL_DIR": str(tmp_path / "journal-a"), "DIGEST_RATE": "3"}
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        a = subprocess.Popen([DIGEST, "worker"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        mid = ("SELECT b.id FROM batches b WHERE b.owner IS NOT NULL AND EXISTS "
               "(SELECT 1 FROM deliveries d WHERE d.batch_id = b.id AND d.status = 'sent')")
        wait_for(lambda: rows(url, mid), 60, "the worker is mid-batch", log)
        p = json.loads(run("editions", "show", key, "--json").stdout)
        (held,) = p["held"]
        assert held["worker"].endswith(f":{a.pid}") and held["journal"] == env["DIGEST_JOURNAL_DIR"]
        assert held["epoch"] == 1 and held["total"] == 4 and 1 <= held["done"] <= 4
        assert 0 < held["lease_seconds_left"] <= 4
        assert p["workers"] == [{"worker": held["worker"], "journal": held["journal"], "batches": [held["batch"]]}]
        assert p["batches"]["held"] == 1 and sum(p["batches"].values()) == 3
        text = run("editions", "show", key).stdout
        assert re.search(rf"^{held['batch']}\s+\S+:{a.pid}\s+1\s+\d+ s\s+\d/4$", text, re.M), text
        wait_for(lambda: done(url, 12), 120, "every delivery is final", log)
        wait_for(lambda: len(LINE.findall(log.read_text())) == 3, 30, "three batch lines", log)
    finally:
        stop(a)
    p = json.loads(run("editions", "show", key, "--json").stdout)
    assert p["sent"] == len(copies(smtp_env)) == statuses(url)["sent"] == 12 and p["held"] == []
    assert p["batches"] == {"done": 3, "held": 0, "waiting": 0}
    lines = LINE.findall(log.read_text())
    assert sorted(int(b) for b, *_ in lines) == sorted(r[0] for r in rows(url, "SELECT id FROM batches"))
    assert {k for _, k, *_ in lines} == {key} and sum(int(s) for _, _, s, *_ in lines) == 12
    assert all(float(secs) > 0 and rate.replace(",", "").isdigit() for *_, secs, rate in lines)
    assert "\r" not in log.read_text() and "━" not in log.read_text()      # no bar: not a terminal


@NEEDS_POSTGRES
@pytest.mark.slow
def test_in_a_terminal_the_worker_shows_a_bar_per_batch(fleet, run, smtp_env, tmp_path):
    url = fleet(8)
    assert run("send", "--yes").exit_code == 0
    master, slave = pty.openpty()
    env = {**os.environ, "DIGEST_JOURNAL_DIR": str(tmp_path / "journal-a"), "DIGEST_RATE": "4",
           "COLUMNS": "120", "TERM": "xterm"}
    a = subprocess.Popen([DIGEST, "worker"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=slave)
    os.close(slave)
    seen: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                return
            if not chunk:
                return
            seen.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_for(lambda: done(url, 8), 120, "every delivery is final")
        wait_for(lambda: b"".join(seen).count(b"; done") >= 2, 30, "the batch lines")
    except BaseException:
        print(b"".join(seen).decode("utf-8", "replace")[-3000:])
        raise
    finally:
        stop(a)
        reader.join(5)
        os.close(master)
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(seen).decode("utf-8", "replace"))    # colours off
    assert re.search(r"batch \d+ of daily-\S+ .*━.* \d/4", screen), screen[-2000:]     # a bar, with its rows
    assert len(LINE.findall(screen)) == 2         # the log lines, as without a terminal, above the bars
    assert set(copies(smtp_env).values()) == {1} and len(copies(smtp_env)) == 8
