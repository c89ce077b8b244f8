"""Header injection through RFC 2047 encoded-words (CVE-2024-6923): titles, names and topic names
that decode to CR LF, NUL or a second encoded-word reach a real SMTP server as one header each.

The bytes checked are the ones the server on 127.0.0.1 received, not what we meant to send.
"""

from __future__ import annotations

import json

import pytest

from conftest import parse
from digest.compose import message

CRLF_BCC = "Subj =?utf-8?q?=0D=0ABcc:_evil@example.com?="
END_OF_HEADERS = "Hi =?utf-8?q?=0D=0A=0D=0A<h1>body_takeover</h1>?="
# An encoded-word whose decoding is itself an encoded-word for CR LF + a header.
DOUBLE = "Two =?utf-8?b?PT91dGYtOD9xPz0wRD0wQVgtRG91YmxlOl95ZXM/PQ==?= words"
NUL = "Nul\x00byte =?utf-8?q?=00X-Nul:_1?="
TOPIC = "Wire =?utf-8?q?=0D=0AX-Topic-Injected:_yes?="

ALLOWED = {"from", "to", "subject", "date", "message-id", "list-id", "list-unsubscribe", "list-unsubscribe-post",
           "mime-version", "content-type", "x-digest-test", "list-archive", "feedback-id"}


def header_block(data: bytes) -> list[bytes]:
    """The header lines as received, each unfolded; the block ends at the first empty line."""
    head = data.split(b"\r\n\r\n", 1)[0]
    assert b"\x00" not in head
    assert b"\n" not in head.replace(b"\r\n", b"") and b"\r" not in head.replace(b"\r\n", b"")
    lines: list[bytes] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            lines[-1] += line
        else:
            lines.append(line)
    return lines


def assert_clean(data: bytes) -> None:
    names = [ln.split(b":", 1)[0].decode().lower() for ln in header_block(data)]
    assert set(names) <= ALLOWED, names
    assert len(names) == len(set(names)), f"a header appears twice: {names}"
    assert b"body_takeover" not in data.split(b"\r\n\r\n", 1)[0]


@pytest.mark.parametrize("payload", [CRLF_BCC, END_OF_HEADERS, DOUBLE, NUL])
def test_header_text_leaves_no_control_character_and_nothing_to_decode(payload):
    text = message.header_text(payload)
    assert not any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f for c in text)
    assert "=?" not in text
    if payload is CRLF_BCC:
        assert text == "Subj Bcc: evil@example.com"    # decoded, as a mail client shows it


@pytest.fixture
def hostile(run, tmp_path):
    """A store whose headline, subscriber name and topic name are all encoded-word payloads."""
    assert run("init").exit_code == 0
    assert run("topics", "add", TOPIC).exit_code == 0
    story = {"title": "A Strong Quake Shakes the Northern Coast", "labels": [TOPIC],
             "body": "A strong earthquake shook the northern coast on Tuesday morning. Buildings swayed in the "
                     "capital.\n\nNo damage was reported, officials said. Trains stopped for an hour while "
                     "engineers checked the tracks."}
    (tmp_path / "story.jsonl").write_text(json.dumps(story) + "\n")
    assert run("articles", "ingest", tmp_path / "story.jsonl").exit_code == 0
    art = json.loads(run("articles", "list", "--json").stdout)[0]
    assert art["topics"] == [message.one_line(TOPIC)]
    return art


@pytest.mark.parametrize("payload", [CRLF_BCC, END_OF_HEADERS, DOUBLE, NUL])
def test_a_hostile_headline_and_name_reach_the_server_as_one_header_each(run, hostile, smtp_env, payload):
    assert run("articles", "edit", hostile["id"], "--headline", payload).exit_code == 0
    topic = message.one_line(TOPIC)
    assert run("subscribers", "add", "ada@example.org", "--topic", topic, "--name", payload).exit_code == 0
    r = run("send", "--yes")
    assert r.exit_code == 0, r
    r = run("send", "--test-to", "editor@example.org", "--topic", topic)
    assert r.exit_code == 0, r
    assert len(smtp_env.messages) == 2
    for rcpts, data in smtp_env.messages:
        assert len(rcpts) == 1
        assert_clean(data)
        msg = parse(data)
        assert message.header_text(payload) in msg["Subject"]
    (_, data), _ = smtp_env.messages
    assert parse(data)["To"].addresses[0].display_name == message.header_text(payload)


def test_a_hostile_newsletter_name_and_sender_name_stay_in_their_headers(run, hostile, smtp_env, monkeypatch):
    monkeypatch.setenv("DIGEST_NEWSLETTER", "News =?utf-8?q?=0D=0AX-List:_evil?=")
    monkeypatch.setenv("DIGEST_FROM", '"Desk =?utf-8?q?=0D=0AX-From:_evil?=" <digest@news.example.com>')
    topic = message.one_line(TOPIC)
    assert run("subscribers", "add", "ada@example.org", "--topic", topic).exit_code == 0
    assert run("send", "--yes").exit_code == 0
    (_, data), = smtp_env.messages
    assert_clean(data)
