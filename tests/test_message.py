"""The fast builder agrees with the stdlib oracle, and what it builds passes the independent checker."""

from __future__ import annotations

import datetime as dt
import email.header
import email.utils
import subprocess

import pytest

from conftest import SHARED, parse
from digest import config, pipeline
from digest.bounces import verp
from digest.compose import fast_message, message
from digest.compose.views import PLACEHOLDERS
from digest.db import Database
from digest.lists import tokens
from digest.models import Window

EMAILCHECK = SHARED / "emailcheck" / "emailcheck"
DATE = dt.datetime(2026, 11, 25, 7, 30, tzinfo=dt.timezone.utc)

PEOPLE = [
    (1, "ada@example.org", "Ada Lovelace"),
    (2, "plain@example.org", None),
    (3, "zoe+news@example.org", 'Zoë "Z" O\'Brien, Jr.'),
    (4, "long@example.org", "Bartholomew Maximilian Fitzgerald-Worthington the Third of Upper Middle Wallop"),
    (5, "kanji@example.jp", "山田 太郎 (やまだ たろう) 株式会社サンプル・ホールディングス 代表取締役社長"),
    (6, "smith@example.org", "Smith, John (CEO) <boss>"),
    (7, "dots@example.org", "J. R. R. Tolkien"),
    (8, "back@example.org", 'Back\\slash "and" quote'),
    (9, "marker@example.org", "%%EMAIL%% not substituted twice"),
    (10, "x" * 40 + "@" + "y" * 30 + ".example.org", "Ünïcödé " * 12),
]


@pytest.fixture
def body(seeded):
    cfg = config.load()
    store = Database.open(cfg.db)
    b = pipeline.render_group(store, cfg, "daily-2026-11-25", DATE.date(),
                              Window("Europe+Politics+World", None, dt.datetime.now(dt.timezone.utc)))
    store.close()
    return cfg, b


def both(cfg, body, sid, addr, name, *, mailto=None, test=False, edition_id=7):
    """The stdlib oracle (through the pipeline) and the fast builder, given by hand what the pipeline
    gives it: the edition's archive page, the default Feedback-ID, the subscriber's own mailto."""
    cfg.unsubscribe_mailto = mailto
    mid = message.message_id("daily-2026-11-25", sid, cfg.domain)
    oracle = pipeline.personal_message(cfg, body, subscriber_id=sid, email=addr, name=name, message_id=mid,
                                       date=DATE, test=test, edition_id=edition_id)
    prepared = fast_message.prepare(sender=cfg.sender, subject=body.rendered.subject, list_id=cfg.list_id,
                               html=body.rendered.html, text=body.rendered.text, markers=list(PLACEHOLDERS.values()),
                               test=test, list_archive="https://news.example.com/archive/daily-2026-11-25",
                               feedback_id="daily-2026-11-25:the-digest:digest")
    mailto = verp.unsubscribe_mailto(cfg.secret, edition_id, sid, mailto) if mailto else None
    unsub = tokens.url(cfg.base_url, cfg.secret, "unsubscribe", sid)
    values = {PLACEHOLDERS["unsubscribe_url"]: unsub,
              PLACEHOLDERS["preferences_url"]: tokens.url(cfg.base_url, cfg.secret, "preferences", sid),
              PLACEHOLDERS["email"]: addr, PLACEHOLDERS["name"]: name or ""}
    fast = prepared.build(to_email=addr, to_name=name, message_id=mid, date=DATE, unsubscribe_url=unsub,
                          values=values, unsubscribe_mailto=mailto)
    return oracle, fast


def summary(data: bytes) -> dict:
    """What a reader sees. Whitespace is normalised: the stdlib sometimes folds a header right after
    its colon, which its own parser then reads back as a leading space. Display names are compared
    without whitespace: Python's address parser puts a space between adjacent encoded words, which
    RFC 2047 says to drop (and which the stdlib builder itself does not round-trip);
    test_names_decode_exactly_per_rfc_2047 checks the names exactly."""
    msg = parse(data)
    headers = [(k, "".join(str(v).split()) if k == "To" else " ".join(str(v).split()))
               for k, v in msg.items() if k.lower() != "content-type"]
    parts = [(p.get_content_type(), p.get_param("charset"), p["Content-Transfer-Encoding"], p["Content-Language"],
              p.get_content())
             for p in msg.iter_parts()]
    return {"headers": headers, "type": msg.get_content_type(), "parts": parts,
            "to": [("".join(a.display_name.split()), a.addr_spec) for a in msg["To"].addresses], "defects": msg.defects}


@pytest.mark.parametrize("mailto", [None, "mailto:unsubscribe@news.example.com?subject=unsubscribe"])
def test_fast_build_parses_identically_to_the_stdlib(body, mailto):
    cfg, b = body
    for sid, addr, name in PEOPLE:
        oracle, fast = both(cfg, b, sid, addr, name, mailto=mailto)
        assert summary(fast) == summary(oracle), name
        assert not parse(fast).defects
        for line in fast.split(b"\r\n"):
            # headers fold at 78 wherever there is a space to fold at; nothing passes 998
            assert len(line) <= 78 or not line.startswith((b"To:", b" ")) or b" " not in line.strip(), line
            assert len(line) <= 998
        assert b"\n" not in fast.replace(b"\r\n", b"")


