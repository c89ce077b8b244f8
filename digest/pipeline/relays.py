"""The relays a send goes through: the configured ones, checked before anything is planned, and the
one error said when none is left.

`digest send` checks every relay first (one connection to each, side by side: greeting, TLS, login):
a relay that does not answer is left out of the run with a warning, and when none answers the send
stops with one error before anything is planned. A test copy or a confirmation mail goes through the
first relay, by weight, that answers.
May import: config, errors, smtp.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..config import Config, RelaySettings
from ..errors import DigestError, RelayError
from ..smtp import Relay, open_all


def relays_for(cfg: Config) -> list[RelaySettings]:
    """The configured relays ([[relay]] tables, or DIGEST_SMTP_URL's one); DigestError when none is."""
    relays = cfg.relays()
    if not relays:
        raise DigestError("No SMTP relay is configured.",
                          "Set DIGEST_SMTP_URL, e.g. smtp://user:pass@mail.example.com:587?starttls=true, or add "
                          "[[relay]] tables to digest.toml (README: Sending through several relays).")
    return relays


@dataclass
class RelayCheck:
    usable: list[RelaySettings] = field(default_factory=list)            # answered: the run sends through these
    down: list[tuple[RelaySettings, RelayError]] = field(default_factory=list)   # left out, and why


def check_relays(cfg: Config, relays: list[RelaySettings]) -> RelayCheck:
    """Open one connection to every relay (greeting, TLS, login) and close it. RelayError when none
    answers; otherwise the ones that did, and why the others did not."""
    check = RelayCheck()
    for settings, got in open_all(relays, cfg.domain):
        if isinstance(got, Relay):
            got.close()
            check.usable.append(settings)
        else:
            check.down.append((settings, got))
    if not check.usable:
        raise no_relay_left([(r.name, err) for r, err in check.down])
    return check


def heaviest_first(relays: list[RelaySettings]) -> list[RelaySettings]:
    """The relays by weight, the one most mail goes through first (ties in configured order)."""
    return sorted(relays, key=lambda r: -r.weight)


def open_relay(cfg: Config, relays: list[RelaySettings] | None = None) -> Relay:
    """One open connection for a single message: the relay with the largest weight that answers."""
    relays = heaviest_first(relays if relays is not None else relays_for(cfg))
    errors = []
    for settings in relays:
        try:
            return Relay(settings.smtp, local_hostname=cfg.domain).open()
        except RelayError as exc:
            errors.append((settings.name, exc))
    raise no_relay_left(errors)


def no_relay_left(errors: Sequence[tuple[str, DigestError]]) -> RelayError:
    """The error that ends a run when no relay is left: the one relay's own, or each relay's reason."""
    if len(errors) == 1:
        err = errors[0][1]
        return err if isinstance(err, RelayError) else RelayError(err.message, err.hint)
    reasons = "; ".join(err.message.rstrip(".") for _, err in errors)
    return RelayError(f"No SMTP relay can be used: {reasons}.",
                      "Nothing was marked for the deliveries not sent: they stay pending. Fix the relays "
                      "and run `digest send` again.")
