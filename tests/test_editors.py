"""Editors over the machine: overrides, re-summarizing, `articles show` and `articles list --json`.

Real SQLite and the real CLI; the seed articles are copied so a test can edit and re-ingest them.
"""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import SEEDS
from digest.db import Database

PAIR = ("2026-11-20-eu-summit-joint-defense-fund.txt", "2026-11-21-brussels-summit-common-borrowing.txt")
UKRAINE = ("2026-11-19-ukraine-parliament-power-law.txt", "2026-11-24-odesa-grain-terminal-drone-attack.txt")


@pytest.fixture
def seeds(run, tmp_path):
    """A copy of the seeds, ingested; returns (folder, {file name: article})."""
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    assert run("init").exit_code == 0
    r = run("articles", "ingest", folder)
    assert r.exit_code == 0, r
    arts = listing(run)
    by_file = {}
    for f in sorted(folder.glob("*.txt")):
        title = f.read_text().split("\n")[2]
        by_file[f.name] = next(a for a in arts if a["title"] == title)
    return folder, by_file


def listing(run) -> list[dict]:
    r = run("articles", "list", "--json")
    assert r.exit_code == 0, r
    return json.loads(r.stdout)


def by_id(run, article_id: int) -> dict:
    return next(a for a in listing(run) if a["id"] == article_id)


def test_list_json_carries_what_the_digest_prints_and_the_cluster(run, seeds):
    _, arts = seeds
    for a in arts.values():
        assert {"headline", "summary", "cluster"} <= set(a)
        assert a["headline"] == a["title"]                 # the editor's title, whole
        assert a["summary"] and "contributed to this report" not in a["summary"]
    first, second = (arts[f] for f in PAIR)
    assert first["cluster"] == second["cluster"] == min(first["id"], second["id"])
    assert [arts[f]["cluster"] for f in UKRAINE] == [None, None]
    others = [a for f, a in arts.items() if f not in PAIR]
    assert all(a["cluster"] is None for a in others)


def test_overrides_via_cli_survive_resummarize_and_reingest(run, seeds):
    folder, arts = seeds
    art = arts[PAIR[1]]
    r = run("articles", "edit", art["id"], "--headline", "EU backs joint borrowing for defence",
            "--summary", "Leaders agreed a €90bn fund. It is paid for with common debt.")
    assert r.exit_code == 0, r
    assert "EU backs joint borrowing for defence  [editor]" in r.stdout
    assert by_id(run, art["id"])["headline"] == "EU backs joint borrowing for defence"

    r = run("articles", "resummarize", "--all")
    assert r.exit_code == 0, r
    assert "Resummarized 15 articles" in r.stderr
    shown = by_id(run, art["id"])
    assert shown["headline"] == "EU backs joint borrowing for defence"
    assert shown["summary"] == "Leaders agreed a €90bn fund. It is paid for with common debt."
    assert shown["overridden"] is True

    path = folder / PAIR[1]
    path.write_text(path.read_text().replace("After a night of negotiations", "After a long night of talks"))
    r = run("articles", "ingest", folder)
    assert r.exit_code == 0, r
    assert "0 added, 1 updated" in r.stderr
    assert len(listing(run)) == 15
    shown = json.loads(run("articles", "show", art["id"], "--json").stdout)
    assert shown["headline"] == "EU backs joint borrowing for defence"
    assert shown["summary"] == "Leaders agreed a €90bn fund. It is paid for with common debt."
    assert "After a long night of talks" in shown["machine"]["summary"]      # the machine kept up underneath
    assert shown["cluster"] == arts[PAIR[0]]["id"]                           # and the edit is still the same story

    text = run("preview", "--format", "text").stdout
    assert "EU backs joint borrowing for defence" in text
    assert "Leaders agreed a €90bn fund." in text


