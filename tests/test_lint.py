"""Tests for digest.compose.lint: each warning fires on a minimal bad input, and clean output passes."""

from __future__ import annotations

import datetime as dt

from digest.compose.lint import lint
from digest.compose.render import personalize, render_mix
from digest.compose.views import EditionView, ItemView, SectionView

GOOD = ('<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>'
        '<p><a href="https://example.com/a">Story</a> <a href="mailto:desk@example.com">Write</a></p>'
        '<img src="https://example.com/i.png" alt="">'
        '<a href="https://example.com/u/1">Unsubscribe</a></body></html>')
TEXT = "Story\nhttps://example.com/a\n"


def test_clean_message_is_ok():
    report = lint(GOOD, TEXT)
    assert report.ok and report.warnings == []
    assert report.size_bytes == len(GOOD.encode())


def test_too_big_html_warns_about_clipping():
    big = GOOD.replace("<p>", "<p>" + "x" * (102 * 1024))
    report = lint(big, TEXT)
    assert not report.ok
    assert any("102 KiB" in w and "clips" in w for w in report.warnings)


def test_nearly_big_html_warns_close_to_limit():
    near = GOOD.replace("<p>", "<p>" + "x" * (95 * 1024))
    assert any("close to" in w for w in lint(near, TEXT).warnings)


def test_relative_and_anchor_links_warn():
    html = GOOD.replace('href="https://example.com/a"', 'href="/a/relative"') + '<a href="#top">top</a>'
    warnings = lint(html, TEXT).warnings
    assert any("'/a/relative' is not absolute" in w for w in warnings)
    assert any("'#top' is not absolute" in w for w in warnings)


def test_one_link_text_for_two_places_warns():
    html = GOOD.replace("Write</a>", 'Write</a> <a href="https://example.com/b">Story</a>')
    warnings = lint(html, TEXT).warnings
    assert any("'Story' leads to 2 different places" in w for w in warnings)
    same = GOOD.replace("Write</a>", 'Write</a> <a href="https://example.com/a"> Story </a>')
    assert lint(same, TEXT).ok                        # the same text to the same place is fine


def test_text_under_14px_warns():
    html = GOOD.replace("<p>", '<p style="font-size:13px;line-height:18px">')
    assert any("Text at 13px" in w and "at least 14px" in w for w in lint(html, TEXT).warnings)
    assert lint(GOOD.replace("<p>", '<p style="font-size:14px">'), TEXT).ok


def test_img_without_alt_warns():
    html = GOOD.replace('alt=""', "")
    assert any("no alt attribute" in w for w in lint(html, TEXT).warnings)


def test_missing_or_empty_text_part_warns():
    for text in (None, "", "  \n"):
        assert any("plain-text part is missing" in w for w in lint(GOOD, text).warnings)


def test_template_leftovers_and_markers_warn():
    html = GOOD.replace("Story", "{{ headline }}").replace("https://example.com/u/1", "%%UNSUBSCRIBE_URL%%")
    warnings = lint(html, "Hi %%NAME%%\n").warnings
    assert any("leftover template syntax" in w for w in warnings)
    assert any("HTML part still holds unsubstituted markers: %%UNSUBSCRIBE_URL%%" in w for w in warnings)
    assert any("text part still holds unsubstituted markers: %%NAME%%" in w for w in warnings)


def test_markers_allowed_before_personalize():
    html = GOOD.replace("https://example.com/u/1", "%%UNSUBSCRIBE_URL%%")
    assert lint(html, "Unsubscribe:\n%%UNSUBSCRIBE_URL%%\n", personalized=False).ok


def test_rendered_digest_is_clean_before_and_after_personalize():
    view = EditionView(
        newsletter="The Digest", edition_key="daily-2026-11-25", date=dt.date(2026, 11, 25),
        subject="The Digest: a quiet week at the observatory", preheader="One story from the hills.",
        sections=[SectionView("Science", "science", [ItemView(
            "Observatory volunteers catalogue a thousand new variable stars",
            "Amateur astronomers spent two years checking archive plates by hand.",
            "https://digest.example.com/a/1", source="Hill Courier", published=dt.date(2026, 11, 24))])],
        topics=["Science"], base_url="https://digest.example.com",
        postal_address="The Digest, 1 Harbour Road, Cobh, Ireland")
    rendered = render_mix(view)
    assert lint(rendered.html, rendered.text, personalized=False).ok
    html, text = personalize(rendered, unsubscribe_url="https://digest.example.com/u/1",
                             preferences_url="https://digest.example.com/p/1",
                             email="ada@example.org", name="Ada")
    assert lint(html, text).ok
    assert not lint(rendered.html, rendered.text).ok     # markers left = not ready to send


def test_a_headline_over_100_characters_is_a_warning_never_a_rewrite():
    fine = "Final Count Confirms Okafor as Winner of Harlow Falls Mayoral Runoff"
    long = fine + " After a Recount of Every Provisional and Mailed Ballot in the County"
    report = lint(GOOD, TEXT, headlines=[fine, long])
    assert not report.ok
    [warning] = report.warnings
    assert f"is {len(long)} characters, over 100" in warning and "digest articles edit" in warning
    assert lint(GOOD, TEXT, headlines=[fine]).ok
