"""The fast message builder: the part of a digest that is the same for every subscriber of a topic
mix, prepared once, and each subscriber's bytes built from it in tens of microseconds.

`prepare` does the expensive part once per topic mix: it quoted-printable encodes both bodies
around the per-subscriber markers and folds the fixed headers (From, Subject, List-Id, List-Archive,
Feedback-ID); `Prepared.build` then only encodes the few lines that hold a marker, the To header and
the per-subscriber links (the https unsubscribe URL and the mailto with its token). The stdlib builder
(digest.compose.message.build) is its oracle: tests/test_message.py asserts that both parse identically.
May import: .message.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.policy
import functools
import hashlib
import html as htmlmod
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from .message import header_text, one_line, unsubscribe_header

_PLAIN_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*\Z")    # atext and spaces: no quoting
_ASCII_PRINTABLE = re.compile(r"[\x20-\x7e]*\Z")
_ADDR = re.compile(r"[\x21-\x7e]+@[\x21-\x7e]+\Z")
_MAX_HEADER = 78


def _newlines(value: str) -> str:
    """The stdlib splits text bodies on CRLF, CR and LF alike; so do we, so both decode the same."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _qp(data: str) -> bytes:
    """Quoted-printable, lines of at most 76 characters, CRLF line ends. `data` ends with a newline.
    Line by line, each line remembered (_QP_LINES): quoted-printable encodes every line on its own,
    and the digests of one edition share most of their lines, so a topic mix encodes only its own."""
    out = []
    lines = data.split("\n")       # "\n" only: str.splitlines also breaks at U+2028 and the like
    last = lines.pop()
    for line in lines:
        done = _QP_LINES.get(line)
        if done is None:
            if len(_QP_LINES) >= QP_LINES_KEPT:
                _QP_LINES.clear()
            done = _QP_LINES[line] = binascii.b2a_qp((line + "\n").encode("utf-8"), istext=True).replace(
                b"\n", b"\r\n")
        out.append(done)
    if last:
        out.append(binascii.b2a_qp(last.encode("utf-8"), istext=True).replace(b"\n", b"\r\n"))
    return b"".join(out)


QP_LINES_KEPT = 20_000           # about 5 MB of lines and their encodings
_QP_LINES: dict[str, bytes] = {}


def _encoded_words(value: str) -> list[str]:
    """RFC 2047 B-encoded words of at most 75 characters, never splitting a UTF-8 character."""
    chunk: list[str]
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
    sender_line, list_id_line = _sender_headers(sender, list_id)
    return sender_line, _subject_header(subject), list_id_line


@functools.lru_cache(maxsize=64)
def _sender_headers(sender: str, list_id: str) -> tuple[bytes, bytes]:
    """From and List-Id: the same for a whole run, folded once."""
    msg = EmailMessage(policy=email.policy.SMTP)
    name, addr = parseaddr(sender)
    msg["From"] = Address(header_text(name), addr_spec=one_line(addr))
    msg["List-Id"] = header_text(list_id)
    fold = email.policy.SMTP.fold_binary
    return fold("From", msg["From"]), fold("List-Id", msg["List-Id"])


