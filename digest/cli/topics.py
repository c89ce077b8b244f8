"""`digest topics ...`: the subscriber lists by subject, and the category labels that map to them."""

from __future__ import annotations

import click

from .app import App, echo_json, pass_app, table


@click.group(name="topics")
def topics_group() -> None:
    """Manage topics (Europe, Politics, World, ...) and their aliases.

    Example: digest topics add Science --alias "Science & Tech"
    """


@topics_group.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def topics_list(app: App, as_json: bool) -> None:
    """List topics with their aliases, subscriber and article counts.

    Example: digest topics list --json
    """
    counts = app.store.topic_counts()
    topics = app.store.topics()
    if as_json:
        echo_json([{"name": t.name, "slug": t.slug, "aliases": t.aliases, "subscribers": counts[t.name][0],
                    "articles": counts[t.name][1]} for t in topics])
        return
    table(["topic", "subscribers", "articles", "aliases"],
          [[t.name, counts[t.name][0], counts[t.name][1], ", ".join(t.aliases)] for t in topics])


@topics_group.command(name="add")
@click.argument("name")
@click.option("--alias", "aliases", multiple=True, help="A category label that maps to this topic (repeatable).")
@pass_app
def topics_add(app: App, name: str, aliases: tuple[str, ...]) -> None:
    """Add a topic, or add aliases to an existing one.

    Example: digest topics add Europe --alias "Eastern Europe"
    """
    topic = app.store.add_topic(name, aliases)
    click.echo(f"Topic {topic.name} ({topic.slug}); aliases: {', '.join(topic.aliases) or '-'}", err=True)


def register(cli: click.Group) -> None:
    cli.add_command(topics_group)
