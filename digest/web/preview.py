"""`digest preview --serve`: a local web server that shows the current edition of every topic mix.

The index lists every distinct mix of the active subscribers plus each single topic; each mix is
shown as the HTML a client gets, as its plain-text twin and inside a 375 px frame (phone width),
in the newsletter's language or, with `?lang=xx` (the language switch on every page), in any other
digest ships: the frame and the topics' labels as a reader of that language gets them.
Every request opens the database and renders again: the templates are read afresh on every
call, so an edit to templates/ (or the DIGEST_TEMPLATES dir) shows on reload.
It binds to 127.0.0.1 only, because previews carry subscriber data.
May import: config, errors, pipeline (and flask/werkzeug).
"""

from __future__ import annotations

import dataclasses
import socket
import threading
from urllib.parse import urlencode

from flask import Flask, Response, render_template_string, request
from markupsafe import escape
from werkzeug.serving import make_server

from .. import pipeline
from ..config import Config
from ..errors import DigestError, NotFound

HOST = "127.0.0.1"
PHONE_WIDTH = 375


# The server's own pages (not e-mail templates: these never reach a reader, so they live here).
_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0;padding:16px 24px;color:#1a1f24;background:#f6f8fa}
a{color:#0a58ca} table{border-collapse:collapse;background:#fff} th,td{padding:6px 12px;border:1px solid #d8dee4;text-align:left}
nav{margin:0 0 12px} nav a{margin-right:12px} .lint{margin:0 0 12px;padding:8px 12px;background:#fff;border:1px solid #d8dee4}
.warn{color:#a4161a} pre{background:#fff;border:1px solid #d8dee4;padding:12px;overflow:auto}
iframe{width:{{ phone }}px;height:80vh;border:1px solid #8a949e;background:#fff}
</style></head><body>
<nav id="languages">Language: {% for lang, url in languages %}{% if lang == language %}<strong>{{ lang }}</strong>{% else %}<a href="{{ url }}" hreflang="{{ lang }}">{{ lang }}</a>{% endif %}{% if not loop.last %} &middot; {% endif %}{% endfor %}</nav>
{% if mix %}<nav><a href="{{ home }}">All mixes</a>
<a href="{{ link('html') }}">HTML</a><a href="{{ link('text') }}">Text</a><a href="{{ link('phone') }}">Phone ({{ phone }} px)</a>
<a href="{{ link('eml') }}">.eml</a></nav>
<h1>{{ mix }}</h1>
<p>{{ preview.body.view.subject }} &middot; {{ items }} {{ "story" if items == 1 else "stories" }}</p>
<div class="lint"><strong>lint:</strong> <span id="lint-summary">{{ lint_summary }}</span>
{% for w in preview.lint.warnings %}<div class="warn">{{ w }}</div>{% endfor %}</div>
{% endif %}
{{ content|safe }}
</body></html>
"""

_INDEX = """<h1>{{ newsletter }}: current editions</h1>
<p>Every topic mix of the active subscribers, then each single topic. Pages are rendered on every
request from {{ dirs }}: edit a template and reload.</p>
<table id="mixes"><tr><th>topic mix</th><th>subscribers</th><th>stories</th><th>views</th></tr>
{% for m in mixes %}<tr class="mix" data-mix="{{ m.mix }}"><td>{{ m.mix }}</td><td>{{ m.subscribers }}</td>
<td>{{ m.stories }}</td><td><a href="{{ link(m.mix, 'html') }}">HTML</a> &middot;
<a href="{{ link(m.mix, 'text') }}">text</a> &middot; <a href="{{ link(m.mix, 'phone') }}">phone</a></td></tr>
{% else %}<tr><td colspan="4">No topics yet: run <code>digest init</code> and <code>digest articles ingest</code>.</td></tr>
{% endfor %}</table>
"""


def _link(mix: str | None, view: str, lang: str | None = None) -> str:
    return f"/{view}?" + urlencode({"mix": mix, **({"lang": lang} if lang else {})})


def _languages(view: str, mix: str | None) -> list[tuple[str, str]]:
    """The language switch: this page in every language digest ships."""
    here = (lambda lang: _link(mix, view, lang)) if mix else (lambda lang: "/?" + urlencode({"lang": lang}))
    return [(lang, here(lang)) for lang in pipeline.languages()]


def create_app(cfg: Config, *, frequency: str = "daily") -> Flask:
    app = Flask(__name__)

    def db():
        return pipeline.open_database(cfg)

    def asked() -> str | None:
        """The language `?lang=` asks for (None: the newsletter's); one digest does not ship (a catalog, or
        written right to left) is an error."""
        lang = request.args.get("lang") or None
        if lang is not None and not pipeline.accepts(lang):
            raise DigestError(f"?lang={lang} is not a language digest ships.",
                              f"Use one of: {', '.join(pipeline.languages())}.")
        return lang

    def preview_of(mix: str) -> pipeline.Preview:
        if not mix:
            raise NotFound("No topic mix given.", "Pick one on the index page, e.g. /html?mix=Europe%2BWorld.")
        lang = asked()
        conn = db()
        try:
            return pipeline.preview_mix(conn, dataclasses.replace(cfg, language=lang) if lang else cfg, mix,
                                        frequency=frequency)
        finally:
            conn.close()

    def page(title: str, content: str = "", mix: str | None = None, preview: pipeline.Preview | None = None,
             view: str = "text") -> str:
        lang = request.args.get("lang") if pipeline.accepts(request.args.get("lang") or "") else None
        return render_template_string(
            _PAGE, title=title, content=content, mix=mix, preview=preview, phone=PHONE_WIDTH,
            link=lambda to: _link(mix, to, lang), home="/?" + urlencode({"lang": lang}) if lang else "/",
            languages=_languages(view, mix), language=lang or cfg.language,
            lint_summary=pipeline.lint_summary(preview.lint) if preview else "",
            items=preview.body.view.stories if preview else 0)

    @app.after_request
    def no_cache(resp: Response) -> Response:
        # A reload must show the template as it is now, never a browser-cached copy.
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.errorhandler(DigestError)
    def digest_error(exc: DigestError) -> tuple[str, int]:
        status = 404 if isinstance(exc, NotFound) else 400
        return page("Error", f"<p class='warn'>Error: {_esc(str(exc))}</p><p><a href='/'>All mixes</a></p>"), status

    @app.get("/")
    def index():
        conn = db()
        try:
            mixes = pipeline.preview_mixes(conn, cfg, frequency=frequency)
        finally:
            conn.close()
        dirs = (f"{cfg.templates_dir} then " if cfg.templates_dir else "") + "the built-in templates/"
        lang = asked()
        body = render_template_string(_INDEX, mixes=mixes, newsletter=cfg.newsletter, dirs=dirs,
                                      link=lambda mix, view: _link(mix, view, lang))
        return page(f"{cfg.newsletter}: preview", body)

    @app.get("/html")
    def html_view():
        # Exactly the HTML part a client decodes, with no preview chrome around it.
        return Response(preview_of(request.args.get("mix", "")).html, mimetype="text/html")

    @app.get("/text")
    def text_view():
        mix = request.args.get("mix", "")
        p = preview_of(mix)
        return page(f"{mix}: text", f"<pre id='text'>{_esc(p.text or '')}</pre>", mix, p)

    @app.get("/phone")
    def phone_view():
        mix = request.args.get("mix", "")
        p = preview_of(mix)
        src = _link(mix, "html", request.args.get("lang"))
        frame = f"<iframe id='phone' title='{_esc(mix)} at {PHONE_WIDTH} px' src='{_esc(src)}'></iframe>"
        return page(f"{mix}: phone", frame, mix, p, view="phone")

    @app.get("/eml")
    def eml_view():
        mix = request.args.get("mix", "")
        name = pipeline.mix_file_name(mix) or "digest"
        return Response(preview_of(mix).eml, mimetype="message/rfc822",
                        headers={"Content-Disposition": f'attachment; filename="{name}.eml"'})

    return app


def _esc(value: str) -> str:
    return str(escape(value))


class PreviewServer:
    """`with PreviewServer(cfg, port=0) as srv:` serves in a background thread at `srv.url`;
    `PreviewServer(cfg, port).serve_forever()` serves in the foreground."""

    def __init__(self, cfg: Config, *, port: int = 8040, frequency: str = "daily"):
        pipeline.open_database(cfg).close()    # a missing database fails here, not on the first page
        # Bind here rather than in werkzeug, which prints and exits on a busy port instead of raising.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # restart right after Ctrl-C
        try:
            sock.bind((HOST, port))
            sock.listen(64)
        except OSError as exc:
            sock.close()
            raise DigestError(f"Cannot listen on {HOST}:{port} ({exc.strerror}).",
                              "Pass --port with another number, or --port 0 for any free port.") from None
        try:
            self._server = make_server(HOST, port, create_app(cfg, frequency=frequency), threaded=True,
                                       fd=sock.fileno())
        finally:
            sock.close()   # werkzeug serves on its own duplicate of the descriptor
        self.port = self._server.socket.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}/"
        self._thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def __enter__(self) -> PreviewServer:
        # A short poll interval so that leaving the block (shutdown) takes milliseconds, not half a second.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join()