@functools.lru_cache(maxsize=1024)
def _subject_header(subject: str) -> bytes:
    """Subject: each topic mix has its own, folded once."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = subject
    subject_line = email.policy.SMTP.fold_binary("Subject", msg["Subject"])
    words = str(msg["Subject"]).split()
    if subject_line.startswith(b"Subject:\r\n") and str(msg["Subject"]).isascii() \
            and all(len(w) < _MAX_HEADER - 10 for w in words):
        # The stdlib moves a value that fits a line of its own to the next line and leaves
        # "Subject:" empty: legal, but some clients and filters show it oddly. Fold between words.
        subject_line = _fold_words("Subject", words).encode("ascii")
    return subject_line


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
                 markers: list[str], test: bool = False, list_archive: str | None = None,
                 feedback_id: str | None = None, language: str = "en"):
        self.sender, self.list_id, self.test = sender, list_id, test
        self.subject = ("[TEST] " if test else "") + header_text(subject)
        self._archive = f"List-Archive: <{one_line(list_archive)}>\r\n".encode("ascii") if list_archive else b""
        self._feedback = f"Feedback-ID: {one_line(feedback_id)}\r\n".encode("ascii") if feedback_id else b""
        self._marker = re.compile("|".join(re.escape(m) for m in markers)) if markers else None
        self._from, self._subject, self._list_id = _fixed_headers(
            sender=sender, subject=self.subject, list_id=list_id)
        # "=_" never occurs in quoted-printable output ("=" is always followed by hex or a line end),
        # so this boundary cannot collide with either body.
        self.boundary = "=_digest_" + hashlib.sha256((html + text).encode("utf-8")).hexdigest()[:24]
        self._text = self._split(text, html=False)
        self._html = self._split(html, html=True)
        b = self.boundary.encode()
        lang = f"Content-Language: {one_line(language)}\r\n".encode("ascii")
        self._between_head = (b"MIME-Version: 1.0\r\n" + (b"X-Digest-Test: yes\r\n" if test else b"")
                              + b'Content-Type: multipart/alternative;\r\n boundary="' + b + b'"\r\n\r\n'
                              + b"--" + b + b'\r\nContent-Type: text/plain; charset="utf-8"\r\n'
                              b"Content-Transfer-Encoding: quoted-printable\r\n" + lang + b"\r\n")
        self._between_parts = (b"\r\n--" + b + b'\r\nContent-Type: text/html; charset="utf-8"\r\n'
                               b"Content-Transfer-Encoding: quoted-printable\r\n" + lang + b"\r\n")
        self._end = b"\r\n--" + b + b"--\r\n"

    def _split(self, body: str, *, html: bool) -> _Part:
        """The body as quoted-printable blocks and the whole lines that hold a marker (found by one
        search over the body, not line by line: a digest has a few such lines among hundreds)."""
        body = _newlines(body)
        if not body.endswith("\n"):
            body += "\n"
        pieces: list = []
        pos = 0
        for m in (self._marker.finditer(body) if self._marker is not None else ()):
            if m.start() < pos:
                continue            # a second marker on a line already taken
            start = body.rfind("\n", 0, m.start()) + 1
            end = body.index("\n", m.end()) + 1
            if start > pos:
                pieces.append(_qp(body[pos:start]))
            pieces.append(body[start:end])
            pos = end
        if pos < len(body):
            pieces.append(_qp(body[pos:]))
        return _Part(pieces, html)

    def _fill(self, part: _Part, values: dict[str, str]) -> list[bytes]:
        out = []
        for piece in part.pieces:
            if isinstance(piece, bytes):
                out.append(piece)
                continue
            assert self._marker is not None, "a str piece is a marker _marker found"
            if part.html:
                line = self._marker.sub(lambda m: htmlmod.escape(values[m.group(0)], quote=True), piece)
            else:
                line = self._marker.sub(lambda m: values[m.group(0)], piece)
            out.append(_qp(_newlines(line)))
        return out

    def build(self, *, to_email: str, to_name: str | None, message_id: str, date: str | dt.datetime,
              unsubscribe_url: str, values: dict[str, str], unsubscribe_mailto: str | None = None) -> bytes | None:
        """One subscriber's message, or None if it needs the stdlib builder (a non-ASCII address).
        `unsubscribe_mailto`: this subscriber's (message.unsubscribe_header folds it the same way)."""
        to = to_header(to_name, to_email)
        if to is None:
            return None
        if not isinstance(date, str):
            date = format_datetime(date)
        unsub = unsubscribe_header(unsubscribe_url, unsubscribe_mailto)
        if len(unsub) + 18 > _MAX_HEADER:
            unsub = unsub.replace(", <", ",\r\n <")
        ids = f"Date: {date}\r\nMessage-ID: {one_line(message_id)}\r\n".encode("ascii")
        tail = (f"List-Unsubscribe: {unsub}\r\n"
                "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n").encode("ascii")
        return b"".join([self._from, to.encode("ascii"), self._subject, ids, self._list_id, self._archive, tail,
                         self._feedback, self._between_head, *self._fill(self._text, values), self._between_parts,
                         *self._fill(self._html, values), self._end])


def prepare(*, sender: str, subject: str, list_id: str, html: str, text: str, markers: list[str],
            test: bool = False, list_archive: str | None = None, feedback_id: str | None = None,
            language: str = "en") -> Prepared:
    return Prepared(sender=sender, subject=subject, list_id=list_id, html=html, text=text, markers=markers,
                    test=test, list_archive=list_archive, feedback_id=feedback_id, language=language)
