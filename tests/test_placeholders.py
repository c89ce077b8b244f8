"""The built-in placeholders (From digest@news.example.com, https://news.example.com, the "1 Example
Street" footer) never go out in real mail (issue 25, item 2): a send, a test send or the scheduler
through a real relay (aiosmtpd on 127.0.0.1) refuses while any of them was never set, naming each
setting with its digest.toml key and its variable, and --force does not bypass it. A value the admin
set is theirs, example.com included. `digest doctor` reports them as problems and contacts no host
of theirs (no DNS query, no HTTP).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from conftest import parse

PLACEHOLDER_VARS = ("DIGEST_FROM", "DIGEST_BASE_URL", "DIGEST_POSTAL_ADDRESS")


@pytest.fixture
def fresh(monkeypatch):
    """The three settings as a new admin has them: never set."""
    for var in PLACEHOLDER_VARS:
        monkeypatch.delenv(var, raising=False)


def error_line(r) -> str:
    assert "Traceback" not in r.stdout + r.stderr, r
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]
    assert len(lines) == 1, r
    return lines[0]


def assert_names_each(line: str) -> None:
    for key, var in (("from", "DIGEST_FROM"), ("base_url", "DIGEST_BASE_URL"),
                     ("postal_address", "DIGEST_POSTAL_ADDRESS")):
        assert f"{key} = " in line and var in line, line
    assert "placeholder" in line and "digest.toml" in line, line


def test_a_real_send_with_the_placeholders_is_refused_naming_each_and_force_does_not_bypass_it(
        run, seeded, smtp_env, fresh):
    for args in (["send", "--yes"], ["send", "--yes", "--force"], ["send", "--test-to", "me@example.org"]):
        r = run(*args)
        assert r.exit_code == 1, r
        assert_names_each(error_line(r))
    assert smtp_env.messages == []
    assert json.loads(run("deliveries", "list", "--json").stdout) == []      # nothing planned, nothing recorded


def test_only_the_settings_never_made_are_named(run, seeded, smtp_env, fresh, monkeypatch):
    monkeypatch.setenv("DIGEST_FROM", "The Digest <digest@news.example.com>")
    (seeded / "digest.toml").write_text('base_url = "https://news.example.com"\n')
    r = run("send", "--yes")
    line = error_line(r)
    assert r.exit_code == 1 and "postal_address = " in line and "DIGEST_POSTAL_ADDRESS" in line
    assert "DIGEST_FROM" not in line and "DIGEST_BASE_URL" not in line, line
    assert smtp_env.messages == []


def test_the_same_send_with_the_values_set_goes_example_com_included(run, seeded, smtp_env, fresh, monkeypatch):
    # Exactly the placeholders' values, but set by the admin: theirs to send.
    monkeypatch.setenv("DIGEST_FROM", "The Digest <digest@news.example.com>")
    monkeypatch.setenv("DIGEST_POSTAL_ADDRESS", "The Digest, 1 Example Street, Springfield 00000, USA")
    (seeded / "digest.toml").write_text('base_url = "https://news.example.com"\n')
    r = run("send", "--yes")
    assert r.exit_code == 0, r
    assert smtp_env.messages
    msg = parse(smtp_env.messages[0][1])
    assert "digest@news.example.com" in msg["From"]
    assert "1 Example Street" in msg.get_body(("plain",)).get_content()


def test_the_scheduler_refuses_at_start(run, seeded, sink, fresh):
    (seeded / "digest.toml").write_text('[digest]\nsend_at = "00:00"\n')
    env = {**os.environ, "DIGEST_SMTP_URL": sink.url}
    for args in (["--once"], []):       # one pass, and the service itself
        p = subprocess.run([sys.executable, "-m", "digest", "schedule", "run", *args], cwd=seeded, env=env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 1, p.stderr
        [line] = [ln for ln in p.stderr.splitlines() if ln.startswith("Error:")]
        assert_names_each(line)
    assert sink.messages == []


def test_the_demo_keeps_them_for_its_own_server_and_refuses_them_through_a_real_relay(tmp_path, sink, fresh):
    env = {k: v for k, v in os.environ.items() if k != "DIGEST_SMTP_URL"}
    own = subprocess.run([sys.executable, "-m", "digest", "demo"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert own.returncode == 0, own.stderr
    assert "1 Example Street" in (sorted((tmp_path / "demo-out").glob("*.eml"))[0]).read_text()
    real = subprocess.run([sys.executable, "-m", "digest", "demo", "--out", "real-out"], cwd=tmp_path,
                          env={**env, "DIGEST_SMTP_URL": sink.url}, capture_output=True, text=True, timeout=120)
    assert real.returncode == 1, real.stderr
    [line] = [ln for ln in real.stderr.splitlines() if ln.startswith("Error:")]
    assert_names_each(line)
    assert sink.messages == []


def test_a_confirmation_mail_is_refused_too(run, smtp_env, fresh):
    assert run("init").exit_code == 0
    r = run("subscribers", "add", "ada@example.org", "--topic", "World", "--confirm")
    assert r.exit_code == 1
    assert_names_each(error_line(r))
    assert smtp_env.messages == [] and json.loads(run("subscribers", "list", "--json").stdout) == []


def test_the_public_sign_up_form_is_not_served_with_them_and_sends_no_confirmation(run, smtp_env, fresh, tmp_path,
                                                                                  monkeypatch):
    from digest import config, pipeline
    from digest.db import Database
    from digest.errors import ConfigError
    assert run("init").exit_code == 0
    (tmp_path / "digest.toml").write_text("[web]\nallow_subscribe = true\n")
    monkeypatch.setenv("DIGEST_CONFIG", str(tmp_path / "digest.toml"))
    r = run("serve", "--port", "0")
    assert r.exit_code == 1 and "sign-up form ([web] allow_subscribe) is not served" in error_line(r)
    assert_names_each(error_line(r))
    cfg = config.load()
    db = Database.open(cfg.db)
    try:
        with pytest.raises(ConfigError, match="No confirmation sent"):
            pipeline.sign_up(db, cfg, "ada@example.org", ["World"])
        assert db.subscribers.find("ada@example.org") is None and smtp_env.messages == []
    finally:
        db.close()


@pytest.fixture
def lookups(monkeypatch):
    """Every host name this process resolves (the stdlib's resolver, spied on, not replaced)."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def spy(host, *args, **kwargs):
        asked.append(str(host))
        return real(host, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", spy)
    return asked


def test_doctor_on_a_fresh_setup_names_the_placeholders_and_contacts_no_host_of_theirs(run, fresh, zone, lookups):
    z, resolver = zone
    heard: list[str] = []
    answer = z.resolve
    z.resolve = lambda request, handler: (heard.append(str(request.q.qname)), answer(request, handler))[1]
    r = run("doctor", "--dns", "--nameserver", f"127.0.0.1:{resolver.port}", "--json")
    assert r.exit_code == 1, r
    got = {f["check"]: f for f in json.loads(r.stdout) if "placeholder" in f["message"]}
    assert set(got) == {"sender", "base_url", "postal_address", "bounces", "dns"}
    assert got["postal_address"]["level"] == got["sender"]["level"] == got["base_url"]["level"] == "problem"
    assert "DIGEST_POSTAL_ADDRESS" in got["postal_address"]["fix"]
    assert heard == [] and not [h for h in lookups if "example.com" in h]
    text = run("doctor")
    assert text.exit_code == 1 and "is the built-in placeholder" in text.stdout
    assert not [h for h in lookups if "example.com" in h]


from test_doctor_dns import zone  # noqa: E402,F401 -- fixture: a DNS server on 127.0.0.1
