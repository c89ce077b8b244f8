"""The whole way through on both databases: `digest init`, a list imported, the seeds ingested, one
edition sent over SMTP, and a second `send` that sends nothing. The same subscribers get one message
each, whichever database holds the store.
"""

from __future__ import annotations

import pytest

from conftest import SEEDS, SUBSCRIBERS, parse
from private_postgres import NEEDS_POSTGRES, postgres_server, postgres_url  # noqa: F401  (fixtures)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=NEEDS_POSTGRES)])
def database(request, monkeypatch, tmp_path):
    if request.param == "postgres":
        monkeypatch.setenv("DIGEST_DB", request.getfixturevalue("postgres_url"))
    return request.param


def test_one_edition_sent_once_on_either_database(run, database, smtp_env):
    for args in (("init",), ("subscribers", "import", SUBSCRIBERS / "newsroom.csv"), ("articles", "ingest", SEEDS)):
        r = run(*args)
        assert r.exit_code == 0, r
    first = run("send", "--yes")
    assert first.exit_code == 0, first
    assert "sent 10, skipped 0 (already sent), deferred 0, bounced 0, failed 0, uncertain 0" in first.stdout + first.stderr
    rcpts = sorted(r[0] for r, _ in smtp_env.messages)
    assert len(rcpts) == len(set(rcpts)) == 10
    assert all(parse(data)["Subject"] and parse(data)["List-Unsubscribe"] for _, data in smtp_env.messages)

    again = run("send", "--yes")
    assert again.exit_code == 0 and "sent 0, skipped 10 (already sent)" in again.stdout + again.stderr
    assert len(smtp_env.messages) == 10
    listed = run("deliveries", "list", "--status", "sent")
    assert listed.exit_code == 0 and sum(a in listed.stdout for a in rcpts) == 10
