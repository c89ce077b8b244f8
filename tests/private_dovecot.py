"""A private Dovecot IMAP server from Debian's package (dovecot-imapd) for the tests: its own config,
state and mail in a temp dir, listening on 127.0.0.1 only, one user with a plain password. The
system's Dovecot service is never configured or started. Needs root (Dovecot drops privileges to its
own users); tests skip with `NEEDS_DOVECOT` otherwise.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import optional
from digest.servers.demo_smtp import free_port

AVAILABLE = bool(shutil.which("dovecot")) and os.geteuid() == 0
NEEDS_DOVECOT = pytest.mark.skipif(not AVAILABLE, reason=optional("Debian's dovecot-imapd, or root, is missing",
                                                           "polling a real mailbox"))

TRIES = 5      # ports tried before giving up, when another process takes the one picked first

CONF = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/log
protocols = imap
listen = 127.0.0.1
login_greeting = {greeting}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
service submission-login {{
  inet_listener submission {{
    port = 0
  }}
}}
"""


class PrivateDovecot:
    """`with PrivateDovecot(None, user, password) as imap:`: an IMAP server on 127.0.0.1:`imap.port`.

    Dovecot cannot be handed port 0: a free port is picked, and when another process takes it first
    (Dovecot then fails to bind, or another server answers there: each instance greets with its own
    name), it starts again on another one, at most TRIES times."""

    def __init__(self, port: int | None, user: str, password: str):
        self.port, self.user, self.password = port, user, password
        self.asked = port
        self.greeting = f"digest-test-{secrets.token_hex(4)} ready"

    def start(self) -> PrivateDovecot:
        for _ in range(1 if self.asked else TRIES):
            self.port = self.asked or free_port()
            if self._start():
                return self
            self.stop()
        pytest.fail(f"dovecot did not listen on 127.0.0.1:{self.port}"
                    + ("" if self.asked else f" (nor on {TRIES - 1} other free ports before it)"))

    def _start(self) -> bool:
        self.root = Path(tempfile.mkdtemp(prefix="digest-dovecot-"))
        self.root.chmod(0o755)
        for d in ("run", "state", "home"):
            (self.root / d).mkdir()
        shutil.chown(self.root / "home", "dovecot", "dovecot")
        (self.root / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        (self.root / "dovecot.conf").write_text(CONF.format(root=self.root, port=self.port, greeting=self.greeting))
        # The daemon keeps whatever stdout/stderr it was given open: a file, never a pipe we would wait on.
        with open(self.root / "start.log", "w+") as out:
            r = subprocess.run(["dovecot", "-c", str(self.root / "dovecot.conf")], stdout=out,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            if r.returncode:
                out.seek(0)
                said = out.read().strip()
                if "in use" in said:        # another process took the port: try another
                    return False
                pytest.fail(f"dovecot did not start: {said}")
        for _ in range(100):          # until it listens (bounded: 10 s)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                    return self.greeting.encode() in s.recv(1024)    # else another server answers there
            except OSError:
                time.sleep(0.1)
        return False

    def stop(self) -> None:
        subprocess.run(["doveadm", "-c", str(self.root / "dovecot.conf"), "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivateDovecot:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
