"""Machine headlines read as headlines (#21 item 11): present tense, no title before a name, the main
clause. Sentences written for these tests, in the shape news ledes have."""

from __future__ import annotations

import pytest

from digest.summarize import make_headline
from digest.summarize.tense import present_tense


@pytest.mark.parametrize("past, present", [
    ("Hartlepool manager Ron Dale signed Moreno", "Hartlepool manager Ron Dale signs Moreno"),
    ("EU farm ministers backed plans", "EU farm ministers back plans"),
    ("Quarterly profits at Norvex jumped 41%", "Quarterly profits at Norvex jump 41%"),
    ("Kestrel Airways cancelled 300 flights", "Kestrel Airways cancels 300 flights"),
    ("Toy maker Bricklin settled charges", "Toy maker Bricklin settles charges"),
    ("Oakfield and Marston agreed deal", "Oakfield and Marston agree deal"),
    ("Executive at Pell & Drury pleaded guilty", "Executive at Pell & Drury pleads guilty"),
    ("Singer Tom Evans began tour", "Singer Tom Evans begins tour"),           # "Evans" is one man
    ("Harbour board led talks", "Harbour board leads talks"),
])
def test_a_completed_event_is_told_in_the_present(past, present):
    assert present_tense(past) == present


@pytest.mark.parametrize("head", [
    "Dale banned for six matches",              # passives stay in the past participle
    "Glasshouse named best album",
    "Fans evacuated from stadium",
    "Walker one of four uncapped players",      # an adjective, not a verb
    "Two years after Mini launched rival",      # a subordinate clause
    "Firm warned",                              # no object: it could be a passive
])
def test_a_passive_or_an_adjective_keeps_its_form(head):
    assert present_tense(head) == head


def test_a_plural_noun_opening_the_head_takes_the_plural_and_a_name_does_not():
    body = "Shares rose in early trading. Investors bought shares in the firm."
    assert present_tense("Shares rose 4%", body) == "Shares rise 4%"
    assert present_tense("Williams won title", "Williams won the title. It was the third time that Williams had won.") \
        == "Williams wins title"


def test_headline_from_body_puts_a_signing_in_the_present():
    body = "Harbour City boss Ron Dale has signed Lyon winger Paulo Moreno on a two-year deal. Dale said more."
    h = make_headline(None, body)
    assert "signs" in h and "signed" not in h, h


@pytest.mark.parametrize("body, wanted", [
    ("Rival chip makers Korvo and Lintel are joining forces to develop cheaper memory for phones.",
     "Korvo and Lintel join forces"),
    ("The Welsh government is launching a helpline for tenants who face eviction this winter.",
     "Welsh government launches helpline"),
])
def test_a_progressive_becomes_the_simple_present(body, wanted):
    h = make_headline(None, body)
    assert wanted in h, h


def test_an_editors_title_is_never_put_in_the_present():
    body = "Harbour City boss Ron Dale has signed winger Paulo Moreno on a two-year deal."
    assert make_headline("Dale signed Moreno", body) == "Dale signed Moreno"


@pytest.mark.parametrize("body, wanted, dropped", [
    ("World number one Anna Kovac won the Doha title on Sunday, beating Lena Marsh in straight sets. Kovac "
     "said she was tired.", "Kovac", "number one"),
    ("British hurdler Tom Reeve will miss the indoor season with a torn hamstring, his coach said. Reeve is 24.",
     "Reeve", "hurdler"),
    ("Cable firms Norlink and Westwire have launched on-demand film services for their subscribers.",
     "Norlink and Westwire", "Cable firms"),
])
def test_a_title_or_description_before_a_name_goes(body, wanted, dropped):
    h = make_headline(None, body)
    assert wanted in h and dropped not in h, h


@pytest.mark.parametrize("body, kept", [
    ("Police say Mark Hollis was seen near the harbour late on Friday night.", "Police"),
    ("Negroponte develops laptop PC that will go on sale for less than $100 next year.", "Negroponte"),
])
def test_a_clause_before_a_name_is_no_title(body, kept):
    assert make_headline(None, body).startswith(kept)


@pytest.mark.parametrize("body, wanted, dropped", [
    ("Anton Varga, the former chairman of the collapsed Delta Savings bank, went on trial in Budapest on "
     "Monday on fraud charges.", "Varga went on trial", "chairman"),
    ("The Quill tablet, which will go on sale in March, has been delayed by a shortage of screens, its "
     "maker said.", "Quill tablet", "which"),
    ("Jo Pryce, 34, was jailed for six years for a string of burglaries across north Wales.", "Pryce", "34"),
])
def test_the_main_clause_goes_past_an_aside_between_commas(body, wanted, dropped):
    h = make_headline(None, body)
    assert wanted in h and dropped not in h, h


