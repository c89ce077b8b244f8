"""What the digest says, read the way an editor reads it: through the real CLI on real SQLite.

Headlines are the editor's titles, whole; blurbs stand alone (the seeds' Rhine, Baltic-rail and
House-panel articles are the cases that used to fail); the Subject line keeps names and numbers
whole; stories that share boilerplate never merge, while two outlets' rewrites of one story do;
and "Also reported by" names outlets, never reporters. The checks on blurbs are written here,
independently of digest's own rules, so the test does not grade the code by itself.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from email import message_from_bytes, policy

import pytest

from conftest import SEEDS, SHARED_SEED, optional
from digest import pipeline
from digest.config import load
from digest.db import Database
from digest.readers import parse_text

RHINE = "2026-11-19-rhine-delta-flood-study.txt"
BALTIC = "2026-11-18-baltic-rail-section-opens.txt"
HOUSE = "2026-11-23-house-panel-election-security.txt"
PAIR = ("2026-11-20-eu-summit-joint-defense-fund.txt", "2026-11-21-brussels-summit-common-borrowing.txt")

# Words that make a blurb's first word point at something the reader has not seen.
POINTERS = {"it", "he", "she", "they", "this", "that", "these", "those", "his", "her", "their", "its", "but",
            "and", "however", "also", "meanwhile", "still", "yet", "so", "instead", "then", "there", "such",
            "both", "another", "the measure", "the move", "the decision", "the plan", "the report", "the study"}
QUOTE = re.compile(r"[“\"]([^”\"]+)[”\"]")
SAID = re.compile(r"\b(?:said|says|told|added|according to|argued|warned|noted|wrote)\b")


def seed(name: str):
    return parse_text((SEEDS / name).read_text(), origin=name)


def first_sentence(body: str) -> str:
    return re.split(r"(?<=[.!?”])\s+(?=[A-Z“])", body.split("\n\n")[0])[0]


def opens_on_a_pointer(blurb: str) -> bool:
    low = blurb.lstrip("“\"").lower()
    return any(low.startswith(p + " ") or low.startswith(p + ",") for p in POINTERS)


def speakerless_quotes(blurb: str) -> list[str]:
    """Sentences quoting 4+ words with no one saying them (a speaker only as "he" counts as none)."""
    bad, before = [], ""
    # A sentence ends at a full stop, inside a closing quotation mark or not; ',” Macron noted' goes on.
    for sentence in re.split(r"(?:(?<=[.!?])|(?<=[.!?]”))\s+(?=[A-Z“])", blurb):
        quoted = [q for q in QUOTE.findall(sentence) if len(q.split()) >= 4]
        outside = QUOTE.sub(" ", sentence)
        # A full name, or a surname the blurb named in full before ("Emmanuel Macron says … Macron noted").
        named = re.search(r"\b[A-Z][a-z]+(?:\s+[A-Z][\w'’-]+)+", outside) or any(
            re.search(r"\b[A-Z][a-z]+\s+" + re.escape(w) + r"\b", before)
            for w in re.findall(r"\b[A-Z][a-z][\w'’-]+", outside))
        before += " " + sentence
        if quoted and not (SAID.search(outside) and named):
            bad.append(sentence)
    return bad


@pytest.fixture
def listed(run):
    """Ingest the seeds (and the shared real seed when present) through the CLI: {title: article}."""
    def _ingest(*paths) -> dict[str, dict]:
        assert run("init").exit_code == 0
        r = run("articles", "ingest", *paths)
        assert r.exit_code == 0, r
        return {a["title"]: a for a in json.loads(run("articles", "list", "--json").stdout)}
    return _ingest


# ---- headlines ------------------------------------------------------------------------------------

def test_long_titles_are_kept_whole(listed):
    arts = listed(SEEDS)
    for title in ("Rhine Delta Study Says Flood Defenses Need Upgrading a Decade Sooner Than Planned",
                  "Final Count Confirms Okafor as Winner of Harlow Falls Mayoral Runoff",
                  "Overnight Drone Attack Damages Grain Terminal in Southern Ukraine"):
        assert arts[title]["headline"] == title
    assert all(a["headline"] == a["title"] for a in arts.values())


@pytest.mark.skipif(not SHARED_SEED.exists(), reason=optional("../shared/seeds (real article pages) is not beside the repository",
                                                       "the headline check on a real page"))
def test_the_shared_seeds_headline_is_its_full_title_with_the_speaker(listed):
    [art] = listed(SHARED_SEED).values()
    assert art["headline"] == ("Macron: 26 Nations Ready to Send a “Reassurance Force” to Ukraine Once the "
                               "Guns Go Quiet")


def test_the_subject_is_the_lead_headline_cut_whole_words_and_and_n_more_only_if_it_fits(run, tmp_path):
    now = dt.datetime.now(dt.timezone.utc)
    rows = [{"title": "Macron: 26 Nations Ready to Send a “Reassurance Force” to Ukraine Once the Guns Go Quiet",
             "body": seed(PAIR[0]).body, "labels": ["Europe"], "published": now.isoformat()},
            {"title": "Harbour Dues Rise in Tallinn", "body": seed(BALTIC).body, "labels": ["Europe"],
             "published": (now - dt.timedelta(days=3)).isoformat()}]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert run("init").exit_code == 0
    assert run("articles", "ingest", tmp_path / "in.jsonl").exit_code == 0
    msg = message_from_bytes(run("preview", "--topic", "Europe", "--format", "eml").stdout.encode(),
                             policy=policy.default)
    subject = " ".join(str(msg["Subject"]).split())
    # The 88-character lead does not fit with " and 1 more": it is cut between whole words, after the
    # whole quotation, and the count is left out rather than squeezed in.
    assert subject == "Macron: 26 Nations Ready to Send a “Reassurance Force” to Ukraine…"
    assert len(subject) <= 78


def test_preview_lints_a_headline_over_100_characters_and_prints_it_whole(run, tmp_path):
    long = ("Regional Assembly Approves Emergency Budget for Flood Repairs After a Night of Talks Between "
            "the Parties and the Unions")
    (tmp_path / "in.jsonl").write_text(json.dumps({"title": long, "body": seed(RHINE).body, "labels": ["Europe"],
                                                   "published": dt.datetime.now(dt.timezone.utc).isoformat()}) + "\n")
    assert run("init").exit_code == 0
    assert run("articles", "ingest", tmp_path / "in.jsonl").exit_code == 0
    r = run("preview", "--topic", "Europe", "--format", "html")
    assert long in r.stdout
    assert "lint: warning: Headline 'Regional Assembly" in r.stderr and f"is {len(long)} characters, over 100" in r.stderr


# ---- blurbs ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, must_not", [
    (RHINE, ["It found that"]),
    (BALTIC, ["We support the railway", "Mr. Petkevičius"]),
    (HOUSE, ["The measure, approved", "Paper records and real audits"]),
])
def test_seed_blurbs_open_on_the_lede_and_stand_alone(listed, name, must_not):
    art = seed(name)
    shown = listed(SEEDS)[art.title]
    blurb = shown["summary"]
    assert blurb.startswith(first_sentence(art.body))        # says what the news is
    assert len(blurb.split()) <= 55
    assert not opens_on_a_pointer(blurb)
    assert speakerless_quotes(blurb) == []
    for phrase in must_not:
        assert phrase not in blurb


def test_no_seed_blurb_opens_on_a_pointer_or_quotes_without_a_speaker(listed):
    paths = [SEEDS] + ([SHARED_SEED] if SHARED_SEED.exists() else [])
    for art in listed(*paths).values():
        assert not opens_on_a_pointer(art["summary"]), art["summary"]
        assert speakerless_quotes(art["summary"]) == [], art["summary"]


@pytest.mark.parametrize("pointer", ["Since then", "By then", "At the time"])
def test_a_sentence_that_points_back_in_time_does_not_follow_the_lede(run, tmp_path, pointer):
    body = ("Surfers outside the US have been unable to visit the official re-election site of the president "
            "since Monday, the campaign's web host confirmed.\n\n"
            f"{pointer} people outside the US trying to browse the site have been told they are not authorised.")
    (tmp_path / "in.jsonl").write_text(json.dumps({"title": "Campaign website blocked outside US", "body": body,
                                                   "labels": ["World"]}) + "\n")
    assert run("init").exit_code == 0 and run("articles", "ingest", tmp_path / "in.jsonl").exit_code == 0
    [art] = json.loads(run("articles", "list", "--json").stdout)
    assert art["summary"].startswith("Surfers outside the US") and pointer not in art["summary"]


def test_blurb_length_comes_from_the_configuration(run, tmp_path, monkeypatch):
    (tmp_path / "digest.toml").write_text("[summary]\nmax_sentences = 1\nmax_words = 40\n")
    assert run("init").exit_code == 0
    assert run("articles", "ingest", SEEDS).exit_code == 0
    arts = json.loads(run("articles", "list", "--json").stdout)
    for a in arts:
        assert len(a["summary"].split()) <= 40
        body = seed(next(f.name for f in SEEDS.glob("*.txt") if seed(f.name).title == a["title"])).body
        first_paragraph = body.split("\n\n")[0]
        assert first_paragraph.startswith(a["summary"].removesuffix("…"))   # the lede alone, cut if over 40
    monkeypatch.setenv("DIGEST_SUMMARY_MAX_WORDS", "0")
    r = run("articles", "resummarize", "--all")
    assert r.exit_code == 1
    assert "Error: DIGEST_SUMMARY_MAX_WORDS = '0' is not a positive whole number" in r.stderr


def test_summary_settings_order_and_errors(tmp_path):
    toml = tmp_path / "digest.toml"
    toml.write_text('[summary]\nmax_words = 40\nsite_names = ["The Herald"]\n[cluster]\nwindow_hours = 24\n')
    cfg = load(toml, env={"DIGEST_SUMMARY_MAX_WORDS": "30"})
    assert (cfg.summary.max_words, cfg.summary.max_sentences, cfg.summary.site_names,
            cfg.summary.cluster_window_hours) == (30, 2, ["The Herald"], 24.0)
    toml.write_text("[summary]\nmax_word = 40\n")
    with pytest.raises(Exception, match=r"unknown setting `max_word` in \[summary\]"):
        load(toml, env={})


# ---- clusters -------------------------------------------------------------------------------------

FOOTER = ("Compass Wire Service is an independent news agency covering energy and infrastructure across "
          "Eastern Europe. Its reports are distributed to more than 200 newspapers and broadcasters.")
BACKGROUND = ("Ukraine’s energy system has been under sustained attack since 2022, and the country now relies on "
              "imports from its European neighbours, emergency repairs and a patchwork of small generators to "
              "keep homes heated and factories running through the winter.")
# Ten wire briefs: a lede of their own, then the agency's standard background paragraph and footer.
STORIES = [
    ("Moldova Signs Ten-Year Gas Supply Deal With Romania",
     "Moldova signed a ten-year agreement on Monday to buy up to 1.5 billion cubic meters of natural gas a year "
     "from Romania’s state producer, ending its last contract with Gazprom."),
    ("Poland Approves Record Electricity Exports to Ukraine",
     "Poland’s grid operator approved record electricity exports of 1,700 megawatts to Ukraine for December, "
     "up from 1,200 megawatts last month."),
    ("Blackout Hits Kharkiv After Substation Collapse",
     "A substation collapse left about 300,000 households in Kharkiv without power overnight, the city’s mayor "
     "said, as temperatures fell to minus 9 degrees Celsius."),
    ("Slovakia Reopens Oil Pipeline After Two-Week Halt",
     "Oil began flowing again on Tuesday through the Druzhba pipeline branch into Slovakia after a two-week "
     "halt caused by a damaged pumping station in Hungary."),
    ("Lithuania Opens Baltic Sea Battery Park",
     "Lithuania switched on a 200-megawatt battery park near Vilnius on Wednesday, the largest in the Baltic "
     "states, to steady its grid after leaving the Russian-controlled network."),
    ("Bulgaria Cuts Gas Transit Fees for Hungarian Buyers",
     "Bulgaria will cut the fee it charges for moving gas to Hungary by 12% from January, the transmission "
     "operator Bulgartransgaz announced."),
    ("Ukrainian Nuclear Plant Returns Reactor to Service",
     "The Rivne nuclear power plant in western Ukraine returned its third reactor to service after a month of "
     "scheduled maintenance, adding about 950 megawatts to the grid."),
    ("EU Releases 500 Million Euros for Transformer Purchases",
     "The European Commission released 500 million euros on Thursday to buy high-voltage transformers for "
     "Ukraine’s damaged substations."),
    ("Romania Fines Utility Over Winter Price Spikes",
     "Romania’s energy regulator fined the utility Electrica 4.2 million lei for overcharging households "
     "during a cold snap in February."),
    ("Georgia Starts Building Black Sea Power Cable",
     "Work began on Friday on the Georgian end of an undersea power cable that will carry electricity from "
     "the Caucasus to Romania and Hungary across the Black Sea."),
]
REWRITES = [
    ("Turkey and Ukraine Agree on Floating Power Plant for Odesa",
     "A Turkish company will moor a floating power plant off Odesa by February under a deal signed with "
     "Ukraine’s state utility Ukrenergo on Thursday, giving the port city 250 megawatts of its own supply.",
     "The ship, operated by Karpowership, will burn natural gas and connect to the city’s grid through a new "
     "substation at the port. Ukrenergo chief Vitaliy Zaichenko said the plant would cover about a third of "
     "Odesa’s winter demand.", "Compass Wire Service"),
    ("Powership Deal Brings 250 Megawatts to Odesa",
     "Odesa will get 250 megawatts of electricity from a Turkish floating power plant moored off its coast from "
     "February, after Ukrenergo signed a deal with Karpowership on Thursday.",
     "Ukrenergo’s chief executive Vitaliy Zaichenko said the gas-fired ship would meet roughly a third of the "
     "city’s winter demand, feeding the grid through a substation being built at the port.", "Black Sea Courier"),
]


def write_stories(path, published: dt.datetime, rewrite_gap: dt.timedelta = dt.timedelta(hours=5)) -> None:
    rows = [{"title": t, "body": "\n\n".join([lede, BACKGROUND, FOOTER]), "labels": ["Europe"],
             "source": "Compass Wire Service", "published": published.isoformat(),
             "url": f"https://compasswire.example/{n}"} for n, (t, lede) in enumerate(STORIES)]
    for k, (t, lede, more, outlet) in enumerate(REWRITES):
        rows.append({"title": t, "body": "\n\n".join([lede, more, BACKGROUND] + ([FOOTER] if k == 0 else [])),
                     "labels": ["Europe"], "source": outlet, "published": (published + k * rewrite_gap).isoformat(),
                     "url": f"https://{outlet.split()[0].lower()}.example/powership"})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def clusters_by_title(run) -> dict[str, int | None]:
    return {a["title"]: a["cluster"] for a in json.loads(run("articles", "list", "--json").stdout)}


def test_stories_sharing_boilerplate_never_merge_while_two_outlets_rewrites_do(run, tmp_path):
    write_stories(tmp_path / "wire.jsonl", dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=6))
    assert run("init").exit_code == 0
    assert run("articles", "ingest", tmp_path / "wire.jsonl").exit_code == 0
    found = clusters_by_title(run)
    assert [found[t] for t, _ in STORIES] == [None] * 10              # ten stories stay ten items
    a, b = (found[t] for t, *_ in REWRITES)
    assert a is not None and a == b                                      # one story, told once

    (tmp_path / "digest.toml").write_text("[digest]\nmax_items_per_topic = 20\n")   # every story in the body
    text = run("preview", "--topic", "Europe", "--format", "text").stdout
    flat = " ".join(text.split())
    assert flat.count("Also reported by") == 1
    also = re.search(r"Also reported by (Black Sea Courier|Compass Wire Service) \[(\d+a)\]\.", flat)
    assert also, flat
    url = {"Black Sea Courier": "https://black.example/powership",
           "Compass Wire Service": "https://compass.example/powership"}[also.group(1)]
    assert f"[{also.group(2)}] {url}" in flat
    for title, _ in STORIES:
        assert title in flat                                             # none vanished into another item


def test_rewrites_published_days_apart_are_two_stories_unless_the_window_says_otherwise(run, tmp_path):
    write_stories(tmp_path / "wire.jsonl", dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=4),
                  rewrite_gap=dt.timedelta(hours=72))
    assert run("init").exit_code == 0
    assert run("articles", "ingest", tmp_path / "wire.jsonl").exit_code == 0
    assert [clusters_by_title(run)[t] for t, *_ in REWRITES] == [None, None]

    (tmp_path / "digest.toml").write_text("[cluster]\nwindow_hours = 96\n")
    (tmp_path / "again.jsonl").write_text((tmp_path / "wire.jsonl").read_text().replace("Ukrenergo chief", "The head of Ukrenergo,"))
    assert run("articles", "ingest", tmp_path / "again.jsonl").exit_code == 0
    a, b = (clusters_by_title(run)[t] for t, *_ in REWRITES)
    assert a is not None and a == b


# ---- outlets, not reporters -----------------------------------------------------------------------

def test_a_page_as_text_author_is_the_byline_never_another_outlet(run, listed):
    arts = listed(*(SEEDS / f for f in PAIR))
    fund, borrowing = (arts[seed(f).title] for f in PAIR)
    assert fund["cluster"] == borrowing["cluster"] is not None
    assert fund["source"] is None and borrowing["source"] is None        # no outlet, not the author
    text = " ".join(run("preview", "--format", "text").stdout.split())
    html = run("preview", "--format", "html").stdout
    for author in (seed(f).author for f in PAIR):                        # Matthias Brenner, Sofia Marchetti
        assert not re.search(r"Also reported by [^\[]*" + author, text)
    # Both are the newsroom's own pages (no source, no link of their own): no "Also reported" line.
    assert "Also reported" not in text and "Also reported" not in html

    store = Database.open("digest.db")
    view = pipeline.edition_view(load(), "daily-x", dt.date.today(), "Europe", pipeline.articles(store, "Europe"))
    [item] = [i for i in [view.lead, *(i for s in view.sections for i in s.items)]
              if i and i.headline in (fund["headline"], borrowing["headline"])]
    assert item.author in (seed(f).author for f in PAIR)                 # the byline, for "By …"
    assert item.source is None and item.also == [] and item.also_as == []


def test_a_watched_folder_can_name_its_outlet(run, tmp_path, smtp_env):
    inbox = tmp_path / "wires"
    inbox.mkdir()
    for f in PAIR:
        (inbox / f).write_text((SEEDS / f).read_text())
    (tmp_path / "digest.toml").write_text('[ingest]\nfolders = [{path = "wires", source = "Eurowire Press"}]\n')
    assert run("init").exit_code == 0
    r = run("schedule", "run", "--once")
    assert r.exit_code == 0, r
    arts = json.loads(run("articles", "list", "--json").stdout)
    assert {a["source"] for a in arts} == {"Eurowire Press"}
    text = " ".join(run("preview", "--format", "text").stdout.split())
    also = re.search(r"Also reported by Eurowire Press \[(\d+a)\]\.", text)
    assert also and f"[{also.group(1)}] https://news.example.com/articles/" in text


def test_old_rows_that_stored_the_author_as_the_outlet_are_cleared_by_the_migration(tmp_path):
    from digest.db.migrations import m007_outlets_not_authors
    store = Database.open(tmp_path / "old.db")
    store.init()
    art = seed(PAIR[0])
    art.source = art.author                                              # what ingest used to store
    store.articles.upsert(art, guid="title:x", checksum="x", topics=[], headline="h", summary="s", sentences=[])
    m007_outlets_not_authors(store.sqlite)
    assert store.articles.live()[0].source is None and store.articles.live()[0].author == art.author
