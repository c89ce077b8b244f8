"""The subscriber web app: confirm, change preferences, unsubscribe, read past editions and articles.

A small Flask app, served in production by waitress (`digest serve`). Every personal page is
reached through a signed token (digest.lists.tokens) bound to one subscriber and one purpose; a forged,
altered, expired or wrong-purpose token gets a plain 400 page and never anyone's data. Forms carry
a signed CSRF token tied to the form, its subscriber and a nonce cookie; the RFC 8058 one-click
POST is exempt by design (mail clients send it without a page) but still needs the signed URL.
Pages are plain HTML that works without JavaScript. The app opens its own database connection per
request, so waitress's threads never share one. Every page speaks the reader's language (speech):
a personal page its subscriber's, the others `?lang=` or the newsletter's.
May import: config, errors, models, pipeline, resources, lists.tokens, and .forms/.speech.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

import jinja2
from flask import Flask, Response, abort, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from .. import pipeline, resources
from ..config import DEMO_SECRET, Config, check_secret
from ..errors import ConfigError, DigestError, NotFound
from ..lists import tokens
from ..models import FREQUENCIES, Subscriber
from . import forms, speech
from .speech import gettext as _

COOKIE = "digest_csrf"
PRIVATE_PREFIXES = ("/u/", "/p/", "/c/", "/subscribe")
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: https:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


def create_app(cfg: Config, *, demo: bool = False) -> Flask:
    """Build the app. Refuses without a strong DIGEST_SECRET (the one the sender signs links with),
    unless demo: then it signs with the public demo secret when none is set."""
    if not cfg.secret:
        if not demo:
            raise ConfigError("DIGEST_SECRET is not set, so the web app cannot check any link.",
                              "Set DIGEST_SECRET to the same long random string the sender uses "
                              "(for example `openssl rand -hex 32`), or try it with `digest serve --demo`.")
        cfg.secret = DEMO_SECRET
    if not demo:
        check_secret(cfg.secret)         # a weak secret lets anyone forge every unsubscribe link
    pipeline.open_database(cfg).close()  # a missing or unmigrated database fails here, not on the first page
    app = Flask(__name__, template_folder=str(resources.folder("templates") / "web"), static_folder=None)
    app.jinja_env.undefined = jinja2.StrictUndefined
    app.jinja_env.filters.update(pipeline.template_filters())
    speech.install(app)
    app.config.update(DIGEST=cfg, ALLOW_SUBSCRIBE=cfg.web.allow_subscribe, MAX_CONTENT_LENGTH=64 * 1024)
    _hooks(app)
    _personal_routes(app)
    _public_routes(app)
    return app


# ---- plumbing -------------------------------------------------------------------------------

def _cfg() -> Config:
    from flask import current_app
    return current_app.config["DIGEST"]


def db():
    """This request's database connection."""
    if "db" not in g:
        g.db = pipeline.open_database(_cfg())
    return g.db


def _hooks(app: Flask) -> None:
    @app.before_request
    def nonce() -> None:
        g.nonce = request.cookies.get(COOKIE) or ""
        g.new_nonce = None
        if len(g.nonce) < 16:
            g.nonce = g.new_nonce = tokens.new_nonce()

    @app.after_request
    def headers(resp: Response) -> Response:
        if g.get("new_nonce") and resp.mimetype == "text/html":
            resp.set_cookie(COOKIE, g.new_nonce, httponly=True, samesite="Lax", secure=request.is_secure)
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers["Referrer-Policy"] = "no-referrer"      # the token in the URL must not leak onwards
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Frame-Options"] = "DENY"
        if request.path.startswith(PRIVATE_PREFIXES):
            resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.teardown_appcontext
    def close(_exc: BaseException | None) -> None:
        conn = g.pop("db", None)
        if conn is not None:
            conn.close()

    @app.template_filter("label")
    def label(name: str) -> str:
        """A topic's name as the page's language calls it (its label there, else its own)."""
        if "labels" not in g:
            g.labels = {t.name: t.label(speech.language()) for t in pipeline.topics(db())}
        return g.labels.get(name, name)

    @app.context_processor
    def common() -> dict:
        cfg = _cfg()
        return {"newsletter": cfg.newsletter, "postal_address": cfg.postal_address,
                "allow_subscribe": bool(_flask_config("ALLOW_SUBSCRIBE"))}

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        code = exc.code or 500
        message = speech.error_message(code, exc.description, type(exc).description)
        return render_template("error.html", code=code, title=speech.error_title(code), message=message), code


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, **context), status


