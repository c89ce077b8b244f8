"""Signed subscriber tokens for the links in every message (unsubscribe, preferences, confirm),
and the per-form CSRF tokens of the web pages.

A token is bound to one subscriber and one purpose (the purpose is the itsdangerous salt, so an
unsubscribe token is no good as a preferences token) and signed with DIGEST_SECRET. Confirmation
tokens expire after CONFIRM_MAX_AGE; unsubscribe and preference links keep working, since they sit
in old messages. Nothing here touches the database.
May import: errors.
"""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from ..errors import ConfigError, DigestError

PURPOSES = {"unsubscribe": "u", "preferences": "p", "confirm": "c"}
CONFIRM_MAX_AGE = 7 * 24 * 3600       # seconds a double opt-in link stays valid
MAX_AGE = {"confirm": CONFIRM_MAX_AGE}
CSRF_MAX_AGE = 24 * 3600              # a form left open longer than this must be reloaded


class BadToken(DigestError):
    """The token is forged, altered, for another purpose, or expired."""


def _serializer(secret: str | None, purpose: str) -> URLSafeSerializer | URLSafeTimedSerializer:
    """Timed (timestamp inside) only where a token expires. The links that never expire are
    deterministic, so every copy of a subscriber's message carries the same URL."""
    if not secret:
        raise ConfigError("DIGEST_SECRET is not set.",
                          "Set DIGEST_SECRET to a long random string (for example `openssl rand -hex 32`).")
    cls = URLSafeTimedSerializer if purpose in MAX_AGE or purpose == "csrf" else URLSafeSerializer
    return cls(secret, salt=f"digest.{purpose}")


def make(secret: str | None, purpose: str, subscriber_id: int) -> str:
    return _serializer(secret, purpose).dumps(subscriber_id)


def read(secret: str | None, purpose: str, token: str, max_age: int | None = None) -> int:
    """The subscriber id in a token of this purpose; BadToken if forged, altered or expired."""
    if max_age is None:
        max_age = MAX_AGE.get(purpose)
    try:
        serializer = _serializer(secret, purpose)
        if isinstance(serializer, URLSafeTimedSerializer):
            value = serializer.loads(token, max_age=max_age)
        else:
            value = serializer.loads(token)
    except SignatureExpired:
        raise BadToken("This link has expired.") from None
    except BadSignature:
        raise BadToken("This link is not valid.") from None
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadToken("This link is not valid.")
    return value


def url(base_url: str, secret: str | None, purpose: str, subscriber_id: int) -> str:
    return f"{base_url}/{PURPOSES[purpose]}/{make(secret, purpose, subscriber_id)}"


# ---- CSRF: a signed token per form, bound to the form, its subject and the browser's nonce cookie

def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def csrf_make(secret: str | None, form: str, subject: int | str, nonce: str) -> str:
    return _serializer(secret, "csrf").dumps([form, str(subject), nonce])


def csrf_check(secret: str | None, form: str, subject: int | str, nonce: str | None, token: str | None) -> None:
    """BadToken unless `token` was made for this form and subject, for this browser, recently."""
    if not token or not nonce:
        raise BadToken("This form has expired or was not sent from our page. Reload the page and try again.")
    try:
        value = _serializer(secret, "csrf").loads(token, max_age=CSRF_MAX_AGE)
    except (BadSignature, SignatureExpired):
        raise BadToken("This form has expired or was not sent from our page. Reload the page and try again.") from None
    if not (isinstance(value, list) and len(value) == 3 and value[0] == form and value[1] == str(subject)
            and hmac.compare_digest(str(value[2]), nonce)):
        raise BadToken("This form has expired or was not sent from our page. Reload the page and try again.")
