"""Near-duplicate detection: rewrites of one event group together, same-topic stories do not.

The articles are written for these tests (fictional events, realistic wire-style prose).
"""

from __future__ import annotations

import datetime as dt

from digest.selection.cluster import Doc, boilerplate, cluster, paragraph_key, similarity

# Two outlets, one event: a port strike on Odesa.
ODESA_A = Doc(1, "Russian Drones Hit Odesa Grain Terminal, Injuring Four", """
Russian drones struck a grain terminal in the Ukrainian port of Odesa overnight, setting fire to
two storage silos and injuring four workers, regional governor Oleh Kiper said on Tuesday.

Air defences shot down 31 of the 40 drones launched against southern Ukraine, the air force said.
Firefighters needed more than six hours to bring the blaze at the terminal under control.

Kiper said about 9,000 tonnes of wheat destined for Egypt had been destroyed. The terminal's
operator said loading would resume within a week. Kyiv accused Moscow of trying to choke Ukraine's
grain exports ahead of the harvest, while Russia's defence ministry said it had hit "military
infrastructure" in the region.
""")
ODESA_B = Doc(2, "Drone attack sets Odesa grain silos ablaze", """
Four workers were hurt when a swarm of Russian drones hit a grain terminal in Odesa during the
night, Governor Oleh Kiper said, with two silos catching fire.

Ukraine's air force reported downing 31 of 40 drones aimed at the south of the country. It took
firefighters over six hours to put out the fire.

Around 9,000 tonnes of wheat bound for Egypt was lost, according to Kiper. The company running the
terminal expects loading to restart within a week. Ukrainian officials said Russia was targeting
grain exports before the harvest; Moscow said it struck military infrastructure.
""")
# Same topic (the war in Ukraine), a different event.
SWAP = Doc(3, "Ukraine and Russia Exchange 150 Prisoners of War", """
Ukraine and Russia each released 150 prisoners of war on Tuesday in an exchange brokered by the
United Arab Emirates, President Volodymyr Zelenskyy said.

Among the Ukrainians returning home were marines captured in Mariupol in 2022 and several
civilians, Zelenskyy wrote on social media, posting pictures of men wrapped in blue and yellow
flags stepping off buses near the Belarus border.

Russia's defence ministry confirmed the swap and said its soldiers were being flown to Moscow for
medical checks. It was the fourth exchange this year. Kyiv's coordination headquarters for
prisoners said thousands of Ukrainians remain in Russian captivity and that talks on the next
exchange had already begun.
""")

# Two outlets, one event: a rate decision.
ECB_A = Doc(10, "ECB holds rates at 2% as inflation settles", """
The European Central Bank left its deposit rate unchanged at 2% on Thursday, saying inflation in
the euro zone had settled close to its target and the economy was holding up better than feared.

President Christine Lagarde told reporters the bank was "in a good place" but would not commit to
a path for future meetings. Policymakers raised their growth forecast for this year to 1.2% from
0.9%, citing stronger consumer spending in Spain and Italy.

Markets had fully priced in the pause. The euro edged up 0.3% against the dollar after the
announcement, while yields on German two-year bonds were little changed.
""")
ECB_B = Doc(11, "European Central Bank keeps deposit rate on hold", """
Euro zone interest rates stay at 2% after the European Central Bank kept borrowing costs on hold at
its Thursday meeting, as expected by investors.

Christine Lagarde said the ECB was "in a good place" with inflation near target, declining to
signal what comes next. The bank's staff lifted their forecast for growth this year to 1.2%, up
from 0.9%, pointing to resilient household spending in southern Europe.

The euro rose 0.3% versus the dollar following the decision. German two-year yields barely moved.
""")
# Same topic (central banks), a different event.
BOE = Doc(12, "Bank of England cuts rates to 3.75% in split vote", """
The Bank of England lowered its main interest rate by a quarter point to 3.75% on Thursday, with
five of the nine members of the Monetary Policy Committee voting for the cut and four preferring
to wait.

Governor Andrew Bailey said inflation in Britain was falling more slowly than hoped, driven by
food prices and wages, and warned that borrowers should not expect a rapid series of further
reductions.

Sterling slipped 0.4% against the dollar and mortgage lenders said they would review their
fixed-rate deals. The bank now expects inflation to return to its 2% target in the second half of
next year.
""")

