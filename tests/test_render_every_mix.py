"""The fast renderer a send uses (render.Renderer: CSS inlined per kind of element, one environment,
a window's articles read once) gives the same bytes as the whole-page render (render.render_mix,
premailer over the whole page), the oracle, over every topic mix of the demo and over the mixes of
a 20-topic edition: all 210 mixes of one or two topics and 150 seeded random mixes of three to six
(every one of the 60,459 would take the oracle a quarter of an hour). The 20-topic edition has
stories carried by two topics, stories reported by several outlets (so the lead of a story, its
"also reported by" and a section's briefs change from mix to mix) and an outlet name on
several stories (so link texts are renamed per message).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random

import pytest

import newsroom
from conftest import SEEDS
from digest import config, pipeline
from digest.compose import assemble, render
from digest.compose.inline import Inliner, premailer_inline, simple_selectors
from digest.db import Database
from digest.models import Window
from digest.selection import select

TWENTY = ["Europe", "World", "Politics", "Asia", "Africa", "Americas", "Business", "Markets", "Technology",
          "Science", "Health", "Climate", "Energy", "Sport", "Culture", "Books", "Travel", "Food", "Education",
          "Opinion"]


def twenty_topic_rows(count: int = 200, seed: int = 22) -> list[dict]:
    """`count` stories over 20 topics in the JSON Lines input format: every 7th carried by a second
    topic, every 11th reported again by two other outlets (a cluster of three)."""
    rows = newsroom.edition(count, tuple(TWENTY), seed=seed)
    out = []
    for i, r in enumerate(rows):
        if i % 7 == 0:
            r["labels"].append(TWENTY[(i * 3 + 5) % 20])
        r["url"] = f"https://{r['source'].lower().replace(' ', '')}.example/{i}"
        out.append(r)
        if i % 11 == 0:
            for k, outlet in enumerate(["Radio Nord", "Mountain Post"]):
                out.append({**r, "source": outlet, "url": f"https://{outlet.lower().replace(' ', '')}.example/{i}",
                            "body": r["body"].replace(".", f" {outlet.split()[0]} said.", 2 + k)})
    return out


def store_with(rows: list[dict] | None, tmp_path, topics=()):
    cfg = config.load()
    db = Database.open(cfg.db)
    db.init()
    if not topics:
        db.topics.ensure_defaults()
    for t in topics:
        db.topics.add(t)
    if rows is None:
        report = pipeline.ingest(db, paths=[SEEDS])
    else:
        (tmp_path / "twenty.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        report = pipeline.ingest(db, paths=[tmp_path / "twenty.jsonl"])
    assert not report.errors
    return cfg, db


def assert_every_mix_matches(cfg, db, mixes: list[str]) -> int:
    """Each mix through the send path (pipeline.Bodies) against render_mix of the view that
    db.articles.between gives for that mix alone; returns how many sections were compared."""
    at = dt.datetime.now(dt.timezone.utc)
    since, until, last = at - dt.timedelta(days=2), at, db.articles.last_seq()
    bodies = pipeline.Bodies(db, cfg, "daily-x", at.date())
    sections = 0
    for mix in mixes:
        window = Window(mix, since, until, since_seq=0, until_seq=last)
        fast = bodies.body(window)
        alone = db.articles.between(select.mix_topics(mix), since, until, since_seq=0, until_seq=last)
        assert [a.id for a in fast.articles] == [a.id for a in alone], mix
        oracle = render.render_mix(pipeline.edition_view(cfg, "daily-x", at.date(), mix, alone, at=until))
        assert fast.rendered.html == oracle.html, mix
        assert fast.rendered.text == oracle.text, mix
        assert (fast.rendered.subject, fast.rendered.preheader) == (oracle.subject, oracle.preheader), mix
        sections += len(fast.view.sections)
    assert bodies.renderer.inliner.learned <= max(6, len(mixes) // 10)    # premailer saw a few pages only
    return sections


def test_every_mix_of_the_demo_renders_as_the_whole_page_does(tmp_path):
    cfg, db = store_with(None, tmp_path)
    names = [t.name for t in db.topics.all()]
    mixes = [select.mix_key(list(c)) for n in range(1, len(names) + 1) for c in itertools.combinations(names, n)]
    assert len(mixes) == 7
    assert assert_every_mix_matches(cfg, db, mixes) > 7


def test_the_mixes_of_a_twenty_topic_edition_render_as_the_whole_page_does(tmp_path):
    cfg, db = store_with(twenty_topic_rows(), tmp_path, topics=TWENTY)
    rnd = random.Random(5)
    mixes = [select.mix_key(list(c)) for n in (1, 2) for c in itertools.combinations(TWENTY, n)]
    mixes += [select.mix_key(rnd.sample(TWENTY, rnd.randint(3, 6))) for _ in range(150)]
    views = {m: pipeline.Bodies(db, cfg, "daily-x", dt.date.today()).body(
        Window(m, None, dt.datetime.now(dt.timezone.utc), since_seq=0, until_seq=db.articles.last_seq())).view
        for m in mixes[-20:]}
    # the edition does exercise what changes per mix: stories of several outlets, compact layouts
    assert any(i.also for v in views.values() for s in v.sections for i in s.items)
    assert any(i.brief is not None for v in views.values() for s in v.sections for i in s.items)
    assert assert_every_mix_matches(cfg, db, mixes) > len(mixes)


def test_sections_are_rendered_once_and_a_small_store_of_them_still_gives_every_page(tmp_path, monkeypatch):
    """A section shared by many mixes is rendered once (the cost follows the sections, not the
    mixes); with room for only a few fragments, pages are still whole and right."""
    cfg, db = store_with(twenty_topic_rows(), tmp_path, topics=TWENTY)
    rnd = random.Random(9)
    mixes = list(dict.fromkeys(select.mix_key(rnd.sample(TWENTY, rnd.randint(1, 6))) for _ in range(120)))
    bodies = pipeline.Bodies(db, cfg, "daily-x", dt.date.today())
    until = dt.datetime.now(dt.timezone.utc)
    for mix in mixes:
        bodies.body(Window(mix, None, until, since_seq=0, until_seq=db.articles.last_seq()))
    made, used = bodies.renderer.assembler.made, bodies.renderer.assembler.used
    assert made == sum(len(kept) for kept in bodies.renderer.assembler.kept.values())   # each once
    assert used > 5 * len(mixes) and made < used / 1.5
    monkeypatch.setattr(assemble, "KEEP", 4)
    assert assert_every_mix_matches(cfg, db, mixes[:40]) > 40


def test_a_stylesheet_with_context_selectors_goes_through_premailer_whole(tmp_path):
    """A descendant selector makes an element's style depend on where it stands: no memo then."""
    assert simple_selectors(".a{color:red} body{margin:0} @media (max-width:4px){.a .b{color:blue}}")
    assert not simple_selectors(".item .headline{color:red}")
    assert not simple_selectors("a:hover{color:red}")
    page = ('<!DOCTYPE html><html><head><style>.x .y{color:red} .y{font-size:15px}</style></head><body>'
            '<div class="x"><p class="y">in</p></div><p class="y">out</p></body></html>')
    inliner = Inliner()
    assert inliner.inline(page) == premailer_inline(page)
    assert inliner.learned == 0 and not inliner.simple


