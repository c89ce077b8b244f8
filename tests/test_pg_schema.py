"""The PostgreSQL schema is SQLite's: after every migration, the same tables, columns (and which may be
NULL), unique keys and named indexes; the same migrations by the same names. And what opening a
Postgres database refuses, said with its fix. The dialect's parameter translation is checked here too.
"""

from __future__ import annotations

import psycopg
import pytest

from digest.db import Database, pg_migrations
from digest.db import migrations as sqlite_migrations
from digest.db.postgres import safe_url, to_pg
from digest.errors import DigestError
from private_postgres import NEEDS_POSTGRES, postgres_server, postgres_url  # noqa: F401  (fixtures)

SQLITE_TABLES = ("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                 " AND name != '_sqlite_migrations'")
PG_COLUMNS = """SELECT table_name, column_name, is_nullable = 'NO' FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name != 'digest_migrations'"""
PG_INDEXES = """SELECT t.relname, i.relname, x.indisunique, x.indisprimary,
    array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(n, o)
          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n ORDER BY k.o)
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_namespace ns ON ns.oid = t.relnamespace WHERE ns.nspname = current_schema()
    AND t.relname != 'digest_migrations'"""


def sqlite_schema(db: Database) -> tuple[set, set, set]:
    columns, unique, named = set(), set(), set()
    for (table,) in db.conn.execute(SQLITE_TABLES).fetchall():
        info = db.conn.execute(f"PRAGMA table_info({table})").fetchall()
        # An INTEGER PRIMARY KEY is the rowid: never NULL, though SQLite does not say NOT NULL.
        columns |= {(table, c["name"], bool(c["notnull"] or c["pk"])) for c in info}
        pk = tuple(c["name"] for c in sorted(info, key=lambda c: c["pk"]) if c["pk"])
        if pk:
            unique.add((table, pk))
        for index in db.conn.execute(f"PRAGMA index_list({table})").fetchall():
            cols = tuple(r["name"] for r in db.conn.execute(f"PRAGMA index_info({index['name']})").fetchall())
            if index["unique"]:
                unique.add((table, cols))
            if index["origin"] == "c":          # made by CREATE INDEX, so it has a name of ours
                named.add((table, index["name"], cols, bool(index["unique"])))
    return columns, unique, named


def pg_schema(url: str) -> tuple[set, set, set]:
    with psycopg.connect(url) as conn:
        columns = {(t, c, bool(nn)) for t, c, nn in conn.execute(PG_COLUMNS)}
        unique, named = set(), set()
        for table, index, is_unique, primary, cols in conn.execute(PG_INDEXES):
            if is_unique:
                unique.add((table, tuple(cols)))
            if not primary and not index.endswith("_key"):          # _key: a UNIQUE constraint's own index
                named.add((table, index, tuple(cols), is_unique))
    return columns, unique, named


@NEEDS_POSTGRES
def test_the_postgres_schema_is_the_sqlite_one(tmp_path, postgres_url):
    lite = Database.open(tmp_path / "digest.db")
    lite.init()
    pg = Database.open(postgres_url)
    assert pg.needs_migration()
    assert pg.init() == sqlite_migrations.names() == pg_migrations.names()
    assert not pg.needs_migration() and pg.init() == []
    theirs, ours = sqlite_schema(lite), pg_schema(postgres_url)
    for what, a, b in zip(("columns", "unique keys", "named indexes"), theirs, ours):
        assert (what, sorted(a - b), sorted(b - a)) == (what, [], [])
    lite.close()
    pg.close()


@NEEDS_POSTGRES
def test_a_database_of_a_newer_digest_is_refused(postgres_url):
    Database.open(postgres_url).init()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("INSERT INTO digest_migrations (name, applied_at) VALUES ('m999_future', 'now')")
    with pytest.raises(DigestError, match="has migration m999_future, newer than this digest understands"):
        Database.open(postgres_url)


@NEEDS_POSTGRES
def test_another_programs_database_and_a_collation_other_than_c_are_refused(postgres_server):
    url = postgres_server.fresh("theirs")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id int)")
    with pytest.raises(DigestError, match=r"holds another program's tables \(invoices\); it was left alone"):
        Database.open(url).init()
    with psycopg.connect(postgres_server.url("postgres"), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS unicode")
        conn.execute("CREATE DATABASE unicode TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' "
                     "LC_CTYPE 'C.UTF-8'")
    with pytest.raises(DigestError) as wrong:
        Database.open(postgres_server.url("unicode")).init()
    assert "has collation C.UTF-8/C.UTF-8; digest needs C" in str(wrong.value)
    assert "LC_COLLATE 'C'" in wrong.value.hint


def test_a_server_that_is_not_there_is_said_with_its_fix():
    with pytest.raises(DigestError) as refused:
        Database.open("postgresql://digest:s3cret@127.0.0.1:1/digest")
    assert str(refused.value).startswith("Cannot reach PostgreSQL at 127.0.0.1:1/digest: connection refused.")
    assert "s3cret" not in str(refused.value) and "DIGEST_DB" in refused.value.hint


def test_parameters_are_translated_outside_literals_only():
    assert to_pg("SELECT ? WHERE a = :a AND b::text = :b_2 AND c LIKE 'x%:y?' || '%'") == (
        "SELECT %s WHERE a = %(a)s AND b::text = %(b_2)s AND c LIKE 'x%%:y?' || '%%'")
    assert to_pg("SELECT 100 % 7, 'it''s ?'") == "SELECT 100 %% 7, 'it''s ?'"
    assert safe_url("postgresql://u:p@h/d") == "postgresql://u:***@h/d" and safe_url("postgresql://u@h/d") == "postgresql://u@h/d"


# ---- selecting it ---------------------------------------------------------------------------------------

@NEEDS_POSTGRES
def test_digest_db_url_selects_postgres_from_init_on(run, monkeypatch, postgres_url, tmp_path):
    monkeypatch.setenv("DIGEST_DB", postgres_url)
    r = run("init")
    assert r.exit_code == 0, r
    assert "applied m001_initial" in r.stdout + r.stderr
    assert run("topics", "add", "Science", "--alias", "Tech").exit_code == 0
    assert run("subscribers", "add", "ann@example.com", "--topic", "tech").exit_code == 0
    listed = run("topics", "list")
    assert listed.exit_code == 0 and "Science" in listed.stdout
    assert not (tmp_path / "digest.db").exists()              # nothing went to a SQLite file
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT email FROM subscribers").fetchall() == [("ann@example.com",)]


def test_a_url_in_digest_toml_is_kept_as_written_and_may_not_hold_a_password(tmp_path, monkeypatch):
    from digest.config import load
    from digest.errors import ConfigError
    monkeypatch.delenv("DIGEST_DB")
    (tmp_path / "digest.toml").write_text('db = "postgresql://digest@db.example.com/news"\n')
    assert load(tmp_path / "digest.toml").db == "postgresql://digest@db.example.com/news"
    (tmp_path / "digest.toml").write_text('db = "postgresql://digest:pw@db.example.com/news"\n')
    with pytest.raises(ConfigError, match="db holds a password"):
        load(tmp_path / "digest.toml")
