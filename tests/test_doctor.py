"""`digest doctor`: the sending setup checked before a send, against a real `digest serve` (the
one-click POST) and, with --dns, a real DNS server on 127.0.0.1. A good setup exits 0; each mistake
an admin makes is named with its fix, and exits 1."""

from __future__ import annotations

import json

from test_doctor_dns import BOUNCE, ed_pem, good_zone, rsa_pem, zone  # noqa: F401 -- fixtures
from test_links import site  # noqa: F401 -- fixture: `digest serve` on a free port

OTHER_SECRET = "0d4e8b2a9c17f3e56b0a4d9e2c8f1b7a3e6d0c5f9a2b8e4d1c7f0a3b6e9d2c58"


def findings(r) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in json.loads(r.stdout):
        out.setdefault(f["check"], []).append(f)
    return out


def levels(r) -> dict[str, set[str]]:
    return {check: {f["level"] for f in fs} for check, fs in findings(r).items()}


def signing_setup(monkeypatch, tmp_path, key: bytes) -> None:
    (tmp_path / "dkim.pem").write_bytes(key)
    monkeypatch.setenv("DIGEST_DKIM_KEY", str(tmp_path / "dkim.pem"))
    monkeypatch.setenv("DIGEST_DKIM_SELECTOR", "sel1")
    monkeypatch.setenv("DIGEST_BOUNCE_DOMAIN", BOUNCE)
    monkeypatch.setenv("DIGEST_UNSUBSCRIBE_MAILTO", "mailto:unsubscribe@news.example.com?subject=unsubscribe")


def test_a_good_setup_passes_with_its_dns_and_a_live_unsubscribe_endpoint(run, site, zone, rsa_pem, monkeypatch,
                                                                         tmp_path):
    z, resolver = zone
    good_zone(z, rsa_pem)
    signing_setup(monkeypatch, tmp_path, rsa_pem)
    r = run("doctor", "--dns", "--nameserver", f"127.0.0.1:{resolver.port}", "--sender", "smtp.relay.example.net",
            "--json")
    assert r.exit_code == 0, [f for fs in findings(r).values() for f in fs if f["level"] != "ok"]
    got = levels(r)
    assert got["secret"] == got["bounces"] == got["dkim"] == got["feedback-id"] == {"ok"}
    assert got["base_url"] == {"warn"}          # http on 127.0.0.1: fine for a test, never for subscribers
    assert got["unsubscribe"] == {"ok"}         # the mailto is set, and the endpoint answered the POST
    assert "answered" in findings(r)["unsubscribe"][0]["message"]
    assert got["spf"] == got["dmarc"] == {"ok"} and "problem" not in set().union(*got.values())
    plain = run("doctor", "--dns", "--nameserver", f"127.0.0.1:{resolver.port}", "--sender", "smtp.relay.example.net")
    assert plain.exit_code == 0 and "0 problems" in plain.stderr


def test_each_mistake_is_named_with_its_fix(run, site, rsa_pem, monkeypatch, tmp_path):
    signing_setup(monkeypatch, tmp_path, rsa_pem)
    monkeypatch.setenv("DIGEST_SECRET", OTHER_SECRET)          # not the one `digest serve` signs with
    monkeypatch.setenv("DIGEST_DKIM_DOMAIN", "elsewhere.example")
    (tmp_path / "digest.toml").write_text('feedback_id = ""\n')     # no Feedback-ID header
    r = run("doctor", "--json")
    assert r.exit_code == 1, r
    f = findings(r)
    unsub = [x for x in f["unsubscribe"] if x["level"] == "problem"]
    assert unsub and "another DIGEST_SECRET" in unsub[0]["message"]
    assert any(x["level"] == "problem" and "elsewhere.example" in x["message"] for x in f["alignment"])
    assert f["feedback-id"][0]["level"] == "warn"
    monkeypatch.setenv("DIGEST_DKIM_KEY", str(tmp_path / "dkim.pen"))      # a typo in the path
    text = run("doctor")
    assert text.exit_code == 1 and "Traceback" not in text.stdout + text.stderr
    assert "dkim.pen" in text.stdout and "fix: Point DIGEST_DKIM_KEY at a PEM RSA private key" in text.stdout


def test_no_secret_and_no_key_are_problems_and_the_endpoint_is_not_asked(run, monkeypatch):
    monkeypatch.delenv("DIGEST_SECRET")
    r = run("doctor", "--json")
    assert r.exit_code == 1
    got = levels(r)
    assert got["secret"] == {"problem"} and got["dkim"] == {"problem"}
    assert "unsubscribe" in got and not any("POST" in x["message"] for x in findings(r)["unsubscribe"])
    assert run("doctor", "--dsn").exit_code == 2          # a typo'd flag: click's usage error
