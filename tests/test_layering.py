"""The package's layering holds, checked on the source tree with `ast`: the import graph of digest's
modules has no cycle, no module imports another module's private name, and every module imports
only what the "May import:" line of its docstring allows (the README's Architecture section, in
each room's own words).

Edges are every `import` and `from ... import` in a module: at module level, inside functions, and
under `if TYPE_CHECKING:`. A type-only import is still a dependency (the annotation names the other
module's class, mypy reads it, and a refactor has to move both sides), and a cycle through one only
waits for the day the annotation is needed at run time; so it counts. The way out is a small type
where it belongs (a Protocol on the side that is called, a shared value in a lower module).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from test_house import MODULES, ROOT, is_module, module_name, rel, tree

NAMES = {module_name(p): p for p in MODULES}


def package_of(path: Path) -> str:
    return module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]


def resolved(path: Path, node: ast.ImportFrom) -> str:
    """The absolute module a `from ... import` reads from."""
    if not node.level:
        return node.module or ""
    anchor = package_of(path).split(".")
    anchor = anchor[:len(anchor) - (node.level - 1)]
    return ".".join(anchor + ([node.module] if node.module else []))


def edges(path: Path, source: str | None = None) -> list[tuple[int, str, str]]:
    """(line, module imported, name read from it or "") for every digest import in this file (or in
    `source`, as if it were this file), wherever it is."""
    found = []
    for node in ast.walk(tree(path) if source is None else ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name, "") for a in node.names if a.name.split(".")[0] == "digest"]
        elif isinstance(node, ast.ImportFrom):
            base = resolved(path, node)
            if base.split(".")[0] != "digest":
                continue
            for a in node.names:
                sub = f"{base}.{a.name}"
                found.append((node.lineno, sub, "") if is_module(sub) else (node.lineno, base, a.name))
    return found


GRAPH = {name: {target for _, target, _ in edges(path)} for name, path in NAMES.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected group of more than one module (or a module importing itself), as a
    path around it (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in graph:
                    continue
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    group = []
                    while True:
                        w = stack.pop()
                        group.append(w)
                        if w == v:
                            break
                    if len(group) > 1 or v in graph[v]:
                        found.append(sorted(group))
    return found


def test_the_import_graph_of_digest_has_no_cycle():
    assert cycles(GRAPH) == []


def test_the_cycle_check_sees_a_cycle_through_a_function_or_type_checking_import():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}}) == [["a"]] and cycles({"a": {"b"}, "b": set()}) == []
    source = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from digest.db import Database\n"
              "def f():\n    from digest.cli import early_stops\n")
    probe = ROOT / "digest" / "pipeline" / "probe.py"      # never written: the source is given
    assert {t for _, t, _ in edges(probe, source)} == {"digest.db", "digest.cli.early_stops"}


def test_no_module_imports_another_modules_private_name():
    private = [f"{rel(p)}:{line}: from {target} import {name}" for p in MODULES for line, target, name in edges(p)
               if name.startswith("_") and not (name.startswith("__") and name.endswith("__"))]
    assert private == []


# ---- "May import:" ------------------------------------------------------------------------------

def may_import(path: Path, doc: str | None = None) -> str:
    """The sentence after "May import:" in the module's docstring (or `doc`), parentheses dropped, on one line."""
    doc = " ".join((ast.get_docstring(tree(path)) or "" if doc is None else doc).split())
    found = re.search(r"May import:(.*?)\.(?:\s|$)", re.sub(r"\([^)]*\)", "", doc))
    assert found, f"{rel(path)}: no 'May import:' sentence"
    return found.group(1).strip()


def allowed(path: Path, doc: str | None = None) -> set[str]:
    """The modules and packages this module may import, as absolute names (a package allows its modules).
    Its own package's modules are allowed when it says "the modules of ..." or "its own modules", and
    always to a package's __init__ (the package's front door re-exports them); "nothing from digest"
    adds nothing, "... outside digest.x" allows digest.x."""
    text, own = may_import(path, doc), package_of(path)
    ok: set[str] = {own} if path.name == "__init__.py" and own != "digest" else set()
    if m := re.search(r"nothing from digest(?: outside (\S+))?", text):
        ok |= {m.group(1)} if m.group(1) else set()
        text = text.replace(m.group(0), "")
    for word in re.split(r",|/|\s+and\s+|^and\s+", text):
        word = word.strip().removeprefix("and ").strip()
        if not word:
            continue
        if re.fullmatch(r"(the modules of \S+|its own modules)", word):
            ok.add(word.removeprefix("the modules of ") if word.startswith("the ") else own)
        elif word.startswith("."):
            ok.add(f"{own}{word}")
        elif word == "digest.__version__":
            ok.add("digest")
        else:
            ok.add(word if word.startswith("digest") else f"digest.{word}")
    return ok


def within(target: str, entries: set[str]) -> bool:
    return any(target == e or target.startswith(e + ".") for e in entries)


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_a_module_imports_only_what_its_docstring_allows(path):
    me, ok = module_name(path), allowed(path)
    bad = sorted({f"{target}" + (f" ({name})" if name else "") for _, target, name in edges(path)
                  if target != me and not within(target, ok)
                  and not (target == "digest" and name == "__version__" and within("digest", ok | {"digest"}))})
    assert bad == [], f"{rel(path)} says 'May import: {may_import(path)}' but imports {bad}"


def test_the_docstring_rule_reads_the_forms_in_use():
    def rule(doc: str, name: str = "pipeline/probe.py") -> set[str]:
        return allowed(ROOT / "digest" / name, f"Role.\n{doc}\n")      # the file is never read
    assert rule("May import: clock, db (its queries), and .bodies/.editions.") == {
        "digest.clock", "digest.db", "digest.pipeline.bodies", "digest.pipeline.editions"}
    assert rule("May import: nothing from digest.") == set()
    assert rule("May import: nothing from digest outside digest.summarize.") == {"digest.summarize"}
    assert rule("May import: errors, and its own modules.") == {"digest.errors", "digest.pipeline"}
    assert rule("May import: nothing from digest, and .columns/.repository.") == {
        "digest.pipeline.columns", "digest.pipeline.repository"}
    assert rule("May import: errors.", "pipeline/__init__.py") == {"digest.errors", "digest.pipeline"}
    assert within("digest.db.deliveries", {"digest.db"}) and not within("digest.dbx", {"digest.db"})
