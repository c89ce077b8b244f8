"""The article's language (#23 item 4): read from JSON Lines, a feed or a watched folder's setting,
else detected; stored, shown by `digest articles show`, and the summarizer reads the article in
it, so German, French and Spanish blurbs end on whole sentences. The articles were written for
these tests."""

from __future__ import annotations

import json
import re

import pytest

from digest import config, pipeline
from digest.db import Database
from digest.errors import ConfigError
from digest.readers import feeds

GERMAN_TXT = """Europe
Leipzig baut 40 neue Radwege
Leipzig baut 40 neue Radwege

Die Stadt Leipzig will bis 2030 rund 40 neue Radwege bauen, z. B. entlang der Ringstraße. Der Stadtrat \
beschloss den Plan am 6. Dezember mit großer Mehrheit.

Jedoch kritisierte die Opposition die Kosten von 120 Millionen Euro. Diese Summe sei zu hoch, hieß es.

Die Bauarbeiten beginnen am 3. Oktober mit dem Abschnitt Nr. 1 am Hauptbahnhof.
"""

FRENCH_TXT = """Europe
La Bretagne relance ses lignes de car
La Bretagne relance ses lignes de car

M. Le Guen a présenté jeudi au conseil régional un plan de 300 millions d'euros pour les lignes de car, \
p. ex. entre Rennes et Vannes. Le vote a eu lieu à l'unanimité.

Cependant, les syndicats réclament plus de chauffeurs. Cette décision intervient après deux ans de concertation.

Les nouvelles lignes ouvriront en septembre, a précisé la région.
"""

SPANISH_TXT = """World
Valencia renovará su alumbrado público
Valencia renovará su alumbrado público

El Ayuntamiento de Valencia aprobó el lunes un plan de 85 millones de euros para renovar el alumbrado \
público, p. ej. en los barrios del norte. La Sra. Ferrer presentó el proyecto ante el pleno.

Sin embargo, la oposición criticó el calendario de las obras. Esta medida llega tras dos años de retrasos.

Las obras comenzarán en marzo y durarán 18 meses, según el consistorio.
"""

GERMAN_JSON = {"title": "Bahn stellt 200 neue Züge in Dienst", "labels": "World", "body": (
    "Die Deutsche Bahn stellt ab dem 14. Dezember 200 neue Regionalzüge in Dienst, u. a. in Bayern und Sachsen. "
    "Der Konzern investiert dafür rund 2,4 Mrd. Euro.\n\nAußerdem sollen bis 2028 weitere 80 Züge folgen. "
    "Dieser Schritt sei überfällig, sagte ein Sprecher.\n\nDie ersten Züge fahren auf der Linie Nr. 7 zwischen "
    "Dresden und Leipzig.")}
SPANISH_JSON = {"title": "Madrid acoge la cumbre del agua", "labels": ["World"], "body": (
    "Madrid acogerá en marzo una cumbre sobre el agua con delegaciones de 40 países, incluido EE. UU. "
    "El Gobierno espera cerrar un acuerdo sobre la gestión de los ríos compartidos.\n\nAdemás, el Sr. Molina "
    "presentará un informe. Este documento recoge datos de 12 cuencas.")}

FRENCH_JSON = {"title": "Lyon ouvre sa deuxième ligne de métro automatique", "labels": ["Europe"], "body": (
    "La métropole de Lyon a inauguré samedi une ligne de métro automatique de 9 km, p. ex. jusqu'à Vénissieux, "
    "pour 1,2 milliard d'euros. « Elle transportera 80 000 voyageurs par jour. » M. Garnier l'a annoncé devant "
    "les élus.\n\nPar ailleurs, deux stations ouvriront en 2027. Ce chantier a duré six ans.")}

def show(run, article_id: int):
    r = run("articles", "show", article_id)
    assert r.exit_code == 0, r
    return r.stdout


def shown(run, article_id: int) -> dict:
    r = run("articles", "show", article_id, "--json")
    assert r.exit_code == 0, r
    return json.loads(r.stdout)


def ingest(run, path, *extra):
    assert run("init").exit_code == 0
    r = run("articles", "ingest", path, *extra)
    assert r.exit_code == 0, r
    return r


