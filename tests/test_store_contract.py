"""The store's contract, run on both databases: the same calls on SQLite and on PostgreSQL give the
same rows in the same order and the same errors. The `store` fixture is a fresh, migrated database of
each kind (PostgreSQL: a private server, tests/private_postgres.py, skipped with `optional:` when its
binaries are missing).
"""

from __future__ import annotations

import datetime as dt

import pytest

from digest.db import Database
from digest.errors import DigestError, NotFound
from digest.models import Delivery, ParsedArticle
from private_postgres import NEEDS_POSTGRES, postgres_server, postgres_url  # noqa: F401  (fixtures)

T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=NEEDS_POSTGRES)])
def store(request, tmp_path):
    target = str(tmp_path / "contract.db") if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    db = Database.open(target)
    db.init()
    db.topics.ensure_defaults()
    yield db
    db.close()


def article(title: str, labels: list[str] | None = None, **kw) -> ParsedArticle:
    return ParsedArticle(title=title, body=f"{title}. A first paragraph about it.\n\nA second one.",
                         labels=labels or [], source="Wire", **kw)


def store_article(db: Database, title: str, topics: list[str], at: dt.datetime, checksum: str = "c1"):
    return db.articles.upsert(article(title, topics), guid=f"guid-{title}", checksum=checksum, topics=topics,
                              headline=title, summary=f"About {title}.", sentences=[0], at=at)


def people(db: Database, *specs: tuple[str, list[str]]) -> list[int]:
    ids = []
    for email, topics in specs:
        sid = db.subscribers.insert(email, name=email.split("@")[0].title(), status="active", frequency="daily",
                                    timezone=None)
        db.subscribers.subscribe(sid, [db.topics.get(t).id for t in topics])
        ids.append(sid)
    return ids


def plan(db: Database, edition_id: int, ids: list[int], mixes: list[str]) -> int:
    return db.deliveries.create([Delivery(0, edition_id, sid, "pending", mix, None, T0, f"<m{sid}@x>", 0, 5)
                                 for sid, mix in zip(ids, mixes)])


# ---- topics -----------------------------------------------------------------------------------------

def test_topics_add_aliases_rename_and_remove(store):
    topics = store.topics
    assert [t.name for t in topics.all()] == ["Europe", "Politics", "World"]
    science, moved = topics.add("Science", ["Tech", "Space"])
    assert (science.name, science.slug, sorted(science.aliases), moved) == ("Science", "science", ["Space", "Tech"], [])
    assert topics.get("tech").name == "Science"            # an alias, whatever its case
    assert topics.get("SCIENCE").id == science.id
    with pytest.raises(DigestError, match='The alias "Asia" belongs to the topic World.'):
        topics.add("Asia")
    asia, moved = topics.add("Asia", move=True)
    assert moved == [("Asia", "World")] and topics.get("asia").name == "Asia"
    with pytest.raises(DigestError, match='"europe" is the name of the topic Europe; it cannot be an alias of Science.'):
        topics.add("Science", ["europe"])

    renamed = topics.rename("Science", "Research")
    assert renamed.name == "Research" and "Science" in renamed.aliases
    assert topics.get("Science").name == "Research"
    with pytest.raises(DigestError, match='A topic named "World" already exists'):
        topics.rename("Research", "world")

    usage = topics.remove("Politics")
    assert (usage.topic.name, usage.subscribers, usage.articles) == ("Politics", 0, 0)
    assert [t.name for t in topics.all()] == ["Asia", "Europe", "Research", "World"]
    with pytest.raises(NotFound) as missing:
        topics.get("Politic")
    assert str(missing.value).startswith('Topic "Politic" does not exist.')
    assert "Known topics: Asia, Europe, Research, World." in str(missing.value)
    assert topics.alias_map()["eu"] == "Europe" and topics.ids()["research"][1] == "Research"


