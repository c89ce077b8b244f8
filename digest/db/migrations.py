"""The schema, one sqlite-utils migration per change, numbered in order without gaps. Each runs in
its own transaction, together with the record that it ran.

Numbers are never reused. A database made before the renumbering recorded three of them under
older names (RENAMED); Database.open rewrites those records once, so such a database needs no
`digest init` and is never mistaken for one written by a newer digest.
May import: .initial_schema (m001's tables), selection.cluster and summarize.words, and only in m011: it counts
existing bodies with the pure functions ingest counts them with (digest.selection.cluster.fingerprints,
digest.summarize.words.terms).
"""

from __future__ import annotations

import sqlite_utils

from .initial_schema import INITIAL

migrations = sqlite_utils.Migrations("digest")

# old recorded name -> the name the same migration has now
RENAMED = {"m003_preferences": "m002_preferences", "m004_feeds": "m003_feeds", "m004_schedule": "m004_empty_slots"}


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db.executescript(INITIAL)


@migrations()
def m002_preferences(db: sqlite_utils.Database) -> None:
    # The subscriber's preferred local time of day ("HH:MM") for their digest; NULL = the edition's time.
    db.execute("ALTER TABLE subscribers ADD COLUMN send_at TEXT")


@migrations()
def m003_feeds(db: sqlite_utils.Database) -> None:
    # Per-feed HTTP validators (ETag, Last-Modified) so an unchanged feed costs a 304, plus the last
    # outcome so `digest schedule list` can show a feed that keeps failing.
    db.executescript("""
    CREATE TABLE feeds (
        url TEXT PRIMARY KEY,
        etag TEXT,
        modified TEXT,
        checked_at TEXT,
        ok_at TEXT,
        last_error TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        entries INTEGER NOT NULL DEFAULT 0
    );
    """)


@migrations()
def m004_empty_slots(db: sqlite_utils.Database) -> None:
    # A slot the scheduler found empty (under min_items): closed, so the digest is not sent at some
    # later hour of the day when news arrives; the items roll over to the next slot.
    db.executescript("""
    CREATE TABLE empty_slots (
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        edition_key TEXT NOT NULL,
        checked_at TEXT NOT NULL,
        PRIMARY KEY (subscriber_id, edition_key)
    );
    """)


@migrations()
def m005_articles_removed(db: sqlite_utils.Database) -> None:
    # `digest articles remove` hides an article from every later digest and listing, but keeps the
    # row: an edition already sent keeps it in its archive, and a feed that still carries it cannot
    # bring it back.
    db.execute("ALTER TABLE articles ADD COLUMN removed_at TEXT")


@migrations()
def m006_ingest_seq(db: sqlite_utils.Database) -> None:
    # Windows by ingest order, not wall-clock time: every article gets the next number of a counter
    # that never goes back (not even when the newest article is deleted), and each delivery fixes the
    # numbers its window runs between. A clock stepped back can no longer hide an article behind a
    # watermark, and an article committed after a window was cut always falls in the next one.
    db.executescript("""
    ALTER TABLE articles ADD COLUMN seq INTEGER;
    UPDATE articles SET seq = r.n FROM
        (SELECT id, row_number() OVER (ORDER BY ingested_at, id) AS n FROM articles) AS r WHERE r.id = articles.id;
    CREATE UNIQUE INDEX articles_seq ON articles(seq);
    CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO counters (name, value) SELECT 'ingest_seq', coalesce(max(seq), 0) FROM articles;
    ALTER TABLE deliveries ADD COLUMN since_seq INTEGER;
    ALTER TABLE deliveries ADD COLUMN until_seq INTEGER;
    UPDATE deliveries SET
        until_seq = (SELECT coalesce(max(a.seq), 0) FROM articles a WHERE a.ingested_at <= deliveries.until),
        since_seq = (SELECT coalesce(max(a.seq), 0) FROM articles a WHERE a.ingested_at <= deliveries.since);
    """)


@migrations()
def m007_outlets_not_authors(db: sqlite_utils.Database) -> None:
    # Page-as-text (and JSON Lines without a `source`) used to store the author as the outlet, so
    # "Also reported by" named a reporter. The outlet is unknown for those rows: clear it.
    db.execute("UPDATE articles SET source = NULL WHERE source IS NOT NULL AND source = author")


