"""`digest doctor [--dns]`: the configuration checked against what mailbox providers require of a
bulk sender, one line per finding and its fix; exit 1 when any is a problem.
May import: pipeline, plural, and .app.
"""

from __future__ import annotations

import sys

import click

from .. import pipeline
from ..plural import plural
from .app import App, echo_json, pass_app


@click.command(name="doctor")
@click.option("--dns", "use_dns", is_flag=True, help="Also check the SPF, DKIM and DMARC records in DNS.")
@click.option("--sender", metavar="HOST|IP", help="With --dns: what hands our mail to the world (default: the relay).")
@click.option("--nameserver", metavar="IP[:PORT]", help="With --dns: ask this DNS server, not the system's.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def doctor_command(app: App, use_dns: bool, sender: str | None, nameserver: str | None, as_json: bool) -> None:
    """Check the sending setup before a send: secret, base URL, DKIM and its alignment with From,
    the bounce address, Feedback-ID, and that the unsubscribe endpoint answers a one-click POST.

    Exit 0 when nothing is a problem (warnings allowed), 1 otherwise.

    Example: digest doctor --dns
    """
    findings = pipeline.doctor(app.cfg, dns=use_dns, nameserver=nameserver, sender=sender)
    if as_json:
        echo_json([{"check": f.check, "level": f.level, "name": f.name, "message": f.message, "fix": f.fix}
                   for f in findings])
    else:
        width = max(len(f.check) for f in findings)
        for f in findings:
            click.echo(f"{f.level:<7}  {f.check:<{width}}  {f.message}")
            if f.fix and f.level != "ok":
                click.echo(f"{'':<7}  {'':<{width}}  fix: {f.fix}")
    problems = sum(f.level == "problem" for f in findings)
    warnings = sum(f.level == "warn" for f in findings)
    click.echo(f"{plural(problems, 'problem', 'problems')}, {plural(warnings, 'warning', 'warnings')}.", err=True)
    sys.exit(1 if problems else 0)


def register(cli: click.Group) -> None:
    cli.add_command(doctor_command)
