"""`digest bounces fetch` against a real IMAP server on 127.0.0.1 (a private Dovecot): every message
in the folder is processed and moved to the done folder; a second poll finds nothing; the same report
delivered twice counts once; a wrong password or a missing setting is one `Error:` line."""

from __future__ import annotations

import json

import pytest
from imap_tools import MailBoxUnencrypted

from conftest import parse
from private_dovecot import NEEDS_DOVECOT, PrivateDovecot
from test_bounce_serve import dsn, statuses

pytestmark = NEEDS_DOVECOT
USER, PASSWORD = "bounces", "imap-test-password"


@pytest.fixture
def mailbox(monkeypatch, tmp_path):
    with PrivateDovecot(None, USER, PASSWORD) as imap:
        (tmp_path / "digest.toml").write_text(f'[bounces]\nimap_host = "127.0.0.1"\nimap_port = {imap.port}\n'
                                              f'imap_user = "{USER}"\nimap_security = "none"\n')
        monkeypatch.setenv("DIGEST_CONFIG", str(tmp_path / "digest.toml"))
        monkeypatch.setenv("DIGEST_IMAP_PASSWORD", PASSWORD)
        yield imap.port


def deliver(port: int, *messages: bytes) -> None:
    """What the MTA does: put messages in the bounce mailbox."""
    with MailBoxUnencrypted("127.0.0.1", port).login(USER, PASSWORD) as box:
        for data in messages:
            box.append(data, "INBOX")


def folders(port: int) -> dict[str, int]:
    with MailBoxUnencrypted("127.0.0.1", port).login(USER, PASSWORD) as box:
        return {f.name: box.folder.status(f.name)["MESSAGES"] for f in box.folder.list()}


def test_fetch_processes_and_moves_every_message_once(run, seeded, smtp_env, mailbox, monkeypatch):
    monkeypatch.setenv("DIGEST_UNSUBSCRIBE_MAILTO", "mailto:unsubscribe@news.example.com?subject=unsubscribe")
    assert run("send", "--yes").exit_code == 0
    sent = {rcpts[0]: (mail_from, data) for (rcpts, data), mail_from in zip(smtp_env.messages, smtp_env.senders)}
    (gone, (rp, _)), (leaving, (_, data)) = list(sent.items())[:2]
    unsubscribe_to = " ".join(str(parse(data)["List-Unsubscribe"]).split()).split(", ")[1].strip("<>")[7:].split("?")[0]
    request = (f"From: {leaving}\r\nTo: {unsubscribe_to}\r\nSubject: unsubscribe\r\n"
               "Message-ID: <u2@client.example>\r\n\r\nunsubscribe\r\n").encode()
    stranger = b"From: someone@elsewhere.example\r\nTo: bounces@news.example.com\r\nSubject: hello\r\n" \
               b"Message-ID: <hello@elsewhere.example>\r\n\r\nIs this the newsletter?\r\n"
    deliver(mailbox, dsn(rp, gone), request, stranger)
    r = run("bounces", "fetch")
    assert r.exit_code == 0, r
    assert "Fetched 3 messages (0 already processed); moved 3 to digest-processed." in r.stderr
    assert len(r.stdout.splitlines()) == 3
    s = statuses(run)
    assert s[gone] == "bounced" and s[leaving] == "unsubscribed"
    assert folders(mailbox) == {"INBOX": 0, "digest-processed": 3}
    kept, = json.loads(run("bounces", "list", "--unattributed", "--json").stdout)
    assert kept["sender"] == "someone@elsewhere.example" and kept["via"] == "fetch"
    # Nothing left: a second poll reads nothing. The same DSN delivered again counts once.
    again = run("bounces", "fetch")
    assert again.exit_code == 0 and "Fetched 0 messages" in again.stderr
    deliver(mailbox, dsn(rp, gone))
    twice = run("bounces", "fetch")
    assert twice.exit_code == 0 and "Fetched 1 message (1 already processed)" in twice.stderr
    assert len(json.loads(run("bounces", "list", "--json").stdout)) == 3
    assert folders(mailbox) == {"INBOX": 0, "digest-processed": 4}


def test_a_wrong_password_or_no_mailbox_is_one_error(run, seeded, mailbox, monkeypatch):
    monkeypatch.setenv("DIGEST_IMAP_PASSWORD", "wrong")
    r = run("bounces", "fetch")
    assert r.exit_code == 2 and "refused the login for bounces" in r.stderr and "Traceback" not in r.stderr, r
    monkeypatch.delenv("DIGEST_IMAP_PASSWORD")
    r = run("bounces", "fetch")
    assert r.exit_code == 1 and "DIGEST_IMAP_PASSWORD is not set" in r.stderr
