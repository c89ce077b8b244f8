"""The language a page of `digest serve` speaks, and its words: a personal page (reached through a
subscriber's token) speaks that subscriber's language, every other page `?lang=xx` when digest ships
it, else the newsletter's `[digest] language`. The templates' `_()` / `ngettext()` (Jinja's i18n
extension) and this module's `_()` read the catalog of the request's language (flask.g), so one app
serves every language at once; `<html lang>` follows it, and `dir="rtl"` a language written right to left.
May import: config, models, pipeline.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request

from .. import pipeline
from ..config import Config
from ..models import Subscriber


def _cfg() -> Config:
    return current_app.config["DIGEST"]


def language() -> str:
    return g.get("language") or _cfg().language


def gettext(message: str) -> str:
    """`message` in the request's language (imported as `_`, the name pybabel looks for)."""
    return pipeline.translations(language()).gettext(message)


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    return pipeline.translations(language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return pipeline.translations(language()).pgettext(context, message)


def requested() -> str | None:
    """The language `?lang=` asks for (de, de-DE, DE; he, framed in English), or None."""
    wanted = (request.args.get("lang") or request.form.get("lang") or "").strip().lower().replace("_", "-")
    for candidate in (wanted, wanted.split("-")[0]):
        if candidate and pipeline.accepts(candidate):
            return candidate
    return None


def speak_for(sub: Subscriber) -> None:
    """From here on the page speaks `sub`'s language (their own, else the newsletter's)."""
    g.language = pipeline.reader_language(sub, _cfg().language)


def install(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        gettext=gettext, ngettext=ngettext, pgettext=pgettext, newstyle=True)
    app.jinja_env.filters["shortdate"] = lambda value: pipeline.short_date(value, language())
    app.jinja_env.filters["longdate"] = lambda value: pipeline.long_date(value, language())

    @app.before_request
    def choose() -> None:
        g.language = requested() or _cfg().language

    @app.context_processor
    def spoken() -> dict:
        return {"language": language(), "direction": pipeline.direction(language()), "frequency_names": frequency_names(), "status_names": status_names()}


def frequency_names() -> dict[str, str]:
    return {"daily": _("Daily"), "weekly": _("Weekly")}


def status_names() -> dict[str, str]:
    """A subscription's state as the confirmation page names it."""
    return {"active": _("subscribed"), "pending": _("waiting for confirmation"), "unsubscribed": _("unsubscribed"),
            "bounced": _("mail to it bounced"), "complained": _("marked as spam"), "suppressed": _("no longer mailed")}


def error_title(code: int) -> str:
    titles = {400: _("This link or form cannot be used"), 404: _("Not found"), 405: _("Not allowed"),
              413: _("Too much was sent"), 503: _("Not available just now")}
    return titles.get(code) or _("Something went wrong")


def error_message(code: int, said: str | None, default: str | None) -> str:
    """What an error page says: our own words (already in the page's language), or for an error
    werkzeug words (an unknown address, a wrong method), ours for its code."""
    if said and said != default:
        return said
    if code == 404:
        return _("There is no page at this address.")
    if code == 405:
        return _("This page cannot be used that way.")
    return _("Please try again later.")
