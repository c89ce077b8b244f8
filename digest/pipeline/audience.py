"""The audience: who is on the lists, and the one rule about who may be mailed.

An address that opted out (models.OPTED_OUT: unsubscribed, bounced, complained, suppressed) is
never mailed again, and nothing but its own request brings it back: an admin adding it with
--confirm (a double opt-in mail) or --resubscribe (they asked), its own sign-up form (not after a
bounce, a complaint or a suppression), its own preference page. An import never re-subscribes it
(list_import). A bounce during the SMTP conversation takes an address off the list; soft ones do
after `soft_bounce_limit` in a row (settle). What comes back later (bounce_came_back): a hard bounce
at once, soft ones after [bounces] soft_limit within soft_days, a complaint at once (complained),
a mailto unsubscribe as the one-click POST does; an auto-reply changes nothing.
May import: config, db, errors, models, page, plural, smtp, lists.subscriber_fields, and .messages/.relays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..config import Config, check_placeholders
from ..db import Database
from ..errors import DigestError, ParseError
from ..lists.subscriber_fields import check_language, check_time, check_timezone, normalize_email
from ..models import OPTED_OUT, Settled, Subscriber
from ..page import Page
from ..plural import plural
from ..smtp import Outcome
from .messages import send_confirmation
from .relays import relays_for


def opted_out(status: str | None) -> bool:
    return status in OPTED_OUT


def may_sign_up(status: str | None) -> bool:
    """The sign-up form (double opt-in) serves a new address, a pending one, and one that
    unsubscribed and now asks again; never a bounced or suppressed one."""
    return status in (None, "pending", "unsubscribed")


def sentence(text: str) -> str:
    """A check's message as a sentence: capitalised, and ended once ("did you mean X?" keeps its "?")."""
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?")) else ".")


def checked(check, value):
    """A subscriber_fields check; its ParseError becomes a DigestError the CLI can print."""
    try:
        return check(value)
    except ParseError as exc:
        raise DigestError(sentence(exc.message), exc.hint) from None


@dataclass
class Added:
    outcome: str                       # added | updated
    subscriber: Subscriber
    confirmation: Outcome | None = None   # the double opt-in mail's outcome, when one was sent


def add_subscriber(db: Database, cfg: Config, email: str, topics: Iterable[str], *, name: str | None = None,
        frequency: str | None = None, timezone: str | None = None, confirm: bool = False,
        resubscribe: bool = False, language: str | None = None) -> Added:
    """Add a subscriber (or topics to one). With `confirm`, pending until they click the emailed link."""
    address = normalize_email(email)
    tz = checked(check_timezone, timezone)
    lang = checked(check_language, language)
    ids = [db.topics.get(t).id for t in topics]   # unknown topics fail before anything is written
    current = db.subscribers.find(address)
    if current is not None and opted_out(current.status) and not (resubscribe or confirm):
        raise DigestError(f"{address} is {current.status}; adding it would mail someone who opted out.",
                          "Pass --confirm to ask them by email, or --resubscribe if they asked to come back.")
    if confirm:
        relays_for(cfg)             # no relay: fail before writing anything
        check_placeholders(cfg)     # a confirmation link to the placeholder base URL could not be followed
        if not cfg.secret:
            raise DigestError("DIGEST_SECRET is not set, so no confirmation link can be signed.",
                              "Set DIGEST_SECRET to a long random string (for example `openssl rand -hex 32`).")
    outcome = upsert(db, address, name=name, topic_ids=ids, frequency=frequency, timezone=tz,
                     status="pending" if confirm else "active", language=lang)
    sub = db.subscribers.get(address)
    sent = send_confirmation(db, cfg, sub.email) if confirm and sub.status == "pending" else None
    return Added(outcome, sub, sent)


def upsert(db: Database, email: str, *, name: str | None, topic_ids: list[int], status: str = "active",
           frequency: str | None = None, timezone: str | None = None, language: str | None = None) -> str:
    """Add a subscriber or merge topics into an existing one; "added" or "updated". An active
    subscriber stays active when added again as pending."""
    with db.transaction():
        current = db.subscribers.find(email)
        if current is None:
            sid = db.subscribers.insert(email, name=name, status=status, frequency=frequency or "daily",
                                        timezone=timezone, language=language)
            outcome = "added"
        else:
            sid, outcome = current.id, "updated"
            keep = current.status == "active" and status != "active"
            db.subscribers.merge(sid, name=name, status=current.status if keep else status, frequency=frequency,
                                 timezone=timezone, language=language)
        db.subscribers.subscribe(sid, topic_ids)
    return outcome


