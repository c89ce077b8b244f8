"""The subscriber web app: confirm, change preferences, unsubscribe, read past editions and articles.

A small Flask app, served in production by waitress (`digest serve`). Every personal page is
reached through a signed token (digest.tokens) bound to one subscriber and one purpose; a forged,
altered, expired or wrong-purpose token gets a plain 400 page and never anyone's data. Forms carry
a signed CSRF token tied to the form, its subscriber and a nonce cookie; the RFC 8058 one-click
POST is exempt by design (mail clients send it without a page) but still needs the signed URL.
Pages are plain HTML that works without JavaScript. The app opens its own store connection per
request, so waitress's threads never share one.
May import: config, errors, pipeline, resources, store, subscribers, tokens.
"""

from __future__ import annotations

import zoneinfo
from itertools import groupby
from urllib.parse import urlsplit

import jinja2
from flask import Flask, Response, abort, g, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from . import pipeline, resources, tokens
from . import subscribers as lists
from .config import Config
from .errors import ConfigError, DigestError, NotFound, ParseError
from .store import Store, now

COOKIE = "digest_csrf"
OPTED_OUT = ("unsubscribed", "bounced", "suppressed")
PRIVATE_PREFIXES = ("/u/", "/p/", "/c/", "/subscribe")
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: https:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


def create_app(cfg: Config, *, demo: bool = False) -> Flask:
    """Build the app. Refuses without DIGEST_SECRET unless demo (which signs with tokens.DEMO_SECRET)."""
    if not cfg.secret:
        if not demo:
            raise ConfigError("DIGEST_SECRET is not set, so the web app cannot check any link.",
                              "Set DIGEST_SECRET to the same long random string the sender uses "
                              "(for example `openssl rand -hex 32`), or try it with `digest serve --demo`.")
        cfg.secret = tokens.DEMO_SECRET
    probe = Store.open(cfg.db, create=False)
    try:
        if probe.needs_migration():
            raise NotFound(f"Database {cfg.db} needs migrating.", "Run `digest init`.")
    finally:
        probe.close()
    web = cfg.sections.get("web", {})
    app = Flask(__name__, template_folder=str(resources.folder("templates") / "web"), static_folder=None)
    app.jinja_env.undefined = jinja2.StrictUndefined
    app.jinja_env.filters.update(shortdate=pipeline.render.shortdate,
                                 host=lambda url: (urlsplit(url).hostname or url).removeprefix("www."))
    app.config.update(DIGEST=cfg, ALLOW_SUBSCRIBE=bool(web.get("allow_subscribe", False)),
                      MAX_CONTENT_LENGTH=64 * 1024)
    _hooks(app)
    _personal_routes(app)
    _public_routes(app)
    return app


# ---- plumbing -------------------------------------------------------------------------------

def _cfg() -> Config:
    from flask import current_app
    return current_app.config["DIGEST"]


def store() -> Store:
    if "store" not in g:
        g.store = Store.open(_cfg().db, create=False)
    return g.store


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
    def close(_exc) -> None:
        s = g.pop("store", None)
        if s is not None:
            s.close()

    @app.context_processor
    def common() -> dict:
        cfg = _cfg()
        return {"newsletter": cfg.newsletter, "postal_address": cfg.postal_address,
                "allow_subscribe": bool(_flask_config("ALLOW_SUBSCRIBE"))}

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return render_template("error.html", code=exc.code, title=exc.name, message=exc.description), exc.code


def page(template: str, status: int = 200, **context):
    return render_template(template, **context), status


def _flask_config(key: str):
    from flask import current_app
    return current_app.config[key]


def csrf(form: str, subject: int | str) -> str:
    return tokens.csrf_make(_cfg().secret, form, subject, g.nonce)


def check_csrf(form: str, subject: int | str) -> None:
    try:
        tokens.csrf_check(_cfg().secret, form, subject, request.cookies.get(COOKIE), request.form.get("csrf"))
    except tokens.BadToken as exc:
        abort(400, exc.message)


