"""digest installs like a Python tool: the wheel carries the templates (email and web), the seeds
and the sample list, so `digest demo` and `digest serve` work from an empty folder.

Builds the wheel, installs it in a fresh venv (dependencies from the package index, through pip's
own cache), and runs the installed `digest` from an empty folder. Slow: about a minute with a warm
cache. Skipped, with the reason, only when the package index cannot be reached.
"""

from __future__ import annotations

import email
import email.policy
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile

import pytest

from conftest import ROOT
from smtp_server import announced_port

pytestmark = pytest.mark.slow


def _index_reachable() -> str | None:
    """None when the index answers, else why not."""
    index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple/")
    parts = urllib.parse.urlsplit(index)
    if parts.scheme == "file":
        return None
    try:
        socket.create_connection((parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)),
                                 timeout=5).close()
    except OSError as exc:
        return f"the package index {parts.hostname} cannot be reached ({exc}); the fresh venv needs digest's dependencies"
    return None


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert p.returncode == 0, f"{cmd}\nstdout: {p.stdout[-3000:]}\nstderr: {p.stderr[-3000:]}"
    return p


def test_the_wheel_runs_demo_and_serve_from_an_empty_folder(tmp_path):
    why = _index_reachable()
    if why:
        pytest.skip(why)
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)])
    [wheel] = wheels.glob("digest-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in ("digest/data/templates/digest.html", "digest/data/templates/_styles.css",
                    "digest/data/templates/web/preferences.html", "digest/data/subscribers/newsroom.csv"):
        assert shipped in names
    assert sum(n.startswith("digest/data/seeds/") and n.endswith(".txt") for n in names) == 15
    for lang in ("de", "fr", "es"):
        assert f"digest/locales/{lang}/LC_MESSAGES/digest.po" in names

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)])   # pip's cache is reused

    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "PYTHON"))}
    digest = str(venv / "bin" / "digest")
    demo = _run([digest, "demo"], cwd=empty, env={**env, "DIGEST_LANGUAGE": "de"})
    assert "sent 12" in demo.stderr, demo.stderr
    emls = list((empty / "demo-out").glob("*.eml"))
    assert len(emls) == 12
    html = email.message_from_bytes(emls[0].read_bytes(), policy=email.policy.default).get_body(("html",))
    assert 'lang="de"' in html.get_content() and html["Content-Language"] == "de"   # the wheel's catalog
    assert str(ROOT) not in demo.stderr            # the shipped seeds, not this checkout's

    log = tmp_path / "serve.log"
    server = subprocess.Popen([digest, "serve", "--demo", "--port", "0"], cwd=empty, env=env,
                              stdout=log.open("w"), stderr=subprocess.STDOUT, text=True)
    try:
        port = announced_port(log, server)
        pages = {}
        deadline = time.monotonic() + 30
        for path in ("/archive/", "/feed/europe.xml"):
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                        pages[path] = (r.status, r.read().decode())
                    break
                except OSError:
                    assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                    time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(10)
    status, html = pages["/archive/"]
    assert status == 200 and "<html" in html.lower() and "Europe" in html
    assert pages["/feed/europe.xml"][0] == 200 and "<feed" in pages["/feed/europe.xml"][1]
