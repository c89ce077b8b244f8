"""Send: hand finished message bytes to an SMTP relay over N reused connections and classify its answers.

One Relay is one reused connection. `Relay.send()` never raises for a per-message refusal: it
returns an Outcome with the relay's reply, so the record stage can write it down. Only a relay
that cannot be reached or refuses us as a whole at connection time raises RelayError.

An Outcome is about the recipient, or about us (the sender address, the account, the relay):
  2xx after the final dot                                   sent
  4xx to RCPT, DATA or the dot (greylisting, mailbox full)  deferred: that recipient is retried with
                                                            back-off; the rate is left alone
  5xx to RCPT, or x.1.x/x.2.1 later                         bounced (the address is bad: suppressed)
  other 5xx (DATA, content)                                 failed
  connection lost after the final dot                       uncertain (delivered or not, nobody knows)
  an address that cannot be put in an envelope, or any
  unexpected error while sending to it                      failed, with the reason
  -- about us, never held against the recipient --
  421/454 anywhere, any 4xx to MAIL FROM, a 4xx that names  requeue: the message goes back to the queue
  the sender, the relaying or the authentication            unattempted and the Pacer slows down
  any 5xx to MAIL FROM, 530, x.1.7/x.1.8 (the sender's      stop: the run stops with one error; the
  address), "Relay access denied", "Sender address          deliveries stay pending, nobody is
  rejected", "Authentication required" (at any stage:       suppressed
  Postfix delays its refusals to RCPT TO)
A burst of recipient 4xx in a row (BURST) is the relay throttling us after all, and slows the Pacer.

`Pool` runs one worker thread per connection. Each worker builds the message (CPU, while other
workers wait on the network), waits for the Pacer, and sends; the caller's hooks run in the worker
right before the final dot (`in_flight`) and right after the reply (`answered`), which is where the
record stage journals them. The window between those two calls is the only one SMTP cannot settle.
`in_flight` may raise Abort: the connection is dropped before the dot, so the relay discards the
message. Every job gets exactly one result, whatever is raised: a worker thread never dies of it.
May import: config, errors.
"""

from __future__ import annotations

import os
import queue
import random
import re
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import idna

from .config import Config, SmtpSettings
from .errors import RelayError

CONNECTION_CODES = {421, 454}   # about the connection or the relay, whatever the stage
BURST = 5                       # recipient 4xx in a row, with no message accepted between: throttling
_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})")
# Refusals about us rather than the recipient, as Postfix, Exim and Exchange word them. Postfix
# delays its MAIL FROM and client restrictions to RCPT TO, so they are looked for at every stage.
_ABOUT_US = re.compile(r"sender address rejected|client host rejected|relay(ing)? (access )?(denied|not permitted|"
                       r"prohibited)|unable to relay|authentication (is )?required|not authenticated|"
                       r"must (issue|authenticate)", re.I)


class Abort(Exception):
    """Raised by an `in_flight` hook: do not send the final dot (the message is dropped unsent)."""


class AddressError(ValueError):
    """An address that cannot be written in an SMTP envelope (RFC 5321, without SMTPUTF8)."""


def smtp_address(address: str) -> str:
    """The address as the envelope and the To header carry it: an internationalised domain in its
    ASCII form (IDNA 2008, `xn--...`). A local part that is not ASCII would need SMTPUTF8, which
    digest does not send: AddressError says so."""
    if address.isascii():
        return address
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        raise AddressError("the part before the @ is not ASCII: that needs SMTPUTF8, and digest sends ASCII "
                           "envelopes only; ask the subscriber for an ASCII address")
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise AddressError(f"the domain {domain} cannot be written in ASCII (IDNA: {exc})") from None
    return f"{local}@{ascii_domain}"


RECORDED = ("sent", "deferred", "bounced", "failed", "uncertain")   # outcomes of the recipient
ABOUT_US = ("requeue", "stop")       # outcomes about the sender or the relay: nothing is recorded


@dataclass
class Outcome:
    status: str          # sent | deferred | bounced | failed | uncertain (RECORDED) | requeue | stop (ABOUT_US)
    code: int
    reply: str
    throttled: bool = False
    stage: str = ""      # mail | rcpt | data | dot
    soft: bool = False   # a soft bounce: the mailbox is full (x.2.2), or temporary failures ran out of time

    @property
    def text(self) -> str:
        return f"{self.code} {self.reply}".strip() if self.code else self.reply


