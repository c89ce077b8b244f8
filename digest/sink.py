"""A real SMTP server on 127.0.0.1 (aiosmtpd) that writes what it receives as .eml files.

The demo uses it when no relay is configured; the tests use it as the receiving end. It can
refuse the sender, greylist, refuse or tempfail recipients that match a pattern, and drop the
connection, to exercise the sender's error paths.
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

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        for n, (pattern, reply, *times) in enumerate(self.sink.fail_mail):
            if re.search(pattern, address) and self.sink._count(("mail", n), times):
                return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.sink._lock:
            self.sink.attempts[address] = self.sink.attempts.get(address, 0) + 1
            first = self.sink.attempts[address] == 1
        if self.sink._fires("drop", "rcpt", address):
            server.transport.abort()           # the connection drops before DATA
            return "421 4.4.2 dropped by rule"
        if first and self.sink.greylist and re.search(self.sink.greylist, address):
            return f"451 4.7.1 <{address}>: Recipient greylisted, try again in a moment"
        for n, (pattern, code, *times) in enumerate(self.sink.fail_rcpt):
            if re.search(pattern, address) and self.sink._count(("rcpt", n), times):
                if isinstance(code, str):      # a whole reply, e.g. Postfix's "554 5.7.1 ...: Relay access denied"
                    return code.replace("{address}", address)
                text = {421: "4.7.0 too many connections, slow down", 451: "4.7.1 rate limited, try later",
                        452: "4.2.2 mailbox full", 454: "4.7.0 temporary failure, slow down"}.get(
                    code, "5.1.1 user unknown" if code >= 500 else "4.3.0 try again later")
                return f"{code} {text} <{address}>"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        for n, (pattern, code, *times) in enumerate(self.sink.fail_data):
            if re.search(pattern.encode(), data) and self.sink._count(("data", n), times):
                return f"{code} {'5' if code >= 500 else '4'}.3.0 refused by rule"
        rcpt = envelope.rcpt_tos[0] if envelope.rcpt_tos else ""
        if self.sink._fires("drop", "lost", rcpt):
            server.transport.abort()           # after the final dot, nothing kept, no reply
            return "451 4.3.0 dropped by rule"
        self.sink.store(envelope.mail_from, list(envelope.rcpt_tos), data)
        if self.sink._fires("drop", "data", rcpt):
            server.transport.abort()           # after the final dot, message kept, the reply never sent
        return "250 OK queued"


class Sink:
    """`with Sink(folder) as sink:` runs the server; `sink.port`, `sink.messages` (list of (rcpts, bytes))."""

    def __init__(self, folder: str | Path | None = None, *, port: int | None = None,
                 fail_rcpt: list[tuple] = (), fail_data: list[tuple] = (), drop: list[tuple[str, str, int]] = (),
                 fail_mail: list[tuple] = (), greylist: str | None = None):
        self.folder = Path(folder) if folder else None
        self.port = port or free_port()
        self.fail_rcpt = list(fail_rcpt)      # (regex, code) or (regex, code, times): then the address passes
        self.fail_mail = list(fail_mail)      # (regex on the sender, whole reply[, times]): refuse MAIL FROM
        self.greylist = greylist              # regex: the first RCPT TO of each matching address gets a 451
        self.fail_data = list(fail_data)
        # (regex, stage, times) drops the connection: stage "rcpt" before DATA, "data" after the final
        # dot with the message kept and no reply, "lost" after the final dot with nothing kept.
        self.drop = list(drop)
        self.attempts: dict[str, int] = {}    # RCPT TO tries per address
        self._fired: dict = {}
        self.messages: list[tuple[list[str], bytes]] = []
        self._lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                      decode_data=False, ready_timeout=10)

    def _count(self, key, times: list) -> bool:
        """True if a rule fires this time: always without `times`, else its first `times` matches."""
        if not times:
            return True
        with self._lock:
            self._fired[key] = self._fired.get(key, 0) + 1
            return self._fired[key] <= times[0]

    def _fires(self, kind: str, stage: str, address: str) -> bool:
        return any(st == stage and re.search(pattern, address) and self._count((kind, n), [times])
                   for n, (pattern, st, times) in enumerate(self.drop))

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