def change_subscriber(db: Database, email: str, *, frequency: str | None = None, timezone: str | None = None,
           name: str | None = None, send_at: str | None = None,
           language: str | None = None) -> tuple[Subscriber, dict]:
    """Change how and when a subscriber gets their digest ("" clears a value); returns what was set."""
    sub = find_subscriber(db, email)
    fields: dict = {}
    if frequency:
        fields["frequency"] = frequency
    if timezone is not None:
        fields["timezone"] = checked(check_timezone, timezone)
    if name is not None:
        fields["name"] = name.strip() or None
    if send_at is not None:
        fields["send_at"] = checked(check_time, send_at)
    if language is not None:
        fields["language"] = checked(check_language, language)
    if not fields:
        raise DigestError("Nothing to change.", "Pass --frequency, --timezone, --name, --send-at or --language.")
    db.subscribers.set_fields(sub.id, **fields)
    return sub, fields


def find_subscriber(db: Database, email: str) -> Subscriber:
    return db.subscribers.get(normalize_email(email))


def subscriber_by_id(db: Database, subscriber_id: int) -> Subscriber:
    return db.subscribers.by_id(subscriber_id)


def subscribers(db: Database, *, topic: str | None = None, status: str | None = None) -> list[Subscriber]:
    return db.subscribers.listed(db.topics.get(topic).id if topic else None, status)


def subscriber_listing(db: Database, *, topic: str | None = None, status: str | None = None,
                       since: dt.datetime | None = None, limit: int | None = 50) -> Page[Subscriber]:
    """The newest `limit` subscribers (None: all) of one topic and status, added at or after
    `since`; the rows are read as they are iterated."""
    return db.subscribers.page(topic_id=db.topics.get(topic).id if topic else None, status=status, since=since,
                               limit=limit)


def subscribe(db: Database, email: str, topics: Iterable[str], *, resubscribe: bool = False) -> Subscriber:
    """Add topics; an opted-out address only when they asked to come back (resubscribe)."""
    sub = find_subscriber(db, email)
    ids = [db.topics.get(t).id for t in topics]
    if opted_out(sub.status) and not resubscribe:
        raise DigestError(f"{sub.email} is {sub.status}; subscribing would mail someone who opted out.",
                          "Pass --resubscribe if they asked to come back.")
    with db.transaction():
        db.subscribers.subscribe(sub.id, ids)
        if opted_out(sub.status):
            db.subscribers.set_status(sub.id, "active")
    return db.subscribers.by_id(sub.id)


@dataclass
class Unsubscribed:
    subscriber: Subscriber             # as it is now
    topics_left: int = 0
    changed: bool = False              # the whole address was unsubscribed by this call
    dropped: list[str] = field(default_factory=list)   # topics asked for that they were on
    not_on: list[str] = field(default_factory=list)    # topics asked for that they were not on


def unsubscribe(db: Database, email: str, topics: Iterable[str] = ()) -> Unsubscribed:
    """Drop topics; with none (or none left), unsubscribe the address. Its record stays, so no
    later import can add it back."""
    sub = find_subscriber(db, email)
    asked = list({t.id: t for t in map(db.topics.get, topics)}.values())
    with db.transaction():      # dropping the last topic and unsubscribing happen together
        left = db.subscribers.unsubscribe(sub.id, [t.id for t in asked]) if asked else 0
        changed = not left and db.subscribers.set_status(sub.id, "unsubscribed", only_from=("active", "pending"))
    return Unsubscribed(db.subscribers.by_id(sub.id), left, changed,
                        [t.name for t in asked if t.name in sub.topics], [t.name for t in asked if t.name not in sub.topics])


def suppress(db: Database, email: str) -> tuple[str, str]:
    """Never mail an address again, even one not on any list yet; (address, "added" | "updated")."""
    address = normalize_email(email)
    return address, db.subscribers.suppress(address)


def remove_subscriber(db: Database, email: str, *, yes: bool = False) -> tuple[Subscriber, int]:
    """Delete a subscriber with their subscriptions and delivery records (guarded by `yes`)."""
    sub = find_subscriber(db, email)
    if not yes:
        counts, _ = db.deliveries.of_subscriber(sub.id)
        raise DigestError(f"Removing {sub.email} deletes them, {plural(len(sub.topics), 'subscription', 'subscriptions')} and "
                          f"{plural(sum(counts.values()), 'delivery record', 'delivery records')}, and a later import could add them back.",
                          "Pass --yes to remove, or use `digest subscribers suppress` to keep them off the lists.")
    return sub, db.subscribers.remove(sub.id)


