"""`digest topics ...`: the subscriber lists by subject, and the category labels that map to them.
May import: pipeline, plural, and .app.
"""

from __future__ import annotations

import click

from .. import pipeline
from ..plural import ngettext, plural
from .app import App, Commands, echo_json, pass_app, say, table


@click.group(name="topics", cls=Commands)
def topics_group() -> None:
    """Manage topics (Europe, Politics, World, ...) and their aliases.

    Example: digest topics add Science --alias "Science & Tech"
    """


@topics_group.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def topics_list(app: App, as_json: bool) -> None:
    """List topics with their aliases, labels per language, active subscriber and article counts.

    Example: digest topics list --json
    """
    topics = pipeline.topics_in_use(app.db)
    if as_json:
        echo_json([{"name": u.topic.name, "slug": u.topic.slug, "aliases": u.topic.aliases, "labels": u.topic.labels,
                    "subscribers": u.active, "articles": u.articles} for u in topics])
        return
    table(["topic", "subscribers", "articles", "labels", "aliases"],
          [[u.topic.name, u.active, u.articles, _labels(u.topic.labels), ", ".join(u.topic.aliases)] for u in topics])


def _labels(labels: dict[str, str]) -> str:
    return ", ".join(f"{language}={label}" for language, label in sorted(labels.items())) or "-"


@topics_group.command(name="add")
@click.argument("name")
@click.option("--alias", "aliases", multiple=True, help="A category label that maps to this topic (repeatable).")
@click.option("--move", is_flag=True, help="Move an alias that belongs to another topic to this one.")
@pass_app
def topics_add(app: App, name: str, aliases: tuple[str, ...], move: bool) -> None:
    """Add a topic, or add aliases to an existing one, and file under it the stored articles whose
    category labels match.

    An alias that already belongs to another topic is refused, naming that topic, unless you pass
    --move (articles already filed under the other topic stay there too).

    Example: digest topics add Europe --alias "Eastern Europe"
    """
    topic, moved, n = pipeline.add_topic(app.db, name, aliases, move=move)
    for alias, other in moved:
        say(f'Moved the alias "{alias}" from {other} to {topic.name}.')
    say(f"Topic {topic.name} ({topic.slug}); aliases: {', '.join(topic.aliases) or '-'}")
    say(_filed(n, topic.name) if n else f"No stored article was waiting for {topic.name}: none has a matching label "
                                         "that is not filed under it already.")


def _filed(n: int, topic: str) -> str:
    return (f"Filed {plural(n, 'stored article', 'stored articles')} under {topic}: "
            f"{ngettext('its category labels match', 'their category labels match', n)} it.")


@topics_group.command(name="show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def topics_show(app: App, name: str, as_json: bool) -> None:
    """Show one topic: slug, aliases, subscribers (active and all) and articles.

    Example: digest topics show "Eastern Europe"
    """
    usage = pipeline.topic_usage(app.db, name)
    t = usage.topic
    data = {"name": t.name, "slug": t.slug, "aliases": t.aliases, "labels": t.labels, "active_subscribers": usage.active,
            "subscribers": usage.subscribers, "articles": usage.articles}
    if as_json:
        echo_json(data)
        return
    click.echo(f"topic:        {t.name}")
    click.echo(f"slug:         {t.slug}")
    click.echo(f"aliases:      {', '.join(t.aliases) or '-'}")
    click.echo(f"labels:       {_labels(t.labels)}")
    click.echo(f"subscribers:  {usage.active} active ({usage.subscribers} in all)")
    click.echo(f"articles:     {usage.articles}")


@topics_group.command(name="rename")
@click.argument("old")
@click.argument("new", required=False)
@click.option("--label", "labels", multiple=True, metavar="LANG=LABEL",
              help="The topic's name in a language of the email (repeatable; LANG= drops it).")
@pass_app
def topics_rename(app: App, old: str, new: str | None, labels: tuple[str, ...]) -> None:
    """Rename a topic (subscriptions and articles follow, and the old name stays an alias), or name it
    in the languages of the email: a German reader's contents, headings and footer say "Politik".

    Example: digest topics rename Politics --label de=Politik --label fr=Politique
    """
    if new is None and not labels:
        raise click.UsageError("Give a NEW name, or --label LANG=LABEL (or both).")
    wanted = pipeline.parse_labels(labels)      # a wrong language fails before anything is renamed
    name = old
    if new is not None:
        before, topic, n = pipeline.rename_topic(app.db, old, new)
        say(f"Renamed {before} to {topic.name} ({topic.slug}); aliases: {', '.join(topic.aliases) or '-'}")
        if n:
            say(_filed(n, topic.name))
        name = topic.name
    if wanted:
        topic = pipeline.label_topic(app.db, name, wanted)
        say(f"{topic.name} in each language: {_labels(topic.labels)}")


@topics_group.command(name="remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Really remove it, unsubscribing everyone from this topic.")
@pass_app
def topics_remove(app: App, name: str, yes: bool) -> None:
    """Remove a topic with its aliases; its subscribers lose it (guarded by --yes).

    Example: digest topics remove Politics --yes
    """
    usage = pipeline.remove_topic(app.db, name, yes=yes)
    say(f"Removed topic {usage.topic.name}: {plural(usage.subscribers, 'subscriber', 'subscribers')} lost it; "
        f"{plural(usage.articles, 'article is', 'articles are')} no longer filed under it.")


def register(cli: click.Group) -> None:
    cli.add_command(topics_group)
