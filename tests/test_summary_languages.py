"""Blurbs of German, French and Spanish articles: whole sentences in the article's own language
(not cut after "z.", "6." or "M."), quotations „…“ and « … » kept whole, and the standalone rules
with each language's words. The articles were written for these tests."""

from __future__ import annotations

import pytest

from digest.summarize import split_sentences, summarize

GERMAN = """Die Stadt Leipzig will bis 2030 rund 40 neue Radwege bauen, z. B. entlang der Ringstraße. \
Der Stadtrat beschloss den Plan am 6. Dezember mit großer Mehrheit.

Jedoch kritisierte die Opposition die Kosten von 120 Millionen Euro. Diese Summe sei zu hoch, hieß es.

Die Bauarbeiten beginnen am 3. Oktober mit dem Abschnitt Nr. 1 am Hauptbahnhof.

„Wir holen nach, was jahrelang versäumt wurde.“ Das sagte Oberbürgermeisterin Petra Lindner am Dienstag."""

FRENCH = """Le conseil régional de Bretagne a adopté jeudi un plan de 300 millions d'euros pour les lignes de \
car, p. ex. entre Rennes et Vannes. M. Le Guen, président de la commission, a présenté le texte.

Cette décision intervient après deux ans de concertation. Cependant, les syndicats réclament plus de chauffeurs.

Les nouvelles lignes ouvriront en septembre, a précisé la région.

« Nous voulons un car toutes les heures. » La présidente Claire Morvan l'a répété devant les élus."""

SPANISH = """El Ayuntamiento de Valencia aprobó el lunes un plan de 85 millones de euros para renovar el \
alumbrado público, p. ej. en los barrios del norte. La Sra. Ferrer presentó el proyecto ante el pleno.

Sin embargo, la oposición criticó el calendario de las obras. Esta medida llega tras dos años de retrasos.

Las obras comenzarán en marzo y durarán 18 meses, según el consistorio.

«Será la mayor inversión en la ciudad desde 2015.» Así lo afirmó la alcaldesa, Marta Roig, en rueda de prensa."""

ARTICLES = {"de": GERMAN, "fr": FRENCH, "es": SPANISH}


@pytest.mark.parametrize("language, text, sentences", [
    ("de", "Der Rat plant mehr Grün, z. B. in der Altstadt. Er stimmt am 6. Dezember ab. Dr. Keller ist dafür.",
     ["Der Rat plant mehr Grün, z. B. in der Altstadt.", "Er stimmt am 6. Dezember ab.", "Dr. Keller ist dafür."]),
    ("de", "Zug Nr. 12 fährt ab dem 3. Oktober. Es gibt Busse, Bahnen usw. Gezählt wird ab Januar.",
     ["Zug Nr. 12 fährt ab dem 3. Oktober.", "Es gibt Busse, Bahnen usw.", "Gezählt wird ab Januar."]),
    ("de", "„Wir sind bereit.“ Das sagte die Ministerin.", ["„Wir sind bereit.“", "Das sagte die Ministerin."]),
    ("fr", "M. Roux et Mme Petit ont signé. La société Dalis S.A. recrute, p. ex. à Lyon. Les élus approuvent.",
     ["M. Roux et Mme Petit ont signé.", "La société Dalis S.A. recrute, p. ex. à Lyon.", "Les élus approuvent."]),
    ("fr", "« Nous ne céderons pas. » Le ministre l'a répété.", ["« Nous ne céderons pas. »", "Le ministre l'a répété."]),
    ("es", "El Sr. Vidal y la Sra. Soto firmaron, p. ej. el contrato. La cumbre con EE. UU. será en Madrid. Habrá 30 países.",
     ["El Sr. Vidal y la Sra. Soto firmaron, p. ej. el contrato.", "La cumbre con EE. UU. será en Madrid.",
      "Habrá 30 países."]),
    ("es", "«No habrá recortes.» Así lo dijo la ministra.", ["«No habrá recortes.»", "Así lo dijo la ministra."]),
])
def test_each_language_splits_at_its_sentences_not_its_abbreviations(language, text, sentences):
    assert split_sentences(text, language=language) == sentences