def classify(code: int, reply: str = "", stage: str = "dot") -> str:
    if 200 <= code < 300:
        return "sent"
    if about_us(code, reply, stage):
        return "requeue" if code < 500 else "stop"
    if 400 <= code < 500:
        return "deferred"
    m = _ENHANCED.match(reply)
    if stage == "rcpt" or (m and (m.group(2) == "1" or (m.group(2), m.group(3)) == ("2", "1"))):
        return "bounced"
    return "failed"


def about_us(code: int, reply: str, stage: str) -> bool:
    """Is this refusal about the sender, the account or the relay (not about the recipient)?"""
    if stage == "mail" or code in CONNECTION_CODES or code == 530:
        return True
    m = _ENHANCED.match(reply)
    if m and m.group(2) == "1" and m.group(3) in ("7", "8"):     # bad sender's mailbox / system address
        return True
    return bool(_ABOUT_US.search(reply))


def _outcome(code: int, reply: bytes | str, stage: str) -> Outcome:
    text = _text(reply)
    m = _ENHANCED.match(text)
    soft = bool(m and m.group(1) == "5" and (m.group(2), m.group(3)) == ("2", "2"))
    status = "failed" if soft and code >= 500 else classify(code, text, stage)
    return Outcome(status, code, text, throttled=status == "requeue", stage=stage, soft=soft and status == "failed")


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())


def refusal(outcome: Outcome, relay: str, mail_from: str) -> RelayError:
    """The error that stops a run when the relay refuses us (a `stop` outcome), with the fix."""
    text = outcome.text
    if outcome.code == 530 or re.search(r"authenticat", text, re.I):
        hint = "Put the relay's user and password in DIGEST_SMTP_URL (smtp://USER:PASSWORD@host:587?starttls=true)."
    elif re.search(r"relay", text, re.I):
        hint = ("The relay does not relay for this client: log in (user and password in DIGEST_SMTP_URL) or "
                "allow this host on the relay.")
    elif re.search(r"client host", text, re.I):
        hint = "The relay refuses this machine's address: allow it on the relay, or send through another one."
    else:
        hint = "Set DIGEST_FROM to an address the relay accepts from this account."
    where = {"mail": "MAIL FROM", "rcpt": "RCPT TO", "data": "DATA", "dot": "the end of the message"}.get(
        outcome.stage, "MAIL FROM")
    return RelayError(f"SMTP relay {relay} refused the sender <{mail_from}> at {where}: {text}. "
                      "Nothing was marked: the deliveries stay pending and nobody was suppressed.", hint)


# ---- settings -------------------------------------------------------------------------------

@dataclass
class SendSettings:
    """How hard to push and how long to keep trying. Defaults < digest.toml [send] < DIGEST_* env."""
    connections: int = 4
    rate: float = 0.0               # messages per second, 0 = as fast as the relay takes them
    retry_base: float = 5.0         # seconds before the first retry; doubles each time, with jitter
    retry_cap: float = 900.0        # longest single back-off
    retry_attempts: int = 3         # attempts within one run before leaving a message to the next run
    retry_deadline: float = 86400.0  # seconds after an edition was planned when a deferred message fails
    soft_bounce_limit: int = 3      # failed deliveries in a row before a subscriber is suppressed
    lease_seconds: float = 60.0     # how long a silent sender keeps the edition to itself
    batch: int = 500                # rows claimed and outcomes recorded per transaction
    lock_timeout: float = 30.0      # how long a ledger write waits for another process's write lock
    relay_retries: int = 10         # refusals about us (requeue) in a row, nothing sent between, before stopping

    ENV = {"DIGEST_RETRY_BASE": "retry_base", "DIGEST_RETRY_CAP": "retry_cap",
           "DIGEST_RETRY_ATTEMPTS": "retry_attempts", "DIGEST_RETRY_DEADLINE": "retry_deadline",
           "DIGEST_SOFT_BOUNCE_LIMIT": "soft_bounce_limit", "DIGEST_LEASE_SECONDS": "lease_seconds",
           "DIGEST_SEND_BATCH": "batch", "DIGEST_LOCK_TIMEOUT": "lock_timeout"}

    @classmethod
    def from_config(cls, cfg: Config, env: dict[str, str] | None = None) -> "SendSettings":
        from .errors import ConfigError
        env = dict(os.environ if env is None else env)
        s = cls(connections=max(1, int(cfg.connections or 1)), rate=float(cfg.rate or 0))
        table = (cfg.sections or {}).get("send", {})
        sources = [(f"{cfg.source}: [send] {k}", k, v) for k, v in table.items()]
        sources += [(var, attr, env[var]) for var, attr in cls.ENV.items() if env.get(var)]
        for where, attr, value in sources:
            if attr not in cls.__dataclass_fields__:
                raise ConfigError(f"{where}: unknown setting.",
                                  f"Known [send] settings: {', '.join(sorted(cls.__dataclass_fields__))}.")
            kind = type(getattr(s, attr))
            try:
                setattr(s, attr, kind(value))
            except (TypeError, ValueError):
                raise ConfigError(f"{where}: `{value}` is not a valid {kind.__name__}.") from None
        s.connections = max(1, s.connections)
        s.batch = max(1, s.batch)
        s.relay_retries = max(1, s.relay_retries)
        return s

    def backoff(self, attempt: int) -> float:
        """Exponential back-off with full jitter in its upper half: base * 2^(attempt-1), capped."""
        delay = min(self.retry_cap, self.retry_base * (2 ** max(0, attempt - 1)))
        return delay * (0.5 + random.random() / 2)