@migrations()
def m008_bounces(db: sqlite_utils.Database) -> None:
    # What came back after the relay accepted a message: DSNs, complaints, auto-replies and mailto
    # unsubscribes, one row per address a report names. (dedup_key, address) is unique, so the same
    # report read twice (from the listener and the mailbox, or a pipe run twice) counts once. `raw`
    # keeps the message for the admin when nothing in it could be matched to a delivery.
    db.executescript("""
    CREATE TABLE bounces (
        id INTEGER PRIMARY KEY,
        dedup_key TEXT NOT NULL,
        address TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL, status TEXT, diagnostic TEXT,
        reason TEXT NOT NULL, source TEXT NOT NULL, via TEXT NOT NULL, action_taken TEXT NOT NULL,
        sender TEXT, report_message_id TEXT, original_message_id TEXT,
        delivery_id INTEGER REFERENCES deliveries(id) ON DELETE SET NULL,
        subscriber_id INTEGER REFERENCES subscribers(id) ON DELETE CASCADE,
        edition_id INTEGER,
        received_at TEXT NOT NULL,
        raw BLOB,
        UNIQUE (dedup_key, address)
    );
    CREATE INDEX bounces_subscriber ON bounces(subscriber_id, received_at);
    CREATE INDEX bounces_received ON bounces(received_at);
    CREATE INDEX deliveries_message_id ON deliveries(message_id);
    """)


@migrations()
def m009_delivery_relay(db: sqlite_utils.Database) -> None:
    # Several relays ([[relay]]): each delivery keeps the name of the relay that last answered for
    # it, so the ledger says which relay sent what. Earlier rows went through the one relay there was.
    db.execute("ALTER TABLE deliveries ADD COLUMN relay TEXT")


@migrations()
def m010_article_cleaning(db: sqlite_utils.Database) -> None:
    # Bodies arrive with captions, credits, datelines and teasers; ingest cleans them and keeps what
    # it removed (JSON [{kind, text, why}]) for `digest articles show`. The outlet's standfirst is
    # kept too, and which source the machine's blurb came from ("lede" or "standfirst").
    db.executescript("""
    ALTER TABLE articles ADD COLUMN description TEXT;
    ALTER TABLE articles ADD COLUMN removed TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE articles ADD COLUMN summary_source TEXT NOT NULL DEFAULT 'lede';
    """)


@migrations()
def m011_corpus_counts(db: sqlite_utils.Database) -> None:
    # Boilerplate (a paragraph in three articles) and the summarizer's document frequencies were
    # found by reading every stored body at each ingest; the store now keeps the counts, updated in
    # the transaction that stores or removes an article. Existing stores are counted here, with the
    # same pure functions ingest uses, so the counts are what reading the bodies would give.
    from digest.selection.cluster import fingerprints
    from digest.summarize.words import terms
    db.executescript("""
    CREATE TABLE corpus_paragraphs (fingerprint INTEGER PRIMARY KEY, docs INTEGER NOT NULL);
    CREATE TABLE corpus_terms (term TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO counters (name, value) SELECT 'live_articles', count(*) FROM articles WHERE removed_at IS NULL;
    """)
    paragraphs: dict[int, int] = {}
    words: dict[str, int] = {}
    for (body,) in db.execute("SELECT body FROM articles WHERE removed_at IS NULL"):
        for f in fingerprints(body):
            paragraphs[f] = paragraphs.get(f, 0) + 1
        for t in set(terms(body)):
            words[t] = words.get(t, 0) + 1
    db.conn.executemany("INSERT INTO corpus_paragraphs (fingerprint, docs) VALUES (?, ?)", paragraphs.items())
    db.conn.executemany("INSERT INTO corpus_terms (term, docs) VALUES (?, ?)", words.items())


@migrations()
def m012_deliveries_by_mix(db: sqlite_utils.Database) -> None:
    # A send claims rows mix by mix (then by id), so each mix's body is made once however the mixes
    # are spread over the list. The index also serves every lookup by (edition_id, status).
    db.executescript("""
    CREATE INDEX deliveries_claim ON deliveries(edition_id, status, mix, id);
    DROP INDEX deliveries_status;
    """)


@migrations()
def m013_uncertain_reason(db: sqlite_utils.Database) -> None:
    # Why a delivery is uncertain decides whether resending it makes a second copy: a sender that
    # died after the final dot (its journal says so) most likely got it through, a relay that dropped
    # the connection most likely did not. Earlier rows are told apart by the replies they recorded.
    db.executescript("""
    ALTER TABLE deliveries ADD COLUMN uncertain_reason TEXT;
    UPDATE deliveries SET uncertain_reason = CASE
        WHEN last_reply LIKE 'the sender stopped after the final dot%' THEN 'sender-died'
        WHEN last_reply LIKE 'connection to % lost: no answer in %' THEN 'no-answer'
        WHEN last_reply LIKE 'connection to % lost: %' THEN 'relay-dropped'
        ELSE 'no-answer' END
    WHERE status = 'uncertain';
    """)