def subscriber_for(purpose: str, token: str):
    """The subscriber a token names, or a 400 (bad token) / 404 (no such subscriber) page."""
    try:
        sid = tokens.read(_cfg().secret, purpose, token)
    except tokens.BadToken as exc:
        abort(400, f"{exc.message} Use the newest link from one of our emails.")
    try:
        return store().subscriber_by_id(sid)
    except NotFound:
        abort(404, "This subscription no longer exists.")


# ---- personal pages: unsubscribe, preferences, confirm ------------------------------------------

def _personal_routes(app: Flask) -> None:
    @app.get("/u/<token>")
    def unsubscribe_page(token: str):
        sub = subscriber_for("unsubscribe", token)
        return page("unsubscribe.html", sub=sub, done=sub.status in OPTED_OUT, csrf=csrf("unsubscribe", sub.id),
                    preferences_url=url_for("preferences", token=tokens.make(_cfg().secret, "preferences", sub.id)))

    @app.post("/u/<token>")
    def unsubscribe(token: str):
        sub = subscriber_for("unsubscribe", token)
        if request.form.get("List-Unsubscribe") == "One-Click":
            # RFC 8058: the mail client POSTs without a page; answer briefly, the same every time.
            store().set_status(sub.id, "unsubscribed", only_from=("active", "pending"))
            return Response("Unsubscribed.\n", 200, mimetype="text/plain")
        check_csrf("unsubscribe", sub.id)
        store().set_status(sub.id, "unsubscribed", only_from=("active", "pending"))
        return page("unsubscribe.html", sub=store().subscriber_by_id(sub.id), done=True, csrf="",
                    preferences_url=url_for("preferences", token=tokens.make(_cfg().secret, "preferences", sub.id)))

    @app.route("/p/<token>", methods=["GET", "POST"])
    def preferences(token: str):
        sub = subscriber_for("preferences", token)
        s = store()
        topics = s.topics()
        form = {"topics": set(sub.topics), "frequency": sub.frequency, "send_at": s.send_at(sub.id) or "",
                "timezone": sub.timezone or ""}
        errors: list[str] = []
        if request.method == "POST":
            check_csrf("preferences", sub.id)
            form, errors, values = _read_preferences(topics)
            if not errors:
                s.set_subscriber_fields(sub.id, frequency=values["frequency"], send_at=values["send_at"],
                                        timezone=values["timezone"])
                s.subscribe_topics(sub.id, values["topic_ids"], replace=True)
                s.set_status(sub.id, "active", only_from=("unsubscribed",))   # saving topics = wanting mail
                return redirect(url_for("preferences", token=token, saved=1), code=303)
        return page("preferences.html", 400 if errors else 200, sub=sub, topics=topics, form=form, errors=errors,
                    saved=bool(request.args.get("saved")) and not errors, csrf=csrf("preferences", sub.id),
                    frequencies=lists.FREQUENCIES, zones=_zones(),
                    unsubscribe_url=url_for("unsubscribe_page", token=tokens.make(_cfg().secret, "unsubscribe",
                                                                                  sub.id)))

    @app.get("/c/<token>")
    def confirm(token: str):
        sub = subscriber_for("confirm", token)
        confirmed = store().set_status(sub.id, "active", only_from=("pending",))
        sub = store().subscriber_by_id(sub.id)
        return page("confirmed.html", sub=sub, confirmed=confirmed,
                    preferences_url=url_for("preferences", token=tokens.make(_cfg().secret, "preferences", sub.id)))


