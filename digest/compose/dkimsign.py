"""DKIM signing (RFC 6376) at the speed of sending: relaxed/relaxed canonicalisation here, the RSA
and Ed25519 (RFC 8463) arithmetic in OpenSSL through `cryptography`. Bytes in, bytes out.

dkimpy did the same in pure-Python RSA at 9-12 ms a message, a tenth of the relay's speed; this is
about 1 ms (benchmarks/dkim_sign.py measures both in one run). dkimpy stays in the tests as the
verifier every signature made here must pass.
A signature covers the headers it is given in the order given; a name listed but absent from the
message is still listed in h=, so nobody can add that header later without breaking the signature.
May import: nothing from digest.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

_WSP_RUN = re.compile(rb"[ \t]+")
# Only the runs that change: two or more WSP, or a tab. Matching every single space as well made
# canonicalisation cost twice the RSA signature.
_WSP_TO_FOLD = re.compile(rb"(?: [ \t]|\t)[ \t]*")
_BARE_LF = re.compile(rb"(?<!\r)\n")


def canon_body(body: bytes) -> bytes:
    """Relaxed body canonicalisation (RFC 6376 3.4.4): runs of WSP become one space, WSP at line ends
    and empty lines at the end go, and a non-empty body ends in CRLF."""
    body = _WSP_TO_FOLD.sub(b" ", body).replace(b" \r\n", b"\r\n")   # after folding, one space at most
    body = body.rstrip(b" ").rstrip(b"\r\n")
    return body + b"\r\n" if body else b""


def canon_header(field: bytes) -> bytes:
    """Relaxed header canonicalisation (RFC 6376 3.4.2) of one raw field, continuation lines included:
    `name:value\\r\\n` with the name in lower case, unfolded, WSP runs as one space, none at the ends."""
    name, _, value = field.partition(b":")
    value = _WSP_RUN.sub(b" ", value.replace(b"\r\n", b"")).strip(b" ")
    return name.strip().lower() + b":" + value + b"\r\n"


def split_message(data: bytes) -> tuple[list[bytes], bytes]:
    """(raw header fields, each with its continuation lines and CRLFs; the body) of CRLF-ended bytes."""
    end = data.find(b"\r\n\r\n")
    head, body = (data[:end + 2], data[end + 4:]) if end >= 0 else (data, b"")
    fields: list[bytes] = []
    for line in head.split(b"\r\n")[:-1] if head.endswith(b"\r\n") else head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line + b"\r\n"
        else:
            fields.append(line + b"\r\n")
    return fields, body


def _select(fields: list[bytes], names: tuple[bytes, ...]) -> bytes:
    """The canonical text of the signed headers: for each name in turn, the last instance not yet
    used (RFC 6376 5.4.2), nothing for a name that is absent."""
    by_name: dict[bytes, list[bytes]] = {}
    for field in fields:
        by_name.setdefault(field.partition(b":")[0].strip().lower(), []).append(field)
    out = []
    for name in names:
        found = by_name.get(name.lower())
        if found:
            out.append(canon_header(found.pop()))
    return b"".join(out)


def _fold(items: list[str], sep: str, width: int = 70) -> str:
    lines, line = [], ""
    for i, item in enumerate(items):
        piece = item + (sep if i < len(items) - 1 else "")
        if line and len(line) + len(piece) > width:
            lines.append(line)
            line = ""
        line += piece
    return "\r\n ".join(lines + [line])


def load_private_key(pem: bytes) -> PrivateKey:
    """An RSA or Ed25519 private key from PEM (PKCS#1 or PKCS#8); ValueError otherwise."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValueError(" ".join(str(exc).split()) or type(exc).__name__) from None
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise ValueError(f"a {type(key).__name__.removeprefix('_')} key, not RSA or Ed25519")
    return key


def public_record(key: PrivateKey | bytes) -> str:
    """The DNS TXT record that publishes a private key's public half: `v=DKIM1; k=rsa; p=...`."""
    if isinstance(key, bytes):
        key = load_private_key(key)
    pub = key.public_key()
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return "v=DKIM1; k=ed25519; p=" + base64.b64encode(raw).decode()
    der = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


class Signer:
    """One or two DKIM-Signature headers over `headers`: rsa-sha256 with `rsa_pem`, and
    ed25519-sha256 with `ed25519_pem` when given (each key under its own selector)."""

    def __init__(self, rsa_pem: bytes, selector: str, domain: str, headers: tuple[bytes, ...], *,
                 ed25519_pem: bytes | None = None, ed25519_selector: str | None = None):
        try:
            key = load_private_key(rsa_pem)
        except ValueError as exc:
            raise ValueError(f"not a PEM RSA private key ({exc})") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("not a PEM RSA private key (an Ed25519 key: give it as the second key, "
                             "beside an RSA key; receivers that check only RSA would see no signature)")
        self.keys: list[tuple[str, str, PrivateKey]] = [("rsa-sha256", selector, key)]
        if ed25519_pem is not None:
            try:
                ed = load_private_key(ed25519_pem)
            except ValueError as exc:
                raise ValueError(f"not a PEM Ed25519 private key ({exc})") from None
            if not isinstance(ed, ed25519.Ed25519PrivateKey):
                raise ValueError("not a PEM Ed25519 private key (it is RSA)")
            self.keys.append(("ed25519-sha256", ed25519_selector or f"{selector}-ed25519", ed))
        self.domain, self.headers = domain, tuple(headers)
        self._h = _fold([h.decode("ascii").lower() for h in self.headers], ":")

    def sign(self, data: bytes, now: int | None = None) -> bytes:
        """`data` with the DKIM-Signature header(s) in front. Bare LF line ends are signed as the CRLF
        that smtplib sends."""
        if data.count(b"\n") != data.count(b"\r\n"):      # two C scans: a regex search took 0.2 ms
            data = _BARE_LF.sub(b"\r\n", data)
        fields, body = split_message(data)
        bh = base64.b64encode(hashlib.sha256(canon_body(body)).digest()).decode()
        signed = _select(fields, self.headers)
        t = int(time.time()) if now is None else now
        out = []
        for algorithm, selector, key in self.keys:
            head = (f"DKIM-Signature: v=1; a={algorithm}; c=relaxed/relaxed; d={self.domain}; s={selector};\r\n"
                    f" t={t}; h={self._h};\r\n bh={bh};\r\n b=").encode("ascii")
            digest_input = signed + canon_header(head)[:-2]        # the signature's own header, b= empty, no CRLF
            if isinstance(key, rsa.RSAPrivateKey):      # rsa-sha256
                sig = key.sign(digest_input, padding.PKCS1v15(), hashes.SHA256())
            else:
                sig = key.sign(hashlib.sha256(digest_input).digest())     # RFC 8463: Ed25519 over the SHA-256
            b64 = base64.b64encode(sig).decode()
            out.append(head + "\r\n ".join(b64[i:i + 72] for i in range(0, len(b64), 72)).encode("ascii") + b"\r\n")
        return b"".join(out) + data
