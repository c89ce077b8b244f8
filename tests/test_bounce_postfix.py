"""DSNs written by a real MTA, not by us: a private Postfix relays our messages to a receiving server
on 127.0.0.1 that refuses one recipient (550 5.1.1) and finds another's mailbox full (452 4.2.2);
Postfix, told to try once, sends each bounce to that message's VERP return path, which reaches a
second server on 127.0.0.1. The parser reads each DSN to its delivery, class and recipient.

Needs Debian's postfix and root (Postfix's daemons drop to the postfix user); skipped otherwise.
The intake wiring (`digest bounces serve`) is tested end to end once it exists; this test pins the
parser to what Postfix really writes."""

from __future__ import annotations

import os
import shutil
import smtplib
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from digest import bounces
from digest.bounces import Kind, verp
from smtp_server import Sink, free_port

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not (shutil.which("postfix") and os.geteuid() == 0 and Path("/etc/postfix/master.cf").exists()),
    reason="needs Debian's postfix and root")]

SECRET = "5f0c9a7e3b18d2e46a9f1c07b3d58e2a6c4f9b1d07e3a5c8f2b6d4e19a0c7f35"


def start_postfix(folder: Path, port: int, remote_port: int, sink_port: int) -> Path:
    """A private Postfix on 127.0.0.1:port: mail to remote.example goes to the receiving server, bounces
    to bounce.example go to the sink, everything else is discarded; nothing leaves the machine."""
    conf, queue, data = folder / "conf", folder / "queue", folder / "data"
    for d in (conf, queue, data):
        d.mkdir(parents=True)
    shutil.chown(data, "postfix")
    (conf / "transport").write_text(f"remote.example smtp:[127.0.0.1]:{remote_port}\n"
                                    f"bounce.example smtp:[127.0.0.1]:{sink_port}\n")
    (conf / "main.cf").write_text(f"""
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = relay.test.localdomain
mydestination =
mynetworks = 127.0.0.0/8
relayhost =
transport_maps = texthash:{conf}/transport
default_transport = discard
local_transport = discard
alias_maps =
alias_database =
smtp_tls_security_level = none
# One try: a temporary failure bounces at once (Action: failed, Status: 4.x.x) instead of days later.
maximal_queue_lifetime = 0
bounce_queue_lifetime = 0
smtpd_relay_restrictions = permit_mynetworks, reject
""")
    master = []
    for line in Path("/etc/postfix/master.cf").read_text().splitlines():
        master.append(f"127.0.0.1:{port} inet n - n - - smtpd" if line.startswith("smtp ") and " inet " in line
                      else line)
    (conf / "master.cf").write_text("\n".join(master) + "\n")
    subprocess.run(["postconf", "-c", str(conf), "-F", "*/*/chroot = n"], check=True, capture_output=True)
    r = subprocess.run(["postfix", "-c", str(conf), "start"], capture_output=True, text=True)
    if r.returncode:
        pytest.fail(f"postfix did not start: {r.stderr or r.stdout or r.returncode}")
    return conf


@pytest.fixture
def postfix_dir():
    """A folder the postfix user can reach (pytest's tmp_path sits under a 0700 folder)."""
    folder = Path(tempfile.mkdtemp(prefix="digest-postfix-"))
    folder.chmod(0o755)
    yield folder / "postfix"
    shutil.rmtree(folder, ignore_errors=True)


def test_real_postfix_dsns_name_their_deliveries(postfix_dir):
    sink_port, remote_port, port = free_port(), free_port(), free_port()
    refusals = [("gone@", "550 5.1.1 <{address}>: Recipient address rejected: User unknown"), ("full@", 452)]
    with Sink(port=sink_port) as sink, Sink(port=remote_port, fail_rcpt=refusals):
        conf = start_postfix(postfix_dir, port, remote_port, sink_port)
        try:
            for _ in range(100):              # until smtpd listens (bounded)
                try:
                    client = smtplib.SMTP("127.0.0.1", port, timeout=10)
                    break
                except OSError:
                    time.sleep(0.1)
            with client:
                for sid, rcpt in ((1001, "gone@remote.example"), (1002, "full@remote.example")):
                    client.sendmail(verp.return_path(SECRET, 42, sid, "bounce.example"), [rcpt],
                                    f"From: The Digest <digest@news.example.com>\r\nTo: {rcpt}\r\n"
                                    f"Subject: EU backs joint borrowing\r\n"
                                    f"Message-ID: <2026-11-25.{sid}.0@news.example.com>\r\n\r\nHello\r\n".encode())
            for _ in range(300):              # Postfix bounces within seconds; wait at most 30 s
                if len(sink.messages) >= 2:
                    break
                time.sleep(0.1)
        finally:
            subprocess.run(["postfix", "-c", str(conf), "stop"], capture_output=True)
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
