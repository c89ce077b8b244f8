"""A PostgreSQL that cannot be used is one `Error:` line and a non-zero exit, never a traceback: nothing
listening on the port, a database or a role that does not exist, a wrong password, and a fault met mid-command (a table
gone from a migrated database). The line names the server and the database (host:port/db) and never
the password in DIGEST_DB. Run through the real CLI.
"""

from __future__ import annotations

import psycopg
import pytest

from digest.servers.demo_smtp import free_port
from private_postgres import NEEDS_POSTGRES, postgres_server, postgres_url  # noqa: F401  (fixtures)

COMMANDS = [("articles", "list"), ("send", "--dry-run"), ("subscribers", "add", "ana@example.com", "--topic", "Europe")]


def one_error_line(r) -> str:
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.exit_code != 0, r
    assert len(lines) == 1 and lines[0].startswith("Error: "), r
    assert "Traceback" not in r.stderr and r.stdout == "", r
    return lines[0]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_nothing_listening_is_one_error_line_naming_the_server(run, monkeypatch, args):
    port = free_port()
    monkeypatch.setenv("DIGEST_DB", f"postgresql://digest:s3cret@127.0.0.1:{port}/digest")
    line = one_error_line(run(*args))
    assert line.startswith(f"Error: Cannot reach PostgreSQL at 127.0.0.1:{port}/digest: connection refused."), line
    assert "s3cret" not in line


@NEEDS_POSTGRES
@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_missing_database_is_one_error_line_saying_how_to_create_it(run, monkeypatch, postgres_server, args):
    monkeypatch.setenv("DIGEST_DB", postgres_server.url("no_such_db"))
    line = one_error_line(run(*args))
    assert line.startswith(f'Error: PostgreSQL at 127.0.0.1:{postgres_server.port}/no_such_db: database '
                           '"no_such_db" does not exist.'), line
    assert "CREATE DATABASE no_such_db TEMPLATE template0" in line


@NEEDS_POSTGRES
def test_a_missing_role_is_one_error_line(run, monkeypatch, postgres_server):
    monkeypatch.setenv("DIGEST_DB", f"postgresql://nobody:pw@127.0.0.1:{postgres_server.port}/postgres")
    line = one_error_line(run("articles", "list"))
    assert f'PostgreSQL at 127.0.0.1:{postgres_server.port}/postgres: role "nobody" does not exist.' in line


@NEEDS_POSTGRES
def test_a_fault_met_mid_command_is_one_error_line(run, monkeypatch, postgres_url):
    monkeypatch.setenv("DIGEST_DB", postgres_url)
    assert run("init").exit_code == 0
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP TABLE article_topics")       # a damaged store: its migrations say all is there
    line = one_error_line(run("articles", "list"))
    assert '/digest_test: relation "article_topics" does not exist.' in line, line


@NEEDS_POSTGRES
def test_a_wrong_password_is_one_error_line_without_the_password(run, monkeypatch, postgres_server):
    # The private server trusts every login; this one role must give a password (scram), as a real server's would.
    hba = postgres_server.data / "pg_hba.conf"
    rule = "host all pwuser 127.0.0.1/32 scram-sha-256\n"
    if rule not in hba.read_text():
        hba.write_text(rule + hba.read_text())
    with psycopg.connect(postgres_server.url("postgres"), autocommit=True) as conn:
        conn.execute("SELECT pg_reload_conf()")
        conn.execute("DROP ROLE IF EXISTS pwuser")
        conn.execute("CREATE ROLE pwuser LOGIN PASSWORD 'right-one'")
    monkeypatch.setenv("DIGEST_DB", f"postgresql://pwuser:wrong-one@127.0.0.1:{postgres_server.port}/postgres")
    line = one_error_line(run("articles", "list"))
    assert line.startswith(f"Error: PostgreSQL at 127.0.0.1:{postgres_server.port}/postgres refused the login: "
                           'password authentication failed for user "pwuser".'), line
    assert "wrong-one" not in line and "right-one" not in line
