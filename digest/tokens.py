"""Signed subscriber tokens for the links in every message (unsubscribe, preferences, confirm).

A token is bound to one subscriber and one purpose and signed with DIGEST_SECRET (itsdangerous);
confirmation tokens expire. Nothing here touches the database.
May import: errors.
"""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .errors import ConfigError, DigestError

PURPOSES = {"unsubscribe": "u", "preferences": "p", "confirm": "c"}
DEMO_SECRET = "digest-demo-secret-not-for-production"


class BadToken(DigestError):
    """The token is forged, altered, for another purpose, or expired."""


def _serializer(secret: str | None, purpose: str) -> URLSafeTimedSerializer:
    if not secret:
        raise ConfigError("DIGEST_SECRET is not set.",
                          "Set DIGEST_SECRET to a long random string (for example `openssl rand -hex 32`).")
    return URLSafeTimedSerializer(secret, salt=f"digest.{purpose}")


def make(secret: str | None, purpose: str, subscriber_id: int) -> str:
    return _serializer(secret, purpose).dumps(subscriber_id)


def read(secret: str | None, purpose: str, token: str, max_age: int | None = None) -> int:
    try:
        value = _serializer(secret, purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise BadToken("This link has expired.") from None
    except BadSignature:
        raise BadToken("This link is not valid.") from None
    if not isinstance(value, int):
        raise BadToken("This link is not valid.")
    return value


def url(base_url: str, secret: str | None, purpose: str, subscriber_id: int) -> str:
    return f"{base_url}/{PURPOSES[purpose]}/{make(secret, purpose, subscriber_id)}"
