"""`digest init` and `digest articles ...`: the article store."""

from __future__ import annotations

import sys

import click

from .. import pipeline, summarize
from .app import App, echo_json, pass_app, say, table


@click.command(name="init")
@pass_app
def init_command(app: App) -> None:
    """Create the database, or migrate it to the current schema.

    Example: DIGEST_DB=news.db digest init
    """
    _, applied = app.init_store()
    say(f"Database {app.cfg.db}: " + (f"applied {', '.join(applied)}" if applied else "up to date"))


@click.group(name="articles")
def articles_group() -> None:
    """Ingest, list and inspect articles.

    Example: digest articles ingest seeds/
    """


def article_json(a) -> dict:
    return {"id": a.id, "title": a.title, "headline": a.headline, "summary": a.summary, "topics": a.topics,
            "labels": a.labels, "url": a.url, "source": a.source,
            "published": a.published.isoformat() if a.published else None,
            "ingested_at": a.ingested_at.isoformat() if a.ingested_at else None, "cluster": a.cluster_id,
            "overridden": bool(a.headline_override or a.summary_override)}


@articles_group.command(name="ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@pass_app
def articles_ingest(app: App, paths: tuple[str, ...]) -> None:
    """Ingest article files or folders (page-as-text .txt, JSON Lines .jsonl).

    A file that cannot be parsed is named on stderr; the others are still ingested, and the
    command exits 1.

    Example: digest articles ingest seeds/ incoming/extra.jsonl
    """
    report = pipeline.ingest_paths(app.store, paths)
    for err in report.errors:
        click.echo(f"Error: {err.message}", err=True)
    say(f"Ingested: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.errors)} failed")
    if report.errors:
        sys.exit(1)


@articles_group.command(name="list")
@click.option("--topic", help="Only articles in this topic.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with headline and summary).")
@pass_app
def articles_list(app: App, topic: str | None, as_json: bool) -> None:
    """List articles, oldest first.

    Example: digest articles list --topic Europe --json
    """
    arts = app.store.articles(topic)
    if as_json:
        echo_json([article_json(a) for a in arts])
        return
    table(["id", "ingested", "topics", "headline"],
          [[a.id, a.ingested_at.strftime("%Y-%m-%d %H:%M") if a.ingested_at else "", ",".join(a.topics),
            a.headline] for a in arts])


@articles_group.command(name="show")
@click.argument("article_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def articles_show(app: App, article_id: int, as_json: bool) -> None:
    """Show one article: headline, blurb, where each sentence came from, and the parts kept apart.

    Example: digest articles show 3
    """
    a = app.store.article(article_id)
    if as_json:
        echo_json({**article_json(a), "body": a.body, "caption": a.caption, "sources": a.sources,
                   "author": a.author, "bio": a.bio})
        return
    click.echo(f"#{a.id}  {a.title}")
    click.echo(f"Topics:   {', '.join(a.topics) or '-'}   (labels: {', '.join(a.labels) or '-'})")
    click.echo(f"Headline: {a.headline}" + ("  [editor]" if a.headline_override else ""))
    click.echo(f"Summary:  {a.summary}" + ("  [editor]" if a.summary_override else ""))
    sentences = summarize.split_sentences(a.body)
    for i in app.store.article_sentences(a.id):
        if 0 <= i < len(sentences):
            click.echo(f"  from sentence {i + 1}: {sentences[i]}")
    for label, value in (("Caption", a.caption), ("Sources", a.sources), ("Author", a.author), ("Bio", a.bio),
                         ("URL", a.url), ("Cluster", a.cluster_id)):
        if value:
            click.echo(f"{label + ':':9} {value}")


def register(cli: click.Group) -> None:
    cli.add_command(init_command)
    cli.add_command(articles_group)