# ---- one connection -------------------------------------------------------------------------

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
        try:
            # The final dot is a separate small write (see send): without TCP_NODELAY, Nagle's algorithm
            # holds it until the content is acknowledged, which delayed ACKs stretch to ~40 ms a message.
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
            return _outcome(code, reply, stage)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.abandon()
            # Lost before the final dot: certainly not delivered, try again. Lost after: nobody knows.
            return Outcome("uncertain" if dot else "deferred", 0,
                           f"connection to {self.settings.name} lost: {exc or type(exc).__name__}", stage=stage)
        except Exception as exc:       # e.g. smtplib refusing a character: this message's outcome, never a dead worker
            self.abandon()
            if dot:
                return Outcome("uncertain", 0, f"error after the final dot: {type(exc).__name__}: {exc}", stage=stage)
            return Outcome("failed", 0, f"could not send to {rcpt}: {type(exc).__name__}: {exc}", stage=stage)

    def _refused(self, code: int, reply: bytes, stage: str) -> Outcome:
        outcome = _outcome(code, reply, stage)
        if code == 421:
            self.close()     # the relay is closing this connection; the next send opens another
        else:
            try:
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

    def __enter__(self) -> "Relay":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()


# ---- pacing ---------------------------------------------------------------------------------

class Pacer:
    """A shared rate limit that adapts: halved when the relay throttles us, regained slowly.

    `limit` is the configured ceiling (0 = none). Until the relay first throttles, an unlimited
    pacer never waits.
    """

    def __init__(self, limit: float = 0.0):
        self.limit = limit
        self.rate = limit or 0.0        # current messages per second, 0 = unlimited
        self.lowest = self.rate
        self.throttles = 0
        self._next = time.monotonic()
        self._lock = threading.Lock()
        self._times: list[float] = []   # recent send times, to know our pace when first throttled
        self._tempfails = 0             # recipient 4xx in a row, with no message accepted between

    def wait(self, stop: threading.Event | None = None) -> None:
        with self._lock:
            t = time.monotonic()
            self._times.append(t)
            if len(self._times) > 200:
                del self._times[:100]
            if not self.rate:
                return
            slot = max(t, self._next)
            self._next = slot + 1.0 / self.rate
        delay = slot - t
        if delay > 0:
            if stop is not None:
                stop.wait(delay)
            else:
                time.sleep(delay)

    def throttled(self) -> None:
        with self._lock:
            self.throttles += 1
            current = self.rate
            if not current:
                window = self._times[-50:]
                span = window[-1] - window[0] if len(window) > 1 else 0
                current = (len(window) - 1) / span if span > 0 else 10.0
            self.rate = max(0.2, current / 2)
            self.lowest = self.rate if not self.lowest else min(self.lowest, self.rate)

    def tempfailed(self) -> None:
        """A recipient's own 4xx (greylisting, a full mailbox) is no reason to slow down; BURST of them
        in a row, with nothing accepted between, is the relay throttling us in other words."""
        with self._lock:
            self._tempfails += 1
            burst = self._tempfails >= BURST
            if burst:
                self._tempfails = 0
        if burst:
            self.throttled()

    def accepted(self) -> None:
        """Additive increase: each accepted message gains back 1% of the rate, up to the limit."""
        with self._lock:
            self._tempfails = 0
            if self.rate and (not self.limit or self.rate < self.limit):
                self.rate *= 1.01
                if self.limit and self.rate > self.limit:
                    self.rate = self.limit


