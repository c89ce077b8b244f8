"""What a `digest worker` process keeps of an edition's rendering from one batch to the next: the
Renderers (with their fragment and CSS caches) and every mix's prepared Group, so that a batch of an
edition whose mixes an earlier batch already rendered builds no body again.

A Group is reused only when everything its body is made from is the same: the edition (id, key, day,
special title), the configuration, the templates (each file's size and mtime under templates_dir),
the topics' names in the mix's language, and the articles of the window, content and all (a digest
of each article's fields, read again every batch: an article edited between two batches is rendered
again). Bounded, least recently used first out: EDITIONS editions, GROUPS groups in all, so the
worker's memory stays flat however many editions and mixes it sends.
May import: compose.lint, compose.render, config, db, models, and
.bodies/.editions/.lease/.messages/.outcomes/.sender/.tally/.topics.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from dataclasses import dataclass, field

from ..compose.lint import CLIP_BYTES, LintReport
from ..compose.render import Renderer
from ..config import Config
from ..db import Database
from ..models import Window
from .bodies import Bodies, speaking
from .editions import Plan
from .lease import Lease
from .messages import Group, lint_size, prepare_group
from .outcomes import OnProgress, StopCheck
from .sender import EditionRun
from .tally import Tally
from .topics import labels_in


@dataclass
class EditionRenders:
    """One edition's render state in this process (see the module)."""
    renderers: dict[str, Renderer] = field(default_factory=dict)


class WorkerRenders:
    EDITIONS = 4
    GROUPS = 2048

    def __init__(self) -> None:
        self.editions: OrderedDict[tuple, EditionRenders] = OrderedDict()
        self.groups: OrderedDict[tuple, tuple[Group, LintReport]] = OrderedDict()

    def edition(self, key: tuple) -> EditionRenders:
        state = self.editions.get(key)
        if state is None:
            state = self.editions[key] = EditionRenders()
            if len(self.editions) > self.EDITIONS:
                gone, _ = self.editions.popitem(last=False)
                for k in [k for k in self.groups if k[0] == gone]:
                    del self.groups[k]
        self.editions.move_to_end(key)
        return state

    def get(self, key: tuple) -> tuple[Group, LintReport] | None:
        got = self.groups.get(key)
        if got is not None:
            self.groups.move_to_end(key)
        return got

    def put(self, key: tuple, value: tuple[Group, LintReport]) -> None:
        self.groups[key] = value
        if len(self.groups) > self.GROUPS:
            self.groups.popitem(last=False)


RENDERS = WorkerRenders()      # this process's (a worker sends batch after batch of the same editions)


def templates_stamp(cfg: Config) -> tuple:
    """Each template file's path, size and mtime under templates_dir (the built-in ones do not change)."""
    if not cfg.templates_dir:
        return ()
    out = []
    for top, _dirs, files in os.walk(cfg.templates_dir):
        for name in files:
            st = os.stat(os.path.join(top, name))
            out.append((top, name, st.st_size, st.st_mtime_ns))
    return tuple(sorted(out))


class CachedRun(EditionRun):
    """EditionRun whose groups come from (and go to) a WorkerRenders across batches."""

    def __init__(self, db: Database, cfg: Config, plan: Plan, lease: Lease, tally: Tally, *,
                 renders: WorkerRenders = RENDERS, should_stop: StopCheck | None = None,
                 progress: OnProgress | None = None) -> None:
        super().__init__(db, cfg, plan, lease, tally, should_stop=should_stop, progress=progress)
        self.renders = renders
        b: Bodies = self.bodies
        self.edition_key = (self.plan.edition_id, self.plan.key, self.plan.date, b.special, repr(self.cfg),
                            templates_stamp(self.cfg))
        b.renderers = renders.edition(self.edition_key).renderers      # Bodies makes each language's once
        self.spans: dict[tuple, bytes] = {}      # window span -> digest of its articles (read this batch)
        self.linted: set[tuple] = set()

    def _articles_digest(self, window: Window) -> bytes:
        span = (window.since, window.until, window.since_seq, window.until_seq)
        got = self.spans.get(span)
        if got is None:
            self.bodies.articles(window)         # reads the span's articles once a batch (Bodies keeps them)
            h = hashlib.blake2b(digest_size=16)
            for a in self.bodies.windows[span]:
                h.update(repr(a).encode())
            got = self.spans[span] = h.digest()
        return got

    def group(self, window: Window) -> Group:
        cfg = speaking(self.cfg, window.mix)
        labels = self.bodies.labels.get(cfg.language)
        if labels is None:
            labels = self.bodies.labels[cfg.language] = labels_in(self.db, cfg.language)
        key = (self.edition_key, window, self._articles_digest(window), tuple(sorted(labels.items())), self.force)
        got = self.renders.get(key)
        if got is None:
            group = prepare_group(self.cfg, self.bodies.body(window))
            report = lint_size(self.cfg, group.body)
            group.size, group.clipped = report.size_bytes, report.size_bytes >= CLIP_BYTES and not self.force
            got = (group, report)
            self.renders.put(key, got)
        if key not in self.linted:
            self.linted.add(key)
            self.tally.lint_mix(window.mix, got[1])
        return got[0]
