"""VERP addresses: a return path (and an unsubscribe mailto) that names its delivery and proves it.

Every message goes out with MAIL FROM `bounces+<token>@<bounce domain>`; whatever comes back to
that address (a DSN, an auto-reply) names the (edition, subscriber) it is about, with no guessing.
The token is `<edition>-<subscriber>-<mac>`: both ids in base 36, and 80 bits of HMAC-SHA256 keyed
with DIGEST_SECRET over the purpose and both ids, in base 32. A forged or altered token is refused.

Only lower-case letters, digits and "-" appear, because some MTAs lower-case the local part on the
way back, and the local part stays within RFC 5321's 64 octets (52 at most for "bounces+").
The mailto in List-Unsubscribe carries the same kind of token under its own purpose, so a bounce
token cannot be replayed as an unsubscribe request, nor the other way round.
May import: lists.tokens, errors.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import urllib.parse

from ..errors import ConfigError
from ..lists.tokens import BadToken

PURPOSES = ("bounce", "unsubscribe")
MAX_LOCAL_PART = 64                  # RFC 5321 4.5.3.1.1
MAX_ID = 2**63 - 1                   # SQLite's largest rowid
_MAC_BYTES = 10                      # 80 bits: 16 base-32 characters
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_TOKEN = re.compile(r"([0-9a-z]{1,13})-([0-9a-z]{1,13})-([a-z2-7]{16})")


def _b36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _DIGITS[r] + out
        if not n:
            return out


def _mac(secret: str | None, purpose: str, edition_id: int, subscriber_id: int) -> str:
    if not secret:
        raise ConfigError("DIGEST_SECRET is not set.",
                          "Set DIGEST_SECRET to a long random string (for example `openssl rand -hex 32`).")
    if purpose not in PURPOSES:
        raise ValueError(f"unknown VERP purpose {purpose!r}")
    msg = f"digest.verp.{purpose}:{edition_id}:{subscriber_id}".encode()
    raw = hmac.new(secret.encode(), msg, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.b32encode(raw).decode("ascii").lower()


def make_token(secret: str | None, edition_id: int, subscriber_id: int, purpose: str = "bounce") -> str:
    """`<edition>-<subscriber>-<mac>`, at most 44 characters."""
    for name, value in (("edition_id", edition_id), ("subscriber_id", subscriber_id)):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ID:
            raise ValueError(f"{name} must be an integer from 0 to 2**63-1, not {value!r}")
    return f"{_b36(edition_id)}-{_b36(subscriber_id)}-{_mac(secret, purpose, edition_id, subscriber_id)}"


def read_token(secret: str | None, token: str, purpose: str = "bounce") -> tuple[int, int]:
    """(edition_id, subscriber_id) named by a token of this purpose; BadToken if forged, altered,
    truncated or made for the other purpose. Case does not matter: an MTA may have lower-cased it."""
    m = _TOKEN.fullmatch((token or "").strip().lower())
    if not m:
        raise BadToken("This bounce address is not one of ours.")
    edition_s, subscriber_s, mac = m.groups()
    if edition_s != _b36(int(edition_s, 36)) or subscriber_s != _b36(int(subscriber_s, 36)):
        raise BadToken("This bounce address is not one of ours.")    # leading zeros: not a form we write
    edition_id, subscriber_id = int(edition_s, 36), int(subscriber_s, 36)
    if edition_id > MAX_ID or subscriber_id > MAX_ID or \
            not hmac.compare_digest(mac, _mac(secret, purpose, edition_id, subscriber_id)):
        raise BadToken("This bounce address is not one of ours.")
    return edition_id, subscriber_id


def address(prefix: str, token: str, domain: str) -> str:
    """`<prefix>+<token>@<domain>`; ValueError if the local part would pass 64 octets."""
    local = f"{prefix}+{token}"
    if not prefix or not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", prefix.lower()) or prefix.endswith("."):
        raise ValueError(f"VERP prefix {prefix!r} must be letters, digits, '.', '_' or '-'")
    if len(local) > MAX_LOCAL_PART:
        raise ValueError(f"VERP local part {local!r} is {len(local)} octets; the limit is {MAX_LOCAL_PART}")
    return f"{local}@{domain}"


def return_path(secret: str | None, edition_id: int, subscriber_id: int, domain: str,
                prefix: str = "bounces") -> str:
    """The envelope sender (MAIL FROM) for one delivery: `bounces+<token>@<domain>`."""
    return address(prefix, make_token(secret, edition_id, subscriber_id, "bounce"), domain)


def token_in(addr: str | None, prefix: str) -> str | None:
    """The token of `<prefix>+<token>@...` in an address (angle brackets and case ignored), else None."""
    if not addr:
        return None
    addr = addr.strip().strip("<>").strip().lower()
    local, at, _ = addr.rpartition("@")
    head = prefix.lower() + "+"
    if not at or not local.startswith(head) or len(local) == len(head):
        return None
    return local[len(head):]


def mailto_parts(mailto: str) -> tuple[str, str, str]:
    """(local part, domain, query) of a configured `mailto:local@domain?query` URL."""
    if not mailto.lower().startswith("mailto:"):
        raise ValueError(f"{mailto!r} is not a mailto: URL")
    rest = mailto[len("mailto:"):]
    addr, _, query = rest.partition("?")
    local, at, domain = urllib.parse.unquote(addr).rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"{mailto!r} has no address")
    return local, domain, query


def unsubscribe_mailto(secret: str | None, edition_id: int, subscriber_id: int, mailto: str) -> str:
    """The configured `mailto:unsubscribe@domain?subject=...` with this delivery's token added:
    `mailto:unsubscribe+<token>@domain?subject=...`. The local part of the configured address is
    the prefix that `parse` later looks for."""
    local, domain, query = mailto_parts(mailto)
    addr = address(local, make_token(secret, edition_id, subscriber_id, "unsubscribe"), domain)
    return f"mailto:{addr}" + (f"?{query}" if query else "")
