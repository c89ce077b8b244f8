"""The DKIM signer (digest.compose.dkimsign through message.Signer): every signature it makes passes dkimpy's
verifier, RSA and Ed25519 (RFC 8463) alike, over the messages we send and over the awkward inputs
relaxed canonicalisation exists for; a changed message fails."""

from __future__ import annotations

import datetime as dt

import dkim
import dkim.canonicalization
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from digest.bounces import verp
from digest.compose import dkimsign, fast_message, message

DOMAIN = "news.example.com"


def pem(key, fmt=serialization.PrivateFormat.PKCS8, password: bytes | None = None) -> bytes:
    enc = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, fmt, enc)


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ed_key():
    return ed25519.Ed25519PrivateKey.generate()


def records(**by_selector) -> callable:
    """A DNS lookup for dkimpy that knows only our selectors."""
    def dns(name, timeout=5):
        for selector, key in by_selector.items():
            if name == f"{selector}._domainkey.{DOMAIN}.".encode():
                return dkimsign.public_record(key).encode()
        return None
    return dns


def verify_all(data: bytes, dns) -> list[bool]:
    """dkimpy's verdict on each DKIM-Signature in turn."""
    count = sum(1 for line in data.split(b"\r\n\r\n")[0].split(b"\r\n") if line.lower().startswith(b"dkim-signature:"))
    verdicts = []
    for i in range(count):
        try:
            verdicts.append(dkim.DKIM(data).verify(idx=i, dnsfunc=dns))
        except dkim.DKIMException:
            verdicts.append(False)
    return verdicts


def digest_message() -> bytes:
    """A real digest message from the fast builder, as the sender hands it to the signer."""
    prepared = fast_message.prepare(sender="The Digest <digest@news.example.com>", subject="EU backs joint borrowing  and 5 more",
                               list_id="The Digest <digest.news.example.com>", markers=["{{NAME}}"],
                               html="<p>Hello {{NAME}},</p>\n<p>Stories   with  spaces   </p>\n" * 200,
                               text="Hello {{NAME}},\n\tStories\t with tabs  \n\n\n" * 100,
                               list_archive="https://news.example.com/archive/daily-2026-11-25",
                               feedback_id="daily-2026-11-25:the-digest:digest")
    data = prepared.build(to_email="zoe@example.org", to_name="Zoë \"Z\" O'Brien",
                          message_id=message.message_id("2026-11-25", 7, DOMAIN),
                          date=dt.datetime(2026, 11, 25, 7, tzinfo=dt.timezone.utc),
                          unsubscribe_url="https://news.example.com/u/abc", values={"{{NAME}}": "Zoë"},
                          unsubscribe_mailto=verp.unsubscribe_mailto(
                              "s" * 64, 7, 1001, "mailto:unsubscribe@news.example.com?subject=unsubscribe"))
    assert data is not None
    return data


def test_a_digest_message_signed_with_rsa_verifies(rsa_key):
    signer = message.Signer(pem(rsa_key), "sel1", DOMAIN)
    signed = signer.sign(digest_message())
    assert verify_all(signed, records(sel1=rsa_key)) == [True]
    sig = signed.split(b"\r\n\r\n")[0].decode()
    h = "".join(sig.split("h=", 1)[1].split(";", 1)[0].split())
    assert h.split(":") == [x.decode().lower() for x in message.DKIM_HEADERS]   # the header list signed today


def test_rsa_and_ed25519_signatures_both_verify(rsa_key, ed_key):
    signer = message.Signer(pem(rsa_key), "sel1", DOMAIN, ed25519_key_pem=pem(ed_key), ed25519_selector="ed1")
    signed = signer.sign(digest_message())
    assert b"a=rsa-sha256" in signed and b"a=ed25519-sha256" in signed
    assert verify_all(signed, records(sel1=rsa_key, ed1=ed_key)) == [True, True]


def test_a_changed_message_fails_both_signatures(rsa_key, ed_key):
    signer = message.Signer(pem(rsa_key), "sel1", DOMAIN, ed25519_key_pem=pem(ed_key), ed25519_selector="ed1")
    signed = signer.sign(digest_message())
    dns = records(sel1=rsa_key, ed1=ed_key)
    assert verify_all(signed.replace(b"Subject: EU", b"Subject: US"), dns) == [False, False]
    assert verify_all(signed.replace(b"Stories", b"Storeys", 1), dns) == [False, False]
    assert verify_all(signed.replace(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click",
                                     b"List-Unsubscribe-Post: nope"), dns) == [False, False]


