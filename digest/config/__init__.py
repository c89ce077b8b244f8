"""Configuration in one order: built-in defaults < digest.toml < DIGEST_* environment variables.

Every setting is read and checked here, once, when the configuration is loaded: the top-level
keys below, the tables [send], [digest], [ingest], [web], [summary] and [cluster] (tables.py),
[bounces] (bounces.py), [worker] (worker.py) and the [[relay]] tables (relays.py). Secrets (the token
secret, SMTP and IMAP passwords, the DKIM keys) come from the environment only: a digest.toml that holds
one is refused, so it can be committed safely.
May import: errors, models, selection.slots.
"""

from __future__ import annotations

import functools
import os
import tomllib
import urllib.parse
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..selection.slots import DigestSchedule
from .bounces import BounceSettings, bounce_settings
from .relays import RelaySettings, env_var, relay_tables
from .secret import DEMO_SECRET, SECRET_HINT, SECRET_MIN_BITS, check_secret, secret_bits
from .smtp_url import SmtpSettings, parse_smtp_url
from .tables import (
    SEND_ENV,
    SUMMARY_ENV,
    IngestSettings,
    SendSettings,
    SummarySettings,
    WebSettings,
    apply_send,
    apply_summary,
    check_tables,
    checked_language,
    checked_zone,
    digest_language,
    digest_schedule,
    ingest_settings,
    max_items,
    set_summary,
    web_settings,
)
from .worker import WorkerSettings, worker_settings

__all__ = ["DEMO_SECRET", "SECRET_HINT", "SECRET_MIN_BITS", "BounceSettings", "Config", "DigestSchedule",
           "IngestSettings", "RelaySettings", "SendSettings", "SmtpSettings", "SummarySettings", "WebSettings",
           "WorkerSettings", "check_placeholders", "check_secret", "checked_language", "digest_schedule", "env_var",
           "load", "parse_smtp_url", "secret_bits"]


@functools.lru_cache(maxsize=64)
def _address(sender: str) -> str:
    return parseaddr(sender)[1]


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
    dkim_ed25519_key: str | None = None       # path to a PEM Ed25519 key: a second signature; environment only
    dkim_ed25519_selector: str | None = None  # None: "<dkim_selector>-ed25519"
    # Feedback-ID (Gmail's feedback loop): {edition} is the edition's key, {newsletter} the
    # newsletter's name as a slug; "" sends none.
    feedback_id: str = "{edition}:{newsletter}:digest"
    max_items_per_topic: int = 8      # [digest] table: stories per topic in the email; the rest are one link
    max_stories: int = 20             # [digest] table: stories in the email, the best first; the rest are links
    max_age_days: int = 3             # [digest] table: older than the window's start by more than this: left out
    language: str = "en"              # [digest] table: the language of the email's frame (digest.i18n.shipped())
    source: str | None = None         # the digest.toml that was read, if any
    send: SendSettings = field(default_factory=SendSettings)
    schedule: DigestSchedule = field(default_factory=DigestSchedule)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    web: WebSettings = field(default_factory=WebSettings)
    summary: SummarySettings = field(default_factory=SummarySettings)
    bounces: BounceSettings = field(default_factory=BounceSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)      # [worker]: digest worker, Postgres
    relay_tables: list[RelaySettings] = field(default_factory=list)   # [[relay]]; empty: smtp_url's one relay
    # Where each top-level setting was set ("digest.toml: from", "DIGEST_FROM"); absent: the built-in default.
    origins: dict[str, str] = field(default_factory=dict)

    def unset_placeholders(self) -> list[tuple[str, str, str]]:
        """(setting, digest.toml key, DIGEST_* variable) of each setting still at its built-in
        placeholder: never set in digest.toml or the environment, nor in code. A value the admin
        set is theirs, example.com included."""
        return [(attr, key, var) for attr, key, var in PLACEHOLDERS
                if attr not in self.origins and getattr(self, attr) == getattr(_DEFAULTS, attr)]

    @property
    def sender_address(self) -> str:
        return _address(self.sender)     # asked for every message: parsed once per value

    domain = property(lambda self: self.sender_address.rpartition("@")[2] or "localhost")

    @property
    def bounce_domain(self) -> str:
        """The domain of every message's envelope sender (VERP), where bounces come back."""
        return self.bounces.domain or self.domain

    @property
    def list_id(self) -> str:
        return f"{self.newsletter} <digest.{self.domain}>"

    def relays(self) -> list[RelaySettings]:
        """The relays to send through: the [[relay]] tables, else the one relay of smtp_url (DIGEST_SMTP_URL),
        else none. A relay without its own `connections` or `rate` takes the top-level ones."""
        if self.relay_tables:
            return [RelaySettings(r.name, r.smtp, r.weight, r.connections or self.send.connections,
                                  self.send.rate if r.rate is None else r.rate) for r in self.relay_tables]
        if not self.smtp_url:
            return []
        smtp = parse_smtp_url(self.smtp_url)
        return [RelaySettings(smtp.name, smtp, 1.0, self.send.connections, self.send.rate)]


