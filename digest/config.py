"""Configuration in one order: built-in defaults < digest.toml < DIGEST_* environment variables.

Secrets (the token secret, SMTP passwords, the DKIM key) come from the environment only: a
digest.toml that holds one is refused, so it can be committed safely.
May import: errors.
"""

from __future__ import annotations

import math
import os
import string
import tomllib
from collections import Counter
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
class SummarySettings:
    """[summary] and [cluster]: how long a blurb is, which site names a title may lose besides the
    article's own outlet, and how far apart in time two reports of one story may be published."""
    max_words: int = 55
    max_sentences: int = 2
    site_names: list[str] = field(default_factory=list)
    cluster_window_hours: float = 48.0


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
    summary: SummarySettings = field(default_factory=SummarySettings)

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
PATH_KEYS = {"db", "templates_dir"}    # relative to the digest.toml that names them
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
    templates_from = f"{cfg.source}: templates_dir" if cfg.templates_dir else None
    for var, attr in ENV.items():
        if env.get(var):
            _set(cfg, attr, env[var], var)
            if attr == "templates_dir":
                templates_from = var
    for var, attr in SUMMARY_ENV.items():
        if env.get(var):
            _set_summary(cfg.summary, attr, env[var], var)
    if cfg.templates_dir:
        _check_templates(cfg.templates_dir, templates_from)
    if cfg.smtp_url:
        parse_smtp_url(cfg.smtp_url)   # fail early on a malformed URL
    if cfg.max_items_per_topic < 1:
        raise ConfigError(f"max_items_per_topic = {cfg.max_items_per_topic} is below 1.",
                          "Set [digest] max_items_per_topic (or DIGEST_MAX_ITEMS_PER_TOPIC) to a whole "
                          "number of stories per topic, e.g. 6.")
    cfg.base_url = cfg.base_url.rstrip("/")
    return cfg


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


def check_secret(secret: str | None) -> None:
    """ConfigError unless DIGEST_SECRET is set and holds at least SECRET_MIN_BITS of entropy."""
    if not secret:
        raise ConfigError("DIGEST_SECRET is not set.", SECRET_HINT)
    bits = secret_bits(secret)
    if bits < SECRET_MIN_BITS:
        raise ConfigError(f"DIGEST_SECRET is too weak: about {bits} bits of entropy, and links signed with it could "
                          f"be forged; at least {SECRET_MIN_BITS} bits (32 random bytes) are needed.", SECRET_HINT)


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
        if key in PATH_KEYS:
            setattr(cfg, key, _beside(path, getattr(cfg, key)))
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
    _apply_summary(cfg, path)


SUMMARY_ENV = {"DIGEST_SUMMARY_MAX_WORDS": "max_words", "DIGEST_SUMMARY_MAX_SENTENCES": "max_sentences",
               "DIGEST_CLUSTER_WINDOW_HOURS": "cluster_window_hours"}
_SUMMARY_KEYS = {"summary": {"max_words": "max_words", "max_sentences": "max_sentences", "site_names": "site_names"},
                 "cluster": {"window_hours": "cluster_window_hours"}}
_SUMMARY_HINTS = {"max_words": "The blurb's word budget, e.g. max_words = 55.",
                  "max_sentences": "Sentences in a blurb, the lede included, e.g. max_sentences = 2.",
                  "cluster_window_hours": "Hours between two reports of one story, e.g. window_hours = 48.",
                  "site_names": 'Site names a title may lose at its end, e.g. site_names = ["BBC News"].'}


def _apply_summary(cfg: Config, path: Path) -> None:
    """[summary] max_words, max_sentences, site_names and [cluster] window_hours, each checked."""
    for table, keys in _SUMMARY_KEYS.items():
        values = cfg.sections.get(table) or {}
        unknown = sorted(set(values) - set(keys))
        if unknown:
            raise ConfigError(f"{path}: unknown setting `{unknown[0]}` in [{table}].",
                              f"Known settings: {', '.join(sorted(keys))}.")
        for key, attr in keys.items():
            if key in values:
                _set_summary(cfg.summary, attr, values[key], f"{path}: [{table}] {key}")


def _set_summary(settings: SummarySettings, attr: str, value, where: str) -> None:
    if attr == "site_names":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigError(f"{where} must be a list of names.", _SUMMARY_HINTS[attr])
        settings.site_names = [v.strip() for v in value]
        return
    kind = type(getattr(settings, attr))
    try:
        number = kind(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or number <= 0 or (kind is int and str(value).strip() not in (str(number), f"{number}.0")):
        raise ConfigError(f"{where} = {value!r} is not a positive {'whole ' if kind is int else ''}number.",
                          _SUMMARY_HINTS[attr])
    setattr(settings, attr, number)


def _beside(config_file: Path, value: str) -> str:
    """A path written in digest.toml means a path next to that file, wherever digest is run from
    (as [ingest] folders and feeds always have); an absolute path stays as it is."""
    if not value or value == ":memory:" or Path(value).is_absolute():
        return value
    return str(config_file.parent / value)


def _check_templates(folder: str, where: str | None) -> None:
    """A templates folder that is not there is a mistake to report, not a reason to fall back
    silently to the built-in look."""
    path = Path(folder)
    if not path.is_dir():
        what = "does not exist" if not path.exists() else "is not a folder"
        raise ConfigError(f"{where or 'templates_dir'}: the templates folder {folder} {what}.",
                          "Point it at a folder of template overrides (for example a copy of "
                          "templates/digest.html), or unset it to use the built-in templates.")


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
