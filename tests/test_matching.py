"""Values matched the one way everywhere (issue 25, item 6): a time zone in any case is stored under
its canonical name, and a mistyped zone, topic or command gets "did you mean", on the real CLI, the
configuration, a CSV import and the preferences page."""

from __future__ import annotations

import html
import json
import re

from test_web import client, csrf_of, db, link, server, sub  # noqa: F401 -- fixtures of the web tests


def subscriber(run, email: str) -> dict:
    return next(s for s in json.loads(run("subscribers", "list", "--json").stdout) if s["email"] == email)


def test_a_zone_in_any_case_is_stored_canonical_and_a_city_gets_its_zone_suggested(run, seeded):
    r = run("subscribers", "add", "ada@example.org", "--topic", "europe", "--timezone", "europe/berlin")
    assert r.exit_code == 0, r
    assert subscriber(run, "ada@example.org")["timezone"] == "Europe/Berlin"
    r = run("subscribers", "add", "bob@example.org", "--topic", "Europe", "--timezone", "Lisbon")
    assert r.exit_code != 0
    assert 'Error: Unknown time zone "Lisbon": did you mean Europe/Lisbon?' in r.stderr
    r = run("subscribers", "set", "ada@example.org", "--timezone", "America/New York")
    assert r.exit_code == 0, r
    assert subscriber(run, "ada@example.org")["timezone"] == "America/New_York"
    r = run("subscribers", "set", "ada@example.org", "--timezone", "Europe/Lisbn")
    assert r.exit_code != 0 and "did you mean Europe/Lisbon?" in r.stderr and "?." not in r.stderr


def test_the_configured_zone_is_matched_the_same_way(run, seeded, tmp_path, monkeypatch):
    (tmp_path / "digest.toml").write_text('[digest]\ntimezone = "europe/lisbon"\n')
    r = run("schedule", "list", "--json")
    assert r.exit_code == 0 and "Europe/Lisbon" in r.stdout + r.stderr, r
    monkeypatch.setenv("DIGEST_TIMEZONE", "Berlin")
    r = run("schedule", "list", "--json")
    assert r.exit_code != 0 and 'DIGEST_TIMEZONE = \'Berlin\': Unknown time zone "Berlin": did you mean Europe/Berlin?' \
        in r.stderr, r


def test_an_import_row_with_a_mistyped_topic_or_zone_says_what_was_meant(run, seeded, tmp_path):
    f = tmp_path / "list.csv"
    f.write_text("email,topics,timezone\nada@example.org,Eurpe,\nbob@example.org,World,lisbon\n"
                 "cy@example.org,World,asia/tokyo\n")
    r = run("subscribers", "import", f)
    assert f'{f}:2: topic "Eurpe" does not exist. Did you mean Europe? Known topics:' in r.stderr, r
    assert f'{f}:3: Unknown time zone "lisbon": did you mean Europe/Lisbon?' in r.stderr
    assert subscriber(run, "cy@example.org")["timezone"] == "Asia/Tokyo"


def test_a_mistyped_topic_in_an_option_gets_a_guess(run, seeded):
    r = run("subscribers", "add", "ada@example.org", "--topic", "Wrld")
    assert r.exit_code != 0
    assert 'Error: Topic "Wrld" does not exist. Did you mean World? Known topics: Europe, Politics, World.' in r.stderr


def test_a_mistyped_command_gets_a_guess_at_every_level(run):
    r = run("sned")
    assert r.exit_code == 2 and 'No such command "sned". Did you mean "send"?' in r.stderr, r
    r = run("subscribers", "ad")
    assert r.exit_code == 2 and 'No such command "ad". Did you mean "add"?' in r.stderr, r
    r = run("topics", "qqq")
    assert r.exit_code == 2 and 'No such command "qqq". Commands: add, list, remove, rename, show.' in r.stderr, r


def test_the_preferences_page_takes_a_zone_in_any_case_and_suggests_one(db, server, client):  # noqa: F811
    url = server.url(link("preferences", "ada@example.org"))
    page = client.get(url)
    r = client.post(url, data={"csrf": csrf_of(page.text), "topic": [], "frequency": "daily", "send_at": "07:00",
                               "timezone": "Paris"})
    assert r.status_code == 400 and 'Unknown time zone "Paris": did you mean Europe/Paris?' in html.unescape(r.text)
    ids = re.findall(r'name="topic" value="(\d+)"', page.text)
    r = client.post(url, data={"csrf": csrf_of(page.text), "topic": ids[:1], "frequency": "daily", "send_at": "07:00",
                               "timezone": "europe/paris"})
    assert r.status_code == 303, r.text
    assert sub(db, "ada@example.org")["timezone"] == "Europe/Paris"
