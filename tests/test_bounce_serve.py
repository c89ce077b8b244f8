"""`digest bounces serve`, the listener the MTA hands the bounce domain to, run as the real command
on 127.0.0.1 and spoken to over SMTP and LMTP: a bounce for a sent delivery suppresses its
subscriber, a mailto unsubscribe unsubscribes, a message that cannot be recorded is answered 451
(the MTA keeps it) and is recorded once when it comes again. And the whole loop with a real MTA:
a private Postfix relays an edition, bounces one address with its `error` transport, and hands the
DSN to `digest bounces serve` over LMTP; the next edition skips that subscriber."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import time

import pytest
import time_machine

from conftest import parse
from digest.clock import now
from private_postfix import NEEDS_POSTFIX, PrivatePostfix, wait_for
from smtp_server import Sink, announced_port


@pytest.fixture
def listener(tmp_path):
    """`digest bounces serve` in its own process, on a free port; stopped with SIGTERM (exit 0)."""
    started = []

    def start(**env) -> int:
        log = tmp_path / f"bounces-serve-{len(started)}.log"
        proc = subprocess.Popen([sys.executable, "-m", "digest", "bounces", "serve", "--port", "0"],
                                env={**os.environ, **env}, cwd=tmp_path, stdout=subprocess.DEVNULL,
                                stderr=log.open("w"), text=True)
        started.append((proc, log))
        port = announced_port(log, proc, r"on 127\.0\.0\.1:(\d+)")
        for _ in range(200):          # until it listens (bounded: 20 s)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return port
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"bounces serve exited: {log.read_text()}")
                time.sleep(0.1)
        pytest.fail("bounces serve did not listen")
    yield start
    for proc, log in started:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        err = log.read_text()
        assert proc.returncode == 0, err
        assert "Traceback" not in err, err


def dsn(return_path: str, rcpt: str, status: str = "5.1.1", n: int = 1) -> bytes:
    """A delivery status notification as Postfix writes one, to a return path, about one recipient."""
    action = "failed"
    return (f"From: MAILER-DAEMON@relay.example.net (Mail Delivery System)\r\nTo: {return_path}\r\n"
            f"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn.{n}.{rcpt}@relay.example.net>\r\n"
            "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
            "--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you...\r\n\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay.example.net\r\n\r\n"
            f"Final-Recipient: rfc822; {rcpt}\r\nAction: {action}\r\nStatus: {status}\r\n"
            f"Diagnostic-Code: smtp; 550 {status} <{rcpt}>: User unknown\r\n\r\n--B--\r\n").encode()


def statuses(run) -> dict[str, str]:
    return {s["email"]: s["status"] for s in json.loads(run("subscribers", "list", "--json").stdout)}


@pytest.fixture
def sent(run, seeded, smtp_env, monkeypatch):
    """An edition sent to the sample list: {address: (return path, the message as received)}."""
    monkeypatch.setenv("DIGEST_UNSUBSCRIBE_MAILTO", "mailto:unsubscribe@news.example.com?subject=unsubscribe")
    assert run("send", "--yes").exit_code == 0
    return {rcpts[0]: (mail_from, data) for (rcpts, data), mail_from in zip(smtp_env.messages, smtp_env.senders)}


def test_a_bounce_over_smtp_suppresses_and_a_mailto_unsubscribes(run, sent, listener):
    port = listener()
    (gone, (rp, _)), (leaving, (_, data)) = list(sent.items())[:2]
    mailto = " ".join(str(parse(data)["List-Unsubscribe"]).split()).split(", ")[1].strip("<>")
    unsubscribe_to = mailto[len("mailto:"):].partition("?")[0]
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("", [rp], dsn(rp, gone))
        # The reader's mail client writes to the mailto of their own message.
        client.sendmail(leaving, [unsubscribe_to], f"From: {leaving}\r\nTo: {unsubscribe_to}\r\nSubject: unsubscribe"
                        f"\r\nMessage-ID: <u1@client.example>\r\n\r\nunsubscribe\r\n".encode())
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:    # no open mailbox
            client.sendmail("", ["someone@elsewhere.example"], b"Subject: x\r\n\r\nx\r\n")
        assert refused.value.recipients["someone@elsewhere.example"][0] == 550
    s = statuses(run)
    assert s[gone] == "bounced" and s[leaving] == "unsubscribed"
    assert sum(st == "active" for st in s.values()) == len(s) - 2
    listed = json.loads(run("bounces", "list", "--json").stdout)
    assert {(b["subscriber"], b["kind"], b["via"]) for b in listed} == {(gone, "hard", "serve"),
                                                                        (leaving, "unsubscribe", "serve")}


def lmtp(port: int, mail_from: str, rcpts: list[str], data: bytes) -> list[str]:
    """One LMTP transaction by hand (smtplib.LMTP reads one reply for many recipients); the replies after DATA."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        f = sock.makefile("rb")

        def reply() -> str:
            lines = [f.readline().decode()]
            while lines[-1][3:4] == "-":
                lines.append(f.readline().decode())
            return lines[-1].strip()
        reply()
        for line in [b"LHLO test.example", f"MAIL FROM:<{mail_from}>".encode(),
                     *[f"RCPT TO:<{r}>".encode() for r in rcpts], b"DATA"]:
            sock.sendall(line + b"\r\n")
            assert reply()[0] in "23", line
        sock.sendall(data.replace(b"\r\n.", b"\r\n..") + b".\r\n")
        out = [reply() for _ in rcpts]
        sock.sendall(b"QUIT\r\n")
        return out


