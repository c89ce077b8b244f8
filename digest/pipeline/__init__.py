"""digest.pipeline: the use cases, the only package that composes the stages and the only importer
of digest.db. The faces (digest.cli, digest.web, digest.servers.daemon) call what this file exports and
nothing below it.

Data flows one way: ingest -> store -> select -> summarize -> render -> send -> record.

  database      open (or create and migrate) the configured database
  ingest        the one ingest loop: paths, watched folders, feeds
  articles      clusters, resummarize, the editor's article commands
  topics        topic admin
  audience      the subscribers, and the one rule about who may be mailed (opt-out, bounces)
  bounces       what comes back (bounces, complaints, mailto unsubscribes): one processor, three intakes
  list_import   CSV import and export
  editions      edition keys; planning (today's edition, the scheduler's due slots)
  bodies        the view and rendered body of one topic mix and window
  messages      a subscriber's message built fast, the DKIM signer, the confirmation mail
  relays        the relays a send goes through, checked before anything is planned
  send_edition  one edition sent exactly once (sender.py: the run; outcomes.py: each outcome)
  ledger        outcomes recorded, a killed run replayed; lease.py: the one lease
  sending       the one sending use case: leftovers, plan, send; failed deliveries again; dry run
  tally         what a run reports, merged one way
  deliveries    the ledger as admins read it
  preflight     everything a message needs, checked before anything is planned
  doctor        the configuration against what mailbox providers require of bulk senders (and DNS)
  preview       the editor's preview
  archive       the web archive and the article pages
  schedule      what `digest schedule list` shows besides the jobs
  fleet         workers on several hosts (Postgres): batches queued with procrastinate, `digest worker`
                (batch_send.py: one batch sent; batch_lease.py: its fenced lease)
  progress      how far an edition is across every sender and worker (`digest editions`)
  store_copy    a whole SQLite store copied into an empty PostgreSQL database (`digest db copy`)
  wording       what the subscriber pages say, in the reader's language; their forms' values checked

Tunables that tests patch (editions.PLAN_BATCH, editions.EMPTY_SAMPLE) are not re-exported:
patching a copy here would change nothing; patch the submodule that reads them.
May import: clock, and the modules of digest.pipeline (each says what it may import).
"""

from __future__ import annotations

from ..clock import now
from .archive import ArchiveEntry, ArticlePage, archive, archive_html, article_page, template_filters
from .articles import (
                       CLUSTER_DAYS,
                       LONG_HEADLINE,
                       ArticleDetail,
                       ResummaryReport,
                       article_detail,
                       article_listing,
                       articles,
                       cluster_recent,
                       edit_article,
                       file_article,
                       pinned_lead,
                       rank_article,
                       removal_preview,
                       remove_articles,
                       resummarize,
)
from .audience import (
                       Added,
                       Unsubscribed,
                       add_subscriber,
                       change_subscriber,
                       confirm_subscription,
                       find_subscriber,
                       one_click_unsubscribe,
                       opted_out,
                       remove_subscriber,
                       save_preferences,
                       sign_up,
                       subscribe,
                       subscriber_by_id,
                       subscriber_listing,
                       subscribers,
                       suppress,
                       unsubscribe,
)
from .bodies import (
                       Bodies,
                       Body,
                       article_url,
                       edition_view,
                       personal_message,
                       render_group,
                       renderer,
)
from .bounces import Fetched, Processed, bounce_listing, fetch_bounces, kept_message, process_bounce, subscriber_bounces
from .database import Database, database_error, faults, init_database, open_database  # Database: the faces' annotations
from .deliveries import delivery_listing, delivery_record, listed_status, subscriber_deliveries
from .doctor import doctor
from .editions import Plan, edition_key, local_today, plan_edition
from .fleet import BatchProgress, run_worker
from .ingest import IngestReport, ingest
from .lease import Lease
from .list_import import ImportReport, export_subscribers, import_subscribers
from .messages import CONFIRM_DAYS, Group, fast_message, lint_body, prepare_group, send_confirmation, signer_for
from .preflight import check_placeholders, preflight
from .preview import (
                       MixInfo,
                       Preview,
                       groups_for_preview,
                       lint_summary,
                       mix_file_name,
                       preview_message,
                       preview_mix,
                       preview_mixes,
                       sent_previews,
)
from .progress import SHOWN as PROGRESS_STATES
from .progress import EditionProgress, edition_listing, edition_progress, edition_record, holder, progress_record
from .relays import RelayCheck, check_relays, open_relay, relays_for
from .schedule import feed_states, next_slots
from .send_edition import send_edition, send_test
from .sending import (
                       RESEND_UNCERTAIN,
                       DryRun,
                       SendReport,
                       check_title,
                       dry_run,
                       failed_editions,
                       retry_failed,
                       send,
                       waiting,
)
from .store_copy import CopiedTable, copy_store, safe_url
from .tally import BuildError, ClippedError, RelayTally, Tally
from .topics import (
                       add_topic,
                       label_topic,
                       labels_in,
                       parse_labels,
                       remove_topic,
                       rename_topic,
                       topic_usage,
                       topics,
                       topics_in_use,
)
from .wording import DEFAULT as DEFAULT_LANGUAGE
from .wording import (
                       accepts,
                       check_address,
                       check_preferences,
                       direction,
                       languages,
                       long_date,
                       reader_language,
                       short_date,
                       translations,
)

