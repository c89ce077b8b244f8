"""Reading back an aligned table as the CLI prints it (digest.cli.app.table): the header, a line of
dashes whose runs give each column's start and width, then the rows. Cells may hold spaces."""

from __future__ import annotations

import re


def read_table(stdout: str) -> list[dict[str, str]]:
    lines = stdout.splitlines()
    assert len(lines) >= 2 and set(lines[1]) <= {"-", " "}, stdout
    spans = [m.span() for m in re.finditer(r"-+", lines[1])]
    starts = [a for a, _ in spans] + [None]

    def cells(line: str) -> list[str]:
        return [line[a:b].strip() if b else line[a:].strip() for a, b in zip(starts, starts[1:])]

    head = cells(lines[0])
    return [dict(zip(head, cells(ln))) for ln in lines[2:]]