def test_the_english_rules_would_cut_a_german_ordinal_that_the_german_rules_keep():
    text = "Der Gipfel beginnt am 6. Dezember in Bonn."
    assert split_sentences(text) == ["Der Gipfel beginnt am 6.", "Dezember in Bonn."]
    assert split_sentences(text, language="de") == [text]


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_a_blurb_is_whole_sentences_of_the_article(language):
    s = summarize("Titel", ARTICLES[language], language=language)
    sentences = split_sentences(ARTICLES[language], language=language)
    assert s.summary == " ".join(sentences[i] for i in s.sentences)
    assert s.sentences[0] == 0                                  # the lede opens it
    assert s.summary.startswith(sentences[0]) and sentences[0].endswith(".")
    for cut in ("z.", "6.", " M.", "p.", "ej.", "ex."):
        assert not s.summary.endswith(cut)


@pytest.mark.parametrize("language, words", [
    ("de", ["Jedoch", "Diese Summe", "hieß es", "Das sagte"]),
    ("fr", ["Cette décision", "Cependant", "M. Le Guen", "l'a répété"]),
    ("es", ["Sin embargo", "Esta medida", "Sra. Ferrer", "Así lo"]),
])
def test_a_sentence_that_points_back_or_names_a_stranger_stays_out(language, words):
    s = summarize("Titel", ARTICLES[language], language=language)
    for w in words:
        assert w not in s.summary


@pytest.mark.parametrize("language, opening", [
    ("de", "Jedoch wurde die Abstimmung vertagt, weil zwei Ratsmitglieder fehlten."),
    ("fr", "Cependant, le vote a été reporté faute de quorum au conseil municipal."),
    ("es", "Sin embargo, la votación se aplazó por la ausencia de dos concejales."),
])
def test_a_back_reference_opening_is_not_the_lede(language, opening):
    body = opening + "\n\n" + ARTICLES[language]
    s = summarize("Titel", body, language=language)
    assert not s.summary.startswith(opening.split()[0])
    assert s.summary.startswith(split_sentences(ARTICLES[language], language=language)[0])


def test_a_german_quotation_in_the_blurb_comes_whole_with_its_speaker():
    body = ("Die Deutsche Bahn stellt ab Montag 200 neue Züge in Dienst. „Das ist ein großer Tag für alle "
            "Fahrgäste im ganzen Land“, sagte Bahnchefin Ute Brand am Sonntag.")
    s = summarize("Neue Züge", body, language="de")
    assert s.summary.count("„") == s.summary.count("“")
    assert "„Das ist" not in s.summary or "sagte Bahnchefin Ute Brand" in s.summary


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_the_headline_is_the_editors_whole_title(language):
    title = {"de": "Leipzig baut 40 neue Radwege – z. B. am Ring", "fr": "M. Le Guen présente le plan car",
             "es": "Valencia renovará el alumbrado con 85 millones de euros, p. ej. en el norte"}[language]
    assert summarize(title, ARTICLES[language], language=language).headline == title


@pytest.mark.parametrize("language, body, headline", [
    ("de", "Die Deutsche Bahn stellt ab dem 14. Dezember 200 neue Züge in Dienst. Sie fahren in Bayern.",
     "Die Deutsche Bahn stellt ab dem 14. Dezember 200 neue Züge in Dienst"),
    ("es", "Madrid acogerá en marzo una cumbre sobre el agua con delegaciones de 40 países de todo el mundo. "
           "Habrá 30 ministros.", "Madrid acogerá en marzo una cumbre sobre el agua con delegaciones…"),
])
def test_an_untitled_article_is_headed_by_its_lede_in_its_language(language, body, headline):
    # Never cut at the ordinal's full stop, and never on a function word ("… delegaciones de…").
    assert summarize(None, body, language=language).headline == headline
