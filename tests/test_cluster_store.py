"""Clustering at ingest against the store's counts: boilerplate is known from paragraph counts kept
on ingest, update and removal (and counted for an existing store by migration m011), and a new
article meets the other reports of its story in later runs without the archive being read."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from conftest import optional
from digest import pipeline
from digest.db import Database
from digest.selection import cluster as clusters
from digest.summarize import DocFreq
from test_cluster import ODESA_A, ODESA_B, SWAP

T0 = dt.datetime(2026, 11, 2, 8, tzinfo=dt.timezone.utc)
# One outlet's standard paragraph, long enough that two short stories sharing it look alike.
FOOTER = ("Compass Wire Service is an independent cooperative news agency founded in 1952 in Lisbon by "
          "eleven regional newspapers. Its correspondents in forty countries file reports, photographs "
          "and video around the clock, and its wire reaches two hundred newspapers, broadcasters and "
          "websites on four continents every day of the year.")
LEDES = ["Ports reopened in Gdansk after the storm closed the harbour for two days.",
         "Farmers in Bavaria protested against diesel taxes outside the state parliament.",
         "A museum in Porto returned a stolen painting to a family in Ghent.",
         "Divers found a medieval anchor off the coast of Brittany near Brest."]


def _briefings():
    """One outlet's daily briefing on four unrelated events, each with the outlet's footer."""
    return [(f"s{k}", "Compass Wire news briefing", f"{lede}\n\n{FOOTER}") for k, lede in enumerate(LEDES)]


def _ingest(db, folder, items, at):
    """(name, title, body) items as one JSON Lines file (the name makes the URL, so two briefings with
    one title are two articles), ingested at `at`."""
    folder.mkdir(exist_ok=True)
    path = folder / f"{items[0][0]}.jsonl"
    path.write_text("".join(json.dumps({"title": t, "body": b, "labels": ["World"], "url": f"https://wire.example/{n}"}) + "\n"
                            for n, t, b in items))
    return pipeline.ingest(db, paths=[path], at=at)


def _store(tmp_path):
    db = Database.open(tmp_path / "digest.db")
    db.init()
    pipeline.add_topic(db, "World")
    return db


def _as_read(db):
    """What reading every live body would give: boilerplate fingerprints and document frequencies."""
    bodies = [r[0] for r in db.conn.execute("SELECT body FROM articles WHERE removed_at IS NULL")]
    keys = clusters.boilerplate(bodies)
    return {clusters.key_fingerprint(k) for k in keys}, DocFreq.from_texts(bodies)


def _counted(db):
    every = {r[0] for r in db.conn.execute("SELECT fingerprint FROM corpus_paragraphs")}
    return db.corpus.common(every, clusters.BOILERPLATE_DOCS), DocFreq(db.corpus.live(), db.corpus.doc_freq())


def _same_counts(db):
    (common, df), (common2, df2) = _as_read(db), _counted(db)
    assert common == common2
    assert (df.n_docs, df.df) == (df2.n_docs, df2.df)


def test_a_footer_in_three_stored_articles_is_boilerplate_for_a_later_run(tmp_path):
    db = _store(tmp_path)
    stories = _briefings()
    # Without knowing the footer is boilerplate, two of these stories would be one.
    assert any(len(g) > 1 for g in clusters.cluster([clusters.Doc(k, t, b) for k, (_, t, b) in enumerate(stories)],
                                                    common=set()))
    _ingest(db, tmp_path / "day1", stories[:3], T0)
    report = _ingest(db, tmp_path / "day2", stories[3:], T0 + dt.timedelta(hours=20))
    assert db.articles.get(report.added[0]).cluster_id is None
    assert all(a.cluster_id is None for a in pipeline.articles(db))
    _same_counts(db)


def test_a_rewrite_in_a_later_run_joins_the_story_and_an_unrelated_one_stays_apart(tmp_path):
    db = _store(tmp_path)
    first = _ingest(db, tmp_path / "a", [("odesa-a", ODESA_A.title, ODESA_A.body), ("swap", SWAP.title, SWAP.body)], T0)
    later = _ingest(db, tmp_path / "b", [("odesa-b", ODESA_B.title, ODESA_B.body)], T0 + dt.timedelta(hours=30))
    a, swap = first.added
    [b] = later.added
    assert db.articles.get(a).cluster_id == db.articles.get(b).cluster_id == a
    assert db.articles.get(swap).cluster_id is None
    assert [o.id for o in pipeline.article_detail(db, b).others] == [a]


def test_a_rewrite_published_further_apart_than_the_window_stays_apart(tmp_path):
    db = _store(tmp_path)
    _ingest(db, tmp_path / "a", [("odesa-a", ODESA_A.title, ODESA_A.body)], T0)
    [b] = _ingest(db, tmp_path / "b", [("odesa-b", ODESA_B.title, ODESA_B.body)], T0 + dt.timedelta(hours=49)).added
    assert db.articles.get(b).cluster_id is None


def test_counts_follow_edits_and_removals(tmp_path):
    db = _store(tmp_path)
    stories = _briefings()
    _ingest(db, tmp_path / "in", stories[:3], T0)
    _same_counts(db)
    assert len(_counted(db)[0]) == 1                     # the footer
    # An edit drops the footer from one article: two copies left, no longer boilerplate.
    edited = _ingest(db, tmp_path / "in", [("s0", "Compass Wire news briefing", LEDES[0] + " Cranes were idle.")], T0 + dt.timedelta(hours=1))
    assert len(edited.updated) == 1
    _same_counts(db)
    assert _counted(db)[0] == set()
    _ingest(db, tmp_path / "in", stories[3:], T0 + dt.timedelta(hours=2))
    assert len(_counted(db)[0]) == 1
    removed = pipeline.articles(db)[-1].id
    pipeline.remove_articles(db, pipeline.removal_preview(db, [removed]), asked=[removed], yes=True)
    _same_counts(db)
    assert _counted(db)[0] == set()


def test_migration_m011_counts_an_existing_store(tmp_path):
    db = _store(tmp_path)
    stories = _briefings()
    _ingest(db, tmp_path / "in", stories[:3] + [("odesa-a", ODESA_A.title, ODESA_A.body)], T0)
    gone = pipeline.articles(db)[0].id
    pipeline.remove_articles(db, pipeline.removal_preview(db, [gone]), asked=[gone], yes=True)
    db.close()
    with sqlite3.connect(tmp_path / "digest.db") as conn:      # the store as a digest before m011 left it
        conn.executescript("""DROP TABLE corpus_paragraphs; DROP TABLE corpus_terms;
            DELETE FROM counters WHERE name = 'live_articles';
            DELETE FROM _sqlite_migrations WHERE name = 'm011_corpus_counts'; PRAGMA user_version = 10;""")
    db = Database.open(tmp_path / "digest.db", create=False)
    assert db.needs_migration() and db.init() == ["m011_corpus_counts"]
    _same_counts(db)
    assert db.corpus.live() == 3
    # Two footers left in the store plus one arriving: boilerplate, so the new story stands alone.
    [new] = _ingest(db, tmp_path / "more", stories[3:], T0 + dt.timedelta(hours=3)).added
    assert db.articles.get(new).cluster_id is None
    [b] = _ingest(db, tmp_path / "more", [("odesa-b", ODESA_B.title, ODESA_B.body)], T0 + dt.timedelta(hours=4)).added
    [odesa_a] = [a.id for a in pipeline.articles(db) if a.title == ODESA_A.title]     # stored before m011
    assert db.articles.get(b).cluster_id == odesa_a


DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "bbc-dev" / "articles"


@pytest.mark.skipif(not DEV.exists(), reason=optional("the data set ../shared/eval/bbc-dev is not beside the repository",
                                               "clustering the dev set in four runs"))
def test_the_dev_set_ingested_in_four_runs_clusters_as_the_whole_store_compared_at_once(tmp_path):
    # Four runs 6 hours apart: each compares its arrivals with their neighbourhood only. The oracle
    # is what ingest did before the store kept counts: every article against every other, with
    # boilerplate found by reading every body.
    db = _store(tmp_path)
    files = sorted(DEV.rglob("*.txt"))
    for k in range(4):
        pipeline.ingest(db, paths=files[k::4], at=T0 + dt.timedelta(hours=6 * k))
    stored = db.articles.texts_of(r[0] for r in db.conn.execute("SELECT id FROM articles"))
    assert len(stored) > 1600
    docs = [clusters.Doc(a.id, a.title, a.body, a.ingested_at) for a in stored]
    expected = [g for g in clusters.cluster(docs, common=clusters.boilerplate(a.body for a in stored)) if len(g) > 1]
    got: dict[int, list[int]] = {}
    for a in stored:
        if a.cluster_id is not None:
            got.setdefault(a.cluster_id, []).append(a.id)
    assert sorted(got.values()) == expected
    assert len(expected) > 50
