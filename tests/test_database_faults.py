"""Faults of the database file and the configuration's paths: each ends in one `Error:` line
naming the file and what to do, never a traceback, and nothing half-written.

The read-only and full-disk cases run a real `digest` process in a private mount namespace
(`unshare -m`): a read-only bind mount, a 1 MB tmpfs. Where the machine cannot make one, they
are skipped with the reason.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SEEDS

CSV_HEADER = "email,name,topics,frequency,timezone\n"


def error_lines(r) -> list[str]:
    return [ln for ln in r.stderr.splitlines() if ln.strip()]


def assert_one_error(r, *fragments):
    assert r.exit_code != 0, r
    lines = error_lines(r)
    assert len(lines) == 1 and lines[0].startswith("Error: "), r
    assert "Traceback" not in r.stderr
    for f in fragments:
        assert f in lines[0], r


# ---- DIGEST_DB mistakes ------------------------------------------------------------------------

def test_a_database_in_a_missing_folder_is_one_error(run, tmp_path, monkeypatch):
    monkeypatch.setenv("DIGEST_DB", str(tmp_path / "no" / "such" / "digest.db"))
    assert_one_error(run("init"), "the folder", str(tmp_path / "no" / "such"), "does not exist")
    assert_one_error(run("topics", "list"), "does not exist")
    assert not (tmp_path / "no").exists()


def test_a_database_that_is_a_folder_is_one_error(run, tmp_path, monkeypatch):
    monkeypatch.setenv("DIGEST_DB", str(tmp_path))
    assert_one_error(run("init"), "is a folder, not a database file")
    assert_one_error(run("subscribers", "list"), "is a folder")


def test_a_file_that_is_not_sqlite_is_one_error_and_left_alone(run, tmp_path, monkeypatch):
    notes = tmp_path / "notes.txt"
    notes.write_text("my shopping list\n" * 200)
    monkeypatch.setenv("DIGEST_DB", str(notes))
    assert_one_error(run("init"), str(notes), "not a digest database")
    assert_one_error(run("articles", "list"), "not a digest database")
    assert notes.read_text() == "my shopping list\n" * 200


def test_another_programs_sqlite_file_is_left_alone(run, tmp_path, monkeypatch):
    other = tmp_path / "photos.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE albums (id INTEGER PRIMARY KEY, title TEXT)")
    monkeypatch.setenv("DIGEST_DB", str(other))
    assert_one_error(run("init"), "a SQLite file of another program (tables: albums)")
    with sqlite3.connect(other) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["albums"]


def test_a_damaged_database_is_one_error(run, tmp_path):
    assert run("init").exit_code == 0
    assert run("articles", "ingest", SEEDS).exit_code == 0
    db = tmp_path / "digest.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    page = 4096
    for at in range(2 * page, len(data), 97):       # page 1 (the header) stays; the tables do not
        data[at] = 0xA5
    db.write_bytes(bytes(data))
    r = run("articles", "list")
    assert_one_error(r, "damaged", "restore a backup")


def test_a_database_from_a_newer_digest_is_refused_with_its_version(run, tmp_path):
    assert run("init").exit_code == 0
    run("subscribers", "add", "ada@example.org", "--topic", "World")
    with sqlite3.connect(tmp_path / "digest.db") as conn:
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
                     " VALUES ('digest', 'm099_from_the_future', '2030-01-01')")
        conn.execute("PRAGMA user_version = 99")
    for args in (("init",), ("subscribers", "list"), ("subscribers", "add", "bo@example.org", "--topic", "World")):
        assert_one_error(run(*args), "schema version 99", "m099_from_the_future", "newer than this digest")
    with sqlite3.connect(tmp_path / "digest.db") as conn:
        assert conn.execute("SELECT email FROM subscribers").fetchall() == [("ada@example.org",)]


def test_init_records_the_schema_version(run, tmp_path):
    from digest.db import schema_version
    assert run("init").exit_code == 0
    with sqlite3.connect(tmp_path / "digest.db") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema_version() > 0


# ---- configuration paths -----------------------------------------------------------------------

def test_a_templates_folder_that_does_not_exist_is_an_error(run, monkeypatch):
    assert run("init").exit_code == 0
    monkeypatch.setenv("DIGEST_TEMPLATES", "/nonexistent")
    assert_one_error(run("preview", "--topic", "World", "--format", "text"),
                     "DIGEST_TEMPLATES", "/nonexistent", "does not exist")


def test_every_path_in_digest_toml_is_relative_to_the_file(run, tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "look").mkdir(parents=True)
    (site / "look" / "_header.html").write_text("<p>OUR OWN HEADER</p>\n")
    (site / "digest.toml").write_text('db = "data/news.db"\ntemplates_dir = "look"\n')
    (site / "data").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("DIGEST_DB")
    monkeypatch.setenv("DIGEST_CONFIG", str(site / "digest.toml"))
    assert run("init").exit_code == 0
    assert (site / "data" / "news.db").exists() and not list(elsewhere.iterdir())
    assert run("articles", "ingest", SEEDS).exit_code == 0
    r = run("preview", "--topic", "Europe", "--format", "html")
    assert r.exit_code == 0 and "OUR OWN HEADER" in r.stdout
    (site / "digest.toml").write_text('templates_dir = "missing"\n')
    assert_one_error(run("topics", "list"), f"{site / 'digest.toml'}: templates_dir", "does not exist")


# ---- read-only and full disks: a real process in a private mount namespace -----------------------

def _namespace() -> list[str]:
    if not shutil.which("unshare") or not shutil.which("mount"):
        pytest.skip("needs unshare(1) and mount(8) to make a private read-only or full disk")
    cmd = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-r", "-m"]
    probe = subprocess.run(cmd + ["sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount in a private namespace here: {probe.stderr.decode().strip()}")
    return cmd


def digest_cmd(*args: str) -> str:
    return " ".join(shlex.quote(a) for a in (sys.executable, "-m", "digest", *args))


def in_namespace(script: str) -> subprocess.CompletedProcess:
    return subprocess.run(_namespace() + ["sh", "-c", script], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})


def test_a_database_on_a_read_only_disk_is_one_error_and_unchanged(run, tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "digest.db"
    monkeypatch.setenv("DIGEST_DB", str(db))
    assert run("init").exit_code == 0
    run("subscribers", "add", "ada@example.org", "--topic", "World")
    ro = f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && "
    p = in_namespace(ro + digest_cmd("subscribers", "add", "bo@example.org", "--topic", "World"))
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert p.returncode == 1 and len(lines) == 1 and "Traceback" not in p.stderr, p
    assert lines[0].startswith(f"Error: Database {db} is read-only") and "nothing was changed" in lines[0], p
    print(lines[0])
    assert [s for s in run("subscribers", "list").stdout.split() if "@" in s] == ["ada@example.org"]


def test_a_read_only_database_file_is_one_error_and_unchanged(run, tmp_path, monkeypatch):
    """The file itself is read-only (its folder is writable). Root may write any file whatever its
    mode, so as root the command runs as `nobody`, in a folder outside pytest's private tmp."""
    import tempfile
    root = os.geteuid() == 0
    if root and not shutil.which("setpriv"):
        pytest.skip("running as root, and setpriv(1) is missing to drop to another user")
    folder = Path(tempfile.mkdtemp(prefix="digest-ro-")) if root else tmp_path / "data"
    folder.mkdir(exist_ok=True)
    try:
        db = folder / "digest.db"
        monkeypatch.setenv("DIGEST_DB", str(db))
        assert run("init").exit_code == 0
        run("subscribers", "add", "ada@example.org", "--topic", "World")
        with sqlite3.connect(db) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        prefix = []
        if root:
            folder.chmod(0o755)
            for p in (folder, *folder.iterdir()):
                os.chown(p, 65534, 65534)
            prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
            probe = subprocess.run(prefix + [sys.executable, "-c", "import digest"], capture_output=True, cwd=folder,
                                   env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
            if probe.returncode != 0:
                pytest.skip("`nobody` cannot reach this checkout or its .venv (a parent folder is private, "
                            "e.g. made by mktemp -d): clone under a folder others may enter to run this test")
        db.chmod(0o444)
        p = subprocess.run(prefix + [sys.executable, "-m", "digest", "subscribers", "add", "bo@example.org",
                                     "--topic", "World"], capture_output=True, text=True, cwd=folder,
                           env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
        lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
        assert p.returncode == 1 and len(lines) == 1 and "Traceback" not in p.stderr, p
        assert lines[0].startswith(f"Error: Database {db} is read-only") and "nothing was changed" in lines[0], p
        db.chmod(0o644)
        assert [s for s in run("subscribers", "list").stdout.split() if "@" in s] == ["ada@example.org"]
    finally:
        if root:
            shutil.rmtree(folder, ignore_errors=True)


def test_a_full_disk_is_one_error_and_the_import_writes_nothing(run, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    big = tmp_path / "big.csv"
    big.write_text(CSV_HEADER + "".join(f"reader{i}@example.org,Reader {i},World;Europe,weekly,Europe/Oslo\n"
                                        for i in range(20_000)))
    small = tmp_path / "small.csv"
    small.write_text(CSV_HEADER + "ada@example.org,Ada,World,,\n")
    out = tmp_path / "after"
    out.mkdir()
    env = f"DIGEST_DB={disk}/digest.db"
    script = " && ".join([
        f"mount -t tmpfs -o size=1m tmpfs {disk}",
        f"{env} {digest_cmd('init')} 2>/dev/null",
        f"{env} {digest_cmd('subscribers', 'import', str(small))} 2>/dev/null",
        f"{{ {env} {digest_cmd('subscribers', 'import', str(big))}; echo $? > {out}/rc; true; }}",
        f"{env} {digest_cmd('subscribers', 'list', '--json')} > {out}/list.json",
        f"cp {disk}/digest.db* {out}/",
    ])
    p = in_namespace(script)
    assert p.returncode == 0, p
    assert (out / "rc").read_text().strip() == "1"
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"Error: Database {disk}/digest.db: the disk is full"), p
    assert "Traceback" not in p.stderr
    import json
    assert [s["email"] for s in json.loads((out / "list.json").read_text())] == ["ada@example.org"]
    with sqlite3.connect(out / "digest.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM subscribers").fetchone()[0] == 1
