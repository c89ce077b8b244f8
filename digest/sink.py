"""A real SMTP server on 127.0.0.1 (aiosmtpd) that writes what it receives as .eml files.

The demo uses it when no relay is configured; the tests use it as the receiving end. It can
refuse or tempfail recipients that match a pattern, to exercise the sender's error paths.
May import: nothing from digest.
"""

from __future__ import annotations

import hashlib
import re
import socket
import threading
from pathlib import Path

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, sink: "Sink"):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        for pattern, code in self.sink.fail_rcpt:
            if re.search(pattern, address):
                text = "5.1.1 user unknown" if code >= 500 else "4.3.0 try again later"
                return f"{code} {text} <{address}>"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        for pattern, code in self.sink.fail_data:
            if re.search(pattern.encode(), data):
                return f"{code} 4.3.0 refused by rule"
        self.sink.store(envelope.mail_from, list(envelope.rcpt_tos), data)
        return "250 OK queued"


class Sink:
    """`with Sink(folder) as sink:` runs the server; `sink.port`, `sink.messages` (list of (rcpts, bytes))."""

    def __init__(self, folder: str | Path | None = None, *, port: int | None = None,
                 fail_rcpt: list[tuple[str, int]] = (), fail_data: list[tuple[str, int]] = ()):
        self.folder = Path(folder) if folder else None
        self.port = port or free_port()
        self.fail_rcpt = list(fail_rcpt)
        self.fail_data = list(fail_data)
        self.messages: list[tuple[list[str], bytes]] = []
        self._lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                      decode_data=False, ready_timeout=10)

    def store(self, mail_from: str, rcpts: list[str], data: bytes) -> None:
        with self._lock:
            self.messages.append((rcpts, data))
            n = len(self.messages)
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Named by recipient and Message-ID: a re-sent message would overwrite, never sit beside, its twin.
            safe = re.sub(r"[^A-Za-z0-9@._-]+", "_", rcpts[0] if rcpts else "unknown")
            mid = re.search(rb"^Message-ID:\s*(\S+)", data, re.I | re.M)
            tag = hashlib.sha1(mid.group(1) if mid else str(n).encode()).hexdigest()[:8]
            (self.folder / f"{safe}-{tag}.eml").write_bytes(data)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> "Sink":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> "Sink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
