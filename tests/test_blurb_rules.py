"""Blurbs an editor would sign: no back-reference anywhere in a second sentence ("this sale", "the
move", ", however,", "next morning") unless the blurb already says what it points at, on articles
written for the test in the shapes news takes.
"""

from __future__ import annotations

import pytest

from digest.summarize import summarize

# Filler paragraphs that carry no number and no name: a blurb gains nothing from them.
FILLER = ["Residents gathered along the seafront as the afternoon went on.",
          "The weather had been calm for most of the week before the weekend.",
          "Local shops stayed open later than usual to serve the crowds.",
          "Several roads near the harbour were closed to traffic for the evening.",
          "Visitors were asked to keep clear of the slipway while work continued.",
          "The harbour office said it would publish a fuller account in due course."]


def blurb(body: str) -> str:
    return summarize("A title", body).summary


# ---- references checked everywhere in the sentence ----------------------------------------------

LEDE = "The Tarn Valley water company failed to sell its bottling plant on Monday after a buyer pulled out."


@pytest.mark.parametrize("second", [
    "An audit report published in June said that this sale went through at a loss of 2 million euros.",
    "Union leader Petra Holm said the move would be ruinous for 300 workers at the plant.",
    "The company's 2,000 shareholders, however, were told in May that the plant was profitable.",
    "Documents on the plant's value were taken by police investigators next morning, 40 boxes in all.",
    "Two other firms have withdrawn bids worth 9 million euros for plants in the valley this year.",
    "Union leader Petra Holm said workers learned of it the following day from a notice on the gate.",
    "Police arrested two managers at the plant that night, a spokesman for the regional force said.",
    "Union leader Petra Holm said the plan would cost 300 jobs at the plant and 40 more at its depot.",
    "Union leader Petra Holm said these talks had never included the 300 workers at the plant.",
    "The only other bottling plant in the valley closed in 2019 with the loss of 120 jobs.",
])
def test_a_second_sentence_that_points_back_anywhere_stays_out(second):
    text = blurb(LEDE + "\n\n" + second + "\n\n" + FILLER[0])
    assert text == LEDE


def test_the_same_phrases_inside_a_quotation_or_already_named_are_fine():
    body = (LEDE + "\n\nUnion leader Petra Holm said 300 jobs were safe for now: “We will fight this sale, "
            "however long it takes.”\n\n" + FILLER[0])
    assert "Petra Holm said 300 jobs" in blurb(body)
    sale = "A planned sale of the Tarn Valley water company's bottling plant collapsed on Monday."
    body = sale + "\n\nAccounts filed in May show the sale would have raised 12 million euros.\n\n" + FILLER[0]
    assert "Accounts filed in May show the sale would have raised" in blurb(body)


@pytest.mark.parametrize("second", [
    "Sales teams on the move will get 30 new delivery vans from the company by March.",
    "Like many other water firms, the company has lost 15% of its bottled-water sales since 2022.",
    "Union leader Petra Holm said those with 20 years' service would get a full pension.",
])
def test_words_that_only_look_like_pointers_do_not_keep_a_sentence_out(second):
    assert blurb(LEDE + "\n\n" + second + "\n\n" + FILLER[0]) == LEDE + " " + second
