"""Listings a reader can read (issue 25, items 5 and 7): `deliveries list` is an aligned table with
times in the newsroom's timezone, to the second, and a delivery whose hard bounce came back after
the relay accepted it is listed as bounced, saying when it was sent, while its ledger row stays
sent; `--json` keeps full ISO stamps. `articles list` shows the published and ingested dates, the
cluster and a short summary; `articles show` both dates and the outlet.

Through the CLI over a real SQLite file; the send goes to the aiosmtpd sink, the bounce through
`digest bounces process`.
"""

from __future__ import annotations

import json

import pytest
import time_machine

from tables import read_table

DSN = """Return-Path: <>
From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
To: bounces@news.example.com
Subject: Undelivered Mail Returned to Sender
Date: Thu, 05 Mar 2026 09:20:00 +0000
Message-Id: <dsn-1@mx.example.org>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain; charset=us-ascii

<{email}>: 550 5.1.1 User unknown

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; {email}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{email}>: Recipient address rejected: User unknown

--b1--
"""


@pytest.fixture
def sent(run, tmp_path, smtp_env, monkeypatch):
    """Three readers sent the edition of 5 March at 09:00 UTC (10:00 in Berlin, the newsroom's zone)."""
    monkeypatch.setenv("DIGEST_TIMEZONE", "Europe/Berlin")
    assert run("init").exit_code == 0
    f = tmp_path / "list.csv"
    f.write_text("email,name,topics\n" + "".join(f"reader{i}@example.org,Reader {i},World\n" for i in range(3)))
    story = tmp_path / "story.jsonl"
    story.write_text(json.dumps({"title": "Harbour reopens after the storm", "labels": ["World"],
                                 "url": "https://ex.org/harbour",
                                 "body": "The harbour reopened on Thursday, the port authority said. "
                                         "Ferries resumed their crossings in the afternoon."}) + "\n")
    with time_machine.travel("2026-03-05 08:00 +0000", tick=True):
        assert run("subscribers", "import", f).exit_code == 0
        assert run("articles", "ingest", story).exit_code == 0
    with time_machine.travel("2026-03-05 09:00 +0000", tick=True):
        r = run("send", "--yes")
    assert r.exit_code == 0 and len(smtp_env.messages) == 3, r
    return run


def test_deliveries_list_is_an_aligned_table_in_local_time_to_the_second(sent):
    r = sent("deliveries", "list")
    assert r.exit_code == 0, r
    assert "\t" not in r.stdout
    lines = r.stdout.splitlines()
    assert lines[0].split()[:4] == ["edition", "email", "status", "attempts"]
    assert "updated (Europe/Berlin)" in lines[0] and "last reply" in lines[0]
    column = lines[0].index("status")
    assert all(ln[column:].startswith("sent") for ln in lines[2:])          # aligned under its header
    rows = read_table(r.stdout)
    assert [row["email"] for row in rows] == [f"reader{i}@example.org" for i in (2, 1, 0)]
    for row in rows:
        assert row["updated (Europe/Berlin)"].startswith("2026-03-05 10:00:0")    # 09:00 UTC, no microseconds
        assert len(row["updated (Europe/Berlin)"]) == 19 and row["attempts"] == "1"
        assert row["last reply"].startswith("250")
    # --json keeps the full ISO stamps of the store.
    every = json.loads(sent("deliveries", "list", "--json").stdout)
    assert every[0]["sent_at"].startswith("2026-03-05T09:00:0") and every[0]["sent_at"].endswith("Z")
    assert "." in every[0]["sent_at"] and every[0]["bounced_at"] is None


def test_a_delivery_that_bounced_later_is_listed_as_bounced_and_says_it_was_sent(sent, tmp_path, smtp_env):
    dsn = tmp_path / "dsn.eml"
    dsn.write_text(DSN.format(email="reader1@example.org"))
    with time_machine.travel("2026-03-05 09:20 +0000", tick=True):
        r = sent("bounces", "process", dsn)
    assert r.exit_code == 0 and "suppressed (bounced)" in r.stdout, r
    r = sent("deliveries", "list", "--status", "bounced")
    rows = read_table(r.stdout)
    assert [row["email"] for row in rows] == ["reader1@example.org"] and r.stderr == ""
    assert rows[0]["status"].startswith("bounced (sent 10:00:0")                 # sent first, Berlin time
    assert rows[0]["updated (Europe/Berlin)"].startswith("2026-03-05 10:20:0")   # when the bounce came
    assert [row["email"] for row in read_table(sent("deliveries", "list", "--status", "sent").stdout)] \
        == ["reader2@example.org", "reader0@example.org"]
    assert {row["email"]: row["status"][:7] for row in read_table(sent("deliveries", "list").stdout)} \
        == {"reader2@example.org": "sent", "reader1@example.org": "bounced", "reader0@example.org": "sent"}
    (bounced,) = json.loads(sent("deliveries", "list", "--status", "bounced", "--json").stdout)
    assert (bounced["status"], bounced["ledger_status"]) == ("bounced", "sent")
    assert bounced["bounced_at"].startswith("2026-03-05T09:20:0") and bounced["sent_at"].startswith("2026-03-05T09:00")
    # The ledger row itself is still sent (the tally counts 3): sending again resends nothing.
    with time_machine.travel("2026-03-05 09:30 +0000", tick=True):
        again = sent("send", "--yes")
    assert again.exit_code == 0 and "already sent to 3 subscribers" in again.stderr, again
    assert len(smtp_env.messages) == 3


def test_articles_list_and_show_give_both_dates_the_cluster_the_summary_and_the_outlet(sent, tmp_path):
    r = sent("articles", "list")
    (row,) = read_table(r.stdout)
    assert list(row) == ["id", "published", "ingested", "topics", "cluster", "headline", "summary"]
    assert row["ingested"] == "2026-03-05 09:00"                # 08:00 UTC, in Berlin
    assert row["summary"] and row["headline"] and row["topics"] == "World"
    shown = sent("articles", "show", row["id"]).stdout
    assert "Outlet:" in shown and "Published:" in shown and "ingested: 2026-03-05 09:00 (Europe/Berlin)" in shown


def test_topics_remove_says_what_decides_the_yes_and_counts_in_the_singular(sent, tmp_path):
    assert sent("topics", "add", "Harbours").exit_code == 0
    story = tmp_path / "one.jsonl"
    story.write_text(json.dumps({"title": "Quay repaired", "labels": ["Harbours"], "url": "https://ex.org/quay",
                                 "body": "The quay was repaired on Friday, the council said. Boats moored again."}) + "\n")
    assert sent("articles", "ingest", story).exit_code == 0
    r = sent("topics", "remove", "Harbours")
    assert r.exit_code == 1 and "0 subscribers (0 active) who would lose it, and 1 article filed" in r.stderr
    assert "holds no subscriber and no article is removed without --yes" in r.stderr
    r = sent("topics", "remove", "Harbours", "--yes")
    assert r.exit_code == 0 and "0 subscribers lost it; 1 article is no longer filed under it." in r.stderr, r
