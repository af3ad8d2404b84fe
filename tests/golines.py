"""Counts the lines of Go a person writes in a notebook's code cells.

A line counts when it holds Go code: blank lines, `//` comments and the `%%` separator do not, nor do the lines
inside a multi-line raw string (SQL text: the line that opens the string counts, it holds Go). Used by the
tests that hold the templates and the ten-step analysis to their line budgets; run it to see the numbers:

    python3 tests/golines.py notebooks/*.ipynb
    python3 tests/golines.py --before 897cff3 notebooks/*.ipynb   # and each one at a commit, side by side

`make lines` prints the templates now against the commit before the notebook style (897cff3).
"""
from __future__ import annotations

import argparse
import json
import subprocess
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
    return source_lines(Path(path).read_text())


def source_lines(text: str) -> int:
    nb = json.loads(text)
    return sum(cell_lines("".join(c["source"])) for c in nb["cells"] if c["cell_type"] == "code")


def at_commit(rev: str, path: str) -> int | None:
    """The lines of Go of path as it was at rev, None when it did not exist there."""
    top = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True).stdout.strip()
    rel = Path(path).resolve().relative_to(Path(top).resolve())
    shown = subprocess.run(["git", "show", f"{rev}:{rel.as_posix()}"], capture_output=True, text=True)
    return source_lines(shown.stdout) if shown.returncode == 0 else None


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description="Lines of Go in notebooks' code cells.")
    ap.add_argument("--before", metavar="REV", help="also count each notebook at this commit")
    ap.add_argument("notebooks", nargs="+")
    args = ap.parse_args(argv)
    if not args.before:
        total = 0
        for p in args.notebooks:
            n = notebook_lines(Path(p))
            total += n
            print(f"{n:5d}  {p}")
        print(f"{total:5d}  total")
        return
    if subprocess.run(["git", "cat-file", "-e", f"{args.before}^{{commit}}"], capture_output=True).returncode != 0:
        sys.exit(f"golines: expected commit {args.before} in this clone, found none (a shallow clone? git fetch --unshallow)")
    print(f"| notebook | at {args.before} | now | change |")
    print("|---|---:|---:|---:|")
    then_total = now_total = 0
    for p in args.notebooks:
        now, then = notebook_lines(Path(p)), at_commit(args.before, p)
        if then is None:
            print(f"| {Path(p).name} | (new) | {now} | |")
            continue
        then_total += then
        now_total += now
        change = f"{100 * (now - then) / then:+.0f}%" if then else ""
        print(f"| {Path(p).name} | {then} | {now} | {change} |")
    change = f"{100 * (now_total - then_total) / then_total:+.0f}%" if then_total else ""
    print(f"| notebooks in both | {then_total} | {now_total} | {change} |")


if __name__ == "__main__":
    main(sys.argv[1:])
