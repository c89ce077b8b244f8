"""The demo's own mail server: a real SMTP server on 127.0.0.1 (aiosmtpd) that accepts every
message and writes it as an .eml file, so `digest demo` sends for real with no relay configured.
May import: nothing from digest.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import socket
import threading
from pathlib import Path

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A port that was free a moment ago. Racy (another process may take it before it is used): only
    for servers in another process that cannot bind port 0 themselves; in-process servers bind 0."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PortZeroController(Controller):
    """aiosmtpd's Controller, which may be given port 0: the kernel picks a free port when the server
    binds, and `port` is the one it got, read before the controller's own first connection to it.
    No port is ever chosen first and bound later, so no other process can take it in between."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server), "aiosmtpd serves with loop.create_server"
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class Handler:
    """Accepts every sender, recipient and message; a subclass may refuse some (tests/smtp_server.py)."""

    def __init__(self, server: DemoServer):
        self.server = server

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.server.store(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content)
        return "250 OK queued"


class DemoServer:
    """`with DemoServer(folder) as server:` runs it; `server.url`, `server.messages` (list of (rcpts, bytes)),
    `server.senders` (each message's MAIL FROM, in the same order)."""

    handler = Handler

    def __init__(self, folder: str | Path | None = None, *, port: int | None = None):
        self.folder = Path(folder) if folder else None
        self._port = port or 0
        self.messages: list[tuple[list[str], bytes]] = []
        self.senders: list[str] = []
        self._lock = threading.Lock()
        self._controller = PortZeroController(self.handler(self), hostname="127.0.0.1", port=self._port,
                                              decode_data=False, ready_timeout=10)

    def store(self, mail_from: str, rcpts: list[str], data: bytes) -> None:
        with self._lock:
            self.messages.append((rcpts, data))
            self.senders.append(mail_from)
            n = len(self.messages)
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Named by recipient and Message-ID: a re-sent message would overwrite, never sit beside, its twin.
            safe = re.sub(r"[^A-Za-z0-9@._-]+", "_", rcpts[0] if rcpts else "unknown")
            mid = re.search(rb"^Message-ID:\s*(\S+)", data, re.I | re.M)
            tag = hashlib.sha1(mid.group(1) if mid else str(n).encode()).hexdigest()[:8]
            # As a delivering MTA does, the envelope sender goes on top: the VERP return path a bounce goes to.
            (self.folder / f"{safe}-{tag}.eml").write_bytes(b"Return-Path: <%s>\r\n" % mail_from.encode() + data)

    @property
    def port(self) -> int:
        """The port it listens on (the one the kernel gave it, once started, if none was asked for)."""
        return self._controller.port

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> DemoServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
