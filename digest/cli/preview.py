"""`digest preview`: exactly what a subscriber or a topic mix would receive, with a lint summary;
`digest preview --serve`: every current edition in a local web page (digest.web.preview).
May import: config, errors, models, pipeline, plural, web, and .app.
"""

from __future__ import annotations

import sys
import tempfile
import webbrowser
from pathlib import Path

import click

from .. import pipeline
from ..config import DEMO_SECRET, checked_language
from ..errors import DigestError
from ..models import FREQUENCIES
from ..plural import plural
from .app import App, pass_app, say

SUFFIX = {"html": ".html", "text": ".txt", "eml": ".eml"}


@click.command(name="preview")
@click.option("--topic", "topics", multiple=True, help="Preview this topic mix (repeatable; default: all topics).")
@click.option("--subscriber", "email", help="Preview what this subscriber would receive.")
@click.option("--format", "fmt", type=click.Choice(["html", "text", "eml"]),
              help="What to write.  [default: text; html with --open]")
@click.option("--out", type=click.Path(dir_okay=False), help="Write to a file instead of stdout.")
@click.option("--open", "open_browser", is_flag=True,
              help="Open the preview in the default browser (set BROWSER to choose one).")
@click.option("--frequency", type=click.Choice(FREQUENCIES), default="daily", show_default=True)
@click.option("--include-sent", is_flag=True,
              help="Show the stories a digest has carried already too (by default: only those not sent yet).")
@click.option("--serve", is_flag=True, help="Serve every topic mix on a local web page, re-rendered on each reload.")
@click.option("--port", type=click.IntRange(0, 65535), default=8040, show_default=True,
              help="Port for --serve on 127.0.0.1 (0: any free port).")
@click.option("--language", help="Preview the frame in this language instead of [digest] language (e.g. de, fr, es).")
@pass_app
def preview_command(app: App, topics: tuple[str, ...], email: str | None, fmt: str | None, out: str | None,
                    open_browser: bool, frequency: str, include_sent: bool, serve: bool, port: int,
                    language: str | None) -> None:
    """Render the current edition for a topic mix or a subscriber, without sending anything.

    The lint summary on stderr gives the HTML size against Gmail's 102 KiB clipping limit and
    one line per problem (relative links, images without alt, a missing text part).
    With --serve, a local web server lists every topic mix and shows each as HTML, as text and
    at phone width; templates are re-read on every request, so edits show on reload.

    Example: digest preview --topic Europe --topic World --format html --out /tmp/digest.html
    """
    if language:
        app.cfg.language = checked_language(language, "--language")
    if not app.cfg.secret:
        # A preview is never sent, so its links may carry demo-signed tokens; say so rather than refuse.
        app.cfg.secret = DEMO_SECRET
        say("Note: DIGEST_SECRET is not set; links in this preview are signed with the demo secret.")
    if serve:
        if topics or email or fmt or out or open_browser:
            raise click.UsageError("--serve shows every topic mix; drop --topic, --subscriber, --format, --out "
                                   "and --open.")
        _serve(app, port, frequency)
        return
    fmt = fmt or ("html" if open_browser else "text")
    p = pipeline.preview_message(app.db, app.cfg, topics=list(topics), email=email, frequency=frequency,
                                 include_sent=include_sent)
    content = p.eml if fmt == "eml" else (p.html if fmt == "html" else p.text or "").encode("utf-8")
    view = p.body.view
    say(f"Edition {view.edition_key}: {view.subject}  ({plural(p.stories, 'story', 'stories')}; "
        f"topics: {', '.join(view.topics)})")
    if p.subscriber is not None:
        say(f"Language: {p.body.rendered.language}" + ("" if p.subscriber.language else " (the newsletter's)"))
    for note in p.notes:
        say(f"Note: {note}")
    if p.ranking:
        say("Order of the stories (the first leads; change it with digest articles edit ID --lead or --priority N):")
        for line in p.ranking:
            say(f"  {line}")
    _lint(p)
    if open_browser:
        _open(content, out, fmt)
    elif out:
        Path(out).write_bytes(content)
        say(f"Wrote {out}")
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()


def _lint(p: pipeline.Preview) -> None:
    for warning in p.lint.warnings:
        say(f"lint: warning: {warning}")
    say(f"lint: {pipeline.lint_summary(p.lint)}")


def _open(content: bytes, out: str | None, fmt: str) -> None:
    if out:
        path = Path(out)
        path.write_bytes(content)
    else:
        # Not deleted afterwards: the browser reads the file after we return.
        with tempfile.NamedTemporaryFile(prefix="digest-preview-", suffix=SUFFIX[fmt], delete=False) as f:
            f.write(content)
            path = Path(f.name)
    say(f"Wrote {path}")
    uri = path.resolve().as_uri()
    if not webbrowser.open(uri):
        raise DigestError(f"No browser could be started to show {path}.",
                          "Set BROWSER to a browser command, or open the file yourself.")


def _serve(app: App, port: int, frequency: str) -> None:
    import logging

    from ..web.preview import PreviewServer
    if not app.verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)   # one line per request is noise; -v shows it
    server = PreviewServer(app.cfg, port=port, frequency=frequency)
    say(f"Preview of every topic mix at {server.url} (templates re-read on every reload; Ctrl-C to stop)")
    try:
        server.serve_forever()     # werkzeug returns from here on Ctrl-C
    except KeyboardInterrupt:
        pass
    say("Preview server stopped.")


def register(cli: click.Group) -> None:
    cli.add_command(preview_command)
