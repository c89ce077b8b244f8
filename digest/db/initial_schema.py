"""The tables digest started with (m001): read only by that migration, which creates them. Later
changes are migrations of their own, never edits here.
May import: nothing.
"""

INITIAL = """
    CREATE TABLE topics (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        slug TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    );
    CREATE TABLE topic_aliases (
        alias TEXT PRIMARY KEY COLLATE NOCASE,
        topic_id INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE
    );
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        guid TEXT NOT NULL UNIQUE,
        checksum TEXT NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        labels TEXT NOT NULL DEFAULT '[]',
        caption TEXT, sources TEXT, author TEXT, bio TEXT,
        url TEXT, source TEXT, published TEXT, origin TEXT,
        ingested_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        headline TEXT NOT NULL DEFAULT '',
        summary TEXT NOT NULL DEFAULT '',
        summary_sentences TEXT NOT NULL DEFAULT '[]',
        headline_override TEXT,
        summary_override TEXT,
        cluster_id INTEGER
    );
    CREATE INDEX articles_ingested ON articles(ingested_at);
    CREATE TABLE article_topics (
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        topic_id INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
        PRIMARY KEY (article_id, topic_id)
    );
    CREATE INDEX article_topics_topic ON article_topics(topic_id, article_id);
    CREATE TABLE subscribers (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        name TEXT,
        status TEXT NOT NULL DEFAULT 'active',
        frequency TEXT NOT NULL DEFAULT 'daily',
        timezone TEXT,
        soft_bounces INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE subscriptions (
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        topic_id INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
        PRIMARY KEY (subscriber_id, topic_id)
    );
    CREATE INDEX subscriptions_topic ON subscriptions(topic_id);
    CREATE TABLE editions (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        frequency TEXT NOT NULL,
        date TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        edition_id INTEGER NOT NULL REFERENCES editions(id),
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        status TEXT NOT NULL DEFAULT 'pending',
        mix TEXT NOT NULL,
        since TEXT,
        until TEXT NOT NULL,
        message_id TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_reply TEXT,
        next_attempt_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        sent_at TEXT,
        UNIQUE (edition_id, subscriber_id)
    );
    CREATE INDEX deliveries_status ON deliveries(edition_id, status);
    CREATE INDEX deliveries_subscriber ON deliveries(subscriber_id, status);
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
"""