@migrations()
def m014_editor_ranking(db: sqlite_utils.Database) -> None:
    # An editor ranks stories: `lead` pins the lead of the next edition that carries the article (one
    # article at a time), `priority` orders it within its topic (1 first; NULL: the machine's score).
    db.executescript("""
    ALTER TABLE articles ADD COLUMN priority INTEGER;
    ALTER TABLE articles ADD COLUMN lead INTEGER NOT NULL DEFAULT 0;
    """)


@migrations()
def m015_special_editions(db: sqlite_utils.Database) -> None:
    # A special edition (`digest send --special TITLE`) has its editor's title: its Subject and its
    # archive page's. A regular edition has none (NULL): its Subject is made from its lead story.
    db.executescript("ALTER TABLE editions ADD COLUMN title TEXT;")


@migrations()
def m016_subscriber_language(db: sqlite_utils.Database) -> None:
    # The language of a subscriber's email frame (digest.i18n); NULL: the newsletter's [digest] language,
    # so that changing the newsletter's setting moves everyone who never chose one.
    db.executescript("ALTER TABLE subscribers ADD COLUMN language TEXT;")


@migrations()
def m017_topic_labels(db: sqlite_utils.Database) -> None:
    # A topic's name in each language of the frame (`digest topics rename Politics --label de=Politik`):
    # the contents list, the section headings and the footer of a German reader's email say "Politik".
    # No row: the topic's own name.
    db.executescript("""
    CREATE TABLE topic_labels (
        topic_id INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
        language TEXT NOT NULL,
        label TEXT NOT NULL,
        PRIMARY KEY (topic_id, language)
    );
    """)


@migrations()
def m018_article_language(db: sqlite_utils.Database) -> None:
    # The language an article is written in ("de"), read from its source or detected at ingest; the
    # summarizer splits and judges its sentences by it. NULL for articles stored before: read as English,
    # as they always were, until `digest articles resummarize` or a re-ingest.
    db.executescript("ALTER TABLE articles ADD COLUMN language TEXT;")


@migrations()
def m019_batches(db: sqlite_utils.Database) -> None:
    # A fleet's unit of work (digest worker, Postgres only): owner, fencing epoch, lease. Unused on SQLite.
    db.executescript("""
    CREATE TABLE batches (
        id INTEGER PRIMARY KEY,
        edition_id INTEGER NOT NULL REFERENCES editions(id),
        status TEXT NOT NULL DEFAULT 'queued', owner TEXT, epoch INTEGER NOT NULL DEFAULT 0,
        lease_until TEXT, job_id INTEGER, created_at TEXT NOT NULL
    );
    CREATE INDEX batches_edition ON batches(edition_id, status);
    ALTER TABLE deliveries ADD COLUMN batch_id INTEGER REFERENCES batches(id);
    CREATE INDEX deliveries_batch ON deliveries(batch_id, status, mix, id);
    """)


@migrations()
def m020_relay_slots(db: sqlite_utils.Database) -> None:
    # A relay's connections for the whole fleet (digest worker, Postgres only): one leased slot each. Unused on SQLite.
    db.executescript("""CREATE TABLE relay_slots (relay TEXT NOT NULL, slot INTEGER NOT NULL, owner TEXT,
                        lease_until TEXT, next_at TEXT, PRIMARY KEY (relay, slot));""")


def names() -> list[str]:
    """Every migration this digest knows, in order."""
    return [m.name for m in migrations._migrations]


def schema_version() -> int:
    """The schema this digest writes: one step per migration (sqlite-utils keeps its registry
    private). A database records its own in PRAGMA user_version."""
    return len(names())


def applied(db: sqlite_utils.Database) -> list[str]:
    return [m.name for m in migrations.applied(db)]


def pending(db: sqlite_utils.Database) -> list[str]:
    return [m.name for m in migrations.pending(db)]


def apply(db: sqlite_utils.Database) -> None:
    migrations.apply(db)


RENAME_RECORD = "UPDATE _sqlite_migrations SET name = ? WHERE migration_set = 'digest' AND name = ?"


def old_names(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """(new name, old name) of the migrations this database recorded under an old name."""
    return [(RENAMED[name], name) for name in applied(db) if name in RENAMED]
