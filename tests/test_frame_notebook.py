"""helpers/frame in a notebook: load a query into a DataFrame, show it, and re-run from the cache.

The notebook tests/notebooks/frame_load.ipynb runs on the real kernel against the session's demo replica, with
its cache in a temporary folder (REPLICALAB_CACHE_DIR, inherited by the kernel). pg_stat_statements on the
replica counts how often the notebook's query really ran there.
"""
from __future__ import annotations

import os
import re
import stat
from html.parser import HTMLParser

import nbformat
import pytest

from conftest import REPO, outputs_text, psql, run_cells, run_notebook

NOTEBOOK = REPO / "tests" / "notebooks" / "frame_load.ipynb"


class Tags(HTMLParser):
    """Collects the start tags of an HTML fragment."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def html_of(cell) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in cell.get("outputs", [])
                   if o.get("output_type") in ("display_data", "update_display_data"))


def query_runs(settings) -> int:
    """Completed runs of the notebook's query on the replica (the marker is split so this query is not one); the
    cost preview's EXPLAIN of it is not a run."""
    return int(psql(settings, "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
                              "WHERE strpos(query, 'frame-' || 'notebook') > 0 AND query !~* '^\\s*EXPLAIN'"))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("REPLICALAB_CACHE_DIR", str(d))
    return d


def execute():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    run_notebook(nb, cwd=NOTEBOOK.parent)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        assert not any(o.get("output_type") == "error" for o in cell.get("outputs", [])), outputs_text(cell)
    return code


def test_notebook_loads_shows_and_reruns_from_cache(demo_replica, cache_dir):
    settings = demo_replica["env"]
    target = f"{settings['RDS_USERNAME']}@127.0.0.1:{settings['RDS_PORT']}/{settings['RDS_DB_NAME']}"
    before = query_runs(settings)

    _, fetch, again = execute()

    # The first load fetched from the replica and said so; the table is there, escaped.
    text = outputs_text(fetch)
    assert "source: database, rows: 500" in text, text
    assert f"500 rows × 8 columns from {target} in " in text and "cached for 1h" in text, text
    assert re.search(r"at replica lag \d+\.\d s", text), text
    table = html_of(fetch)
    assert "500 rows × 8 columns" in table and "… 480 more rows …" in table, table[:2000]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in table
    parser = Tags()
    parser.feed(table)
    assert "script" not in parser.tags and parser.tags.count("tr") == 2 + 20 + 1, parser.tags.count("tr")
    for type_label in (">int8<", ">text<", ">order_status<", ">numeric<", ">timestamptz, UTC<", ">date<"):
        assert type_label in table, type_label
    assert "NULL" in table, "orders.shipping has NULLs: they show as NULL"

    # The second cell read the cache: it says when the data was fetched, at what lag.
    text = outputs_text(again)
    assert "source: cache, rows: 500" in text, text
    assert re.search(r"500 rows × 8 columns from cache, fetched \d+ s ago \(.+ UTC\) from " + re.escape(target)
                     + r" at replica lag \d+\.\d s", text), text
    assert "summary of 500 rows × 8 columns" in html_of(again)
    assert re.search(r"first order placed at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", text), text
    assert query_runs(settings) == before + 1, "one fetch for two loads"

    # The cache is private.
    files = list(cache_dir.rglob("*.frame"))
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(files[0].parent.stat().st_mode) == 0o700

    # Re-running the whole notebook reads the cache in every cell: the replica runs the query no more.
    _, rerun, _ = execute()
    assert "source: cache, rows: 500" in outputs_text(rerun)
    assert html_of(rerun).count("&lt;script&gt;") == 20, "the same table, from the cache"
    assert query_runs(settings) == before + 1, "a re-run from the cache must not query the replica"
    assert settings["RDS_PASSWORD"] not in outputs_text(rerun) + outputs_text(fetch)


def test_an_error_in_a_one_line_cell_stops_it_with_the_same_message(demo_replica, cache_dir):
    """frame.SQL in a cell shows the error a program gets from frame.Load, on stderr, and stops the cell."""
    nb = run_cells([
        'import ("context"; "github.com/replicalab/replicalab/helpers/frame"; "github.com/replicalab/replicalab/helpers/replica")\n'
        '%%\nctx := context.Background()\ndb, err := replica.Open(ctx, replica.Quiet())\nif err != nil { fmt.Println(err); return }\n'
        'defer db.Close()\n_, err = frame.Load(ctx, db, "SELECT no_such_column FROM orders")\nfmt.Println(err)',
        '%%\nframe.SQL("SELECT no_such_column FROM orders").Show()\nfmt.Println("still running?!")',
    ], allow_errors=True)
    program, cell = outputs_text(nb.cells[0]).strip(), outputs_text(nb.cells[1])
    assert program.startswith("frame: ") and "no_such_column" in program, program
    stderr = "".join(o["text"] for o in nb.cells[1].outputs if o.get("output_type") == "stream" and o.get("name") == "stderr")
    assert program in stderr, f"program: {program!r}\ncell: {cell!r}"
    assert "still running?!" not in cell
    assert any(o.get("output_type") == "error" for o in nb.cells[1].outputs), nb.cells[1].outputs
