"""The independent judge: ../shared/emailcheck on the messages the demo's path really sends.

The demo's path runs in process (init, ingest seeds/, import subscribers/newsroom.csv, a German, a
French and a Hebrew reader of every topic; send) into a real SMTP server on 127.0.0.1; every received
message is then checked by emailcheck (MIME, headers, HTML, text; no FAIL), and the biggest message
in English, German, French and Hebrew (right to left) gets the full run (vnu, Chromium rendering,
SpamAssassin): no FAIL, at most one WARN, SpamAssassin score at most 1.0.

Skipped with a reason when emailcheck's setup has not been run (../shared/emailcheck/setup.sh).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import ROOT, SEEDS, SHARED, SHARED_SEED, SUBSCRIBERS, optional, parse

EMAILCHECK = SHARED / "emailcheck" / "emailcheck"
SCORE = re.compile(r"^SCORE (\d+)/100\s+pass=(\d+) warn=(\d+) fail=(\d+)", re.M)
SPAM = re.compile(r"\[(?:PASS|WARN|FAIL)\] spamassassin score: (-?\d+(?:\.\d+)?)")

pytestmark = pytest.mark.skipif(
    not (EMAILCHECK.exists() and (SHARED / "emailcheck" / ".venv").is_dir()),
    reason=optional("the checker ../shared/emailcheck is not set up", "judging the sent mail as mail clients and "
                    "spam filters do", f"to run it: {SHARED / 'emailcheck' / 'setup.sh'} once, needs apt, PyPI and npm"))


def emailcheck(eml: Path, out: Path, *flags: str) -> tuple[int, str]:
    r = subprocess.run([str(EMAILCHECK), str(eml), "--out", str(out), *flags],
                       capture_output=True, text=True, timeout=300)
    return r.returncode, r.stdout + r.stderr


def score(report: str) -> dict[str, int]:
    m = SCORE.search(report)
    assert m, f"no SCORE line in the emailcheck report:\n{report[-2000:]}"
    return dict(score=int(m.group(1)), passed=int(m.group(2)), warn=int(m.group(3)), fail=int(m.group(4)))


@pytest.fixture
def sent(run, tmp_path, smtp_env) -> list[Path]:
    """The demo's path, in process: whatever seeds/ holds (else the shared sample article), the
    newsroom list (else three subscribers), sent to the SMTP server, one .eml per message."""
    assert run("init").exit_code == 0
    seeds = SEEDS if any(SEEDS.glob("*.txt")) or any(SEEDS.glob("*.jsonl")) else SHARED_SEED
    r = run("articles", "ingest", seeds)
    assert r.exit_code == 0, r
    newsroom = SUBSCRIBERS / "newsroom.csv"
    if newsroom.exists():
        assert run("subscribers", "import", newsroom).exit_code == 0
    else:
        for email, topics in [("ada@example.org", ["Europe"]), ("grace@example.org", ["Europe", "World"]),
                              ("alan@example.net", ["Europe", "Politics", "World"])]:
            run("subscribers", "add", email, *[a for t in topics for a in ("--topic", t)])
    for language in ("de", "fr", "he"):    # the demo edition as a German, a French and a Hebrew reader gets it
        r = run("subscribers", "add", f"{language}@example.org", "--language", language,
                *[a for t in ("Europe", "Politics", "World") for a in ("--topic", t)])
        assert r.exit_code == 0, r
    r = run("send", "--yes")
    assert r.exit_code == 0, r
    emls = sorted(smtp_env.folder.glob("*.eml"))
    assert emls and len(emls) == len(smtp_env.messages)
    return emls


def test_every_sent_message_has_no_fail(sent, tmp_path):
    def check(eml: Path):
        return eml, *emailcheck(eml, tmp_path / "ec" / eml.stem, "--no-vnu", "--no-render", "--no-spam")

    with ThreadPoolExecutor(max_workers=2) as pool:      # each run is mostly process start-up
        results = list(pool.map(check, sent))
    for eml, code, report in results:
        assert "[FAIL]" not in report and code == 0, f"{eml.name}:\n{report}"
        assert score(report)["fail"] == 0


def language_of(eml: Path) -> str:
    return parse(eml.read_bytes()).get_body(("html",))["Content-Language"]


@pytest.mark.slow
@pytest.mark.parametrize("language", ["en", "de", "fr", "he"])
def test_full_check_of_the_biggest_message(sent, tmp_path, language):
    # The biggest digest (every topic) has the most to go wrong: size, links, text twin, rendering.
    eml = max((p for p in sent if language_of(p) == language), key=lambda p: p.stat().st_size)
    out = tmp_path / "ec-full"
    code, report = emailcheck(eml, out)
    s = score(report)
    assert code == 0 and s["fail"] == 0, report
    assert s["warn"] <= 1, report
    assert not re.search(r"^\s*\[WARN\] (?!doiuse-email)", report, re.M), report      # the one WARN is doiuse's
    # CSS that some clients ignore, counted as distinct (feature, client) pairs: at most 25
    features = json.loads((out / "report.json").read_text())["metrics"].get("doiuse", {}).get("features", {})
    pairs = {(feature, client) for feature, clients in features.items() for client in clients}
    assert len(pairs) <= 25, sorted(pairs)
    for png in ("render-375.png", "render-700.png"):     # kept for review next to the preview's screenshots
        if (out / png).exists():
            (ROOT / "test-artifacts").mkdir(exist_ok=True)
            shutil.copy(out / png, ROOT / "test-artifacts" / f"emailcheck-{language}-{png}")
    (ROOT / "test-artifacts").mkdir(exist_ok=True)      # the score, for the README's figures
    (ROOT / "test-artifacts" / f"emailcheck-{language}.txt").write_text(report)
    spam = SPAM.search(report)
    if spam is None:
        pytest.skip("SpamAssassin did not run (emailcheck reported it as SKIP): install spamassassin")
    assert float(spam.group(1)) <= 1.0, report
    assert parse(eml.read_bytes())["To"]                 # what was judged is a real received message
