"""Messages as they leave: one subscriber's digest built fast from its group's prepared body, its
envelope sender (VERP: a return path naming the delivery), the DKIM signer, and the double opt-in
confirmation mail.
Also the lint of a body as a subscriber's client gets it (lint_body, lint_size).
May import: bounces, clock, config, db, errors, i18n, compose.lint, compose.message, compose.fast_message,
models, compose.render, smtp, lists.tokens,
compose.views, and .bodies/.relays.
"""

from __future__ import annotations

import datetime as dt
import html as htmlmod
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import format_datetime, make_msgid
from pathlib import Path

from .. import bounces, i18n
from ..clock import now
from ..compose import lint as lint_mod
from ..compose import message, render
from ..compose.fast_message import Prepared, prepare
from ..compose.views import PLACEHOLDERS
from ..config import Config
from ..db import Database
from ..errors import ConfigError
from ..lists import tokens
from ..models import Delivery
from ..smtp import Outcome
from .bodies import Body, feedback_id, personal_message, unsubscribe_mailto
from .relays import open_relay

CONFIRM_DAYS = 7


@dataclass
class Group:
    """One body and its message prepared once, shared by every subscriber of a topic mix and window.
    `size`: its HTML's size as Gmail counts it (lint_size); `clipped`: too large to send (see send_edition)."""
    body: Body
    prepared: Prepared
    size: int = 0
    clipped: bool = False


class Claimed:
    """One claimed delivery on its way through the pool."""
    __slots__ = ("id", "subscriber_id", "email", "name", "message_id", "attempts", "created_at", "window", "group",
                 "tries", "requeues", "unbuilt")

    def __init__(self, d: Delivery, group: Group | None = None):
        assert d.email is not None, "a claim reads each row with its subscriber's address (a JOIN)"
        self.email: str = d.email
        self.id, self.subscriber_id, self.name = d.id, d.subscriber_id, d.name
        assert d.created_at is not None, "every ledger row is stamped when it is planned"
        self.created_at: dt.datetime = d.created_at
        self.message_id, self.attempts = d.message_id, d.attempts
        # The group is found when the row is handed to the pool (EditionRun.submit), not when it is
        # claimed: a batch of a thousand rows may hold hundreds of mixes, and their bodies would all be
        # alive at once.
        self.window, self.group, self.tries, self.requeues = d.window, group, 0, 0
        self.unbuilt: BaseException | None = None   # set by the worker when building this message raised


def prepare_group(cfg: Config, body: Body, *, test: bool = False) -> Group:
    return Group(body, prepare(sender=cfg.sender, subject=body.rendered.subject, list_id=cfg.list_id,
                               html=body.rendered.html, text=body.rendered.text, markers=list(PLACEHOLDERS.values()),
                               test=test, list_archive=body.view.web_url,
                               feedback_id=feedback_id(cfg, body.view.edition_key),
                               language=body.rendered.language))


def lint_body(cfg: Config, body: Body) -> lint_mod.LintReport:
    """The lint report of one body as a subscriber's client would get it: the markers filled in with
    links as long as real ones (a signed token is about 40 characters), so the size is what Gmail sees."""
    token = "x" * 40
    html, text = render.personalize(body.rendered, unsubscribe_url=f"{cfg.base_url}/u/{token}",
                                    preferences_url=f"{cfg.base_url}/p/{token}", email=f"reader@{cfg.domain}",
                                    name=None)
    return lint_mod.lint(html, text)


def lint_size(cfg: Config, body: Body) -> lint_mod.LintReport:
    """lint_body's size without its parse (the same markers filled in the same way, counted, not
    substituted); the full lint when the body is anywhere near the clipping size."""
    token = "x" * 40
    values = {PLACEHOLDERS["unsubscribe_url"]: f"{cfg.base_url}/u/{token}",
              PLACEHOLDERS["preferences_url"]: f"{cfg.base_url}/p/{token}",
              PLACEHOLDERS["email"]: f"reader@{cfg.domain}", PLACEHOLDERS["name"]: ""}
    html = body.rendered.html
    size = len(html.encode("utf-8")) + sum(
        html.count(m) * (len(htmlmod.escape(v, quote=True).encode("utf-8")) - len(m)) for m, v in values.items())
    if size >= lint_mod.NEAR_CLIP_BYTES - 4096:
        return lint_body(cfg, body)
    return lint_mod.LintReport(size_bytes=size)


def return_path(cfg: Config, edition_id: int, subscriber_id: int) -> str:
    """MAIL FROM for one delivery: `<prefix>+<token>@<bounce domain>`, so whatever comes back names
    it. Edition 0 is no edition: (0, 0) a test copy, (0, id) a confirmation mail."""
    return return_paths(cfg)(edition_id, subscriber_id)


def return_paths(cfg: Config) -> Callable[[int, int], str]:
    """return_path with the settings read once: a send asks for one per message, and the bounce
    domain alone (parsed from From) would cost as much as the token."""
    secret, domain, prefix = cfg.secret, cfg.bounce_domain, cfg.bounces.prefix
    return lambda edition_id, subscriber_id: bounces.return_path(secret, edition_id, subscriber_id, domain,
                                                                 prefix=prefix)