def _flask_config(key: str) -> Any:
    from flask import current_app
    return current_app.config[key]


def csrf(form: str, subject: int | str) -> str:
    return tokens.csrf_make(_cfg().secret, form, subject, g.nonce)


def check_csrf(form: str, subject: int | str) -> None:
    try:
        tokens.csrf_check(_cfg().secret, form, subject, request.cookies.get(COOKIE), request.form.get("csrf"))
    except tokens.BadToken:
        abort(400, _("This form has expired or was not sent from our page. Reload the page and try again."))


def subscriber_for(purpose: str, token: str) -> Subscriber:
    """The subscriber a token names, or a 400 (bad token) / 404 (no such subscriber) page."""
    try:
        sid = tokens.read(_cfg().secret, purpose, token)
    except tokens.BadToken as exc:
        abort(400, _("This link has expired. Use the newest link from one of our emails.") if "expired" in exc.message
              else _("This link is not valid. Use the newest link from one of our emails."))
    try:
        sub = pipeline.subscriber_by_id(db(), sid)
    except NotFound:
        abort(404, _("This subscription no longer exists."))
    speech.speak_for(sub)
    return sub


# ---- personal pages: unsubscribe, preferences, confirm ------------------------------------------

def _personal_routes(app: Flask) -> None:
    @app.get("/u/<token>")
    def unsubscribe_page(token: str) -> ResponseReturnValue:
        sub = subscriber_for("unsubscribe", token)
        return page("unsubscribe.html", sub=sub, done=pipeline.opted_out(sub.status), csrf=csrf("unsubscribe", sub.id),
                    preferences_url=url_for("preferences", token=tokens.make(_cfg().secret, "preferences", sub.id)))

    @app.post("/u/<token>")
    def unsubscribe(token: str) -> ResponseReturnValue:
        sub = subscriber_for("unsubscribe", token)
        if request.form.get("List-Unsubscribe") == "One-Click":
            # RFC 8058: the mail client POSTs without a page; answer briefly, the same every time.
            pipeline.one_click_unsubscribe(db(), sub.id)
            return Response(_("Unsubscribed.") + "\n", 200, mimetype="text/plain",
                            headers={"Content-Language": speech.language()})
        check_csrf("unsubscribe", sub.id)
        pipeline.one_click_unsubscribe(db(), sub.id)
        return page("unsubscribe.html", sub=pipeline.subscriber_by_id(db(), sub.id), done=True, csrf="",
                    preferences_url=url_for("preferences", token=tokens.make(_cfg().secret, "preferences", sub.id)))

    @app.route("/p/<token>", methods=["GET", "POST"])
    def preferences(token: str) -> ResponseReturnValue:
        sub = subscriber_for("preferences", token)
        topics = pipeline.topics(db())
        form = {"topics": set(sub.topics), "frequency": sub.frequency, "send_at": sub.send_at or "",
                "timezone": sub.timezone or ""}
        errors: list[str] = []
        if request.method == "POST":
            check_csrf("preferences", sub.id)
            form, errors, values = forms.read_preferences(topics)
            if not errors:
                pipeline.save_preferences(db(), sub.id, topic_ids=values["topic_ids"], frequency=values["frequency"],
                                          send_at=values["send_at"], timezone=values["timezone"])
                return redirect(url_for("preferences", token=token, saved=1), code=303)
        return page("preferences.html", 400 if errors else 200, sub=sub, topics=topics, form=form, errors=errors,
                    saved=bool(request.args.get("saved")) and not errors, csrf=csrf("preferences", sub.id),
                    frequencies=FREQUENCIES, zones=forms.zones(),
                    unsubscribe_url=url_for("unsubscribe_page", token=tokens.make(_cfg().secret, "unsubscribe",
                                                                                  sub.id)))

    @app.get("/c/<token>")
    def confirm(token: str) -> ResponseReturnValue:
        sub = subscriber_for("confirm", token)
        confirmed = pipeline.confirm_subscription(db(), sub.id)
        sub = pipeline.subscriber_by_id(db(), sub.id)
        return page("confirmed.html", sub=sub, confirmed=confirmed,
                    preferences_url=url_for("preferences", token=tokens.make(_cfg().secret, "preferences", sub.id)))


