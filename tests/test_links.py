"""Every link in a sent digest works.

`digest demo` sends its edition over real SMTP (aiosmtpd on 127.0.0.1) with DIGEST_BASE_URL
pointing at a real `digest serve` (a subprocess on a free port). Both parts of every received
message are parsed, and every http(s) link that points at the base URL is followed: the article
pages, "View in your browser", the "N more" links to the archive, and that message's own
unsubscribe and preferences links. Each must answer 200, and so must every link to the site on
the pages they lead to (one level further: the archive, its feeds, the other reports of a story).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser

import httpx
import pytest

from conftest import parse
from smtp_server import announced_port


class Hrefs(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def links(html: str, text: str, base: str) -> set[str]:
    found = Hrefs(html).hrefs + re.findall(r"https?://\S+", text)
    return {u for u in found if u.startswith(base + "/")}


@pytest.fixture
def site(run, tmp_path, monkeypatch):
    """`digest serve` on a free port of 127.0.0.1, and DIGEST_BASE_URL pointing at it."""
    assert run("init").exit_code == 0
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "digest.cli", "serve", "--port", "0"],
                            env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        port = announced_port(tmp_path / "serve.log", proc)
        base = f"http://127.0.0.1:{port}"
        monkeypatch.setenv("DIGEST_BASE_URL", base)     # the sends after start-up link to this server
        deadline = time.monotonic() + 60           # waiting for start-up only; nothing here is timed
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "digest serve did not start"
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def test_every_link_to_the_site_in_every_sent_message_answers_200(run, site, smtp_env, monkeypatch):
    monkeypatch.setenv("DIGEST_MAX_STORIES", "8")     # past the cap, stories are "+ N more" links: check those too
    r = run("demo")
    assert r.exit_code == 0, r
    assert smtp_env.messages
    checked: dict[str, int] = {}
    kinds: set[str] = set()
    with httpx.Client(timeout=20) as client:
        def get(url: str) -> httpx.Response:
            response = client.get(url)
            checked[url] = response.status_code
            return response

        for rcpts, data in smtp_env.messages:
            msg = parse(data)
            html = msg.get_body(("html",)).get_content()
            text = msg.get_body(("plain",)).get_content()
            mine = links(html, text, site)
            unsubscribe = msg["List-Unsubscribe"].split("<", 1)[1].split(">", 1)[0]
            assert unsubscribe in mine, rcpts                         # this message's own token, in the body
            assert any(u.startswith(f"{site}/p/") for u in mine), rcpts
            assert any(re.fullmatch(rf"{site}/archive/[\w-]+", u) for u in mine), rcpts   # View in your browser
            assert any(u.startswith(f"{site}/articles/") for u in mine), rcpts
            for url in sorted(mine):
                kinds.add(url[len(site):].split("/")[1].split("#")[0])
                response = get(url)
                assert response.status_code == 200, f"{url} in the message to {rcpts[0]}: {response.status_code}"
                if url.startswith((f"{site}/archive/", f"{site}/articles/")):
                    for deeper in {u for u in Hrefs(response.text).hrefs
                                   if u.startswith("/") or u.startswith(site + "/")} - set(checked):
                        deeper = site + deeper if deeper.startswith("/") else deeper
                        assert get(deeper).status_code == 200, f"{deeper}, linked from {url}"
    assert {"articles", "archive", "u", "p"} <= kinds
    assert any("#" in u for u in checked)                              # an "N more" link was among them
    assert all(code == 200 for code in checked.values())
