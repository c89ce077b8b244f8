"""Ingest: the page-as-text format, JSON Lines, labels to topics, and bad files."""

from __future__ import annotations

import json

import pytest

from conftest import SEEDS, SHARED_SEED, optional
from digest.errors import ParseError
from digest.readers import map_topics, parse_text, read_path, split_labels

ARTICLE = """Eastern Europe Europe Politics Politics Science

Harbour Cities Agree a Shared Flood Plan

Harbour Cities Agree a Shared Flood Plan
Workers stack sandbags on the quay in Gdansk, Nov. 3, 2026 (Anna Nowak / Example Photo)

Mayors of nine Baltic harbour cities signed a joint flood plan on Tuesday. The plan pools pumps and crews.

"We cannot hold back the sea alone," said Mr. Kowalski, the host mayor. Costs rose 3.5% last year.

The U.S. and the E.U. observers welcomed the deal.

Example Wire and the Baltic Desk contributed to this report.

Marta Lind

Marta Lind covers cities and climate from Riga.
"""


def test_page_as_text_keeps_caption_sources_and_bio_out_of_the_body():
    art = parse_text(ARTICLE, origin="x.txt", vocabulary={"europe", "politics", "eastern europe"})
    assert art.title == "Harbour Cities Agree a Shared Flood Plan"
    assert art.labels == ["Eastern Europe", "Europe", "Politics", "Science"]
    assert art.caption.startswith("Workers stack sandbags")
    assert art.sources.endswith("contributed to this report.")
    assert art.author == "Marta Lind"
    assert art.bio.startswith("Marta Lind covers")
    for part in (art.caption, art.sources, art.bio, art.title):
        assert part not in art.body
    assert art.body.startswith("Mayors of nine")
    assert art.body.rstrip().endswith("welcomed the deal.")


def test_labels_map_to_topics_through_aliases_and_unknown_labels_are_kept():
    labels = split_labels("Middle East World Science Eastern Europe", set())
    assert labels == ["Middle East", "World", "Science", "Eastern Europe"]
    aliases = {"eastern europe": "Europe", "middle east": "World", "world": "World"}
    assert map_topics(labels, aliases) == ["World", "Europe"]


@pytest.mark.parametrize("content, reason", [
    ("", "no title found"),
    ("\n\n   \n", "no title found"),
    ("World\n\n", "no body text"),
])
def test_unparseable_text_names_the_file(tmp_path, content, reason):
    f = tmp_path / "x.txt"
    f.write_text(content)
    [err] = list(read_path(f))
    assert isinstance(err, ParseError)
    assert str(f) in err.message and reason in err.message


def test_binary_file_is_an_error_not_a_crash(tmp_path):
    f = tmp_path / "photo.txt"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    [err] = list(read_path(f))
    assert isinstance(err, ParseError) and str(f) in err.message


def test_json_lines_one_article_per_line_and_bad_lines_named(tmp_path):
    f = tmp_path / "feed.jsonl"
    good = {"title": "Ports reopen", "body": "Ports reopened on Monday after the strike ended.",
            "labels": ["World"], "url": "https://example.org/ports", "published": "2026-11-20T08:00:00Z"}
    untitled = {"body": "Dockers in Antwerp voted to end their strike on Monday, the union said.", "source": "Port Wire"}
    f.write_text(json.dumps(good) + "\n{not json\n" + json.dumps({"title": "No body"}) + "\n"
                 + json.dumps(untitled) + "\n")
    items = list(read_path(f))
    assert items[0].title == "Ports reopen" and items[0].url == "https://example.org/ports"
    assert items[0].published.year == 2026
    assert isinstance(items[1], ParseError) and f"{f}:2" in items[1].message
    assert isinstance(items[2], ParseError) and f"{f}:3" in items[2].message and "no body" in items[2].message
    # No title is fine (the digest writes a headline from the lede); the outlet is `source`, never the author.
    assert (items[3].title, items[3].source) == ("", "Port Wire")


