"""The SMTP relay's URL: smtp://user:pass@host:port or smtps://..., ?starttls=true&timeout=10.
May import: errors.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from ..errors import ConfigError


@dataclass
class SmtpSettings:
    host: str
    port: int
    user: str | None = None
    password: str | None = None
    ssl: bool = False          # smtps:// (implicit TLS)
    starttls: bool = False     # ?starttls=true
    timeout: float = 30.0
    relay: str = ""            # the [[relay]] name; empty for the one relay of DIGEST_SMTP_URL
    env: str = "DIGEST_SMTP_URL"   # where its whole URL, password included, is set

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def where(self) -> str:
        """Where its URL is set, for a hint."""
        return f"the url of [[relay]] {self.relay} (or {self.env})" if self.relay else self.env

    @property
    def label(self) -> str:
        """How errors name it: host:port, and the [[relay]] name first when it has one."""
        return f"{self.relay} ({self.name})" if self.relay else self.name


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
