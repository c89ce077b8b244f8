"""The one module that composes the stages: ingest -> store -> select -> summarize -> render -> send -> record.

The CLI, the demo and the scheduler call these functions and nothing below them. Work is done
once per topic mix (select, render, inline), never per subscriber; per subscriber only the
address, name, links and Message-ID differ.

One module per part, each importing only the ones before it:
  articles   ingest, clustering, resummarize
  editions   edition keys and planning (the delivery rows of an edition)
  bodies     the view and rendered body of one topic mix, and one plain personal message
  delivery   send and record an edition; test sends; the relay and DKIM signer
  preflight  everything a message needs (secret, base URL, DKIM key, templates), checked before planning
  preview    the editor's preview
  lists      CSV import, confirmation mail, the web archive
  schedule   the scheduler's operations (watched folders and feeds, due slots)

This file only re-exports what callers use, so they keep calling `pipeline.X`. Tunables that
tests patch (editions.PLAN_BATCH, editions.EMPTY_SAMPLE) are deliberately not re-exported:
patching a copy here would silently change nothing; patch the submodule that reads them.
"""

from __future__ import annotations

# Stage modules and store helpers that callers reach through `pipeline.`
from .. import render, select, tokens
from ..store import now, parse_ts
from .articles import (CLUSTER_DAYS, IngestReport, ResummaryReport, cluster_recent, ingest_paths, resummarize,
                       store_article)
from .bodies import Body, article_url, edition_view, groups_for_preview, personal_message, render_group
from .delivery import BuildError, ClippedError, Tally, _Group, fast_message, prepare_group, relay_for, send_edition, send_test, signer_for
from .editions import Plan, edition_key, local_today, plan_edition
from .lists import (CONFIRM_DAYS, ArchiveEntry, ArticlePage, ImportReport, archive, archive_html, article_page,
                    import_subscribers, send_confirmation)
from .preflight import preflight
from .preview import MixInfo, Preview, preview_message, preview_mixes
from .schedule import DueReport, SourcesReport, ingest_sources, run_due

__all__ = [
    "render", "select", "tokens", "now", "parse_ts",
    "CLUSTER_DAYS", "IngestReport", "ResummaryReport", "cluster_recent", "ingest_paths", "resummarize",
    "store_article",
    "Body", "article_url", "edition_view", "groups_for_preview", "personal_message", "render_group",
    "BuildError", "ClippedError", "Tally", "_Group", "fast_message", "prepare_group", "relay_for", "send_edition", "send_test", "signer_for",
    "Plan", "edition_key", "local_today", "plan_edition",
    "CONFIRM_DAYS", "ArchiveEntry", "ArticlePage", "ImportReport", "archive", "archive_html", "article_page",
    "import_subscribers", "send_confirmation",
    "preflight",
    "MixInfo", "Preview", "preview_message", "preview_mixes",
    "DueReport", "SourcesReport", "ingest_sources", "run_due",
]
