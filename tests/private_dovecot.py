"""A private Dovecot IMAP server from Debian's package (dovecot-imapd) for the tests: its own config,
state and mail in a temp dir, listening on 127.0.0.1 only, one user with a plain password. The
system's Dovecot service is never configured or started. Needs root (Dovecot drops privileges to its
own users); tests skip with `NEEDS_DOVECOT` otherwise.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

AVAILABLE = bool(shutil.which("dovecot")) and os.geteuid() == 0
NEEDS_DOVECOT = pytest.mark.skipif(not AVAILABLE, reason="needs Debian's dovecot-imapd and root")

CONF = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/log
protocols = imap
listen = 127.0.0.1
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
    """`with PrivateDovecot(port, user, password) as imap:`: an IMAP server on 127.0.0.1:port."""

    def __init__(self, port: int, user: str, password: str):
        self.port, self.user, self.password = port, user, password
        self.root = Path(tempfile.mkdtemp(prefix="digest-dovecot-"))
        self.root.chmod(0o755)

    def start(self) -> "PrivateDovecot":
        for d in ("run", "state", "home"):
            (self.root / d).mkdir()
        shutil.chown(self.root / "home", "dovecot", "dovecot")
        (self.root / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        (self.root / "dovecot.conf").write_text(CONF.format(root=self.root, port=self.port))
        # The daemon keeps whatever stdout/stderr it was given open: a file, never a pipe we would wait on.
        with open(self.root / "start.log", "w+") as out:
            r = subprocess.run(["dovecot", "-c", str(self.root / "dovecot.conf")], stdout=out,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            if r.returncode:
                out.seek(0)
                pytest.fail(f"dovecot did not start: {out.read().strip()}")
        for _ in range(100):          # until it listens (bounded: 10 s)
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"dovecot did not listen on 127.0.0.1:{self.port}")

    def stop(self) -> None:
        subprocess.run(["doveadm", "-c", str(self.root / "dovecot.conf"), "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "PrivateDovecot":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