AWKWARD = {
    "folded and spaced headers": b"From:   Ed <ed@news.example.com>  \r\nTo: a@example.org,\r\n\t b@example.org\r\n"
                                 b"SUBJECT:  many    spaces\t\there \r\nDate: Wed, 25 Nov 2026 07:00:00 +0000\r\n"
                                 b"Message-ID: <1@news.example.com>\r\n\r\nbody\r\n",
    "trailing blank lines and spaces": b"From: ed@news.example.com\r\nTo: a@example.org\r\nSubject: s\r\n\r\n"
                                       b"line one   \r\n \t \r\n\tindented\t\tline\r\n\r\n\r\n\r\n",
    "empty body": b"From: ed@news.example.com\r\nTo: a@example.org\r\nSubject: s\r\n\r\n",
    "no final CRLF": b"From: ed@news.example.com\r\nTo: a@example.org\r\nSubject: s\r\n\r\nlast line  ",
    "a header twice": b"From: ed@news.example.com\r\nTo: first@example.org\r\nTo: second@example.org\r\n"
                      b"Subject: s\r\n\r\nbody\r\n",
    "bare LF": b"From: ed@news.example.com\nTo: a@example.org\nSubject: s\n\nbody  \nmore\n\n",
}


@pytest.mark.parametrize("name", list(AWKWARD))
def test_awkward_messages_verify(name, rsa_key, ed_key):
    signer = message.Signer(pem(rsa_key), "sel1", DOMAIN, ed25519_key_pem=pem(ed_key), ed25519_selector="ed1")
    signed = wire(signer.sign(AWKWARD[name]))
    assert verify_all(signed, records(sel1=rsa_key, ed1=ed_key)) == [True, True]


def wire(data: bytes) -> bytes:
    """What smtplib sends for these bytes: CRLF line ends, and a CRLF at the end."""
    data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return data if data.endswith(b"\r\n") else data + b"\r\n"


@pytest.mark.parametrize("name", list(AWKWARD))
def test_canonical_forms_agree_with_dkimpy(name):
    fields, body = dkimsign.split_message(wire(AWKWARD[name]))
    assert dkimsign.canon_body(body) == dkim.canonicalization.Relaxed.canonicalize_body(body)
    theirs = dkim.canonicalization.Relaxed.canonicalize_headers(
        [(f.split(b":", 1)[0], f.split(b":", 1)[1]) for f in fields])
    assert [dkimsign.canon_header(f) for f in fields] == [n + b":" + v for n, v in theirs]


def test_pkcs1_keys_work_too(rsa_key):
    signer = message.Signer(pem(rsa_key, serialization.PrivateFormat.TraditionalOpenSSL), "sel1", DOMAIN)
    assert verify_all(signer.sign(digest_message()), records(sel1=rsa_key)) == [True]


def test_bad_keys_are_named(rsa_key, ed_key):
    with pytest.raises(ValueError, match="^not a PEM RSA private key"):
        message.Signer(b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n", "s", DOMAIN)
    with pytest.raises(ValueError, match="^not a PEM RSA private key .*Ed25519"):
        message.Signer(pem(ed_key), "s", DOMAIN)
    with pytest.raises(ValueError, match="^not a PEM RSA private key"):
        message.Signer(pem(rsa_key, password=b"secret"), "s", DOMAIN)
    with pytest.raises(ValueError, match="^not a PEM Ed25519 private key"):
        message.Signer(pem(rsa_key), "s", DOMAIN, ed25519_key_pem=pem(rsa_key))


def test_the_public_record_is_what_dns_must_publish(rsa_key, ed_key):
    assert dkimsign.public_record(pem(rsa_key)).startswith("v=DKIM1; k=rsa; p=MIIB")
    record = dkimsign.public_record(ed_key)
    assert record.startswith("v=DKIM1; k=ed25519; p=") and len(record.split("p=")[1]) == 44   # 32 bytes
