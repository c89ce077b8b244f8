"""The bounce processor end to end, through `digest bounces process` over a real database: the corpus
(tests/bounces/) against a ledger holding the deliveries its tokens and addresses name. Hard bounces
suppress, soft ones count, complaints unsubscribe and suppress, a mailto unsubscribes, auto-replies
change nothing; a report without a token is matched only to deliveries actually sent; whatever
matches nothing is kept for the admin; the same report twice counts once; a forged token does nothing."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from pathlib import Path

import pytest

from digest.bounces import verp

CORPUS = Path(__file__).parent / "bounces"
SECRET = "corpus-secret-not-for-production-0123456789abcdef"     # the corpus's tokens were made with it

# subscriber id -> address, and the (edition, subscriber, message-id) of deliveries sent
PEOPLE = {1001: "gone@example.org", 1002: "slowpoke@yahoo.com", 1003: "nobody@example.net",
          1004: "later@example.net", 1005: "former.employee@contoso.example", 1006: "no.such.person@gmail.com",
          1007: "full.inbox@gmail.com", 1008: "closed.account@yahoo.com", 1009: "redacted@yahoo.com",
          1010: "reader@hotmail.com", 1011: "ada@example.org", 1012: "holiday@example.org",
          1013: "away@gmail.com", 1014: "someone@contoso.example", 1015: "writer@example.org",
          512: "old@example.net", 77: "left.company@example.com", 600: "moved@example.org", 601: "retired@example.org"}
EDITIONS = {3: "daily-2026-11-21", 4: "daily-2026-11-23", 5: "daily-2026-11-24", 7: "daily-2026-11-25",
            8: "daily-2026-11-25b", 9: "daily-2026-11-25c", 12: "daily-2026-11-25d", 14: "daily-2026-11-26"}
SENT = [(7, s) for s in (1001, 1002, 1003)] + [(8, 1004), (8, 1005), (9, 1006), (9, 1007)] + \
       [(12, s) for s in (1008, 1009, 1010)] + [(14, s) for s in (1011, 1012, 1013, 1014, 1015)] + \
       [(5, 512), (3, 600), (3, 601), (8, 1002), (9, 1002), (12, 1002)]
MESSAGE_IDS = {(5, 512): "<2026-11-24.512.6c0b9d1e8a7f3342@news.example.com>"}


@pytest.fixture
def ledger(run, monkeypatch, tmp_path):
    """A database whose ledger holds the deliveries the corpus names; left.company@ was planned, never sent."""
    monkeypatch.setenv("DIGEST_SECRET", SECRET)
    monkeypatch.setenv("DIGEST_UNSUBSCRIBE_MAILTO", "mailto:unsubscribe@news.example.com?subject=unsubscribe")
    assert run("init").exit_code == 0
    stamp = "2026-11-20T07:00:00.000000Z"
    conn = sqlite3.connect(os.environ["DIGEST_DB"])
    with conn:
        conn.executemany("INSERT INTO subscribers (id, email, status, created_at, updated_at) VALUES (?, ?, 'active', ?, ?)",
                         [(sid, email, stamp, stamp) for sid, email in PEOPLE.items()])
        conn.executemany("INSERT INTO editions (id, key, frequency, date, created_at) VALUES (?, ?, 'daily', ?, ?)",
                         [(eid, key, key[6:16], stamp) for eid, key in EDITIONS.items()])
        rows = [(e, s, "sent", MESSAGE_IDS.get((e, s), f"<{EDITIONS[e]}.{s}.x@news.example.com>")) for e, s in SENT]
        rows.append((4, 77, "pending", "<2026-11-23.77.0f1e2d3c4b5a6978@news.example.com>"))
        conn.executemany("INSERT INTO deliveries (edition_id, subscriber_id, status, mix, until, message_id, created_at,"
                         " updated_at) VALUES (?, ?, ?, 'World', ?, ?, ?, ?)",
                         [(e, s, st, stamp, mid, stamp, stamp) for e, s, st, mid in rows])
    conn.close()
    return tmp_path


def statuses(run) -> dict[str, str]:
    return {s["email"]: s["status"] for s in json.loads(run("subscribers", "list", "--json").stdout)}


def test_the_corpus_through_digest_bounces_process(run, ledger):
    files = sorted(CORPUS.glob("*.txt"))
    r = run("bounces", "process", *files)
    assert r.exit_code == 0, r
    assert len(r.stdout.splitlines()) == len(files) and "Traceback" not in r.stderr
    s = statuses(run)
    bounced = {"gone@example.org", "nobody@example.net", "former.employee@contoso.example",
               "no.such.person@gmail.com", "closed.account@yahoo.com", "old@example.net", "retired@example.org"}
    assert {e for e, st in s.items() if st == "bounced"} == bounced
    assert {e for e, st in s.items() if st == "complained"} == {"redacted@yahoo.com", "reader@hotmail.com"}
    assert {e for e, st in s.items() if st == "unsubscribed"} == {"ada@example.org"}
    # soft bounces counted, not suppressed; auto-replies change nothing; a delivery never sent matches nothing
    for e in ("slowpoke@yahoo.com", "later@example.net", "full.inbox@gmail.com", "moved@example.org",
              "holiday@example.org", "away@gmail.com", "someone@contoso.example", "left.company@example.com",
              "writer@example.org"):
        assert s[e] == "active", e
    assert {e for e, st in s.items() if st != "active"} == bounced | {"redacted@yahoo.com", "reader@hotmail.com",
                                                                      "ada@example.org"}
    listed = {s["email"] for s in json.loads(run("subscribers", "list", "--status", "complained", "--json").stdout)}
    assert listed == {"redacted@yahoo.com", "reader@hotmail.com"}

    # What nobody could be matched to is kept for the admin, with the message as it came.
    kept = json.loads(run("bounces", "list", "--unattributed", "--json").stdout)
    assert sorted(b["address"] for b in kept) == ["", "", "left.company@example.com", "typo.address@gmail.com"]
    assert {b["subscriber"] for b in kept} == {None, "writer@example.org"}      # the person who wrote back
    typo = next(b for b in kept if b["address"] == "typo.address@gmail.com")
    shown = run("bounces", "show", typo["id"])
    assert shown.exit_code == 0 and b"typo.address@gmail.com" in shown.stdout_bytes
    everything = json.loads(run("bounces", "list", "--json").stdout)
    gone = next(b for b in everything if b["subscriber"] == "gone@example.org")
    assert (gone["kind"], gone["status"], gone["edition"]) == ("hard", "5.1.1", "daily-2026-11-25")
    assert "User unknown" in gone["diagnostic"] and gone["action"].startswith("suppressed")

    # The same reports again (a pipe run twice, a mailbox read after the listener): nothing changes.
    again = run("bounces", "process", *files)
    assert again.exit_code == 0 and all("already processed" in ln for ln in again.stdout.splitlines())
    assert statuses(run) == s and len(json.loads(run("bounces", "list", "--json").stdout)) == len(everything)


def test_the_subscriber_shows_their_bounce_history(run, ledger):
    run("bounces", "process", CORPUS / "postfix-hard.txt")
    r = run("subscribers", "show", "gone@example.org")
    assert r.exit_code == 0 and "status:     bounced" in r.stdout
    assert "5.1.1" in r.stdout and "daily-2026-11-25" in r.stdout and "User unknown" in r.stdout
    shown = json.loads(run("subscribers", "show", "gone@example.org", "--json").stdout)
    assert [(b["kind"], b["status"]) for b in shown["bounces"]] == [("hard", "5.1.1")]


def test_a_forged_token_changes_nothing_and_is_kept(run, ledger, tmp_path):
    data = (CORPUS / "postfix-hard.txt").read_bytes()
    forged = tmp_path / "forged.eml"
    forged.write_bytes(data.replace(b"7-rt-qbetgeydhegnsvxv", b"7-ru-qbetgeydhegnsvxv").replace(
        b"Message-ID: <", b"Message-ID: <forged."))
    r = run("bounces", "process", forged)
    assert r.exit_code == 0 and "forged or altered" in r.stdout
    assert statuses(run)["gone@example.org"] == statuses(run)["slowpoke@yahoo.com"] == "active"
    assert [b["action"] for b in json.loads(run("bounces", "list", "--unattributed", "--json").stdout)] == [
        "kept: its bounce token is forged or altered; nothing done"]


def test_a_complaint_unsubscribes_and_suppresses(run, ledger):
    run("bounces", "process", CORPUS / "outlook-jmrp-abuse.txt")
    assert statuses(run)["reader@hotmail.com"] == "complained"
    # Nothing but their own request brings them back: not an import, not the sign-up form.
    r = run("subscribers", "subscribe", "reader@hotmail.com", "World")
    assert r.exit_code == 1 and "complained" in r.stderr


def soft_bounce(sid: int, edition: int, *, n: int, delayed: bool = False) -> bytes:
    """A Postfix DSN for delivery (edition, sid): soft, failed 4.2.2 (or a `delayed` warning)."""
    rp = verp.return_path(SECRET, edition, sid, "bounce.news.example.com")
    return (f"From: MAILER-DAEMON@relay.example.net (Mail Delivery System)\nTo: {rp}\n"
            f"Subject: Undelivered Mail Returned to Sender\nMessage-ID: <soft.{sid}.{edition}.{n}@relay.example.net>\n"
            "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
            "--B\nContent-Type: text/plain\n\nThe mailbox is full.\n\n--B\nContent-Type: message/delivery-status\n\n"
            f"Reporting-MTA: dns; relay.example.net\n\nFinal-Recipient: rfc822; {PEOPLE[sid]}\n"
            f"Action: {'delayed' if delayed else 'failed'}\nStatus: 4.2.2\n"
            f"Diagnostic-Code: smtp; 452 4.2.2 mailbox full\n\n--B--\n").encode()


def test_soft_bounces_suppress_after_the_limit_within_the_days(run, ledger, tmp_path, monkeypatch):
    import time_machine
    monkeypatch.setenv("DIGEST_BOUNCE_SOFT_LIMIT", "3")
    monkeypatch.setenv("DIGEST_BOUNCE_SOFT_DAYS", "10")
    sid = 1002

    def bounce(edition: int, n: int, delayed: bool = False):
        path = tmp_path / f"soft{n}.eml"
        path.write_bytes(soft_bounce(sid, edition, n=n, delayed=delayed))
        r = run("bounces", "process", path)
        assert r.exit_code == 0, r
        return r.stdout

    with time_machine.travel(dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc), tick=False):
        assert "counted: 1 of 3" in bounce(7, 1)                   # long ago: outside the 10 days later
    with time_machine.travel(dt.datetime(2026, 11, 25, tzinfo=dt.timezone.utc), tick=False):
        assert "counted: 1 of 3" in bounce(8, 2, delayed=True)
        assert "counted: 1 of 3" in bounce(8, 3)                   # the same delivery's final failure: still one
        assert "counted: 2 of 3" in bounce(9, 4)
        assert statuses(run)["slowpoke@yahoo.com"] == "active"
        assert "suppressed: 3 soft bounces within 10 days" in bounce(12, 5)
    assert statuses(run)["slowpoke@yahoo.com"] == "suppressed"


def test_a_report_without_a_token_matches_only_deliveries_sent(run, ledger):
    """left.company@ is a subscriber, but the delivery its bounce names was never sent: kept, not acted on.
    old@ was sent the message the report names by Message-ID: suppressed."""
    r = run("bounces", "process", CORPUS / "exchange2003-no-verp.txt", CORPUS / "exim-legacy-no-verp.txt")
    assert r.exit_code == 0, r
    s = statuses(run)
    assert s["left.company@example.com"] == "active" and s["old@example.net"] == "bounced"


def test_stdin_unreadable_files_and_a_test_copy(run, ledger, tmp_path):
    rp = verp.return_path(SECRET, 0, 0, "bounce.news.example.com")
    data = soft_bounce(1001, 7, n=9).replace(verp.return_path(SECRET, 7, 1001, "bounce.news.example.com").encode(),
                                            rp.encode()).replace(b"Status: 4.2.2", b"Status: 5.1.1")
    r = run("bounces", "process", "-", tmp_path / "missing.eml", input=data)
    assert r.exit_code == 1 and "Error: cannot read" in r.stderr and "missing.eml" in r.stderr
    assert "a test copy" in r.stdout and statuses(run)["gone@example.org"] == "active"
