"""Everything a message needs is checked before anything is planned (issue 12, items 1 and 6; issue 15,
item 12): a configuration fault is one `Error:` line and nothing recorded, for `send`, `send --test-to`,
the scheduler and the demo; a failure that is not the recipient's fault is never a permanent `failed`,
and `send --retry-failed` gives the failed ones back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import TEST_SECRET
from digest import config, pipeline
from digest.db import Database


def errors(stderr: str) -> list[str]:
    assert "Traceback" not in stderr, stderr
    return [ln for ln in stderr.splitlines() if ln.startswith("Error:")]


def ledger(run) -> list[dict]:
    # Read without the fault: a bad templates_dir is refused by every command, listings included.
    saved = os.environ.pop("DIGEST_TEMPLATES", None)
    try:
        return json.loads(run("deliveries", "list", "--json").stdout)
    finally:
        if saved is not None:
            os.environ["DIGEST_TEMPLATES"] = saved


def active_daily(run) -> set[str]:
    return {s["email"] for s in json.loads(run("subscribers", "list", "--status", "active", "--json").stdout)
            if s["frequency"] == "daily"}


def received(sink) -> list[str]:
    return [rcpts[0] for rcpts, _ in sink.messages]


FAULTS = {
    "no secret": ({"DIGEST_SECRET": None}, "DIGEST_SECRET is not set"),
    "one-character secret": ({"DIGEST_SECRET": "x"}, "DIGEST_SECRET is too weak"),
    "the public demo secret": ({"DIGEST_SECRET": "digest-demo-secret-not-for-production"}, "demo secret"),
    "malformed DKIM key": ({"DIGEST_DKIM_KEY": "bad.pem"}, "DIGEST_DKIM_KEY) is not a PEM RSA private key"),
    "missing DKIM key": ({"DIGEST_DKIM_KEY": "missing.pem"}, "DIGEST_DKIM_KEY): No such file"),
    "missing template folder": ({"DIGEST_TEMPLATES": "/nonexistent/templates"}, "does not exist"),
    "broken template": ({"DIGEST_TEMPLATES": "broken"}, "digest.html, line 2: "),
    "missing template": ({"DIGEST_TEMPLATES": "partial"}, "Template _gone.html was not found"),
    "relative base URL": ({"DIGEST_BASE_URL": "news.example.com"}, "DIGEST_BASE_URL `news.example.com`"),
    "plain-http base URL": ({"DIGEST_BASE_URL": "http://news.example.com"}, "is not https"),
}


@pytest.fixture
def fault(request, monkeypatch, tmp_path):
    """Apply one configuration fault; returns the text its error must contain."""
    env, expected = FAULTS[request.param]
    (tmp_path / "bad.pem").write_text("-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "digest.html").write_text("<html>\n{% if %}\n</html>\n")
    (tmp_path / "partial").mkdir()
    # An override that includes a partial that exists nowhere: what a wheel without templates looks like.
    (tmp_path / "partial" / "digest.html").write_text("<html>{% include '_gone.html' %}</html>")
    for var, value in env.items():
        if value is None:
            monkeypatch.delenv(var, raising=False)
        else:
            monkeypatch.setenv(var, value)
    return expected


def restore(monkeypatch):
    for var in ("DIGEST_DKIM_KEY", "DIGEST_TEMPLATES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DIGEST_SECRET", TEST_SECRET)
    monkeypatch.setenv("DIGEST_BASE_URL", "https://news.example.com")


@pytest.mark.parametrize("fault", list(FAULTS), indirect=True)
def test_send_with_a_configuration_fault_is_one_error_and_records_nothing(run, seeded, smtp_env, fault, monkeypatch):
    r = run("send", "--yes")
    assert r.exit_code == 1, r
    lines = errors(r.stderr)
    assert len(lines) == 1 and fault in lines[0], r.stderr
    assert ledger(run) == [] and smtp_env.messages == []
    # Fixed: everyone gets the edition once, and the next run sends nothing twice.
    restore(monkeypatch)
    assert run("send", "--yes").exit_code == 0
    assert sorted(received(smtp_env)) == sorted(active_daily(run))
    again = run("send", "--yes")
    assert again.exit_code == 0 and len(smtp_env.messages) == len(active_daily(run))


@pytest.mark.parametrize("fault", ["no secret", "malformed DKIM key", "broken template"], indirect=True)
def test_a_test_send_with_a_configuration_fault_sends_nothing(run, seeded, smtp_env, fault):
    r = run("send", "--test-to", "editor@example.org")
    assert r.exit_code == 1 and fault in errors(r.stderr)[0], r
    assert smtp_env.messages == []


@pytest.mark.parametrize("fault", ["one-character secret", "malformed DKIM key", "missing template"], indirect=True)
def test_the_scheduler_with_a_configuration_fault_stops_before_its_first_tick(run, seeded, sink, fault, tmp_path):
    (tmp_path / "digest.toml").write_text('[digest]\nsend_at = "00:00"\n')
    env = {**os.environ, "DIGEST_SMTP_URL": sink.url}
    for args in (["--once"], []):       # the service itself fails at start, as it does without a relay
        p = subprocess.run([sys.executable, "-m", "digest", "schedule", "run", *args], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 1, p.stderr
        assert fault in errors(p.stderr)[0]
    assert ledger(run) == [] and sink.messages == []


@pytest.mark.parametrize("fault", ["malformed DKIM key", "broken template"], indirect=True)
def test_the_demo_with_a_configuration_fault_sends_nothing(tmp_path, fault, monkeypatch):
    monkeypatch.delenv("DIGEST_SECRET")
    p = subprocess.run([sys.executable, "-m", "digest", "demo"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 1 and fault in errors(p.stderr)[0], p.stderr
    assert not list((tmp_path / "demo-out").glob("*.eml"))
    store = Database.open(tmp_path / "digest.db")
    assert store.deliveries.listed() == []
    store.close()


def test_the_demo_still_runs_on_its_own_public_secret(run, tmp_path, monkeypatch):
    monkeypatch.delenv("DIGEST_SECRET")
    p = subprocess.run([sys.executable, "-m", "digest", "demo"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert list((tmp_path / "demo-out").glob("*.eml"))


def test_a_weak_secret_says_how_to_make_a_strong_one(run, seeded, smtp_env, monkeypatch):
    monkeypatch.setenv("DIGEST_SECRET", "hunter2hunter2hunter2hunter2hunter2")
    r = run("send", "--yes")
    assert r.exit_code == 1 and "openssl rand -hex 32" in r.stderr
    assert config.secret_bits(TEST_SECRET) >= config.SECRET_MIN_BITS


def test_a_message_that_cannot_be_built_stays_queued_and_is_never_failed(run, seeded, sink, monkeypatch):
    """A caller that skipped preflight (the pipeline, not the CLI): the build fails in the worker."""
    monkeypatch.setenv("DIGEST_SMTP_URL", sink.url)
    store = Database.open(os.environ["DIGEST_DB"])
    cfg = config.load()
    cfg.secret = None
    plan = pipeline.plan_edition(store, cfg)
    assert plan.created > 0
    tally = pipeline.send_edition(store, cfg, plan, pipeline.relays_for(cfg))
    assert isinstance(tally.error, pipeline.BuildError) and "could not be built" in str(tally.error)
    assert f"{plan.created} message{'' if plan.created == 1 else 's'} could not be built" in str(tally.error)
    assert {r.status for r in store.deliveries.listed(plan.edition_id)} == {"pending"}
    assert all(r.attempts == 0 for r in store.deliveries.listed(plan.edition_id))
    assert sink.messages == []
    store.close()
    # Through the CLI with the secret back: the same rows go out, once each.
    r = run("send", "--yes")
    assert r.exit_code == 0, r
    assert sorted(received(sink)) == sorted(active_daily(run))


def test_a_template_that_breaks_mid_run_leaves_the_rows_queued(run, seeded, smtp_env, monkeypatch, tmp_path):
    """A template that only fails on real stories (not the preflight's sample): one error, nothing failed."""
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "_item.html").write_text(
        "{% if 'Preflight' not in item.headline %}{{ item.no_such_field }}{% endif %}{{ item.headline }}\n")
    monkeypatch.setenv("DIGEST_TEMPLATES", str(tmp_path / "tpl"))
    r = run("send", "--yes")
    assert r.exit_code == 1, r
    assert "no_such_field" in errors(r.stderr)[0]
    rows = ledger(run)
    assert rows and {d["status"] for d in rows} == {"pending"}
    assert smtp_env.messages == []
    monkeypatch.delenv("DIGEST_TEMPLATES")
    assert run("send", "--yes").exit_code == 0
    assert sorted(received(smtp_env)) == sorted(active_daily(run))
