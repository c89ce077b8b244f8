"""A private Postfix from Debian's package for the tests: its own config, queue and data folders in a
temp dir, listening on 127.0.0.1 only, with the transport map each test gives; nothing leaves the
machine (every domain a test does not route goes to `default_transport`, `discard` unless told).
The system's Postfix service is never configured or started. Needs root (Postfix's daemons drop to
the postfix user); tests skip with `NEEDS_POSTFIX` otherwise.
"""

from __future__ import annotations

import os
import secrets
import shutil
import smtplib
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import optional
from digest.servers.demo_smtp import free_port

AVAILABLE = bool(shutil.which("postfix")) and os.geteuid() == 0 and Path("/etc/postfix/master.cf").exists()
NEEDS_POSTFIX = pytest.mark.skipif(not AVAILABLE, reason=optional("Debian's postfix, or root, is missing",
                                                           "relaying through a real MTA"))


TRIES = 5      # ports tried before giving up, when another process takes the one picked first


class PrivatePostfix:
    """`with PrivatePostfix(None, transport="a.example smtp:[127.0.0.1]:2526\\n") as pf:` on `pf.port`.

    Postfix cannot be handed port 0, so a free port is picked, and if another process takes it first
    (Postfix's smtpd then cannot bind it, or someone else answers there), Postfix is started again on
    another one, at most TRIES times. Which server answers is told by the banner: each instance has
    its own host name."""

    def __init__(self, port: int | None, transport: str, *, default_transport: str = "discard"):
        self.port, self.transport, self.default_transport = port, transport, default_transport
        self.asked = port
        self.said = ""
        self.name = f"relay-{secrets.token_hex(4)}.test.localdomain"

    def start(self) -> PrivatePostfix:
        for _ in range(1 if self.asked else TRIES):
            self.port = self.asked or free_port()
            if self._start():
                return self
            self.stop()
        pytest.fail(f"postfix did not listen on 127.0.0.1:{self.port}"
                    + ("" if self.asked else f" (nor on {TRIES - 1} other free ports before it)")
                    + (f"; {self.said}" if self.said else ""))

    def _start(self) -> bool:
        self.root = Path(tempfile.mkdtemp(prefix="digest-postfix-"))
        self.root.chmod(0o755)       # the postfix user must reach its queue (pytest's tmp_path is 0700)
        self.conf = self.root / "conf"
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
myhostname = {self.name}
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
        if r.returncode:         # its master cannot bind a port someone took (it says so only in syslog)
            self.said = f"postfix start exited {r.returncode}: {(r.stderr or r.stdout).strip()}"
            return False
        for _ in range(100):              # until smtpd listens (bounded: 10 s)
            try:
                client = smtplib.SMTP(timeout=10)
                _, banner = client.connect("127.0.0.1", self.port)
                client.quit()
                return self.name.encode() in banner      # else another server took the port first
            except (OSError, smtplib.SMTPException):
                time.sleep(0.1)
        return False

    def stop(self) -> None:
        subprocess.run(["postfix", "-c", str(self.conf), "stop"], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivatePostfix:
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