class DateHeader:
    """format_datetime once a second, not once a message."""

    def __init__(self):
        self.second, self.value = -1, ""

    def __call__(self) -> str:
        t = int(time.time())
        if t != self.second:
            self.value = format_datetime(dt.datetime.fromtimestamp(t, dt.timezone.utc))
            self.second = t
        return self.value


def fast_message(cfg: Config, group: Group, *, subscriber_id: int, email: str, name: str | None, message_id: str,
                 date: str, signer: message.Signer | None = None, test: bool = False, edition_id: int = 0) -> bytes:
    """One subscriber's message from the group's prepared body; the stdlib builds the rare one it cannot.
    `edition_id` goes in the token of their unsubscribe mailto (0: a test copy)."""
    unsub = tokens.url(cfg.base_url, cfg.secret, "unsubscribe", subscriber_id)
    prefs = tokens.url(cfg.base_url, cfg.secret, "preferences", subscriber_id)
    values = {PLACEHOLDERS["unsubscribe_url"]: unsub, PLACEHOLDERS["preferences_url"]: prefs,
              PLACEHOLDERS["email"]: email, PLACEHOLDERS["name"]: name or ""}
    mailto = unsubscribe_mailto(cfg, edition_id, subscriber_id)
    data = group.prepared.build(to_email=email, to_name=name, message_id=message_id, date=date,
                                unsubscribe_url=unsub, values=values, unsubscribe_mailto=mailto)
    if data is None:
        data = personal_message(cfg, group.body, subscriber_id=subscriber_id, email=email, name=name,
                                message_id=message_id, test=test, edition_id=edition_id)
    return signer.sign(data) if signer else data


def signer_for(cfg: Config) -> message.Signer | None:
    """A DKIM signer when DIGEST_DKIM_KEY names a key, else None; with DIGEST_DKIM_ED25519_KEY too, it
    adds a second, Ed25519 signature (RFC 8463)."""
    if not cfg.dkim_key:
        if cfg.dkim_ed25519_key:
            raise ConfigError("DIGEST_DKIM_ED25519_KEY is set without DIGEST_DKIM_KEY.",
                              "Ed25519 goes beside RSA, which every receiver checks: set DIGEST_DKIM_KEY too.")
        return None
    hint = "Point DIGEST_DKIM_KEY at a PEM RSA private key (`openssl genrsa 2048`), or unset it to send unsigned."
    key = _read_key(cfg.dkim_key, "DIGEST_DKIM_KEY", hint)
    ed_hint = ("Point DIGEST_DKIM_ED25519_KEY at a PEM Ed25519 private key (`openssl genpkey -algorithm ed25519`), "
               "or unset it.")
    ed_key = _read_key(cfg.dkim_ed25519_key, "DIGEST_DKIM_ED25519_KEY", ed_hint) if cfg.dkim_ed25519_key else None
    try:
        return message.Signer(key, cfg.dkim_selector, cfg.dkim_domain or cfg.domain, ed25519_key_pem=ed_key,
                              ed25519_selector=cfg.dkim_ed25519_selector)
    except ValueError as exc:
        which = "DIGEST_DKIM_ED25519_KEY" if str(exc).startswith("not a PEM Ed25519") else "DIGEST_DKIM_KEY"
        path = cfg.dkim_ed25519_key if which == "DIGEST_DKIM_ED25519_KEY" else cfg.dkim_key
        raise ConfigError(f"DKIM key {path} ({which}) is {exc}.", ed_hint if which != "DIGEST_DKIM_KEY" else hint) from None


def _read_key(path: str, variable: str, hint: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"DKIM key {path} ({variable}): {exc.strerror}.", hint) from None


def send_confirmation(db: Database, cfg: Config, email: str) -> Outcome:
    """Mail a double opt-in link (/c/<token>, valid CONFIRM_DAYS days) to a pending subscriber, in
    their language (their own, else the newsletter's), their topics by the names that language gives them."""
    sub = db.subscribers.get(email)
    language = sub.language or cfg.language
    links = {"confirm_url": tokens.url(cfg.base_url, cfg.secret, "confirm", sub.id),
             "unsubscribe_url": tokens.url(cfg.base_url, cfg.secret, "unsubscribe", sub.id)}
    env = render.environment([cfg.templates_dir] if cfg.templates_dir else None, language)
    labels = {t.name: t.label(language) for t in db.topics.all()}
    context = {"newsletter": cfg.newsletter, "topics": [labels.get(t, t) for t in sub.topics], "days": CONFIRM_DAYS,
               "postal_address": cfg.postal_address, **links}
    html = env.get_template("web/confirm_email.html").render(context)
    text = env.get_template("web/confirm_email.txt").render(context)
    subject = i18n.translations(language).gettext("Confirm your subscription to %(newsletter)s")
    envelope = message.Envelope(
        sender=cfg.sender, to_email=sub.email, to_name=sub.name,
        subject=subject % {"newsletter": cfg.newsletter}, message_id=make_msgid("confirm", cfg.domain),
        date=now(), list_id=cfg.list_id, unsubscribe_url=links["unsubscribe_url"],
        unsubscribe_mailto=unsubscribe_mailto(cfg, 0, sub.id), language=language)
    data = message.to_bytes(message.build(envelope, html=html, text=text))
    relay = open_relay(cfg)
    try:
        return relay.send(return_path(cfg, 0, sub.id), sub.email, data)
    finally:
        relay.close()
