""""Also reported by" names outlets (issue #21 item 9), through the real CLI, store and templates:
another version with an outlet is named by it; one without (the newsroom's own page) is "Also
reported as" its headline; and when both versions are the newsroom's own, there is no line.
"""

from __future__ import annotations

import datetime as dt
import html as htmlmod
import json
import re

import pytest

from conftest import parse
from test_editorial import BACKGROUND, REWRITES

OWN = {"source": None, "url": None}


def versions(tmp_path, run, first: dict, second: dict) -> dict[str, dict]:
    """The two outlets' rewrites of one Odesa story, with the source and url given (None: none)."""
    published = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=6)
    rows = []
    for k, ((title, lede, more, _), given) in enumerate(zip(REWRITES, (first, second))):
        row = {"title": title, "body": "\n\n".join([lede, more, BACKGROUND]), "labels": ["Europe"],
               "published": (published + k * dt.timedelta(hours=5)).isoformat()}
        row.update({key: value for key, value in given.items() if value is not None})
        rows.append(row)
    (tmp_path / "wire.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert run("init").exit_code == 0
    assert run("articles", "ingest", tmp_path / "wire.jsonl").exit_code == 0
    arts = {a["title"]: a for a in json.loads(run("articles", "list", "--json").stdout)}
    assert len({a["cluster"] for a in arts.values()}) == 1 and None not in {a["cluster"] for a in arts.values()}
    return arts


def read(run) -> tuple[str, str]:
    r = run("preview", "--topic", "Europe", "--format", "eml")
    assert r.exit_code == 0, r
    msg = parse(r.stdout.encode())
    html = msg.get_body(("html",)).get_content()
    return " ".join(msg.get_body(("plain",)).get_content().split()), html


def also_lines(html: str) -> list[str]:
    return [" ".join(htmlmod.unescape(re.sub(r"<[^>]+>", "", p)).split())
            for p in re.findall(r'<p class="also"[^>]*>(.*?)</p>', html, re.S)]


def lead_and_other(text: str) -> tuple[str, str]:
    """Which rewrite the digest leads with (the one it prints as the story), and the other."""
    (a, *_), (b, *_) = REWRITES
    return (a, b) if a in text.split("Also reported")[0] else (b, a)


def test_another_version_with_an_outlet_is_named_by_it(run, tmp_path):
    versions(tmp_path, run, {"source": "Compass Wire Service", "url": "https://compasswire.example/powership"},
             {"source": "Black Sea Courier", "url": "https://courier.example/powership"})
    text, html = read(run)
    lead, _ = lead_and_other(text)
    other = "Black Sea Courier" if lead == REWRITES[0][0] else "Compass Wire Service"
    assert also_lines(html) == [f"Also reported by {other}"]
    assert f"Also reported by {other} [1a]." in text
    assert "Also reported as" not in text and "Also reported as" not in html


def test_a_version_without_an_outlet_is_named_by_its_headline(run, tmp_path):
    # The rewrite with an outlet leads (it is the fresher): the newsroom's own page is the other version.
    versions(tmp_path, run, OWN, {"source": "Black Sea Courier", "url": "https://courier.example/powership"})
    text, html = read(run)
    lead, other = lead_and_other(text)
    assert lead == REWRITES[1][0]
    assert also_lines(html) == [f'Also reported as "{other}"']
    assert re.search(r'Also reported as "<a class="link" href="https://news\.example\.com/articles/\d+"[^>]*>', html)
    assert f'Also reported as "{other}" [1a].' in text
    assert re.search(r"\[1a\] https://news\.example\.com/articles/\d+", text)
    assert "Also reported by" not in text and "also in 1 source" not in text   # no outlet to count


@pytest.mark.parametrize("url", [None, "https://news.example.com/europe/odesa-powership"])
def test_two_versions_of_the_newsrooms_own_have_no_line(run, tmp_path, url):
    """No source, and no link but one on the newsroom's own site (base_url): nothing to add."""
    versions(tmp_path, run, OWN, {"source": None, "url": url})
    text, html = read(run)
    lead, other = lead_and_other(text)
    assert "Also reported" not in text and "Also reported" not in html
    assert other not in text and other not in html
    assert "[1a]" not in text


def test_a_version_with_only_its_own_link_is_named_by_the_links_domain(run, tmp_path):
    versions(tmp_path, run, {"source": None, "url": "https://www.courier.example/powership"}, OWN)
    text, html = read(run)
    lead, _ = lead_and_other(text)
    assert lead == REWRITES[1][0]                                       # the newsroom's own page leads
    assert also_lines(html) == ["Also reported by courier.example"]
    assert "Also reported by courier.example [1a]." in text
