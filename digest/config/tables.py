"""The tables of digest.toml, each read into its settings and checked once, every error naming the
file, the table and the key: [send], [digest], [ingest], [web], [summary] and [cluster].
Environment variables that override a table's setting (DIGEST_RETRY_BASE, DIGEST_SUMMARY_MAX_WORDS,
...) are read here too, after the file.
May import: errors, i18n, matching, models, readers.language, selection.slots.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path

from .. import i18n
from ..errors import ConfigError
from ..matching import canonical_zone, close_to, did_you_mean, unknown_zone
from ..models import WEEKDAYS, FeedSpec
from ..readers import language
from ..selection.slots import DigestSchedule, parse_time, parse_weekday

TABLES = ("bounces", "cluster", "digest", "ingest", "send", "summary", "web", "worker")


@dataclass
class SendSettings:
    """How hard to push and how long to keep trying. Defaults < digest.toml < DIGEST_* env."""
    connections: int = 4            # SMTP connections in parallel (top-level `connections`, DIGEST_CONNECTIONS)
    rate: float = 0.0               # messages per second, 0 = as fast as the relay takes them (`rate`, DIGEST_RATE)
    retry_base: float = 5.0         # seconds before the first retry; doubles each time, with jitter
    retry_cap: float = 900.0        # longest single back-off
    retry_attempts: int = 3         # attempts within one run before leaving a message to the next run
    retry_deadline: float = 86400.0  # seconds after an edition was planned when a deferred message fails
    soft_bounce_limit: int = 3      # failed deliveries in a row before a subscriber is suppressed
    lease_seconds: float = 60.0     # how long a silent sender keeps the edition to itself
    batch: int = 500                # rows claimed and outcomes recorded per transaction
    lock_timeout: float = 30.0      # how long a ledger write waits for another process's write lock
    relay_retries: int = 10         # refusals about us (requeue) in a row, nothing sent between, before stopping


SEND_ENV = {"DIGEST_RETRY_BASE": "retry_base", "DIGEST_RETRY_CAP": "retry_cap",
            "DIGEST_RETRY_ATTEMPTS": "retry_attempts", "DIGEST_RETRY_DEADLINE": "retry_deadline",
            "DIGEST_SOFT_BOUNCE_LIMIT": "soft_bounce_limit", "DIGEST_LEASE_SECONDS": "lease_seconds",
            "DIGEST_SEND_BATCH": "batch", "DIGEST_LOCK_TIMEOUT": "lock_timeout"}


@dataclass
class IngestSettings:
    """[ingest]: what the scheduler's ingest job reads, and how often."""
    every: float = 600.0                # seconds between ingests
    folders: list[Path] = field(default_factory=list)      # watched folders, resolved
    feeds: list[FeedSpec] = field(default_factory=list)
    folder_sources: dict[Path, str] = field(default_factory=dict)   # the outlet of a folder's articles
    folder_topics: dict[Path, str] = field(default_factory=dict)    # the topic of its unlabeled articles
    folder_languages: dict[Path, str] = field(default_factory=dict)   # the language of its articles ("de")
    base_dir: Path = field(default_factory=Path.cwd)        # feed files are read relative to this

    @property
    def any(self) -> bool:
        return bool(self.folders or self.feeds)


@dataclass
class WebSettings:
    """[web]: the subscriber pages."""
    allow_subscribe: bool = False       # POST /subscribe (double opt-in)


@dataclass
class SummarySettings:
    """[summary] and [cluster]: how long a blurb is, which site names a title may lose besides the
    article's own outlet, and how far apart in time two reports of one story may be published."""
    max_words: int = 55
    max_sentences: int = 2
    site_names: list[str] = field(default_factory=list)
    cluster_window_hours: float = 48.0


SUMMARY_ENV = {"DIGEST_SUMMARY_MAX_WORDS": "max_words", "DIGEST_SUMMARY_MAX_SENTENCES": "max_sentences",
               "DIGEST_CLUSTER_WINDOW_HOURS": "cluster_window_hours"}
_SUMMARY_KEYS = {"summary": {"max_words": "max_words", "max_sentences": "max_sentences", "site_names": "site_names"},
                 "cluster": {"window_hours": "cluster_window_hours"}}
_SUMMARY_HINTS = {"max_words": "The blurb's word budget, e.g. max_words = 55.",
                  "max_sentences": "Sentences in a blurb, the lede included, e.g. max_sentences = 2.",
                  "cluster_window_hours": "Hours between two reports of one story, e.g. window_hours = 48.",
                  "site_names": 'Site names a title may lose at its end, e.g. site_names = ["BBC News"].'}
DIGEST_KEYS = {"send_at", "timezone", "weekly_on", "min_items", "check_every_seconds", "max_items_per_topic",
               "max_stories", "max_age_days", "language"}
INGEST_KEYS = {"every_minutes", "every_seconds", "folders", "feeds"}


def check_tables(tables: dict, where: str) -> None:
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise ConfigError(f"{where}: unknown table [{unknown[0]}].", f"Known tables: {', '.join(TABLES)}.")


