"""The subscriber app's two forms read from the request: the preference form (topics, how often,
when, time zone) and the sign-up form (address, topics); each problem worded in the page's language
(speech), so that a German reader who forgets every topic is told so in German.
May import: models, pipeline, and .speech.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from flask import request

from .. import pipeline
from ..models import Topic
from .speech import gettext as _
from .speech import language


def _chosen(topics: list[Topic]) -> list[Topic]:
    by_id = {str(t.id): t for t in topics}
    return [by_id[v] for v in request.form.getlist("topic") if v in by_id]


def read_preferences(topics: list[Topic]) -> tuple[dict, list[str], dict]:
    """The posted preference form: what to show again, the errors, and the checked values."""
    chosen = _chosen(topics)
    form: dict[str, Any] = {"topics": {t.name for t in chosen}, "frequency": request.form.get("frequency", ""),
                            "send_at": request.form.get("send_at", ""), "timezone": request.form.get("timezone", "")}
    values, errors = pipeline.check_preferences(form["frequency"], form["send_at"], form["timezone"], language())
    values["topic_ids"] = [t.id for t in chosen]
    if not chosen:
        errors.insert(0, _("Choose at least one topic, or unsubscribe instead (link below)."))
    return form, errors, values


def read_sign_up(topics: list[Topic]) -> tuple[dict, list[str], str | None]:
    """The posted sign-up form: what to show again, the errors, and the address as it is stored."""
    chosen = _chosen(topics)
    form: dict[str, Any] = {"email": request.form.get("email", ""), "topics": {t.name for t in chosen},
                            "chosen": [t.name for t in chosen]}
    errors = [] if chosen else [_("Choose at least one topic.")]
    address, problem = pipeline.check_address(form["email"], language())
    if problem:
        errors.append(problem)
    return form, errors, address


_ZONES: list[str] = []


def zones() -> list[str]:
    if not _ZONES:
        _ZONES.extend(sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/")))
    return _ZONES
