"""Listings that page (issue 22, item 3): `articles list` and `subscribers list` show the newest 50,
`--limit N` more or fewer, `--all` every row, `--since` those from a date on, and a last line on
stderr saying how many were left out; `--json` keeps its shape.

Through the CLI, against a real SQLite file.
"""

from __future__ import annotations

import json

import pytest
import time_machine


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
                             "published", "ingested_at", "cluster", "overridden"}
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
                         "frequency": "daily", "timezone": None, "send_at": None}
    r = readers("subscribers", "list", "--json", "--since", "2026-03-05T07:00:00Z", "--limit", "15")
    assert len(json.loads(r.stdout)) == 15 and "… 5 more subscribers" in r.stderr
