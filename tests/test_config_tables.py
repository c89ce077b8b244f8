"""Every setting is read and checked in digest.config, once, in one order: defaults < digest.toml <
DIGEST_* environment. Tables too ([send], [digest], [ingest], [web], [summary], [cluster]): a
mistake in any of them is one `Error:` line naming the file and the key, whatever the command."""

from __future__ import annotations

import datetime as dt

from digest import config


def test_every_table_is_read_when_the_configuration_is_loaded(tmp_path, monkeypatch):
    (tmp_path / "digest.toml").write_text(
        'connections = 2\n[send]\nretry_attempts = 5\nlease_seconds = 90\n'
        '[digest]\nsend_at = "06:30"\nweekly_on = "friday"\ncheck_every_seconds = 30\n'
        '[ingest]\nevery_minutes = 5\nfolders = [{path = "wires", source = "Compass Wire"}]\n'
        '[web]\nallow_subscribe = true\n[summary]\nmax_words = 40\n[cluster]\nwindow_hours = 24\n')
    monkeypatch.setenv("DIGEST_RETRY_ATTEMPTS", "7")           # the environment beats the file
    monkeypatch.setenv("DIGEST_CONNECTIONS", "3")
    cfg = config.load()
    assert (cfg.send.connections, cfg.send.retry_attempts, cfg.send.lease_seconds) == (3, 7, 90.0)
    assert (cfg.schedule.send_at, cfg.schedule.weekly_on, cfg.schedule.check_every) == (dt.time(6, 30), 4, 30.0)
    wires = (tmp_path / "wires").resolve()
    assert (cfg.ingest.every, cfg.ingest.folders, cfg.ingest.folder_sources) == (300.0, [wires], {wires: "Compass Wire"})
    assert cfg.web.allow_subscribe is True
    assert (cfg.summary.max_words, cfg.summary.cluster_window_hours) == (40, 24.0)


def test_a_bad_table_fails_every_command_with_one_line_naming_file_and_key(run, tmp_path):
    assert run("init").exit_code == 0
    for toml, words in (('[send]\nretry_attempts = "often"\n', ["[send] retry_attempts", "often"]),
                        ('[send]\nretries = 3\n', ["[send] retries", "unknown setting"]),
                        ("[web]\nallow_subscribe = \"yes\"\n", ["[web] allow_subscribe", "true or false"]),
                        ("[web]\nsign_up = true\n", ["sign_up", "[web]", "Known settings"]),
                        ("[schedule]\nsend_at = \"07:00\"\n", ["unknown table [schedule]", "Known tables"])):
        (tmp_path / "digest.toml").write_text(toml)
        for args in (("topics", "list"), ("send", "--dry-run")):
            r = run(*args)
            lines = r.stderr.strip().splitlines()
            assert r.exit_code == 1 and len(lines) == 1 and lines[0].startswith("Error: "), (toml, r)
            assert "digest.toml" in lines[0] and all(w in lines[0] for w in words), (toml, lines[0])


def test_the_schedules_timezone_follows_the_newsrooms_unless_it_has_its_own(tmp_path, monkeypatch):
    (tmp_path / "digest.toml").write_text('timezone = "Europe/Berlin"\n')
    assert config.load().schedule.timezone == "Europe/Berlin"
    monkeypatch.setenv("DIGEST_TIMEZONE", "Asia/Tokyo")
    assert config.load().schedule.timezone == "Asia/Tokyo"
    (tmp_path / "digest.toml").write_text('[digest]\ntimezone = "America/Chicago"\n')
    assert config.load().schedule.timezone == "America/Chicago"
