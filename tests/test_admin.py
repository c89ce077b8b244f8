"""Admins run the lists from the CLI: topics and subscribers, with guards on anything destructive."""

from __future__ import annotations

import json

import pytest

from conftest import SEEDS, TEST_SECRET, parse


@pytest.fixture
def db(run):
    assert run("init").exit_code == 0
    return run


def sub(run, email):
    return json.loads(run("subscribers", "show", email, "--json").stdout)


def test_topic_rename_keeps_subscribers_and_the_old_name_as_alias(db):
    db("subscribers", "add", "ada@example.org", "--topic", "World")
    r = db("topics", "rename", "World", "International Affairs")
    assert r.exit_code == 0 and "Renamed World to International Affairs" in r.stderr
    assert sub(db, "ada@example.org")["topics"] == ["International Affairs"]
    shown = json.loads(db("topics", "show", "World", "--json").stdout)   # the old name still finds it
    assert shown["name"] == "International Affairs" and shown["slug"] == "international-affairs"
    assert "World" in shown["aliases"] and shown["active_subscribers"] == 1
    r = db("topics", "rename", "Europe", "Politics")
    assert r.exit_code == 1 and 'A topic named "Politics" already exists' in r.stderr


def test_topic_removal_is_refused_with_the_count_then_done_with_yes(db):
    db("subscribers", "add", "a@example.org", "--topic", "Politics", "--topic", "World")
    db("subscribers", "add", "b@example.org", "--topic", "Politics")
    db("subscribers", "unsubscribe", "b@example.org")
    r = db("topics", "remove", "Politics")
    assert r.exit_code == 1
    assert "Topic Politics has 2 subscribers (1 active) who would lose it" in r.stderr and "--yes" in r.stderr
    assert "Politics" in [t["name"] for t in json.loads(db("topics", "list", "--json").stdout)]
    r = db("topics", "remove", "Politics", "--yes")
    assert r.exit_code == 0
    assert "Politics" not in [t["name"] for t in json.loads(db("topics", "list", "--json").stdout)]
    assert sub(db, "a@example.org")["topics"] == ["World"]
    assert db("topics", "show", "Elections").exit_code == 1      # its aliases went with it
    db("topics", "add", "Science")
    assert db("topics", "remove", "Science").exit_code == 0      # nothing to lose: no guard


def test_topics_list_counts_subscribers_and_articles(db):
    assert db("articles", "ingest", SEEDS).exit_code == 0
    db("subscribers", "add", "ada@example.org", "--topic", "Europe")
    topics = {t["name"]: t for t in json.loads(db("topics", "list", "--json").stdout)}
    assert topics["Europe"]["subscribers"] == 1 and topics["Europe"]["articles"] > 0
    assert "Eastern Europe" in topics["Europe"]["aliases"]


