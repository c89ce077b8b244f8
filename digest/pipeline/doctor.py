"""`digest doctor`: the configuration checked against what mailbox providers require of a bulk
sender since 2024, before a send. Findings, not errors: each says ok, warn or problem, and what to
change. Problems: a secret or base URL that cannot work, no DKIM or a key that cannot sign or does
not align with From, a sender, base URL or postal address still at its built-in placeholder (whose
host is then never contacted), an unsubscribe endpoint that does not answer a one-click POST; with `dns`,
SPF for the bounce domain, the published DKIM keys and DMARC (doctor_dns).

The one-click probe POSTs to the URL of a token for subscriber #0, who never exists: our endpoint
answers 404 "no longer exists" after checking the token's signature, so the probe proves the
endpoint is there and shares our DIGEST_SECRET, and unsubscribes nobody.
May import: config, checks.doctor_dns, errors, checks.one_click, lists.tokens,
and .bounces/.messages/.preflight/.relays.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

from ..checks import doctor_dns, one_click
from ..checks.doctor_dns import OK, PROBLEM, WARN, Finding
from ..config import Config, check_secret
from ..errors import ConfigError
from ..lists import tokens
from .bounces import check_bounce_setup
from .messages import signer_for
from .preflight import LOCAL_HOSTS
from .relays import heaviest_first

if TYPE_CHECKING:       # dnspython is imported where a DNS check runs, not when the CLI starts
    import dns.resolver


def doctor(cfg: Config, *, dns: bool = False, nameserver: str | None = None, sender: str | None = None,
           timeout: float = 10.0) -> list[Finding]:
    """Every finding, in the order an admin fixes them. `nameserver` (IP or IP:PORT) is asked
    instead of the system's resolver; `sender` is the host or IP that hands our mail to the world
    (default: the relay of DIGEST_SMTP_URL)."""
    unset = {attr for attr, _, _ in cfg.unset_placeholders()}
    out = [_secret(cfg), *_placeholders(cfg), *([] if "base_url" in unset else _base_url(cfg)), *_envelope(cfg),
           *_dkim(cfg), _feedback_id(cfg)]
    if not any(f.level == PROBLEM and f.check in ("secret", "base_url") for f in out):
        out.append(_one_click(cfg, timeout))
    if dns and "sender" in unset:      # the placeholder's domain is not ours: asking DNS about it proves nothing
        out.append(Finding("dns", WARN, cfg.domain, f"Not looked up: {cfg.domain} is the built-in placeholder's "
                           "domain, not yours.", "Set from (DIGEST_FROM) to your sender address, then run "
                           "`digest doctor --dns` again."))
    elif dns:
        out += doctor_dns.check(cfg.domain, dkim=_dkim_keys(cfg), sender=sender or _relay_host(cfg),
                                envelope_domain=cfg.bounce_domain, resolver=_resolver(nameserver, timeout))
    return out


def _placeholders(cfg: Config) -> list[Finding]:
    """A setting never made is a problem: `digest send` refuses it, and doctor contacts no host of it."""
    check = {"sender": "sender", "base_url": "base_url", "postal_address": "postal_address"}
    return [Finding(check[attr], PROBLEM, var, f"{key} = {getattr(cfg, attr)!r} is the built-in placeholder: it was "
                    "never set, and `digest send` refuses to send it to real people.",
                    f'Set {key} = "..." in digest.toml, or {var} in the environment.')
            for attr, key, var in cfg.unset_placeholders()]


def _secret(cfg: Config) -> Finding:
    try:
        check_secret(cfg.secret)
    except ConfigError as exc:
        return Finding("secret", PROBLEM, "DIGEST_SECRET", exc.message, exc.hint)
    return Finding("secret", OK, "DIGEST_SECRET", "set, and strong enough to sign links and return paths")


def _base_url(cfg: Config) -> list[Finding]:
    parts = urllib.parse.urlsplit(cfg.base_url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [Finding("base_url", PROBLEM, "DIGEST_BASE_URL", f"`{cfg.base_url}` is not an absolute URL.",
                        "Set it to the public https URL of `digest serve`, e.g. https://news.example.com.")]
    if parts.scheme == "http":
        level = WARN if parts.hostname in LOCAL_HOSTS else PROBLEM
        return [Finding("base_url", level, "DIGEST_BASE_URL", f"`{cfg.base_url}` is not https: mail clients offer "
                        "one-click unsubscribe (RFC 8058) only on an https link.",
                        "Serve the subscriber pages behind TLS and set DIGEST_BASE_URL to the https URL.")]
    return [Finding("base_url", OK, "DIGEST_BASE_URL", f"{cfg.base_url} (https)")]


def _envelope(cfg: Config) -> list[Finding]:
    out = []
    try:
        check_bounce_setup(cfg)
        if not cfg.bounces.domain and "sender" in {attr for attr, _, _ in cfg.unset_placeholders()}:
            return [Finding("bounces", WARN, cfg.bounce_domain, f"Return path {cfg.bounces.prefix}+<token>@"
                            f"{cfg.bounce_domain} follows From, which is still the built-in placeholder.",
                            "Set from (DIGEST_FROM) first; the return path follows its domain.")]
        out.append(Finding("bounces", OK, cfg.bounce_domain,
                           f"Return path {cfg.bounces.prefix}+<token>@{cfg.bounce_domain}: bounces name their delivery."))
    except ConfigError as exc:
        out.append(Finding("bounces", PROBLEM, cfg.bounce_domain, exc.message, exc.hint))
    if not doctor_dns.aligned(cfg.bounce_domain, cfg.domain):
        out.append(Finding("alignment", WARN, cfg.bounce_domain, f"The bounce domain {cfg.bounce_domain} is not "
                           f"{cfg.domain} or a subdomain of it: SPF cannot align with From, so only DKIM can pass "
                           "DMARC.", f"Use a bounce domain under {cfg.domain}, e.g. bounces.{cfg.domain}."))
    if not cfg.unsubscribe_mailto:
        out.append(Finding("unsubscribe", WARN, "unsubscribe_mailto", "List-Unsubscribe has the https URL only.",
                           f"Set unsubscribe_mailto = \"mailto:unsubscribe@{cfg.bounce_domain}?subject=unsubscribe\" "
                           "and route it to `digest bounces serve`: some mail clients offer only the mailto."))
    return out


def _dkim(cfg: Config) -> list[Finding]:
    if not cfg.dkim_key:
        return [Finding("dkim", PROBLEM, "DIGEST_DKIM_KEY", "Messages go out unsigned: Gmail and Yahoo require "
                        "DKIM (or aligned SPF) of bulk senders, and DKIM survives forwarding.",
                        "Make a key (`openssl genrsa -out dkim.pem 2048`), set DIGEST_DKIM_KEY to its path and "
                        "publish its public half (`digest doctor --dns` shows the record).")]
    try:
        signer = signer_for(cfg)
    except ConfigError as exc:
        return [Finding("dkim", PROBLEM, "DIGEST_DKIM_KEY", exc.message, exc.hint)]
    assert signer is not None, "signer_for gives a Signer whenever dkim_key is set"
    out = [Finding("dkim", OK, f"{s}._domainkey.{signer.domain}", f"{algorithm} key readable; it signs for "
                   f"{signer.domain}") for algorithm, s in signer.keys]
    if not doctor_dns.aligned(signer.domain, cfg.domain):
        out.append(Finding("alignment", PROBLEM, signer.domain, f"DKIM signs for {signer.domain}, but mail is From "
                           f"{cfg.domain}: DMARC needs the two to align.",
                           f"Set DIGEST_DKIM_DOMAIN to {cfg.domain} (or a parent of it)."))
    return out


def _dkim_keys(cfg: Config) -> list[tuple[str, str, bytes]]:
    try:
        signer = signer_for(cfg)
    except ConfigError:
        return []
    if signer is None:
        return []
    paths = [p for p in (cfg.dkim_key, cfg.dkim_ed25519_key) if p]      # a Signer: dkim_key is set
    return [(s, signer.domain, Path(p).read_bytes()) for (_, s), p in zip(signer.keys, paths)]


def _feedback_id(cfg: Config) -> Finding:
    if not cfg.feedback_id:
        return Finding("feedback-id", WARN, "feedback_id", "No Feedback-ID header: Gmail's Postmaster Tools cannot "
                       "tell which edition drew complaints.", 'Set feedback_id = "{edition}:{newsletter}:digest".')
    return Finding("feedback-id", OK, "feedback_id", f"Feedback-ID: {cfg.feedback_id} (signed with DKIM)")


def _one_click(cfg: Config, timeout: float) -> Finding:
    url = tokens.url(cfg.base_url, cfg.secret, "unsubscribe", 0)
    answer = one_click.post(url, timeout=timeout)
    name = f"{cfg.base_url}/u/..."
    if answer.status is None:
        return Finding("unsubscribe", PROBLEM, name, f"No answer to a one-click POST: {answer.text}.",
                       "Start `digest serve` behind the public https URL of DIGEST_BASE_URL.")
    if answer.status == 200 or (answer.status == 404 and "no longer exists" in answer.text):
        return Finding("unsubscribe", OK, name, f"A one-click POST is answered ({answer.status}, for nobody: "
                       "subscriber #0), with our DIGEST_SECRET.")
    if answer.status == 400:
        return Finding("unsubscribe", PROBLEM, name, "The unsubscribe endpoint refuses our signed links: it runs with "
                       "another DIGEST_SECRET.", "Give `digest serve` the same DIGEST_SECRET as `digest send`.")
    return Finding("unsubscribe", PROBLEM, name, f"A one-click POST got HTTP {answer.status}: {answer.text.strip()[:80]}",
                   "DIGEST_BASE_URL must lead to `digest serve`; check the proxy in front of it.")


def _relay_host(cfg: Config) -> str | None:
    """The relay most of our mail goes through (the heaviest of several)."""
    relays = heaviest_first(cfg.relays())
    return relays[0].smtp.host if relays else None


def _resolver(nameserver: str | None, timeout: float) -> dns.resolver.Resolver:
    import dns.resolver
    if not nameserver:
        return dns.resolver.Resolver()
    host, _, port = nameserver.rpartition(":") if nameserver.count(":") == 1 else (nameserver, "", "")
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.lifetime = [host], timeout
    if port:
        if not port.isdigit():
            raise ConfigError(f"--nameserver {nameserver}: the port is not a number.", "Example: 127.0.0.1:5353")
        resolver.port = int(port)
    return resolver
