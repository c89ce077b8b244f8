"""The schema's migrations: numbered in order without gaps, and a database made before they were
renumbered keeps working without `digest init`."""

from __future__ import annotations

import sqlite3

from digest.db import Database, migrations, schema_version


def test_migrations_are_numbered_in_order_without_gaps_or_repeats():
    numbers = [int(name[1:4]) for name in migrations.names()]
    assert numbers == list(range(1, len(numbers) + 1))
    assert schema_version() == len(numbers)


def test_a_database_with_the_old_migration_names_is_renamed_once_and_needs_no_init(run, tmp_path):
    assert run("init").exit_code == 0
    assert run("subscribers", "add", "ada@example.org", "--topic", "World").exit_code == 0
    with sqlite3.connect(tmp_path / "digest.db") as conn:      # what a digest before the renumbering wrote
        for old, new in migrations.RENAMED.items():
            conn.execute("UPDATE _sqlite_migrations SET name = ? WHERE name = ?", (old, new))
    r = run("subscribers", "list")
    assert r.exit_code == 0 and "ada@example.org" in r.stdout, r
    with sqlite3.connect(tmp_path / "digest.db") as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")]
    assert names == migrations.names()
    db = Database.open(tmp_path / "digest.db", create=False)
    assert not db.needs_migration() and db.init() == []
    db.close()