@pytest.mark.parametrize("text, language, lede_end, kept_out", [
    (GERMAN_TXT, "de", "am 6. Dezember mit großer Mehrheit.", ["Jedoch", "Diese Summe"]),
    (FRENCH_TXT, "fr", "p. ex. entre Rennes et Vannes.", ["Cependant", "Cette décision"]),
    (SPANISH_TXT, "es", "p. ej. en los barrios del norte.", ["Sin embargo", "Esta medida", "Sra. Ferrer"]),
])
def test_a_page_as_text_article_is_detected_and_its_blurb_is_whole_sentences(run, tmp_path, text, language,
                                                                              lede_end, kept_out):
    (tmp_path / "story.txt").write_text(text, encoding="utf-8")
    ingest(run, tmp_path / "story.txt")
    out = show(run, 1)
    assert re.search(rf"^Language: {language}$", out, re.M)
    detail = shown(run, 1)
    assert detail["language"] == language
    summary = detail["summary"]
    first = detail["machine"]["sentences"][0]["text"]
    assert first.endswith(lede_end) or summary.split(". ")[0] in first
    assert summary.endswith(".") and not re.search(r"\b(?:z|p|M|ej|ex|Nr|Sra)\.$", summary)
    assert summary == " ".join(s["text"] for s in detail["machine"]["sentences"])
    for words in kept_out:
        assert words not in summary
    assert detail["headline"] == text.splitlines()[1]          # the editor's whole title


