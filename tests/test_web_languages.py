"""The pages of `digest serve` and the confirmation mail in the reader's language (README, Languages):
a German and a French subscriber's unsubscribe, preference and confirmation pages over real HTTP,
their confirmation mail over a real SMTP server on 127.0.0.1, each with no English string of the
catalogs left in what they read; the sign-up form in `?lang=`'s language, which the new subscriber
keeps; an error page in the page's language.
"""

from __future__ import annotations

import html as htmlmod
import json
import re

import pytest
from babel.messages.pofile import read_po

from conftest import SEEDS, parse
from digest import i18n
from test_languages import Visible, english_fragments
from test_web import Server, client, csrf_of, db, link, server, sub  # noqa: F401  (fixtures)

# What each page must say, in the reader's language (a few words a native reader expects there).
WORDS = {
    "de": {"unsubscribe": ("Von The Digest abmelden?", '<button type="submit">Abmelden</button>'),
           "done": ("Sie sind abgemeldet", "erhält keine Ausgaben von The Digest mehr"),
           "preferences": ("Ihre Einstellungen für The Digest", "Themen", "Wöchentlich", "Einstellungen speichern"),
           "confirm": ("Bitte bestätigen Sie Ihr Abonnement von The Digest", "Abonnement bestätigen",
                       "Der Link gilt 7 Tage lang."),
           "confirmed": ("Ihr Abonnement ist bestätigt",), "one_click": "Abgemeldet.\n"},
    "fr": {"unsubscribe": ("Se désabonner de The Digest\u00a0?", '<button type="submit">Se désabonner</button>'),
           "done": ("Votre désabonnement est confirmé", "ne recevra plus The Digest"),
           "preferences": ("Vos préférences pour The Digest", "Rubriques", "Chaque semaine", "Enregistrer"),
           "confirm": ("Confirmez votre inscription à The Digest", "Je confirme mon inscription",
                       "Ce lien est valable 7 jours."),
           "confirmed": ("Votre inscription est confirmée",), "one_click": "Désabonnement effectué.\n"},
}


def same_words(language: str) -> set[str]:
    """English strings the language writes the same way ("Feeds", "(Atom)" in German): those in one of its translations."""
    with i18n.catalog_path(language).open("rb") as po:
        translated = " ".join(s for m in read_po(po) if m.id
                              for s in (m.string if isinstance(m.string, tuple) else (m.string,)))
    return {e for e in english_fragments() if re.search(rf"(?<![\w-]){re.escape(e)}(?![\w-])", translated)}


def english_left(page: str, language: str = "en") -> list[str]:
    """The catalogs' English strings still in what a reader sees of a page (its text, its title),
    but those the language writes the same way."""
    shown = htmlmod.unescape(" ".join(Visible(page).out) + " " + re.search(r"<title>(.*?)</title>", page, re.S)[1])
    shown = re.sub(r"<option>[^<]*</option>", " ", shown)
    shown = shown.replace("The Digest", " ")      # the newsletter's own name
    same = same_words(language) if language != "en" else set()
    return [e for e in english_fragments() if e not in same and re.search(rf"(?<![\w-]){re.escape(e)}(?![\w-])", shown)]


def speaks(page: str, language: str, *words: str) -> None:
    assert f'<html lang="{language}">' in page
    for word in words:
        assert word in htmlmod.unescape(page), word
    assert english_left(page, language) == [], page[:2000]


@pytest.mark.parametrize("language", ["de", "fr"])
def test_a_subscribers_unsubscribe_and_preference_pages_speak_their_language(db, server, client, language):  # noqa: F811
    assert db("subscribers", "set", "ada@example.org", "--language", language).exit_code == 0
    words = WORDS[language]
    page = client.get(server.url(link("unsubscribe", "ada@example.org")))
    assert page.status_code == 200
    speaks(page.text, language, *words["unsubscribe"])
    done = client.post(server.url(link("unsubscribe", "ada@example.org")), data={"csrf": csrf_of(page.text)})
    speaks(done.text, language, *words["done"])
    prefs = client.get(server.url(link("preferences", "ada@example.org")))
    speaks(prefs.text, language, *words["preferences"])
    bad = client.post(server.url(link("preferences", "ada@example.org")),
                      data={"csrf": csrf_of(prefs.text), "frequency": "hourly", "send_at": "25:99", "timezone": "Paris"})
    assert bad.status_code == 400 and "25:99" in bad.text and "Europe/Paris" in bad.text
    speaks(bad.text, language)
    # Bob has no language of his own: the newsletter's (English) pages.
    bob = client.get(server.url(link("unsubscribe", "bob@example.org")))
    assert '<html lang="en">' in bob.text and "Unsubscribe from The Digest?" in bob.text


