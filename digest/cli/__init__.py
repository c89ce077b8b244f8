"""The command line: a thin shell over digest.pipeline.

Groups are nouns, commands are verbs; data goes to stdout, chatter to stderr; `--help` works
without a database. Only here do DigestErrors become `Error: ...` lines and exit codes.
May import: config, errors, models, pipeline, and the modules of digest.cli.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

# `digest schedule run` may be stopped while this is still importing: its handlers go in first.
from .early_stops import hold_if_schedule_run

hold_if_schedule_run(sys.argv)

import logging  # noqa: E402 -- after the handlers above, on purpose

import click  # noqa: E402

from .. import __version__, pipeline
from ..errors import DigestError
from .app import App, Commands


class DigestGroup(Commands):
    """Turns a DigestError from any command into one `Error: ...` line and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DigestError as exc:
            self._fail(ctx, exc)
        except pipeline.faults() as exc:
            # A fault of the database met mid-command (read-only, full disk, damaged; a PostgreSQL that
            # went away): the transaction it hit was rolled back; say which database and what to do.
            app = ctx.obj if isinstance(ctx.obj, App) else None
            path = app.cfg.db if app is not None and app._cfg is not None else "(DIGEST_DB)"
            self._fail(ctx, pipeline.database_error(exc, path), cause=exc)

    @staticmethod
    def _fail(ctx: click.Context, exc: DigestError, cause: BaseException | None = None) -> NoReturn:
        if isinstance(ctx.obj, App) and ctx.obj.verbose:
            if cause is not None:
                raise exc from cause
            raise exc
        click.echo(f"Error: {exc.message}" + (f" {exc.hint}" if exc.hint else ""), err=True)
        ctx.exit(exc.exit_code)


@click.group(cls=DigestGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="DIGEST_CONFIG",
              help="Path to digest.toml (default: ./digest.toml if present).")
@click.option("-v", "--verbose", is_flag=True, help="Log more, and show tracebacks on errors.")
@click.version_option(__version__, prog_name="digest")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """digest: turn new articles into one email digest per subscriber.

    Example: digest demo
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    ctx.obj = App(config_path, verbose)


def _register() -> None:
    from . import (
        articles,
        bounces,
        db,
        deliver,
        deliveries,
        demo,
        doctor,
        editions,
        preview,
        schedule,
        serve,
        subscribers,
        topics,
        worker,
    )
    for module in (articles, bounces, db, deliveries, demo, deliver, doctor, editions, preview, schedule, serve, subscribers,
                   topics, worker):
        module.register(cli)


_register()


def main() -> None:
    cli(prog_name="digest")