def test_subscriber_lifecycle(db):
    r = db("subscribers", "add", "Ada@Example.ORG", "--topic", "Europe", "--name", "Ada",
           "--frequency", "weekly", "--timezone", "Europe/Berlin")
    assert r.exit_code == 0 and "Added Ada@example.org (active)" in r.stderr
    r = db("subscribers", "set", "ada@example.org", "--frequency", "daily", "--timezone", "Asia/Tokyo",
           "--send-at", "7:30")
    assert r.exit_code == 0
    s = sub(db, "ADA@example.org")
    assert (s["frequency"], s["timezone"], s["send_at"], s["name"]) == ("daily", "Asia/Tokyo", "07:30", "Ada")
    assert db("subscribers", "set", "ada@example.org", "--timezone", "Moon/Base").exit_code == 1
    assert db("subscribers", "set", "ada@example.org", "--send-at", "25:00").exit_code == 1

    assert db("subscribers", "subscribe", "ada@example.org", "World", "Politics").exit_code == 0
    assert sub(db, "ada@example.org")["topics"] == ["Europe", "Politics", "World"]
    r = db("subscribers", "unsubscribe", "ada@example.org", "Politics")
    assert r.exit_code == 0
    assert "Unsubscribed Ada@example.org from Politics; still on Europe, World" in r.stderr
    assert sub(db, "ada@example.org")["topics"] == ["Europe", "World"]
    assert db("subscribers", "unsubscribe", "ada@example.org").exit_code == 0
    s = sub(db, "ada@example.org")
    assert s["status"] == "unsubscribed" and s["topics"] == ["Europe", "World"]

    # Opted out: neither add nor subscribe mails them again unless told they asked to.
    r = db("subscribers", "add", "ada@example.org", "--topic", "Europe")
    assert r.exit_code == 1 and "opted out" in r.stderr and "--resubscribe" in r.stderr
    assert db("subscribers", "subscribe", "ada@example.org", "Europe").exit_code == 1
    assert db("subscribers", "subscribe", "ada@example.org", "Europe", "--resubscribe").exit_code == 0
    assert sub(db, "ada@example.org")["status"] == "active"

    r = db("subscribers", "remove", "ada@example.org")
    assert r.exit_code == 1 and "--yes" in r.stderr and "suppress" in r.stderr
    assert db("subscribers", "remove", "ada@example.org", "--yes").exit_code == 0
    r = db("subscribers", "show", "ada@example.org")
    assert r.exit_code == 1 and "does not exist" in r.stderr


def test_removing_the_last_topic_unsubscribes(db):
    db("subscribers", "add", "bo@example.org", "--topic", "World")
    r = db("subscribers", "unsubscribe", "bo@example.org", "World")
    assert "Unsubscribed bo@example.org from World; on no topic now" in r.stderr
    assert "Unsubscribed bo@example.org from the list." in r.stderr
    assert sub(db, "bo@example.org")["status"] == "unsubscribed"


def test_unsubscribe_says_what_was_dropped_what_is_left_and_what_they_were_not_on(db):
    db("subscribers", "add", "ada@example.org", "--topic", "World", "--topic", "Europe", "--topic", "Politics")
    r = db("subscribers", "unsubscribe", "ada@example.org", "world", "Atlantis")
    assert r.exit_code == 1 and "Atlantis" in r.stderr         # an unknown topic: nothing dropped
    assert sub(db, "ada@example.org")["topics"] == ["Europe", "Politics", "World"]
    r = db("subscribers", "unsubscribe", "ada@example.org", "world")
    assert r.exit_code == 0
    assert r.stderr.strip() == "Unsubscribed ada@example.org from World; still on Europe, Politics"
    r = db("subscribers", "unsubscribe", "ada@example.org", "World", "Europe")
    assert r.stderr.strip() == "Unsubscribed ada@example.org from Europe (was not on World); still on Politics"
    r = db("subscribers", "unsubscribe", "ada@example.org", "World")
    assert r.stderr.strip() == "ada@example.org was not on World; still on Politics"
    assert sub(db, "ada@example.org")["status"] == "active"


def test_suppress_and_list_by_status(db):
    db("subscribers", "add", "a@example.org", "--topic", "World")
    assert db("subscribers", "suppress", "a@example.org").exit_code == 0
    assert db("subscribers", "suppress", "never@example.org").exit_code == 0
    listed = json.loads(db("subscribers", "list", "--status", "suppressed", "--json").stdout)
    assert [s["email"] for s in listed] == ["never@example.org", "a@example.org"]     # newest first
    assert db("subscribers", "list", "--status", "active", "--json").stdout.strip() == "[]"
    assert db("subscribers", "suppress", "not an address").exit_code == 1


def test_show_reports_deliveries(db, smtp_env):
    assert db("articles", "ingest", SEEDS).exit_code == 0
    db("subscribers", "add", "ada@example.org", "--topic", "Europe")
    assert db("send", "--yes").exit_code == 0
    s = sub(db, "ada@example.org")
    assert s["deliveries"] == {"sent": 1} and s["recent"][0]["status"] == "sent"
    text = db("subscribers", "show", "ada@example.org").stdout
    assert "deliveries: 1 sent" in text and s["recent"][0]["edition_key"] in text


