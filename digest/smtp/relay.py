"""One reused SMTP connection to the relay. `Relay.send()` never raises for a per-message refusal:
it returns an Outcome with the relay's reply, so the record stage can write it down. Only a relay
that cannot be reached or refuses us as a whole at connection time raises RelayError.
May import: config (the SMTP URL's settings), errors, and .replies.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable

from ..config import SmtpSettings
from ..errors import RelayError
from .replies import Outcome, outcome_of, reply_text


class Abort(Exception):
    """Raised by an `in_flight` hook: do not send the final dot (the message is dropped unsent)."""


class Relay:
    def __init__(self, settings: SmtpSettings, *, local_hostname: str | None = None):
        self.settings = settings
        self.local_hostname = local_hostname
        self.smtp: smtplib.SMTP | None = None

    @property
    def name(self) -> str:
        """The [[relay]] name, or host:port for the one relay of DIGEST_SMTP_URL."""
        return self.settings.relay or self.settings.name

    def open(self) -> Relay:
        s = self.settings
        smtp: smtplib.SMTP
        try:
            if s.ssl:
                smtp = smtplib.SMTP_SSL(s.host, s.port, local_hostname=self.local_hostname, timeout=s.timeout,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, local_hostname=self.local_hostname, timeout=s.timeout)
            smtp.ehlo()
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.user:
                smtp.login(s.user, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise RelayError(f"SMTP relay {s.label} refused the login for {s.user}: {exc.smtp_code} "
                             f"{reply_text(exc.smtp_error)}", f"Check the user and password in {s.env}.") from None
        except smtplib.SMTPNotSupportedError:
            raise RelayError(f"SMTP relay {s.label} offers no login (AUTH), and its URL names the user {s.user}.",
                             f"Drop the user from {s.where}, or add ?starttls=true if the relay offers AUTH "
                             "only over TLS.") from None
        except ssl.SSLError as exc:
            raise RelayError(f"SMTP relay {s.label}: TLS failed ({exc.reason or exc}).",
                             f"Check smtps:// versus ?starttls=true in {s.where}, and the relay's certificate.") from None
        except (ConnectionRefusedError, socket.gaierror, TimeoutError, OSError, smtplib.SMTPException) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
            raise RelayError(f"Cannot reach SMTP relay {s.label}: {reason}.",
                             f"Check {s.where} and that the relay is running.") from None
        try:
            # The final dot is a separate small write (see send): without TCP_NODELAY, Nagle's algorithm
            # holds it until the content is acknowledged, which delayed ACKs stretch to ~40 ms a message.
            if smtp.sock is not None:
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            pass
        self.smtp = smtp
        return self

    def send(self, mail_from: str, rcpt: str, data: bytes, *,
             in_flight: Callable[[], None] | None = None) -> Outcome:
        """One transaction. `in_flight` runs after the content is written and before the final dot.

        Raises only RelayError (the connection cannot be reopened); anything else that goes wrong is
        this message's Outcome, and the connection is dropped so the next message starts clean."""
        if self.smtp is None:
            self.open()
        smtp = self.smtp
        assert smtp is not None, "open() connects or raises"
        stage, dot = "mail", False
        try:
            code, reply = smtp.mail(mail_from)
            if code != 250:
                return self._refused(code, reply, stage)
            stage = "rcpt"
            code, reply = smtp.rcpt(rcpt)
            if code not in (250, 251):
                return self._refused(code, reply, stage)
            stage = "data"
            smtp.putcmd("data")
            code, reply = smtp.getreply()
            if code != 354:
                return self._refused(code, reply, stage)
            if data.startswith(b"."):
                data = b"." + data
            data = data.replace(b"\r\n.", b"\r\n..")
            smtp.send(data if data.endswith(b"\r\n") else data + b"\r\n")
            # Past this point the relay may accept the message and the answer may never reach us: the
            # one window SMTP cannot settle. It spans one write and one read.
            stage = "dot"
            if in_flight:
                try:
                    in_flight()
                except Abort as exc:
                    self.abandon()     # a connection closed without the dot: the relay discards the message
                    return Outcome("requeue", 0, f"not sent: {exc}", stage="data")
            dot = True
            smtp.send(b".\r\n")
            code, reply = smtp.getreply()
            return outcome_of(code, reply, stage)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.abandon()
            # Lost before the final dot: certainly not delivered, try again. Lost after: nobody knows.
            # smtplib reports a read that timed out as a disconnection; the timeout is its context.
            timed_out = isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)
            why = f"no answer in {self.settings.timeout:g} s" if timed_out else (str(exc) or type(exc).__name__)
            # A relay that closed the connection most likely died before keeping the message; one that
            # kept it open without answering may have kept it (RFC 1047): the reason tells them apart.
            reason = ("no-answer" if timed_out else "relay-dropped") if dot else ""
            return Outcome("uncertain" if dot else "deferred", 0, f"connection to {self.settings.label} lost: {why}",
                           stage=stage, timed_out=timed_out, reason=reason, lost=not dot)
        except Exception as exc:       # e.g. smtplib refusing a character: this message's outcome, never a dead worker
            self.abandon()
            if dot:
                return Outcome("uncertain", 0, f"error after the final dot: {type(exc).__name__}: {exc}", stage=stage,
                               reason="no-answer")
            return Outcome("failed", 0, f"could not send to {rcpt}: {type(exc).__name__}: {exc}", stage=stage)

    def _refused(self, code: int, reply: bytes, stage: str) -> Outcome:
        outcome = outcome_of(code, reply, stage)
        if code == 421:
            self.close()     # the relay is closing this connection; the next send opens another
        else:
            try:
                if self.smtp is not None:
                    self.smtp.rset()
            except (smtplib.SMTPException, OSError):
                self.abandon()
        return outcome

    def abandon(self) -> None:
        """Drop the connection without QUIT (a transaction in progress is discarded by the relay)."""
        if self.smtp is not None:
            try:
                self.smtp.close()
            except OSError:
                pass
            self.smtp = None

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.smtp = None

    def __enter__(self) -> Relay:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()
