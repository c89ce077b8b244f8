"""Several relays ([[relay]] tables), through a real `digest send` subprocess and two or three real
SMTP servers on 127.0.0.1: deliveries spread by weight, a relay that dies mid-send taken out of
rotation while the others carry on (exactly once, counted on every server), throttling that slows
only the relay that throttles, a relay that refuses the sender or the login left out, every relay
checked before anything is planned, and each configuration mistake one `Error:` line.

Assertions are on counts and attempts, never on time.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess

import pytest

from digest import config
from smtp_server import ClosedPort, Sink
from tables import read_table
from test_faults import SEND, errors, ledger, make_list, wait_for


def write_relays(tmp_path, *relays: tuple[str, str, str], send: str = "") -> None:
    """(name, url, extra toml lines) per relay, into digest.toml."""
    text = "".join(f'[[relay]]\nname = "{name}"\nurl = "{url}"\n{extra}\n' for name, url, extra in relays)
    (tmp_path / "digest.toml").write_text(text + (f"[send]\n{send}\n" if send else ""))


def send(tmp_path, **env) -> subprocess.CompletedProcess:
    env = {**os.environ, "DIGEST_RETRY_BASE": "0.01", **env}
    return subprocess.run(SEND, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180)


def received(*sinks) -> collections.Counter:
    return collections.Counter(rcpts[0] for sink in sinks for rcpts, _ in sink.messages)


def relay_lines(stderr: str) -> dict[str, str]:
    return {ln.split(":")[0].removeprefix("relay "): ln for ln in stderr.splitlines() if ln.startswith("relay ")}


def sent_by(stderr: str, name: str) -> int:
    return int(relay_lines(stderr)[name].split("sent ")[1].split(",")[0].split(";")[0])


def exactly_once(run, everyone: set[str], *sinks) -> set[str]:
    """Counted on every server: nobody got two copies, everybody got one except the deliveries the
    ledger lists as uncertain, and each sent row names the relay whose server holds that copy."""
    got = received(*sinks)
    assert not [e for e, n in got.items() if n > 1], "a subscriber got a second copy"
    uncertain = {d["email"] for d in ledger(run, "uncertain")}
    assert everyone - set(got) - uncertain == set(), "a subscriber got nothing"
    return uncertain


def where(sinks: dict[str, Sink]) -> dict[str, str]:
    return {rcpts[0]: name for name, sink in sinks.items() for rcpts, _ in sink.messages}


# ---- deliveries spread by weight ---------------------------------------------------------------

def test_deliveries_follow_the_weights_and_the_tally_and_ledger_say_which_relay_sent_what(tmp_path, run):
    everyone = make_list(tmp_path, run, 400)
    with Sink(tmp_path / "a") as a, Sink(tmp_path / "b") as b:
        write_relays(tmp_path, ("a", a.url, "weight = 3\nconnections = 2"), ("b", b.url, "weight = 1\nconnections = 2"))
        r = send(tmp_path)
        assert r.returncode == 0, r.stderr
        assert set(received(a, b)) == everyone and set(received(a, b).values()) == {1}
        share = len(a.messages) / 400
        assert 0.65 <= share <= 0.85, share            # 3 in 4, within a loose bound
        assert (sent_by(r.stderr, "a"), sent_by(r.stderr, "b")) == (len(a.messages), len(b.messages))
        rows = ledger(run, "sent")
        assert {d["email"]: d["relay"] for d in rows} == where({"a": a, "b": b})
        table = read_table(run("deliveries", "list", "--status", "sent", "--all").stdout)
        assert len(table) == 400 and {row["relay"] for row in table} == {"a", "b"}


# ---- a relay that dies mid-send -----------------------------------------------------------------

@pytest.mark.parametrize("relays", [2, 3])
def test_a_relay_that_dies_mid_send_is_taken_out_and_the_others_send_its_share_exactly_once(tmp_path, run, relays):
    everyone = make_list(tmp_path, run, 300)
    names = ["a", "b", "c"][:relays]
    sinks = {name: Sink(tmp_path / name, die_after=40 if name == "b" else None) for name in names}
    for sink in sinks.values():
        sink.start()
    try:
        write_relays(tmp_path, *[(name, f"{sink.url}?timeout=10", "connections = 2") for name, sink in sinks.items()])
        r = send(tmp_path)
        assert r.returncode in (0, 3), r.stderr
        assert sinks["b"].dead and len(sinks["b"].messages) == 40
        uncertain = exactly_once(run, everyone, *sinks.values())
        assert len(uncertain) <= 2                      # at most one per connection of the relay that died
        assert not errors(r.stderr) and "Traceback" not in r.stderr
        lines = relay_lines(r.stderr)
        assert set(lines) == set(names) and "taken out of rotation" in lines["b"]
        assert all("taken out" not in lines[n] for n in names if n != "b")
        # The tally and the ledger say which relay sent what, and each sent copy is on that relay's server.
        rows = ledger(run, "sent")
        held = where(sinks)
        assert all(held[d["email"]] == d["relay"] for d in rows)
        assert {n: sent_by(r.stderr, n) for n in names} == collections.Counter(d["relay"] for d in rows)
        assert sum(sent_by(r.stderr, n) for n in names if n != "b") > 300 - 40 - len(uncertain) - 2
    finally:
        for sink in sinks.values():
            sink.stop()
    # Nobody is left behind: whatever the run could not settle waits as uncertain, nothing as pending.
    assert {d["status"] for d in ledger(run)} <= {"sent", "uncertain"}


def test_a_relay_that_stops_answering_is_taken_out_at_its_first_timeout(tmp_path, run):
    everyone = make_list(tmp_path, run, 120)
    with Sink(tmp_path / "a") as a, Sink(tmp_path / "b", hang_after=20) as b:
        write_relays(tmp_path, ("a", a.url, "connections = 2"), ("b", f"{b.url}?timeout=1", "connections = 2"))
        r = send(tmp_path)
        assert r.returncode == 3, r.stderr                  # the messages it never answered are uncertain
        uncertain = exactly_once(run, everyone, a, b)
        assert 1 <= len(uncertain) <= 2 and uncertain <= set(received(b))    # kept by b, never acknowledged
        line = relay_lines(r.stderr)["b"]
        assert line.startswith("relay b: sent 20,") and "stopped answering" in line
        assert sent_by(r.stderr, "a") == 120 - 20 - len(uncertain)
        assert {d["relay"] for d in ledger(run, "uncertain")} == {"b"}


@pytest.mark.slow
def test_a_sender_killed_mid_send_resumes_and_the_replayed_outcomes_keep_their_relay(tmp_path, run):
    everyone = make_list(tmp_path, run, 300)
    with Sink(tmp_path / "a") as a, Sink(tmp_path / "b") as b:
        write_relays(tmp_path, ("a", a.url, "connections = 2"), ("b", b.url, "connections = 2"))
        env = {**os.environ, "DIGEST_RETRY_BASE": "0.01"}
        proc = subprocess.Popen(SEND, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_for(lambda: len(a.messages) + len(b.messages) >= 100 or proc.poll() is not None, what="100 messages")
            assert proc.poll() is None, "the sender finished before it could be killed"
            proc.kill()
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert list((tmp_path / "digest.db.outbox").glob("*.log")), "the killed sender left its journal"
        r = send(tmp_path)
        assert r.returncode in (0, 3), r.stderr
        uncertain = exactly_once(run, everyone, a, b)
        assert len(uncertain) <= 4                  # at most one per connection of the killed sender
        held = where({"a": a, "b": b})
        rows = ledger(run)
        assert all(held[d["email"]] == d["relay"] for d in rows if d["status"] == "sent")
        assert {d["relay"] for d in rows if d["status"] == "uncertain"} <= {"a", "b"}


# ---- throttling slows only the relay that throttles --------------------------------------------

def test_a_throttling_relay_slows_itself_and_never_the_other(tmp_path, run):
    everyone = make_list(tmp_path, run, 200)
    with Sink(tmp_path / "a", fail_rcpt=[(".", 454, 8)]) as a, Sink(tmp_path / "b") as b:
        write_relays(tmp_path, ("a", a.url, "connections = 1"), ("b", b.url, "connections = 1"))
        r = send(tmp_path)
        assert r.returncode == 0, r.stderr
        assert set(received(a, b)) == everyone and set(received(a, b).values()) == {1}
        lines = relay_lines(r.stderr)
        assert "throttled us" in lines["a"] and "throttled" not in lines["b"], r.stderr
        # b refused nothing: every recipient it was given it took at the first attempt, unpaced.
        assert sum(b.attempts.values()) == len(b.messages)
        # a refused some; each of those went out once after all (on b, or on a later), and a refusal
        # about the relay is no attempt against the recipient.
        assert sum(a.attempts.values()) > len(a.messages)
        assert {d["attempts"] for d in ledger(run)} == {1}


# ---- a relay that refuses the sender or the login ----------------------------------------------

def test_a_relay_that_refuses_the_sender_mid_run_is_taken_out_and_the_other_sends_everything(tmp_path, run):
    everyone = make_list(tmp_path, run, 60)
    refuse = [(".", "550 5.1.8 <digest@news.example.com>: Sender address rejected: Domain not found")]
    with Sink(tmp_path / "a", fail_mail=refuse) as a, Sink(tmp_path / "b") as b:
        write_relays(tmp_path, ("a", a.url, ""), ("b", b.url, ""))
        r = send(tmp_path)
        assert r.returncode == 0, r.stderr
        assert a.messages == [] and set(received(b)) == everyone and set(received(b).values()) == {1}
    line = relay_lines(r.stderr)["a"]
    assert line.startswith("relay a: sent 0;") and "taken out of rotation" in line and "refused the sender" in line
    assert {s["status"] for s in json.loads(run("subscribers", "list", "--json").stdout)} == {"active"}
    assert {(d["status"], d["attempts"], d["relay"]) for d in ledger(run)} == {("sent", 1, "b")}


def test_a_relay_that_refuses_the_login_is_left_out_before_anything_is_planned(tmp_path, run):
    everyone = make_list(tmp_path, run, 20)
    with Sink(tmp_path / "a", login=("digest", "right")) as a, Sink(tmp_path / "b") as b:
        write_relays(tmp_path, ("a", a.url.replace("//", "//digest@"), ""), ("b", b.url, ""))
        r = send(tmp_path, DIGEST_SMTP_URL_A=a.url.replace("//", "//digest:wrong@"))
        assert r.returncode == 0, r.stderr
        assert a.messages == [] and set(received(b)) == everyone
    warnings = [ln for ln in r.stderr.splitlines() if ln.startswith("Warning:")]
    assert len(warnings) == 1 and "refused the login" in warnings[0] and "DIGEST_SMTP_URL_A" in warnings[0]
    assert "wrong" not in r.stderr


def test_the_password_comes_from_the_relays_own_variable(tmp_path, run):
    everyone = make_list(tmp_path, run, 20)
    with Sink(tmp_path / "a", login=("digest", "s3cret")) as a:
        write_relays(tmp_path, ("a", a.url.replace("//", "//digest@"), ""))
        r = send(tmp_path, DIGEST_SMTP_URL_A=a.url.replace("//", "//digest:s3cret@"))
        assert r.returncode == 0, r.stderr
        assert set(received(a)) == everyone


def test_when_every_relay_refuses_the_sender_the_run_stops_and_blames_nobody(tmp_path, run):
    make_list(tmp_path, run, 20)
    refuse = [(".", "550 5.1.8 <digest@news.example.com>: Sender address rejected")]
    with Sink(tmp_path / "a", fail_mail=refuse) as a, Sink(tmp_path / "b", fail_mail=refuse) as b:
        write_relays(tmp_path, ("a", a.url, ""), ("b", b.url, ""))
        r = send(tmp_path)
    assert r.returncode == 2 and len(errors(r.stderr)) == 1, r.stderr
    assert "No SMTP relay can be used" in errors(r.stderr)[0] and "stay pending" in errors(r.stderr)[0]
    assert a.messages == b.messages == []
    assert {(d["status"], d["attempts"]) for d in ledger(run)} == {("pending", 0)}


# ---- every relay checked before anything is planned ---------------------------------------------

def test_a_relay_that_cannot_be_reached_is_left_out_with_a_warning(tmp_path, run):
    everyone = make_list(tmp_path, run, 30)
    with ClosedPort() as port, Sink(tmp_path / "a") as a:
        down = f"smtp://127.0.0.1:{port}"
        write_relays(tmp_path, ("a", a.url, ""), ("b", down, "weight = 5"))
        r = send(tmp_path)
        assert r.returncode == 0, r.stderr
        assert set(received(a)) == everyone
    warnings = [ln for ln in r.stderr.splitlines() if ln.startswith("Warning:")]
    assert len(warnings) == 1 and "relay b" in warnings[0] and down.removeprefix("smtp://") in warnings[0]


def test_when_no_relay_can_be_reached_nothing_is_planned(tmp_path, run):
    make_list(tmp_path, run, 10)
    with ClosedPort() as a, ClosedPort() as b:
        write_relays(tmp_path, ("a", f"smtp://127.0.0.1:{a}", ""), ("b", f"smtp://127.0.0.1:{b}", ""))
        r = send(tmp_path)
    assert r.returncode == 2 and len(errors(r.stderr)) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "No SMTP relay can be used" in errors(r.stderr)[0] and "relay a" in errors(r.stderr)[0]
    assert ledger(run) == []


def test_a_test_copy_goes_through_the_heaviest_relay_that_answers(tmp_path, run):
    make_list(tmp_path, run, 3)
    with Sink(tmp_path / "a") as a, ClosedPort() as down:
        write_relays(tmp_path, ("a", a.url, "weight = 1"), ("b", f"smtp://127.0.0.1:{down}", "weight = 9"))
        r = run("send", "--test-to", "editor@example.org")
        assert r.exit_code == 0, r
        assert "Test copy sent to editor@example.org through a (250 OK" in r.stderr
        assert [rcpts for rcpts, _ in a.messages] == [["editor@example.org"]]


# ---- configuration -------------------------------------------------------------------------------

def test_relays_read_from_the_file_with_passwords_from_the_environment(tmp_path, monkeypatch):
    (tmp_path / "digest.toml").write_text(
        'connections = 3\nrate = 50\n'
        '[[relay]]\nname = "ses-eu"\nurl = "smtp://AKIA@email.example.com:587?starttls=true"\nweight = 3\n'
        '[[relay]]\nname = "backup"\nurl = "smtps://mx.example.net"\nconnections = 1\nrate = 0\n')
    monkeypatch.setenv("DIGEST_SMTP_URL_SES_EU", "smtp://AKIA:pa%40ss@email.example.com:587?starttls=true")
    ses, backup = config.load().relays()
    assert (ses.name, ses.weight, ses.connections, ses.rate, ses.smtp.password) == ("ses-eu", 3.0, 3, 50.0, "pa@ss")
    assert ses.smtp.starttls and ses.smtp.env == "DIGEST_SMTP_URL_SES_EU"
    assert (backup.weight, backup.connections, backup.rate, backup.smtp.port, backup.smtp.ssl) == (1.0, 1, 0.0, 465, True)
    monkeypatch.delenv("DIGEST_SMTP_URL_SES_EU")
    (tmp_path / "digest.toml").unlink()
    monkeypatch.setenv("DIGEST_SMTP_URL", "smtp://127.0.0.1:2525")       # one relay, as before
    [one] = config.load().relays()
    assert (one.name, one.weight, one.connections) == ("127.0.0.1:2525", 1.0, 4)


RELAY = '[[relay]]\nname = "a"\nurl = "smtp://127.0.0.1:2525"\n'
MISTAKES = {
    "bad url": ('[[relay]]\nname = "a"\nurl = "http://127.0.0.1"\n', {}, ["[[relay]] 1 (a)", "not valid"]),
    "weight 0": (RELAY + "weight = 0\n", {}, ["weight = 0", "positive"]),
    "duplicate names": (RELAY + RELAY.replace('"a"', '"A"'), {}, ['two [[relay]] tables are named "a" and "A"']),
    "password in the url": ('[[relay]]\nname = "a"\nurl = "smtp://u:hunter2@127.0.0.1"\n', {},
                            ["holds a password", "DIGEST_SMTP_URL_A"]),
    "password key": (RELAY + 'password = "hunter2"\n', {}, ["`password` is a secret", "DIGEST_SMTP_URL_A"]),
    "both ways": (RELAY, {"DIGEST_SMTP_URL": "smtp://127.0.0.1:2526"}, ["[[relay]] tables and DIGEST_SMTP_URL"]),
    "a single table": ('[relay]\nname = "a"\nurl = "smtp://127.0.0.1"\n', {}, ["[[relay]] (double brackets)"]),
    "unknown key": (RELAY + "weigth = 2\n", {}, ["unknown setting `weigth`", "Known settings"]),
    "no name": ('[[relay]]\nurl = "smtp://127.0.0.1"\n', {}, ["[[relay]] 1 has no name"]),
    "no url": ('[[relay]]\nname = "a"\n', {}, ["has no url", "DIGEST_SMTP_URL_A"]),
    "a stray variable": (RELAY, {"DIGEST_SMTP_URL_B": "smtp://u:p@127.0.0.1"}, ["DIGEST_SMTP_URL_B", "relays: a"]),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_relay_configuration_mistake_is_one_error_line(run, tmp_path, monkeypatch, mistake):
    toml, env, words = MISTAKES[mistake]
    assert run("init").exit_code == 0
    (tmp_path / "digest.toml").write_text(toml)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    for args in (("topics", "list"), ("send", "--dry-run")):
        r = run(*args)
        lines = r.stderr.strip().splitlines()
        assert r.exit_code == 1 and len(lines) == 1 and lines[0].startswith("Error: "), (mistake, r)
        assert all(w in lines[0] for w in words), (mistake, lines[0])
        assert "hunter2" not in lines[0]