def test_own_templates_render_as_the_whole_page_does(tmp_path):
    """An owner's stylesheet and per-topic template (templates_dir) go the same way."""
    own = tmp_path / "own"
    (own / "topics").mkdir(parents=True)
    css = (SEEDS.parent / "templates" / "_styles.css").read_text()
    (own / "_styles.css").write_text(css.replace(".meta{", ".meta{font-style:italic;"))
    (own / "topics" / "europe.html").write_text(
        '<tr><td class="section"><h2 class="topic">{{ section.topic }} today</h2>'
        '{% for item in section.items %}<p class="blurb">{{ item.headline }}</p>{% endfor %}</td></tr>\n')
    cfg, db = store_with(None, tmp_path)
    cfg.templates_dir = str(own)
    names = [t.name for t in db.topics.all()]
    mixes = [select.mix_key(list(c)) for n in range(1, len(names) + 1) for c in itertools.combinations(names, n)]
    at = dt.datetime.now(dt.timezone.utc)
    renderer = pipeline.renderer(cfg)
    for mix in mixes:
        arts = db.articles.between(select.mix_topics(mix), at - dt.timedelta(days=2), at)
        view = pipeline.edition_view(cfg, "daily-x", at.date(), mix, arts, at=at)
        assert renderer.render(view) == render.render_mix(view, template_dirs=[own]), mix
    assert "font-style:italic" in renderer.render(view).html


@pytest.mark.parametrize("groups", [2])
def test_a_send_holds_a_bounded_number_of_bodies(groups, tmp_path, smtp_env, monkeypatch):
    """However many mixes, the run keeps the last GROUPS bodies; one met again is made again, the same."""
    from digest.pipeline.sender import EditionRun
    monkeypatch.setattr(EditionRun, "GROUPS", groups)
    cfg, db = store_with(twenty_topic_rows(60), tmp_path, topics=TWENTY)
    rnd = random.Random(3)
    rows = "".join(f"r{i}@example.org,,{';'.join(rnd.sample(TWENTY, rnd.randint(1, 3)))}\n" for i in range(40))
    assert not pipeline.import_subscribers(db, ("email,name,topics\n" + rows).encode(), "s.csv").errors
    cfg = config.load()
    plan = pipeline.plan_edition(db, cfg)
    tally = pipeline.send_edition(db, cfg, plan, pipeline.relays_for(cfg))
    assert tally.sent == plan.created == len(smtp_env.messages) > 0


def test_the_size_only_lint_counts_what_the_full_lint_measures(tmp_path):
    """Past the first LINT_FULL mixes a send checks only the size: the same number as the full lint."""
    from digest.pipeline.messages import lint_body, lint_size
    cfg, db = store_with(twenty_topic_rows(80), tmp_path, topics=TWENTY)
    at = dt.datetime.now(dt.timezone.utc)
    bodies = pipeline.Bodies(db, cfg, "daily-x", at.date())
    for mix in ("Europe", "Books+Food+Sport", "+".join(sorted(TWENTY[:6]))):
        body = bodies.body(Window(mix, None, at, since_seq=0, until_seq=db.articles.last_seq()))
        assert lint_size(cfg, body).size_bytes == lint_body(cfg, body).size_bytes > 5000
