"""VERP return paths: a bounce names its delivery, and a forged, altered or truncated token names none."""

from __future__ import annotations

import re

import pytest

from digest.bounces import verp
from digest.errors import ConfigError
from digest.lists.tokens import BadToken

SECRET = "5f0c9a7e3b18d2e46a9f1c07b3d58e2a6c4f9b1d07e3a5c8f2b6d4e19a0c7f35"
BIGGEST = 2**63 - 1


@pytest.mark.parametrize("edition, subscriber", [(0, 0), (1, 1), (7, 1001), (12345, 9_876_543), (BIGGEST, BIGGEST)])
def test_round_trip(edition, subscriber):
    addr = verp.return_path(SECRET, edition, subscriber, "bounce.news.example.com")
    local, _, domain = addr.rpartition("@")
    assert domain == "bounce.news.example.com" and local.startswith("bounces+")
    token = verp.token_in(addr, "bounces")
    assert verp.read_token(SECRET, token) == (edition, subscriber)


def test_the_local_part_is_short_and_safe_even_for_the_largest_ids():
    addr = verp.return_path(SECRET, BIGGEST, BIGGEST, "bounce.news.example.com")
    local = addr.rpartition("@")[0]
    assert len(local) <= 64
    assert re.fullmatch(r"[a-z0-9+-]+", local)          # nothing an MTA would quote, lower case only
    unsub = verp.unsubscribe_mailto(SECRET, BIGGEST, BIGGEST, "mailto:unsubscribe@news.example.com?subject=unsubscribe")
    assert len(unsub[len("mailto:"):].partition("@")[0]) <= 64


def test_a_lower_cased_or_upper_cased_address_still_reads():
    """Some MTAs fold the local part to lower case (and a few to upper) on the way back."""
    addr = verp.return_path(SECRET, 7, 1001, "bounce.news.example.com")
    for variant in (addr.upper(), addr.lower(), f"<{addr.upper()}>"):
        assert verp.read_token(SECRET, verp.token_in(variant, "bounces")) == (7, 1001)


def test_forged_altered_and_truncated_tokens_are_refused():
    token = verp.make_token(SECRET, 7, 1001)
    edition, subscriber, mac = token.split("-")
    forged = [
        f"{edition}-{verp._b36(1002)}-{mac}",            # another subscriber, same MAC
        f"{verp._b36(8)}-{subscriber}-{mac}",            # another edition
        f"{edition}-{subscriber}-{mac[:-1]}",            # truncated MAC
        f"{edition}-{subscriber}-{mac[:-1]}{'a' if mac[-1] != 'a' else 'b'}",   # altered MAC
        f"{edition}-{subscriber}",                        # no MAC
        token[:-5], token + "a", "", "nonsense", f"0{edition}-{subscriber}-{mac}",   # leading zero
        verp.make_token("another-secret", 7, 1001),
        verp.make_token(SECRET, 7, 1001, purpose="unsubscribe"),   # the other purpose
    ]
    for bad in forged:
        with pytest.raises(BadToken):
            verp.read_token(SECRET, bad)


def test_purposes_do_not_cross():
    token = verp.make_token(SECRET, 7, 1001, purpose="unsubscribe")
    assert verp.read_token(SECRET, token, purpose="unsubscribe") == (7, 1001)
    with pytest.raises(BadToken):
        verp.read_token(SECRET, token, purpose="bounce")


def test_the_unsubscribe_mailto_keeps_the_configured_address_and_query():
    url = verp.unsubscribe_mailto(SECRET, 7, 1001, "mailto:leave@news.example.com?subject=unsubscribe")
    assert url.startswith("mailto:leave+") and url.endswith("@news.example.com?subject=unsubscribe")
    token = verp.token_in(url[len("mailto:"):].partition("?")[0], "leave")
    assert verp.read_token(SECRET, token, purpose="unsubscribe") == (7, 1001)


def test_token_in_only_finds_its_own_prefix():
    assert verp.token_in("bounces+abc@x.example", "bounces") == "abc"
    assert verp.token_in("Bounces+ABC@x.example", "bounces") == "abc"
    assert verp.token_in("bounces@x.example", "bounces") is None
    assert verp.token_in("bounces+@x.example", "bounces") is None
    assert verp.token_in("newsletter-bounces+abc@x.example", "bounces") is None
    assert verp.token_in("bounces+abc", "bounces") is None
    assert verp.token_in(None, "bounces") is None


def test_bad_inputs_are_clear_errors():
    with pytest.raises(ConfigError, match="DIGEST_SECRET"):
        verp.make_token("", 1, 1)
    with pytest.raises(ValueError, match="subscriber_id"):
        verp.make_token(SECRET, 1, -1)
    with pytest.raises(ValueError, match="edition_id"):
        verp.make_token(SECRET, 2**63, 1)
    with pytest.raises(ValueError, match="the limit is 64"):
        verp.return_path(SECRET, 1, 1, "x.example", prefix="b" * 60)
    with pytest.raises(ValueError, match="not a mailto"):
        verp.unsubscribe_mailto(SECRET, 1, 1, "https://news.example.com/u")
