"""One error family for the whole package.

Domain code raises these with a message (what is wrong, on which object) and a hint (what to do).
Only the CLI root turns them into `Error: ...` lines and exit codes.
May import: nothing from digest.
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


class LeaseLost(LockedError):
    """A fenced write found the lease in other hands: this sender lost it and must stop, touching nothing."""

    def __init__(self, name: str, holder: str | None):
        what = name.partition(":")[2] or name
        super().__init__(f"Lost the lease on {what}: " + (f"another sender ({holder}) took it over" if holder else
                                                         "it was released") + " while this one was stalled.",
                         "This run stopped at once and changed nothing in the ledger; the other sender carries on "
                         "(a longer DIGEST_LEASE_SECONDS suits a machine that pauses for long).")
        self.name, self.holder = name, holder


class LedgerError(DigestError):
    """A ledger write or a journal write failed mid-send (database locked, disk full): sending stopped.
    What was sent is in the journal, which is kept for the next run to record."""
