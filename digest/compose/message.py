"""Message building: one subscriber's digest as RFC 5322 bytes. Plain values in, bytes out.

multipart/alternative with the text part first and the HTML part second, UTF-8, a deterministic
Message-ID per (edition, subscriber), List-Id, List-Archive (the edition's page), List-Unsubscribe
(https, plus the subscriber's own mailto when configured), each part's Content-Language, List-Unsubscribe-Post for RFC 8058
one-click, and Feedback-ID (Gmail's feedback loop) when configured. Nothing from article or subscriber
data can put a control character into a header, directly or through an RFC 2047 encoded-word
(header_text).

`build` uses the stdlib `email` package (about 4 ms a message). It is the oracle of the fast
builder (digest.compose.fast_message), which must produce messages that parse identically
(tests/test_message.py), and it builds the rare message the fast one cannot (a non-ASCII address).
`Signer` adds a DKIM-Signature (digest.compose.dkimsign) when a key is configured.
May import: .dkimsign.
"""

from __future__ import annotations

import binascii
import datetime as dt
import email.errors
import email.policy
import hashlib
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
    unsubscribe_mailto: str | None = None   # this subscriber's, with its token
    test: bool = False          # a test send: subject prefixed, marked in a header
    list_archive: str | None = None         # the edition's web page
    feedback_id: str | None = None
    language: str = "en"        # the frame's language: each part's Content-Language (RFC 3282)


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


class _Policy(email.policy.EmailPolicy):
    """The stdlib's SMTP policy, except that List-Unsubscribe is folded only between its URLs: the
    stdlib would turn a mailto longer than a line (it carries a token) into RFC 2047 encoded-words,
    which no mail client reads as a URL."""

    def fold_binary(self, name, value):
        text = str(value)
        if name.lower() != "list-unsubscribe" or not text.isascii():
            return super().fold_binary(name, value)
        if self.max_line_length is not None and len(name) + 2 + len(text) > self.max_line_length:
            text = text.replace(", <", ",\r\n <")
        return f"{name}: {text}\r\n".encode("ascii")


POLICY = _Policy(linesep="\r\n")      # what email.policy.SMTP is, plus the fold above


def build(env: Envelope, *, html: str, text: str) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    name, addr = parseaddr(env.sender)
    msg["From"] = Address(header_text(name), addr_spec=one_line(addr))
    msg["To"] = Address(header_text(env.to_name), addr_spec=one_line(env.to_email))
    msg["Subject"] = subject_of(env)
    msg["Date"] = format_datetime(env.date)
    msg["Message-ID"] = env.message_id
    msg["List-Id"] = header_text(env.list_id)
    if env.list_archive:
        msg["List-Archive"] = f"<{one_line(env.list_archive)}>"
    msg["List-Unsubscribe"] = unsubscribe_header(env.unsubscribe_url, env.unsubscribe_mailto)
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if env.feedback_id:
        msg["Feedback-ID"] = one_line(env.feedback_id)
    msg["MIME-Version"] = "1.0"
    if env.test:
        msg["X-Digest-Test"] = "yes"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    for part in msg.iter_parts():
        part["Content-Language"] = one_line(env.language)
    return msg


def to_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=POLICY)


# ---- DKIM -----------------------------------------------------------------------------------

DKIM_HEADERS = (b"From", b"To", b"Subject", b"Date", b"Message-ID", b"List-Id", b"List-Archive", b"List-Unsubscribe",
                b"List-Unsubscribe-Post", b"Feedback-ID", b"MIME-Version", b"Content-Type")


class Signer:
    """Adds DKIM-Signature(s) covering DKIM_HEADERS to finished bytes: relaxed/relaxed rsa-sha256, and
    a second ed25519-sha256 signature (RFC 8463) when an Ed25519 key is given. The signing is
    dkimsign's (OpenSSL through `cryptography`: about 1 ms a message, where dkimpy took 12)."""

    def __init__(self, private_key_pem: bytes, selector: str, domain: str, *,
                 ed25519_key_pem: bytes | None = None, ed25519_selector: str | None = None):
        """ValueError when the key is not a PEM RSA private key (PKCS#1 or PKCS#8), or the second key
        is not a PEM Ed25519 private key. The Ed25519 selector defaults to `<selector>-ed25519`."""
        from . import dkimsign  # imported here: only a configured key pays for it
        self._signer = dkimsign.Signer(private_key_pem, selector, domain, DKIM_HEADERS,
                                       ed25519_pem=ed25519_key_pem, ed25519_selector=ed25519_selector)
        self.selector, self.domain = selector, domain
        self.keys = [(algorithm, sel) for algorithm, sel, _ in self._signer.keys]    # (a=, s=) of each signature

    def sign(self, data: bytes) -> bytes:
        return self._signer.sign(data)
