"""`digest init` and `digest articles ...`: the article store.
May import: models, pipeline, plural, and .app/.paging/.times.
"""

from __future__ import annotations

import datetime as dt

import click

from .. import pipeline
from ..models import Article
from ..plural import plural
from .app import App, Commands, echo_json, finish, pass_app, say, table
from .paging import echo_json_rows, paging_options, say_more
from .times import local_time, local_zone


@click.command(name="init")
@pass_app
def init_command(app: App) -> None:
    """Create the database, or migrate it to the current schema.

    Example: DIGEST_DB=news.db digest init
    """
    applied = app.init_db()
    say(f"Database {app.cfg.db}: " + (f"applied {', '.join(applied)}" if applied else "up to date"))


@click.group(name="articles", cls=Commands)
def articles_group() -> None:
    """Ingest, list and inspect articles.

    Example: digest articles ingest seeds/
    """


def article_json(a: Article) -> dict:
    return {"id": a.id, "title": a.title, "headline": a.headline, "summary": a.summary, "topics": a.topics,
            "labels": a.labels, "url": a.url, "source": a.source,
            "published": a.published.isoformat() if a.published else None,
            "ingested_at": a.ingested_at.isoformat() if a.ingested_at else None, "cluster": a.cluster_id,
            "overridden": bool(a.headline_override or a.summary_override), "lead": a.lead, "priority": a.priority}


@articles_group.command(name="ingest")
@click.argument("paths", nargs=-1, required=True)
@click.option("--topic", help="File the articles whose labels map to no topic (or that have none) under this topic.")
@pass_app
def articles_ingest(app: App, paths: tuple[str, ...], topic: str | None) -> None:
    """Ingest article files, folders or feeds: page-as-text .txt, JSON Lines .jsonl, RSS and Atom
    files (.xml, .rss, .atom, or recognised by their content), and the http(s) URL of a feed,
    fetched once.

    A file, entry or feed that cannot be read is named on stderr; the others are still ingested,
    and the command exits 1. An article removed with `digest articles remove` stays removed.

    Bodies are cleaned first (captions, photo credits, datelines, live-blog times, "Read more"
    teasers, repeated paragraphs); `digest articles show ID` says what went. An article filed under
    no topic reaches no subscriber: the command says how many, and `--topic` files them.

    Example: digest articles ingest seeds/ incoming/extra.jsonl https://example.org/world.xml
    """
    report = pipeline.ingest(app.db, paths=paths, settings=app.cfg.summary, topic=topic)
    warn_ingest(report)
    removed = f", {len(report.removed)} removed earlier (left out)" if report.removed else ""
    finish(report.errors, f"Ingested: {len(report.added)} added, {len(report.updated)} updated, "
                          f"{len(report.unchanged)} unchanged{removed}, {len(report.errors)} failed")


def warn_ingest(report: pipeline.IngestReport) -> None:
    """The first ten warnings, then how many articles reach nobody, on stderr."""
    for line in report.warnings[:10]:
        say(f"Warning: {line}")
    if len(report.warnings) > 10:
        say(f"Warning: ... and {len(report.warnings) - 10} more like these")
    for line in report.notices()[len(report.warnings):]:
        say(line)


@articles_group.command(name="remove")
@click.argument("article_ids", nargs=-1, required=True, type=int)
@click.option("--yes", is_flag=True, help="Really remove them.")
@pass_app
def articles_remove(app: App, article_ids: tuple[int, ...], yes: bool) -> None:
    """Remove articles: they leave every later digest, preview and listing.

    An article already sent stays in the archive of the editions that carried it, and ingesting it
    again does not bring it back. Without --yes, says what would be removed and removes nothing.

    Example: digest articles remove 16 17 --yes
    """
    found = pipeline.removal_preview(app.db, article_ids)
    for a in found:
        sent = a.editions
        state = f"removed already on {a.removed_at:%Y-%m-%d}" if a.removed_at else (
            f"sent in {', '.join(sent)}: stays in {'that archive' if len(sent) == 1 else 'those archives'}"
            if sent else "never sent")
        title = a.title if len(a.title) <= 70 else a.title[:69].rsplit(" ", 1)[0] + " …"
        say(f"#{a.id}  {title}  ({state})")
    if all(a.removed_at for a in found):
        say("Nothing to remove.")
        return
    n = pipeline.remove_articles(app.db, found, asked=article_ids, yes=yes)
    say(f"Removed {plural(n, 'article', 'articles')}.")