def test_add_with_confirm_sends_a_link_that_activates(db, smtp_env):
    from digest.lists import tokens
    r = db("subscribers", "add", "new@example.org", "--topic", "World", "--confirm")
    assert r.exit_code == 0, r
    assert sub(db, "new@example.org")["status"] == "pending"
    (rcpts, data), = smtp_env.messages
    msg = parse(data)
    assert rcpts == ["new@example.org"] and "Confirm your subscription" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    link = next(w for w in text.split() if "/c/" in w)
    assert link.startswith("https://news.example.com/c/")
    sid = tokens.read(TEST_SECRET, "confirm", link.rsplit("/", 1)[1])
    assert isinstance(sid, int)
    # Pending subscribers get no digest.
    assert db("subscribers", "list", "--status", "active", "--json").stdout.strip() == "[]"


def test_add_with_confirm_needs_a_relay(db):
    r = db("subscribers", "add", "new@example.org", "--topic", "World", "--confirm")
    assert r.exit_code == 1 and "DIGEST_SMTP_URL" in r.stderr
    assert db("subscribers", "show", "new@example.org").exit_code == 1   # nothing written


# ---- aliases belong to one topic; a new topic or alias files the stored articles (issue 12, item 5) ----

def test_an_alias_of_another_topic_is_refused_unless_moved(db):
    r = db("topics", "add", "Europe", "--alias", "Africa")
    assert r.exit_code == 1
    assert 'The alias "Africa" belongs to the topic World' in r.stderr and "--move" in r.stderr
    topics = {t["name"]: t for t in json.loads(db("topics", "list", "--json").stdout)}
    assert "Africa" in topics["World"]["aliases"] and "Africa" not in topics["Europe"]["aliases"]
    r = db("topics", "add", "Africa")                                    # a new topic named like an alias
    assert r.exit_code == 1 and "belongs to the topic World" in r.stderr
    assert "Africa" not in [t["name"] for t in json.loads(db("topics", "list", "--json").stdout)]
    r = db("topics", "add", "Europe", "--alias", "World")                # another topic's own name
    assert r.exit_code == 1 and '"World" is the name of the topic World' in r.stderr
    r = db("topics", "rename", "Politics", "Africa")
    assert r.exit_code == 1 and '"Africa" is an alias of the topic World' in r.stderr

    r = db("topics", "add", "Europe", "--alias", "Africa", "--move")
    assert r.exit_code == 0 and 'Moved the alias "Africa" from World to Europe' in r.stderr
    topics = {t["name"]: t for t in json.loads(db("topics", "list", "--json").stdout)}
    assert "Africa" in topics["Europe"]["aliases"] and "Africa" not in topics["World"]["aliases"]


def test_a_new_topic_or_alias_files_the_stored_articles_whose_labels_match(db, tmp_path):
    f = tmp_path / "science.jsonl"
    f.write_text("\n".join(json.dumps({"title": f"Probe {i} reaches orbit", "body": f"The probe {i} reached orbit "
                                       "on Tuesday after a six-month flight. Engineers cheered.",
                                       "labels": labels}) for i, labels in
                           enumerate([["Science"], ["Space", "World"], ["science"], ["Politics"]])) + "\n")
    assert db("articles", "ingest", f).exit_code == 0
    r = db("topics", "add", "Science")
    assert r.exit_code == 0 and "Filed 2 stored articles under Science" in r.stderr
    r = db("topics", "add", "Science", "--alias", "Space")
    assert r.exit_code == 0 and "Filed 1 stored article under Science: its" in r.stderr
    listed = json.loads(db("articles", "list", "--topic", "Science", "--json").stdout)
    assert sorted(a["title"] for a in listed) == ["Probe 0 reaches orbit", "Probe 1 reaches orbit",
                                                  "Probe 2 reaches orbit"]
    r = db("topics", "add", "Science", "--alias", "Space")
    assert "No stored article was waiting for Science" in r.stderr
