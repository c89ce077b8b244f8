"""The IMAP mailbox `digest bounces fetch` polls, through imap-tools: log in, hand over each message
of the folder as bytes, and move the ones processed to the done folder (made if missing), so the
next poll does not read them again. No database here: digest.pipeline decides what a message means.
May import: config, errors.
"""

from __future__ import annotations

import imaplib
import ssl
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..config import BounceSettings
from ..errors import ConfigError, RelayError

if TYPE_CHECKING:       # imap_tools is imported when a mailbox is opened, not when the CLI starts
    from imap_tools import BaseMailBox

TIMEOUT = 30.0


class Mailbox:
    """`with Mailbox(settings) as box:` logs in; `box.messages()` yields (uid, bytes); `box.done(uids)`."""

    def __init__(self, settings: BounceSettings):
        if not settings.imap_host or not settings.imap_user:
            raise ConfigError("No IMAP mailbox is configured for `digest bounces fetch`.",
                              "Set [bounces] imap_host and imap_user in digest.toml (or DIGEST_IMAP_HOST, "
                              "DIGEST_IMAP_USER) and DIGEST_IMAP_PASSWORD in the environment.")
        if not settings.imap_password:
            raise ConfigError("DIGEST_IMAP_PASSWORD is not set.",
                              "Put the mailbox's password in the environment: it may not be in digest.toml.")
        self.s = settings
        self.user, self.password = settings.imap_user, settings.imap_password     # both checked above
        self.name = f"{settings.imap_host}:{settings.port}"
        self.box: BaseMailBox | None = None

    def __enter__(self) -> Mailbox:
        from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
        from imap_tools.errors import MailboxLoginError
        s = self.s
        box: BaseMailBox
        try:
            if s.imap_security == "ssl":
                box = MailBox(s.imap_host, s.port, timeout=TIMEOUT, ssl_context=ssl.create_default_context())
            elif s.imap_security == "starttls":
                box = MailBoxStartTls(s.imap_host, s.port, timeout=TIMEOUT, ssl_context=ssl.create_default_context())
            else:
                box = MailBoxUnencrypted(s.imap_host, s.port, timeout=TIMEOUT)
        except (TimeoutError, OSError, imaplib.IMAP4.error) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
            raise RelayError(f"Cannot reach the IMAP server {self.name}: {reason}.",
                             "Check [bounces] imap_host, imap_port and imap_security.") from None
        try:
            box.login(self.user, self.password, initial_folder=s.imap_folder)
        except MailboxLoginError:
            box.logout()
            raise RelayError(f"The IMAP server {self.name} refused the login for {s.imap_user}.",
                             "Check [bounces] imap_user and DIGEST_IMAP_PASSWORD.") from None
        except imaplib.IMAP4.error as exc:      # the folder does not exist, ...
            box.logout()
            raise RelayError(f"The IMAP server {self.name}: cannot open folder {s.imap_folder!r} ({exc}).",
                             "Check [bounces] imap_folder.") from None
        self.box = box
        return self

    def messages(self) -> Iterator[tuple[str, bytes]]:
        """Every message of the folder, oldest first, left unread (a message we fail on stays as it was)."""
        for msg in self._box().fetch(mark_seen=False):
            if msg.uid is not None:         # a message the server names no UID for could never be moved
                yield msg.uid, msg.obj.as_bytes()

    def done(self, uids: list[str]) -> None:
        """Move processed messages out of the folder polled."""
        if not uids:
            return
        box = self._box()
        if not box.folder.exists(self.s.imap_done_folder):
            box.folder.create(self.s.imap_done_folder)
        box.move(uids, self.s.imap_done_folder)

    def _box(self) -> BaseMailBox:
        if self.box is None:
            raise RuntimeError("the mailbox is not open: use it as `with Mailbox(settings) as box:`")
        return self.box

    def __exit__(self, *exc: object) -> None:
        if self.box is None:
            return
        try:
            self.box.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
