"""What DKIM signing costs per message: the old signer (dkimpy, pure-Python RSA) against the new one
(digest.compose.dkimsign: OpenSSL through `cryptography`), RSA alone and RSA + Ed25519, in the same run.

Run from the repository root:  .venv/bin/python benchmarks/dkim_sign.py [--messages N] [--json FILE]

The messages are real digests: the demo's seeds and sample list in a temporary database, and
`digest preview --format eml` for each topic mix, through the installed CLI. Every signature made
here is checked with dkimpy's verifier before anything is timed, so a fast wrong signer cannot win.
Prints CPU milliseconds per message for each signer (time.process_time, one core).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MIXES = [["Europe"], ["World"], ["Politics"], ["Europe", "World"], ["Europe", "Politics", "World"]]
DOMAIN = "news.example.com"


def real_messages(folder: Path) -> list[bytes]:
    """One real digest per topic mix, as `digest preview --format eml` writes it."""
    digest = [sys.executable, "-m", "digest"]
    env = {**os.environ, "DIGEST_DB": str(folder / "bench.db"), "DIGEST_BASE_URL": f"https://{DOMAIN}",
           "DIGEST_SECRET": "0" * 16 + "benchmark-secret-not-for-production-use-9f8e7d6c5b4a"}
    for args in (["init"], ["articles", "ingest", str(ROOT / "seeds")],
                 ["subscribers", "import", str(ROOT / "subscribers" / "newsroom.csv")]):
        subprocess.run(digest + args, env=env, cwd=folder, check=True, capture_output=True)
    out = []
    for i, mix in enumerate(MIXES):
        eml = folder / f"mix{i}.eml"
        topics = [a for t in mix for a in ("--topic", t)]
        subprocess.run(digest + ["preview", *topics, "--format", "eml", "--out", str(eml)], env=env, cwd=folder,
                       check=True, capture_output=True)
        data = eml.read_bytes()
        out.append(data if b"\r\n" in data else data.replace(b"\n", b"\r\n"))
    return out


def keys(folder: Path) -> tuple[bytes, bytes]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
    fmt = (serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return (rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(*fmt),
            ed25519.Ed25519PrivateKey.generate().private_bytes(*fmt))


def dkimpy_signer(rsa_pem: bytes):
    """The signer digest used before: dkimpy over the same header list, relaxed/relaxed."""
    import dkim

    from digest.compose.message import DKIM_HEADERS
    return lambda data: dkim.sign(data, b"bench", DOMAIN.encode(), rsa_pem, include_headers=list(DKIM_HEADERS),
                                  canonicalize=(b"relaxed", b"relaxed"), linesep=b"\r\n") + data


def check(sign, messages: list[bytes], records: dict[str, str]) -> None:
    """Every signature on every message passes dkimpy's verifier, or the benchmark stops."""
    import dkim

    def dns(name, timeout=5):
        return records.get(name.decode().split("._domainkey.")[0], "").encode() or None
    for data in messages:
        signed = sign(data)
        count = signed.split(b"\r\n\r\n")[0].lower().count(b"\r\ndkim-signature:") + signed.lower().startswith(
            b"dkim-signature:")
        for i in range(count):
            if not dkim.DKIM(signed).verify(idx=i, dnsfunc=dns):
                raise SystemExit(f"signature {i} does not verify: the benchmark would measure a broken signer")


def cost(sign, messages: list[bytes], n: int) -> float:
    """CPU ms per message over n signatures (the messages in turn)."""
    start = time.process_time()
    for i in range(n):
        sign(messages[i % len(messages)])
    return (time.process_time() - start) / n * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=2000, help="signatures per new signer (dkimpy does a tenth)")
    ap.add_argument("--json", dest="json_out", metavar="FILE")
    args = ap.parse_args()
    from digest.compose import dkimsign, message

    with tempfile.TemporaryDirectory(prefix="digest-dkim-") as d:
        messages = real_messages(Path(d))
        rsa_pem, ed_pem = keys(Path(d))
    records = {"bench": dkimsign.public_record(rsa_pem), "bench-ed25519": dkimsign.public_record(ed_pem)}
    signers = {
        "dkimpy (before)": dkimpy_signer(rsa_pem),
        "digest, rsa-sha256": message.Signer(rsa_pem, "bench", DOMAIN).sign,
        "digest, rsa-sha256 + ed25519-sha256": message.Signer(rsa_pem, "bench", DOMAIN, ed25519_key_pem=ed_pem).sign,
    }
    for sign in signers.values():
        check(sign, messages, records)
    result = {"message_kb": round(sum(map(len, messages)) / len(messages) / 1024, 1), "ms_per_message": {}}
    for name, sign in signers.items():
        n = max(20, args.messages // 10) if name.startswith("dkimpy") else args.messages
        result["ms_per_message"][name] = round(cost(sign, messages, n), 3)
    base = result["ms_per_message"]["dkimpy (before)"]
    print(f"messages: {len(messages)} real digests, {result['message_kb']} KB on average; "
          "every signature verified with dkimpy first")
    for name, ms in result["ms_per_message"].items():
        print(f"{name:38s} {ms:8.3f} ms/msg  ({base / ms:5.1f}x faster than dkimpy)" if ms != base
              else f"{name:38s} {ms:8.3f} ms/msg  (baseline)")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