def test_topic_usage_counts_subscribers_and_articles(store):
    people(store, ("ann@example.com", ["Europe", "World"]), ("bob@example.com", ["Europe"]))
    store_article(store, "Summit", ["Europe"], T0)
    store.subscribers.set_status(store.subscribers.get("bob@example.com").id, "unsubscribed")
    usage = {u.topic.name: (u.subscribers, u.active, u.articles) for u in store.topics.usage_all()}
    assert usage == {"Europe": (2, 1, 1), "Politics": (0, 0, 0), "World": (1, 1, 0)}


# ---- subscribers ------------------------------------------------------------------------------------

def test_subscribers_add_find_list_and_subscriptions(store):
    subs = store.subscribers
    ann, bob, cy = people(store, ("ann@example.com", ["World", "Europe"]), ("Bob@Example.com", ["Europe"]),
                          ("cy@example.com", []))
    found = subs.find("bob@example.COM")                   # the address compares without case
    assert found is not None and (found.id, found.email, found.topics) == (bob, "Bob@Example.com", ["Europe"])
    assert subs.find("nobody@example.com") is None
    with pytest.raises(NotFound, match="Subscriber nobody@example.com does not exist."):
        subs.get("nobody@example.com")
    assert subs.by_id(ann).topics == ["Europe", "World"]
    assert [s.email for s in subs.listed()] == ["ann@example.com", "Bob@Example.com", "cy@example.com"]
    europe = store.topics.get("Europe").id
    assert [s.email for s in subs.listed(topic_id=europe)] == ["ann@example.com", "Bob@Example.com"]

    page = subs.page(topic_id=None, status=None, since=None, limit=2)
    assert page.total == 3 and [s.id for s in page.rows] == [cy, bob]      # newest first
    assert [s.id for s in subs.page(topic_id=europe, status="active", since=None, limit=None).rows] == [bob, ann]

    assert subs.unsubscribe(ann, [store.topics.get("World").id]) == 1
    subs.subscribe(cy, [europe, europe])
    subs.subscribe(bob, [store.topics.get("World").id], replace=True)
    assert [(s.email, s.topics) for s in subs.export()] == [
        ("ann@example.com", ["Europe"]), ("Bob@Example.com", ["World"]), ("cy@example.com", ["Europe"])]

    assert subs.set_status(bob, "unsubscribed", only_from=["active", "pending"]) is True
    assert subs.set_status(bob, "active", only_from=["pending"]) is False
    assert subs.get("bob@example.com").status == "unsubscribed"
    assert subs.add_soft_bounce(ann) == 1 and subs.add_soft_bounce(ann) == 2
    on_file = subs.on_file(["ANN@example.com", "bob@example.com", "zed@example.com"])
    assert sorted(on_file) == ["ann@example.com", "bob@example.com"]
    assert on_file["ann@example.com"].topic_ids == {europe}
    assert subs.suppress("bob@example.com") == "updated" and subs.suppress("new@example.com") == "added"
    assert subs.get("new@example.com").status == "suppressed"
    assert subs.remove(cy) == 0 and subs.find("cy@example.com") is None


def test_a_second_address_differing_only_in_case_is_refused(store):
    store.subscribers.insert("ann@example.com", name=None, status="active", frequency="daily", timezone=None)
    with pytest.raises(Exception) as refused:
        store.subscribers.insert("ANN@example.com", name=None, status="active", frequency="daily", timezone=None)
    assert "unique" in str(refused.value).lower()


# ---- articles ---------------------------------------------------------------------------------------