# ---- the subscriber's own pages -----------------------------------------------------------------

def one_click_unsubscribe(db: Database, subscriber_id: int) -> bool:
    """RFC 8058 and the unsubscribe page: idempotent; True if this call unsubscribed them."""
    return db.subscribers.set_status(subscriber_id, "unsubscribed", only_from=("active", "pending"))


def confirm_subscription(db: Database, subscriber_id: int) -> bool:
    """The double opt-in link: a pending subscriber becomes active; True if this call did it."""
    return db.subscribers.set_status(subscriber_id, "active", only_from=("pending",))


def save_preferences(db: Database, subscriber_id: int, *, topic_ids: list[int], frequency: str,
                     send_at: str | None, timezone: str | None) -> None:
    """Their own choices, in one transaction; saving topics after unsubscribing means wanting mail."""
    with db.transaction():
        db.subscribers.set_fields(subscriber_id, frequency=frequency, send_at=send_at, timezone=timezone)
        db.subscribers.subscribe(subscriber_id, topic_ids, replace=True)
        db.subscribers.set_status(subscriber_id, "active", only_from=("unsubscribed",))


def sign_up(db: Database, cfg: Config, address: str, topics: list[str], *,
            language: str | None = None) -> Outcome | None:
    """The public form: a pending subscription and a confirmation mail, unless the address may not
    sign up (active already, bounced, suppressed: then nothing, and None). `language`: the form's,
    when it was not the newsletter's; it becomes theirs (None keeps what they had)."""
    check_placeholders(cfg, "No confirmation sent")
    current = db.subscribers.find(address)
    if not may_sign_up(current.status if current else None):
        return None
    upsert(db, address, name=None, topic_ids=[db.topics.get(t).id for t in topics], status="pending",
           language=checked(check_language, language))
    return send_confirmation(db, cfg, address)


# ---- what an outcome means for the subscriber -------------------------------------------------

def settle(db: Database, settled: list[Settled], *, soft_bounce_limit: int) -> None:
    """Apply recorded outcomes to their subscribers, inside the caller's transaction: a delivery
    resets the soft-bounce count; a bounce takes an active address off the list; a soft bounce
    (a full mailbox, temporary failures until the deadline) counts, and suppresses the address at
    `soft_bounce_limit`."""
    sent = [s.delivery_id for s in settled if s.status == "sent"]
    if sent:
        db.subscribers.reset_soft_bounces(sent)
    for s in settled:
        if s.status != "bounced" and not s.soft:
            continue
        subscriber_id = db.deliveries.subscriber_of(s.delivery_id)
        if subscriber_id is None:       # the row went with its subscriber (deleted meanwhile): nobody to mark
            continue
        if s.status == "bounced":
            db.subscribers.set_status(subscriber_id, "bounced", only_from=("active",))
        elif db.subscribers.add_soft_bounce(subscriber_id) >= soft_bounce_limit:
            db.subscribers.set_status(subscriber_id, "suppressed", only_from=("active",))


def bounce_came_back(db: Database, cfg: Config, subscriber_id: int, kind: str, *, at: dt.datetime,
                     delivery_id: int | None = None) -> str:
    """What a report that came back after the relay accepted the message (bounces.Kind as `kind`)
    does to its subscriber, inside the caller's transaction; returns what was done, for the record."""
    if kind == "hard":
        done = db.subscribers.set_status(subscriber_id, "bounced", only_from=("active", "pending"))
        return "suppressed (bounced)" if done else "none: already off the list"
    if kind == "soft":
        b = cfg.bounces
        n = db.bounces.soft_since(subscriber_id, at - dt.timedelta(days=b.soft_days), also=delivery_id)
        if n >= b.soft_limit and db.subscribers.set_status(subscriber_id, "suppressed", only_from=("active", "pending")):
            return f"suppressed: {n} soft bounces within {b.soft_days:g} days"
        return f"counted: {n} of {b.soft_limit} soft bounces within {b.soft_days:g} days"
    if kind == "complaint":
        done = db.subscribers.set_status(subscriber_id, "complained",
                                         only_from=("active", "pending", "unsubscribed", "bounced"))
        return "unsubscribed and suppressed (complained)" if done else "none: already suppressed"
    if kind == "unsubscribe":
        return "unsubscribed" if one_click_unsubscribe(db, subscriber_id) else "none: already off the list"
    return "ignored"
