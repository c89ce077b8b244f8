"""The [bounces] table: where bounces come back (the VERP bounce domain and prefix), when soft
bounces suppress an address, and the IMAP mailbox `digest bounces fetch` polls. Each setting can
be overridden by its DIGEST_BOUNCE_* / DIGEST_IMAP_* variable; the IMAP password comes from the
environment only (DIGEST_IMAP_PASSWORD).
May import: errors.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from ..errors import ConfigError

IMAP_SECURITY = ("ssl", "starttls", "none")


@dataclass
class BounceSettings:
    domain: str | None = None          # the bounce domain in MAIL FROM; None: the From address's domain
    prefix: str = "bounces"            # MAIL FROM is <prefix>+<token>@<domain>
    soft_limit: int = 3                # soft bounces (of distinct deliveries) within soft_days that suppress
    soft_days: float = 30.0
    imap_host: str | None = None       # the mailbox `digest bounces fetch` polls
    imap_port: int = 0                 # 0: 993 with ssl, else 143
    imap_user: str | None = None
    imap_password: str | None = None   # DIGEST_IMAP_PASSWORD only
    imap_security: str = "ssl"         # ssl, starttls or none (none only for a server on this machine)
    imap_folder: str = "INBOX"
    imap_done_folder: str = "digest-processed"   # where processed messages are moved

    @property
    def port(self) -> int:
        return self.imap_port or (993 if self.imap_security == "ssl" else 143)


ENV = {"DIGEST_BOUNCE_DOMAIN": "domain", "DIGEST_BOUNCE_PREFIX": "prefix",
       "DIGEST_BOUNCE_SOFT_LIMIT": "soft_limit", "DIGEST_BOUNCE_SOFT_DAYS": "soft_days",
       "DIGEST_IMAP_HOST": "imap_host", "DIGEST_IMAP_PORT": "imap_port", "DIGEST_IMAP_USER": "imap_user",
       "DIGEST_IMAP_PASSWORD": "imap_password", "DIGEST_IMAP_SECURITY": "imap_security",
       "DIGEST_IMAP_FOLDER": "imap_folder", "DIGEST_IMAP_DONE_FOLDER": "imap_done_folder"}
SECRET = {"imap_password"}
HINTS = {"soft_limit": "Soft bounces before an address is suppressed, e.g. soft_limit = 3.",
         "soft_days": "The days within which they count, e.g. soft_days = 30.",
         "imap_port": "The IMAP port, e.g. imap_port = 993.",
         "imap_security": 'One of "ssl", "starttls" or "none".'}


def bounce_settings(table: dict, env: dict[str, str], where: str) -> BounceSettings:
    """[bounces] from digest.toml (checked key by key), then the environment."""
    out = BounceSettings()
    known = {f.name for f in fields(BounceSettings)} - SECRET
    for key, value in (table or {}).items():
        if key in SECRET:
            raise ConfigError(f"{where}: [bounces] {key} is a secret and may not be in the configuration file.",
                              "Set DIGEST_IMAP_PASSWORD in the environment instead.")
        if key not in known:
            raise ConfigError(f"{where}: unknown setting `{key}` in [bounces].",
                              f"Known settings: {', '.join(sorted(known))}.")
        _set(out, key, value, f"{where}: [bounces] {key}")
    for var, key in ENV.items():
        if env.get(var):
            _set(out, key, env[var], var)
    return out


def _set(settings: BounceSettings, key: str, value: Any, where: str) -> None:
    current = {f.name: f.type for f in fields(BounceSettings)}[key]
    if isinstance(value, bool):
        raise ConfigError(f"{where} = {value!r} is not valid.", HINTS.get(key, ""))
    if "int" in current or "float" in current:
        kind = int if "int" in current else float
        try:
            number = kind(value)
        except (TypeError, ValueError):
            number = None
        if number is None or number < (0 if key == "imap_port" else 1) or \
                (kind is int and str(value).strip() != str(number)):
            raise ConfigError(f"{where} = {value!r} is not a {'whole ' if kind is int else ''}number"
                              f"{'' if key == 'imap_port' else ' of at least 1'}.", HINTS.get(key, ""))
        setattr(settings, key, number)
        return
    if not isinstance(value, str):
        raise ConfigError(f"{where} = {value!r} is not a string.", HINTS.get(key, ""))
    value = value.strip()
    if key == "imap_security" and value.lower() not in IMAP_SECURITY:
        raise ConfigError(f"{where} = {value!r} is not one of {', '.join(IMAP_SECURITY)}.", HINTS[key])
    if key in ("domain", "prefix") and (not value or any(c.isspace() or c in "@<>" for c in value)):
        raise ConfigError(f"{where} = {value!r} is not a {'domain' if key == 'domain' else 'local-part prefix'}.",
                          'Example: domain = "bounces.news.example.com", prefix = "bounces".')
    setattr(settings, key, value.lower() if key in ("imap_security", "domain") else value)
