"""`digest bounces serve`: the SMTP and LMTP listener the MTA hands the bounce domain to (aiosmtpd).
A face, like web/: it takes what the MTA delivers and calls pipeline.process_bounce, nothing below.

One port speaks both protocols: a client that greets with LHLO gets LMTP (RFC 2033: one reply per
recipient after DATA), one that says EHLO or HELO gets SMTP. A recipient outside the bounce domain
and the unsubscribe mailto's domain is refused (550 5.1.1): this is no open mailbox. A message is
answered 250 only once it is recorded; when it cannot be (the database locked past its timeout, a
full disk), the answer is 451 4.3.0 and the MTA keeps it and tries again later.
May import: config, errors, pipeline.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session, syntax

from .. import pipeline
from ..config import Config

log = logging.getLogger(__name__)
MAX_MESSAGE = 10 * 1024 * 1024       # a DSN carries the original digest (about 25 KB); a complaint, its headers


class _Protocol(SMTP):
    """SMTP that also takes LMTP's LHLO; the session remembers which one the client spoke."""

    @syntax("LHLO hostname")
    async def smtp_LHLO(self, arg: str) -> None:
        assert self.session is not None, "a command comes within a session"
        # lmtp is our own mark on aiosmtpd's Session (which declares no such field), read by the handler
        self.session.lmtp = True  # type: ignore[attr-defined]
        await super().smtp_EHLO(arg)


class _Handler:
    def __init__(self, cfg: Config, db: pipeline.Database, lock: threading.Lock, report: Callable[[str], None]):
        self.cfg, self.db, self.lock, self.report = cfg, db, lock, report
        domains = {cfg.bounce_domain.lower()}
        if cfg.unsubscribe_mailto:
            domains.add(cfg.unsubscribe_mailto.partition("@")[2].partition("?")[0].lower())
        self.domains = domains
        self.received = 0

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if address.rpartition("@")[2].lower() not in self.domains:
            return f"550 5.1.1 <{address}>: not a bounce or unsubscribe address of this newsletter"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        loop = asyncio.get_running_loop()
        replies = []
        for rcpt in envelope.rcpt_tos:
            replies.append(await loop.run_in_executor(None, self._process, data, rcpt))
        if getattr(session, "lmtp", False):
            return "\r\n".join(replies)         # LMTP: one reply per recipient, in order
        return next((r for r in replies if not r.startswith("250")), replies[0] if replies else "250 2.0.0 OK")

    def _process(self, data: bytes, rcpt: str) -> str:
        try:
            with self.lock:         # one SQLite connection: one message at a time
                done = pipeline.process_bounce(self.db, self.cfg, data, envelope_to=rcpt, via="serve")
                self.received += 1
        except Exception as exc:    # noqa: BLE001 -- whatever it was, the MTA keeps the message and retries
            log.debug("could not record a message for %s", rcpt, exc_info=True)
            self.report(f"{rcpt}: could not record it ({type(exc).__name__}: {exc}); answered 451, the MTA "
                        "will try again")
            return "451 4.3.0 could not record the message now; try again later"
        self.report(f"{rcpt}: {done.summary()}")
        return "250 2.0.0 OK recorded"


class BounceListener:
    """`with BounceListener(cfg, host, port) as listener:` runs it in a thread; `stop()` ends it.
    `report` gets one line per message: what was done, or why it was answered 451."""

    def __init__(self, cfg: Config, host: str = "127.0.0.1", port: int = 2525, *,
                 report: Callable[[str], None] = log.info):
        self.cfg, self.host = cfg, host
        self.db = pipeline.open_database(cfg)
        self.handler = _Handler(cfg, self.db, threading.Lock(), report)
        listener = self

        class _Controller(Controller):
            def _trigger_server(self) -> None:
                # Given port 0, the kernel picked one when the server bound: `port` is the one it got.
                assert isinstance(self.server, asyncio.Server), "aiosmtpd serves with loop.create_server"
                self.port = self.server.sockets[0].getsockname()[1]
                super()._trigger_server()

            def factory(self):
                return _Protocol(listener.handler, hostname=cfg.bounce_domain, data_size_limit=MAX_MESSAGE,
                                 enable_SMTPUTF8=True)
        self.controller = _Controller(self.handler, hostname=host, port=port, ready_timeout=10)

    @property
    def port(self) -> int:
        """The port it listens on: the one the kernel gave it, once started, when asked for port 0."""
        return self.controller.port

    def start(self) -> BounceListener:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
        self.db.close()

    def __enter__(self) -> BounceListener:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
