"""The ten-step analysis of issue 13 as a new user writes it now (tests/notebooks/ten_steps.ipynb), on the real
kernel against the demo replica: what it shows, how many lines of Go it takes, and what running it again costs
the replica, counted on the replica."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import REPO, ReplicaSessions, outputs_text, psql, run_notebook

sys.path.insert(0, str(Path(__file__).parent))
from golines import notebook_lines  # noqa: E402

NOTEBOOK = REPO / "tests" / "notebooks" / "ten_steps.ipynb"
FIGURES = [REPO / "reports" / "figures" / f"ten-steps-{n}.{ext}" for n in ("totals", "revenue") for ext in ("png", "svg")]
CONNECTING = 3  # cells that talk to the replica by design: connect, list the tables, describe two tables


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    monkeypatch.setenv("REPLICALAB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("REPLICALAB_QUESTIONS", str(tmp_path / "questions.md"))
    yield tmp_path
    for f in FIGURES:
        f.unlink(missing_ok=True)


def execute(drop_first: int = 0):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    if drop_first:  # keep the imports cell, leave out the cells that connect
        code = [c for c in nb.cells if c.cell_type == "code"]
        keep = {id(code[0])} | {id(c) for c in code[1 + drop_first:]}
        nb.cells = [c for c in nb.cells if c.cell_type == "markdown" or id(c) in keep]
    run_notebook(nb, cwd=NOTEBOOK.parent)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        assert not any(o.get("output_type") == "error" for o in cell.outputs), outputs_text(cell)[:3000]
    return code


def test_the_ten_steps_in_few_lines_and_again_from_the_cache(demo_replica, sandbox):
    settings = demo_replica["env"]
    assert notebook_lines(NOTEBOOK) <= 45, "the ten steps should take at most 45 lines of Go"

    code = execute()
    banner, tables, detail, orders, monthly, totals, revenue, question = [outputs_text(c) for c in code[1:]]
    assert "read replica, lag" in banner and "read-only" in banner, banner
    n_tables = psql(settings, "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
    assert f"{n_tables} tables" in tables, tables[:1000]
    assert "public.orders" in detail and "public.companies" in detail, detail[:1000]
    n_orders = int(psql(settings, "SELECT count(*) FROM orders o JOIN companies c ON c.id = o.buyer_company_id "
                                  "WHERE o.deleted_at IS NULL"))
    assert f"{n_orders:,} rows × 6 columns" in orders and "summary of" in orders, orders[:2000]
    months = int(psql(settings, "SELECT count(DISTINCT date_trunc('month', placed_at)) FROM orders "
                                "WHERE currency = 'EUR' AND deleted_at IS NULL"))
    assert f"{months} rows × 3 columns" in monthly, monthly[:2000]
    for text, title in ((totals, "Order totals, EUR"), (revenue, "Monthly revenue, EUR")):
        assert title in text, text[:1000]
    for f in FIGURES:
        assert f.exists(), f"{f} was not saved"
    assert "Q1 recorded for finance" in question, question
    assert settings["RDS_PASSWORD"] not in "\n".join(outputs_text(c) for c in code)

    # Step 10: the whole notebook again. Only the cells that read the catalog connect; every data cell reads
    # the cache. Then the data cells alone: no connection at all.
    counter = ReplicaSessions(settings)
    try:
        before = counter.count()
        again = execute()
        after_all = counter.count()
        data_only = execute(drop_first=CONNECTING)
        after_data = counter.count()
    finally:
        counter.close()
    # The cells that read the catalog connect, through the kernel's session: one pool (at most two backends)
    # for the whole notebook, however many of them connect.
    assert 1 <= after_all - before <= min(CONNECTING, 2), \
        f"a re-run opened {after_all - before} sessions on the replica, want the kernel's one pool (1 or 2)"
    assert after_data == after_all, f"the data cells re-run from the cache opened {after_data - after_all} sessions, want 0"
    for cell in again[4:8] + data_only[1:5]:
        text = outputs_text(cell)
        assert " from cache, fetched " in text and " from " + settings["RDS_USERNAME"] + "@" in text, text[:1000]
    assert re.search(r"^Q1 already in the log", outputs_text(again[8]), re.M), outputs_text(again[8])
    assert (sandbox / "questions.md").read_text().count("## Q") == 1