__all__ = [
    "now", "Database",
    "ArchiveEntry", "ArticlePage", "archive", "archive_html", "article_page", "template_filters",
    "CLUSTER_DAYS", "LONG_HEADLINE", "ArticleDetail", "ResummaryReport", "article_detail", "article_listing", "articles", "cluster_recent",
    "edit_article", "file_article", "pinned_lead", "rank_article", "removal_preview", "remove_articles", "resummarize",
    "Added", "Unsubscribed", "subscriber_by_id", "subscriber_listing", "opted_out", "add_subscriber", "change_subscriber", "confirm_subscription", "find_subscriber",
    "subscribers", "one_click_unsubscribe", "save_preferences", "sign_up", "subscribe", "suppress", "unsubscribe",
    "remove_subscriber",
    "Bodies", "Body", "article_url", "edition_view", "groups_for_preview", "personal_message", "render_group", "renderer",
    "Fetched", "Processed", "bounce_listing", "fetch_bounces", "kept_message", "process_bounce", "subscriber_bounces",
    "database_error", "faults", "init_database", "open_database",
    "delivery_listing", "delivery_record", "listed_status", "subscriber_deliveries", "doctor",
    "Plan", "edition_key", "local_today", "plan_edition",
    "IngestReport", "ingest",
    "Lease",
    "ImportReport", "export_subscribers", "import_subscribers",
    "CONFIRM_DAYS", "Group", "fast_message", "prepare_group", "send_confirmation", "signer_for",
    "BatchProgress", "run_worker",
    "PROGRESS_STATES", "EditionProgress", "edition_listing", "edition_progress", "edition_record", "holder", "progress_record",
    "RelayCheck", "check_relays", "open_relay", "relays_for",
    "check_placeholders",
    "preflight",
    "MixInfo", "Preview", "lint_summary", "mix_file_name", "preview_message", "preview_mix", "preview_mixes",
    "sent_previews",
    "feed_states", "next_slots",
    "lint_body", "send_edition", "send_test",
    "RESEND_UNCERTAIN", "DryRun", "SendReport", "check_title", "dry_run", "failed_editions", "retry_failed", "send", "waiting",
    "CopiedTable", "copy_store", "safe_url",
    "BuildError", "ClippedError", "RelayTally", "Tally",
    "add_topic", "label_topic", "labels_in", "parse_labels", "remove_topic", "rename_topic", "topics", "topics_in_use",
    "topic_usage",
    "DEFAULT_LANGUAGE", "accepts", "check_address", "check_preferences", "direction", "languages", "long_date", "reader_language", "short_date",
    "translations",
]
