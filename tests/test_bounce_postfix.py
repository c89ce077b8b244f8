"""DSNs written by a real MTA, not by us: a private Postfix relays our messages to a receiving server
on 127.0.0.1 that refuses one recipient (550 5.1.1) and finds another's mailbox full (452 4.2.2);
Postfix, told to try once, sends each bounce to that message's VERP return path, which reaches a
second server on 127.0.0.1. The parser reads each DSN to its delivery, class and recipient.

Needs Debian's postfix and root (Postfix's daemons drop to the postfix user); skipped otherwise.
This test pins the parser to what Postfix really writes; tests/test_bounce_serve.py runs the whole
loop through `digest bounces serve`."""

from __future__ import annotations

import smtplib

import pytest

from digest import bounces
from digest.bounces import Kind, verp
from private_postfix import NEEDS_POSTFIX, PrivatePostfix, wait_for
from smtp_server import Sink

pytestmark = [pytest.mark.slow, NEEDS_POSTFIX]

SECRET = "5f0c9a7e3b18d2e46a9f1c07b3d58e2a6c4f9b1d07e3a5c8f2b6d4e19a0c7f35"


def test_real_postfix_dsns_name_their_deliveries():
    refusals = [("gone@", "550 5.1.1 <{address}>: Recipient address rejected: User unknown"), ("full@", 452)]
    with Sink() as sink, Sink(fail_rcpt=refusals) as remote:
        transport = f"remote.example smtp:[127.0.0.1]:{remote.port}\nbounce.example smtp:[127.0.0.1]:{sink.port}\n"
        with PrivatePostfix(None, transport) as postfix:
            port = postfix.port
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                for sid, rcpt in ((1001, "gone@remote.example"), (1002, "full@remote.example")):
                    client.sendmail(verp.return_path(SECRET, 42, sid, "bounce.example"), [rcpt],
                                    f"From: The Digest <digest@news.example.com>\r\nTo: {rcpt}\r\n"
                                    f"Subject: EU backs joint borrowing\r\n"
                                    f"Message-ID: <2026-11-25.{sid}.0@news.example.com>\r\n\r\nHello\r\n".encode())
            wait_for(lambda: len(sink.messages) >= 2)
            assert len(sink.messages) == 2, f"Postfix sent {len(sink.messages)} bounces"
            received = list(sink.messages)
    reports = {}
    for rcpts, data in received:
        report = bounces.parse(data, envelope_to=rcpts[0])
        assert bounces.parse(data).token == report.token          # the DSN's own headers carry it too
        reports[bounces.delivery_of(report, SECRET)] = report
    hard, soft = reports[(42, 1001)], reports[(42, 1002)]
    assert hard.kind is Kind.HARD and hard.source == "dsn" and hard.recipients == ("gone@remote.example",)
    assert hard.status == "5.1.1" and hard.action == "failed" and "User unknown" in hard.diagnostic
    assert hard.original_message_id == "<2026-11-25.1001.0@news.example.com>"
    assert soft.kind is Kind.SOFT and soft.recipients == ("full@remote.example",)
    assert soft.status == "4.2.2" and soft.action == "failed"        # given up after one try, still temporary
