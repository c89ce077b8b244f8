"""One story, told once: clustering at ingest and how the digest shows it (real SQLite, real
templates, `digest preview` through the CLI), plus the order of stories and the subject line."""

from __future__ import annotations

import datetime as dt
import json
import re
from email import message_from_bytes, policy

import pytest

from conftest import SEEDS
from digest import pipeline, readers
from digest.clock import now
from digest.db import Database

PAIR = ("2026-11-20-eu-summit-joint-defense-fund.txt", "2026-11-21-brussels-summit-common-borrowing.txt")
UKRAINE = ("2026-11-19-ukraine-parliament-power-law.txt", "2026-11-24-odesa-grain-terminal-drone-attack.txt")


def seed(name: str):
    return readers.parse_text((SEEDS / name).read_text(), origin=name)


def items(text: str) -> list[str]:
    """The stories in the body of a plain-text digest (not its contents list), in order: each from
    its numbered headline to its link references."""
    body = text.split("\n=", 1)[1].split("\n-- \n", 1)[0]        # from the first section heading on
    starts = [m.start() for m in re.finditer(r"^\d+\. ", body, re.M)]
    return [body[a:b].split("\n\n\n", 1)[0].strip() for a, b in zip(starts, starts[1:] + [len(body)])]


def sections(text: str) -> dict[str, str]:
    parts = re.split(r"^(\w[\w ]*)\n=+\n", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


@pytest.fixture
def seeded_only(run):
    assert run("init").exit_code == 0
    r = run("articles", "ingest", SEEDS)
    assert r.exit_code == 0, r
    return {a["title"]: a for a in json.loads(run("articles", "list", "--json").stdout)}


def test_the_same_event_is_one_item_with_also_reported_by_in_text_and_html(run, seeded_only):
    fund, borrowing = (seeded_only[seed(f).title] for f in PAIR)
    text = run("preview", "--format", "text").stdout
    story = [i for i in items(text) if fund["headline"] in i or borrowing["headline"] in i]
    assert len(story) == 1                                   # told once, not twice
    lead, other = (borrowing, fund) if borrowing["headline"] in story[0] else (fund, borrowing)
    # The seeds name an author but no outlet, and no link of their own: both are the newsroom's own
    # pages, so the story is told once with no "Also reported" line (#21 item 9), never its reporter.
    assert other["source"] is None and lead["source"] is None
    flat = " ".join(story[0].split())
    number = flat.split(".", 1)[0]
    assert "Also reported" not in flat and f"[{number}a]" not in flat
    assert other["headline"] not in " ".join(text.split())
    assert "Also reported" not in text

    # Every kept story is in the HTML body: a story, the lead or a brief
    html = run("preview", "--topic", "Europe", "--format", "html").stdout
    [item] = [i for i in re.findall(r'<td class="(?:item|lead|brief-item)[^"]*".*?</td>', html, re.S)
              if lead["headline"] in i]
    assert "Also reported" not in html and other["headline"] not in html


def test_two_ukraine_stories_on_different_events_stay_two_items(run, seeded_only):
    power, drones = (seeded_only[seed(f).title] for f in UKRAINE)
    assert power["cluster"] is None and drones["cluster"] is None
    text = run("preview", "--format", "text").stdout
    for art in (power, drones):
        [item] = [i for i in items(text) if art["headline"] in i]
        assert "Also reported by" not in item


def test_subject_counts_stories_after_clustering_and_preheader_is_from_the_top_blurb(run, seeded_only,
                                                                                    monkeypatch):
    monkeypatch.setenv("DIGEST_MAX_ITEMS_PER_TOPIC", "20")      # every story in the body
    r = run("preview", "--format", "eml")
    msg = message_from_bytes(r.stdout.encode(), policy=policy.default)
    subject = " ".join(str(msg["Subject"]).split())          # unfolded
    text = msg.get_body(preferencelist=("plain",)).get_content()
    found = items(text)
    assert len(seeded_only) == 15 and len(found) == 14
    assert subject.endswith(" and 13 more") and len(subject) <= 78
    lead = subject.removesuffix(" and 13 more")
    top = next(a for a in seeded_only.values() if a["headline"] == lead)
    html = msg.get_body(preferencelist=("html",)).get_content()
    preheader = re.search(r'<div class="preheader"[^>]*>([^&<]*)', html).group(1)
    first_sentence = top["summary"].split(". ")[0]
    assert preheader.startswith(first_sentence[:60])
    # what the inbox promises is what the reader sees first: the Subject's story opens the body
    assert found[0].startswith(f"1. {lead}\n")
    first = re.search(r'<h3 class="[^"]*headline"[^>]*><a [^>]*>([^<]*)</a>', html).group(1)
    assert first == lead


def jsonl_article(art, *, labels, published, url=None, source=None, body=None) -> dict:
    return {"title": art.title, "body": body or art.body, "labels": labels, "published": published.isoformat(),
            "url": url, "source": source}


def write_jsonl(path, rows) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_a_story_in_two_sections_is_shown_once_in_the_lead_article_s_section(run, tmp_path):
    t = now()
    fund, borrowing = (seed(f) for f in PAIR)
    write_jsonl(tmp_path / "in.jsonl", [
        jsonl_article(fund, labels=["Europe"], published=t - dt.timedelta(hours=30),
                      url="https://www.eurowire.example/fund"),
        jsonl_article(borrowing, labels=["World"], published=t - dt.timedelta(hours=3),
                      url="https://alder.example/borrowing", source="Alder Wire"),
    ])
    assert run("init").exit_code == 0
    assert run("articles", "ingest", tmp_path / "in.jsonl").exit_code == 0
    text = run("preview", "--topic", "Europe", "--topic", "World", "--format", "text").stdout
    [item] = items(text)                               # told once: it is the edition's top story
    assert list(sections(text)) == ["Top story"]
    assert "Alder Wire" in item and "[1] https://alder.example/borrowing" in item   # the newer report leads
    # no source name: the domain stands in for it
    assert "Also reported by eurowire.example [1a]." in item
    assert "[1a] https://www.eurowire.example/fund" in item


def test_stories_in_a_section_are_ordered_by_recency_length_and_sources(run, tmp_path):
    t = now()
    fund, borrowing = (seed(f) for f in PAIR)
    rail = seed("2026-11-18-baltic-rail-section-opens.txt")
    herring = seed("2026-11-20-north-sea-herring-quota.txt")
    tunnel = seed("2026-11-22-alpine-freight-tunnel-reopens.txt")
    hours = lambda h: t - dt.timedelta(hours=h)  # noqa: E731
    write_jsonl(tmp_path / "in.jsonl", [
        # ingest order is deliberately the reverse of the expected digest order
        jsonl_article(tunnel, labels=["Europe"], published=hours(40)),                       # old
        jsonl_article(herring, labels=["Europe"], published=hours(1),
                      body=herring.body.split("\n\n")[0]),                                    # fresh, short
        jsonl_article(rail, labels=["Europe"], published=hours(1)),                          # fresh, long
        jsonl_article(fund, labels=["Europe"], published=hours(10)),                         # two sources
        jsonl_article(borrowing, labels=["Europe"], published=hours(10)),
    ])
    assert run("init").exit_code == 0
    assert run("articles", "ingest", tmp_path / "in.jsonl").exit_code == 0
    arts = {a["title"]: a for a in json.loads(run("articles", "list", "--json").stdout)}
    text = run("preview", "--topic", "Europe", "--format", "text").stdout
    order = [next(a["title"] for a in arts.values() if " ".join(i.split()).split(". ", 1)[1].startswith(a["headline"]))
             for i in items(text)]
    assert order[0] in (fund.title, borrowing.title)
    assert order[1:] == [rail.title, herring.title, tunnel.title]


def test_clustering_at_ingest_looks_back_two_weeks_only(tmp_path):
    store = Database.open(tmp_path / "digest.db")
    store.init()
    store.topics.ensure_defaults()
    t = now()
    a, b = (SEEDS / f for f in PAIR)
    pipeline.ingest(store, paths=[a], at=t - dt.timedelta(days=20))
    pipeline.ingest(store, paths=[b], at=t)
    assert [x.cluster_id for x in store.articles.live()] == [None, None]        # the old report is history

    store2 = Database.open(tmp_path / "recent.db")
    store2.init()
    store2.topics.ensure_defaults()
    pipeline.ingest(store2, paths=[a], at=t - dt.timedelta(days=3))
    pipeline.ingest(store2, paths=[b], at=t)
    first, second = store2.articles.live()
    assert first.cluster_id == second.cluster_id == first.id
