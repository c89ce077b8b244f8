"""What an editor changes in an article: its headline and blurb (overrides of the machine's), its
priority within its topic, and the one article pinned as the lead of the next edition.
May import: errors, models, and .articles/.repository.
"""

from __future__ import annotations

from ..models import Article
from .articles import Articles
from .repository import Repository, Store

SET_HEADLINE_OVERRIDE = "UPDATE articles SET headline_override = ? WHERE id = ?"
SET_SUMMARY_OVERRIDE = "UPDATE articles SET summary_override = ? WHERE id = ?"
SET_PRIORITY = "UPDATE articles SET priority = ? WHERE id = ?"
PINNED = "SELECT id FROM articles WHERE lead = 1 AND removed_at IS NULL ORDER BY id"
UNPIN_ALL = "UPDATE articles SET lead = 0 WHERE lead = 1"
SET_LEAD = "UPDATE articles SET lead = ? WHERE id = ?"


class Editing(Repository):
    def __init__(self, db: Store, articles: Articles):
        super().__init__(db)
        self.articles = articles

    def set_override(self, article_id: int, *, headline: str | None, summary: str | None) -> None:
        """An editor's text (None: unchanged; "": back to the machine's)."""
        self.articles.get(article_id)
        with self.transaction():
            if headline is not None:
                self.conn.execute(SET_HEADLINE_OVERRIDE, (headline or None, article_id))
            if summary is not None:
                self.conn.execute(SET_SUMMARY_OVERRIDE, (summary or None, article_id))

    def set_priority(self, article_id: int, priority: int | None) -> None:
        """Its rank within its topic, 1 first (None: back to the machine's score)."""
        self.articles.get(article_id)
        with self.transaction():
            self.conn.execute(SET_PRIORITY, (priority, article_id))

    def pinned(self) -> Article | None:
        """The article pinned as the lead, if any (not removed)."""
        found = self._value(PINNED)
        return self.articles.get(found) if found is not None else None

    def pin_lead(self, article_id: int, pinned: bool = True) -> Article | None:
        """Pin this article as the lead (unpinning any other, in the same transaction), or unpin it.
        Returns the article that was pinned before, when pinning moved the pin from it."""
        self.articles.get(article_id)
        before = self.pinned()
        with self.transaction():
            if pinned:
                self.conn.execute(UNPIN_ALL)
            self.conn.execute(SET_LEAD, (int(pinned), article_id))
        return before if pinned and before is not None and before.id != article_id else None
