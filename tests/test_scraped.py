"""Ingest of what people actually feed in: scraped pages in JSON Lines, feeds and page-as-text
(tests/fixtures/scraped, invented text in the shapes of ten outlets' pages), pages without a
labels line, junk titles, and articles with no topic -- through the real CLI and database."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import SEEDS, parse

SCRAPED = Path(__file__).parent / "fixtures" / "scraped"


def articles(run) -> dict[str, dict]:
    return {a["title"]: a for a in json.loads(run("articles", "list", "--json").stdout)}


def show(run, article_id: int) -> str:
    r = run("articles", "show", article_id)
    assert r.exit_code == 0, r
    return r.stdout


def test_scraped_pages_lose_captions_credits_and_datelines_and_show_says_why(run):
    run("init")
    r = run("articles", "ingest", SCRAPED)
    assert r.exit_code == 1 and "local_cms.jsonl:2" in r.stderr       # the one line with "text", no "body"
    arts = articles(run)
    assert len(arts) == 21
    for a in arts.values():
        assert not re.search(r"REUTERS/|\(AP Photo|\((?:Reuters|AP|AFP|CNN)\)|Read more|FILE PHOTO|^\d\d\.\d\d",
                             a["summary"]), a["summary"]
    ferry = arts["Search teams widen hunt for missing ferry off Sulawesi"]
    out = show(run, ferry["id"])
    assert "removed:  caption 'Officials monitor the progress of the search" in out
    assert "(carries a photo credit)" in out and "removed:  dateline 'MAKASSAR, Indonesia (Reuters) -'" in out
    storm = arts["Storm knocks out power to 300,000 homes across three states"]
    assert storm["summary"].startswith("A fast-moving storm knocked out power")
    assert "[lede]" in show(run, storm["id"])


def test_a_feed_description_and_a_json_description_become_the_blurb(run):
    run("init")
    run("articles", "ingest", SCRAPED / "afp.rss", SCRAPED / "reuters.jsonl")
    arts = articles(run)
    coal = arts["France to close last coal plant by 2027"]
    assert coal["summary"] == ("France will close its last coal-fired power station by the end of 2027, "
                               "the energy minister said on Monday.")
    out = show(run, coal["id"])
    assert "[standfirst]" in out and "from the outlet's standfirst" in out
    ferry = arts["Search teams widen hunt for missing ferry off Sulawesi"]
    assert ferry["summary"].startswith("Indonesian rescuers widened the search") and "[standfirst]" in show(run, ferry["id"])
    # A teaser ("Kenyan President unveils tree plan. Read more") is no blurb: the body's lede is.
    trees = arts["Kenya unveils plan to plant 500 million trees"]
    assert trees["summary"].startswith("Kenya will plant 500 million trees") and "[lede]" in show(run, trees["id"])
    # An editor's blurb says so.
    run("articles", "edit", coal["id"], "--summary", "France shuts coal by 2027.")
    assert "[editor]" in show(run, coal["id"])


def test_a_standfirst_that_cannot_stand_alone_points_the_lede_at_its_paragraph(run, tmp_path):
    f = tmp_path / "cave.jsonl"
    f.write_text(json.dumps({
        "title": "Oldest known cave painting found", "description": "What did the first painters see?",
        "body": "Researchers say the painting shows a wild pig.\n\nThe image is at least 51,000 years old."}) + "\n"
        + (SCRAPED / "bbc.jsonl").read_text())
    run("init")
    run("articles", "ingest", f)
    arts = articles(run)
    assert arts["Oldest known cave painting found"]["summary"].startswith("Researchers say")    # a question: no blurb
    cave = arts["Scientists find oldest known cave painting of an animal"]
    assert cave["summary"] == "The image of a wild pig in Sulawesi is at least 51,000 years old, researchers say."


def test_json_lines_name_the_fields_they_do_not_read(run, tmp_path):
    f = tmp_path / "cms.jsonl"
    f.write_text(json.dumps({"title": "A", "text": "The band will compete at the finals next week."}) + "\n"
                 + json.dumps({"title": "B", "headline": "Bee", "body": "Streets close at 6 a.m. Saturday."}) + "\n"
                 + json.dumps({"title": "C", "headline": "Sea", "body": "The parade starts at noon on Sunday."}) + "\n")
    run("init")
    r = run("articles", "ingest", f)
    assert r.exit_code == 1
    assert f'{f}:1: no "body" or "content" field; "text" is not read' in r.stderr
    assert r.stderr.count('"headline" (line 2)') == 1          # named once per file, at its first line
    assert "Ingested: 2 added" in r.stderr


def test_a_page_without_labels_keeps_its_title_and_says_so(run, tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "harbour.txt").write_text("Harbour Library Reopens After Flood Repairs\n\nThe harbour library reopened "
                                        "on Monday after eight months of repairs, the council said.\n\n"
                                        "It cost $9 million, officials said.\n")
    (folder / "blank.txt").write_text("\nCouncil Votes To Keep Ferry Running\n\nThe council voted on Tuesday to keep "
                                      "the island ferry running through the winter.\n")
    run("init")
    run("topics", "add", "Culture", "--alias", "Library")
    r = run("articles", "ingest", folder)
    assert r.exit_code == 0, r
    assert "harbour.txt: no labels line (the first line is read as the title)" in r.stderr
    assert "2 articles have no topic: they reach no subscriber" in r.stderr
    arts = articles(run)
    harbour = arts["Harbour Library Reopens After Flood Repairs"]
    assert harbour["labels"] == [] and harbour["topics"] == []
    assert harbour["headline"] == "Harbour Library Reopens After Flood Repairs"
    assert harbour["summary"].startswith("The harbour library reopened on Monday")
    assert "Council Votes To Keep Ferry Running" in arts


def test_a_labels_line_of_known_sections_is_still_read(run, tmp_path):
    (tmp_path / "a.txt").write_text("World Asia\n\nTyphoon Lashes Coast\n\nA typhoon hit the coast on Monday, "
                                    "officials said.\n")
    run("init")
    run("articles", "ingest", tmp_path / "a.txt")
    [a] = articles(run).values()
    assert a["labels"] == ["World", "Asia"] and a["topics"] == ["World"]


def test_labels_written_with_commas_are_read_as_labels(run, tmp_path):
    (tmp_path / "a.txt").write_text("Eastern Europe, Politics\nCoalition Falls in Prague\nCoalition Falls in Prague\n\n"
                                    "The Czech coalition collapsed on Monday after the junior partner quit.\n")
    (tmp_path / "b.txt").write_text("Prague, Berlin Agree Rail Link\n\nThe two capitals agreed on Tuesday to build "
                                    "a faster rail link, officials said.\n")
    run("init")
    r = run("articles", "ingest", tmp_path)
    arts = articles(run)
    assert arts["Coalition Falls in Prague"]["labels"] == ["Eastern Europe", "Politics"]
    assert arts["Coalition Falls in Prague"]["topics"] == ["Europe", "Politics"]
    assert arts["Prague, Berlin Agree Rail Link"]["labels"] == []       # a title with a comma stays a title
    assert "b.txt: no labels line" in r.stderr and "a.txt: no labels line" not in r.stderr


def test_the_seeds_keep_their_labels_titles_and_blurbs(run):
    run("init")
    r = run("articles", "ingest", SEEDS)
    assert r.exit_code == 0 and "no labels line" not in r.stderr and "no topic" not in r.stderr
    arts = articles(run)
    assert len(arts) == 15 and all(a["topics"] for a in arts.values())
    rhine = next(a for a in arts.values() if "Rhine" in a["title"])
    assert rhine["labels"] == ["Europe", "Western Europe", "Science"]
    for a in arts.values():
        assert "removed:" not in show(run, a["id"])


def test_a_title_of_only_entities_is_refused_with_its_file_and_line(run, tmp_path):
    (tmp_path / "junk.txt").write_text("World\n\n&foo; &bar;\n\nThe harbour reopened on Monday.\n")
    (tmp_path / "junk.jsonl").write_text(json.dumps({"title": "&nbsp;&zwnj;", "body": "Text of the story."}) + "\n")
    run("init")
    r = run("articles", "ingest", tmp_path / "junk.txt", tmp_path / "junk.jsonl")
    assert r.exit_code == 1
    assert f"{tmp_path / 'junk.txt'}:3: the title '&foo; &bar;' is only markup or unexpanded entities" in r.stderr
    assert f"{tmp_path / 'junk.jsonl'}:1: the title" in r.stderr
    assert articles(run) == {}


def test_a_folder_without_labels_ingested_with_topic_world_reaches_world_subscribers(run, tmp_path, smtp_env):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "ferry.txt").write_text("Island Ferry Saved For The Winter\n\nThe council voted on Tuesday to keep "
                                      "the island ferry running through the winter, after 4,000 residents signed "
                                      "a petition.\n")
    run("init")
    run("topics", "add", "World")
    run("topics", "add", "Politics")
    run("subscribers", "add", "w@example.org", "--topic", "World")
    run("subscribers", "add", "p@example.org", "--topic", "Politics")
    assert run("articles", "ingest", folder, "--topic", "nowhere").exit_code == 1        # unknown: nothing read
    assert articles(run) == {}
    r = run("articles", "ingest", folder, "--topic", "World")
    assert r.exit_code == 0 and "no topic" not in r.stderr, r
    assert run("send", "--yes").exit_code == 0
    got = {rcpts[0]: parse(data) for rcpts, data in smtp_env.messages}
    assert set(got) == {"w@example.org"}       # the Politics subscriber's digest would be empty
    text = got["w@example.org"].get_body(("plain",)).get_content()
    assert "Island Ferry Saved For The Winter" in text and "keep the island ferry running" in text


def test_articles_with_no_topic_are_listed_and_filed_by_hand(run, tmp_path):
    (tmp_path / "a.txt").write_text("Ferry Saved\n\nThe council voted on Tuesday to keep the ferry running.\n")
    run("init")
    run("topics", "add", "World")
    run("articles", "ingest", tmp_path / "a.txt")
    r = run("articles", "list", "--no-topic", "--json")
    [a] = json.loads(r.stdout)
    r = run("articles", "edit", a["id"], "--topic", "world")
    assert r.exit_code == 0 and "Topics:   World" in r.stdout
    assert json.loads(run("articles", "list", "--no-topic", "--json").stdout) == []
    # Ingesting it again with a default topic files an unchanged article that has none.
    (tmp_path / "b.txt").write_text("Bus Saved\n\nThe council voted on Tuesday to keep the bus running.\n")
    run("articles", "ingest", tmp_path / "b.txt")
    run("articles", "ingest", tmp_path / "b.txt", "--topic", "World")
    assert json.loads(run("articles", "list", "--no-topic", "--json").stdout) == []


def test_a_watched_folder_and_a_feed_name_the_topic_of_their_unlabeled_articles(run, tmp_path):
    from digest import config, pipeline
    from digest.db import Database
    (tmp_path / "wires").mkdir()
    (tmp_path / "wires" / "ferry.txt").write_text("Ferry Saved\n\nThe council voted on Tuesday to keep the ferry.\n")
    (tmp_path / "digest.toml").write_text('[ingest]\nfolders = [{path = "wires", topic = "World"}]\n'
                                          f'feeds = [{{url = "{SCRAPED / "aljazeera.atom"}", topic = "world"}}]\n')
    run("init")
    run("topics", "add", "World")
    cfg = config.load()
    store = Database.open(cfg.db, create=False)
    try:
        report = pipeline.ingest(store, folders=cfg.ingest.folders, feed_specs=cfg.ingest.feeds,
                                 folder_topics=cfg.ingest.folder_topics, base_dir=cfg.ingest.base_dir)
    finally:
        store.close()
    assert len(report.added) == 3 and report.no_topic == []
    assert all(a["topics"] == ["World"] for a in articles(run).values())


def test_the_rhine_baltic_rail_and_house_panel_seeds_keep_the_summarizer_s_blurb(run):
    from digest import readers, summarize
    run("init")
    run("articles", "ingest", SEEDS)
    arts = articles(run)
    for name in ("2026-11-19-rhine-delta-flood-study.txt", "2026-11-18-baltic-rail-section-opens.txt",
                 "2026-11-23-house-panel-election-security.txt"):
        parsed = readers.parse_text((SEEDS / name).read_text(), origin=name)
        stored = arts[parsed.title]
        assert stored["summary"] == summarize.summarize(parsed.title, parsed.body).summary
        assert stored["summary"].split(".")[0] in parsed.body.split("\n\n")[0]      # the lede opens the blurb


def test_a_standfirst_too_long_for_a_blurb_still_picks_the_paragraph_the_lede_starts_from(run, tmp_path):
    f = tmp_path / "sudan.jsonl"
    f.write_text(json.dumps({
        "title": "Sudan talks resume",
        "description": "Sudan's army and the RSF resumed talks in Jeddah on Monday. The mediators hope for a truce. "
                       "Aid groups welcomed it.",
        "body": "The war has lasted for more than three years and has displaced millions of people across the "
                "country.\n\nNegotiators for Sudan's army and the RSF resumed talks in Jeddah on Monday after a pause, "
                "mediators said.\n\nAid groups welcomed the talks."}) + "\n")
    run("init")
    run("articles", "ingest", f)
    [a] = articles(run).values()
    assert a["summary"].startswith("Negotiators for Sudan's army")
    out = show(run, a["id"])
    assert "[lede]" in out and "from sentence 2 of 3: Negotiators" in out
    assert "Standfirst: Sudan's army and the RSF resumed talks" in out
