"""Bounces, complaints and auto-replies in the shapes real systems send them (tests/bounces/), each
read to its class, its recipient and the delivery it names; and the rules that decide the class."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from digest import bounces
from digest.bounces import Kind, classify, verp

CORPUS = Path(__file__).parent / "bounces"
EXPECTED = tomllib.loads((CORPUS / "expected.toml").read_text())
SECRET = "corpus-secret-not-for-production-0123456789abcdef"


def test_every_message_in_the_corpus_has_an_expectation():
    assert sorted(p.name for p in CORPUS.glob("*.txt")) == sorted(EXPECTED)


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus(name, crlf):
    want = EXPECTED[name]
    data = (CORPUS / name).read_bytes()
    if crlf:                       # as it arrives over SMTP or LMTP, rather than from an mbox
        data = data.replace(b"\n", b"\r\n")
    report = bounces.parse(data)
    assert report.kind == Kind(want["kind"]), report.reason
    assert sorted(report.recipients) == sorted(want["recipients"])
    for key in ("status", "action", "source", "original_message_id", "feedback_type"):
        if key in want:
            assert getattr(report, key) == want[key], key
    if "diagnostic_has" in want:
        assert want["diagnostic_has"] in (report.diagnostic or "")
    for address, kind in want.get("per_recipient", {}).items():
        assert [d.kind for d in report.details if d.address == address] == [Kind(kind)]
    assert report.token_purpose == (want.get("token_purpose", "bounce") if "delivery" in want else None)
    assert bounces.delivery_of(report, SECRET) == (tuple(want["delivery"]) if "delivery" in want else None)
    assert report.dedup_key and report.reason


def test_the_envelope_recipient_names_the_delivery_when_no_header_does():
    data = (CORPUS / "exim-legacy-no-verp.txt").read_bytes()
    rcpt = verp.return_path(SECRET, 3, 512, "bounce.news.example.com")
    report = bounces.parse(data, envelope_to=rcpt)
    assert report.kind is Kind.HARD and bounces.delivery_of(report, SECRET) == (3, 512)
    assert bounces.delivery_of(bounces.parse(data), SECRET) is None


def test_a_forged_token_names_no_delivery():
    data = (CORPUS / "postfix-hard.txt").read_bytes()
    forged = data.replace(b"7-rt-qbetgeydhegnsvxv", b"7-ru-qbetgeydhegnsvxv")   # someone else's subscriber id
    report = bounces.parse(forged)
    assert report.kind is Kind.HARD and report.token == "7-ru-qbetgeydhegnsvxv"
    assert bounces.delivery_of(report, SECRET) is None
    assert bounces.delivery_of(bounces.parse(data), "another-secret") is None


def test_an_unsubscribe_token_does_not_vouch_for_a_bounce():
    """The unsubscribe mailto's token is only good for an unsubscribe request: a DSN sent to that
    address is read as a DSN and names no delivery."""
    data = (CORPUS / "postfix-hard.txt").read_bytes()
    unsub = verp.unsubscribe_mailto(SECRET, 7, 1001, "mailto:unsubscribe@news.example.com")[len("mailto:"):]
    data = data.replace(b"bounces+7-rt-qbetgeydhegnsvxv@bounce.news.example.com", unsub.encode())
    report = bounces.parse(data)
    assert report.kind is Kind.HARD and report.token is None
    assert bounces.delivery_of(report, SECRET) is None


def test_a_bounce_token_does_not_unsubscribe():
    data = (CORPUS / "mailto-unsubscribe.txt").read_bytes()
    rp = verp.return_path(SECRET, 14, 1011, "news.example.com", prefix="unsubscribe")
    report = bounces.parse(data.replace(b"unsubscribe+e-s3-n5nrmxvvy34rte65@news.example.com", rp.encode()))
    assert report.kind is Kind.UNSUBSCRIBE and bounces.delivery_of(report, SECRET) is None


def test_the_unsubscribe_prefix_comes_from_the_configured_mailto():
    data = (CORPUS / "mailto-unsubscribe.txt").read_bytes().replace(b"unsubscribe+", b"leave+")
    assert bounces.parse(data).kind is not Kind.UNSUBSCRIBE
    prefix = verp.mailto_parts("mailto:leave@news.example.com?subject=unsubscribe")[0]
    report = bounces.parse(data, unsubscribe_prefix=prefix)
    assert report.kind is Kind.UNSUBSCRIBE and bounces.delivery_of(report, SECRET) == (14, 1011)


def test_the_same_report_twice_has_the_same_key_and_a_different_one_does_not():
    a = (CORPUS / "postfix-hard.txt").read_bytes()
    refetched = b"Received: from imap.example.net by fetcher; Wed, 25 Nov 2026 08:00:00 +0000\n" + a
    assert bounces.parse(a).dedup_key == bounces.parse(refetched).dedup_key
    assert bounces.parse(a).dedup_key != bounces.parse((CORPUS / "gmail-hard.txt").read_bytes()).dedup_key
    no_id = b"From: someone@example.com\nSubject: hello\n\nbody\n"
    assert bounces.parse(no_id).dedup_key == bounces.parse(b"Received: x\n" + no_id).dedup_key


@pytest.mark.parametrize("data", [b"", b"\x00\xff garbage \r\n\r\n", b"Content-Type: multipart/report; boundary=x\n\n--x\n",
                                  b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
                                  b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n--b--\n"])
def test_garbage_is_unknown_and_never_raises(data):
    report = bounces.parse(data)
    assert report.kind is Kind.UNKNOWN and report.recipients == ()


def test_a_base64_delivery_status_part_is_read():
    data = (CORPUS / "postfix-hard.txt").read_bytes().decode()
    head, _, rest = data.partition("Content-Type: message/delivery-status\n\n")
    block, sep, tail = rest.partition("\n--4XkQ2l6Wq1z9tYb")
    import base64
    encoded = base64.encodebytes(block.encode()).decode()
    data = head + "Content-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n" + encoded + sep + tail
    report = bounces.parse(data.encode())
    assert report.source == "dsn" and report.kind is Kind.HARD and report.recipients == ("gone@example.org",)


def test_a_success_dsn_is_kept_for_the_admin_not_counted():
    data = (CORPUS / "postfix-hard.txt").read_bytes().replace(b"Action: failed\nStatus: 5.1.1",
                                                                b"Action: relayed\nStatus: 2.0.0")
    report = bounces.parse(data)
    assert report.kind is Kind.UNKNOWN and report.source == "dsn" and "relayed" in report.reason


@pytest.mark.parametrize("status, action, kind", [
    ("5.1.1", "failed", Kind.HARD), ("5.0.0", "failed", Kind.HARD), ("5.4.4", "failed", Kind.HARD),
    ("4.2.2", "failed", Kind.SOFT), ("4.4.7", "failed", Kind.SOFT), ("5.1.1", "delayed", Kind.SOFT),
    ("5.2.2", "failed", Kind.SOFT), ("5.3.4", "failed", Kind.SOFT), ("5.7.1", "failed", Kind.SOFT),
    ("5.7.26", "failed", Kind.SOFT), (None, "failed", Kind.HARD), (None, "error", Kind.HARD),
    ("2.0.0", "delivered", None), (None, "relayed", None), (None, None, None),
])
def test_status_rules(status, action, kind):
    assert classify.status_kind(status, action)[0] == kind


@pytest.mark.parametrize("headers, auto", [
    ({"Auto-Submitted": "auto-replied"}, True), ({"Auto-Submitted": "auto-generated"}, True),
    ({"Auto-Submitted": "no"}, False), ({"X-Autoreply": "yes"}, True), ({"Precedence": "auto_reply"}, True),
    ({"Subject": "Out of Office: The Digest"}, True), ({"Subject": "Abwesenheitsnotiz: The Digest"}, True),
    ({"Subject": "Réponse automatique : The Digest"}, True), ({"Subject": "Re: The Digest"}, False),
    ({"Subject": "Automatic reply: hello"}, True), ({"Precedence": "bulk", "Subject": "Thanks!"}, False),
])
def test_auto_reply_rules(headers, auto):
    from email.message import Message
    msg = Message()
    for k, v in headers.items():
        msg[k] = v
    assert (classify.auto_reply_reason(msg) is not None) is auto
