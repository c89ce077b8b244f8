"""The relays a send goes through: `[[relay]]` tables in digest.toml, or the one relay of
`smtp_url` / DIGEST_SMTP_URL. Each is read and checked once, when the configuration is loaded.

    [[relay]]
    name = "ses"                                   # letters, digits, - and _
    url = "smtp://AKIA...@email-smtp.eu-west-1.amazonaws.com:587?starttls=true"   # no password
    weight = 3                                     # its share of the deliveries (> 0; default 1)
    connections = 4                                # default: the top-level `connections`
    rate = 14                                      # messages per second at most (default: the top-level `rate`)

A relay's password comes only from the environment: DIGEST_SMTP_URL_<NAME> holds its whole URL,
password included (NAME upper-cased, "-" written "_"), and replaces the table's url, as
DIGEST_SMTP_URL replaces smtp_url. `[[relay]]` tables and smtp_url/DIGEST_SMTP_URL together are a
mistake (which one would be meant?), and so is a DIGEST_SMTP_URL_<NAME> that names no table.
May import: errors, and .smtp_url.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from ..errors import ConfigError
from .smtp_url import SmtpSettings, parse_smtp_url

ENV_PREFIX = "DIGEST_SMTP_URL_"
KEYS = ("name", "url", "weight", "connections", "rate")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
EXAMPLE = "one [[relay]] table per relay, each with a name and a url (README: Sending through several relays)"


@dataclass
class RelaySettings:
    """One relay of the pool. `connections` and `rate` None: the top-level settings (Config.relays fills them)."""
    name: str
    smtp: SmtpSettings
    weight: float = 1.0
    connections: int | None = None
    rate: float | None = None

    @property
    def connection_count(self) -> int:
        """`connections` as Config.relays fills it in: every relay a send uses has it."""
        if self.connections is None:
            raise ValueError(f"relay {self.name}: connections not filled in (take relays from Config.relays)")
        return self.connections


def env_var(name: str) -> str:
    """Where a relay's whole URL, password included, goes: DIGEST_SMTP_URL_<NAME>."""
    return ENV_PREFIX + name.upper().replace("-", "_")


def relay_tables(raw: object, env: dict[str, str], where: str) -> list[RelaySettings]:
    """The `relay` entry of digest.toml (None when absent) read into RelaySettings, every mistake one
    ConfigError naming the file, the table and the key."""
    if raw is None:
        out = []
    elif isinstance(raw, dict):
        raise ConfigError(f"{where}: [relay] is a single table; relays are an array of tables.",
                          "Write each relay as a [[relay]] (double brackets) table with a name and a url.")
    elif not isinstance(raw, list) or not raw or not all(isinstance(t, dict) for t in raw):
        raise ConfigError(f"{where}: `relay` must be [[relay]] tables.", f"Write {EXAMPLE}.")
    else:
        out = [_one(table, n, env, where) for n, table in enumerate(raw, 1)]
    seen: dict[str, str] = {}
    for r in out:
        var = env_var(r.name)
        if var in seen:
            raise ConfigError(f'{where}: two [[relay]] tables are named "{seen[var]}" and "{r.name}"; each needs '
                              f"its own name (its password goes in {var}).", "Rename one of them.")
        seen[var] = r.name
    stray = sorted(v for v in env if v.startswith(ENV_PREFIX) and env[v] and v not in seen)
    if stray:
        known = ", ".join(r.name for r in out) or "none"
        raise ConfigError(f"{stray[0]} is set, but {where} has no [[relay]] of that name (relays: {known}).",
                          f"Name the relay in digest.toml ([[relay]] name = ...) or unset {stray[0]}.")
    return out


def _one(table: dict, n: int, env: dict[str, str], where: str) -> RelaySettings:
    name = table.get("name")
    at = f"{where}: [[relay]] {n}" + (f" ({name})" if isinstance(name, str) else "")
    for key in table:
        if key in ("password", "secret"):
            raise ConfigError(f"{at}: `{key}` is a secret and may not be in the configuration file.",
                              "Put the relay's whole URL, password included, in its environment variable "
                              f"({env_var(name) if isinstance(name, str) and _NAME.match(name) else ENV_PREFIX + 'NAME'}).")
        if key not in KEYS:
            raise ConfigError(f"{at}: unknown setting `{key}`.", f"Known settings: {', '.join(KEYS)}.")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"{at}: name = {name!r} is not a relay name." if name is not None else f"{at} has no name.",
                          'Give every relay a name of letters, digits, "-" and "_" (up to 32), e.g. name = "ses": '
                          "the tally and the ledger say which relay sent what by it.")
    var = env_var(name)
    url = table.get("url")
    if url is not None and not isinstance(url, str):
        raise ConfigError(f"{at}: url = {url!r} is not a string.", 'Example: url = "smtp://mail.example.com:587"')
    if url and urllib.parse.urlsplit(url).password:
        raise ConfigError(f"{at}: url holds a password.",
                          f"Keep the url without it and put the whole URL, password included, in {var}.")
    if env.get(var):
        url, source = env[var], var
    elif url:
        source = f"{at}: url"
    else:
        raise ConfigError(f"{at} has no url.", f'Add url = "smtp://host:587?starttls=true", or set {var}.')
    try:
        smtp = parse_smtp_url(url)
    except ConfigError as exc:
        hint = exc.hint if source == var else (f"Use smtp://USER@host:587?starttls=true or smtps://USER@host:465 "
                                               f"(USER@ only if it logs in); the password goes in {var}.")
        raise ConfigError(f"{source}: {exc.message}", hint) from None
    smtp.relay, smtp.env = name, var
    weight = table.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight > 0:
        raise ConfigError(f"{at}: weight = {weight!r} is not a positive number.",
                          "A relay's weight is its share of the deliveries, e.g. weight = 3 beside weight = 1 "
                          "sends three in four through it. Remove the table to stop using a relay.")
    connections = table.get("connections")
    if connections is not None and (isinstance(connections, bool) or not isinstance(connections, int)
                                    or connections < 1):
        raise ConfigError(f"{at}: connections = {connections!r} is not a whole number of at least 1.",
                          "Example: connections = 4")
    rate = table.get("rate")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate < 0):
        raise ConfigError(f"{at}: rate = {rate!r} is not a number of messages per second (0 = no limit).",
                          "Example: rate = 14")
    return RelaySettings(name, smtp, float(weight), connections, None if rate is None else float(rate))
