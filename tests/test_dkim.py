"""DKIM: with DIGEST_DKIM_KEY set, every message carries a signature that verifies and covers the headers
receivers check (From, Subject, Date, Message-ID, To, List-Id, List-Unsubscribe, List-Unsubscribe-Post)."""

from __future__ import annotations

import base64
import shutil
import subprocess

import dkim
import pytest

from conftest import parse

pytestmark = pytest.mark.skipif(not shutil.which("openssl"), reason="openssl makes the throwaway key")


@pytest.fixture
def dkim_key(tmp_path, monkeypatch):
    """A throwaway 2048-bit RSA key; returns the DNS TXT record that publishes its public half."""
    key = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"], check=True,
                         capture_output=True).stdout
    monkeypatch.setenv("DIGEST_DKIM_KEY", str(key))
    monkeypatch.setenv("DIGEST_DKIM_SELECTOR", "sel1")
    monkeypatch.setenv("DIGEST_DKIM_DOMAIN", "news.example.com")
    return b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


def verify(data: bytes, txt: bytes) -> bool:
    def dns(name, timeout=5):
        assert name == b"sel1._domainkey.news.example.com."
        return txt
    return dkim.verify(data, dnsfunc=dns)


def signed_headers(data: bytes) -> set[str]:
    sig = parse(data)["DKIM-Signature"]
    tags = dict(t.strip().split("=", 1) for t in "".join(str(sig).split()).split(";") if "=" in t)
    return {h.lower() for h in tags["h"].split(":")}


def test_every_sent_message_is_signed_and_verifies(run, seeded, smtp_env, dkim_key):
    run("subscribers", "add", "zoe@example.org", "--topic", "World", "--name", "Zoë \"Z\" O'Brien")
    r = run("send", "--yes")
    assert r.exit_code == 0, r
    assert smtp_env.messages
    for _, data in smtp_env.messages:
        assert verify(data, dkim_key)
        assert {"from", "subject", "date", "message-id", "to", "list-id", "list-unsubscribe",
                "list-unsubscribe-post"} <= signed_headers(data)


def test_a_changed_message_no_longer_verifies(run, seeded, smtp_env, dkim_key):
    assert run("send", "--test-to", "ed@example.org").exit_code == 0
    data = smtp_env.messages[0][1]
    assert verify(data, dkim_key)
    assert not verify(data.replace(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click",
                                   b"List-Unsubscribe-Post: nope"), dkim_key)


def test_a_missing_key_file_is_one_clear_error(run, seeded, smtp_env, monkeypatch, tmp_path):
    monkeypatch.setenv("DIGEST_DKIM_KEY", str(tmp_path / "nope.pem"))
    r = run("send", "--yes")
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: DKIM key ") and "nope.pem" in r.stderr
    assert smtp_env.messages == []
