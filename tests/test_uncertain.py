"""Why a delivery is uncertain, and what a later run says about it (issue 25, item 9): the reason
recorded per row (the sender died after the final dot, the relay dropped the connection, the relay
never answered), shown by `deliveries list` and the tally, `--resend-uncertain=REASON`, exit codes
that say what this run left, and a relay that goes down mid-send leaving the rest for one next run.
Real SQLite, a real SMTP server on 127.0.0.1, the real CLI."""

from __future__ import annotations

import collections
import json

from digest import config, pipeline
from digest.db import Database
from digest.smtp import Relay
from digest.smtp.journal import journal_dir
from smtp_server import Sink
from test_faults import make_list


def ledger(run, status: str | None = None) -> list[dict]:
    r = run("deliveries", "list", "--json", "--all", *(["--status", status] if status else []))
    assert r.exit_code == 0, r
    return json.loads(r.stdout)


def copies(sink) -> collections.Counter:
    return collections.Counter(rcpts[0] for rcpts, _ in sink.messages)


def _sender_died_on_first_row(tmp_path) -> str:
    """The state a sender killed between the final dot and the answer leaves: the row claimed, its
    D line in the journal and no R. Returns its address."""
    cfg = config.load()
    store = Database.open(cfg.db)
    plan = pipeline.plan_edition(store, cfg)
    row = store.deliveries.claim(plan.edition_id, "pending", 0, 1)[0]
    folder = journal_dir(store.path)
    folder.mkdir()
    (folder / f"e{plan.edition_id}-4242-dead-0.log").write_text(f"H sink\nD {row.id}\n")
    store.close()
    return row.email or ""


def test_each_uncertain_row_says_why_and_only_the_reason_asked_for_is_resent(tmp_path, run, monkeypatch):
    everyone = make_list(tmp_path, run, 8)
    died = _sender_died_on_first_row(tmp_path)
    dropped = "reader0003@example.org"
    with Sink(tmp_path / "received", drop=[(f"^{dropped}", "lost", 1)]) as sink:   # nothing kept, no answer
        monkeypatch.setenv("DIGEST_SMTP_URL", sink.url)
        r = run("send", "--yes")
        assert r.exit_code == 3, r
        assert "uncertain 2 (relay-dropped 1, sender-died 1)" in r.stderr
        assert "2 deliveries became uncertain" in r.stderr and "--resend-uncertain=relay-dropped" in r.stderr
        rows = {d["email"]: d for d in ledger(run, "uncertain")}
        assert set(rows) == {died, dropped}
        assert rows[dropped]["last_reply"].startswith("relay-dropped: connection to ")
        assert rows[died]["last_reply"].startswith("sender-died: ")
        table = run("deliveries", "list", "--status", "uncertain").stdout
        assert "relay-dropped: " in table and "sender-died: " in table
        # A later plain run has nothing new to say about them: exit 0, and it says so.
        before = len(sink.messages)
        r = run("send", "--yes")
        assert r.exit_code == 0, r
        assert "2 still uncertain from an earlier run, nothing new failed." in r.stderr
        assert len(sink.messages) == before
        # Only the dropped one goes out again; the one the dead sender most likely got through stays.
        r = run("send", "--yes", "--resend-uncertain=relay-dropped")
        assert r.exit_code == 0, r
        assert copies(sink)[dropped] == 1 and len(sink.messages) == before + 1
        assert [d["email"] for d in ledger(run, "uncertain")] == [died]
        assert "1 still uncertain from an earlier run, nothing new failed." in r.stderr
        # Plain --resend-uncertain keeps its meaning: every reason.
        r = run("send", "--yes", "--resend-uncertain")
        assert r.exit_code == 0, r
        assert ledger(run, "uncertain") == [] and copies(sink)[died] == 1
        assert set(copies(sink)) == everyone and set(copies(sink).values()) == {1}


def test_resend_uncertain_takes_only_a_known_reason(run, tmp_path):
    r = run("send", "--yes", "--resend-uncertain=maybe")
    assert r.exit_code == 2 and "relay-dropped" in r.stderr and "sender-died" in r.stderr, r


def test_a_relay_that_never_answers_the_dot_is_uncertain_with_no_answer(tmp_path):
    with Sink(tmp_path / "received", hang_after=0) as sink:
        relay = Relay(config.parse_smtp_url(f"{sink.url}?timeout=1")).open()
        try:
            out = relay.send("digest@news.example.com", "ada@example.org", b"Subject: x\r\n\r\nhi\r\n")
        finally:
            relay.close()
        assert len(sink.messages) == 1          # kept: exactly why this one is not safe to resend
    assert (out.status, out.reason) == ("uncertain", "no-answer") and out.text.startswith("no-answer: ")


def test_a_relay_down_mid_send_leaves_the_rest_pending_and_one_run_sends_them(tmp_path, run, monkeypatch):
    everyone = make_list(tmp_path, run, 60)
    monkeypatch.setenv("DIGEST_CONNECTIONS", "2")
    monkeypatch.setenv("DIGEST_RETRY_BASE", "600")     # a recipient's 4xx would wait; a dropped connection does not
    with Sink(tmp_path / "a", die_after=20) as a:
        monkeypatch.setenv("DIGEST_SMTP_URL", a.url)
        r = run("send", "--yes")
    assert r.exit_code == 2, r
    status = collections.Counter(d["status"] for d in ledger(run))
    assert status["sent"] >= 18 and status["pending"] >= 30, status
    assert f"pending {status['pending']}" in r.stderr and "still pending: the next `digest send` sends them" in r.stderr
    deferred = ledger(run, "deferred")
    assert len(deferred) <= 2 and all(d["next_attempt_at"] is None for d in deferred)   # due at once
    uncertain = {d["email"] for d in ledger(run, "uncertain")}
    assert all(d["last_reply"].startswith("relay-dropped: ") for d in ledger(run, "uncertain"))
    with Sink(tmp_path / "b") as b:
        monkeypatch.setenv("DIGEST_SMTP_URL", b.url)
        r = run("send", "--yes")
        assert r.exit_code == 0, r          # one run, at once: everything left is sent
        if uncertain:
            assert f"{len(uncertain)} still uncertain from an earlier run, nothing new failed." in r.stderr
    assert {d["status"] for d in ledger(run)} <= {"sent", "uncertain"}
    got = copies(a) + copies(b)
    assert set(got) | uncertain == everyone
    assert all(n == 1 for e, n in got.items()), "nobody gets two copies"
