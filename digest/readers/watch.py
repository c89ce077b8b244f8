"""Watched folders: which files are new, and where they go once read. No database here.

A new file is any article file (the seed .txt format, JSON Lines .jsonl/.json, an RSS or Atom
file .xml/.rss/.atom) in the folder or below it, except under its `done/` and `failed/` subfolders and except hidden files. Writers
should write to a hidden or differently-suffixed name (`.x.txt`, `x.txt.part`) and rename it into
place, so a half-written file is never read. After ingest a file moves to `done/` (or to
`failed/` when not one article in it could be read), keeping its relative path; a name already
taken there gets a numbered twin, so nothing is overwritten.
May import: digest.readers (the suffixes it reads).
"""

from __future__ import annotations

import os
from pathlib import Path

from . import SUFFIXES

DONE, FAILED = "done", "failed"


def new_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if rel.parts[0] in (DONE, FAILED) or any(p.startswith(".") for p in rel.parts):
            continue
        if path.is_file() and path.suffix in SUFFIXES and not path.name.startswith("README"):
            found.append(path)
    return found


def file_away(folder: Path, path: Path, where: str = DONE) -> Path:
    """Move `path` (inside `folder`) to folder/<where>/<same relative path>; returns the new path."""
    target = folder / where / path.relative_to(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    n = 1
    while target.exists():
        target = target.with_name(f"{path.stem}.{n}{path.suffix}")
        n += 1
    os.replace(path, target)
    return target
