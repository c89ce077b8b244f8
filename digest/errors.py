"""One error family for the whole package.

Domain code raises these with a message (what is wrong, on which object) and a hint (what to do).
Only the CLI root turns them into `Error: ...` lines and exit codes.
"""

from __future__ import annotations


class DigestError(Exception):
    """Base class: `message` says what is wrong, `hint` says how to fix it."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} {self.hint}"


class ConfigError(DigestError):
    """The configuration file or an environment variable is invalid."""


class ParseError(DigestError):
    """An input (article file, CSV row, feed) could not be read."""


class NotFound(DigestError):
    """A named object (topic, subscriber, article, edition) does not exist."""


class InvalidAddress(DigestError):
    """An email address failed validation."""


class RelayError(DigestError):
    """The SMTP relay could not be reached or refused us as a whole."""

    exit_code = 2


class LockedError(DigestError):
    """Another process holds the lease for this work."""

    exit_code = 4
