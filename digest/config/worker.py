"""The [worker] table of digest.toml: how `digest send` hands an edition to `digest worker` on Postgres,
and what each worker keeps on its own host. Defaults < digest.toml < DIGEST_* environment.

  queue          true: on Postgres, `digest send` (and the scheduler) plans and queues the edition's
                 batches for `digest worker`, and sends nothing itself (DIGEST_WORKERS=1)
  journal        this host's send journal folder (DIGEST_JOURNAL_DIR); default digest-journal/ here
  batch_size     deliveries per batch (DIGEST_BATCH_SIZE), about 1,000
  lease_seconds  how long a silent worker keeps its batch (DIGEST_WORKER_LEASE)
May import: errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError


@dataclass
class WorkerSettings:
    queue: bool = False
    journal: Path = field(default_factory=lambda: Path("digest-journal"))
    batch_size: int = 1000
    lease_seconds: float = 120.0

    @property
    def stalled_after(self) -> float:
        """procrastinate's stalled-worker timeout: well inside the lease, so a job whose worker died is
        retried while its batch's lease still runs; the retry then waits the lease out (BatchLease)."""
        return max(1.0, self.lease_seconds / 2)


ENV = {"DIGEST_WORKERS": "queue", "DIGEST_JOURNAL_DIR": "journal", "DIGEST_BATCH_SIZE": "batch_size",
       "DIGEST_WORKER_LEASE": "lease_seconds"}
KEYS = {"queue", "journal", "batch_size", "lease_seconds"}


def _set(settings: WorkerSettings, key: str, value: object, where: str, base: Path) -> None:
    try:
        if key == "queue":
            settings.queue = value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes")
        elif key == "journal":
            path = Path(str(value)).expanduser()
            settings.journal = path if path.is_absolute() else base / path
        elif key == "batch_size":
            settings.batch_size = int(str(value))
        else:
            settings.lease_seconds = float(str(value))
    except ValueError:
        raise ConfigError(f"{where}: `{value}` is not a valid {key}.",
                          "batch_size is a whole number (1000), lease_seconds a number of seconds (120).") from None
    if settings.batch_size < 1 or settings.lease_seconds < 3:
        raise ConfigError(f"{where} = {value!r} is too small.", "batch_size is at least 1, lease_seconds at least 3.")


def worker_settings(table: dict, env: dict[str, str], where: str, base: Path) -> WorkerSettings:
    unknown = sorted(set(table) - KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown setting `{unknown[0]}` in [worker].",
                          f"Known settings: {', '.join(sorted(KEYS))}.")
    settings = WorkerSettings()
    for key, value in table.items():
        _set(settings, key, value, f"{where}: [worker] {key}", base)
    for var, key in ENV.items():
        if env.get(var):
            _set(settings, key, env[var], var, Path.cwd())
    return settings
