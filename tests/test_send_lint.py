"""`send` and `send --test-to` lint each topic mix as `preview` does; a digest Gmail would clip (102 KiB of
HTML or more) is refused unless --force (issue 12, item 8). Real store, real templates, real SMTP server.
"""

from __future__ import annotations

import importlib
import json
import random

import pytest

WORDS = ("harbour bridge council budget river festival school vaccine railway election drought summit museum "
         "orchestra airport tariff glacier satellite vineyard library forest tunnel ferry stadium reactor canal "
         "miners nurses farmers pilots judges senators engineers teachers fishermen bakers").split()


@pytest.fixture
def heavy(run, tmp_path):
    """One subscriber of World, and enough distinct World stories to pass Gmail's 102 KiB."""
    assert run("init").exit_code == 0
    (tmp_path / "digest.toml").write_text("[digest]\nmax_items_per_topic = 1000\nmax_stories = 1000\n")   # no story behind "N more"
    rnd = random.Random(7)
    lines = []
    for n in range(360):
        words = rnd.sample(WORDS, 6)
        title = f"{words[0].title()} {words[1]} report {n} on {words[2]} and {words[3]}"
        body = " ".join(f"The {w} story number {n} continued on day {d} with a {rnd.choice(WORDS)} statement."
                        for d, w in enumerate(rnd.sample(WORDS, 5)))
        lines.append(json.dumps({"title": title, "body": body, "labels": ["World"],
                                 "url": f"https://example.org/{n}"}))
    (tmp_path / "many.jsonl").write_text("\n".join(lines) + "\n")
    assert run("articles", "ingest", tmp_path / "many.jsonl").exit_code == 0
    assert run("subscribers", "add", "ada@example.org", "--topic", "World").exit_code == 0


def test_a_digest_gmail_would_clip_is_refused_unless_forced(run, heavy, smtp_env):
    r = run("send", "--yes")
    assert r.exit_code == 1, r
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1 and "KiB of HTML" in errors[0] and "--force" in errors[0]
    assert "lint: World: warning: HTML is" in r.stderr
    assert smtp_env.messages == []
    assert {d["status"] for d in json.loads(run("deliveries", "list", "--json").stdout)} == {"pending"}

    t = run("send", "--test-to", "editor@example.org")
    assert t.exit_code == 1 and "--force" in t.stderr and smtp_env.messages == []
    t = run("send", "--test-to", "editor@example.org", "--force")
    assert t.exit_code == 0 and "Gmail clips" in t.stderr
    assert [rc for rc, _ in smtp_env.messages] == [["editor@example.org"]]

    r = run("send", "--yes", "--force")
    assert r.exit_code == 0, r
    assert [rc for rc, _ in smtp_env.messages][1:] == [["ada@example.org"]]
    assert len(smtp_env.messages[1][1]) > 102 * 1024


def test_an_ordinary_send_prints_the_lint_summary(run, seeded, smtp_env):
    r = run("send", "--yes")
    assert r.exit_code == 0, r
    assert "lint: " in r.stderr and "of 102 KiB; 0 warnings" in r.stderr
    t = run("send", "--test-to", "editor@example.org", "--topic", "Europe")
    assert t.exit_code == 0 and "lint: " in t.stderr and "of 102 KiB, 0 warnings" in t.stderr


def test_past_the_first_mixes_a_clipped_digest_is_held_back_and_everyone_else_is_sent(run, heavy, smtp_env,
                                                                                      tmp_path, monkeypatch):
    """A large edition does not make every mix before the first message leaves: past the first
    LINT_FULL mixes each digest is checked as it is made, and one Gmail would clip is held back in
    the queue (said, exit 1) while every other subscriber gets theirs; --force sends it later."""
    monkeypatch.setattr(importlib.import_module("digest.pipeline.send_edition"), "LINT_FULL", 1)
    (tmp_path / "europe.jsonl").write_text(json.dumps({
        "title": "Harbour ferry timetable changes on Monday", "labels": ["Europe"], "url": "https://example.org/e",
        "body": "The harbour ferry will run every twenty minutes from Monday, the operator said on Friday."}) + "\n")
    assert run("articles", "ingest", tmp_path / "europe.jsonl").exit_code == 0
    assert run("subscribers", "add", "bo@example.org", "--topic", "Europe").exit_code == 0

    r = run("send", "--yes")
    assert r.exit_code == 1, r
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1 and "held back" in errors[0] and "World" in errors[0] and "KiB of HTML" in errors[0]
    assert "--force" in r.stderr
    assert [rc for rc, _ in smtp_env.messages] == [["bo@example.org"]]
    status = {d["email"]: d["status"] for d in json.loads(run("deliveries", "list", "--json").stdout)}
    assert status == {"bo@example.org": "sent", "ada@example.org": "pending"}

    again = run("send", "--yes")          # still too large: still held, nothing sent twice
    assert again.exit_code == 1 and len(smtp_env.messages) == 1
    forced = run("send", "--yes", "--force")
    assert forced.exit_code == 0, forced
    assert [rc for rc, _ in smtp_env.messages] == [["bo@example.org"], ["ada@example.org"]]