_DEFAULTS = Config()
# The built-in values that only hold the place of the newsroom's own: (attribute, digest.toml key, variable).
PLACEHOLDERS = (("sender", "from", "DIGEST_FROM"), ("base_url", "base_url", "DIGEST_BASE_URL"),
                ("postal_address", "postal_address", "DIGEST_POSTAL_ADDRESS"))
SECRET_KEYS = {"secret", "password", "dkim_key", "dkim_ed25519_key"}
ENV = {
    "DIGEST_DB": "db", "DIGEST_SMTP_URL": "smtp_url", "DIGEST_FROM": "sender", "DIGEST_BASE_URL": "base_url",
    "DIGEST_SECRET": "secret", "DIGEST_NEWSLETTER": "newsletter", "DIGEST_POSTAL_ADDRESS": "postal_address",
    "DIGEST_TEMPLATES": "templates_dir", "DIGEST_DKIM_KEY": "dkim_key", "DIGEST_DKIM_SELECTOR": "dkim_selector",
    "DIGEST_DKIM_DOMAIN": "dkim_domain", "DIGEST_UNSUBSCRIBE_MAILTO": "unsubscribe_mailto",
    "DIGEST_TIMEZONE": "timezone", "DIGEST_CONNECTIONS": "send.connections", "DIGEST_RATE": "send.rate",
    "DIGEST_MAX_ITEMS_PER_TOPIC": "max_items_per_topic", "DIGEST_MAX_STORIES": "max_stories",
    "DIGEST_MAX_AGE_DAYS": "max_age_days",
    "DIGEST_DKIM_ED25519_KEY": "dkim_ed25519_key",
    "DIGEST_DKIM_ED25519_SELECTOR": "dkim_ed25519_selector", "DIGEST_FEEDBACK_ID": "feedback_id",
}
PATH_KEYS = {"db", "templates_dir"}    # relative to the digest.toml that names them
TOML = {"db": "db", "smtp_url": "smtp_url", "from": "sender", "base_url": "base_url", "newsletter": "newsletter",
        "postal_address": "postal_address", "templates_dir": "templates_dir", "dkim_selector": "dkim_selector",
        "dkim_domain": "dkim_domain", "unsubscribe_mailto": "unsubscribe_mailto", "timezone": "timezone",
        "connections": "send.connections", "rate": "send.rate", "dkim_ed25519_selector": "dkim_ed25519_selector",
        "feedback_id": "feedback_id"}