def _unknown(table: dict, known: Iterable[str], name: str, where: str) -> None:
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ConfigError(f"{where}: unknown setting `{unknown[0]}` in [{name}].",
                          f"Known settings: {', '.join(sorted(known))}.")


def _positive(value: object, where: str, hint: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"{where} = {value!r} is not a positive number.", hint)
    return float(value)


# ---- [send] ----------------------------------------------------------------------------------

def apply_send(settings: SendSettings, sources: list[tuple[str, str, object]]) -> None:
    """(where, setting, value) in order, later wins: the [send] table, then the environment."""
    known = {f.name for f in fields(SendSettings)}
    for where, attr, value in sources:
        if attr not in known:
            raise ConfigError(f"{where}: unknown setting.", f"Known [send] settings: {', '.join(sorted(known))}.")
        kind = type(getattr(settings, attr))
        try:
            setattr(settings, attr, kind(value))
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: `{value}` is not a valid {kind.__name__}.") from None
    settings.connections = max(1, settings.connections)
    settings.batch = max(1, settings.batch)
    settings.relay_retries = max(1, settings.relay_retries)


# ---- [digest] --------------------------------------------------------------------------------

def digest_language(table: dict, env: dict[str, str], where: str) -> str:
    """The email's language: DIGEST_LANGUAGE, else [digest] language, else English; checked."""
    if env.get("DIGEST_LANGUAGE"):
        return checked_language(env["DIGEST_LANGUAGE"], "DIGEST_LANGUAGE")
    return checked_language(table.get("language", i18n.DEFAULT), f"{where}: [digest] language")


def checked_language(value: object, what: str) -> str:
    """A catalog's language ("de-DE", "DE_de": "de") or one written right to left ("he-IL": "he"), else an error."""
    shipped = i18n.shipped()
    text = value.strip().replace("-", "_").lower() if isinstance(value, str) else ""
    for candidate in (text, text.split("_")[0]):
        if candidate in shipped or (candidate == text.split("_")[0] and i18n.direction(candidate) == "rtl"):
            return candidate
    guess = did_you_mean(close_to(str(value), shipped, n=1))
    raise ConfigError(f"{what} = {value!r} is not a language digest ships" + (f": {guess}" if guess else "."),
                      f"Use one of: {', '.join(shipped)} (README, Languages, says how to add a locale), or one written "
                      "right to left (ar, fa, he, ur...), framed in English.")


def _article_language(value: str, where: str) -> str:
    """A watched folder's `language`: any ISO 639 code ("de", "pt-BR"), not only a shipped locale."""
    code = language.normalize(value)
    if code is None:
        raise ConfigError(f"{where}: [ingest] folders language = {value!r} is not a language tag.",
                          'Give the ISO 639 code of the articles\' language, e.g. {path = "wires/", language = "de"}.')
    return code


def checked_zone(value: object, what: str) -> str:
    """A configured time zone in any case, as its canonical name; else the error says what was meant."""
    canonical = canonical_zone(value) if isinstance(value, str) else None
    if canonical is None:
        raise ConfigError(f"{what} = {value!r}: {unknown_zone(str(value))}",
                          'Use an Area/City name, e.g. timezone = "Europe/Berlin", or "UTC".')
    return canonical


def digest_schedule(table: dict, *, default_timezone: str = "UTC", where: str = "digest.toml") -> DigestSchedule:
    """The [digest] table's schedule: defaults for subscribers who did not choose."""
    table = dict(table or {})
    _unknown(table, DIGEST_KEYS, "digest", where)
    out = DigestSchedule(timezone=default_timezone)
    if "send_at" in table:
        t = parse_time(table["send_at"]) if isinstance(table["send_at"], str) else None
        if t is None:
            raise ConfigError(f"{where}: [digest] send_at = {table['send_at']!r} is not a time of day.",
                              'Use "HH:MM" in 24-hour form, e.g. send_at = "07:00".')
        out.send_at = t
    out.timezone = checked_zone(table.get("timezone", default_timezone), f"{where}: [digest] timezone")
    if "weekly_on" in table:
        day = parse_weekday(table["weekly_on"])
        if day is None:
            raise ConfigError(f"{where}: [digest] weekly_on = {table['weekly_on']!r} is not a weekday.",
                              f"Use one of: {', '.join(WEEKDAYS)}.")
        out.weekly_on = day
    if "min_items" in table:
        n = table["min_items"]
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ConfigError(f"{where}: [digest] min_items = {n!r} is not a whole number >= 0.",
                              "An edition with fewer items than this is not sent, e.g. min_items = 1.")
        out.min_items = n
    if "check_every_seconds" in table:
        out.check_every = _positive(table["check_every_seconds"], f"{where}: [digest] check_every_seconds",
                                    "How often the digest job looks for due subscribers; the default is 60.")
    return out


