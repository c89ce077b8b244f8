"""Write docs/architecture.md from the package's docstrings: every module, under its package, with the
first lines of its docstring. Run it after adding, moving or renaming a module:

    .venv/bin/python docs/make_architecture.py

tests/test_architecture_doc.py fails while a module is missing from the page.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "digest"

# The packages in the order the data flows, then the ones around them.
ORDER = [("readers", "Stage 1, ingest"), ("db", "Stage 2, store"), ("selection", "Stage 3, select"),
         ("summarize", "Stage 4, summarize"), ("compose", "Stage 5, render"), ("smtp", "Stage 6, send"),
         ("bounces", "After the send"), ("lists", "Subscriber lists"), ("checks", "Checks for `digest doctor`"),
         ("config", "Configuration"), ("pipeline", "The use cases"), ("cli", "Face: the command line"),
         ("web", "Faces: the web apps"), ("servers", "Faces: the long-running servers")]

INTRO = """# Architecture

Data flows one way: ingest -> store -> select -> summarize -> render -> send -> record. Each stage is a
package of small modules with one job each; `pipeline/` composes them and is the only code that opens the
database; the faces (`cli/`, `web/`, `servers/`) only call `pipeline`. Every module's docstring ends with
what it may import, and `tests/test_layering.py` holds the code to it.

```
readers/ -> db/ -> selection/ -> summarize/ -> compose/ -> smtp/ -> db/ (the ledger), smtp/journal
cli/, web/, servers/  ->  pipeline/  ->  the stages above, and db/
```

This page lists every module with the first lines of its docstring (the docstring says more);
`docs/make_architecture.py` writes it.
"""


def summary(path: Path) -> str:
    """The docstring's first paragraph without its "May import:" sentence, cut after the sentence
    that takes it past 110 characters."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    doc = re.split(r"\s*May import:", " ".join(doc.split("\n\n")[0].split()))[0].strip()
    sentences = re.split(r"(?<=[.?!])\s+(?=[A-Z`\"])", doc)
    kept = sentences[0]
    for s in sentences[1:]:
        if len(kept) > 110:
            break
        kept += " " + s
    return kept


def page() -> str:
    out = [INTRO]
    for package, title in ORDER:
        folder = PACKAGE / package
        out += [f"## {title}: `digest/{package}/`", "", summary(folder / "__init__.py"), ""]
        out += [f"- `{p.name}`: {summary(p)}" for p in sorted(folder.glob("*.py")) if p.name != "__init__.py"]
        out.append("")
    out += ["## Shared by every stage: `digest/`", "", "The words every stage uses, defined once.", ""]
    out += [f"- `{p.name}`: {summary(p)}" for p in sorted(PACKAGE.glob("*.py"))]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    (ROOT / "docs" / "architecture.md").write_text(page(), encoding="utf-8")
