"""DIGEST_SECRET: it signs every link in every message, so a weak one lets anyone forge them. The
rule is one: at least SECRET_MIN_BITS of entropy, except the public DEMO_SECRET, which only
`digest demo` (and `digest serve --demo`, `digest preview` unsent) may use.
May import: errors.
"""

from __future__ import annotations

import math
import string
from collections import Counter

from ..errors import ConfigError

DEMO_SECRET = "digest-demo-secret-not-for-production"
SECRET_MIN_BITS = 256          # 32 random bytes: `openssl rand -hex 32`
SECRET_HINT = ("Make one with `openssl rand -hex 32` (or `python3 -c 'import secrets; print(secrets.token_hex(32))'`), "
               "put it in the environment of every digest process, and keep it: it signs every unsubscribe link.")
_BASE64 = set(string.ascii_letters + string.digits + "+/=-_")


def secret_bits(secret: str) -> int:
    """A generous estimate of the entropy of a secret, in bits.

    Each character counts the bits of the smallest usual alphabet the whole secret is drawn from
    (hex digits 4, base64 6, printable ASCII 6.6, anything else 8 a byte), but no more than 1.5 times
    the secret's own per-character Shannon entropy: a long run of one character is not random,
    while 64 random hex digits (`openssl rand -hex 32`) count their full 256 bits.
    """
    if not secret:
        return 0
    chars = set(secret)
    if chars <= set(string.digits):
        per, n = math.log2(10), len(secret)
    elif chars <= set(string.hexdigits):
        per, n = 4.0, len(secret)
    elif chars <= _BASE64:
        per, n = 6.0, len(secret)
    elif all(" " <= c <= "~" for c in secret):
        per, n = math.log2(95), len(secret)
    else:
        per, n = 8.0, len(secret.encode("utf-8"))
    counts = Counter(secret)
    shannon = -sum(c / len(secret) * math.log2(c / len(secret)) for c in counts.values())
    return int(n * min(per, 1.5 * shannon))


def check_secret(secret: str | None, *, demo: bool = False) -> None:
    """ConfigError unless DIGEST_SECRET is set and holds at least SECRET_MIN_BITS of entropy. With
    `demo`, the public demo secret is accepted."""
    if secret == DEMO_SECRET:
        if demo:
            return
        raise ConfigError("DIGEST_SECRET is the demo secret, which is public: anyone could forge the links it signs.",
                          SECRET_HINT)
    if not secret:
        raise ConfigError("DIGEST_SECRET is not set.", SECRET_HINT)
    bits = secret_bits(secret)
    if bits < SECRET_MIN_BITS:
        raise ConfigError(f"DIGEST_SECRET is too weak: about {bits} bits of entropy, and links signed with it could "
                          f"be forged; at least {SECRET_MIN_BITS} bits (32 random bytes) are needed.", SECRET_HINT)
