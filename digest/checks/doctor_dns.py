"""`digest doctor --dns`: do the SPF, DKIM and DMARC records let our mail through? Findings, not errors.

Since 2024 Gmail and Yahoo refuse bulk mail that is not authenticated: SPF or DKIM must pass and
align with the From domain, and the From domain must publish DMARC. This module asks DNS (dnspython,
through the resolver it is given, so tests can point it at a server on 127.0.0.1) and returns one
Finding per record: ok, warn or problem, with what to publish or change. It evaluates SPF for the
address(es) that hand our mail to the world (ip4, ip6, a, mx, include, redirect, all; the rare
exists/ptr/macros are reported, not guessed). SPF is checked on the envelope domain, which is the
bounce domain once VERP is on, since that is the domain receivers check.
May import: compose.dkimsign.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import dns.exception
import dns.resolver

from ..compose import dkimsign

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

OK, WARN, PROBLEM = "ok", "warn", "problem"
_SPF_LOOKUP_LIMIT = 10        # RFC 7208 4.6.4


@dataclass(frozen=True)
class Finding:
    check: str            # "spf", "dkim", "dmarc", "alignment"
    level: str            # ok, warn, problem
    name: str             # the DNS name asked
    message: str          # what was found
    fix: str | None = None

    @property
    def ok(self) -> bool:
        return self.level != PROBLEM


class _DNSDown(Exception):
    pass


def _txt(resolver: dns.resolver.Resolver, name: str) -> list[str]:
    """The TXT strings at a name (each record's strings joined); [] when there is none."""
    try:
        answer = resolver.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.Timeout, dns.resolver.NoNameservers) as exc:
        raise _DNSDown(f"DNS did not answer for {name} ({type(exc).__name__})") from None
    return [b"".join(r.strings).decode("utf-8", "replace") for r in answer]


def _addresses(resolver: dns.resolver.Resolver, name: str) -> list[IPAddress]:
    out = []
    for rtype in ("A", "AAAA"):
        try:
            out += [ipaddress.ip_address(r.address) for r in resolver.resolve(name, rtype)]
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            pass
        except (dns.exception.Timeout, dns.resolver.NoNameservers) as exc:
            raise _DNSDown(f"DNS did not answer for {name} ({type(exc).__name__})") from None
    return out


def check(from_domain: str, *, dkim: Sequence[tuple[str, str, bytes]] = (), sender: str | None = None,
          envelope_domain: str | None = None, resolver: dns.resolver.Resolver | None = None) -> list[Finding]:
    """Findings for a sending setup. `dkim` holds (selector, signing domain, private key PEM) for each
    key we sign with; `sender` is the IP address or host name that hands our mail to the internet
    (the relay); `envelope_domain` is the MAIL FROM domain (the bounce domain), the From domain when
    None."""
    resolver = resolver or dns.resolver.Resolver()
    findings: list[Finding] = []
    for name, step in (("spf", lambda: spf(resolver, envelope_domain or from_domain, sender)),
                       *[("dkim", lambda s=s, d=d, k=k: dkim_key(resolver, s, d, k, from_domain)) for s, d, k in dkim],
                       ("dmarc", lambda: dmarc(resolver, from_domain, envelope_domain, [d for _, d, _ in dkim]))):
        try:
            findings += step()
        except _DNSDown as exc:
            findings.append(Finding(name, PROBLEM, from_domain, str(exc),
                                    "Check the network and /etc/resolv.conf, then run `digest doctor --dns` again."))
    return findings


# ---- SPF

def spf(resolver: dns.resolver.Resolver, domain: str, sender: str | None) -> list[Finding]:
    records = [r for r in _txt(resolver, domain) if r.lower().startswith("v=spf1") and r[6:7] in ("", " ")]
    suggestion = f"v=spf1 {_mechanism_for(sender)} ~all" if sender else "v=spf1 include:<your relay's SPF> ~all"
    if not records:
        return [Finding("spf", PROBLEM, domain, f"{domain} publishes no SPF record.",
                        f'Publish TXT "{suggestion}" at {domain}.')]
    if len(records) > 1:
        return [Finding("spf", PROBLEM, domain, f"{domain} publishes {len(records)} SPF records; receivers treat "
                        "that as an error (RFC 7208 4.5).", "Merge them into one v=spf1 record.")]
    record = records[0]
    terms = record.split()[1:]
    if any(t.lower() in ("+all", "all") for t in terms):
        return [Finding("spf", PROBLEM, domain, f"{domain}'s SPF ends in +all: anyone may send as {domain}.",
                        "End the record with ~all or -all.")]
    if sender is None:
        return [Finding("spf", OK, domain, f"{domain} publishes SPF: {record}")]
    ips = _sender_ips(resolver, sender)
    if not ips:
        return [Finding("spf", PROBLEM, domain, f"The relay {sender} has no address in DNS.",
                        "Give the relay's outgoing IP address to `digest doctor --dns`.")]
    out = []
    for ip in ips:
        verdict, why = _evaluate(resolver, domain, ip, [0])
        if verdict == "pass":
            out.append(Finding("spf", OK, domain, f"{ip} may send for {domain} ({why})."))
        elif verdict == "unknown":
            out.append(Finding("spf", WARN, domain, f"Cannot tell whether {ip} may send for {domain}: {why}.",
                               "Check the record with your relay's SPF tool."))
        else:
            out.append(Finding("spf", PROBLEM, domain, f"SPF gives {verdict} for {ip} at {domain} ({why}).",
                               f"Add {_mechanism_for(str(ip))} (or your relay's include:) to the record: {record}"))
    return out