def test_articles_upsert_and_windows(store):
    a, added = store_article(store, "Summit", ["Europe", "World"], T0)
    b, _ = store_article(store, "Vote", ["politics"], T0 + dt.timedelta(hours=1))      # a topic's name, any case
    c, _ = store_article(store, "Storm", ["World"], T0 + dt.timedelta(hours=2))
    assert added == "added" and a < b < c
    assert store_article(store, "Summit", ["Europe", "World"], T0) == (a, "unchanged")
    assert store_article(store, "Summit", ["Europe"], T0 + dt.timedelta(hours=3), checksum="c2") == (a, "updated")
    assert store.articles.get(a).topics == ["Europe"] and store.articles.get(b).topics == ["Politics"]
    assert store.articles.last_seq() == 3

    until = T0 + dt.timedelta(days=1)
    assert [x.title for x in store.articles.between(["World", "Europe"], None, until)] == ["Summit", "Storm"]
    assert [x.title for x in store.articles.between(["world"], T0, until)] == ["Storm"]
    assert [x.title for x in store.articles.between(["Europe", "Politics", "World"], None, until,
                                                    since_seq=1, until_seq=2)] == ["Vote"]
    sets = sorted(store.articles.topic_sets_between(["Europe", "Politics", "World"], None, until))
    assert sets == [(["Europe"], 1), (["Politics"], 1), (["World"], 1)]
    assert store.articles.seq_after(T0 + dt.timedelta(minutes=30)) == 1

    assert store.articles.remove([c], at=T0 + dt.timedelta(hours=5)) == 1
    assert [x.title for x in store.articles.between(["World"], None, T0 + dt.timedelta(hours=4))] == ["Storm"]
    assert store.articles.between(["World"], None, until) == []
    assert [x.title for x in store.articles.live()] == ["Summit", "Vote"]
    page = store.articles.page(topic_id=None, no_topic=False, since=None, limit=1)
    assert page.total == 2 and [x.title for x in page.rows] == ["Vote"]
    with pytest.raises(NotFound, match=f"Article {c} was removed on 2026-11-20."):
        store.articles.get(c)


def test_topic_sets_group_articles_of_the_same_topics(store):
    for i, topics in enumerate([["World", "Europe"], ["Europe", "World"], ["World"]]):
        store_article(store, f"Story {i}", topics, T0 + dt.timedelta(minutes=i))
    sets = sorted(store.articles.topic_sets_between(["Europe", "World"], None, T0 + dt.timedelta(hours=1)))
    assert sets == [(["Europe", "World"], 2), (["World"], 1)]


def test_an_editors_changes_and_the_pinned_lead(store):
    a, _ = store_article(store, "Summit", ["Europe"], T0)
    b, _ = store_article(store, "Vote", ["Politics"], T0)
    store.editing.set_override(a, headline="Leaders meet", summary=None)
    store.editing.set_priority(b, 1)
    assert store.editing.pin_lead(a) is None and store.editing.pin_lead(b).id == a     # the pin moved from a
    assert (store.editing.pinned().id, store.articles.get(a).headline, store.articles.get(b).priority) == (
        b, "Leaders meet", 1)
    store.editing.set_override(a, headline="", summary=None)
    assert store.articles.get(a).headline == "Summit" and not store.articles.get(a).lead


def test_feeds_and_leases(store):
    store.feeds.record("https://a.example/feed", at=T0, etag='"v1"', entries=3)
    store.feeds.record("https://a.example/feed", at=T0, error="timed out")
    store.feeds.record("https://a.example/feed", at=T0, error="timed out")
    (feed,) = store.feeds.all()
    assert (feed.etag, feed.failures, feed.last_error, feed.entries) == ('"v1"', 2, "timed out", 3)
    assert store.leases.acquire("scheduler", "one", 60) is None
    assert store.leases.acquire("scheduler", "two", 60) == "one"
    assert store.leases.renew("scheduler", "one", 60) and not store.leases.renew("scheduler", "two", 60)
    store.leases.release("scheduler", "two")                     # not theirs: kept
    assert store.leases.holder("scheduler").owner == "one"
    store.leases.release("scheduler", "one")
    assert store.leases.holder("scheduler") is None


# ---- editions and deliveries --------------------------------------------------------------------------

