"""Stale stories (issue #21 item 8), through the real CLI, store and templates: an article older
than the edition's window by more than [digest] max_age_days is left out of the edition and the
preview says so; a kept story more than five days old has its weekdays written as dates, at render
time, never in an editor's own blurb.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import time_machine

from conftest import SEEDS, parse
from digest.selection import freshness

UTC = dt.timezone.utc
EDITION = dt.datetime(2026, 12, 6, 7, 0, tzinfo=UTC)        # a Sunday: the daily and the weekly of 6 December


def story(slug: str, place: str, published: str, lede: str) -> dict:
    return {"title": f"{place} council approves {slug} plan", "labels": ["World"], "source": "Compass Wire",
            "url": f"https://wire.example.org/{slug}", "published": published,
            "body": f"{lede}\n\nThe {slug} plan had been debated for two years in {place}, where residents packed "
                    f"the hall for every session.\n\nCritics said the {slug} plan came too late for the district."}


OLD = [  # 16-24 November: what the issue saw lead a daily edition of 6 December
    story("harbour", "Varna", "2026-11-16T09:00:00Z",
          "The Varna city council approved a harbour plan on Thursday, officials said."),
    story("tram", "Ostrava", "2026-11-18T09:00:00Z",
          "The Ostrava city council approved a tram plan overnight into Tuesday, officials said."),
    story("bridge", "Sibiu", "2026-11-24T09:00:00Z",
          "The Sibiu city council approved a bridge plan on Monday, officials said."),
]
WEEK_OLD = story("library", "Tartu", "2026-11-27T09:00:00Z",            # a Friday, 9 days before the edition
                 "The Tartu city council approved a library plan on Thursday, officials said.")
FRESH = story("park", "Kaunas", "2026-12-04T09:00:00Z",                  # a Friday, 2 days before the edition
              "The Kaunas city council approved a park plan on Thursday, officials said.")


@pytest.fixture
def store(run, tmp_path, monkeypatch):
    """The issue's store, ingested on the morning of the edition, with the default limit of 3 days."""
    monkeypatch.delenv("DIGEST_MAX_AGE_DAYS")
    f = tmp_path / "wire.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in [*OLD, WEEK_OLD, FRESH]), encoding="utf-8")
    with time_machine.travel(EDITION - dt.timedelta(hours=1), tick=False):
        assert run("init").exit_code == 0
        r = run("articles", "ingest", f)
        assert r.exit_code == 0, r
    return {a["headline"]: a for a in json.loads(run("articles", "list", "--json").stdout)}


def preview(run, *args: str):
    with time_machine.travel(EDITION, tick=False):
        r = run("preview", "--topic", "World", "--format", "eml", *args)
    assert r.exit_code == 0, r
    msg = parse(r.stdout.encode())
    return (" ".join(msg.get_body(("plain",)).get_content().split()), msg.get_body(("html",)).get_content(),
            r.stderr)


def headlines(stories: list[dict]) -> list[str]:
    return [f"{s['title'].split()[0]} council approves" for s in stories]


def test_a_daily_edition_leaves_out_stories_of_16_to_24_november_and_the_preview_says_so(run, store):
    text, html, stderr = preview(run)
    for h in headlines([*OLD, WEEK_OLD]):
        assert h not in text and h not in html
    assert "Kaunas council approves" in text and "Kaunas council approves" in html
    # The window opened on 5 December at 07:00: the limit is 2 December, 07:00.
    assert ("lint: warning: 4 stories left out: older than 3 days before the edition's window "
            "(published 16 Nov, 18 Nov, 24 Nov, 27 Nov); [digest] max_age_days sets the limit.") in stderr
    assert "1 story in World" in text


def test_a_weekly_edition_reaches_three_days_before_its_week(run, store):
    """The weekly window opened on 29 November: stories from 26 November on are kept."""
    text, _, stderr = preview(run, "--frequency", "weekly")
    assert "Tartu council approves" in text and "Kaunas council approves" in text
    for h in headlines(OLD):
        assert h not in text
    assert "3 stories left out: older than 3 days before the edition's window (published 16 Nov, 18 Nov, 24 Nov)" \
        in stderr


def test_an_old_storys_weekday_reads_as_its_date_and_a_fresh_one_keeps_it(run, store):
    text, html, _ = preview(run, "--frequency", "weekly")
    # Published Friday 27 November, 9 days before the edition: its "Thursday" is 26 November.
    assert "approved a library plan on 26 November, officials said." in text
    assert "approved a library plan on 26 November, officials said." in html
    assert "library plan on Thursday" not in text
    # Published Friday 4 December, 2 days before: "on Thursday" is clear to a reader.
    assert "approved a park plan on Thursday, officials said." in text
    # The store keeps what the machine wrote: the date is the edition's reading of it.
    stored = next(a for h, a in store.items() if h.startswith("Tartu"))
    assert "on Thursday" in run("articles", "show", stored["id"]).stdout


def test_an_editors_own_blurb_keeps_its_weekday(run, store):
    tartu = next(a for h, a in store.items() if h.startswith("Tartu"))
    mine = "Tartu's council approved the library plan on Thursday after two years of debate."
    assert run("articles", "edit", tartu["id"], "--summary", mine).exit_code == 0
    text, _, _ = preview(run, "--frequency", "weekly")
    assert mine in text