def test_resummarize_rewrites_stale_machine_text_but_never_an_override(run, seeds, tmp_path):
    _, arts = seeds
    plain, edited = arts[UKRAINE[0]], arts[UKRAINE[1]]
    assert run("articles", "edit", edited["id"], "--headline", "Drones hit Odesa grain terminal").exit_code == 0
    # What an older summarizer version left behind.
    store = Database.open(tmp_path / "digest.db")
    store.articles.set_summaries([(plain["id"], "Old headline", "Old summary.", [0]),
                         (edited["id"], "Old headline", "Old summary.", [0])])
    store.close()

    r = run("articles", "resummarize", plain["id"], edited["id"])
    assert r.exit_code == 0, r
    assert "Resummarized 2 articles: 2 changed, 0 unchanged" in r.stderr
    assert f"keep their editor's override ({edited['id']})" in r.stderr
    assert by_id(run, plain["id"])["headline"] == plain["headline"]
    assert by_id(run, plain["id"])["summary"] == plain["summary"]
    after = json.loads(run("articles", "show", edited["id"], "--json").stdout)
    assert after["headline"] == "Drones hit Odesa grain terminal"
    assert after["machine"]["headline"] == edited["headline"]
    assert after["summary"] == edited["summary"]            # no summary override: the machine's, rewritten

    r = run("articles", "resummarize", "--all")
    assert "15 articles: 0 changed, 15 unchanged" in r.stderr


def test_resummarize_all_leaves_out_a_removed_article_and_names_one_asked_for(run, seeds):
    _, arts = seeds
    gone = arts[UKRAINE[0]]["id"]
    assert run("articles", "remove", gone, "--yes").exit_code == 0
    r = run("articles", "resummarize", "--all")
    assert r.exit_code == 0, r
    assert "Resummarized 14 articles: 0 changed, 14 unchanged" in r.stderr
    r = run("articles", "resummarize", gone)
    assert r.exit_code == 1
    assert f"Error: Article {gone} was removed on" in r.stderr


def test_resummarize_needs_ids_or_all_and_names_an_unknown_id(run, seeds):
    _, arts = seeds
    r = run("articles", "resummarize")
    assert r.exit_code == 2 and "Give article ids or --all" in r.stderr
    r = run("articles", "resummarize", arts[PAIR[0]]["id"], 999)
    assert r.exit_code == 1
    assert "Error: Article 999 does not exist." in r.stderr


def test_edit_warns_on_a_long_headline_but_keeps_it_and_clear_restores_the_machine(run, seeds):
    _, arts = seeds
    art = arts[PAIR[0]]
    long = ("European Union leaders agree a ninety billion euro fund for air defence and ammunition after an "
            "all-night summit")
    r = run("articles", "edit", art["id"], "--headline", long)
    assert r.exit_code == 0
    assert f"Warning: the headline of article {art['id']} is {len(long)} characters, over 100" in r.stderr
    assert by_id(run, art["id"])["headline"] == long

    r = run("articles", "edit", art["id"], "--clear")
    assert r.exit_code == 0
    after = by_id(run, art["id"])
    assert (after["headline"], after["summary"], after["overridden"]) == (art["headline"], art["summary"], False)

    assert run("articles", "edit", art["id"]).exit_code == 2                    # nothing to change
    assert run("articles", "edit", art["id"], "--clear", "--headline", "x").exit_code == 2
    r = run("articles", "edit", 999, "--headline", "x")
    assert r.exit_code == 1 and "Error: Article 999 does not exist." in r.stderr


def test_show_prints_headline_blurb_sentence_sources_and_the_cluster(run, seeds):
    _, arts = seeds
    art, other = arts[PAIR[0]], arts[PAIR[1]]
    r = run("articles", "show", art["id"])
    assert r.exit_code == 0, r
    assert f"Headline: {art['headline']}" in r.stdout
    assert f"Summary:  {art['summary']}" in r.stdout
    assert "from sentence 1 of " in r.stdout
    assert f"Cluster:  #{art['cluster']}, the same story in 2 articles" in r.stdout
    assert f"#{other['id']}  {other['headline']}  (our newsroom)" in r.stdout     # the seeds name no outlet

    alone = run("articles", "show", arts[UKRAINE[0]]["id"]).stdout
    assert "Cluster:  none" in alone
    shown = json.loads(run("articles", "show", art["id"], "--json").stdout)
    assert [c["id"] for c in shown["cluster_articles"]] == [other["id"]]
    assert " ".join(s["text"] for s in shown["machine"]["sentences"]) == art["summary"]