@articles_group.command(name="list")
@click.option("--topic", help="Only articles in this topic.")
@click.option("--no-topic", "no_topic", is_flag=True, help="Only articles filed under no topic (they reach nobody).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with headline and summary).")
@paging_options
@pass_app
def articles_list(app: App, topic: str | None, no_topic: bool, as_json: bool, limit: int | None,
                  since: dt.datetime | None) -> None:
    """List articles, newest first: published and ingested dates (the newsroom's timezone), topics,
    cluster, headline and the start of the summary; the newest 50 unless --limit N or --all, and
    how many more. --since keeps those ingested from that date or time on.

    Example: digest articles list --topic Europe --since 2026-03-01 --json
    """
    if topic and no_topic:
        raise click.UsageError("--topic and --no-topic exclude each other.")
    page = pipeline.article_listing(app.db, topic=topic, no_topic=no_topic, since=since, limit=limit)
    if as_json:
        echo_json_rows(article_json(a) for a in page.rows)
    else:
        zone = local_zone(app.cfg.timezone)
        table(["id", "published", "ingested", "topics", "cluster", "headline", "summary"],
              ([a.id, local_time(a.published, zone, "%Y-%m-%d %H:%M") or "-",
                local_time(a.ingested_at, zone, "%Y-%m-%d %H:%M"), ",".join(a.topics),
                f"#{a.cluster_id}" if a.cluster_id else "-", a.headline, short(a.summary)] for a in page.rows))
    say_more(page, "articles")


def short(text: str | None, width: int = 60) -> str:
    """The start of a summary for a table cell, cut at a word."""
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[:width - 1].rsplit(" ", 1)[0] + " …"


