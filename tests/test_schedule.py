"""The scheduler over days and weeks of simulated time: slots, catch-up, DST, watermark, leases.

Real SQLite, real aiosmtpd Sink; the clock is an argument (`at`), so a week of schedule runs in
well under a second. Nothing here sleeps.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import zoneinfo

import pytest

from conftest import parse
from digest import config, pipeline
from digest.db import Database
from digest.errors import LockedError
from digest.selection import slots
from digest.servers import daemon

UTC = dt.timezone.utc
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


BODY = ("The council met on {day} to weigh a new plan for the {n} district. Members debated costs for two hours. "
        "A vote is expected next week, officials said. Residents packed the hall to hear the debate.")


class World:
    """A database, a configuration pointing at the Sink, and helpers to add news and run ticks."""

    def __init__(self, tmp_path, sink, **digest_table):
        self.tmp = tmp_path
        self.sink = sink
        self.store = Database.open(tmp_path / "digest.db")
        self.store.init()
        self.store.topics.ensure_defaults()
        self.cfg = config.load()
        self.cfg.smtp_url = sink.url
        self.cfg.schedule = config.digest_schedule(digest_table)
        self.relay = pipeline.relays_for(self.cfg)
        self.n = 0

    def subscribe(self, email, *, topics=("World",), frequency="daily", timezone=None, send_at=None,
                  signed_up="2026-01-01T00:00:00+00:00"):
        """Signed up long before the simulated weeks (a weekly subscriber's first slot is after sign-up)."""
        import time_machine
        with time_machine.travel(signed_up, tick=False):
            pipeline.add_subscriber(self.store, self.cfg, email, topics, frequency=frequency, timezone=timezone)
        if send_at:
            pipeline.change_subscriber(self.store, email, send_at=send_at)

    def news(self, at: dt.datetime, label="World", published: dt.datetime | None = None) -> str:
        """Ingest one article stamped `at`; returns its URL (what the digest links to)."""
        self.n += 1
        url = f"https://n.example/a{self.n}.html"
        path = self.tmp / f"a{self.n}.jsonl"
        path.write_text(json.dumps({"title": f"Story number {self.n} about the harbour plan", "labels": [label],
                                    "body": BODY.format(day=at.date(), n=self.n), "url": url,
                                    "published": (published or at).isoformat()}))
        report = pipeline.ingest(self.store, paths=[path], at=at)
        assert report.added, report
        return url

    def tick(self, at: dt.datetime) -> pipeline.SendReport:
        report = pipeline.send(self.store, self.cfg, self.relay, frequency=None, schedule=self.cfg.schedule, at=at,
                               force=True)
        assert report.error is None, report.error
        return report

    def drive(self, start: dt.datetime, end: dt.datetime, step=dt.timedelta(minutes=15), news_at=None):
        """Tick from start to end; returns {tick instant: [recipients sent at that tick]}."""
        sent_at: dict[dt.datetime, list[str]] = {}
        at = start
        while at <= end:
            if news_at and news_at(at):
                self.news(at)
            before = len(self.sink.messages)
            self.tick(at)
            if len(self.sink.messages) > before:
                sent_at[at] = [r[0] for r, _ in self.sink.messages[before:]]
            at += step
        return sent_at

    def inbox(self, email) -> list[str]:
        """The HTML of every digest `email` received, in order."""
        out = []
        for rcpts, data in self.sink.messages:
            if rcpts == [email]:
                out.append(parse(data).get_body(("html",)).get_content())
        return out


@pytest.fixture
def world(tmp_path, sink):
    w = World(tmp_path, sink, send_at="07:00", timezone="UTC")
    yield w
    w.store.close()


# ---- slots ----------------------------------------------------------------------------------

def test_berlin_slot_is_seven_local_on_both_sides_of_each_clock_change():
    at = dt.time(7, 0)
    for day, offset in [("2026-10-24", 2), ("2026-10-25", 1), ("2026-03-28", 1), ("2026-03-29", 2)]:
        s = slots.latest_slot("daily", BERLIN, at, 0, utc(f"{day}T12:00:00+00:00"))
        assert s.day == dt.date.fromisoformat(day)
        assert s.at == utc(f"{day}T07:00:00+0{offset}:00")
        assert s.at.astimezone(BERLIN).hour == 7
        assert s.key == f"daily-{day}"


def test_slot_is_named_by_the_subscribers_local_date():
    # 2026-11-25 21:30 UTC is already the 26th in Tokyo (06:30), where 07:00 has not yet come: the 25th it is.
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    s = slots.latest_slot("daily", tokyo, dt.time(7), 0, utc("2026-11-25T21:30:00+00:00"))
    assert (s.key, s.at) == ("daily-2026-11-25", utc("2026-11-25T07:00:00+09:00"))
    s = slots.latest_slot("daily", tokyo, dt.time(7), 0, utc("2026-11-26T07:00:00+09:00"))
    assert s.key == "daily-2026-11-26"
    # Weekly on Monday: from Wednesday 2026-11-25 the latest slot is Monday the 23rd.
    s = slots.latest_slot("weekly", UTC, dt.time(7), 0, utc("2026-11-25T12:00:00+00:00"))
    assert s.key == "weekly-2026-11-23"


# ---- sending over time -----------------------------------------------------------------------

def test_dst_change_berlin_gets_seven_local_on_both_sides_once(world):
    world.subscribe("berlin@example.org", timezone="Europe/Berlin")
    # News every day at 03:00 UTC, before either 07:00.
    sent = world.drive(utc("2026-10-23T08:00:00+00:00"), utc("2026-10-27T12:00:00+00:00"),
                       news_at=lambda at: at.hour == 3 and at.minute == 0)
    assert sent == {
        utc("2026-10-24T07:00:00+02:00"): ["berlin@example.org"],   # CEST: 05:00 UTC
        utc("2026-10-25T07:00:00+01:00"): ["berlin@example.org"],   # the change night; CET: 06:00 UTC
        utc("2026-10-26T07:00:00+01:00"): ["berlin@example.org"],
        utc("2026-10-27T07:00:00+01:00"): ["berlin@example.org"],
    }
    assert [r.edition_key for r in world.store.deliveries.listed()] == [
        "daily-2026-10-24", "daily-2026-10-25", "daily-2026-10-26", "daily-2026-10-27"]


def test_catch_up_after_three_days_down_sends_one_digest_covering_the_gap(world):
    world.subscribe("ada@example.org")
    first = world.news(utc("2026-11-20T05:00:00+00:00"))
    world.tick(utc("2026-11-20T07:00:00+00:00"))
    assert len(world.inbox("ada@example.org")) == 1
    # The scheduler is off from the 20th 08:00 until the 23rd 15:00; news keeps arriving meanwhile.
    gap = [world.news(utc(f"2026-11-{d}T{h}:00:00+00:00")) for d in (21, 22, 23) for h in ("06", "12")]
    world.tick(utc("2026-11-23T15:00:00+00:00"))
    world.tick(utc("2026-11-23T15:01:00+00:00"))
    world.tick(utc("2026-11-23T23:59:00+00:00"))
    inbox = world.inbox("ada@example.org")
    assert len(inbox) == 2, "one catch-up digest, not three"
    catch_up = inbox[1]
    assert all(url in catch_up for url in gap), "the catch-up covers the whole gap"
    assert first not in catch_up
    assert [r.edition_key for r in world.store.deliveries.listed()] == ["daily-2026-11-20", "daily-2026-11-23"]
    # Back on schedule: the next morning's digest holds only what came after the catch-up.
    late = world.news(utc("2026-11-24T01:00:00+00:00"))
    world.tick(utc("2026-11-24T07:00:00+00:00"))
    inbox = world.inbox("ada@example.org")
    assert len(inbox) == 3 and late in inbox[2] and not any(u in inbox[2] for u in gap)


def test_an_article_ingested_between_two_runs_appears_in_exactly_one_digest(world):
    world.subscribe("ada@example.org")
    world.subscribe("bob@example.org", timezone="America/New_York")
    urls = [world.news(utc("2026-11-24T05:00:00+00:00"))]
    # Arrives between the two subscribers' runs, and one arrives late with a date two weeks old.
    world.drive(utc("2026-11-24T00:00:00+00:00"), utc("2026-11-24T09:00:00+00:00"))
    urls.append(world.news(utc("2026-11-24T09:30:00+00:00")))
    urls.append(world.news(utc("2026-11-24T10:00:00+00:00"), published=utc("2026-11-10T10:00:00+00:00")))
    world.drive(utc("2026-11-24T09:45:00+00:00"), utc("2026-11-27T09:00:00+00:00"),
                news_at=lambda at: at.minute == 30 and at.hour in (2, 20))
    for email in ("ada@example.org", "bob@example.org"):
        inbox = world.inbox(email)
        assert len(inbox) >= 3
        every = [u for u in (f"https://n.example/a{i}.html" for i in range(1, world.n + 1))]
        for url in every:
            assert sum(url in digest for digest in inbox) <= 1, f"{url} repeated for {email}"
        for url in urls:
            assert sum(url in digest for digest in inbox) == 1, f"{url} missing for {email}"


def test_weekly_subscribers_get_their_digest_only_on_weekly_on(tmp_path, sink):
    w = World(tmp_path, sink, send_at="07:00", weekly_on="monday")
    w.subscribe("weekly@example.org", frequency="weekly")
    w.subscribe("daily@example.org")
    # Two weeks from Wednesday 2026-11-18, a story every day at 02:00.
    sent = w.drive(utc("2026-11-18T00:00:00+00:00"), utc("2026-12-01T23:00:00+00:00"),
                   step=dt.timedelta(hours=1), news_at=lambda at: at.hour == 2)
    weekly = sorted(at for at, who in sent.items() if "weekly@example.org" in who)
    assert weekly == [utc("2026-11-23T07:00:00+00:00"), utc("2026-11-30T07:00:00+00:00")]
    assert all(at.weekday() == 0 for at in weekly)
    daily = [at for at, who in sent.items() if "daily@example.org" in who]
    assert len(daily) == 14        # the 18th ... the 1st
    second = w.inbox("weekly@example.org")[1]
    assert sum(f"https://n.example/a{i}.html" in second for i in range(1, w.n + 1)) == 7   # the week between


def test_an_empty_digest_is_not_sent_and_its_items_roll_over_to_the_next_slot(tmp_path, sink):
    w = World(tmp_path, sink, send_at="07:00", min_items=2)
    w.subscribe("ada@example.org")
    w.news(utc("2026-11-24T05:00:00+00:00"))
    w.news(utc("2026-11-24T05:10:00+00:00"))
    w.tick(utc("2026-11-24T07:00:00+00:00"))
    assert len(w.inbox("ada@example.org")) == 1
    one = w.news(utc("2026-11-25T05:00:00+00:00"))
    r = w.tick(utc("2026-11-25T07:00:00+00:00"))
    assert (r.due, r.empty, r.tally.sent) == (1, 1, 0)       # one item is under min_items: not sent
    two = w.news(utc("2026-11-25T09:00:00+00:00"))
    w.drive(utc("2026-11-25T07:15:00+00:00"), utc("2026-11-26T06:45:00+00:00"))
    assert len(w.inbox("ada@example.org")) == 1, "no digest at some other hour of the day"
    w.tick(utc("2026-11-26T07:00:00+00:00"))
    inbox = w.inbox("ada@example.org")
    assert len(inbox) == 2 and one in inbox[1] and two in inbox[1]
    assert [r.edition_key for r in w.store.deliveries.listed()] == ["daily-2026-11-24", "daily-2026-11-26"]


def test_a_subscribers_own_send_at_is_their_slot(world):
    world.subscribe("early@example.org", send_at="05:30", timezone="Europe/Berlin")
    world.subscribe("default@example.org")
    # From the morning before (yesterday's slots find nothing and close), news in the night.
    sent = world.drive(utc("2026-11-24T08:00:00+00:00"), utc("2026-11-25T08:00:00+00:00"),
                       news_at=lambda at: at == utc("2026-11-25T01:00:00+00:00"))
    assert sent == {utc("2026-11-25T05:30:00+01:00"): ["early@example.org"],
                    utc("2026-11-25T07:00:00+00:00"): ["default@example.org"]}


def test_two_schedulers_in_threads_send_each_digest_once(world):
    import threading
    for i in range(30):
        world.subscribe(f"s{i:02d}@example.org")
    world.news(utc("2026-11-25T05:00:00+00:00"))
    results, barrier = [], threading.Barrier(2)

    def one():
        s = daemon.Scheduler(world.cfg)
        barrier.wait()
        try:
            results.append(s.run_once(utc("2026-11-25T07:00:00+00:00")).tally.sent)
        except LockedError as exc:
            results.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    [t.start() for t in threads]
    [t.join(30) for t in threads]
    rcpts = [r[0] for r, _ in world.sink.messages]
    assert sorted(rcpts) == [f"s{i:02d}@example.org" for i in range(30)]
    sent = [r for r in results if isinstance(r, int)]
    assert sum(sent) == 30
    for r in results:
        if isinstance(r, LockedError):
            assert "Another scheduler" in r.message and "did nothing" in r.message


def test_two_scheduler_processes_at_the_same_instant_send_each_digest_once(world, tmp_path, monkeypatch):
    for i in range(40):
        world.subscribe(f"p{i:02d}@example.org")
    world.news(utc("2026-11-25T05:00:00+00:00"))
    env = {**os.environ, "DIGEST_SMTP_URL": world.sink.url}
    (tmp_path / "digest.toml").write_text('[digest]\nsend_at = "07:00"\n')
    cmd = [sys.executable, "-m", "digest", "schedule", "run", "--once", "--now", "2026-11-25T08:00:00+01:00"]
    procs = [subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    codes = [p.returncode for p in procs]
    assert sorted(r[0] for r, _ in world.sink.messages) == [f"p{i:02d}@example.org" for i in range(40)]
    assert 0 in codes and set(codes) <= {0, 4}, outs
    for code, (_, err) in zip(codes, outs):
        if code == 4:
            assert "Error: Another scheduler" in err


def test_the_lease_lets_one_scheduler_work_and_the_other_take_over(tmp_path):
    store = Database.open(tmp_path / "digest.db")
    store.init()
    a = pipeline.Lease(Database.open(tmp_path / "digest.db"), "scheduler", 60, owner="a")
    b = pipeline.Lease(Database.open(tmp_path / "digest.db"), "scheduler", 60, owner="b")
    assert a.try_acquire() is None and a.held
    assert b.try_acquire() == "a" and not b.held
    a.release()
    assert b.try_acquire() is None and b.held
    b.release()


def test_interrupted_send_is_finished_before_a_new_slot_is_planned(world):
    world.subscribe("ada@example.org")
    world.subscribe("bob@example.org")
    u1 = world.news(utc("2026-11-24T05:00:00+00:00"))
    # Plan the 24th and "crash" before sending: the rows are pending.
    day = dt.date(2026, 11, 24)
    subs = world.store.subscribers.listed()
    pipeline.plan_edition(world.store, world.cfg, frequency="daily", at=utc("2026-11-24T07:00:00+00:00"),
                          day=day, subscribers=subs)
    u2 = world.news(utc("2026-11-25T05:00:00+00:00"))
    world.tick(utc("2026-11-25T07:00:00+00:00"))
    for email in ("ada@example.org", "bob@example.org"):
        inbox = world.inbox(email)
        assert len(inbox) == 2
        assert u1 in inbox[0] and u2 not in inbox[0]
        assert u2 in inbox[1] and u1 not in inbox[1]


# ---- configuration and the CLI ---------------------------------------------------------------

@pytest.mark.parametrize("toml, words", [
    ('[digest]\nsend_at = "7 am"\n', ["send_at", '"HH:MM"']),
    ('[digest]\ntimezone = "Mars/Olympus"\n', ["timezone", "Area/City"]),
    ('[digest]\nweekly_on = "someday"\n', ["weekly_on", "monday"]),
    ('[digest]\nmin_items = -1\n', ["min_items"]),
    ('[ingest]\nevery_minutes = 0\n', ["every_minutes", "positive"]),
    ('[ingest]\nfolders = "incoming"\n', ["folders", "list"]),
    ('[ingest]\nfeeds = [3]\n', ["feeds entry 1"]),
    ('[ingest]\nevery_hour = 1\n', ["every_hour", "Known settings"]),
])
def test_bad_schedule_settings_are_one_line_errors_naming_file_and_key(run, tmp_path, toml, words):
    (tmp_path / "digest.toml").write_text(toml)
    r = run("schedule", "list")
    assert r.exit_code == 1, r
    line = r.stderr.strip()
    assert line.startswith("Error: ") and "\n" not in line and "digest.toml" in line
    for w in words:
        assert w in line, line


def test_schedule_list_shows_jobs_triggers_next_runs_and_the_config_file(run, tmp_path):
    assert run("init").exit_code == 0
    run("subscribers", "add", "b@example.org", "--topic", "World", "--timezone", "Europe/Berlin")
    (tmp_path / "incoming").mkdir()
    (tmp_path / "digest.toml").write_text(
        '[ingest]\nevery_minutes = 10\nfolders = ["incoming/"]\nfeeds = ["feeds/local.atom"]\n'
        '[digest]\nsend_at = "07:00"\ntimezone = "UTC"\nweekly_on = "monday"\nmin_items = 1\n')
    r = run("schedule", "list", "--now", "2026-11-25T04:31:10+00:00")
    assert r.exit_code == 0, r
    assert str(tmp_path / "digest.toml") in r.stderr
    assert "interval[0:10:00]" in r.stdout and "2026-11-25T04:41:10+00:00" in r.stdout
    assert "cron[second='0']" in r.stdout and "2026-11-25T04:32:00+00:00" in r.stdout
    info = json.loads(run("schedule", "list", "--json", "--now", "2026-11-25T04:31:10+00:00").stdout)
    assert info["config"] == str(tmp_path / "digest.toml")
    assert [j["id"] for j in info["jobs"]] == ["ingest", "digest"]
    assert info["slots"] == [{"frequency": "daily", "timezone": "Europe/Berlin", "send_at": "07:00", "subscribers": 1,
                              "next_slot": "2026-11-25T06:00:00+00:00", "edition": "daily-2026-11-25"}]
    assert not (tmp_path / "incoming" / "done").exists()     # listing started nothing


def test_run_once_with_now_ingests_the_watched_folder_stamped_with_that_instant(run, tmp_path, smtp_env):
    assert run("init").exit_code == 0
    run("subscribers", "add", "ada@example.org", "--topic", "World", "--timezone", "Europe/Berlin")
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "quake.txt").write_text(
        "World\n\nA Strong Quake Shakes the Coast\n\nA strong earthquake shook the coast on Tuesday. "
        "Buildings swayed in the capital.\n\nNo damage was reported, officials said.\n")
    (incoming / "broken.jsonl").write_text("{not json\n")
    (tmp_path / "digest.toml").write_text('[ingest]\nfolders = ["incoming"]\n[digest]\nsend_at = "07:00"\n')
    r = run("schedule", "run", "--once", "--now", "2026-11-25T07:00:00+01:00")
    assert r.exit_code == 0, r
    assert (incoming / "done" / "quake.txt").exists() and not (incoming / "quake.txt").exists()
    assert (incoming / "failed" / "broken.jsonl").exists()
    arts = json.loads(run("articles", "list", "--json").stdout)
    assert [a["ingested_at"] for a in arts] == ["2026-11-25T06:00:00+00:00"]
    assert [r for r, _ in smtp_env.messages] == [["ada@example.org"]]
    again = run("schedule", "run", "--once", "--now", "2026-11-25T07:05:00+01:00")
    assert again.exit_code == 0 and len(smtp_env.messages) == 1


def test_the_example_configuration_is_valid(run, tmp_path):
    from conftest import ROOT
    cfg = config.load(ROOT / "examples" / "digest.toml")
    s, d = cfg.ingest, cfg.schedule
    assert (s.every, d.send_at, d.weekly_on, d.min_items) == (600, dt.time(7), 0, 1)
    assert [f.url for f in s.feeds][-1] == "https://example.org/eu.rss" and s.feeds[-1].labels == ["Europe"]
    assert s.folders == [(ROOT / "examples" / "incoming").resolve()]


def test_now_without_once_is_refused(run):
    r = run("schedule", "run", "--now", "2026-11-25T07:00:00")
    assert r.exit_code == 2 and "--now needs --once" in r.stderr


def test_run_without_a_relay_says_how_to_configure_one(run):
    assert run("init").exit_code == 0
    r = run("schedule", "run", "--once")
    assert r.exit_code == 1 and "DIGEST_SMTP_URL" in r.stderr
