"""One story, told once: clustering at ingest and how the digest shows it (real SQLite, real
templates, `digest preview` through the CLI), plus the order of stories and the subject line."""

from __future__ import annotations

import datetime as dt
import json
import re
from email import message_from_bytes, policy

import pytest

from conftest import SEEDS
from digest import ingest, pipeline
from digest.store import Store, now

PAIR = ("2026-11-20-eu-summit-joint-defense-fund.txt", "2026-11-21-brussels-summit-common-borrowing.txt")
UKRAINE = ("2026-11-19-ukraine-parliament-power-law.txt", "2026-11-24-odesa-grain-terminal-drone-attack.txt")


def seed(name: str):
    return ingest.parse_text((SEEDS / name).read_text(), origin=name)


def items(text: str) -> list[str]:
    """The items of a plain-text digest: each from its headline to the line before the next one,
    with wrapped lines joined (a long headline wraps at 78 columns)."""
    blocks = [" ".join(b.split()) for b in re.split(r"\n\s*\n", text)]
    out: list[str] = []
    for b in blocks:
        if "Read more: " in b and not b.startswith("Also reported by"):
            out.append(b)
        elif b.startswith("Also reported by") and out:
            out[-1] += " " + b
    return out


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
    lead, other = (borrowing, fund) if story[0].startswith(borrowing["headline"]) else (fund, borrowing)
    # The seeds name an author but no outlet: the other version is listed by its headline, never by
    # its reporter, and only there.
    assert other["source"] is None
    assert f"Also reported by: - {other['headline']}: https://news.example.com/articles/{other['id']}" in story[0]
    assert " ".join(text.split()).count(other["headline"]) == 1
    assert text.count("Also reported by") == 1

    html = run("preview", "--format", "html").stdout
    [item] = [i for i in re.findall(r'<td class="item".*?</td>', html, re.S) if lead["headline"] in i]
    assert re.search(r'Also reported by: <a class="link" href="https://news.example.com/articles/%d"[^>]*>%s</a>'
                     % (other["id"], re.escape(other["headline"])), item)
    assert html.count("Also reported by") == 1


def test_two_ukraine_stories_on_different_events_stay_two_items(run, seeded_only):
    power, drones = (seeded_only[seed(f).title] for f in UKRAINE)
    assert power["cluster"] is None and drones["cluster"] is None
    text = run("preview", "--format", "text").stdout
    for art in (power, drones):
        [item] = [i for i in items(text) if art["headline"] in i]
        assert "Also reported by" not in item


def test_subject_counts_stories_after_clustering_and_preheader_is_from_the_top_blurb(run, seeded_only):
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
    secs = sections(text)
    assert list(secs) == ["World"]                     # the newer report leads, in its own section
    [item] = items(secs["World"])
    assert "Alder Wire" in item and "Read more: https://alder.example/borrowing" in item
    # no source name: the domain stands in for it
    assert "Also reported by: - eurowire.example: https://www.eurowire.example/fund" in item


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
    order = [next(a["title"] for a in arts.values() if i.startswith(a["headline"])) for i in items(text)]
    assert order[0] in (fund.title, borrowing.title)
    assert order[1:] == [rail.title, herring.title, tunnel.title]


def test_clustering_at_ingest_looks_back_two_weeks_only(tmp_path):
    store = Store.open(tmp_path / "digest.db")
    store.init()
    store.ensure_default_topics()
    t = now()
    a, b = (SEEDS / f for f in PAIR)
    pipeline.ingest_paths(store, [a], at=t - dt.timedelta(days=20))
    pipeline.ingest_paths(store, [b], at=t)
    assert [x.cluster_id for x in store.articles()] == [None, None]        # the old report is history

    store2 = Store.open(tmp_path / "recent.db")
    store2.init()
    store2.ensure_default_topics()
    pipeline.ingest_paths(store2, [a], at=t - dt.timedelta(days=3))
    pipeline.ingest_paths(store2, [b], at=t)
    first, second = store2.articles()
    assert first.cluster_id == second.cluster_id == first.id
