"""Preflight: everything a message needs, checked before anything is planned or recorded.

`digest send`, `send --test-to`, the scheduler and the demo call `preflight` first, as they check
the relay: a missing or weak secret, a base URL or sender address that cannot work, an unsubscribe
mailto that is not one, a sender, base URL or postal address never set (still the built-in
placeholders; the demo's own relay excepted), a bounce address or mailto that cannot carry a token,
a DKIM key that cannot sign, a template folder that is not there, templates that are missing or
broken. Each is one ConfigError naming the setting and its fix, and no delivery
row exists yet, so nothing is marked failed for a fault that is not the recipient's.

It does so by building one real message the way `send` does (render, prepare, substitute, sign),
over a sample edition with one story in every topic of the store, so a per-topic template override
(`topics/<slug>.html`) is rendered too.

May import: clock, config, db, errors, compose.message, models, selection.select, compose.views,
and .bodies/.bounces/.editions/.messages.
"""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..clock import now
from ..compose import message
from ..config import Config, check_placeholders, check_secret
from ..db import Database
from ..errors import ConfigError
from ..models import Article
from ..selection import select
from .bodies import Body, edition_view, render_view
from .bounces import check_bounce_setup
from .editions import edition_key, local_today
from .messages import fast_message, prepare_group, signer_for

if TYPE_CHECKING:       # the type only
    from ..compose.views import EditionView

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def preflight(db: Database, cfg: Config, *, demo: bool = False) -> None:
    """ConfigError for the first thing that would stop a message from being built, signed or trusted.

    demo: the built-in demo secret is accepted (it is public, so only `digest demo` may use it).
    """
    check_secret(cfg.secret, demo=demo)
    if not demo:
        check_placeholders(cfg)
    _base_url(cfg)
    _addresses(cfg)
    check_bounce_setup(cfg)                 # VERP and the mailto: their local parts can carry a token
    signer = signer_for(cfg)                # an unreadable or unparsable key: ConfigError
    # A templates_dir that does not exist is refused when the configuration is read (config.load).
    at = now()
    view = _sample_view(db, cfg, at)
    body = Body(select.mix_key(view.topics), view, render_view(cfg, view), [])    # broken templates: ConfigError
    try:
        group = prepare_group(cfg, body)
        data = fast_message(cfg, group, subscriber_id=0, email=f"preflight@{cfg.domain}", name="Preflight",
                            message_id=message.message_id(view.edition_key, 0, cfg.domain),
                            date=format_datetime(at))
    except Exception as exc:   # noqa: BLE001 -- whatever it is, it would fail every message: say so once
        raise ConfigError(f"A test message could not be built: {exc!r}.",
                          "Nothing was planned or sent. `digest -v send` shows the traceback.") from exc
    if signer is not None:
        try:
            signer.sign(data)
        except Exception as exc:   # noqa: BLE001 -- dkimpy raises several kinds
            raise ConfigError(f"DKIM key {cfg.dkim_key} (DIGEST_DKIM_KEY) could not sign a message: {exc}.",
                              "Check the key, DIGEST_DKIM_SELECTOR and DIGEST_DKIM_DOMAIN, or unset "
                              "DIGEST_DKIM_KEY to send unsigned.") from exc


def _base_url(cfg: Config) -> None:
    parts = urlsplit(cfg.base_url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in cfg.base_url):
        raise ConfigError(f"DIGEST_BASE_URL `{cfg.base_url}` is not an absolute URL: every link in the mail is "
                          "built on it.", "Set it to the public https URL of `digest serve`, e.g. "
                          "https://news.example.com.")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise ConfigError(f"DIGEST_BASE_URL `{cfg.base_url}` is not https: mail clients only offer one-click "
                          "unsubscribe (RFC 8058) on an https link.",
                          "Serve the subscriber pages behind TLS and set DIGEST_BASE_URL to the https URL.")


def _addresses(cfg: Config) -> None:
    local, _, domain = cfg.sender_address.rpartition("@")
    if not local or not domain or any(c.isspace() or ord(c) < 32 for c in cfg.sender_address):
        raise ConfigError(f"DIGEST_FROM `{cfg.sender}` has no valid sender address.",
                          'Use a name and an address, e.g. DIGEST_FROM="The Digest <digest@news.example.com>".')
    mailto = cfg.unsubscribe_mailto
    if mailto and not (mailto.lower().startswith("mailto:") and "@" in mailto and " " not in mailto.strip()):
        raise ConfigError(f"DIGEST_UNSUBSCRIBE_MAILTO `{mailto}` is not a mailto: URL.",
                          "Example: mailto:unsubscribe@news.example.com?subject=unsubscribe, or unset it.")


def _sample_view(db: Database, cfg: Config, at: dt.datetime) -> EditionView:
    """An edition with one made-up story in each topic of the store: what every template sees."""
    topics = [t.name for t in db.topics.all()] or ["News"]
    arts = [Article(id=n, title=f"Preflight check {n}", body="A preflight story. It is never sent.", topics=[t],
                    labels=[t], headline=f"Preflight check for {t}", summary="A preflight story. It is never sent.",
                    ingested_at=at) for n, t in enumerate(topics, 1)]
    day = local_today(cfg, at)
    return edition_view(cfg, edition_key("daily", day), day, select.mix_key(topics), arts, at=at)
