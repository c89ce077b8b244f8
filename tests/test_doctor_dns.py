"""`digest doctor --dns` findings, against a real DNS server on 127.0.0.1 (dnslib, UDP and TCP) that
serves the zone each test writes: SPF evaluated for the relay's address, the DKIM key compared with
the one we sign with, DMARC found at the From domain or its parent; every problem says what to publish."""

from __future__ import annotations

import base64
import socket

import dns.resolver
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from dnslib import AAAA, MX, QTYPE, RCODE, RR, TXT, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from digest.checks import doctor_dns
from digest.compose import dkimsign

FROM = "news.example.com"
BOUNCE = "bounce.news.example.com"
RELAY_IP = "203.0.113.25"


def pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.fixture(scope="module")
def rsa_pem():
    return pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="module")
def ed_pem():
    return pem(ed25519.Ed25519PrivateKey.generate())


class Zone(BaseResolver):
    """Answers from a dict {name: [(type, value), ...]}; NXDOMAIN for any other name."""

    def __init__(self):
        self.records: dict[str, list[tuple[str, str]]] = {}

    def add(self, name: str, rtype: str, value: str) -> None:
        self.records.setdefault(name.lower().rstrip("."), []).append((rtype, value))

    def resolve(self, request, handler):
        reply = request.reply()
        qname = str(request.q.qname).lower().rstrip(".")
        qtype = QTYPE[request.q.qtype]
        if qname not in self.records:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for rtype, value in self.records[qname]:
            if rtype != qtype:
                continue
            if rtype == "TXT":     # strings of at most 255 octets, as a DKIM key needs
                rdata = TXT([value[i:i + 255].encode() for i in range(0, len(value), 255)])
            else:
                rdata = {"A": A, "AAAA": AAAA, "MX": MX}[rtype](value)
            reply.add_answer(RR(request.q.qname, QTYPE.reverse[rtype], rdata=rdata, ttl=60))
        return reply


@pytest.fixture
def zone():
    """(zone, resolver): a DNS server on 127.0.0.1, UDP and TCP on one port, and a resolver that asks only it."""
    z = Zone()
    logger = DNSLogger(log="-request,-reply,-truncated,-error,-recv,-send,-data")
    for _ in range(20):        # a free UDP port whose TCP twin may be taken: try another
        udp = DNSServer(z, address="127.0.0.1", port=0, logger=logger)
        port = udp.server.server_address[1]
        try:
            tcp = DNSServer(z, address="127.0.0.1", port=port, tcp=True, logger=logger)
            break
        except OSError:
            udp.server.server_close()
    else:
        pytest.fail("no port free for both UDP and TCP on 127.0.0.1")
    udp.start_thread()
    tcp.start_thread()
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port, resolver.lifetime = ["127.0.0.1"], port, 5
    yield z, resolver
    udp.stop()
    tcp.stop()
    udp.server.server_close()
    tcp.server.server_close()


def good_zone(z: Zone, rsa_pem: bytes, ed_pem: bytes | None = None) -> None:
    z.add(BOUNCE, "TXT", "v=spf1 ip4:198.51.100.0/24 include:_spf.relay.example.net ~all")
    z.add("_spf.relay.example.net", "TXT", f"v=spf1 ip4:{RELAY_IP} ip6:2001:db8::/32 -all")
    z.add(f"sel1._domainkey.{FROM}", "TXT", dkimsign.public_record(rsa_pem))
    if ed_pem:
        z.add(f"ed1._domainkey.{FROM}", "TXT", dkimsign.public_record(ed_pem))
    z.add(f"_dmarc.{FROM}", "TXT", f"v=DMARC1; p=none; rua=mailto:dmarc@{FROM}")
    z.add("smtp.relay.example.net", "A", RELAY_IP)


def by_check(findings):
    out = {}
    for f in findings:
        out.setdefault(f.check, []).append(f)
    return out


def test_a_good_setup_is_all_ok(zone, rsa_pem, ed_pem):
    z, resolver = zone
    good_zone(z, rsa_pem, ed_pem)
    findings = doctor_dns.check(FROM, dkim=[("sel1", FROM, rsa_pem), ("ed1", FROM, ed_pem)], sender=RELAY_IP,
                                envelope_domain=BOUNCE, resolver=resolver)
    assert [f.level for f in findings] == ["ok"] * 4, findings
    assert {f.check for f in findings} == {"spf", "dkim", "dmarc"}
    assert "include:_spf.relay.example.net" in by_check(findings)["spf"][0].message


def test_a_relay_named_by_host_is_checked_by_its_addresses(zone, rsa_pem):
    z, resolver = zone
    good_zone(z, rsa_pem)
    spf = doctor_dns.spf(resolver, BOUNCE, "smtp.relay.example.net")
    assert [f.level for f in spf] == ["ok"] and RELAY_IP in spf[0].message


def test_everything_missing_is_three_problems_each_with_the_record_to_publish(zone, rsa_pem):
    _, resolver = zone
    findings = by_check(doctor_dns.check(FROM, dkim=[("sel1", FROM, rsa_pem)], sender=RELAY_IP,
                                         envelope_domain=BOUNCE, resolver=resolver))
    assert findings["spf"][0].level == "problem" and f"ip4:{RELAY_IP}" in findings["spf"][0].fix
    assert BOUNCE in findings["spf"][0].fix
    assert findings["dkim"][0].level == "problem" and dkimsign.public_record(rsa_pem) in findings["dkim"][0].fix
    assert findings["dmarc"][0].level == "problem" and "v=DMARC1; p=none" in findings["dmarc"][0].fix