@pytest.mark.parametrize("language", ["de", "fr"])
def test_the_one_click_answer_is_in_the_subscribers_language(db, server, client, language):  # noqa: F811
    assert db("subscribers", "set", "ada@example.org", "--language", language).exit_code == 0
    r = client.post(server.url(link("unsubscribe", "ada@example.org")), data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and r.text == WORDS[language]["one_click"]
    assert r.headers["Content-Language"] == language and sub(db, "ada@example.org")["status"] == "unsubscribed"


@pytest.mark.parametrize("language", ["de", "fr"])
def test_the_confirmation_mail_and_page_speak_the_subscribers_language(db, smtp_env, server, client, language):  # noqa: F811
    r = db("subscribers", "add", "new@example.org", "--topic", "World", "--confirm", "--language", language)
    assert r.exit_code == 0, r
    msg = parse(smtp_env.messages[-1][1])
    words = WORDS[language]["confirm"]
    assert msg["Subject"] == words[0]
    text_part, html_part = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text_part["Content-Language"] == language and html_part["Content-Language"] == language
    html, text = html_part.get_content(), text_part.get_content()
    speaks(html, language, *words)
    assert "Confirm" not in text and "days" not in text and i18n.translations(language).gettext(
        "If you did not ask for this, ignore this message: you will not be mailed again unless you confirm.")[:30] in text
    mailed = re.search(r"https://news\.example\.com/c/\S+", text).group(0)
    page = client.get(server.link(mailed))
    speaks(page.text, language, *WORDS[language]["confirmed"])
    assert sub(db, "new@example.org")["status"] == "active"


def test_the_sign_up_form_speaks_lang_and_the_new_subscriber_keeps_it(db, smtp_env, tmp_path):  # noqa: F811
    (tmp_path / "digest.toml").write_text("[web]\nallow_subscribe = true\n")
    srv = Server()
    try:
        import httpx
        with httpx.Client(timeout=10) as c:
            page = c.get(srv.url("/subscribe?lang=fr"))
            speaks(page.text, "fr", "S’abonner à The Digest", "Adresse e-mail")
            wid = re.search(r'name="topic" value="(\d+)"[^>]*> World', page.text).group(1)
            bad = c.post(srv.url("/subscribe"), data={"csrf": csrf_of(page.text), "email": "nope", "lang": "fr"})
            assert bad.status_code == 400
            speaks(bad.text, "fr", "Choisissez au moins une rubrique.", "n’est pas une adresse e-mail valide")
            r = c.post(srv.url("/subscribe"), data={"csrf": csrf_of(page.text), "email": "fan@example.org",
                                                    "topic": wid, "lang": "fr"})
            speaks(r.text, "fr", "Consultez votre boîte de réception")
            assert sub(db, "fan@example.org")["language"] == "fr"
            assert parse(smtp_env.messages[-1][1])["Subject"] == "Confirmez votre inscription à The Digest"
            assert '<html lang="en">' in c.get(srv.url("/subscribe")).text      # the newsletter's language
    finally:
        srv.stop()


def test_an_error_page_speaks_the_pages_language(db, server, client):  # noqa: F811
    r = client.get(server.url("/u/forged-token?lang=de"))
    assert r.status_code == 400
    speaks(r.text, "de", "Dieser Link ist ungültig.")
    r = client.get(server.url("/nowhere?lang=fr"))
    assert r.status_code == 404
    speaks(r.text, "fr", "Page introuvable", "Aucune page ne se trouve à cette adresse.")
    archive = client.get(server.url("/archive/?lang=de"))
    speaks(archive.text, "de", "Frühere Ausgaben", "Bisher wurde noch keine Ausgabe verschickt.")
    english = client.get(server.url("/nowhere")).text
    assert '<html lang="en">' in english and "There is no page at this address." in english


def test_topic_labels_name_the_topics_on_a_readers_pages(db, server, client):  # noqa: F811
    r = db("topics", "rename", "World", "--label", "de=Welt", "--label", "fr=Monde")
    assert r.exit_code == 0, r
    assert db("subscribers", "set", "ada@example.org", "--language", "de").exit_code == 0
    prefs = client.get(server.url(link("preferences", "ada@example.org")))
    assert re.search(r'name="topic" value="\d+" checked> Welt', prefs.text)
    page = client.get(server.url(link("unsubscribe", "ada@example.org")))
    assert "(Europe, Welt)" in htmlmod.unescape(page.text)
    shown = json.loads(db("topics", "show", "World", "--json").stdout)
    assert shown["labels"] == {"de": "Welt", "fr": "Monde"}


def test_the_english_check_sees_english(db, server, client):  # noqa: F811
    page = client.get(server.url(link("preferences", "bob@example.org"))).text
    assert {"Save preferences", "Time zone", "How often"} <= set(english_left(page))


FRENCH_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                 "octobre", "novembre", "décembre")


def test_the_archive_names_an_edition_by_its_date_in_the_pages_language(db, smtp_env, server, client):  # noqa: F811
    assert db("articles", "ingest", SEEDS).exit_code == 0
    assert db("send", "--yes").exit_code == 0
    index = client.get(server.url("/archive/?lang=fr")).text
    key = re.search(r'href="/archive/((?:daily|weekly)-[\d-]+)\?lang=fr"', index) or \
        re.search(r'href="/archive/((?:daily|weekly)-[\d-]+)"', index)
    key = key.group(1)
    year, month, day = (int(p) for p in key.rsplit("-", 3)[1:])
    said = f"{day} {FRENCH_MONTHS[month - 1]} {year}"
    assert said in htmlmod.unescape(index)          # the link reads as a date, not a key
    page = client.get(server.url(f"/archive/{key}?lang=fr")).text
    title = htmlmod.unescape(re.search(r"<title>(.*?)</title>", page, re.S)[1])
    assert said in title and key not in title, title        # a browser tab or bookmark shows the date
    assert said in htmlmod.unescape(re.search(r"<h1>(.*?)</h1>", page, re.S)[1])
    english = client.get(server.url(f"/archive/{key}")).text
    assert re.search(r"<title>\w+day, \d+ \w+ \d{4} · The Digest</title>", english), english[:300]
