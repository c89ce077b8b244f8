"""How far a reader scrolls: the height of a digest on a phone (375 px wide, headless Chromium).

Run from the repository root:  .venv/bin/python benchmarks/phone_height.py [--json out.json]

Editions measured, each through the real pipeline (ingest, store, summarize, render, inline):
- the demo's biggest mix: seeds/ in Europe, Politics and World (14 stories);
- 30 invented stories, ten per topic, with headlines as long as editors' titles (tests/newsroom.py);
- 30 real articles from ../shared/eval/bbc-dev (ten each of business, tech, entertainment), when
  that folder is there.
The baseline, measured in the same run on the same stories, is the flat layout: every story in
the body with its whole blurb (no caps, no briefs). A phone screen is 667 px (375 x 667). The
budget (#21): the demo within 6 screens, a 30-story edition within 8, every kept story in the body
with at least its lede.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import newsroom  # noqa: E402
from digest import config, pipeline
from digest.compose import render  # noqa: E402
from digest.db import Database  # noqa: E402
from digest.pipeline import bodies  # noqa: E402

SCREEN = 667
BBC = ROOT.parent / "shared" / "eval" / "bbc-dev" / "articles"


def bbc_rows() -> list[dict]:
    now = dt.datetime.now(dt.timezone.utc)
    rows = []
    for k, (folder, topic) in enumerate([("business", "Europe"), ("tech", "Politics"), ("entertainment", "World")]):
        for i, f in enumerate(sorted((BBC / folder).glob("*.txt"))[:10]):
            lines = f.read_text(encoding="utf-8", errors="replace").splitlines()
            rows.append({"title": lines[0].strip(), "labels": [topic], "author": "BBC News",
                         "body": "\n\n".join(line.strip() for line in lines[1:] if line.strip()),
                         "published": (now - dt.timedelta(hours=1 + i + k)).isoformat()})
    return rows


def html_of(folder: Path, source: Path | list[dict], *, full_titles: bool, flat: bool) -> tuple[str, int]:
    """The HTML one subscriber of all three topics gets, and its number of stories."""
    db = folder / f"{'flat' if flat else 'digest'}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    os.environ["DIGEST_DB"] = str(db)
    cfg = config.load()
    store = Database.open(db)
    store.init()
    store.topics.ensure_defaults()
    if isinstance(source, list):
        path = folder / "in.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in source), encoding="utf-8")
        source = path
    pipeline.ingest(store, paths=[source])
    if full_titles:
        for art in store.articles.live():
            store.editing.set_override(art.id, headline=art.title, summary=None)
    compact, cfg.max_items_per_topic = bodies.COMPACT_FROM, (1000 if flat else cfg.max_items_per_topic)
    cfg.max_stories = 1000 if flat else cfg.max_stories
    bodies.COMPACT_FROM = 1000 if flat else compact
    try:
        body, _ = pipeline.groups_for_preview(store, cfg)
    finally:
        bodies.COMPACT_FROM = compact
        store.close()
    html, _ = render.personalize(body.rendered, unsubscribe_url=f"{cfg.base_url}/u/x",
                                          preferences_url=f"{cfg.base_url}/p/x", email="reader@example.org", name=None)
    return html, body.view.stories


def heights(pages: list[str]) -> list[int]:
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        page = browser.new_page(viewport={"width": 375, "height": SCREEN})
        out = []
        for html in pages:
            page.set_content(html)
            out.append(page.evaluate("document.documentElement.scrollHeight"))
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    editions = [("demo, 3 topics", ROOT / "seeds", False),
                ("30 invented stories, editors' titles", newsroom.edition(30), True)]
    if BBC.is_dir():
        editions.append(("30 BBC articles (bbc-dev)", bbc_rows(), False))
    os.environ.setdefault("DIGEST_SECRET", secrets.token_hex(32))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, source, full in editions:
            html, stories = html_of(Path(tmp), source, full_titles=full, flat=False)
            flat, _ = html_of(Path(tmp), source, full_titles=full, flat=True)
            rows.append((name, stories, html, flat))
        measured = heights([r[2] for r in rows] + [r[3] for r in rows])
    n = len(rows)
    print(f"{'edition':<40} {'stories':>7} {'in body':>7} {'px at 375':>10} {'screens':>8} {'flat (baseline)':>16}"
          f" {'KiB':>6}")
    results = []
    for i, (name, stories, html, _) in enumerate(rows):
        px, flat_px = measured[i], measured[n + i]
        in_body = html.count('class="headline-link"')
        print(f"{name:<40} {stories:>7} {in_body:>7} {px:>10} {px / SCREEN:>8.2f} {flat_px:>9} ({flat_px / SCREEN:.1f})"
              f" {len(html.encode()) / 1024:>6.1f}")
        results.append({"edition": name, "stories": stories, "in_body": in_body, "px": px, "screens": round(px / SCREEN, 2),
                        "flat_px": flat_px, "html_kib": round(len(html.encode()) / 1024, 1)})
    print(f"budget: the demo 6 screens = {6 * SCREEN} px, a 30-story edition 8 screens = {8 * SCREEN} px")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