def test_the_limit_is_a_setting_in_digest_toml_and_the_environment(run, store, tmp_path, monkeypatch):
    (tmp_path / "digest.toml").write_text("[digest]\nmax_age_days = 30\n")
    text, _, stderr = preview(run)
    assert all(h in text for h in headlines([*OLD, WEEK_OLD]))      # all kept, so no lint line
    assert "left out" not in stderr
    # ... and a 16-day-old story's weekday is its date: Monday 16 November's "Thursday" is the 12th.
    assert "approved a harbour plan on 12 November" in text
    assert "a tram plan overnight into 17 November" in text
    monkeypatch.setenv("DIGEST_MAX_AGE_DAYS", "10")                 # the environment wins over the file
    text, _, stderr = preview(run)
    assert "Sibiu council approves" not in text and "Tartu council approves" in text
    assert "3 stories left out" in stderr
    monkeypatch.setenv("DIGEST_MAX_AGE_DAYS", "0")
    with time_machine.travel(EDITION, tick=False):
        r = run("preview", "--topic", "World")
    assert r.exit_code != 0 and "max_age_days = 0 is below 1" in r.stderr


def test_bad_max_age_days_in_the_file_is_one_line(run, store, tmp_path):
    (tmp_path / "digest.toml").write_text('[digest]\nmax_age_days = "three"\n')
    r = run("preview", "--topic", "World")
    assert r.exit_code != 0
    assert 'digest.toml: [digest] max_age_days = \'three\' is not a whole number.' in r.stderr


def test_a_window_holding_only_stale_stories_sends_nothing(run, tmp_path, monkeypatch, smtp_env):
    monkeypatch.delenv("DIGEST_MAX_AGE_DAYS")
    f = tmp_path / "old.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in OLD), encoding="utf-8")
    with time_machine.travel(EDITION - dt.timedelta(hours=1), tick=True):
        assert run("init").exit_code == 0
        assert run("articles", "ingest", f).exit_code == 0
        assert run("subscribers", "add", "ada@example.org", "--topic", "World").exit_code == 0
    with time_machine.travel(EDITION, tick=True):
        r = run("send", "--yes")
    assert r.exit_code == 0, r
    assert smtp_env.messages == []                                   # no digest of nothing


def test_a_sent_daily_edition_leaves_them_out(run, store, smtp_env):
    with time_machine.travel(EDITION - dt.timedelta(minutes=30), tick=True):
        assert run("subscribers", "add", "ada@example.org", "--topic", "World").exit_code == 0
    with time_machine.travel(EDITION, tick=True):
        assert run("send", "--yes").exit_code == 0
    [(_, data)] = smtp_env.messages
    text = parse(data).get_body(("plain",)).get_content()
    assert "Kaunas council approves" in text
    assert not re.search(r"(Varna|Ostrava|Sibiu|Tartu) council approves", text)


@pytest.mark.parametrize("text, published, expected", [
    ("Police said last Tuesday that two men were held.", dt.date(2026, 11, 24),    # a Tuesday: the one before
     "Police said on 17 November that two men were held."),
    ("Storms overnight into Tuesday cut power to 4,000 homes.", dt.date(2026, 11, 24),
     "Storms overnight into 24 November cut power to 4,000 homes."),
    ("The board will vote on Monday on the merger.", dt.date(2026, 11, 27),        # the future: the Monday after
     "The board will vote on 30 November on the merger."),
    ("Talks ran between Monday and Wednesday, the ministry said.", dt.date(2026, 11, 27),
     "Talks ran between 23 November and 25 November, the ministry said."),
    ("On Thursday night, crowds gathered outside the court.", dt.date(2026, 11, 27),
     "On the night of 26 November, crowds gathered outside the court."),
    ("Thursday's vote was close.", dt.date(2026, 11, 27), "The 26 November vote was close."),
    ("Officials certified the results of Tuesday’s runoff on Friday.", dt.date(2026, 11, 21),
     "Officials certified the results of the 17 November runoff on 20 November."),
])
def test_which_day_a_weekday_meant(text, published, expected):
    assert freshness.dated_text(text, published) == expected


def test_a_story_dated_by_its_photo_dates_only_the_photos_weekday(run, tmp_path, monkeypatch):
    """The Harlow Falls seed has no date of its own but its photo's (Tuesday 17 November, the runoff
    night); it was written on the 21st. The photo's Tuesday is the runoff's date, but counted back
    from the photo, "certified ... on Friday" would read "on 13 November", before the runoff: an
    unclear weekday is better than a wrong date."""
    monkeypatch.setenv("DIGEST_MAX_AGE_DAYS", "60")
    with time_machine.travel(EDITION - dt.timedelta(hours=1), tick=False):
        assert run("init").exit_code == 0
        assert run("articles", "ingest", SEEDS / "2026-11-21-harlow-falls-mayoral-runoff.txt").exit_code == 0
    with time_machine.travel(EDITION, tick=False):
        r = run("preview", "--topic", "Politics", "--format", "text")
    flat = " ".join(r.stdout.split())
    assert "certified the results of the 17 November mayoral runoff on Friday" in flat
    assert "13 November" not in flat
