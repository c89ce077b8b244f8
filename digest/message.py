"""Message building: one subscriber's digest as RFC 5322 bytes. Plain values in, bytes out.

multipart/alternative with the text part first and the HTML part second, UTF-8, a deterministic
Message-ID per (edition, subscriber), List-Id, List-Unsubscribe (https, plus mailto when
configured) and List-Unsubscribe-Post for RFC 8058 one-click. Nothing from article or subscriber
data can put a control character into a header, directly or through an RFC 2047 encoded-word
(header_text).

Two builders that must agree. `build` uses the stdlib `email` package (about 4 ms a message) and
is the oracle. `prepare` does the expensive part once per topic mix: it quoted-printable encodes
both bodies around the per-subscriber markers and folds the fixed headers; `Prepared.build` then
only encodes the few lines that hold a marker, the To header and the per-subscriber links (tens of
microseconds). tests/test_message.py asserts that both parse identically.
`Signer` adds a DKIM-Signature (digest.dkimsign) when a key is configured.
May import: dkimsign.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.errors
import email.policy
import hashlib
import html as htmlmod
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr


@dataclass
class Envelope:
    sender: str                 # "Name <addr>"
    to_email: str
    to_name: str | None
    subject: str
    message_id: str
    date: dt.datetime
    list_id: str
    unsubscribe_url: str
    unsubscribe_mailto: str | None = None
    test: bool = False          # a test send: subject prefixed, marked in a header


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ENCODED_WORD = re.compile(r"=\?[^?]*\?[bBqQ]\?[^?]*\?=")


def one_line(value: str | None) -> str:
    """Every control character (NUL, CR, LF, ...) out and whitespace collapsed to one space: a value
    can neither add a header nor end the header block."""
    return " ".join(_CONTROL.sub(" ", value or "").split())


def _decode_words(value: str) -> str:
    """Each RFC 2047 encoded-word decoded as a mail client would show it; a word in an unknown
    charset or with a broken payload is left as written (and defused by header_text)."""
    from email.header import decode_header

    def one(m: re.Match) -> str:
        try:
            (data, charset), = decode_header(m.group(0))
            return data.decode(charset or "ascii", "replace") if isinstance(data, bytes) else data
        except (LookupError, ValueError, UnicodeError, binascii.Error, email.errors.HeaderParseError):
            return m.group(0)
    return _ENCODED_WORD.sub(one, value)


def header_text(value: str | None) -> str:
    """A header value built from data (a headline, a name, a topic): safe whatever the Python version.

    The stdlib decodes RFC 2047 encoded-words in a value it is given and, on some versions
    (CVE-2024-6923, e.g. 3.11.7), folds a decoded CR LF out raw: `=?utf-8?q?=0D=0ABcc:...?=` becomes a
    real Bcc header. So the words are decoded here first and control characters removed from the
    result, again while the result still holds a word (one inside another), and any "=?" left is
    broken with a zero-width space so the stdlib has nothing to decode.
    """
    text = one_line(value)
    for _ in range(5):
        if not _ENCODED_WORD.search(text):
            break
        decoded = one_line(_decode_words(text))
        if decoded == text:
            break
        text = decoded
    return text.replace("=?", "=\u200b?")


def message_id(edition_key: str, subscriber_id: int, domain: str) -> str:
    """The same (edition, subscriber) always gets the same Message-ID, so a duplicate can be spotted."""
    digest = hashlib.sha256(f"{edition_key}/{subscriber_id}".encode()).hexdigest()[:16]
    return f"<{one_line(edition_key).replace(' ', '-')}.{subscriber_id}.{digest}@{domain}>"


def subject_of(env: Envelope) -> str:
    return ("[TEST] " if env.test else "") + header_text(env.subject)


def unsubscribe_header(url: str, mailto: str | None) -> str:
    return ", ".join(f"<{one_line(u)}>" for u in (url, mailto) if u)


def build(env: Envelope, *, html: str, text: str) -> EmailMessage:
    msg = EmailMessage(policy=email.policy.SMTP)
    name, addr = parseaddr(env.sender)
    msg["From"] = Address(header_text(name), addr_spec=one_line(addr))
    msg["To"] = Address(header_text(env.to_name), addr_spec=one_line(env.to_email))
    msg["Subject"] = subject_of(env)
    msg["Date"] = format_datetime(env.date)
    msg["Message-ID"] = env.message_id
    msg["List-Id"] = header_text(env.list_id)
    msg["List-Unsubscribe"] = unsubscribe_header(env.unsubscribe_url, env.unsubscribe_mailto)
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["MIME-Version"] = "1.0"
    if env.test:
        msg["X-Digest-Test"] = "yes"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return msg


def to_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=email.policy.SMTP)


# ---- the fast builder ------------------------------------------------------------------------

_PLAIN_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*\Z")    # atext and spaces: no quoting
_ASCII_PRINTABLE = re.compile(r"[\x20-\x7e]*\Z")
_ADDR = re.compile(r"[\x21-\x7e]+@[\x21-\x7e]+\Z")
_MAX_HEADER = 78


def _newlines(value: str) -> str:
    """The stdlib splits text bodies on CRLF, CR and LF alike; so do we, so both decode the same."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _qp(data: str) -> bytes:
    """Quoted-printable, lines of at most 76 characters, CRLF line ends. `data` ends with a newline."""
    return binascii.b2a_qp(data.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")


def _encoded_words(value: str) -> list[str]:
    """RFC 2047 B-encoded words of at most 75 characters, never splitting a UTF-8 character."""
    words, chunk, size = [], [], 0
    for ch in value:
        n = len(ch.encode("utf-8"))
        if size + n > 45:            # 45 bytes -> 60 base64 characters -> a 72-character word
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(ch)
        size += n
    if chunk:
        words.append("".join(chunk))
    return ["=?utf-8?b?" + base64.b64encode(w.encode("utf-8")).decode("ascii") + "?=" for w in words]


def _fold_words(name: str, words: list[str]) -> str:
    """`Name: w1 w2 ...` folded before any word that would pass 78 characters."""
    lines, line = [], f"{name}:"
    for w in words:
        if len(line) + 1 + len(w) > _MAX_HEADER and line != f"{name}:":
            lines.append(line)
            line = ""
        line += " " + w
    lines.append(line)
    return "\r\n".join(lines) + "\r\n"


def to_header(name: str | None, addr: str) -> str | None:
    """The To header line, or None when only the stdlib can say it (an address that is not ASCII)."""
    addr = one_line(addr)
    if not _ADDR.match(addr):
        return None
    name = header_text(name)
    if not name:
        return f"To: {addr}\r\n"
    if _ASCII_PRINTABLE.match(name):
        phrase = name if _PLAIN_NAME.match(name) else '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        line = f"To: {phrase} <{addr}>\r\n"
        if len(line) <= _MAX_HEADER + 2:
            return line
    return _fold_words("To", _encoded_words(name) + [f"<{addr}>"])


def _fixed_headers(*, sender: str, subject: str, list_id: str) -> tuple[bytes, bytes, bytes]:
    """The headers every message of a mix shares, folded by the stdlib: From, Subject, List-Id."""
    msg = EmailMessage(policy=email.policy.SMTP)
    name, addr = parseaddr(sender)
    msg["From"] = Address(header_text(name), addr_spec=one_line(addr))
    msg["Subject"] = subject
    msg["List-Id"] = header_text(list_id)
    fold = email.policy.SMTP.fold_binary
    return fold("From", msg["From"]), fold("Subject", msg["Subject"]), fold("List-Id", msg["List-Id"])


@dataclass
class _Part:
    """One body part, quoted-printable encoded, as fixed blocks and lines that hold markers."""
    pieces: list            # bytes (ready) or str (a line with a marker, encoded per message)
    html: bool


class Prepared:
    """The part of a message that is the same for every subscriber of one topic mix.

    markers: the strings left in html/text for per-subscriber values; `build` fills them in one
    pass (a value that looks like a marker is never substituted again), HTML-escaped in the html
    part and raw in the text part, exactly as render.personalize does.
    """

    def __init__(self, *, sender: str, subject: str, list_id: str, html: str, text: str,
                 markers: list[str], unsubscribe_mailto: str | None = None, test: bool = False):
        self.sender, self.list_id, self.test = sender, list_id, test
        self.subject = ("[TEST] " if test else "") + header_text(subject)
        self.unsubscribe_mailto = unsubscribe_mailto
        self._marker = re.compile("|".join(re.escape(m) for m in markers)) if markers else None
        self._from, self._subject, self._list_id = _fixed_headers(
            sender=sender, subject=self.subject, list_id=list_id)
        # "=_" never occurs in quoted-printable output ("=" is always followed by hex or a line end),
        # so this boundary cannot collide with either body.
        self.boundary = "=_digest_" + hashlib.sha256((html + text).encode("utf-8")).hexdigest()[:24]
        self._text = self._split(text, html=False)
        self._html = self._split(html, html=True)
        b = self.boundary.encode()
        self._between_head = (b"MIME-Version: 1.0\r\n" + (b"X-Digest-Test: yes\r\n" if test else b"")
                              + b'Content-Type: multipart/alternative;\r\n boundary="' + b + b'"\r\n\r\n'
                              + b"--" + b + b'\r\nContent-Type: text/plain; charset="utf-8"\r\n'
                              b"Content-Transfer-Encoding: quoted-printable\r\n\r\n")
        self._between_parts = (b"\r\n--" + b + b'\r\nContent-Type: text/html; charset="utf-8"\r\n'
                               b"Content-Transfer-Encoding: quoted-printable\r\n\r\n")
        self._end = b"\r\n--" + b + b"--\r\n"

    def _split(self, body: str, *, html: bool) -> _Part:
        body = _newlines(body)
        if not body.endswith("\n"):
            body += "\n"
        pieces: list = []
        block: list[str] = []
        for line in body.splitlines(keepends=True):
            if self._marker is not None and self._marker.search(line):
                if block:
                    pieces.append(_qp("".join(block)))
                    block = []
                pieces.append(line)
            else:
                block.append(line)
        if block:
            pieces.append(_qp("".join(block)))
        return _Part(pieces, html)

    def _fill(self, part: _Part, values: dict[str, str]) -> list[bytes]:
        out = []
        for piece in part.pieces:
            if isinstance(piece, bytes):
                out.append(piece)
                continue
            if part.html:
                line = self._marker.sub(lambda m: htmlmod.escape(values[m.group(0)], quote=True), piece)
            else:
                line = self._marker.sub(lambda m: values[m.group(0)], piece)
            out.append(_qp(_newlines(line)))
        return out

    def build(self, *, to_email: str, to_name: str | None, message_id: str, date: str | dt.datetime,
              unsubscribe_url: str, values: dict[str, str]) -> bytes | None:
        """One subscriber's message, or None if it needs the stdlib builder (a non-ASCII address)."""
        to = to_header(to_name, to_email)
        if to is None:
            return None
        if not isinstance(date, str):
            date = format_datetime(date)
        unsub = unsubscribe_header(unsubscribe_url, self.unsubscribe_mailto)
        if len(unsub) + 18 > _MAX_HEADER:
            unsub = unsub.replace(", <", ",\r\n <")
        ids = f"Date: {date}\r\nMessage-ID: {one_line(message_id)}\r\n".encode("ascii")
        tail = (f"List-Unsubscribe: {unsub}\r\n"
                "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n").encode("ascii")
        return b"".join([self._from, to.encode("ascii"), self._subject, ids, self._list_id, tail,
                         self._between_head, *self._fill(self._text, values), self._between_parts,
                         *self._fill(self._html, values), self._end])


def prepare(*, sender: str, subject: str, list_id: str, html: str, text: str, markers: list[str],
            unsubscribe_mailto: str | None = None, test: bool = False) -> Prepared:
    return Prepared(sender=sender, subject=subject, list_id=list_id, html=html, text=text, markers=markers,
                    unsubscribe_mailto=unsubscribe_mailto, test=test)


# ---- DKIM -----------------------------------------------------------------------------------

DKIM_HEADERS = (b"From", b"To", b"Subject", b"Date", b"Message-ID", b"List-Id", b"List-Unsubscribe",
                b"List-Unsubscribe-Post", b"MIME-Version", b"Content-Type")


class Signer:
    """Adds DKIM-Signature(s) covering DKIM_HEADERS to finished bytes: relaxed/relaxed rsa-sha256, and
    a second ed25519-sha256 signature (RFC 8463) when an Ed25519 key is given. The signing is
    dkimsign's (OpenSSL through `cryptography`: about 1 ms a message, where dkimpy took 12)."""

    def __init__(self, private_key_pem: bytes, selector: str, domain: str, *,
                 ed25519_key_pem: bytes | None = None, ed25519_selector: str | None = None):
        """ValueError when the key is not a PEM RSA private key (PKCS#1 or PKCS#8), or the second key
        is not a PEM Ed25519 private key. The Ed25519 selector defaults to `<selector>-ed25519`."""
        from . import dkimsign   # imported here: only a configured key pays for it
        self._signer = dkimsign.Signer(private_key_pem, selector, domain, DKIM_HEADERS,
                                       ed25519_pem=ed25519_key_pem, ed25519_selector=ed25519_selector)
        self.selector, self.domain = selector, domain

    def sign(self, data: bytes) -> bytes:
        return self._signer.sign(data)