def test_editions_ensure_due_and_watermarks(store):
    first = store.editions.ensure("daily-2026-11-20", "daily", dt.date(2026, 11, 20))
    assert store.editions.ensure("daily-2026-11-20", "daily", dt.date(2026, 11, 20)) == first
    special = store.editions.ensure("special-1", "special", dt.date(2026, 11, 20), title="Election night")
    assert store.editions.title_of("special-1") == "Election night" and store.editions.title_of("daily-2026-11-20") is None
    ids = people(store, *[(f"p{i}@example.com", ["World"]) for i in range(5)], ("none@example.com", []))
    assert [[s.id for s in batch] for batch in store.editions.due_subscribers(first, batch=2)] == [
        ids[0:2], ids[2:4], ids[4:5]]
    assert store.editions.count_due_subscribers(first) == 5

    assert plan(store, first, ids[:3], ["World"] * 3) == 3
    assert [s.id for b in store.editions.due_subscribers(None) for s in b] == ids[3:5]   # nothing unfinished
    assert [s.id for b in store.editions.due_subscribers(special) for s in b] == ids[3:5]
    assert store.editions.with_leftovers()[0].key == "daily-2026-11-20"

    claimed = store.deliveries.claim(first, "pending", 0, 10)
    store.deliveries.record([(d.id, "sent", "250 ok", None, False, "main", None) for d in claimed[:2]])
    assert store.editions.watermarks(ids) == {ids[0]: T0, ids[1]: T0}
    assert store.editions.seq_watermarks(ids) == {ids[0]: 5, ids[1]: 5}
    assert store.editions.sent_seq() == 5
    sent = store.editions.sent()
    assert [(e.key, e.until, e.until_seq) for e in sent] == [("daily-2026-11-20", T0, 5)]
    store.editions.close_empty_slots([ids[3]], "daily-2026-11-21", T0)
    store.editions.close_empty_slots([ids[3]], "daily-2026-11-21", T0)         # twice: one row
    assert store.editions.handled_slots(ids, ["daily-2026-11-20", "daily-2026-11-21"]) == {
        (ids[0], "daily-2026-11-20"), (ids[1], "daily-2026-11-20"), (ids[2], "daily-2026-11-20"),
        (ids[3], "daily-2026-11-21")}


def test_deliveries_create_claim_record_and_count(store):
    edition = store.editions.ensure("daily-2026-11-20", "daily", dt.date(2026, 11, 20))
    ids = people(store, *[(f"p{i}@example.com", ["World"]) for i in range(4)])
    mixes = ["World", "Europe+World", "World", "Europe+World"]
    assert plan(store, edition, ids, mixes) == 4
    assert plan(store, edition, ids, mixes) == 0                       # one row per (edition, subscriber)
    assert store.deliveries.count_due(edition, T0) == 4
    assert [w.mix for w in store.deliveries.due_windows(edition, T0)] == ["Europe+World", "World"]

    first = store.deliveries.claim(edition, "pending", 0, 3)
    assert [(d.mix, d.subscriber_id) for d in first] == [("Europe+World", ids[1]), ("Europe+World", ids[3]),
                                                        ("World", ids[0])]
    assert first[0].email == "p1@example.com" and first[0].until == T0 and first[0].until_seq == 5
    rest = store.deliveries.claim(edition, "pending", (first[-1].mix, first[-1].id), 3)
    assert [d.subscriber_id for d in rest] == [ids[2]]

    later = T0 + dt.timedelta(minutes=5)
    settled = store.deliveries.record([
        (first[0].id, "sent", "250 ok", None, False, "main", None),
        (first[1].id, "deferred", "451 try later", later, True, "main", None),
        (first[2].id, "failed", "550 no such user", None, False, "main", None)])
    assert [(s.status, s.soft) for s in settled] == [("sent", False), ("deferred", True), ("failed", False)]
    assert store.deliveries.record([(first[0].id, "failed", "x", None, False, None, None)]) == []   # not 'sending'
    store.deliveries.unclaim([rest[0].id])
    assert store.deliveries.counts(edition) == {"sent": 1, "deferred": 1, "failed": 1, "pending": 1}
    assert store.deliveries.count_due(edition, T0) == 1 and store.deliveries.count_due(edition, later) == 2
    assert [d.id for d in store.deliveries.claim_deferred([first[1].id, first[0].id])] == [first[1].id]

    assert [d.status for d in store.deliveries.listed(edition, ["sent", "failed"])] == ["failed", "sent"]   # by id
    page = store.deliveries.page(status=None, edition_key=None, since=None, limit=None)
    assert page.total == 4 and [d.id for d in page.rows] == sorted((d.id for d in first + rest), reverse=True)
    counts, recent = store.deliveries.of_subscriber(ids[1])
    assert counts == {"sent": 1} and recent[0].relay == "main" and recent[0].sent_at is not None


