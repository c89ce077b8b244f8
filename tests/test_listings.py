"""Listings that page (issue 22, item 3): `articles list`, `subscribers list`, `deliveries list` and
`bounces list` show the newest 50, `--limit N` more or fewer, `--all` every row, `--since` those
from a date on, and a last line on stderr saying how many were left out; `--json` keeps its shape.

Through the CLI, against a real SQLite file; deliveries come from real sends to the aiosmtpd sink,
bounces through `digest bounces process`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import time_machine

from tables import read_table

BOUNCES = Path(__file__).parent / "bounces"


@pytest.fixture
def db(run):
    assert run("init").exit_code == 0
    return run


def ingest(run, tmp_path, n: int, *, at: str, start: int = 0) -> None:
    f = tmp_path / f"batch{start}.jsonl"
    f.write_text("".join(json.dumps({"title": f"Story number {i}", "labels": ["World"], "url": f"https://ex.org/{i}",
                                     "body": f"Story number {i} happened on a weekday, the wire said. "
                                             f"Officials in town {i} confirmed it later."}) + "\n"
                         for i in range(start, start + n)))
    with time_machine.travel(at, tick=True):
        r = run("articles", "ingest", f)
    assert r.exit_code == 0, r


def ids(r) -> list[int]:
    return [int(ln.split()[0]) for ln in r.stdout.splitlines()[2:]]


@pytest.fixture
def sixty(db, tmp_path):
    ingest(db, tmp_path, 40, at="2026-03-01 08:00 +0000")
    ingest(db, tmp_path, 20, at="2026-03-05 08:00 +0000", start=40)
    return db


def test_articles_list_shows_the_newest_fifty_and_says_how_many_more(sixty):
    r = sixty("articles", "list")
    assert r.exit_code == 0, r
    assert ids(r) == list(range(60, 10, -1))             # newest first
    assert r.stderr.strip() == "… 10 more articles; --all to list them, --limit N for more"
    assert "more" not in r.stdout


def test_articles_list_limit_and_all(sixty):
    r = sixty("articles", "list", "--limit", "5")
    assert ids(r) == [60, 59, 58, 57, 56]
    assert "… 55 more articles" in r.stderr
    r = sixty("articles", "list", "--all")
    assert sorted(ids(r)) == list(range(1, 61)) and r.stderr == ""
    assert sixty("articles", "list", "--limit", "60").stderr == ""
    bad = sixty("articles", "list", "--all", "--limit", "5")
    assert bad.exit_code == 2 and "--all and --limit exclude each other" in bad.stderr


def test_articles_list_since_a_date_or_a_time(sixty):
    r = sixty("articles", "list", "--since", "2026-03-02")
    assert ids(r) == list(range(60, 40, -1)) and r.stderr == ""
    assert len(ids(sixty("articles", "list", "--since", "2026-03-01T07:00:00Z", "--all"))) == 60
    assert ids(sixty("articles", "list", "--since", "2026-03-05T09:00:00+02:00", "--limit", "3")) == [60, 59, 58]
    assert ids(sixty("articles", "list", "--since", "2026-03-06")) == []
    bad = sixty("articles", "list", "--since", "last week")
    assert bad.exit_code == 2 and "'last week' is not an ISO date or time" in bad.stderr


def test_articles_list_json_keeps_its_shape_and_streams_every_row_with_all(sixty):
    every = json.loads(sixty("articles", "list", "--json", "--all").stdout)
    assert [a["id"] for a in every] == list(range(60, 0, -1))
    assert set(every[0]) == {"id", "title", "headline", "summary", "topics", "labels", "url", "source",
                             "published", "ingested_at", "cluster", "overridden", "lead", "priority"}
    assert every[-1]["title"] == "Story number 0" and every[-1]["topics"] == ["World"]
    r = sixty("articles", "list", "--json")
    assert len(json.loads(r.stdout)) == 50 and "… 10 more articles" in r.stderr
    # Written row by row, it is the very text json.dumps(indent=2) gives the whole list.
    assert r.stdout == json.dumps(json.loads(r.stdout), indent=2, ensure_ascii=False) + "\n"
    none = sixty("articles", "list", "--json", "--since", "2027-01-01")
    assert none.stdout == "[]\n" and none.stderr == ""


def test_articles_list_filters_combine_with_the_page(sixty, tmp_path):
    ingest(sixty, tmp_path, 3, at="2026-03-06 08:00 +0000", start=100)
    unfiled = tmp_path / "unfiled.jsonl"
    unfiled.write_text(json.dumps({"title": "Nobody's story", "body": "A story filed under no topic at all."}) + "\n")
    with time_machine.travel("2026-03-07 08:00 +0000", tick=True):
        sixty("articles", "ingest", unfiled)
    r = sixty("articles", "list", "--no-topic")
    assert ids(r) == [64] and r.stderr == ""
    r = sixty("articles", "list", "--topic", "World", "--limit", "2")
    assert ids(r) == [63, 62] and "… 61 more articles" in r.stderr


# ---- subscribers list -------------------------------------------------------------------------------

@pytest.fixture
def readers(db, tmp_path):
    def add(n: int, at: str, start: int, status: str = "active") -> None:
        f = tmp_path / f"list{start}.csv"
        f.write_text("email,name,topics\n" + "".join(f"reader{i}@example.org,Reader {i},World\n"
                                                     for i in range(start, start + n)))
        with time_machine.travel(at, tick=True):
            assert db("subscribers", "import", f).exit_code == 0
    add(40, "2026-03-01 08:00 +0000", 0)
    add(20, "2026-03-05 08:00 +0000", 40)
    return db


def emails(r) -> list[str]:
    return [ln.split()[0] for ln in r.stdout.splitlines()[2:]]


def test_subscribers_list_shows_the_newest_fifty_and_says_how_many_more(readers):
    r = readers("subscribers", "list")
    assert r.exit_code == 0, r
    assert len(emails(r)) == 50 and emails(r)[0] == "reader59@example.org"
    assert "reader9@example.org" not in emails(r)        # among the 10 oldest
    assert r.stderr.strip() == "… 10 more subscribers; --all to list them, --limit N for more"
    r = readers("subscribers", "list", "--limit", "5")
    assert len(emails(r)) == 5 and "… 55 more subscribers" in r.stderr
    r = readers("subscribers", "list", "--all")
    assert len(set(emails(r))) == 60 and r.stderr == ""


def test_subscribers_list_since_and_status(readers):
    r = readers("subscribers", "list", "--since", "2026-03-02")
    assert sorted(emails(r)) == sorted(f"reader{i}@example.org" for i in range(40, 60)) and r.stderr == ""
    assert readers("subscribers", "unsubscribe", "reader3@example.org").exit_code == 0
    r = readers("subscribers", "list", "--status", "unsubscribed")
    assert emails(r) == ["reader3@example.org"] and r.stderr == ""
    assert "… 9 more" in readers("subscribers", "list", "--status", "active").stderr


def test_subscribers_list_json_keeps_its_shape_and_gives_every_row_with_all(readers):
    every = json.loads(readers("subscribers", "list", "--json", "--all").stdout)
    assert len(every) == 60 and every[0]["email"] == "reader59@example.org"
    assert every[-1] == {"email": "reader0@example.org", "name": "Reader 0", "status": "active", "topics": ["World"],
                         "frequency": "daily", "timezone": None, "send_at": None, "language": None}
    r = readers("subscribers", "list", "--json", "--since", "2026-03-05T07:00:00Z", "--limit", "15")
    assert len(json.loads(r.stdout)) == 15 and "… 5 more subscribers" in r.stderr


# ---- deliveries list ----------------------------------------------------------------------------------

@pytest.fixture
def ledger(db, tmp_path, smtp_env):
    """Two real sends to the aiosmtpd sink: 40 readers on 1 March, then those 40 and 20 more on 5 March."""
    for day, start, n in (("2026-03-01", 0, 40), ("2026-03-05", 40, 20)):
        f = tmp_path / f"list{start}.csv"
        f.write_text("email,name,topics\n" + "".join(f"reader{i}@example.org,Reader {i},World\n"
                                                     for i in range(start, start + n)))
        with time_machine.travel(f"{day} 08:00 +0000", tick=True):
            assert db("subscribers", "import", f).exit_code == 0
        ingest(db, tmp_path, 1, at=f"{day} 08:30 +0000", start=start)
        with time_machine.travel(f"{day} 09:00 +0000", tick=True):
            r = db("send", "--yes")
        assert r.exit_code == 0, r
    assert len(smtp_env.messages) == 100
    return db


def tsv(r) -> list[list[str]]:
    """The table's rows as lists of cells (it was tab-separated before issue 25; aligned since)."""
    rows = read_table(r.stdout)
    assert r.stdout.split()[:3] == ["edition", "email", "status"]
    return [list(row.values()) for row in rows]


