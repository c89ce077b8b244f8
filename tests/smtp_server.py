"""The receiving end of the integration tests: the demo's real SMTP server on 127.0.0.1
(digest.servers.demo_smtp) with fault rules, to exercise the sender's error paths. It can refuse the
sender, greylist, refuse or tempfail recipients that match a pattern, refuse a message's content,
drop the connection before DATA or after the final dot, die mid-send (after its Nth message it stops
listening and drops every connection, the Nth's reply unsent, as a relay that crashes does), and hang
(after its Nth message it keeps every message it is given and never answers the final dot again).
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult

from digest.servers.demo_smtp import DemoServer, Handler, PortZeroController


class _FaultyHandler(Handler):
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.server.sessions.add(server)
        self.server.count_connections()
        session.host_name = hostname
        if self.server.dead:                   # connected just before it died
            server.transport.abort()
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        sink = self.server
        for n, (pattern, reply, *times) in enumerate(sink.fail_mail):
            if re.search(pattern, address) and sink._count(("mail", n), times):
                return reply
        return await super().handle_MAIL(server, session, envelope, address, mail_options)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        sink = self.server
        with sink._lock:
            sink.attempts[address] = sink.attempts.get(address, 0) + 1
            first = sink.attempts[address] == 1
        if sink._fires("drop", "rcpt", address):
            server.transport.abort()           # the connection drops before DATA
            return "421 4.4.2 dropped by rule"
        if first and sink.greylist and re.search(sink.greylist, address):
            return f"451 4.7.1 <{address}>: Recipient greylisted, try again in a moment"
        for n, (pattern, code, *times) in enumerate(sink.fail_rcpt):
            if re.search(pattern, address) and sink._count(("rcpt", n), times):
                if isinstance(code, str):      # a whole reply, e.g. Postfix's "554 5.7.1 ...: Relay access denied"
                    return code.replace("{address}", address)
                text = {421: "4.7.0 too many connections, slow down", 451: "4.7.1 rate limited, try later",
                        452: "4.2.2 mailbox full", 454: "4.7.0 temporary failure, slow down"}.get(
                    code, "5.1.1 user unknown" if code >= 500 else "4.3.0 try again later")
                return f"{code} {text} <{address}>"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope):
        sink = self.server
        data = envelope.original_content or envelope.content
        for n, (pattern, code, *times) in enumerate(sink.fail_data):
            if re.search(pattern.encode(), data) and sink._count(("data", n), times):
                return f"{code} {'5' if code >= 500 else '4'}.3.0 refused by rule"
        rcpt = envelope.rcpt_tos[0] if envelope.rcpt_tos else ""
        if sink.dead:
            server.transport.abort()
            return "451 4.3.0 the server died"
        if sink._fires("drop", "lost", rcpt):
            server.transport.abort()           # after the final dot, nothing kept, no reply
            return "451 4.3.0 dropped by rule"
        sink.count_connections()
        sink.store(envelope.mail_from, list(envelope.rcpt_tos), data)
        if sink.hang_after is not None and len(sink.messages) > sink.hang_after:
            await asyncio.sleep(3600)          # kept, never answered: the client's timeout ends it
        if sink.die_after is not None and len(sink.messages) >= sink.die_after:
            sink.die()                         # this message kept, its reply never sent; nobody else served
            return "451 4.3.0 the server died"
        if sink._fires("drop", "data", rcpt):
            server.transport.abort()           # after the final dot, message kept, the reply never sent
        return "250 OK queued"


class Sink(DemoServer):
    """`with Sink(folder, fail_rcpt=[...]) as sink:`; `sink.messages`, `sink.attempts` (RCPT TO tries per
    address), `sink.peak` (connections open at once, at most), `sink.times` (when each message came)."""

    handler = _FaultyHandler

    def __init__(self, folder=None, *, port: int | None = None, fail_rcpt: list[tuple] = (),
                 fail_data: list[tuple] = (), drop: list[tuple[str, str, int]] = (), fail_mail: list[tuple] = (),
                 greylist: str | None = None, die_after: int | None = None, hang_after: int | None = None,
                 login: tuple[str, str] | None = None):
        self.fail_rcpt = list(fail_rcpt)      # (regex, code) or (regex, code, times): then the address passes
        self.fail_mail = list(fail_mail)      # (regex on the sender, whole reply[, times]): refuse MAIL FROM
        self.greylist = greylist              # regex: the first RCPT TO of each matching address gets a 451
        self.fail_data = list(fail_data)
        # (regex, stage, times) drops the connection: stage "rcpt" before DATA, "data" after the final
        # dot with the message kept and no reply, "lost" after the final dot with nothing kept.
        self.drop = list(drop)
        self.attempts: dict[str, int] = {}
        self.die_after = die_after            # messages kept before the server dies (see die)
        self.hang_after = hang_after          # messages answered before it stops answering the final dot
        self.sessions: set = set()            # the SMTP sessions seen, to drop them all when it dies
        self.dead = False
        self.peak = 0                         # the most connections open at once (seen at each EHLO and DATA)
        self.times: list[float] = []          # when each message was kept (time.monotonic), in order
        self._fired: dict = {}
        super().__init__(folder, port=port)
        if login:       # AUTH PLAIN/LOGIN required (over plain TCP: it is 127.0.0.1), with this user and password
            def check(server, session, envelope, mechanism, data):
                return AuthResult(success=(data.login.decode(), data.password.decode()) == login, handled=False)
            self._controller = PortZeroController(self.handler(self), hostname="127.0.0.1", port=self._port,
                                                  decode_data=False, ready_timeout=10, authenticator=check,
                                                  auth_required=True, auth_require_tls=False)

    def count_connections(self) -> None:
        """In the server's loop: how many connections are open now (a closed one's transport is None)."""
        self.peak = max(self.peak, sum(1 for session in self.sessions if session.transport is not None))

    def store(self, mail_from: str, rcpts: list[str], data: bytes) -> None:
        with self._lock:
            self.times.append(time.monotonic())
        super().store(mail_from, rcpts, data)

    def die(self) -> None:
        """In the server's loop: stop listening (a new connection is refused) and drop every connection."""
        self.dead = True
        self._controller.server.close()
        for session in list(self.sessions):
            if session.transport is not None:
                session.transport.abort()

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


class ClosedPort:
    """`with ClosedPort() as port:` a port on 127.0.0.1 that refuses every connection for as long as the
    block runs: bound (so no other process can take it) but never listening. For "the relay is down"."""

    def __enter__(self) -> int:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        return self._sock.getsockname()[1]

    def __exit__(self, *exc) -> None:
        self._sock.close()


def announced_port(log: Path, proc, pattern: str = r"127\.0\.0\.1:(\d+)", seconds: float = 60) -> int:
    """The port a server started with `--port 0` names in its first line, read from the file its output
    goes to (waiting for start-up only, bounded; nothing here is timed). Fails with its output if it exits."""
    deadline = time.monotonic() + seconds
    while True:
        found = re.search(pattern, log.read_text(errors="replace")) if log.exists() else None
        if found:
            return int(found.group(1))
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the server did not say where it listens (exit {proc.poll()}):\n{log.read_text()}")
        time.sleep(0.05)