def test_an_address_spf_does_not_list_fails(zone, rsa_pem):
    z, resolver = zone
    good_zone(z, rsa_pem)
    spf = doctor_dns.spf(resolver, BOUNCE, "192.0.2.99")
    assert spf[0].level == "problem" and "softfail" in spf[0].message and "ip4:192.0.2.99" in spf[0].fix


@pytest.mark.parametrize("records, words", [
    (["v=spf1 ip4:203.0.113.0/24 -all", "v=spf1 -all"], "2 SPF records"),
    (["v=spf1 +all"], "+all"),
    (["v=spf1 a mx all"], "+all"),
])
def test_broken_spf_records(zone, records, words):
    z, resolver = zone
    for r in records:
        z.add(BOUNCE, "TXT", r)
    spf = doctor_dns.spf(resolver, BOUNCE, RELAY_IP)
    assert spf[0].level == "problem" and words in spf[0].message


def test_spf_mechanisms_a_mx_and_redirect(zone):
    z, resolver = zone
    z.add(BOUNCE, "TXT", "v=spf1 mx redirect=_spf.news.example.com")
    z.add(BOUNCE, "MX", "mx.news.example.com.")
    z.add("mx.news.example.com", "A", "198.51.100.7")
    z.add("_spf.news.example.com", "TXT", "v=spf1 a:out.news.example.com/28 -all")
    z.add("out.news.example.com", "A", "192.0.2.16")
    assert doctor_dns.spf(resolver, BOUNCE, "198.51.100.7")[0].level == "ok"          # mx
    assert doctor_dns.spf(resolver, BOUNCE, "192.0.2.30")[0].level == "ok"            # redirect, then a/28
    assert doctor_dns.spf(resolver, BOUNCE, "192.0.2.40")[0].level == "problem"       # -all in the redirect


def test_spf_we_cannot_evaluate_is_a_warning_not_a_guess(zone):
    z, resolver = zone
    z.add(BOUNCE, "TXT", "v=spf1 exists:%{i}._spf.example.net -all")
    assert doctor_dns.spf(resolver, BOUNCE, RELAY_IP)[0].level == "warn"


def test_a_dkim_key_that_is_not_ours_is_a_problem(zone, rsa_pem):
    z, resolver = zone
    other = pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    z.add(f"sel1._domainkey.{FROM}", "TXT", dkimsign.public_record(other))
    f = doctor_dns.dkim_key(resolver, "sel1", FROM, rsa_pem, FROM)
    assert f[-1].level == "problem" and "not the public half" in f[-1].message
    assert dkimsign.public_record(rsa_pem) in f[-1].fix


def test_a_pkcs1_published_key_is_recognised(zone, rsa_pem):
    z, resolver = zone
    key = serialization.load_pem_private_key(rsa_pem, None).public_key()
    pkcs1 = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    z.add(f"sel1._domainkey.{FROM}", "TXT", "v=DKIM1; k=rsa; p=" + base64.b64encode(pkcs1).decode())
    assert doctor_dns.dkim_key(resolver, "sel1", FROM, rsa_pem, FROM)[-1].level == "ok"


def test_a_revoked_key_and_a_wrong_key_type(zone, rsa_pem, ed_pem):
    z, resolver = zone
    z.add(f"sel1._domainkey.{FROM}", "TXT", "v=DKIM1; k=rsa; p=")
    assert "revoked" in doctor_dns.dkim_key(resolver, "sel1", FROM, rsa_pem, FROM)[-1].message
    z.add(f"ed1._domainkey.{FROM}", "TXT", dkimsign.public_record(rsa_pem))
    assert "k=rsa" in doctor_dns.dkim_key(resolver, "ed1", FROM, ed_pem, FROM)[-1].message


def test_dkim_for_another_domain_does_not_align(zone, rsa_pem):
    z, resolver = zone
    z.add("sel1._domainkey.relay.example.net", "TXT", dkimsign.public_record(rsa_pem))
    findings = by_check(doctor_dns.dkim_key(resolver, "sel1", "relay.example.net", rsa_pem, FROM))
    assert findings["alignment"][0].level == "problem" and findings["dkim"][0].level == "ok"


def test_dmarc_at_the_organisational_domain_counts(zone):
    z, resolver = zone
    z.add("_dmarc.example.com", "TXT", "v=DMARC1; p=quarantine; adkim=s; aspf=s")
    findings = by_check(doctor_dns.dmarc(resolver, FROM, BOUNCE, ["example.com"]))
    assert findings["dmarc"][0].level == "ok" and findings["dmarc"][0].name == "_dmarc.example.com"
    assert [f.level for f in findings["alignment"]] == ["problem", "warn"]   # adkim=s, aspf=s with a bounce subdomain


def test_dns_that_does_not_answer_is_a_finding_not_a_crash(rsa_pem):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]           # bound, never read: queries go unanswered
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers, resolver.port, resolver.lifetime = ["127.0.0.1"], port, 0.5
        findings = doctor_dns.check(FROM, dkim=[("sel1", FROM, rsa_pem)], sender=RELAY_IP, resolver=resolver)
    assert {f.check for f in findings} == {"spf", "dkim", "dmarc"}
    assert all(f.level == "problem" and "did not answer" in f.message for f in findings)


def test_an_ed25519_key_published_as_k_rsa_is_a_wrong_key_not_a_crash(zone, rsa_pem, ed_pem):
    z, resolver = zone
    spki = serialization.load_pem_private_key(ed_pem, None).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    z.add(f"sel1._domainkey.{FROM}", "TXT", "v=DKIM1; k=rsa; p=" + base64.b64encode(spki).decode())
    f = doctor_dns.dkim_key(resolver, "sel1", FROM, rsa_pem, FROM)
    assert f[-1].level == "problem" and "not the public half" in f[-1].message