def test_deliveries_list_shows_the_newest_fifty_and_says_how_many_more(ledger):
    r = ledger("deliveries", "list")
    assert r.exit_code == 0, r
    rows = tsv(r)
    assert len(rows) == 50 and {row[0] for row in rows} == {"daily-2026-03-05"}      # the newest edition first
    assert {row[2] for row in rows} == {"sent"}
    assert r.stderr.strip() == "… 50 more deliveries; --all to list them, --limit N for more"
    r = ledger("deliveries", "list", "--limit", "5")
    assert len(tsv(r)) == 5 and "… 95 more deliveries" in r.stderr
    r = ledger("deliveries", "list", "--all")
    rows = tsv(r)
    assert len(rows) == 100 and r.stderr == ""
    assert [row[0] for row in rows] == ["daily-2026-03-05"] * 60 + ["daily-2026-03-01"] * 40
    bad = ledger("deliveries", "list", "--all", "--limit", "5")
    assert bad.exit_code == 2 and "--all and --limit exclude each other" in bad.stderr


def test_deliveries_list_since_edition_and_status_combine_with_the_page(ledger):
    r = ledger("deliveries", "list", "--since", "2026-03-02")
    assert len(tsv(r)) == 50 and "… 10 more deliveries" in r.stderr
    r = ledger("deliveries", "list", "--since", "2026-03-05T08:00:00Z", "--all")
    assert len(tsv(r)) == 60 and r.stderr == ""
    r = ledger("deliveries", "list", "--edition", "daily-2026-03-01")
    rows = tsv(r)
    assert len(rows) == 40 and {row[1] for row in rows} == {f"reader{i}@example.org" for i in range(40)}
    assert r.stderr == ""
    r = ledger("deliveries", "list", "--status", "bounced")
    assert tsv(r) == [] and r.stderr == ""
    assert ledger("deliveries", "list", "--since", "2026-03-06").stdout.splitlines()[2:] == []


