"""A topic's name in each language of the frame (README, Languages): `digest topics rename Politics
--label de=Politik` stores it (m017), `topics list` and `topics show` print it, and one edition sent
over a real SMTP server on 127.0.0.1 names the topic "Politik" in the German reader's contents,
section heading and footer, "Politics" in the English reader's.
"""

from __future__ import annotations

import json
import re

from conftest import SEEDS, parse
from test_languages import Visible


def test_labels_are_stored_listed_and_checked(run):
    assert run("init").exit_code == 0
    r = run("topics", "rename", "Politics", "--label", "de=Politik", "--label", "fr-FR=Politique")
    assert r.exit_code == 0, r
    assert "de=Politik, fr=Politique" in r.stderr
    listed = run("topics", "list")
    assert re.search(r"Politics .*de=Politik, fr=Politique", listed.stdout), listed.stdout
    rows = {t["name"]: t for t in json.loads(run("topics", "list", "--json").stdout)}
    assert rows["Politics"]["labels"] == {"de": "Politik", "fr": "Politique"} and rows["World"]["labels"] == {}
    # A rename keeps the labels; `LANG=` drops one; an unknown language is refused before anything changes.
    assert run("topics", "rename", "Politics", "Government", "--label", "fr=").exit_code == 0
    assert json.loads(run("topics", "show", "Government", "--json").stdout)["labels"] == {"de": "Politik"}
    bad = run("topics", "rename", "Government", "Politics", "--label", "dee=Politik")
    assert bad.exit_code != 0 and "--label dee = 'dee' is not a language digest ships: did you mean de?" in bad.stderr
    assert json.loads(run("topics", "show", "Government", "--json").stdout)["name"] == "Government"
    assert run("topics", "rename", "Government", "--label", "Politik").exit_code != 0     # not LANG=LABEL
    assert run("topics", "rename", "Government").exit_code != 0                            # nothing to do


def test_one_edition_names_the_topic_in_each_readers_language(run, smtp_env):
    assert run("init").exit_code == 0
    assert run("articles", "ingest", SEEDS).exit_code == 0
    assert run("topics", "rename", "Politics", "--label", "de=Politik", "--label", "fr=Politique").exit_code == 0
    assert run("subscribers", "add", "en@example.org", "--topic", "Politics", "--topic", "Europe").exit_code == 0
    r = run("subscribers", "add", "de@example.org", "--topic", "Politics", "--topic", "Europe", "--language", "de")
    assert r.exit_code == 0, r
    r = run("send", "--yes")
    assert r.exit_code == 0, r
    received = {rcpts[0]: parse(data) for rcpts, data in smtp_env.messages}
    parts = {email: (m.get_body(("html",)).get_content(),
                     m.get_body(("plain",)).get_content().replace("\r\n", "\n")) for email, m in received.items()}
    de_html, de_text = parts["de@example.org"]
    en_html, en_text = parts["en@example.org"]
    # The section heading and its contents entry, in both parts; and the footer's "you subscribed to".
    assert re.search(r'<h2 class="topic"[^>]*>Politik</h2>', de_html)
    assert re.search(r'<p class="toc-topic"[^>]*>Politik</p>', de_html)
    assert re.search(r"^Politik\n=======$", de_text, re.M)
    assert "weil Sie Europe, Politik abonniert haben" in " ".join(" ".join(Visible(de_html).out).split())
    assert re.search(r'<h2 class="topic"[^>]*>Politics</h2>', en_html) and "Politik" not in en_html + en_text
    assert "you subscribed to Europe, Politics" in " ".join(" ".join(Visible(en_html).out).split())
    assert not re.search(r'<h2 class="topic"[^>]*>Politics</h2>', de_html)