def test_json_lines_give_the_language_and_the_blurb_is_read_in_it(run, tmp_path):
    lines = [{**GERMAN_JSON, "language": "de-DE"}, {**SPANISH_JSON, "language": "es"},
             {**FRENCH_JSON, "language": "FR"}]
    (tmp_path / "wire.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    r = ingest(run, tmp_path / "wire.jsonl")
    assert "not read" not in r.stderr                          # "language" is a field JSON Lines know
    german, spanish = shown(run, 1), shown(run, 2)
    assert (german["language"], spanish["language"]) == ("de", "es")
    assert german["summary"].startswith("Die Deutsche Bahn stellt ab dem 14. Dezember 200 neue Regionalzüge "
                                        "in Dienst, u. a. in Bayern und Sachsen.")
    assert "Außerdem" not in german["summary"] and "Dieser Schritt" not in german["summary"]
    assert spanish["summary"].startswith("Madrid acogerá en marzo una cumbre sobre el agua con delegaciones de "
                                         "40 países, incluido EE. UU. El Gobierno espera")
    assert "Además" not in spanish["summary"] and "Este documento" not in spanish["summary"]
    french = shown(run, 3)
    assert french["language"] == "fr"
    assert french["summary"] == ("La métropole de Lyon a inauguré samedi une ligne de métro automatique de 9 km, "
                                 "p. ex. jusqu'à Vénissieux, pour 1,2 milliard d'euros.")   # nothing else stands alone


def test_a_json_line_without_a_language_is_detected(run, tmp_path):
    (tmp_path / "wire.jsonl").write_text(json.dumps(GERMAN_JSON, ensure_ascii=False), encoding="utf-8")
    ingest(run, tmp_path / "wire.jsonl")
    assert shown(run, 1)["language"] == "de"


def test_a_language_that_is_no_tag_is_an_error_naming_the_field_and_line(run, tmp_path):
    (tmp_path / "wire.jsonl").write_text(json.dumps({**GERMAN_JSON, "language": "Deutsch (Schweiz)"}))
    assert run("init").exit_code == 0
    r = run("articles", "ingest", tmp_path / "wire.jsonl")
    assert r.exit_code == 1
    assert 'wire.jsonl:1: field "language" is not a language tag' in r.stderr


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Le Fil</title><link>https://fil.example/</link><language>fr-FR</language>
  <item><title>Grève à la SNCF</title><link>https://fil.example/1</link>
    <description>Les cheminots ont cessé le travail mardi, p. ex. à Lyon et à Lille.</description></item>
</channel></rss>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de"><title>Draht</title><id>urn:x</id>
  <entry><title>Streik bei der Bahn</title><id>urn:1</id><link href="https://draht.example/1"/>
    <content type="html">&lt;p&gt;Die Lokführer streiken am 6. Dezember, z. B. in Berlin.&lt;/p&gt;</content></entry>
  <entry xml:lang="es"><title>Huelga de trenes</title><id>urn:2</id><link href="https://draht.example/2"/>
    <content type="html">&lt;p&gt;Los maquinistas irán a la huelga el lunes.&lt;/p&gt;</content></entry>
</feed>"""


def test_a_feed_gives_the_language_of_its_entries():
    assert [a.language for a in feeds.parse(RSS.encode(), origin="fil.rss")[0]] == ["fr"]
    assert [a.language for a in feeds.parse(ATOM.encode(), origin="draht.atom")[0]] == ["de", "es"]


def test_a_feed_file_ingested_stores_the_feeds_language(run, tmp_path):
    (tmp_path / "draht.atom").write_text(ATOM, encoding="utf-8")
    ingest(run, tmp_path / "draht.atom", "--topic", "World")
    assert [shown(run, i)["language"] for i in (1, 2)] == ["de", "es"]
    assert shown(run, 1)["summary"] == "Die Lokführer streiken am 6. Dezember, z. B. in Berlin."


def test_a_watched_folders_language_is_given_to_its_articles(run, tmp_path):
    (tmp_path / "digest.toml").write_text('[ingest]\nfolders = [{path = "wires/", language = "es"}]\n')
    (tmp_path / "wires").mkdir()
    # Short enough that a detector could be unsure; the folder says what it is.
    (tmp_path / "wires" / "a.txt").write_text("World\nCierre del puerto\n\nEl puerto cierra hoy por obras en el "
                                              "muelle norte.\n", encoding="utf-8")
    (tmp_path / "wires" / "b.jsonl").write_text(json.dumps({**GERMAN_JSON, "language": "de"}), encoding="utf-8")
    assert run("init").exit_code == 0
    cfg = config.load()
    assert cfg.ingest.folder_languages == {(tmp_path / "wires").resolve(): "es"}
    store = Database.open(cfg.db, create=False)
    try:
        report = pipeline.ingest(store, folders=cfg.ingest.folders, folder_languages=cfg.ingest.folder_languages)
    finally:
        store.close()
    assert len(report.added) == 2
    by_title = {shown(run, i)["title"]: shown(run, i)["language"] for i in (1, 2)}
    assert by_title == {"Cierre del puerto": "es", GERMAN_JSON["title"]: "de"}   # a line's own language wins


def test_a_folders_language_that_is_no_tag_is_refused_with_an_example(tmp_path):
    (tmp_path / "digest.toml").write_text('[ingest]\nfolders = [{path = "wires/", language = "Spanish!"}]\n')
    with pytest.raises(ConfigError, match="is not a language tag") as err:
        config.load()
    assert 'language = "de"' in (err.value.hint or "")


def test_an_english_article_is_detected_as_english_and_summarized_as_before(run, tmp_path):
    (tmp_path / "story.txt").write_text("World\nBridge Closes for Repair\nBridge Closes for Repair\n\nThe city "
                                        "council voted on Tuesday to close the Riverside bridge for a two-year "
                                        "repair. Engineers found corrosion in 14 of its 40 steel supports.\n",
                                        encoding="utf-8")
    ingest(run, tmp_path / "story.txt")
    assert shown(run, 1)["language"] == "en"
    assert "Language: en" in show(run, 1)


def test_a_german_lead_storys_preheader_is_a_whole_german_sentence(run, tmp_path):
    story = {"title": "Gipfel in Bonn", "labels": "Europe", "language": "de", "body": (
        "Die Außenminister der EU treffen sich am 6. Dezember in Bonn zu einem Sondergipfel, auf dem sie über "
        "die Hilfe für die Ukraine, die Sanktionen gegen Russland und den Haushalt für 2027 beraten wollen. "
        "Beraten wird u. a. über die Hilfe für die Ukraine.")}
    (tmp_path / "wire.jsonl").write_text(json.dumps(story, ensure_ascii=False), encoding="utf-8")
    ingest(run, tmp_path / "wire.jsonl")
    r = run("preview", "--topic", "Europe", "--format", "html")
    assert r.exit_code == 0, r
    preheader = re.search(r'<div class="preheader"[^>]*>([^<]*)', r.stdout).group(1)
    # The sentence is longer than the preheader's 140 characters: it is shortened, not cut after "am 6."
    assert preheader.startswith("Die Außenminister der EU treffen sich am 6. Dezember in Bonn zu einem Sondergipfel,")
