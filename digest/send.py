"""Send: hand finished message bytes to an SMTP relay and classify its answer.

One Relay is one reused connection. `send()` never raises for a per-message refusal: it returns
an Outcome (sent, deferred, bounced, failed, uncertain) with the relay's reply, so the record
stage can write it down. Only a relay that cannot be reached or refuses us as a whole raises
RelayError, naming the relay and the reason.
May import: config, errors.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass

from .config import SmtpSettings
from .errors import RelayError


@dataclass
class Outcome:
    status: str          # sent | deferred | bounced | failed | uncertain
    code: int
    reply: str


def classify(code: int) -> str:
    if 200 <= code < 300:
        return "sent"
    if 400 <= code < 500:
        return "deferred"
    return "bounced"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


class Relay:
    def __init__(self, settings: SmtpSettings, *, local_hostname: str | None = None):
        self.settings = settings
        self.local_hostname = local_hostname
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> "Relay":
        s = self.settings
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
            raise RelayError(f"SMTP relay {s.name} refused the login for {s.user}: {exc.smtp_code} "
                             f"{_text(exc.smtp_error)}", "Check the user and password in DIGEST_SMTP_URL.") from None
        except ssl.SSLError as exc:
            raise RelayError(f"SMTP relay {s.name}: TLS failed ({exc.reason or exc}).",
                             "Check smtps:// versus ?starttls=true and the relay's certificate.") from None
        except (ConnectionRefusedError, socket.gaierror, socket.timeout, TimeoutError, OSError,
                smtplib.SMTPException) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
            raise RelayError(f"Cannot reach SMTP relay {s.name}: {reason}.",
                             "Check DIGEST_SMTP_URL and that the relay is running.") from None
        self.smtp = smtp
        return self

    def send(self, mail_from: str, rcpt: str, data: bytes) -> Outcome:
        if self.smtp is None:
            self.open()
        smtp = self.smtp
        in_data = False
        try:
            code, reply = smtp.mail(mail_from)
            if code != 250:
                smtp.rset()
                return Outcome(classify(code), code, _text(reply))
            code, reply = smtp.rcpt(rcpt)
            if code not in (250, 251):
                smtp.rset()
                return Outcome(classify(code), code, _text(reply))
            # From here the relay may accept the message and the answer may never reach us: the one
            # window SMTP cannot settle. data() writes the final dot and reads the reply right after.
            in_data = True
            code, reply = smtp.data(data)
            return Outcome(classify(code) if code != 250 else "sent", code, _text(reply))
        except smtplib.SMTPDataError as exc:
            return Outcome(classify(exc.smtp_code), exc.smtp_code, _text(exc.smtp_error))
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.smtp = None
            # Lost before DATA: certainly not delivered, try again. Lost during DATA: nobody knows.
            status = "uncertain" if in_data else "deferred"
            return Outcome(status, 0, f"connection to {self.settings.name} lost: {exc or type(exc).__name__}")

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.smtp = None

    def __enter__(self) -> "Relay":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()
