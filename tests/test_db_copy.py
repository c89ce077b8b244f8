"""`digest db copy SQLITE_PATH postgresql://...`: a real SQLite store (the seeds, the newsroom's list, a topic
with aliases, one edition sent over SMTP and a bounce of it) copied into an empty private PostgreSQL. Every
table holds the same rows there; digest's listings read the same on the copy; the copied ledger keeps a
`send` on the copy from sending anyone a second copy; new rows get ids of their own (the sequences were
moved past the copied ids). A database that already holds rows is refused and left as it was.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from conftest import parse
from private_postgres import NEEDS_POSTGRES, postgres_server, postgres_url  # noqa: F401  (fixtures)

BOUNCE = Path(__file__).parent / "bounces" / "exim-legacy-no-verp.txt"
LISTINGS = [("articles", "list"), ("subscribers", "list", "--json"), ("topics", "list"),
            ("deliveries", "list", "--status", "sent"), ("bounces", "list"), ("deliveries", "list", "--json"),
            ("subscribers", "export")]


def sqlite_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                                        "'sqlite_%' AND name != '_sqlite_migrations'")]
    counts = {n: conn.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in names}
    conn.close()
    return counts


def pg_counts(url: str, tables) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def listings(run) -> dict[tuple, str]:
    out = {}
    for args in LISTINGS:
        r = run(*args)
        assert r.exit_code == 0, (args, r)
        out[args] = r.stdout
    return out


@pytest.fixture
def store(run, seeded, smtp_env, tmp_path):
    """The SQLite store: seeds, subscribers, a topic with aliases, an edition sent, one address bounced."""
    assert run("topics", "add", "Science", "--alias", "Tech", "--alias", "Space").exit_code == 0
    sent = run("send", "--yes")
    assert sent.exit_code == 0 and "sent 10," in sent.stderr, sent
    (rcpt,), data = smtp_env.messages[0]
    report = BOUNCE.read_text().replace("old@example.net", rcpt).replace(
        "<2026-11-24.512.6c0b9d1e8a7f3342@news.example.com>", parse(data)["Message-ID"])
    (tmp_path / "bounce.eml").write_text(report)
    assert run("bounces", "process", tmp_path / "bounce.eml").exit_code == 0
    return tmp_path / "digest.db"


@NEEDS_POSTGRES
def test_a_whole_store_is_copied_and_digest_runs_on_the_copy(run, store, smtp_env, postgres_url, monkeypatch):
    before = sqlite_counts(store)
    assert before["deliveries"] == 10 and before["bounces"] == 1 and before["topic_aliases"] >= 2
    on_sqlite = listings(run)

    r = run("db", "copy", store, postgres_url)
    assert r.exit_code == 0, r
    printed = {line.split()[0]: int(line.split()[1]) for line in r.stdout.splitlines()[2:] if line.strip()}
    assert printed == before                               # every table, with what it holds
    assert pg_counts(postgres_url, before) == before
    assert f"Copied {sum(before.values()):,} rows in {len(before)} tables" in r.stderr and "counts match" in r.stderr

    monkeypatch.setenv("DIGEST_DB", postgres_url)
    assert listings(run) == on_sqlite                      # the same store, read from PostgreSQL

    added = run("subscribers", "add", "new.reader@example.com", "--topic", "Europe", "--topic", "Science")
    assert added.exit_code == 0, added
    assert run("topics", "add", "Culture").exit_code == 0
    ids = pg_counts(postgres_url, ["subscribers"])["subscribers"]
    assert ids == before["subscribers"] + 1
    already = len(smtp_env.messages)
    again = run("send", "--yes")                           # the copied ledger: nobody gets a second copy
    assert again.exit_code == 0, again
    assert "skipped 10 (already sent)" in again.stderr, again
    assert [rcpts[0] for rcpts, _ in smtp_env.messages[already:]] == ["new.reader@example.com"]

    second = run("db", "copy", store, postgres_url)        # into a database that is no longer empty
    assert second.exit_code != 0
    assert second.stderr.startswith("Error: The PostgreSQL database ") and "is not empty" in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1 and second.stdout == ""
    assert pg_counts(postgres_url, ["subscribers", "deliveries"]) == {"subscribers": before["subscribers"] + 1,
                                                                      "deliveries": before["deliveries"] + 1}


@NEEDS_POSTGRES
def test_a_database_in_use_is_refused_and_left_as_it_was(run, store, postgres_url, monkeypatch):
    monkeypatch.setenv("DIGEST_DB", postgres_url)
    assert run("init").exit_code == 0
    assert run("subscribers", "add", "only@example.com", "--topic", "World").exit_code == 0
    r = run("db", "copy", store, postgres_url)
    assert r.exit_code != 0 and "Error: " in r.stderr and "subscribers (1)" in r.stderr, r
    assert "CREATE DATABASE" in r.stderr                    # and how to make one that is empty
    assert pg_counts(postgres_url, ["subscribers", "articles", "topics"]) == {"subscribers": 1, "articles": 0,
                                                                             "topics": 3}


def test_the_arguments_are_checked_before_anything_is_opened(run, tmp_path):
    missing = run("db", "copy", tmp_path / "nope.db", "postgresql://digest@127.0.0.1:1/digest")
    assert missing.exit_code != 0 and "nope.db does not exist" in missing.stderr, missing
    backwards = run("db", "copy", "postgresql://digest@127.0.0.1:1/digest", tmp_path / "digest.db")
    assert backwards.exit_code != 0 and "is not a SQLite file" in backwards.stderr, backwards
