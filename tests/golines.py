"""Counts the lines of Go a person writes in a notebook's code cells.

A line counts when it holds Go code: blank lines, `//` comments and the `%%` separator do not, nor do the lines
inside a multi-line raw string (SQL text: the line that opens the string counts, it holds Go). Used by the
tests that hold the templates and the ten-step analysis to their line budgets; run it to see the numbers:

    python3 tests/golines.py notebooks/*.ipynb
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def cell_lines(source: str) -> int:
    n, in_raw = 0, False
    for line in source.splitlines():
        s = line.strip()
        if in_raw:
            if s.count("`") % 2 == 1:
                in_raw = False
                rest = s[s.index("`") + 1:].strip()
                if rest and not rest.startswith("//") and rest not in (")", ","):
                    n += 1  # Go after the closing backtick: `, frame.Args(...))
            continue
        if not s or s.startswith("//") or s == "%%":
            continue
        n += 1
        if s.count("`") % 2 == 1:
            in_raw = True
    return n


def notebook_lines(path: Path) -> int:
    nb = json.loads(Path(path).read_text())
    return sum(cell_lines("".join(c["source"])) for c in nb["cells"] if c["cell_type"] == "code")


if __name__ == "__main__":
    total = 0
    for p in sys.argv[1:]:
        n = notebook_lines(Path(p))
        total += n
        print(f"{n:5d}  {p}")
    print(f"{total:5d}  total")
