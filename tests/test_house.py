"""The house stays built: the rules of issue 13, checked on the source tree with `ast` and text.

- SQL lives only in digest/db/; only digest/pipeline/ (and db/ itself) imports digest.db.
- The faces (cli/, web/, daemon.py, bounce_listener.py) import digest.pipeline and the few plain modules listed in
  FACES below, never a stage module and never the database.
- No module is over 300 lines; each opens with its role and what it may import; no "issue N" or
  "owner" tags (history belongs in git).
- The opt-out set, the frequencies, the weekdays and the statuses are defined once, in digest.models.
- digest.pipeline exports use cases: no stage module, no private name.
- A repository hands back dataclasses, never sqlite3.Row or a dict record.
- Test-support code (the fault-injecting SMTP server) is not in the shipped package.
"""

from __future__ import annotations

import ast
import re
import types
from pathlib import Path

import pytest

from digest import models

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "digest"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_LINES = 300

# What each face may import from digest, besides its own package. BASE: the use cases, the
# configuration, the error family and the plain values.
BASE = {"digest", "digest.pipeline", "digest.config", "digest.errors", "digest.models",
        "digest.plural"}     # plural forms (ngettext): words every face prints, the languages issue translates
FACES = {
    "digest/cli": BASE | {"digest.servers.daemon", "digest.web", "digest.servers.demo_smtp", "digest.resources", "digest.servers.bounce_listener"},
    "digest/web": BASE | {"digest.resources", "digest.lists.tokens"},     # templates; signed links and CSRF tokens
    "digest/servers/daemon.py": BASE,
    "digest/servers/bounce_listener.py": BASE,      # `digest bounces serve`: the SMTP/LMTP listener
}
SQL = re.compile(r"\b(SELECT\b[\s\S]+?\bFROM\b|INSERT\s+(OR\s+\w+\s+)?INTO\b|UPDATE\s+\w+(\s+AS\s+\w+)?\s+SET\b|"
                 r"DELETE\s+FROM\b|CREATE\s+(TABLE|INDEX|UNIQUE\s+INDEX)\b|ALTER\s+TABLE\b|PRAGMA\s+\w+|"
                 r"BEGIN\s+IMMEDIATE\b|COMMIT\b|ROLLBACK\b)")


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imports(path: Path) -> set[str]:
    """Every digest module this file imports (`from .. import x` counts as digest.x when x is a module)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "digest"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            if base.split(".")[0] != "digest":
                continue
            for a in node.names:
                found.add(f"{base}.{a.name}" if is_module(f"{base}.{a.name}") else base)
    return found


def strings(path: Path):
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node


def under(path: Path, *folders: str) -> bool:
    return any(rel(path) == f or rel(path).startswith(f + "/") for f in folders)


# ---- the database ------------------------------------------------------------------------------

def test_no_sql_outside_digest_db():
    found = [f"{rel(p)}:{s.lineno}: {SQL.search(s.value).group(0)[:40]!r}" for p in MODULES
             if not under(p, "digest/db") for s in strings(p) if SQL.search(s.value)]
    assert found == []
    calls = [f"{rel(p)}:{n.lineno}" for p in MODULES if not under(p, "digest/db") for n in ast.walk(tree(p))
             if isinstance(n, ast.Attribute) and n.attr in ("execute", "executemany", "executescript", "fetchall")]
    assert calls == []


def test_the_sql_check_sees_sql():
    assert SQL.search("SELECT id FROM subscribers WHERE email = ?")
    assert SQL.search("UPDATE deliveries AS d SET status = 'pending'")
    assert not SQL.search("Select the topics you follow from the list below.")


def test_only_the_pipeline_imports_the_database():
    found = [f"{rel(p)}: {m}" for p in MODULES if not under(p, "digest/pipeline", "digest/db")
             for m in imports(p) if m == "digest.db" or m.startswith("digest.db.")]
    assert found == []
    assert [rel(p) for p in MODULES if not under(p, "digest/db") and "sqlite_utils" in p.read_text()] == []


def test_the_faces_call_only_the_pipeline():
    for face, allowed in FACES.items():
        own = face.removesuffix(".py").replace("/", ".")
        for path in [p for p in MODULES if under(p, face)]:
            bad = sorted(m for m in imports(path) if m != own and not m.startswith(own + ".") and m not in allowed
                         and not any(m.startswith(a + ".") for a in allowed - {"digest"}))
            assert bad == [], f"{rel(path)} imports {bad}"


def test_the_import_check_sees_stages_and_the_database():
    # pipeline/bodies.py: `from .. import message, render, ...` and `from ..db import Database`
    assert {"digest.compose.render", "digest.compose.message", "digest.db", "digest.compose.views"} <= imports(PACKAGE / "pipeline" / "bodies.py")
    assert imports(PACKAGE / "cli" / "__init__.py") >= {"digest.pipeline", "digest.cli.app"}


# ---- small rooms that say what they are --------------------------------------------------------

def test_no_module_is_over_300_lines():
    long = {rel(p): n for p in MODULES if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_every_module_opens_with_its_role_and_what_it_may_import():
    missing = [rel(p) for p in MODULES if "May import:" not in (ast.get_docstring(tree(p)) or "")]
    assert missing == []


def test_no_issue_or_owner_tags_in_the_code():
    tag = re.compile(r"\bissue\s+\d+|\bowner:", re.I)
    prose = [(rel(p), s.value) for p in MODULES for s in strings(p)]
    prose += [(rel(p), line.partition("#")[2]) for p in MODULES for line in p.read_text(encoding="utf-8").splitlines()]
    assert [f"{where}: {text.strip()[:60]}" for where, text in prose if tag.search(text)] == []
    assert tag.search("Send stages (owner: sending, issue 5)") and tag.search("# issue 12: preflight")


def test_test_support_is_not_shipped():
    assert [rel(p) for p in MODULES if re.search(r"fail_rcpt|greylist\b|fail_mail", p.read_text())] == []


# ---- each policy once --------------------------------------------------------------------------

WORDS = {"the opt-out set": set(models.OPTED_OUT), "the frequencies": set(models.FREQUENCIES),
         "the weekdays": set(models.WEEKDAYS), "the subscriber statuses": set(models.SUBSCRIBER_STATUSES),
         "the delivery statuses": set(models.DELIVERY_STATUSES)}


def literal_sets(path: Path):
    for node in ast.walk(tree(path)):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and node.elts and \
                all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            yield node.lineno, {e.value for e in node.elts}


def test_the_opt_out_set_frequencies_and_statuses_are_defined_once():
    found = [f"{rel(p)}:{line}: {what}" for p in MODULES if p != PACKAGE / "models.py"
             for line, values in literal_sets(p) for what, words in WORDS.items()
             if words <= values or (what == "the frequencies" and values == words)]
    assert found == []
    defined = [(line, what) for line, values in literal_sets(PACKAGE / "models.py") for what, words in WORDS.items()
               if values == words]
    assert sorted(what for _, what in defined) == sorted(WORDS)


# ---- the pipeline's front door, the database's answers ----------------------------------------

def test_the_pipeline_exports_use_cases_not_stages_or_private_names():
    from digest import pipeline
    assert [n for n in pipeline.__all__ if n.startswith("_")] == []
    assert [n for n in pipeline.__all__ if isinstance(getattr(pipeline, n), types.ModuleType)] == []
    foreign = [n for n, v in vars(pipeline).items()
               if isinstance(v, types.ModuleType) and not v.__name__.startswith("digest.pipeline.")]
    assert foreign == []


REPOSITORIES = sorted((PACKAGE / "db").glob("*.py"))


@pytest.mark.parametrize("path", REPOSITORIES, ids=lambda p: p.name)
def test_a_repository_hands_back_dataclasses_not_rows(path):
    record = re.compile(r"\bRow\b|\bdict\b(?!\[)")
    bad = []
    for cls in [n for n in tree(path).body if isinstance(n, ast.ClassDef)]:
        for fn in [n for n in cls.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]:
            if fn.returns is not None and record.search(ast.unparse(fn.returns)):
                bad.append(f"{cls.name}.{fn.name} -> {ast.unparse(fn.returns)}")
    assert bad == []
