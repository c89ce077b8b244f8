"""A private Postfix from Debian's package for the tests: its own config, queue and data folders in a
temp dir, listening on 127.0.0.1 only, with the transport map each test gives; nothing leaves the
machine (every domain a test does not route goes to `default_transport`, `discard` unless told).
The system's Postfix service is never configured or started. Needs root (Postfix's daemons drop to
the postfix user); tests skip with `NEEDS_POSTFIX` otherwise.
"""

from __future__ import annotations

import os
import shutil
import smtplib
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

AVAILABLE = bool(shutil.which("postfix")) and os.geteuid() == 0 and Path("/etc/postfix/master.cf").exists()
NEEDS_POSTFIX = pytest.mark.skipif(not AVAILABLE, reason="needs Debian's postfix and root")


class PrivatePostfix:
    """`with PrivatePostfix(port, transport="a.example smtp:[127.0.0.1]:2526\\n") as pf:`."""

    def __init__(self, port: int, transport: str, *, default_transport: str = "discard"):
        self.port, self.transport, self.default_transport = port, transport, default_transport
        self.root = Path(tempfile.mkdtemp(prefix="digest-postfix-"))
        self.root.chmod(0o755)       # the postfix user must reach its queue (pytest's tmp_path is 0700)
        self.conf = self.root / "conf"

    def start(self) -> "PrivatePostfix":
        conf, queue, data = self.conf, self.root / "queue", self.root / "data"
        for d in (conf, queue, data):
            d.mkdir(parents=True)
        shutil.chown(data, "postfix")
        (conf / "transport").write_text(self.transport)
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
default_transport = {self.default_transport}
local_transport = discard
alias_maps =
alias_database =
smtp_tls_security_level = none
lmtp_tls_security_level = none
# One try: a temporary failure bounces at once (Action: failed, Status: 4.x.x) instead of days later.
maximal_queue_lifetime = 0
bounce_queue_lifetime = 0
smtpd_relay_restrictions = permit_mynetworks, reject
# Accept, then bounce: a domain routed to the `error` transport is refused at RCPT TO unless this is off,
# and the test wants the DSN a real relay sends after it took the message.
smtpd_reject_unlisted_recipient = no
""")
        master = []
        for line in Path("/etc/postfix/master.cf").read_text().splitlines():
            master.append(f"127.0.0.1:{self.port} inet n - n - - smtpd"
                          if line.startswith("smtp ") and " inet " in line else line)
        (conf / "master.cf").write_text("\n".join(master) + "\n")
        subprocess.run(["postconf", "-c", str(conf), "-F", "*/*/chroot = n"], check=True, capture_output=True)
        r = subprocess.run(["postfix", "-c", str(conf), "start"], capture_output=True, text=True)
        if r.returncode:
            pytest.fail(f"postfix did not start: {r.stderr or r.stdout or r.returncode}")
        for _ in range(100):              # until smtpd listens (bounded: 10 s)
            try:
                smtplib.SMTP("127.0.0.1", self.port, timeout=10).quit()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"postfix did not listen on 127.0.0.1:{self.port}")

    def stop(self) -> None:
        subprocess.run(["postfix", "-c", str(self.conf), "stop"], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "PrivatePostfix":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def wait_for(predicate, seconds: float = 30.0) -> bool:
    """Poll until `predicate()` is true (Postfix bounces within seconds); bounded."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()
