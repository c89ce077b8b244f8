"""The body cleaner (digest.readers.clean) on real-shaped pages: what goes, what is kept, and the
news that must never be taken for a caption or a dateline."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest import readers
from digest.readers.clean import clean_body, clean_text, is_junk_title

SCRAPED = Path(__file__).parent / "fixtures" / "scraped"
SEEDS = Path(__file__).parent.parent / "seeds"


def kinds(body: str, title: str = "") -> list[str]:
    return [r.kind for r in clean_body(body, title=title).removed]


@pytest.mark.parametrize("caption, why", [
    ("Officials monitor the search in the operations room in Makassar, Indonesia, November 29, 2026. "
     "REUTERS/Dewi Santoso", "carries a photo credit"),
    ("Rescuers gather at the pier in Makassar, Indonesia, November 29, 2026.", "ends in a date"),
    ("A utility worker repairs a downed line in Columbus, Ohio, on Tuesday. (AP Photo/Maria Kelley)",
     "carries a photo credit"),
    ("In this image released by the Harlan Museum, a bronze figure is shown before its return.", "describes a photo"),
    ("FILE PHOTO: Trucks carry ore at an open-pit mine near Antofagasta, Chile.", "describes a photo"),
    ("Protesters march past parliament in Tbilisi on Sunday.", "describes a photo in the present tense"),
    ("Commuters wait on a platform on Monday.Credit...Lena Ortiz for The Daily Metro", "carries a photo credit"),
    ("[File: Displaced families wait for aid in Port Sudan, August 2, 2026. Ahmed Saleh/Al Jazeera]",
     "carries a photo credit"),
])
def test_a_caption_opening_the_body_is_removed_with_its_reason(caption, why):
    body = caption + "\n\nThe city council voted on Monday to close the harbour for repairs, the mayor said."
    c = clean_body(body)
    assert c.body.startswith("The city council voted")
    assert (c.removed[0].kind, c.removed[0].why) == ("caption", why)
    assert c.removed[0].describe().startswith("caption '")


@pytest.mark.parametrize("lede", [
    # A first sentence that merely holds a date, a place, a present tense or a weekday is news.
    "The central bank held its deposit rate at 2.25% on Thursday, December 3, 2026, and signalled a cut.",
    "The new tax takes effect on January 1, 2027.",
    "Maria Lopez walks three miles to school every day in rural Peru, and she is not alone.",
    "Police said on Tuesday that three men were arrested in Lyon, France, on November 29, 2026.",
    "Ministers meet in Brussels on Monday to agree the budget, officials said.",
    "Fewer than six in ten trains ran on time in October, the railway said.",
])
def test_news_that_holds_a_date_or_a_place_is_not_a_caption(lede):
    body = lede + "\n\nThe second paragraph says more."
    c = clean_body(body)
    assert c.body.split("\n\n")[0] == lede and c.removed == []


@pytest.mark.parametrize("para, rest", [
    ("MAKASSAR, Indonesia (Reuters) - Rescuers widened the search on Sunday.", "Rescuers widened"),
    ("SANTIAGO, Nov 30 (Reuters) - Copper output fell 4% in October.", "Copper output"),
    ("WASHINGTON (AP) — The Senate passed the bill late on Friday.", "The Senate"),
    ("Paris (AFP) - France will close its last coal plant by 2027.", "France will"),
    ("(CNN) — Six technology companies agreed to label political ads.", "Six technology"),
    ("SPRINGFIELD, Ill. -- The city council voted 7-2 on Monday.", "The city council"),
    ("BEIRUT — Talks on the border resumed on Monday after a pause.", "Talks on"),
])
def test_a_dateline_goes_and_its_sentence_stays(para, rest):
    c = clean_body(para + "\n\nMore follows here.")
    assert c.body.startswith(rest) and [r.kind for r in c.removed] == ["dateline"]


@pytest.mark.parametrize("lede", [
    "NATO — the alliance of 32 countries — met in Brussels on Monday.",
    "EU leaders — meeting in Brussels — agreed a deal on Monday night.",
    "US inflation fell to 2.1% in October, the lowest in three years.",
])
def test_capitals_that_open_a_sentence_are_not_a_dateline(lede):
    assert clean_body(lede + "\n\nMore.").body.startswith(lede)


def test_live_blog_times_teasers_and_repeats_go():
    body = ("17.00 GMT\n\nThe chancellor froze fuel duty for another year.\n\n16.45 Sarah Mills said the budget "
            "does nothing for renters.\n\nRead more: What the budget means for you\n\nThe chancellor froze fuel "
            "duty for another year.\n\nUpdated at 17.05 GMT")
    c = clean_body(body)
    assert c.body == ("The chancellor froze fuel duty for another year.\n\n"
                      "Sarah Mills said the budget does nothing for renters.")
    assert kinds(body) == ["timestamp", "timestamp", "teaser", "repeat", "timestamp"]


def test_decimals_and_figures_are_not_timestamps():
    body = "12.50 euros a month is what the new rail pass costs, the ministry said.\n\nMore."
    assert clean_body(body).body.startswith("12.50 euros")


def test_the_title_repeated_as_the_first_paragraph_goes():
    title = "Council approves a twelve million dollar library expansion"
    c = clean_body(title + "\n\nThe council voted 7-2 on Monday to expand the library.", title=title)
    assert c.body.startswith("The council") and c.removed[0].why == "the title repeated"


def test_a_body_that_would_be_emptied_is_kept_as_it_was():
    body = "Read more: the full story"
    assert clean_body(body).body == body


def test_a_standfirst_loses_its_dateline_and_teaser_tail():
    text, removed = clean_text("LONDON (Reuters) - Rail fares will rise by 3.1% in March, the government said. Read more")
    assert text == "Rail fares will rise by 3.1% in March, the government said."
    assert [r.kind for r in removed] == ["dateline", "teaser"]


def test_junk_titles():
    assert is_junk_title("&foo; &bar;") and is_junk_title("<b></b> &#8203;")
    assert not is_junk_title("Fish &amp; chips shop reopens") and not is_junk_title("Harbour reopens")


def test_the_seeds_lose_nothing():
    for f in sorted(SEEDS.glob("*.txt")):
        art = readers.parse_text(f.read_text(), origin=f.name)
        c = clean_body(art.body, title=art.title)
        assert c.removed == [] and c.body == art.body, f.name


def test_every_scraped_fixture_opens_on_news():
    """Every fixture article, in every format, opens on a body sentence, not a caption, credit,
    dateline, timestamp or teaser."""
    seen = 0
    for f in sorted(SCRAPED.iterdir()):
        for art in readers.read_path(f):
            if not hasattr(art, "body"):
                continue
            first = clean_body(art.body, title=art.title).body.split("\n\n")[0]
            assert not any(x in first for x in ("REUTERS/", "(AP Photo", "(Reuters)", "(AP)", "(AFP)", "(CNN)",
                                                "Read more", "FILE PHOTO", "Credit...", "In this image")), first
            assert not first[:5].replace(".", "").strip().isdigit(), first
            seen += 1
    assert seen >= 20
