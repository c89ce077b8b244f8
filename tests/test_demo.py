"""`digest demo` as a user runs it: a subprocess in a fresh directory, a real SMTP server, real files."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT, SHARED, parse

EMAILCHECK = SHARED / "emailcheck" / "emailcheck"


def digest(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "digest.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_demo_sends_one_message_per_subscriber_and_nothing_twice(tmp_path, monkeypatch):
    monkeypatch.delenv("DIGEST_DB")
    monkeypatch.delenv("DIGEST_SECRET")
    r = digest("demo", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "demo-out"
    emls = sorted(out.glob("*.eml"))
    rcpts = [parse(p.read_bytes())["To"].addresses[0].addr_spec for p in emls]
    assert len(rcpts) == len(set(rcpts)) > 0
    import csv
    listed = {row["email"].lower() for row in csv.DictReader(open(ROOT / "subscribers" / "newsroom.csv"))}
    assert set(rcpts) == listed
    assert list(out.glob("preview-*.html"))
    assert "topic mix" in r.stdout and "recipients" in r.stdout
    assert (tmp_path / "digest.db").exists()

    again = digest("demo", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "nothing sent twice" in again.stderr
    assert sorted(out.glob("*.eml")) == emls

    if EMAILCHECK.exists() and (SHARED / "emailcheck" / ".venv").exists():
        for p in emls:
            check = subprocess.run([str(EMAILCHECK), str(p), "--no-render", "--no-vnu", "--no-spam",
                                    "--out", str(tmp_path / "ec" / p.stem)], capture_output=True, text=True)
            assert check.returncode == 0, check.stdout[-3000:]
            mime = check.stdout.split("== 2.")[0]
            assert "[FAIL]" not in mime, mime
