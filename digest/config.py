"""Configuration in one order: built-in defaults < digest.toml < DIGEST_* environment variables.

Secrets (the token secret, SMTP passwords, the DKIM key) come from the environment only: a
digest.toml that holds one is refused, so it can be committed safely.
May import: errors.
"""

from __future__ import annotations

import os
import tomllib
import urllib.parse
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path

from .errors import ConfigError


@dataclass
class SmtpSettings:
    host: str
    port: int
    user: str | None = None
    password: str | None = None
    ssl: bool = False          # smtps:// (implicit TLS)
    starttls: bool = False     # ?starttls=true
    timeout: float = 30.0

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class Config:
    db: str = "digest.db"
    smtp_url: str | None = None
    sender: str = "The Digest <digest@news.example.com>"
    base_url: str = "https://news.example.com"
    newsletter: str = "The Digest"
    postal_address: str = "The Digest, 1 Example Street, Springfield 00000, USA"
    unsubscribe_mailto: str | None = None
    templates_dir: str | None = None
    timezone: str = "UTC"
    secret: str | None = None
    dkim_key: str | None = None       # path to a PEM private key, from the environment only
    dkim_selector: str = "digest"
    dkim_domain: str | None = None
    connections: int = 4
    rate: float = 0.0                 # messages per second, 0 = as fast as the relay takes them
    max_items_per_topic: int = 6      # [digest] table: stories per topic in the body; the rest are one link
    source: str | None = None         # the digest.toml that was read, if any
    sections: dict = field(default_factory=dict)   # the raw [ingest], [digest], ... tables

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1]

    @property
    def domain(self) -> str:
        return self.sender_address.rpartition("@")[2] or "localhost"

    @property
    def list_id(self) -> str:
        return f"{self.newsletter} <digest.{self.domain}>"

    def smtp(self) -> SmtpSettings | None:
        return parse_smtp_url(self.smtp_url) if self.smtp_url else None


SECRET_KEYS = {"secret", "password", "dkim_key"}
ENV = {
    "DIGEST_DB": "db", "DIGEST_SMTP_URL": "smtp_url", "DIGEST_FROM": "sender", "DIGEST_BASE_URL": "base_url",
    "DIGEST_SECRET": "secret", "DIGEST_NEWSLETTER": "newsletter", "DIGEST_POSTAL_ADDRESS": "postal_address",
    "DIGEST_TEMPLATES": "templates_dir", "DIGEST_DKIM_KEY": "dkim_key", "DIGEST_DKIM_SELECTOR": "dkim_selector",
    "DIGEST_DKIM_DOMAIN": "dkim_domain", "DIGEST_UNSUBSCRIBE_MAILTO": "unsubscribe_mailto",
    "DIGEST_TIMEZONE": "timezone", "DIGEST_CONNECTIONS": "connections", "DIGEST_RATE": "rate",
    "DIGEST_MAX_ITEMS_PER_TOPIC": "max_items_per_topic",
}
TOML = {"db", "smtp_url", "from", "base_url", "newsletter", "postal_address", "templates_dir", "dkim_selector",
        "dkim_domain", "unsubscribe_mailto", "timezone", "connections", "rate"}


def load(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    env = dict(os.environ if env is None else env)
    cfg = Config()
    path = path or env.get("DIGEST_CONFIG")
    if path is None and Path("digest.toml").exists():
        path = "digest.toml"
    if path is not None:
        _apply_file(cfg, Path(path))
    for var, attr in ENV.items():
        if env.get(var):
            _set(cfg, attr, env[var], var)
    if cfg.smtp_url:
        parse_smtp_url(cfg.smtp_url)   # fail early on a malformed URL
    if cfg.max_items_per_topic < 1:
        raise ConfigError(f"max_items_per_topic = {cfg.max_items_per_topic} is below 1.",
                          "Set [digest] max_items_per_topic (or DIGEST_MAX_ITEMS_PER_TOPIC) to a whole "
                          "number of stories per topic, e.g. 6.")
    cfg.base_url = cfg.base_url.rstrip("/")
    return cfg


def _apply_file(cfg: Config, path: Path) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Configuration file {path} does not exist.", "Check --config or DIGEST_CONFIG.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}).") from None
    general = {k: v for k, v in data.items() if not isinstance(v, dict)}
    for key, value in general.items():
        if key in SECRET_KEYS:
            raise ConfigError(f"{path}: `{key}` is a secret and may not be in the configuration file.",
                              "Set it in the environment instead (see README, Configuration).")
        if key not in TOML:
            raise ConfigError(f"{path}: unknown setting `{key}`.", f"Known settings: {', '.join(sorted(TOML))}.")
        _set(cfg, "sender" if key == "from" else key, value, f"{path}: {key}")
    smtp_url = general.get("smtp_url")
    if smtp_url and urllib.parse.urlsplit(str(smtp_url)).password:
        raise ConfigError(f"{path}: smtp_url holds a password.",
                          "Put the whole URL in DIGEST_SMTP_URL in the environment instead.")
    cfg.sections = {k: v for k, v in data.items() if isinstance(v, dict)}
    cfg.source = str(path)
    cap = cfg.sections.get("digest", {}).get("max_items_per_topic")
    if cap is not None:
        if not isinstance(cap, int) or isinstance(cap, bool):
            raise ConfigError(f"{path}: [digest] max_items_per_topic = {cap!r} is not a whole number.",
                              "Example: max_items_per_topic = 6")
        cfg.max_items_per_topic = cap


def _set(cfg: Config, attr: str, value, where: str) -> None:
    current = getattr(cfg, attr)
    try:
        if isinstance(current, bool):
            value = str(value).lower() in ("1", "true", "yes")
        elif isinstance(current, int):
            value = int(value)
        elif isinstance(current, float):
            value = float(value)
        else:
            value = str(value)
    except ValueError:
        raise ConfigError(f"{where}: `{value}` is not a valid {type(current).__name__}.") from None
    setattr(cfg, attr, value)


def parse_smtp_url(url: str) -> SmtpSettings:
    """smtp://user:pass@host:port, smtps://..., ?starttls=true&timeout=10."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError(f"SMTP URL `{_redact(url)}` is not valid.",
                          "Use smtp://user:pass@host:587?starttls=true or smtps://user:pass@host:465.")
    query = dict(urllib.parse.parse_qsl(parts.query))
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
        timeout = float(query.get("timeout", 30))
    except ValueError:
        raise ConfigError(f"SMTP URL `{_redact(url)}` has a bad port or timeout.") from None
    return SmtpSettings(
        host=parts.hostname, port=port,
        user=urllib.parse.unquote(parts.username) if parts.username else None,
        password=urllib.parse.unquote(parts.password) if parts.password else None,
        ssl=parts.scheme == "smtps", starttls=query.get("starttls", "").lower() in ("1", "true", "yes"),
        timeout=timeout,
    )


def _redact(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    return url
