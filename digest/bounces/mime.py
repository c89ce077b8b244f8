"""Reading the parts of a report: delivery-status blocks, the feedback report, the original
message's headers and the human-readable notice. The stdlib `email` package only; no decisions.

Reports arrive in every shape: a multipart/report by the RFC, a DSN part nested in an alternative,
a delivery-status encoded in base64, a UTF-8 message/global-delivery-status (RFC 6533), or plain
text with no parts at all. Each reader here takes what is there and returns plain values.
May import: nothing from digest.
"""

from __future__ import annotations

import email
import email.parser
import email.policy
import re
from collections.abc import Iterator
from email.message import Message

_STATUS_TYPES = ("message/delivery-status", "message/global-delivery-status")
_HEADER_TYPES = ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers")
_MESSAGE_TYPES = ("message/rfc822", "message/global")
_FOLD = re.compile(r"\s*\r?\n\s+")
# Where a notice stops and the copy of our own message begins: past these lines is our text, and a
# digest's words must never be read as the remote server's.
_ORIGINAL_FOLLOWS = re.compile(
    r"^\s*(-+\s*(original message|below this line|this is a copy|forwarded message|start of returned)|"
    r"-+ ?(original message follows|the header of the original message)|original message follows|"
    r"------ This is a copy of the message)", re.I | re.M)


def load(data: bytes) -> Message:
    """The message as the stdlib parses bytes (compat32, as flufl.bounce expects)."""
    return email.message_from_bytes(data)


def parts(msg: Message) -> Iterator[Message]:
    """The message and its MIME parts, without going inside an attached message or status part."""
    yield msg
    if msg.get_content_maintype() == "multipart" and msg.is_multipart():
        for part in msg.get_payload():
            if isinstance(part, Message):
                yield from parts(part)


def text_of(part: Message) -> str:
    """A non-multipart part's payload decoded (transfer encoding, then charset; bad bytes replaced)."""
    raw = part.get_payload(decode=True)
    if not isinstance(raw, bytes):      # None: nothing to decode (decode=True gives bytes or None)
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return raw.decode(charset, "replace")
    except LookupError:
        return raw.decode("utf-8", "replace")


def _blocks_from_text(text: str) -> list[Message]:
    parser = email.parser.HeaderParser(policy=email.policy.compat32)
    chunks = re.split(r"\r?\n[ \t]*\r?\n", text.strip())
    return [parser.parsestr(chunk.strip("\r\n") + "\n") for chunk in chunks if chunk.strip()]


def status_blocks(msg: Message) -> list[Message] | None:
    """The header blocks of the first delivery-status part (per-message fields first, then one
    block per recipient), or None when the message has no such part."""
    for part in parts(msg):
        if part.get_content_type() not in _STATUS_TYPES:
            continue
        cte = (part.get("content-transfer-encoding") or "").strip().lower()
        payload = part.get_payload()
        if isinstance(payload, list) and cte not in ("base64", "quoted-printable"):
            return [b for b in payload if isinstance(b, Message)]
        if isinstance(payload, list):       # the stdlib parsed encoded text as headers: undo that
            payload = "\n".join(str(p) for p in payload)      # str(Message) is its as_string()
            part = email.message_from_string(f"Content-Transfer-Encoding: {cte}\n\n{payload}")
        return _blocks_from_text(text_of(part))
    return None


def feedback_fields(msg: Message) -> Message | None:
    """The fields of the first message/feedback-report part (RFC 5965), or None."""
    for part in parts(msg):
        if part.get_content_type() != "message/feedback-report":
            continue
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message) and payload[0].keys():
            return payload[0]
        blocks = _blocks_from_text(text_of(part) if not isinstance(payload, list) else "")
        return blocks[0] if blocks else Message()
    return None


def original_headers(msg: Message) -> Message | None:
    """The headers of the message that bounced or was reported, when the report includes them."""
    for part in parts(msg):
        ctype = part.get_content_type()
        if ctype in _MESSAGE_TYPES:
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
            return email.message_from_string(payload) if isinstance(payload, str) else None
        if ctype in _HEADER_TYPES:
            return email.parser.HeaderParser(policy=email.policy.compat32).parsestr(text_of(part))
    return _inline_original(msg)


def _inline_original(msg: Message) -> Message | None:
    """The copy of the original pasted into a plain-text notice (old Exim, Yahoo, Gmail's old
    format), after a line such as "--- Below this line is a copy of the message."."""
    for part in parts(msg):
        if part.get_content_type() != "text/plain":
            continue
        text = text_of(part).replace("\r\n", "\n")
        m = _ORIGINAL_FOLLOWS.search(text)
        if not m:
            continue
        rest = text[m.end():].partition("\n")[2].lstrip("\n")
        headers = email.parser.HeaderParser(policy=email.policy.compat32).parsestr(rest)
        if headers.get("message-id") or headers.get("from"):
            return headers
    return None


def notice(msg: Message) -> str:
    """The human-readable notice: the first text part of the report (tags stripped from an HTML-only
    one), cut where the copy of the original message begins."""
    plain = html = None
    for part in parts(msg):
        ctype = part.get_content_type()
        if part is not msg and ctype in _MESSAGE_TYPES + _HEADER_TYPES + _STATUS_TYPES:
            continue
        if ctype == "text/plain" and plain is None:
            plain = text_of(part)
        elif ctype == "text/html" and html is None:
            html = text_of(part)
    if plain is None and html is not None:
        plain = re.sub(r"(?s)<(style|script)\b.*?</\1>", " ", html)
        plain = re.sub(r"<br\s*/?>|</p>|</div>|</tr>", "\n", plain, flags=re.I)
        plain = re.sub(r"<[^>]+>", " ", plain)
        plain = plain.replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    text = (plain or "").replace("\r\n", "\n")
    m = _ORIGINAL_FOLLOWS.search(text)
    return text[:m.start()] if m else text


def field(block: Message | None, name: str) -> str | None:
    """A header field unfolded to one line with its spaces collapsed, or None when absent or empty."""
    if block is None:
        return None
    value = block.get(name)
    if value is None:
        return None
    value = " ".join(_FOLD.sub(" ", str(value)).split())
    return value or None


def typed_address(value: str | None) -> str | None:
    """`rfc822; user@example.org` (RFC 3464 address-type; value) -> `user@example.org`."""
    if not value:
        return None
    kind, sep, addr = value.partition(";")
    addr = (addr if sep else kind).strip().strip("<>").strip()
    return addr or None