def test_lmtp_answers_each_recipient_and_451_when_it_cannot_record(run, sent, listener):
    port = listener(DIGEST_LOCK_TIMEOUT="0.5")
    (a, (rp_a, _)), (b, (rp_b, _)) = list(sent.items())[:2]
    # The database is locked by someone else past the lock timeout: 451, and nothing is recorded.
    hold = sqlite3.connect(os.environ["DIGEST_DB"], isolation_level=None)
    hold.execute("BEGIN EXCLUSIVE")
    try:
        assert [r[:3] for r in lmtp(port, "", [rp_a], dsn(rp_a, a))] == ["451"]
    finally:
        hold.execute("ROLLBACK")
        hold.close()
    assert statuses(run)[a] == "active"
    # The MTA tries again: now it is recorded, and the same DSN a second time changes nothing.
    assert [r[:3] for r in lmtp(port, "", [rp_a], dsn(rp_a, a))] == ["250"]
    assert [r[:3] for r in lmtp(port, "", [rp_a, rp_b], dsn(rp_a, a))] == ["250", "250"]
    assert statuses(run)[a] == "bounced" and statuses(run)[b] == "active"
    assert len(json.loads(run("bounces", "list", "--json").stdout)) == 1


def add_story(run, tmp_path, title: str) -> None:
    f = tmp_path / f"{title[:8]}.jsonl"
    f.write_text(json.dumps({"title": title, "labels": ["Europe", "World", "Politics"],
                             "body": f"{title}. Officials confirmed the news on Tuesday. More is expected."}) + "\n")
    assert run("articles", "ingest", f).exit_code == 0


@pytest.mark.slow
@NEEDS_POSTFIX
def test_a_real_postfix_bounce_reaches_bounces_serve_and_the_next_edition_skips_it(run, seeded, listener, tmp_path,
                                                                                    monkeypatch):
    """Postfix accepts every message; mail to nowhere.example is bounced by its `error` transport, which
    writes a real DSN to the VERP return path; bounce.example is routed over LMTP to `digest bounces
    serve`; everything else goes to a receiving server on 127.0.0.1."""
    assert run("subscribers", "add", "gone@nowhere.example", "--topic", "Europe", "--topic", "World").exit_code == 0
    monkeypatch.setenv("DIGEST_BOUNCE_DOMAIN", "bounce.example")
    serve_port = listener()
    transport = f"nowhere.example error:5.1.1 mailbox unavailable\nbounce.example lmtp:[127.0.0.1]:{serve_port}\n"
    with Sink() as sink, PrivatePostfix(None, transport, default_transport=f"smtp:[127.0.0.1]:{sink.port}") as pf:
        monkeypatch.setenv("DIGEST_SMTP_URL", f"smtp://127.0.0.1:{pf.port}")
        r = run("send", "--yes")
        assert r.exit_code == 0, r
        daily = {s["email"] for s in json.loads(run("subscribers", "list", "--status", "active", "--json").stdout)
                 if s["frequency"] == "daily"}
        others = daily - {"gone@nowhere.example"}
        assert wait_for(lambda: statuses(run)["gone@nowhere.example"] == "bounced"), "the DSN never came back"
        assert wait_for(lambda: len(sink.messages) >= len(others))
        assert sorted(rcpts[0] for rcpts, _ in sink.messages) == sorted(others)     # theirs, once each
        bounce, = json.loads(run("bounces", "list", "--json").stdout)
        assert (bounce["subscriber"], bounce["kind"], bounce["status"], bounce["via"]) == (
            "gone@nowhere.example", "hard", "5.1.1", "serve")
        assert bounce["edition"] and bounce["action"] == "suppressed (bounced)"
        with time_machine.travel(now() + dt.timedelta(days=1), tick=True):
            add_story(run, tmp_path, "Harbour Bridge Reopens After Repairs")
            assert run("send", "--yes").exit_code == 0
            second = json.loads(run("deliveries", "list", "--json").stdout)
        assert wait_for(lambda: len(sink.messages) >= 2 * len(others))
    newest = {d["email"] for d in second if d["edition"] != bounce["edition"]}
    assert newest == others and "gone@nowhere.example" not in newest       # skipped by the next edition
    assert sorted(rcpts[0] for rcpts, _ in sink.messages) == sorted(list(others) * 2)     # nobody twice