def _mechanism_for(sender: str) -> str:
    try:
        ip = ipaddress.ip_address(sender)
    except ValueError:
        return f"a:{sender}"
    return f"ip{ip.version}:{ip}"


def _sender_ips(resolver: dns.resolver.Resolver, sender: str) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(sender)]
    except ValueError:
        return _addresses(resolver, sender)


def _evaluate(resolver: dns.resolver.Resolver, domain: str, ip: IPAddress, lookups: list[int]) -> tuple[str, str]:
    """("pass" | "fail" | "softfail" | "neutral" | "none" | "unknown", why) for ip at domain."""
    records = [r for r in _txt(resolver, domain) if r.lower().startswith("v=spf1")]
    if len(records) != 1:
        return ("none" if not records else "unknown"), f"{domain} has {len(records)} SPF records"
    redirect = None
    for term in records[0].split()[1:]:
        qualifier = term[0] if term[0] in "+-~?" else "+"
        mech = term.lstrip("+-~?")
        kind, _, arg = mech.partition(":")
        kind, _, kind_cidr = kind.lower().partition("/")       # a/24, mx/24
        if kind.startswith("redirect="):
            redirect = mech.split("=", 1)[1]
            continue
        if "=" in kind or kind == "exp":
            continue                                        # a modifier (exp=...) decides nothing
        if "%" in arg or kind in ("exists", "ptr"):
            return "unknown", f"{domain} uses {term}, which this check does not evaluate"
        if kind in ("a", "mx", "include"):
            lookups[0] += 1
            if lookups[0] > _SPF_LOOKUP_LIMIT:
                return "unknown", "more than 10 DNS lookups (receivers give permerror)"
        matched = False
        if kind == "all":
            matched = True
        elif kind in ("ip4", "ip6"):
            try:
                matched = ip in ipaddress.ip_network(arg, strict=False)
            except ValueError:
                return "unknown", f"{term} is not an address"
        elif kind in ("a", "mx"):
            target, _, cidr = arg.partition("/")
            target, cidr = target or domain, cidr or kind_cidr
            hosts = [target] if kind == "a" else _mx_hosts(resolver, target)
            try:
                matched = any(ip in ipaddress.ip_network(f"{a}/{cidr or a.max_prefixlen}", strict=False)
                              for h in hosts for a in _addresses(resolver, h) if a.version == ip.version)
            except ValueError:
                return "unknown", f"{term} has a prefix length this check does not read"
        elif kind == "include":
            inner, _ = _evaluate(resolver, arg, ip, lookups)
            if inner == "unknown":
                return "unknown", f"include:{arg} could not be evaluated"
            matched = inner == "pass"
        if matched:
            verdict = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}[qualifier]
            return verdict, f"{term} in {domain}'s record"
    if redirect:
        lookups[0] += 1
        return _evaluate(resolver, redirect, ip, lookups)
    return "neutral", f"nothing in {domain}'s record matches"


def _mx_hosts(resolver: dns.resolver.Resolver, domain: str) -> list[str]:
    try:
        return [str(r.exchange).rstrip(".") for r in resolver.resolve(domain, "MX")]
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []


# ---- DKIM

def _tags(record: str) -> dict[str, str]:
    out = {}
    for part in record.split(";"):
        k, eq, v = part.partition("=")
        if eq:
            out[k.strip().lower()] = "".join(v.split())
    return out