def test_deliveries_list_json_streams_the_same_rows_as_the_table(ledger):
    r = ledger("deliveries", "list", "--json")
    page = json.loads(r.stdout)
    assert "… 50 more deliveries" in r.stderr
    assert r.stdout == json.dumps(page, indent=2, ensure_ascii=False) + "\n"
    table = tsv(ledger("deliveries", "list"))
    assert [[d["edition"], d["email"], d["status"], str(d["attempts"])] for d in page] == [row[:4] for row in table]
    every = json.loads(ledger("deliveries", "list", "--json", "--all").stdout)
    assert len(every) == 100 and every[:50] == page
    assert [d["id"] for d in every] == sorted((d["id"] for d in every), reverse=True)      # newest first
    assert {"id", "edition", "email", "status", "relay", "sent_at", "message_id"} <= set(every[0])
    assert ledger("deliveries", "list", "--json", "--edition", "daily-2026-03-01", "--limit", "3").stderr.strip() \
        == "… 37 more deliveries; --all to list them, --limit N for more"


# ---- bounces list -------------------------------------------------------------------------------------

@pytest.fixture
def returned(db, tmp_path):
    """60 addresses bounced, through `digest bounces process`: 40 on 1 March, 20 on 5 March (a report
    names two addresses; none matches a delivery, so each is kept for the admin)."""
    report = (BOUNCES / "postfix-no-verp.txt").read_text()
    for day, files in (("2026-03-01", range(0, 20)), ("2026-03-05", range(20, 30))):
        paths = []
        for i in files:
            paths.append(tmp_path / f"dsn{i}.eml")
            paths[-1].write_text(report.replace("retired@", f"retired{i}@").replace("moved@", f"moved{i}@")
                                 .replace("<4XjZ0c2Defz1xnU@", f"<4XjZ0c2Defz1xnU.{i}@"))
        with time_machine.travel(f"{day} 09:00 +0000", tick=True):
            r = db("bounces", "process", *paths)
        assert r.exit_code == 0, r
    return db


def bounce_rows(r) -> list[list[str]]:
    lines = r.stdout.splitlines()
    assert lines[0].split()[:3] == ["id", "received", "kind"]
    return [ln.split() for ln in lines[2:]]


def test_bounces_list_shows_the_newest_fifty_and_says_how_many_more(returned):
    r = returned("bounces", "list")
    assert r.exit_code == 0, r
    rows = bounce_rows(r)
    assert [int(row[0]) for row in rows] == list(range(60, 10, -1))
    assert rows[0][1] == "2026-03-05" and rows[-1][1] == "2026-03-01"
    assert r.stderr.strip() == "… 10 more bounces; --all to list them, --limit N for more"
    r = returned("bounces", "list", "--limit", "5")
    assert len(bounce_rows(r)) == 5 and "… 55 more bounces" in r.stderr
    r = returned("bounces", "list", "--all")
    assert len(bounce_rows(r)) == 60 and r.stderr == ""


def test_bounces_list_since_and_unattributed(returned):
    r = returned("bounces", "list", "--since", "2026-03-02")
    assert [int(row[0]) for row in bounce_rows(r)] == list(range(60, 40, -1)) and r.stderr == ""
    r = returned("bounces", "list", "--unattributed", "--since", "2026-03-05T08:00:00Z", "--limit", "4")
    assert len(bounce_rows(r)) == 4
    assert r.stderr.splitlines() == ["Read one with `digest bounces show ID`.",
                                     "… 16 more bounces; --all to list them, --limit N for more"]
    assert returned("bounces", "list", "--since", "2026-03-06").stderr == ""


def test_bounces_list_json_streams_the_same_rows_as_the_table(returned):
    r = returned("bounces", "list", "--json")
    page = json.loads(r.stdout)
    assert r.stdout == json.dumps(page, indent=2, ensure_ascii=False) + "\n" and "… 10 more bounces" in r.stderr
    assert [b["id"] for b in page] == [int(row[0]) for row in bounce_rows(returned("bounces", "list"))]
    every = json.loads(returned("bounces", "list", "--json", "--all").stdout)
    assert len(every) == 60 and every[:50] == page
    assert {b["address"] for b in every} == {f"{who}{i}@example.org" for who in ("retired", "moved") for i in range(30)}
    assert every[0]["action"].startswith("kept") and every[0]["kind"] in ("hard", "soft")
