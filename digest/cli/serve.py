"""`digest serve`: the subscriber web app (digest.web.subscriber) on waitress, a pure-Python
production server.
May import: config, web, and .app.
"""

from __future__ import annotations

from typing import Any

import click

from ..config import check_placeholders
from .app import App, pass_app, say


@click.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on (0: any free port, which the first line names).")
@click.option("--threads", default=4, show_default=True, type=int, help="Worker threads.")
@click.option("--trusted-proxy", metavar="IP",
              help="The reverse proxy's address; its X-Forwarded-Proto/For/Host headers are then believed.")
@click.option("--demo", is_flag=True, help="Sign links with the demo secret when DIGEST_SECRET is unset.")
@pass_app
def serve_command(app: App, host: str, port: int, threads: int, trusted_proxy: str | None, demo: bool) -> None:
    """Serve the subscriber pages: unsubscribe, preferences, confirm, archive and feeds.

    Needs DIGEST_SECRET (the one the sender signs links with), except with --demo. Put it behind
    a reverse proxy that terminates TLS, and pass that proxy's address as --trusted-proxy.

    Example: digest serve --port 8080 --trusted-proxy 127.0.0.1
    """
    import waitress.server

    from ..web.subscriber import create_app
    if app.cfg.web.allow_subscribe and not demo:
        # The public form mails a confirmation to whoever signs up: not with the built-in placeholders.
        check_placeholders(app.cfg, "The sign-up form ([web] allow_subscribe) is not served")
    wsgi = create_app(app.cfg, demo=demo)
    proxy: dict[str, Any] = {}
    if trusted_proxy:
        proxy = {"trusted_proxy": trusted_proxy, "trusted_proxy_count": 1,
                 "trusted_proxy_headers": {"x-forwarded-proto", "x-forwarded-for", "x-forwarded-host"},
                 "clear_untrusted_proxy_headers": True}
    server = waitress.server.create_server(wsgi, host=host, port=port, threads=threads, ident="digest", **proxy)
    # types-waitress leaves out effective_port, which the server sets when it binds its socket
    port_bound = server.effective_port  # type: ignore[union-attr]
    say(f"Serving {app.cfg.newsletter} subscriber pages on http://{host}:{port_bound}/ (Ctrl-C stops)")
    server.run()


def register(cli: click.Group) -> None:
    cli.add_command(serve_command)