def dkim_key(resolver: dns.resolver.Resolver, selector: str, domain: str, private_pem: bytes,
             from_domain: str) -> list[Finding]:
    name = f"{selector}._domainkey.{domain}"
    want = dkimsign.public_record(private_pem)
    fix = f'Publish TXT "{want}" at {name}.'
    records = [r for r in _txt(resolver, name) if "p=" in r]
    out = []
    if not aligned(domain, from_domain):
        out.append(Finding("alignment", PROBLEM, name, f"DKIM signs for {domain}, but mail is From {from_domain}: "
                           "DMARC needs the two to align.", f"Set DIGEST_DKIM_DOMAIN to {from_domain} (or a parent)."))
    if not records:
        return out + [Finding("dkim", PROBLEM, name, f"No DKIM key is published at {name}.", fix)]
    if len(records) > 1:
        return out + [Finding("dkim", PROBLEM, name, f"{len(records)} DKIM records at {name}.", fix)]
    tags, ours = _tags(records[0]), _tags(want)
    if not tags.get("p"):
        return out + [Finding("dkim", PROBLEM, name, f"The key at {name} is revoked (empty p=).", fix)]
    if tags.get("k", "rsa") != ours["k"]:
        return out + [Finding("dkim", PROBLEM, name, f"{name} publishes a k={tags.get('k', 'rsa')} key; ours is "
                              f"k={ours['k']}.", fix)]
    if not _same_key(tags["p"], ours["p"], ours["k"]):
        return out + [Finding("dkim", PROBLEM, name, f"The key at {name} is not the public half of the key digest "
                              "signs with: every signature will fail.", fix)]
    return out + [Finding("dkim", OK, name, f"{name} publishes the public half of our {ours['k']} key.")]


def _same_key(published: str, ours: str, kind: str) -> bool:
    """Equal keys, whichever DER form DNS holds (SubjectPublicKeyInfo, or a bare PKCS#1 RSAPublicKey)."""
    if published == ours:
        return True
    if kind != "rsa":
        return False
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    try:
        der = base64.b64decode(published)
        try:
            key = serialization.load_der_public_key(der)
        except ValueError:
            pem = b"-----BEGIN RSA PUBLIC KEY-----\n" + base64.encodebytes(der) + b"-----END RSA PUBLIC KEY-----\n"
            key = serialization.load_pem_public_key(pem)
        mine = serialization.load_der_public_key(base64.b64decode(ours))
    except (ValueError, TypeError):
        return False
    # A key of another kind published under k=rsa (or our own not RSA) is no match, not a crash.
    if not isinstance(key, rsa.RSAPublicKey) or not isinstance(mine, rsa.RSAPublicKey):
        return False
    return key.public_numbers() == mine.public_numbers()


def aligned(domain: str, from_domain: str) -> bool:
    """Relaxed DMARC alignment, approximated without the public suffix list: one domain is the other
    or a subdomain of it."""
    a, b = domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    return a == b or a.endswith("." + b) or b.endswith("." + a)


# ---- DMARC

def dmarc(resolver: dns.resolver.Resolver, from_domain: str, envelope_domain: str | None,
          dkim_domains: list[str]) -> list[Finding]:
    labels = from_domain.lower().rstrip(".").split(".")
    for i in range(max(1, len(labels) - 1)):       # the From domain, then its parents (the organisational domain)
        name = "_dmarc." + ".".join(labels[i:])
        records = [r for r in _txt(resolver, name) if r.replace(" ", "").lower().startswith("v=dmarc1")]
        if records:
            break
    else:
        return [Finding("dmarc", PROBLEM, f"_dmarc.{from_domain}", f"{from_domain} publishes no DMARC record; Gmail "
                        "and Yahoo require one of bulk senders.",
                        f'Publish TXT "v=DMARC1; p=none; rua=mailto:dmarc@{from_domain}" at _dmarc.{from_domain}.')]
    if len(records) > 1:
        return [Finding("dmarc", PROBLEM, name, f"{len(records)} DMARC records at {name}; receivers ignore them all.",
                        "Keep one.")]
    tags = _tags(records[0])
    out = []
    if tags.get("p", "").lower() not in ("none", "quarantine", "reject"):
        out.append(Finding("dmarc", PROBLEM, name, f"The DMARC record at {name} has no valid p= policy.",
                           "Start with p=none and move to quarantine once reports are clean."))
    else:
        out.append(Finding("dmarc", OK, name, f"{name}: {records[0]}"))
    if tags.get("adkim", "r").lower() == "s" and any(d.lower() != from_domain.lower() for d in dkim_domains):
        out.append(Finding("alignment", PROBLEM, name, "adkim=s needs DKIM to sign for exactly "
                           f"{from_domain}.", f"Set DIGEST_DKIM_DOMAIN to {from_domain}, or use adkim=r."))
    if envelope_domain and tags.get("aspf", "r").lower() == "s" and envelope_domain.lower() != from_domain.lower():
        out.append(Finding("alignment", WARN, name, f"aspf=s: SPF on {envelope_domain} does not align with "
                           f"{from_domain}; only DKIM can pass DMARC.", "Keep DKIM aligned, or use aspf=r."))
    return out
