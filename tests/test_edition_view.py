"""How one edition is laid out for a reader, through the real CLI, store and templates: the lead
story opens it and gives the Subject, the contents list every headline in body order, a topic
holds at most `max_items_per_topic` stories and the edition at most `max_stories` (the rest are
links to the web), every kept story is in the body with at least its lede, and a long edition is
laid out in briefs (benchmarks/phone_height.py measures it on a phone).
"""

from __future__ import annotations

import html as htmlmod
import json
import random
import re
from email import message_from_bytes, policy

import pytest

from test_preview import long_article

BASE = "https://news.example.com"


@pytest.fixture
def thirty(run, tmp_path):
    """Thirty distinct stories, ten in each of Europe, Politics and World."""
    rnd = random.Random(7)
    rows = [long_article(n, topic, rnd) for n, topic in enumerate(["Europe", "Politics", "World"] * 10)]
    (tmp_path / "thirty.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert run("init").exit_code == 0
    r = run("articles", "ingest", tmp_path / "thirty.jsonl")
    assert r.exit_code == 0, r
    return {a["headline"]: a for a in json.loads(run("articles", "list", "--json").stdout)}


def message(run, *topics: str):
    r = run("preview", *[a for t in topics for a in ("--topic", t)], "--format", "eml")
    assert r.exit_code == 0, r
    msg = message_from_bytes(r.stdout.encode(), policy=policy.default)
    return (str(msg["Subject"]), msg.get_body(("html",)).get_content(), msg.get_body(("plain",)).get_content())


def contents(html: str) -> list[tuple[str, str]]:
    box = re.search(r'<td class="contents".*?</td>', html, re.S).group(0)
    return [(plain(t), htmlmod.unescape(href))
            for href, t in re.findall(r'<a class="toc-link" href="([^"]+)"[^>]*>(.*?)</a>', box, re.S)]


def body(html: str) -> list[tuple[str, str]]:
    return [(plain(t), htmlmod.unescape(href)) for href, t in
            re.findall(r'<h3 class="[a-z-]*headline"[^>]*><a class="headline-link" href="([^"]+)"[^>]*>(.*?)</a>', html,
                       re.S)]


def plain(fragment: str) -> str:
    return htmlmod.unescape(re.sub(r"<[^>]+>", "", fragment))


def edition_url(html: str) -> str:
    return re.search(rf'href="({BASE}/archive/(?:daily|weekly)-\d{{4}}-\d\d-\d\d)"', html).group(1)


def test_a_topic_shows_its_cap_and_links_to_the_rest_on_the_web(run, thirty):
    subject, html, text = message(run, "Europe")
    listed = contents(html)
    assert len(listed) == 8 + 1                                       # the default cap, and the "more" line
    web = edition_url(html)
    assert listed[-1] == ("2 more Europe stories", f"{web}#europe")
    assert f"2 more Europe stories:\n{web}#europe" in text.replace("\r\n", "\n")
    assert len(body(html)) == 8                                       # every story the topic keeps is in the body
    assert [h for h, _ in body(html)] == [h for h, _ in listed[:-1]]  # the contents follow the body's order
    assert len(re.findall(r'<p class="lead-blurb"', html)) == 1       # eight stories: the lead, then briefs
    assert len(re.findall(r'<p class="brief"', html)) == 7
    assert re.search(r'<p class="more"[^>]*><a class="link" href="[^"]+#europe"[^>]*>2 more Europe stories</a>', html)


def test_the_cap_comes_from_digest_toml_and_the_environment(run, thirty, tmp_path, monkeypatch):
    (tmp_path / "digest.toml").write_text("[digest]\nmax_items_per_topic = 4\n")
    _, html, _ = message(run, "World")
    assert contents(html)[-1][0] == "6 more World stories"
    monkeypatch.setenv("DIGEST_MAX_ITEMS_PER_TOPIC", "2")             # the environment wins over the file
    _, html, _ = message(run, "World")
    assert len(body(html)) == 2                                       # too short for a contents list
    assert re.search(r'<p class="more"[^>]*><a class="link" href="[^"]+#world"[^>]*>8 more World stories</a>', html)
    assert run("schedule", "list").exit_code == 0                     # the scheduler knows the setting too


def test_the_edition_keeps_its_best_stories_up_to_max_stories(run, thirty, tmp_path, monkeypatch):
    (tmp_path / "digest.toml").write_text("[digest]\nmax_stories = 5\n")
    _, html, text = message(run, "Europe", "Politics", "World")
    shown = body(html)
    assert len(shown) == 5 and [e for e in contents(html) if "more" not in e[0]] == shown
    more = [int(t.split()[0]) for t, _ in contents(html) if " more " in t]
    assert sum(more) == 25                                            # the other 25 are behind "N more", per topic
    monkeypatch.setenv("DIGEST_MAX_STORIES", "3")                     # the environment wins over the file
    _, html, _ = message(run, "Europe", "Politics", "World")
    assert len(body(html)) == 3


@pytest.mark.parametrize("key", ["max_items_per_topic", "max_stories"])
@pytest.mark.parametrize("value, complaint", [('"six"', "is not a whole number"), ("0", "is below 1")])
def test_a_bad_cap_is_one_clear_error(run, tmp_path, key, value, complaint):
    assert run("init").exit_code == 0
    (tmp_path / "digest.toml").write_text(f"[digest]\n{key} = {value}\n")
    r = run("preview", "--topic", "Europe")
    assert r.exit_code != 0
    assert r.stderr.startswith("Error: ") and complaint in r.stderr and key in r.stderr
    assert "Traceback" not in r.stderr


def test_the_subject_s_story_opens_the_message_and_gives_the_preheader(run, thirty):
    subject, html, text = message(run, "Europe", "Politics", "World")
    # (strip: the stdlib folds a long Subject right after the colon and reads that space back)
    subject = " ".join(subject.split())
    lead, more = re.fullmatch(r"(.+?)(?: and (\d+) more)?", subject).groups()
    assert more is None or int(more) == 29             # " and 29 more" only when it fits in 78 characters
    assert len(subject) <= 78
    first = body(html)[0][0]
    assert first == lead or (lead.endswith("…") and first.startswith(lead[:-1]))
    assert contents(html)[0][0] == first
    assert re.search(r"^1\. " + re.escape(first[:40]), text.replace("\r\n", "\n"), re.M)
    preheader = re.search(r'<div class="preheader"[^>]*>([^&<]*)', html).group(1)
    blurb = re.search(r'<p class="lead-blurb"[^>]*>([^<]*)</p>', html).group(1)
    assert preheader.split()[:8] == blurb.split()[:8]


def test_a_long_edition_is_in_briefs_and_every_kept_story_is_in_the_body(run, thirty):
    _, html, text = message(run, "Europe", "Politics", "World")
    listed = [entry for entry in contents(html) if "more" not in entry[0]]
    assert len(listed) == 20                                           # max_stories, the best-scored kept
    assert sum(int(t.split()[0]) for t, _ in contents(html) if "more" in t) == 10
    # the body: the lead, then every kept story, in the contents' order; each is a brief with its lede
    assert body(html) == listed
    by_headline = {a["headline"]: a for a in thirty.values()}
    briefs = re.findall(r'<p class="brief"[^>]*>(.*?)<span class="brief-meta"', html, re.S)
    assert len(briefs) == 19
    for (headline, _), brief in zip(listed[1:], briefs):
        lede = plain(brief).replace("\u00ad", "")
        assert by_headline[headline]["summary"].startswith(lede) and lede.endswith(".")
    assert "read more" not in html.lower() and "read more" not in text.lower()
    # the text twin has no screen to fill: every listed story is told in full, numbered, with its link
    refs = re.findall(r"^\[(\d+)\]\s+(\S+)", text.replace("\r\n", "\n"), re.M)
    assert [int(n) for n, _ in refs] == list(range(1, 21))
    assert [url for _, url in refs] == [url for _, url in listed]
    flat = " ".join(text.split())
    assert all(" ".join(by_headline[h]["summary"].split()) in flat for h, _ in listed)


def test_every_mix_of_the_demo_shows_each_headline_twice_and_each_lede(run, seeded):
    """#21: in the HTML, every story's headline is in the contents and in the body, and the body has
    at least its lede sentence, for every topic mix of the demo."""
    from digest.summarize import split_sentences
    by_headline = {a["headline"]: a for a in json.loads(run("articles", "list", "--json").stdout)}
    names = ["Europe", "Politics", "World"]
    for mix in [[t] for t in names] + [[a, b] for i, a in enumerate(names) for b in names[i + 1:]] + [names]:
        _, html, _ = message(run, *mix)
        listed = contents(html) if "toc-link" in html else []
        shown = body(html)
        assert listed == shown and len(shown) >= 2, mix        # each headline twice: the contents, the body
        text = " ".join(plain(re.sub(r"<wbr>", "", html)).split())
        for headline, _ in shown:
            lede = split_sentences(by_headline[headline]["summary"])[0]
            # an old story's weekday is printed as its date ("on Tuesday" -> "on 24 November", #21 item 8)
            loose = re.sub(r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)(?:'s|’s)?", ".{1,24}?",
                           re.escape(" ".join(lede.split())))
            assert re.search(loose, text), (mix, headline)
        if len(mix) == 3:
            assert len(shown) == 14 and "more Europe" not in html    # the whole demo, nothing behind a link


def test_an_article_without_a_url_links_to_its_page_here(run, seeded):
    _, html, text = message(run, "World")
    articles = json.loads(run("articles", "list", "--topic", "World", "--json").stdout)
    pages = {f"{BASE}/articles/{a['id']}" for a in articles}
    assert {href for _, href in body(html)} <= pages
    assert re.search(rf'<a class="link" href="{BASE}/archive/daily-[\d-]+"[^>]*>View in your browser</a>', html)