# ---- public pages: subscribe (off by default), archive, feeds ---------------------------------

def _public_routes(app: Flask) -> None:
    @app.get("/")
    def index():
        return page("index.html")

    @app.get("/manage")
    def manage():
        return page("manage.html")

    @app.route("/subscribe", methods=["GET", "POST"])
    def subscribe():
        if not _flask_config("ALLOW_SUBSCRIBE"):
            abort(404, _("Sign-up through this site is not enabled."))
        topics = pipeline.topics(db())
        if request.method == "GET":
            return page("subscribe.html", topics=topics, errors=[], form={"email": "", "topics": set()},
                        csrf=csrf("subscribe", "-"))
        check_csrf("subscribe", "-")
        form, errors, address = forms.read_sign_up(topics)
        if errors or address is None:
            return page("subscribe.html", 400, topics=topics, errors=errors, form=form, csrf=csrf("subscribe", "-"))
        _sign_up(address, form["chosen"])
        # The same answer whatever the address's state, so the form tells nobody who is subscribed.
        return page("subscribe_sent.html", email=address)

    @app.get("/archive/")
    def archive_index():
        entries = pipeline.archive(db(), _cfg())
        editions = [(key, list(group)) for key, group in groupby(entries, key=lambda e: e.key)]
        return page("archive_index.html", editions=editions, topics=pipeline.topics(db()))

    @app.get("/archive/<key>")
    def archive_edition(key: str) -> ResponseReturnValue:
        entries = pipeline.archive(db(), _cfg(), key=key, limit=1)
        if not entries:
            abort(404, _("There is no edition %(key)s in the archive.") % {"key": key})
        return page("archive_edition.html", key=key, entries=entries)

    @app.get("/archive/<key>/<slug>")
    def archive_topic(key: str, slug: str) -> ResponseReturnValue:
        entry = next((e for e in pipeline.archive(db(), _cfg(), key=key, limit=1) if e.slug == slug), None)
        if entry is None:
            abort(404, _("Edition %(key)s has no %(slug)s section.") % {"key": key, "slug": slug})
        return Response(pipeline.archive_html(db(), _cfg(), entry), mimetype="text/html")

    @app.get("/articles/<int:article_id>")
    def article(article_id: int) -> ResponseReturnValue:
        try:
            art = pipeline.article_page(db(), _cfg(), article_id)
        except NotFound:
            abort(404, _("There is no article %(id)s.") % {"id": article_id})
        return page("article.html", story=art, art=art.article)

    @app.get("/feed/<slug>.xml")
    def feed(slug: str) -> ResponseReturnValue:
        topic = next((t for t in pipeline.topics(db()) if t.slug == slug), None)
        if topic is None:
            abort(404, _("There is no topic %(slug)s.") % {"slug": slug})
        entries = pipeline.archive(db(), _cfg(), topic=topic.name, limit=20)
        updated = (entries[0].until if entries else pipeline.now()).isoformat()
        xml = render_template("feed.xml", topic=topic, entries=entries, cfg=_cfg(), updated=updated)
        return Response(xml, mimetype="application/atom+xml")


def _sign_up(address: str, topics: list[str]) -> None:
    """A pending subscription and its confirmation mail; the form's language, when it is not the
    newsletter's, becomes the subscriber's (so the confirmation and every digest speak it)."""
    spoken = speech.language()
    try:
        outcome = pipeline.sign_up(db(), _cfg(), address, topics,
                                   language=spoken if spoken != _cfg().language else None)
        failed = outcome is not None and outcome.status != "sent"
    except DigestError:
        failed = True
    if failed:
        abort(503, _("We could not send the confirmation email just now. Please try again later."))