def test_an_adverb_of_manner_goes_but_not_one_that_changes_the_fact():
    assert "sharply" not in make_headline(None, "Shares in Brightline Foods fell sharply after a profit warning.")
    assert "nearly 300" in make_headline(None, "The Tyneside plant will cut nearly 300 jobs next spring.")


def test_a_head_keeps_its_verb_when_an_ing_word_is_only_an_adjective():
    body = ("The online gaming industry is set to grow sharply in 2026 with a wave of cheap handsets offering "
            "cloud play and other features such as music streaming. Gaming firms welcomed it.")
    assert "to grow" in make_headline(None, body)


def test_a_head_never_ends_on_a_verb_that_needs_its_object():
    body = ("Shares in Pelham Foods have taken a beating on the London market after the firm said it would "
            "restate its 2025 accounts. Pelham shares fell.")
    h = make_headline(None, body)
    assert not h.endswith(("take", "takes", "took")), h


def test_a_short_clause_is_preferred_to_one_padded_with_asides():
    body = ("Norvik Bank will cut 1,900 jobs as a result of falling profits in its retail arm, the bank said. "
            "Norvik jobs go as Norvik profits fall. Norvik said more.")
    h = make_headline(None, body)
    assert "Norvik" in h and "1,900 jobs" in h and "retail arm" not in h, h


@pytest.mark.parametrize("body, wanted, dropped", [
    ("Teenager Mia Castell won her first tour title in Auckland on Saturday, beating the top seed. Castell is 17.",
     "Castell", "Teenager"),
    ("Broadcaster Alan Frew has begun selling his collection of vintage radios at a London auction house.",
     "Frew", "Broadcaster"),
])
def test_a_post_that_opens_the_lede_goes(body, wanted, dropped):
    h = make_headline(None, body)
    assert wanted in h and dropped not in h, h


def test_star_wars_is_a_name_not_a_post():
    body = "Star Wars director Glen Ashby has said he will not make another film in the series."
    assert make_headline(None, body).startswith("Star Wars") or "Ashby" in make_headline(None, body)


def test_a_comparative_keeps_its_than():
    body = ("Welsh retail sales were better than expected in December as shoppers returned to the high street, "
            "figures show. Retail sales rose 2%.")
    h = make_headline(None, body)
    assert not h.rstrip().endswith("better"), h


@pytest.mark.parametrize("body, bad_end", [
    ("A panel of church historians is to receive a complaint about the plot of the bestselling novel from a "
     "group of readers in York.", "receive"),
    ("The county court is to decide whether the Harbour Mill site can be sold to a housing developer next "
     "spring.", "whether"),
])
def test_a_head_does_not_stop_before_the_object_of_its_verb(body, bad_end):
    h = make_headline(None, body)
    assert not h.endswith(bad_end), h


def test_a_list_inside_the_subject_gives_way_to_the_verb():
    body = ("Veteran actors including Maria Lund, Peter Okafor and Oscar nominee Ruth Anand have paid tribute to "
            "the director Sam Ellery at a memorial service in Leeds.")
    h = make_headline(None, body)
    assert "paid tribute" in h and "including" not in h, h


def test_guided_is_guide():
    assert present_tense("Two late tries guided Leinster to victory") == "Two late tries guide Leinster to victory"


def test_a_passive_in_progress_reads_as_a_headline():
    body = "Owners of older Brava smart speakers are being warned to install a security update at once."
    h = make_headline(None, body)
    assert "being" not in h and "warned to install" in h, h


@pytest.mark.parametrize("body, dangling", [
    ("Shares in the mining group Tarrow rose 4.2% to 812 pence after the company announced a large copper "
     "find in northern Chile.", "after the company"),
    ("The ferry operator Seaholm cut its winter timetable by a third when its two oldest vessels failed safety "
     "checks in March.", "when its two oldest vessels"),
])
def test_a_head_does_not_keep_a_subordinate_clause_without_its_verb(body, dangling):
    h = make_headline(None, body)
    assert h and not h.endswith(dangling.split()[-1]), h
    assert dangling.split()[0] not in h.split() or h.split()[-1] not in dangling.split(), h


def test_a_head_does_not_end_on_new_before_its_noun():
    body = ("Brenmoor Pharma and its partner Kelt suspended sales of new, faster-acting migraine tablets sold in "
            "Ireland and Scotland after two patients fell ill.")
    h = make_headline(None, body)
    assert h and not h.endswith(" new"), h


def test_a_head_does_not_end_on_a_place_preposition():
    body = ("Lakeside council halted sales of new housing plots beside the flooded River Arle for the rest of "
            "the year.")
    h = make_headline(None, body)
    assert "housing plots" in h and not h.endswith("beside"), h
