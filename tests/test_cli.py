"""The CLI as a whole: every command documents itself, and --help needs no database."""

from __future__ import annotations

import click

from digest.cli import cli


def walk(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from walk(cmd, prefix + (name,))


def test_every_command_has_help_with_an_example(run):
    for path, cmd in walk(cli):
        r = run(*path, "--help")
        assert r.exit_code == 0, path
        assert "Example:" in (cmd.help or ""), f"`digest {' '.join(path)}` has no Example in its help"


def test_help_works_without_a_database(run, tmp_path):
    assert run("--help").exit_code == 0
    assert run("send", "--help").exit_code == 0
    assert not (tmp_path / "digest.db").exists()


def test_config_file_and_environment_order(run, tmp_path, monkeypatch):
    from digest import config
    (tmp_path / "digest.toml").write_text('newsletter = "Morning Brief"\nbase_url = "https://a.example.com/"\n')
    monkeypatch.setenv("DIGEST_BASE_URL", "https://b.example.com")
    cfg = config.load()
    assert cfg.newsletter == "Morning Brief"          # file beats default
    assert cfg.base_url == "https://b.example.com"    # environment beats file


def test_secrets_are_refused_in_the_config_file(run, tmp_path):
    (tmp_path / "digest.toml").write_text('secret = "hunter2"\n')
    r = run("init")
    assert r.exit_code == 1 and "secret" in r.stderr and "environment" in r.stderr
    (tmp_path / "digest.toml").write_text('smtp_url = "smtp://u:pw@mail.example.com:587"\n')
    r = run("init")
    assert r.exit_code == 1 and "password" in r.stderr and "hunter2" not in r.stderr


def test_smtp_url_forms():
    from digest.config import parse_smtp_url
    s = parse_smtp_url("smtp://user%40x:p%3Ass@mail.example.com:587?starttls=true")
    assert (s.host, s.port, s.user, s.password, s.starttls, s.ssl) == ("mail.example.com", 587, "user@x", "p:ss", True, False)
    s = parse_smtp_url("smtps://mail.example.com")
    assert (s.port, s.ssl) == (465, True)
