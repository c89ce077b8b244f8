"""Exactly once under faults (issue 15), through real processes: a real `digest send` (or scheduler)
subprocess, a real SQLite file locked by a second connection, a real SMTP server on 127.0.0.1
answering per rule, SIGKILL, SIGSTOP/SIGCONT on a real sender with a short lease.

Every test counts what the server received: nobody gets a second copy, and everybody gets one
except the deliveries the ledger lists as uncertain. They wait for conditions (with a deadline),
never for a time.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import SEEDS
from digest import config, pipeline
from digest.db import Database
from digest.smtp import Relay, smtp_address
from digest.smtp.journal import journal_dir
from smtp_server import Sink

TOPICS = ["Europe", "World", "Politics", "Europe;World", "Europe;Politics;World"]
SEND = [sys.executable, "-m", "digest", "send", "--yes", "--quiet"]


def make_list(tmp_path, run, n: int) -> set[str]:
    assert run("init").exit_code == 0
    assert run("articles", "ingest", SEEDS).exit_code == 0
    f = tmp_path / "list.csv"
    f.write_text("email,name,topics\n" + "".join(
        f"reader{i:04d}@example.org,Reader {i},{TOPICS[i % 5]}\n" for i in range(n)))
    r = run("subscribers", "import", f)
    assert r.exit_code == 0, r
    return {f"reader{i:04d}@example.org" for i in range(n)}


def wait_for(predicate, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def copies(sink) -> collections.Counter:
    return collections.Counter(rcpts[0] for rcpts, _ in sink.messages)


def ledger(run, status: str | None = None) -> list[dict]:
    r = run("deliveries", "list", "--json", "--all", *(["--status", status] if status else []))
    assert r.exit_code == 0, r
    return json.loads(r.stdout)


def errors(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.startswith("Error:")]


def assert_exactly_once(run, sink, everyone: set[str]) -> set[str]:
    """Nobody got two copies; everybody got one, except deliveries listed uncertain. Returns those."""
    got = copies(sink)
    doubled = sorted(e for e, c in got.items() if c > 1)
    assert not doubled, f"{len(doubled)} subscribers got a second copy: {doubled[:5]}"
    uncertain = {d["email"] for d in ledger(run, "uncertain")}
    missing = everyone - set(got) - uncertain
    assert not missing, f"{len(missing)} subscribers got nothing: {sorted(missing)[:5]}"
    sent = {d["email"] for d in ledger(run, "sent")}
    assert sent <= set(got)          # nothing marked sent that the server did not accept
    return uncertain


def db_path(tmp_path) -> str:
    return str(tmp_path / "digest.db")


def rows_in(tmp_path, status: str) -> int:
    with sqlite3.connect(db_path(tmp_path)) as c:
        return c.execute("SELECT count(*) FROM deliveries WHERE status = ?", (status,)).fetchone()[0]


# ---- 1. a ledger write that fails mid-send keeps the journal ---------------------------------

@pytest.mark.slow
def test_a_database_locked_mid_send_stops_the_run_and_the_resume_sends_nobody_a_second_copy(tmp_path, run):
    everyone = make_list(tmp_path, run, 400)
    with Sink(tmp_path / "received") as sink:
        env = {**os.environ, "DIGEST_SMTP_URL": sink.url, "DIGEST_CONNECTIONS": "2", "DIGEST_SEND_BATCH": "20",
               "DIGEST_LOCK_TIMEOUT": "0.5"}
        proc = subprocess.Popen(SEND, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        lock = sqlite3.connect(db_path(tmp_path), timeout=30, isolation_level=None)
        try:
            wait_for(lambda: len(sink.messages) >= 20 or proc.poll() is not None, what="the first messages")
            assert proc.poll() is None, "the sender finished before the database could be locked"
            lock.execute("BEGIN IMMEDIATE")       # another process holds the write lock, and keeps it
            _, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
            if lock.in_transaction:
                lock.execute("ROLLBACK")
            lock.close()
        assert proc.returncode == 1, err
        assert "Traceback" not in err
        assert len(errors(err)) == 1 and "database is locked" in errors(err)[0], err
        assert "digest.db.outbox" in errors(err)[0]
        outbox = tmp_path / "digest.db.outbox"
        assert any(outbox.iterdir()), "the journal holds outcomes the database never got: it must be kept"
        final = subprocess.run(SEND, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert final.returncode in (0, 3), final.stderr
        assert_exactly_once(run, sink, everyone)
    assert not any(outbox.iterdir())          # recorded, then removed


def test_a_retry_sent_on_another_connection_is_not_undone_by_its_earlier_deferral_in_the_journal(tmp_path, run):
    """Greylisted on connection 1, retried and accepted on connection 0, then the sender died: the
    journal files have no order between them, and the deferral must not win over the delivery."""
    everyone = make_list(tmp_path, run, 6)
    cfg = config.load()
    store = Database.open(cfg.db)
    plan = pipeline.plan_edition(store, cfg)
    rows = store.deliveries.claim(plan.edition_id, "pending", 0, 1000)
    x = rows[0]
    folder = journal_dir(store.path)
    folder.mkdir()
    (folder / f"e{plan.edition_id}-777-dead-0.log").write_text(f"D {x.id}\nR {x.id} sent 0 250 OK queued\n")
    (folder / f"e{plan.edition_id}-777-dead-1.log").write_text(f"R {x.id} deferred 0 451 4.7.1 greylisted\n")
    store.close()
    with Sink(tmp_path / "received") as sink:
        env = {**os.environ, "DIGEST_SMTP_URL": sink.url}
        r = subprocess.run(SEND, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert set(copies(sink)) == everyone - {x.email} and set(copies(sink).values()) == {1}
    assert {d["email"]: d["status"] for d in ledger(run)}[x.email] == "sent"


# ---- 2. rows a dead sender left 'sending' are resumed, whatever the date ---------------------

def _kill_after_claiming_everything(tmp_path, run, sink, env) -> None:
    """A sender that claimed every row in one batch, killed after a few messages."""
    proc = subprocess.Popen(SEND, env={**env, "DIGEST_SEND_BATCH": "5000"}, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: len(sink.messages) >= 5 or proc.poll() is not None, what="the first messages")
    assert proc.poll() is None, "the sender finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert rows_in(tmp_path, "sending") > 0


@pytest.mark.parametrize("resumed_by", ["digest send on a later day", "the next scheduler tick"])
def test_rows_left_sending_by_a_killed_sender_are_resumed_by_any_later_run(tmp_path, run, resumed_by):
    everyone = make_list(tmp_path, run, 150)
    with Sink(tmp_path / "received") as sink:
        env = {**os.environ, "DIGEST_SMTP_URL": sink.url, "DIGEST_CONNECTIONS": "2"}
        _kill_after_claiming_everything(tmp_path, run, sink, env)
        if resumed_by == "digest send on a later day":
            yesterday = dt.date.today() - dt.timedelta(days=1)
            with sqlite3.connect(db_path(tmp_path)) as c:      # the killed run was yesterday's
                c.execute("UPDATE editions SET key = ?, date = ?", (f"daily-{yesterday}", yesterday.isoformat()))
            later = subprocess.run(SEND, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
            assert later.returncode in (0, 3), later.stderr
            assert f"Edition daily-{yesterday}: retried" in later.stderr
        else:
            (tmp_path / "digest.toml").write_text('[digest]\nsend_at = "00:00"\n')
            tick = subprocess.run([sys.executable, "-m", "digest", "schedule", "run", "--once"], env=env,
                                  cwd=tmp_path, capture_output=True, text=True, timeout=120)
            assert tick.returncode in (0, 3), tick.stderr
            assert "resumed daily-" in tick.stderr
        assert rows_in(tmp_path, "sending") == 0
        assert_exactly_once(run, sink, everyone)


def test_an_uncertain_delivery_is_not_sent_again_under_the_next_editions_name(tmp_path, run):
    """Its window counts as delivered: the next day's digest starts where it ended."""
    everyone = make_list(tmp_path, run, 5)
    with Sink(tmp_path / "received", drop=[("^reader0002@", "data", 1)]) as sink:   # kept; the reply is lost
        env = {**os.environ, "DIGEST_SMTP_URL": sink.url}
        r = subprocess.run(SEND, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert r.returncode == 3 and "uncertain 1" in r.stderr, r.stderr
        yesterday = dt.date.today() - dt.timedelta(days=1)
        with sqlite3.connect(db_path(tmp_path)) as c:
            c.execute("UPDATE editions SET key = ?, date = ?", (f"daily-{yesterday}", yesterday.isoformat()))
        r = subprocess.run(SEND, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and "nothing to send" in r.stderr, r.stderr     # today's edition: nothing new
        assert set(copies(sink)) == everyone and set(copies(sink).values()) == {1}
    assert [d["email"] for d in ledger(run, "uncertain")] == ["reader0002@example.org"]


# ---- 4. an address the relay cannot take is that delivery's failure, never a hang ------------

def test_idn_domains_go_out_in_ascii_and_a_non_ascii_local_part_fails_with_its_reason(tmp_path, run):
    everyone = make_list(tmp_path, run, 6)
    assert run("subscribers", "add", "leser@xn--bcher-kva.example", "--topic", "Europe").exit_code == 0
    assert run("subscribers", "add", "kunde@Straße.example", "--topic", "World").exit_code == 0
    with sqlite3.connect(db_path(tmp_path)) as c:    # written before import refused such addresses
        c.execute("INSERT INTO subscribers (email, name, status, frequency, created_at, updated_at)"
                  " VALUES ('jürgen@example.org', 'Jürgen', 'active', 'daily', '2026-01-01', '2026-01-01')")
        c.execute("INSERT INTO subscriptions SELECT id, 1 FROM subscribers WHERE email = 'jürgen@example.org'")
    with Sink(tmp_path / "received") as sink:
        env = {**os.environ, "DIGEST_SMTP_URL": sink.url, "DIGEST_CONNECTIONS": "2"}
        r = subprocess.run(SEND, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert r.returncode == 3, r.stderr
        assert "sent 8," in r.stderr and "failed 1," in r.stderr
        assert "failed: jürgen@example.org:" in r.stderr and "not ASCII" in r.stderr
        got = copies(sink)
        assert got["leser@xn--bcher-kva.example"] == 1 and got["kunde@xn--strae-oqa.example"] == 1
        assert everyone <= set(got) and set(got.values()) == {1}
        to = {rcpts[0]: data for rcpts, data in sink.messages}["kunde@xn--strae-oqa.example"]
        assert b"To: kunde@xn--strae-oqa.example" in to or b"<kunde@xn--strae-oqa.example>" in to
    failed = ledger(run, "failed")
    assert [d["email"] for d in failed] == ["jürgen@example.org"] and "SMTPUTF8" in failed[0]["last_reply"]
    active = {s["email"] for s in json.loads(run("subscribers", "list", "--status", "active", "--json").stdout)}
    assert "jürgen@example.org" in active        # failed, not suppressed: it is our limit, not their fault


def test_import_refuses_a_non_ascii_local_part_and_says_why(run, tmp_path):
    assert run("init").exit_code == 0
    r = run("subscribers", "add", "jürgen@example.org", "--topic", "Europe")
    assert r.exit_code == 1 and len(errors(r.stderr)) == 1 and "not ASCII" in r.stderr, r
    f = tmp_path / "l.csv"
    f.write_text("email,topics\nada@example.org,Europe\njürgen@example.org,Europe\nbob@example.org,World\n")
    r = run("subscribers", "import", f)
    assert r.exit_code == 1 and "jürgen@example.org" in r.stderr and "not ASCII" in r.stderr, r
    emails = {s["email"] for s in json.loads(run("subscribers", "list", "--json").stdout)}
    assert emails == {"ada@example.org", "bob@example.org"}


def test_smtp_address_keeps_ascii_and_writes_idn_domains_as_a_labels():
    assert smtp_address("ada@example.org") == "ada@example.org"
    assert smtp_address("leser@bücher.example") == "leser@xn--bcher-kva.example"
    with pytest.raises(ValueError, match="not ASCII"):
        smtp_address("jürgen@example.org")


def test_any_exception_while_sending_is_that_messages_outcome_and_the_connection_goes_on(sink):
    relay = Relay(config.parse_smtp_url(sink.url)).open()
    try:
        bad = relay.send("digest@news.example.com", "jürgen@example.org", b"Subject: x\r\n\r\nhi\r\n")
        good = relay.send("digest@news.example.com", "ada@example.org", b"Subject: x\r\n\r\nhi\r\n")
    finally:
        relay.close()
    assert bad.status == "failed" and "UnicodeEncodeError" in bad.reply
    assert good.status == "sent" and [r for r, _ in sink.messages] == [["ada@example.org"]]


# ---- 5. a refusal of the sender or the account stops the run and blames nobody ---------------

REFUSALS = {
    "550 at MAIL FROM": dict(fail_mail=[(".", "550 5.1.8 <digest@news.example.com>: Sender address rejected: "
                                              "Domain not found")]),
    "530 at MAIL FROM": dict(fail_mail=[(".", "530 5.7.0 Authentication required")]),
    "Postfix's relay refusal at RCPT": dict(fail_rcpt=[(".", "554 5.7.1 <{address}>: Relay access denied")]),
}


@pytest.mark.parametrize("refusal", list(REFUSALS))
def test_a_relay_refusing_the_sender_stops_the_run_and_suppresses_nobody(tmp_path, run, refusal):
    everyone = make_list(tmp_path, run, 20)
    with Sink(tmp_path / "received", **REFUSALS[refusal]) as sink:
        env = {**os.environ, "DIGEST_SMTP_URL": sink.url, "DIGEST_CONNECTIONS": "2"}
        r = subprocess.run(SEND, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and len(errors(r.stderr)) == 1, r.stderr
    assert "refused the sender" in errors(r.stderr)[0] and "stay pending" in errors(r.stderr)[0]
    assert sink.messages == []
    rows = ledger(run)
    assert len(rows) == 20 and {(d["status"], d["attempts"]) for d in rows} == {("pending", 0)}
    assert {s["status"] for s in json.loads(run("subscribers", "list", "--json").stdout)} == {"active"}
    # The relay is fixed: the next run sends everyone their one copy.
    with Sink(tmp_path / "received2") as sink:
        r = subprocess.run(SEND, env={**env, "DIGEST_SMTP_URL": sink.url}, cwd=tmp_path, capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert set(copies(sink)) == everyone and set(copies(sink).values()) == {1}


def test_a_relay_that_keeps_deferring_the_sender_stops_the_run_with_everything_pending(tmp_path, run):
    make_list(tmp_path, run, 20)
    (tmp_path / "digest.toml").write_text("[send]\nrelay_retries = 3\n")
    with Sink(tmp_path / "received", fail_mail=[(".", "451 4.3.0 Temporary local problem, try later")]) as sink:
        env = {**os.environ, "DIGEST_SMTP_URL": sink.url, "DIGEST_CONNECTIONS": "1"}
        r = subprocess.run(SEND, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and len(errors(r.stderr)) == 1 and "451 4.3.0" in errors(r.stderr)[0], r.stderr
    assert {(d["status"], d["attempts"]) for d in ledger(run)} == {("pending", 0)}


# ---- 6. a sender stalled past its lease stops at once and touches nothing ---------------------

def _lease_expired(tmp_path) -> bool:
    with sqlite3.connect(db_path(tmp_path)) as c:
        row = c.execute("SELECT expires_at FROM leases WHERE name LIKE 'send:%'").fetchone()
    return row is not None and row[0] < dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.mark.slow
def test_a_sender_stalled_past_its_lease_stops_at_once_and_nobody_gets_a_second_copy(tmp_path, run):
    everyone = make_list(tmp_path, run, 400)
    with Sink(tmp_path / "received") as sink:
        env = {**os.environ, "DIGEST_SMTP_URL": sink.url, "DIGEST_CONNECTIONS": "2", "DIGEST_LEASE_SECONDS": "2",
               "DIGEST_SEND_BATCH": "50"}
        a = subprocess.Popen(SEND, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        b = None
        try:
            wait_for(lambda: len(sink.messages) >= 20 or a.poll() is not None, what="the first messages")
            assert a.poll() is None, "the sender finished before it could be stopped"
            a.send_signal(signal.SIGSTOP)
            wait_for(lambda: _lease_expired(tmp_path), what="the stalled sender's lease to expire")
            before = len(sink.messages)
            b = subprocess.Popen(SEND, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
            wait_for(lambda: len(sink.messages) >= before + 20 or b.poll() is not None, what="the new sender")
            a.send_signal(signal.SIGCONT)      # wakes up while the other one is sending, if it still is
            _, a_err = a.communicate(timeout=60)
            _, b_err = b.communicate(timeout=120)
        finally:
            for p in (a, b):
                if p is not None and p.poll() is None:
                    p.send_signal(signal.SIGCONT)
                    p.kill()
        assert a.returncode == 4, a_err
        assert len(errors(a_err)) == 1 and "Lost the lease" in errors(a_err)[0] and "Traceback" not in a_err
        assert b.returncode in (0, 3), b_err
        final = subprocess.run(SEND, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert final.returncode in (0, 3), final.stderr
        uncertain = assert_exactly_once(run, sink, everyone)
        assert len(uncertain) <= 2      # at most the one in flight per connection of the stalled sender


# ---- 7. greylisting is the recipient's retry, not a reason to slow down ----------------------

def test_greylisting_five_percent_retries_those_recipients_and_never_slows_the_relay(tmp_path, run, monkeypatch):
    everyone = make_list(tmp_path, run, 200)
    greylisted = {e for e in everyone if int(e[6:10]) % 20 == 0}            # 5%
    with Sink(tmp_path / "received", greylist=r"^reader\d\d[02468]0@") as sink:
        env = {**os.environ, "DIGEST_SMTP_URL": sink.url, "DIGEST_CONNECTIONS": "2", "DIGEST_RETRY_BASE": "0.01"}
        r = subprocess.run(SEND, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert "throttled" not in r.stderr
        assert set(copies(sink)) == everyone and set(copies(sink).values()) == {1}
        assert {e for e, n in sink.attempts.items() if n == 2} == greylisted
    rows = {d["email"]: d for d in ledger(run)}
    assert {e for e, d in rows.items() if d["attempts"] == 2} == greylisted


def test_a_burst_of_recipient_tempfails_is_throttling_after_all(run, tmp_path):
    everyone = make_list(tmp_path, run, 30)
    with Sink(tmp_path / "received", fail_rcpt=[(".", 451, 12)]) as sink:     # the relay says "later" to everyone
        env = {**os.environ, "DIGEST_SMTP_URL": sink.url, "DIGEST_CONNECTIONS": "1", "DIGEST_RETRY_BASE": "0.01",
               "DIGEST_RETRY_ATTEMPTS": "13"}
        r = subprocess.run(SEND, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert "The relay throttled us 2 times" in r.stderr
        assert set(copies(sink)) == everyone and set(copies(sink).values()) == {1}


def test_a_connection_level_refusal_that_sticks_to_one_recipient_ends_as_its_deferral(tmp_path, run):
    everyone = make_list(tmp_path, run, 10)
    assert run("subscribers", "add", "stuck@example.org", "--topic", "Europe").exit_code == 0
    (tmp_path / "digest.toml").write_text("[send]\nretry_attempts = 1\n")
    with Sink(tmp_path / "received", fail_rcpt=[("^stuck@", 454)]) as sink:
        env = {**os.environ, "DIGEST_SMTP_URL": sink.url, "DIGEST_CONNECTIONS": "1", "DIGEST_RETRY_BASE": "0.01"}
        r = subprocess.run(SEND, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert r.returncode == 3 and "deferred 1" in r.stderr, r.stderr
        assert set(copies(sink)) == everyone and set(copies(sink).values()) == {1}
    assert [(d["email"], d["status"]) for d in ledger(run, "deferred")] == [("stuck@example.org", "deferred")]


def test_a_test_copy_to_an_idn_domain_goes_out_in_ascii(run, tmp_path, smtp_env):
    assert run("init").exit_code == 0
    assert run("articles", "ingest", SEEDS).exit_code == 0
    r = run("send", "--test-to", "editor@bücher.example")
    assert r.exit_code == 0, r
    assert [rcpts for rcpts, _ in smtp_env.messages] == [["editor@xn--bcher-kva.example"]]