def test_each_subscriber_gets_their_own_mailto_and_the_bulk_sender_headers(body):
    """List-Unsubscribe carries the https URL and this subscriber's mailto, whose token names them
    (and this edition) under the unsubscribe purpose; List-Archive is the edition's page; Feedback-ID
    is set; both builders agree, and the mailto is a URL, never RFC 2047 words."""
    cfg, b = body
    for sid in (1, 2**40):
        for data in both(cfg, b, sid, "ada@example.org", "Ada", mailto="mailto:leave@news.example.com?subject=stop",
                         edition_id=12):
            msg = parse(data)
            urls = [u.strip().strip("<>") for u in " ".join(str(msg["List-Unsubscribe"]).split()).split(",")]
            assert urls[0].startswith("https://news.example.com/u/") and len(urls) == 2, urls
            assert tokens.read(cfg.secret, "unsubscribe", urls[0].rpartition("/")[2]) == sid
            local, domain, query = verp.mailto_parts(urls[1])
            assert (domain, query) == ("news.example.com", "subject=stop") and b"=?" not in data.split(b"\r\n\r\n")[0]
            assert verp.read_token(cfg.secret, verp.token_in(f"{local}@{domain}", "leave"), "unsubscribe") == (12, sid)
            assert msg["List-Archive"] == "<https://news.example.com/archive/daily-2026-11-25>"
            assert msg["Feedback-ID"] == "daily-2026-11-25:the-digest:digest"
            assert msg["From"] == cfg.sender          # the header From is the newsletter's, whatever the envelope


def test_names_decode_exactly_per_rfc_2047(body):
    cfg, b = body
    for sid, addr, name in PEOPLE:
        _, fast = both(cfg, b, sid, addr, name)
        assert parse(fast)["To"].defects == (), name
        raw = fast.split(b"\r\nSubject:")[0].split(b"\r\nTo:")[1]
        phrase = raw.decode("ascii").replace("\r\n", "").rpartition("<")[0].strip()
        if "=?" in phrase:
            decoded = str(email.header.make_header(email.header.decode_header(phrase)))
        else:
            decoded = email.utils.parseaddr(f"{phrase} <{addr}>")[0]
        assert decoded == message.one_line(name or ""), name


def test_every_body_line_is_short_quoted_printable(body):
    cfg, b = body
    _, fast = both(cfg, b, 5, "kanji@example.jp", PEOPLE[4][2])
    head, _, rest = fast.partition(b"\r\n\r\n")
    assert all(len(line) <= 76 for line in rest.split(b"\r\n"))
    # the name reached both parts, decoded
    text, html = (p.get_content() for p in parse(fast).iter_parts())
    assert PEOPLE[4][2] in text or "%%NAME%%" not in b.rendered.text


def test_test_send_is_marked_in_subject_and_header(body):
    cfg, b = body
    oracle, fast = both(cfg, b, 1, "ada@example.org", "Ada", test=True)
    assert summary(fast) == summary(oracle)
    assert parse(fast)["Subject"].startswith("[TEST] ")
    assert parse(fast)["X-Digest-Test"] == "yes"


@pytest.mark.parametrize("subject", [
    "Overnight Drone Attack Damages Grain Terminal in Southern Ukraine and 13 more",     # 78: fits a line alone
    "Rhine Delta Study Says Flood Defenses Need Upgrading a Decade Sooner Than Planned, and More",
])
def test_a_long_subject_starts_on_the_subject_line(body, subject):
    """The stdlib would leave `Subject:` empty and move a 78-character value to the next line."""
    cfg, _ = body
    prepared = fast_message.prepare(sender=cfg.sender, subject=subject, list_id=cfg.list_id, html="<p>x</p>",
                                    text="x", markers=list(PLACEHOLDERS.values()))
    data = prepared.build(to_email="ada@example.org", to_name=None, message_id="<a@b>", date=DATE,
                          unsubscribe_url="https://x/u/1", values={})
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    i = next(k for k, line in enumerate(head) if line.startswith(b"Subject:"))
    assert head[i].startswith(b"Subject: " + subject.split()[0].encode())
    assert all(len(line) <= 78 for line in head[i:i + 2])
    assert " ".join(str(parse(data)["Subject"]).split()) == subject


def test_non_ascii_address_falls_back_to_the_stdlib(body):
    cfg, b = body
    prepared = fast_message.prepare(sender=cfg.sender, subject="S", list_id=cfg.list_id, html="<p>x</p>", text="x",
                               markers=list(PLACEHOLDERS.values()))
    assert prepared.build(to_email="jörg@exämple.org", to_name=None, message_id="<a@b>", date=DATE,
                          unsubscribe_url="https://x/u/1", values={}) is None


@pytest.mark.skipif(not (EMAILCHECK.parent / ".venv").exists(), reason="emailcheck is not installed")
def test_fast_built_messages_pass_emailcheck(body, tmp_path):
    cfg, b = body
    for sid, addr, name in PEOPLE[:6]:
        _, fast = both(cfg, b, sid, addr, name, mailto="mailto:unsubscribe@news.example.com")
        f = tmp_path / f"m{sid}.eml"
        f.write_bytes(fast)
        r = subprocess.run([str(EMAILCHECK), str(f), "--no-render", "--no-vnu", "--no-spam",
                            "--out", str(tmp_path / f"out{sid}")], capture_output=True, text=True, timeout=120)
        fails = [ln for ln in r.stdout.splitlines() if "FAIL" in ln and "SCORE" not in ln]
        assert r.returncode == 0 and not fails, (name, fails, r.stdout[-2000:])