@articles_group.command(name="show")
@click.argument("article_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def articles_show(app: App, article_id: int, as_json: bool) -> None:
    """Show one article: headline, blurb, where each sentence came from, its cluster (the other
    reports of the same story, with their sources) and the parts kept out of the body.

    Example: digest articles show 3
    """
    d = pipeline.article_detail(app.db, article_id)
    a, machine, others, picked = d.article, d.machine, d.others, d.sentences
    if as_json:
        echo_json({**article_json(a), "body": a.body, "caption": a.caption, "sources": a.sources,
                   "author": a.author, "bio": a.bio, "description": a.description, "removed": a.removed,
                   "language": a.language,
                   "summary_source": "editor" if a.summary_override else a.summary_source,
                   "machine": {"headline": machine.headline, "summary": machine.summary,
                               "sentences": [{"index": i + 1, "text": text} for i, text in picked]},
                   "cluster_articles": [{"id": o.id, "headline": o.headline, "source": o.source, "url": o.url}
                                        for o in others]})
        return
    click.echo(f"#{a.id}  {a.title or '(no title: the headline is written from the lede)'}")
    click.echo(f"Topics:   {', '.join(a.topics) or '-'}   (labels: {', '.join(a.labels) or '-'})")
    zone = local_zone(app.cfg.timezone)
    click.echo(f"Outlet:   {a.source or '-'}")
    click.echo(f"Language: {a.language or '- (stored before languages were read: summarized as English)'}")
    click.echo(f"Published: {local_time(a.published, zone, '%Y-%m-%d %H:%M') or '-'}   "
               f"ingested: {local_time(a.ingested_at, zone, '%Y-%m-%d %H:%M')} ({app.cfg.timezone})")
    click.echo(f"Headline: {a.headline}" + ("  [editor]" if a.headline_override else ""))
    if a.lead or a.priority is not None:
        click.echo(f"Ranking:  {_ranking(a)}  [editor]")
    if a.headline_override:
        click.echo(f"          machine's, not printed while the editor's is set: {machine.headline}")
    source = "editor" if a.summary_override else a.summary_source
    click.echo(f"Summary:  {a.summary}  [{source}]")
    if a.summary_override:
        click.echo(f"          machine's ({machine.summary_source}), not printed while the editor's is set:")
    if machine.summary_source == "standfirst":
        click.echo("  from the outlet's standfirst")
    for i, text in picked:
        click.echo(f"  from sentence {i + 1} of {d.total_sentences}: {text}")
    if a.description and machine.summary_source != "standfirst":
        click.echo(f"Standfirst: {a.description}  (not the blurb: read as evidence for the lede)")
    for r in a.removed:
        text = r["text"] if len(r["text"]) <= 60 else r["text"][:59].rsplit(" ", 1)[0] + " …"
        click.echo(f"removed:  {r['kind']} '{text}' ({r['why']})")
    for label, value in (("Caption", a.caption), ("Sources", a.sources), ("Author", a.author), ("Bio", a.bio),
                         ("URL", a.url)):
        if value:
            click.echo(f"{label + ':':9} {value}")
    if others:
        click.echo(f"Cluster:  #{a.cluster_id}, the same story in {len(others) + 1} articles; also:")
        for o in others:
            click.echo(f"  #{o.id}  {o.headline}  ({o.source or o.url or 'our newsroom'})")
    else:
        click.echo("Cluster:  none (no other article tells this story)")


def _ranking(a: Article) -> str:
    said = (["the pinned lead of the next edition"] if a.lead else []) + \
        ([f"priority {a.priority} in its topic"] if a.priority is not None else [])
    return ", ".join(said) or "the machine's (no editor's rank)"


@articles_group.command(name="edit")
@click.argument("article_id", type=int)
@click.option("--headline", help=f"The headline to print instead of the machine's. Over "
                                 f"{pipeline.LONG_HEADLINE} characters it is stored, with a warning. "
                                 "An empty string goes back to the machine's.")
@click.option("--summary", help="The blurb to print instead of the machine's. An empty string goes back to "
                                "the machine's.")
@click.option("--clear", is_flag=True, help="Drop both overrides: the digest prints what the machine wrote.")
@click.option("--topic", help="File the article under this topic too (e.g. one ingested without labels).")
@click.option("--lead/--no-lead", default=None,
              help="Pin it as the lead of the next edition that carries it (its headline is the Subject); "
                   "one article at a time. --no-lead unpins it.")
@click.option("--priority", type=int, metavar="N",
              help="Its rank within its topic: 1 comes first, then 2...; ranked stories come before the "
                   "machine's order. 0 drops it.")
@pass_app
def articles_edit(app: App, article_id: int, headline: str | None, summary: str | None, clear: bool,
                  topic: str | None, lead: bool | None, priority: int | None) -> None:
    """Override the machine's headline or summary of one article, or rank it.

    Overrides are what the digest prints from then on; they survive `digest articles resummarize`
    and re-ingesting the article. A headline over 100 characters is kept but warned about: long
    headlines wrap in narrow mail clients and get cut in the subject line. `--lead` and
    `--priority 1` rank it: `digest preview` shows the order of the stories and why.

    Example: digest articles edit 3 --headline "EU agrees €90bn defence fund" --lead
    """
    text = headline is not None or summary is not None
    if clear and text:
        raise click.UsageError("--clear drops both overrides; give it alone, or use --headline/--summary.")
    if not (clear or text or topic is not None or lead is not None or priority is not None):
        raise click.UsageError("Nothing to change: give --headline TEXT, --summary TEXT, --topic T, --lead, "
                               "--priority N or --clear.")
    if topic is not None:
        a = pipeline.file_article(app.db, article_id, topic)
        click.echo(f"Topics:   {', '.join(a.topics)}")
    if lead is not None or priority is not None:
        a, moved = pipeline.rank_article(app.db, article_id, lead=lead, priority=priority)
        if moved is not None:
            say(f"Note: #{moved.id} \"{moved.headline}\" is no longer the pinned lead; one article leads at a time.")
        click.echo(f"Ranking:  {_ranking(a)}")
    if clear or text:
        a, warning = pipeline.edit_article(app.db, article_id, headline=headline, summary=summary, clear=clear)
        if warning:
            say(f"Warning: {warning}")
        click.echo(f"Headline: {a.headline}" + ("  [editor]" if a.headline_override else ""))
        click.echo(f"Summary:  {a.summary}" + ("  [editor]" if a.summary_override else ""))


@articles_group.command(name="resummarize")
@click.argument("article_ids", nargs=-1, type=int)
@click.option("--all", "all_articles", is_flag=True, help="Every article in the store.")
@pass_app
def articles_resummarize(app: App, article_ids: tuple[int, ...], all_articles: bool) -> None:
    """Rewrite the machine's headlines and summaries (e.g. after an upgrade), with word weights
    from the whole store. Editor overrides are never touched and stay what the digest prints.

    Example: digest articles resummarize --all
    """
    if all_articles == bool(article_ids):
        raise click.UsageError("Give article ids or --all (not both).")
    report = pipeline.resummarize(app.db, None if all_articles else article_ids, settings=app.cfg.summary)
    say(f"Resummarized {plural(report.checked, 'article', 'articles')}: {len(report.changed)} changed, "
        f"{report.checked - len(report.changed)} unchanged"
        + (f"; {len(report.overridden)} of the changed keep their editor's override "
           f"({', '.join(map(str, report.overridden))})" if report.overridden else ""))


def register(cli: click.Group) -> None:
    cli.add_command(init_command)
    cli.add_command(articles_group)