def load(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    env = dict(os.environ if env is None else env)
    cfg = Config()
    path = path or env.get("DIGEST_CONFIG")
    if path is None and Path("digest.toml").exists():
        path = "digest.toml"
    tables: dict = {}
    if path is not None:
        tables = _apply_file(cfg, Path(path))
    cfg.relay_tables = relay_tables(tables.pop("relay", None), env, cfg.source or "the configuration")
    templates_from = f"{cfg.source}: templates_dir" if cfg.templates_dir else None
    for var, attr in ENV.items():
        if env.get(var):
            _set(cfg, attr, env[var], var)
            if attr == "templates_dir":
                templates_from = var
    where = cfg.source or "the configuration"
    apply_send(cfg.send, [(f"{where}: [send] {k}", k, v) for k, v in (tables.get("send") or {}).items()]
               + [(var, attr, env[var]) for var, attr in SEND_ENV.items() if env.get(var)])
    apply_summary(cfg.summary, tables, where)
    for var, attr in SUMMARY_ENV.items():
        if env.get(var):
            set_summary(cfg.summary, attr, env[var], var)
    # A table's own timezone wins; else the schedule follows the newsroom's (after the environment).
    cfg.timezone = checked_zone(cfg.timezone, "DIGEST_TIMEZONE" if env.get("DIGEST_TIMEZONE") else f"{where}: timezone")
    cfg.schedule = digest_schedule(tables.get("digest") or {}, default_timezone=cfg.timezone, where=where)
    cfg.language = digest_language(tables.get("digest") or {}, env, where)
    base = Path(cfg.source).resolve().parent if cfg.source else Path.cwd()
    cfg.ingest = ingest_settings(tables.get("ingest") or {}, base=base, where=where)
    cfg.web = web_settings(tables.get("web") or {}, where)
    cfg.bounces = bounce_settings(tables.get("bounces") or {}, env, where)
    cfg.worker = worker_settings(tables.get("worker") or {}, env, where, base)
    if cfg.templates_dir:
        _check_templates(cfg.templates_dir, templates_from)
    if cfg.smtp_url and cfg.relay_tables:
        raise ConfigError(f"{cfg.source} has [[relay]] tables and {_smtp_url_from(env)} is set too: which relay "
                          "would be meant is not clear.", f"Drop {_smtp_url_from(env)} (each relay's password goes in "
                          f"{env_var(cfg.relay_tables[0].name)} and the like), or remove the [[relay]] tables to "
                          "send through one relay.")
    if cfg.smtp_url:
        parse_smtp_url(cfg.smtp_url)   # fail early on a malformed URL
    if cfg.max_items_per_topic < 1:
        raise ConfigError(f"max_items_per_topic = {cfg.max_items_per_topic} is below 1.",
                          "Set [digest] max_items_per_topic (or DIGEST_MAX_ITEMS_PER_TOPIC) to a whole "
                          "number of stories per topic, e.g. 8.")
    if cfg.max_stories < 1:
        raise ConfigError(f"max_stories = {cfg.max_stories} is below 1.",
                          "Set [digest] max_stories (or DIGEST_MAX_STORIES) to a whole number of stories "
                          "per email, e.g. 20.")
    if cfg.max_age_days < 1:
        raise ConfigError(f"max_age_days = {cfg.max_age_days} is below 1.",
                          "Set [digest] max_age_days (or DIGEST_MAX_AGE_DAYS) to the whole days a story may be "
                          "older than the edition's window, e.g. 3.")
    cfg.base_url = cfg.base_url.rstrip("/")
    return cfg


def check_placeholders(cfg: Config, refused: str = "Not sent") -> None:
    """ConfigError (opening with `refused`) when the sender, the base URL or the postal address were
    never set: the built-in placeholders would go out in real mail (only the demo's own relay may
    carry them). --force does not bypass this: it is not a judgement call but a setting nobody made."""
    unset = cfg.unset_placeholders()
    if not unset:
        return
    names = ", ".join(f"{key} ({getattr(cfg, attr)!r})" for attr, key, _ in unset)
    how = "; ".join(f'{key} = "..." in digest.toml or {var}' for _, key, var in unset)
    raise ConfigError(f"{refused}: {names} {'is' if len(unset) == 1 else 'are'} still the built-in placeholder"
                      f"{'' if len(unset) == 1 else 's'}, and would go out in every message.",
                      f"Set {how}. `digest demo` sends with them into its own local server.")


def _smtp_url_from(env: dict[str, str]) -> str:
    return "DIGEST_SMTP_URL" if env.get("DIGEST_SMTP_URL") else "smtp_url"


def _apply_file(cfg: Config, path: Path) -> dict:
    """The top-level keys of digest.toml into `cfg`; returns its tables ([[relay]] under "relay")."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Configuration file {path} does not exist.", "Check --config or DIGEST_CONFIG.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}).") from None
    relays = data.pop("relay", None)
    general = {k: v for k, v in data.items() if not isinstance(v, dict)}
    for key, value in general.items():
        if key in SECRET_KEYS:
            raise ConfigError(f"{path}: `{key}` is a secret and may not be in the configuration file.",
                              "Set it in the environment instead (see README, Configuration).")
        if key not in TOML:
            raise ConfigError(f"{path}: unknown setting `{key}`.", f"Known settings: {', '.join(sorted(TOML))}.")
        _set(cfg, TOML[key], value, f"{path}: {key}")
        if key in PATH_KEYS:
            setattr(cfg, key, _beside(path, getattr(cfg, key)))
    for key, var in (("smtp_url", "DIGEST_SMTP_URL"), ("db", "DIGEST_DB")):     # a URL's password: never here
        if "://" in (url := str(general.get(key) or "")) and urllib.parse.urlsplit(url).password:
            raise ConfigError(f"{path}: {key} holds a password.", f"Put the whole URL in {var} in the environment instead.")
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    check_tables(tables, str(path))
    cfg.source = str(path)
    if relays is not None:
        tables["relay"] = relays
    for key, example in (("max_items_per_topic", 8), ("max_stories", 20), ("max_age_days", 3)):
        value = max_items(tables.get("digest") or {}, str(path), key, example)
        if value is not None:
            setattr(cfg, key, value)
    return tables


def _beside(config_file: Path, value: str) -> str:
    """A path written in digest.toml means a path next to that file, wherever digest is run from
    (as [ingest] folders and feeds always have); an absolute path, or a URL (postgresql://...), stays as it is."""
    if not value or value == ":memory:" or "://" in value or Path(value).is_absolute():
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


def _set(cfg: Config, attr: str, value: Any, where: str) -> None:
    """One setting from the file or the environment, converted to its type; `send.x` is cfg.send's."""
    target, _, name = attr.rpartition(".")
    obj = getattr(cfg, target) if target else cfg
    current = getattr(obj, name)
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
    setattr(obj, name, value)
    if not target:
        cfg.origins[name] = where