def _read_preferences(topics) -> tuple[dict, list[str], dict]:
    """The posted preference form: what to show again, the errors, and the checked values."""
    by_id = {str(t.id): t for t in topics}
    chosen = [by_id[v] for v in request.form.getlist("topic") if v in by_id]
    form = {"topics": {t.name for t in chosen}, "frequency": request.form.get("frequency", ""),
            "send_at": request.form.get("send_at", ""), "timezone": request.form.get("timezone", "")}
    errors, values = [], {"topic_ids": [t.id for t in chosen]}
    if not chosen:
        errors.append("Choose at least one topic, or unsubscribe instead (link below).")
    if form["frequency"] not in lists.FREQUENCIES:
        errors.append("Choose how often: daily or weekly.")
    values["frequency"] = form["frequency"]
    for key, check in (("send_at", lists.check_time), ("timezone", lists.check_timezone)):
        try:
            values[key] = check(form[key])
        except ParseError as exc:
            errors.append(exc.message[:1].upper() + exc.message[1:] + ".")
    return form, errors, values


_ZONES: list[str] = []


def _zones() -> list[str]:
    if not _ZONES:
        _ZONES.extend(sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/")))
    return _ZONES


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
            abort(404, "Sign-up through this site is not enabled.")
        topics = store().topics()
        if request.method == "GET":
            return page("subscribe.html", topics=topics, errors=[], form={"email": "", "topics": set()},
                        csrf=csrf("subscribe", "-"))
        check_csrf("subscribe", "-")
        by_id = {str(t.id): t for t in topics}
        chosen = [by_id[v] for v in request.form.getlist("topic") if v in by_id]
        form = {"email": request.form.get("email", ""), "topics": {t.name for t in chosen}}
        errors = [] if chosen else ["Choose at least one topic."]
        try:
            address = lists.normalize_email(form["email"])
        except DigestError as exc:
            errors.append(exc.message)
        if errors:
            return page("subscribe.html", 400, topics=topics, errors=errors, form=form, csrf=csrf("subscribe", "-"))
        _sign_up(address, [t.name for t in chosen])
        # The same answer whatever the address's state, so the form tells nobody who is subscribed.
        return page("subscribe_sent.html", email=address)

    @app.get("/archive/")
    def archive_index():
        entries = pipeline.archive(store(), _cfg())
        editions = [(key, list(group)) for key, group in groupby(entries, key=lambda e: e.key)]
        return page("archive_index.html", editions=editions, topics=store().topics())

    @app.get("/archive/<key>")
    def archive_edition(key: str):
        entries = pipeline.archive(store(), _cfg(), key=key, limit=1)
        if not entries:
            abort(404, f"There is no edition {key} in the archive.")
        return page("archive_edition.html", key=key, entries=entries)

    @app.get("/archive/<key>/<slug>")
    def archive_topic(key: str, slug: str):
        entry = next((e for e in pipeline.archive(store(), _cfg(), key=key, limit=1) if e.slug == slug), None)
        if entry is None:
            abort(404, f"Edition {key} has no {slug} section.")
        return Response(pipeline.archive_html(store(), _cfg(), entry), mimetype="text/html")

    @app.get("/articles/<int:article_id>")
    def article(article_id: int):
        try:
            art = pipeline.article_page(store(), _cfg(), article_id)
        except NotFound:
            abort(404, f"There is no article {article_id}.")
        return page("article.html", story=art, art=art.article)

    @app.get("/feed/<slug>.xml")
    def feed(slug: str):
        topic = next((t for t in store().topics() if t.slug == slug), None)
        if topic is None:
            abort(404, f"There is no topic {slug}.")
        entries = pipeline.archive(store(), _cfg(), topic=topic.name, limit=20)
        updated = (entries[0].until if entries else now()).isoformat()
        xml = render_template("feed.xml", topic=topic, entries=entries, cfg=_cfg(), updated=updated)
        return Response(xml, mimetype="application/atom+xml")


def _sign_up(address: str, topics: list[str]) -> None:
    s = store()
    try:
        status = s.subscriber(address).status
    except NotFound:
        status = None
    if status not in (None, "pending", "unsubscribed"):
        return                      # active already, or bounced/suppressed: nothing to send
    s.upsert_subscriber(address, name=None, topics=topics, status="pending")
    try:
        outcome = pipeline.send_confirmation(s, _cfg(), address)
    except DigestError:
        outcome = None
    if outcome is None or outcome.status != "sent":
        abort(503, "We could not send the confirmation email just now. Please try again later.")