def max_items(table: dict, where: str, key: str = "max_items_per_topic", example: int = 8) -> int | None:
    """A whole-number [digest] setting (max_items_per_topic, max_stories, max_age_days), or None when not set
    (load checks it is >= 1)."""
    cap = (table or {}).get(key)
    if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool)):
        raise ConfigError(f"{where}: [digest] {key} = {cap!r} is not a whole number.",
                          f"Example: {key} = {example}")
    return cap


# ---- [ingest] --------------------------------------------------------------------------------

def ingest_settings(table: dict, *, base: Path, where: str) -> IngestSettings:
    """Watched folders (relative to `base`, the digest.toml's folder), feeds and the interval."""
    table = dict(table or {})
    _unknown(table, INGEST_KEYS, "ingest", where)
    out = IngestSettings(base_dir=base)
    if "every_minutes" in table:
        out.every = 60 * _positive(table["every_minutes"], f"{where}: [ingest] every_minutes",
                                   "Give the minutes between ingests, e.g. every_minutes = 10.")
    if "every_seconds" in table:
        out.every = _positive(table["every_seconds"], f"{where}: [ingest] every_seconds",
                              "Give the seconds between ingests, e.g. every_seconds = 30.")
    raw_folders = table.get("folders", [])
    if isinstance(raw_folders, str) or not isinstance(raw_folders, list):
        raw_folders = [None]
    for item in raw_folders:
        if isinstance(item, dict) and isinstance(item.get("path"), str) \
                and set(item) <= {"path", "source", "topic", "language"} and isinstance(item.get("source", ""), str) \
                and isinstance(item.get("topic", ""), str) and isinstance(item.get("language", ""), str):
            out.folders.append((base / item["path"]).resolve())
            if item.get("source", "").strip():
                out.folder_sources[(base / item["path"]).resolve()] = item["source"].strip()
            if item.get("topic", "").strip():
                out.folder_topics[(base / item["path"]).resolve()] = item["topic"].strip()
            if item.get("language", "").strip():
                out.folder_languages[(base / item["path"]).resolve()] = _article_language(item["language"], where)
        elif isinstance(item, str):
            out.folders.append((base / item).resolve())
        else:
            raise ConfigError(f"{where}: [ingest] folders must be a list of paths or "
                              "{path = ..., source = ..., topic = ..., language = ...}.",
                              'Example: folders = ["incoming/", {path = "wires/", source = "Compass Wire", '
                              'topic = "World"}]')
    raw_feeds = table.get("feeds", [])
    if isinstance(raw_feeds, str) or not isinstance(raw_feeds, list):
        raise ConfigError(f"{where}: [ingest] feeds must be a list.",
                          'Example: feeds = ["https://example.org/world.xml", "feeds/local.atom"]')
    for n, item in enumerate(raw_feeds, 1):
        if isinstance(item, str) and item.strip():
            out.feeds.append(FeedSpec(item.strip()))
        elif isinstance(item, dict) and isinstance(item.get("url"), str) and isinstance(item.get("labels", []), list) \
                and isinstance(item.get("topic", ""), str):
            out.feeds.append(FeedSpec(item["url"].strip(), [str(x) for x in item.get("labels", [])],
                                      item.get("topic", "").strip() or None))
        else:
            raise ConfigError(f"{where}: [ingest] feeds entry {n} ({item!r}) is neither a URL/path nor "
                              "{url = ..., labels = [...], topic = ...}.",
                              'Example: feeds = ["feeds/local.atom", {url = "https://x.org/rss", labels = ["World"]}]')
    return out


# ---- [web] -----------------------------------------------------------------------------------

def web_settings(table: dict, where: str) -> WebSettings:
    table = dict(table or {})
    _unknown(table, {"allow_subscribe"}, "web", where)
    value = table.get("allow_subscribe", False)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: [web] allow_subscribe = {value!r} is not true or false.",
                          "Example: allow_subscribe = true")
    return WebSettings(allow_subscribe=value)


# ---- [summary] and [cluster] -----------------------------------------------------------------

def apply_summary(settings: SummarySettings, tables: dict, where: str) -> None:
    """[summary] max_words, max_sentences, site_names and [cluster] window_hours, each checked."""
    for table, keys in _SUMMARY_KEYS.items():
        values = tables.get(table) or {}
        _unknown(values, keys, table, where)
        for key, attr in keys.items():
            if key in values:
                set_summary(settings, attr, values[key], f"{where}: [{table}] {key}")


def set_summary(settings: SummarySettings, attr: str, value: object, where: str) -> None:
    if attr == "site_names":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigError(f"{where} must be a list of names.", _SUMMARY_HINTS[attr])
        settings.site_names = [v.strip() for v in value]
        return
    kind = type(getattr(settings, attr))
    try:
        number = kind(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or number <= 0 or (kind is int and str(value).strip() not in (str(number), f"{number}.0")):
        raise ConfigError(f"{where} = {value!r} is not a positive {'whole ' if kind is int else ''}number.",
                          _SUMMARY_HINTS[attr])
    setattr(settings, attr, number)