# ---- the worker pool ------------------------------------------------------------------------

class Hooks:
    """What the pool calls in a worker thread; the record stage implements it (journal writes)."""

    def in_flight(self, slot: int, item) -> None: ...

    def answered(self, slot: int, item, outcome: Outcome) -> None: ...


@dataclass
class Job:
    item: object                        # the caller's row; opaque here
    rcpt: str
    build: Callable[[], bytes]


class Pool:
    """N connections, each in its own thread. `submit` jobs; `results` yields (job, outcome|None, error).

    Every job gets exactly one result. A worker whose connection cannot be (re)opened hands its job
    back with the RelayError and stops; the caller decides whether the others carry on. `may_send`
    is asked before each message and again right before its final dot: when it says no (the
    sender's lease has lapsed), the message goes back unsent as a `requeue`.
    """

    def __init__(self, relay_factory: Callable[[], Relay], connections: int, mail_from: str, pacer: Pacer,
                 hooks: Hooks, first: Relay | None = None, may_send: Callable[[], bool] = lambda: True):
        self.inbox: queue.Queue = queue.Queue()
        self.results: queue.Queue = queue.Queue()
        self.stop_event = threading.Event()
        self.mail_from, self.pacer, self.hooks, self.may_send = mail_from, pacer, hooks, may_send
        self.alive = connections
        self.threads = [threading.Thread(target=self._work, args=(slot, relay_factory, first if slot == 0 else None),
                                         name=f"digest-send-{slot}", daemon=True)
                        for slot in range(connections)]
        for t in self.threads:
            t.start()

    def submit(self, job: Job) -> None:
        self.inbox.put(job)

    def _work(self, slot: int, relay_factory: Callable[[], Relay], relay: Relay | None) -> None:
        try:
            relay = relay or relay_factory()
            while True:
                job = self.inbox.get()
                if job is None:
                    return
                try:
                    outcome = self._one(slot, relay, job)
                except RelayError as exc:
                    self.results.put((job, None, exc))
                    return
                except Exception as exc:    # a bug of ours: still this job's outcome, and the worker goes on
                    outcome = Outcome("failed", 0, f"internal error while sending: {type(exc).__name__}: {exc}")
                self.results.put((job, outcome, None))
        finally:
            if relay is not None:
                relay.close()
            self.results.put(("exit", slot, None))

    def _one(self, slot: int, relay: Relay, job: Job) -> Outcome:
        try:
            data = job.build()
        except Exception as exc:   # a bad row must not stop the run; it is recorded as failed
            return Outcome("failed", 0, f"could not build the message: {exc!r}")
        if not self.may_send():
            return Outcome("requeue", 0, "not sent: the send lease lapsed")
        self.pacer.wait(self.stop_event)

        def in_flight() -> None:
            self.hooks.in_flight(slot, job.item)        # journaled first: a stop after this is seen
            if not self.may_send():
                raise Abort("the send lease lapsed before the final dot")
        outcome = relay.send(self.mail_from, job.rcpt, data, in_flight=in_flight)
        self.hooks.answered(slot, job.item, outcome)
        if outcome.throttled:
            self.pacer.throttled()
        elif outcome.status == "deferred":
            self.pacer.tempfailed()
        elif outcome.status == "sent":
            self.pacer.accepted()
        return outcome

    def take_unstarted(self) -> list[Job]:
        """Jobs no worker has picked up yet: they go back to the ledger as not attempted."""
        jobs = []
        while True:
            try:
                job = self.inbox.get_nowait()
            except queue.Empty:
                return jobs
            if job is not None:
                jobs.append(job)

    def close(self) -> None:
        self.stop_event.set()
        for _ in self.threads:
            self.inbox.put(None)
