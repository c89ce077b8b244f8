"""What a bulk sender's message carries on the wire, sent through a real SMTP server on 127.0.0.1:
a VERP envelope sender naming each delivery (the header From unchanged), the subscriber's own
unsubscribe mailto, List-Archive, Feedback-ID, and DKIM signatures (RSA, plus Ed25519 when
configured) that cover them."""

from __future__ import annotations

import json
import os

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from conftest import TEST_SECRET, parse
from digest.bounces import verp
from digest.compose import dkimsign
from digest.db import Database


def deliveries_by_email(path) -> dict[str, tuple[int, int]]:
    store = Database.open(path)
    try:
        return {d.email: (d.edition_id, d.subscriber_id) for d in store.deliveries.listed()}
    finally:
        store.close()


def test_every_message_has_its_own_return_path_and_the_newsletters_from(run, seeded, smtp_env):
    assert run("send", "--yes").exit_code == 0
    ids = deliveries_by_email(os.environ["DIGEST_DB"])
    assert len(smtp_env.messages) == len(ids) > 3
    for (rcpts, data), mail_from in zip(smtp_env.messages, smtp_env.senders):
        local, _, domain = mail_from.partition("@")
        assert domain == "news.example.com" and local.startswith("bounces+")
        assert verp.read_token(TEST_SECRET, verp.token_in(mail_from, "bounces")) == ids[rcpts[0]]
        assert parse(data)["From"] == "The Digest <digest@news.example.com>"
    assert len(set(smtp_env.senders)) == len(ids)        # one return path per delivery


def test_the_bounce_domain_and_prefix_are_configurable(run, seeded, smtp_env, tmp_path, monkeypatch):
    (tmp_path / "digest.toml").write_text('[bounces]\ndomain = "Bounce.News.Example.com"\nprefix = "rp"\n')
    monkeypatch.setenv("DIGEST_CONFIG", str(tmp_path / "digest.toml"))
    assert run("send", "--yes").exit_code == 0
    assert smtp_env.senders and all(s.startswith("rp+") and s.endswith("@bounce.news.example.com")
                                    for s in smtp_env.senders)
    (tmp_path / "digest.toml").write_text('[bounces]\nprefix = "has+plus"\n')
    r = run("send", "--yes")
    assert r.exit_code == 1 and "Error: " in r.stderr and "prefix" in r.stderr and "Traceback" not in r.stderr


def test_a_test_copy_names_no_delivery(run, seeded, smtp_env):
    r = run("send", "--test-to", "editor@example.org")
    assert r.exit_code == 0, r
    assert verp.read_token(TEST_SECRET, verp.token_in(smtp_env.senders[0], "bounces")) == (0, 0)


def test_the_mailto_is_each_subscribers_own(run, seeded, smtp_env, monkeypatch):
    monkeypatch.setenv("DIGEST_UNSUBSCRIBE_MAILTO", "mailto:unsubscribe@news.example.com?subject=unsubscribe")
    assert run("send", "--yes").exit_code == 0
    ids = deliveries_by_email(os.environ["DIGEST_DB"])
    for rcpts, data in smtp_env.messages:
        msg = parse(data)
        mailto = " ".join(str(msg["List-Unsubscribe"]).split()).split(", ")[1].strip("<>")
        local, domain, query = verp.mailto_parts(mailto)
        token = verp.token_in(f"{local}@{domain}", "unsubscribe")
        assert verp.read_token(TEST_SECRET, token, "unsubscribe") == ids[rcpts[0]] and query == "subject=unsubscribe"
        assert msg["List-Archive"].startswith("<https://news.example.com/archive/daily-")
        assert msg["Feedback-ID"].endswith(":the-digest:digest")


def pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def test_rsa_and_ed25519_signatures_cover_the_bulk_headers(run, seeded, smtp_env, tmp_path, monkeypatch):
    rsa_key, ed_key = rsa.generate_private_key(public_exponent=65537, key_size=2048), ed25519.Ed25519PrivateKey.generate()
    (tmp_path / "rsa.pem").write_bytes(pem(rsa_key))
    (tmp_path / "ed.pem").write_bytes(pem(ed_key))
    monkeypatch.setenv("DIGEST_DKIM_KEY", str(tmp_path / "rsa.pem"))
    monkeypatch.setenv("DIGEST_DKIM_ED25519_KEY", str(tmp_path / "ed.pem"))
    monkeypatch.setenv("DIGEST_DKIM_ED25519_SELECTOR", "ed1")
    assert run("send", "--yes").exit_code == 0
    records = {b"digest._domainkey.news.example.com.": dkimsign.public_record(rsa_key).encode(),
               b"ed1._domainkey.news.example.com.": dkimsign.public_record(ed_key).encode()}
    data = smtp_env.messages[0][1]
    assert dkim.DKIM(data).verify(idx=0, dnsfunc=lambda name, timeout=5: records.get(name))
    assert dkim.DKIM(data).verify(idx=1, dnsfunc=lambda name, timeout=5: records.get(name))
    head = data.split(b"\r\n\r\n")[0].decode().lower()
    assert "a=ed25519-sha256" in head and "s=ed1" in head
    signed = "".join(head.split("h=", 1)[1].split(";", 1)[0].split()).split(":")
    assert {"feedback-id", "list-archive", "list-unsubscribe", "from"} <= set(signed)


@pytest.mark.parametrize("env, said", [
    ({"DIGEST_DKIM_ED25519_KEY": "{tmp}/ed.pem"}, "DIGEST_DKIM_ED25519_KEY is set without DIGEST_DKIM_KEY"),
    ({"DIGEST_DKIM_KEY": "{tmp}/rsa.pem", "DIGEST_DKIM_ED25519_KEY": "{tmp}/rsa.pem"},
     "(DIGEST_DKIM_ED25519_KEY) is not a PEM Ed25519 private key"),
    ({"DIGEST_DKIM_KEY": "{tmp}/rsa.pem", "DIGEST_DKIM_ED25519_KEY": "{tmp}/missing.pem"},
     "missing.pem (DIGEST_DKIM_ED25519_KEY): No such file"),
])
def test_a_bad_ed25519_key_is_one_error_before_anything_is_planned(run, seeded, smtp_env, tmp_path, monkeypatch,
                                                                    env, said):
    (tmp_path / "rsa.pem").write_bytes(pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    (tmp_path / "ed.pem").write_bytes(pem(ed25519.Ed25519PrivateKey.generate()))
    for var, value in env.items():
        monkeypatch.setenv(var, value.format(tmp=tmp_path))
    r = run("send", "--yes")
    assert r.exit_code == 1 and said in r.stderr and "Traceback" not in r.stderr, r
    assert smtp_env.messages == [] and json.loads(run("deliveries", "list", "--json").stdout) == []