@pytest.mark.skipif(not SHARED_SEED.exists(), reason=optional("../shared/seeds (real article pages) is not beside the repository",
                                                       "ingesting a real article page"))
def test_the_real_seed_is_one_article_in_three_topics(run):
    assert run("init").exit_code == 0
    r = run("articles", "ingest", SHARED_SEED)
    assert r.exit_code == 0, r
    [art] = json.loads(run("articles", "list", "--json").stdout)
    assert art["topics"] == ["Europe", "Politics", "World"]
    assert "Eastern Europe" in art["labels"]
    shown = json.loads(run("articles", "show", art["id"], "--json").stdout)
    assert "contributed to this report" not in shown["body"]
    assert "Ludovic Marin" not in shown["body"]
    assert "Cheyenne" not in shown["body"]
    assert shown["title"] not in shown["body"]
    assert shown["caption"] and shown["bio"] and shown["author"] == "Joe Yans"


def test_same_article_twice_is_one_article_and_an_edit_updates_it(run, tmp_path):
    assert run("init").exit_code == 0
    f = tmp_path / "a.txt"
    f.write_text(ARTICLE)
    assert run("articles", "ingest", f).exit_code == 0
    assert run("articles", "ingest", f).exit_code == 0
    assert len(json.loads(run("articles", "list", "--json").stdout)) == 1
    f.write_text(ARTICLE.replace("nine Baltic", "ten Baltic"))
    r = run("articles", "ingest", f)
    assert "1 updated" in r.stderr
    [art] = json.loads(run("articles", "list", "--json").stdout)
    assert "ten Baltic" in json.loads(run("articles", "show", art["id"], "--json").stdout)["body"]


def test_a_bad_file_is_reported_and_the_others_still_ingested(run, tmp_path):
    assert run("init").exit_code == 0
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(ARTICLE)
    (folder / "x.txt").write_text("")
    r = run("articles", "ingest", folder)
    assert r.exit_code == 1
    assert f"Error: {folder / 'x.txt'}: empty file, no title found" in r.stderr
    assert len(json.loads(run("articles", "list", "--json").stdout)) == 1


def test_project_seeds_all_parse_into_known_topics(run):
    assert run("init").exit_code == 0
    r = run("articles", "ingest", SEEDS)
    assert r.exit_code == 0, r
    arts = json.loads(run("articles", "list", "--json").stdout)
    assert len(arts) >= 12
    topics = {t for a in arts for t in a["topics"]}
    assert topics == {"Europe", "Politics", "World"}
    assert any(len(a["topics"]) >= 2 for a in arts)
    assert len({a["published"][:10] for a in arts if a["published"]}) >= 5   # dated over a week


def test_a_1_mb_article_ingests_with_its_body_capped_and_a_warning_naming_the_file(run, tmp_path):
    from digest.pipeline.ingest import MAX_BODY
    paras = [f"Report {k}: the harbour authority in city {k % 97} counted {k * 7} containers and "
             f"{k % 13} delayed ships, port official number {k} said on day {k % 31} of the survey."
             for k in range(8000)]
    body = "\n\n".join(paras)
    assert len(body) > 1_000_000
    f = tmp_path / "huge.txt"
    f.write_text(f"World\n\nA Port Survey Without End\n\n{body}\n")
    assert run("init").exit_code == 0
    r = run("articles", "ingest", f)
    assert r.exit_code == 0, r
    assert "1 added" in r.stderr
    warning = next(line for line in r.stderr.splitlines() if line.startswith("Warning:") and str(f) in line)
    assert "cut" in warning and "A Port Survey" in warning
    [art] = json.loads(run("articles", "list", "--json").stdout)
    shown = json.loads(run("articles", "show", art["id"], "--json").stdout)
    assert 100_000 < len(shown["body"]) <= MAX_BODY
    assert shown["body"].startswith("Report 0:") and shown["body"].rstrip().endswith("survey.")
    assert shown["summary"].startswith("Report 0:")
    # The same file again is the same article: the cap does not make it look edited.
    assert "1 unchanged" in run("articles", "ingest", f).stderr
