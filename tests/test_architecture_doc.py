"""docs/architecture.md is the newcomer's map of the package: every module of digest is on it, under
its own package's heading, and nothing is listed there that no longer exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def listed() -> dict[str, set[str]]:
    """Package folder ("digest/compose/", or "digest/" for the top) -> the module files listed under it."""
    found: dict[str, set[str]] = {}
    where = None
    for line in DOC.splitlines():
        if m := re.match(r"## .*`(digest/(?:\w+/)?)`", line):
            where = m.group(1)
            found.setdefault(where, set())
        elif where and (m := re.match(r"- `(\w+\.py)`:", line)):
            found[where].add(m.group(1))
    return found


def test_every_module_is_on_the_map_under_its_own_package():
    on_disk: dict[str, set[str]] = {}
    for path in (ROOT / "digest").rglob("*.py"):
        folder = path.parent.relative_to(ROOT).as_posix() + "/"
        if path.name != "__init__.py" or folder == "digest/":
            on_disk.setdefault(folder, set()).add(path.name)
    assert listed() == on_disk, "run .venv/bin/python docs/make_architecture.py"