def test_bounces_recorded_once_listed_and_counted(store):
    edition = store.editions.ensure("daily-2026-11-20", "daily", dt.date(2026, 11, 20))
    (ann,) = people(store, ("Ann@example.com", ["World"]))
    plan(store, edition, [ann], ["World"])
    (sent,) = store.deliveries.claim(edition, "pending", 0, 1)
    store.deliveries.record([(sent.id, "sent", "250 ok", None, False, "main", None)])
    assert store.bounces.last_sent_to("ann@EXAMPLE.com").id == sent.id
    assert store.bounces.sent_with_message_id(sent.message_id).id == sent.id
    row = {"dedup_key": "k1", "address": "ann@example.com", "kind": "soft", "reason": "mailbox full", "source": "dsn",
           "via": "fetch", "action_taken": "counted", "delivery_id": sent.id, "subscriber_id": ann,
           "edition_id": edition, "raw": b"Subject: delayed\r\n\r\n\x00\xff"}
    assert store.bounces.record([row], T0) == 1
    assert store.bounces.record([row], T0) == 0                        # the same report read twice
    kept = {**row, "dedup_key": "k2", "delivery_id": None, "subscriber_id": None, "action_taken": "kept"}
    assert store.bounces.record([kept], T0 + dt.timedelta(minutes=1)) == 1
    assert store.bounces.seen("k1") and not store.bounces.seen("k3")
    assert [(b.action_taken, b.email, b.edition_key) for b in store.bounces.listed()] == [
        ("kept", None, "daily-2026-11-20"), ("counted", "Ann@example.com", "daily-2026-11-20")]
    page = store.bounces.page(kept_only=True, limit=None)
    assert page.total == 1 and [b.action_taken for b in page.rows] == ["kept"]
    assert store.bounces.raw(store.bounces.listed()[1].id) == b"Subject: delayed\r\n\r\n\x00\xff"
    assert store.bounces.soft_since(ann, T0, also=sent.id) == 1 and store.bounces.soft_since(ann, T0) == 2


# ---- transactions -------------------------------------------------------------------------------------

def test_a_transaction_is_all_or_nothing_and_nested_calls_join_it(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.topics.add("Science")
            with store.transaction():                  # joins: not committed on its own
                store.topics.add("Culture")
            raise RuntimeError("stop")
    assert [t.name for t in store.topics.all()] == ["Europe", "Politics", "World"]
    assert not store.conn.in_transaction
    with store.transaction():
        store.topics.add("Science")
    assert "Science" in [t.name for t in store.topics.all()]


def test_a_takeover_waits_for_a_fenced_write_and_then_fences_the_old_holder_out(store):
    """SQLite's write lock, Postgres' share lock on the lease row: the same outcome."""
    from digest.errors import LeaseLost
    other = Database.open(store.path)
    other.set_lock_timeout(0.2)
    try:
        assert store.leases.acquire("send:x", "old", -1) is None          # held, and already expired
        with store.deliveries.fenced(("send:x", "old")):
            with pytest.raises(Exception, match="lock"):
                other.leases.acquire("send:x", "new", 60)
        assert other.leases.acquire("send:x", "new", 60) is None
        with pytest.raises(LeaseLost):
            with store.deliveries.fenced(("send:x", "old")):
                pass
    finally:
        other.close()