ALL = [ODESA_A, ODESA_B, SWAP, ECB_A, ECB_B, BOE]


def test_rewrites_of_one_event_are_similar_and_cluster():
    assert similarity(ODESA_A, ODESA_B) > similarity(ODESA_A, SWAP)
    groups = cluster(ALL)
    assert [1, 2] in groups
    assert [10, 11] in groups


def test_same_topic_different_event_stays_apart():
    groups = cluster(ALL)
    assert [3] in groups       # the prisoner swap is not the drone strike
    assert [12] in groups      # the Bank of England cut is not the ECB hold
    for group in groups:
        assert not ({1, 2} & set(group) and 3 in group)
        assert not ({10, 11} & set(group) and 12 in group)


def test_cluster_shape_singletons_sorted_ordered_by_first_id():
    docs = [ECB_B, BOE, ODESA_B, SWAP, ECB_A, ODESA_A]          # shuffled input
    groups = cluster(docs)
    assert sorted(i for g in groups for i in g) == sorted(d.id for d in docs)   # each id once
    assert all(g == sorted(g) for g in groups)
    assert [g[0] for g in groups] == sorted(g[0] for g in groups)


def test_similarity_is_symmetric_and_bounded():
    s = similarity(ECB_A, BOE)
    assert s == similarity(BOE, ECB_A)
    assert 0.0 <= s < similarity(ECB_A, ECB_B) <= 1.0 + 1e-9
    assert similarity(ECB_A, ECB_A) > 0.99


def test_threshold_controls_grouping():
    assert len(cluster(ALL, threshold=0.001)) == 1        # everything shares some word
    assert len(cluster(ALL, threshold=1.01)) == len(ALL)  # nothing is that similar


def test_empty_and_single():
    assert cluster([]) == []
    assert cluster([SWAP]) == [[3]]


def test_large_batch_uses_blocking_and_still_finds_rewrites():
    # 250 unrelated filler stories force the blocked path; the two rewrites must still meet.
    filler = [Doc(100 + k, f"Local council item {k}",
                  f"Councillors in district {k} discussed road repairs number {k} and a library plan {k}.")
              for k in range(250)]
    groups = cluster(filler + [ODESA_A, ODESA_B, SWAP])
    assert [1, 2] in groups
    assert [3] in groups


def test_paragraphs_found_in_three_articles_are_boilerplate_and_weigh_nothing():
    footer = "Compass Wire Service is an independent news agency. Its reports reach 200 newspapers."
    ledes = ["Ports reopened in Gdansk after the storm.", "Farmers in Bavaria protested against diesel taxes.",
             "A museum in Porto returned a stolen painting."]
    bodies = [f"{lede}\n\n{footer}" for lede in ledes]
    common = boilerplate(bodies)
    assert paragraph_key(footer) in common and len(common) == 1
    assert boilerplate(bodies[:2]) == set()                   # two copies may be one story told twice
    a, b = (Doc(k, f"Title {k}", bodies[k]) for k in range(2))
    assert similarity(a, b, common) < similarity(a, b) and similarity(a, b, common) < 0.1


def test_reports_published_further_apart_than_the_window_are_never_one_story():
    t = dt.datetime(2026, 11, 20, 6, tzinfo=dt.timezone.utc)
    a = Doc(ODESA_A.id, ODESA_A.title, ODESA_A.body, t)
    b = Doc(ODESA_B.id, ODESA_B.title, ODESA_B.body, t + dt.timedelta(hours=47))
    assert [1, 2] in cluster([a, b, SWAP])
    late = Doc(ODESA_B.id, ODESA_B.title, ODESA_B.body, t + dt.timedelta(hours=49))
    assert cluster([a, late, SWAP]) == [[1], [2], [3]]
    assert [1, 2] in cluster([a, late, SWAP], window=dt.timedelta(hours=72))
