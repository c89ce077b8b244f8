"""No port races: servers the tests start in their own process bind port 0; Postfix and Dovecot,
which cannot, move to another port when someone else took the one picked for them."""

from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import sys

import pytest

import private_dovecot
import private_postfix
from digest.servers.demo_smtp import DemoServer
from private_dovecot import NEEDS_DOVECOT, PrivateDovecot
from private_postfix import NEEDS_POSTFIX, PrivatePostfix
from smtp_server import ClosedPort, Sink, announced_port


def test_in_process_servers_bind_port_zero_and_say_which_port_they_got():
    with DemoServer() as a, Sink() as b:
        assert a.port and b.port and a.port != b.port
        for server in (a, b):
            with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
                client.sendmail("x@example.org", ["y@example.org"], b"Subject: hi\r\n\r\nhi\r\n")
        assert len(a.messages) == 1 and len(b.messages) == 1


def test_a_closed_port_refuses_while_it_is_held():
    with ClosedPort() as port, pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_digest_serve_on_port_zero_names_the_port_it_listens_on(run, tmp_path):
    assert run("init").exit_code == 0
    log = tmp_path / "serve.log"
    proc = subprocess.Popen([sys.executable, "-m", "digest", "serve", "--demo", "--port", "0"], cwd=tmp_path,
                            env=dict(os.environ), stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        port = announced_port(log, proc)
        assert port != 0
        socket.create_connection(("127.0.0.1", port), timeout=30).close()
    finally:
        proc.terminate()
        proc.wait(10)


@NEEDS_POSTFIX
def test_postfix_moves_to_another_port_when_its_port_was_taken(monkeypatch):
    with Sink() as squatter:
        picks = iter([squatter.port])
        real = private_postfix.free_port
        monkeypatch.setattr(private_postfix, "free_port", lambda: next(picks, None) or real())
        with PrivatePostfix(None, "") as pf:
            assert pf.port != squatter.port
            client = smtplib.SMTP(timeout=10)
            _, banner = client.connect("127.0.0.1", pf.port)
            client.quit()
            assert pf.name.encode() in banner


@NEEDS_DOVECOT
def test_dovecot_moves_to_another_port_when_its_port_was_taken(monkeypatch):
    with Sink() as squatter:
        picks = iter([squatter.port])
        real = private_dovecot.free_port
        monkeypatch.setattr(private_dovecot, "free_port", lambda: next(picks, None) or real())
        with PrivateDovecot(None, "u", "p") as imap:
            assert imap.port != squatter.port
            with socket.create_connection(("127.0.0.1", imap.port), timeout=10) as s:
                assert imap.greeting.encode() in s.recv(1024)
