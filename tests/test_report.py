"""scripts/report --execute: the notebook runs on the real kernel against the replica, the report gets its
outputs and the data's freshness, and the .ipynb is left as it was."""
from __future__ import annotations

import os
import re
import subprocess

from conftest import REPO


def test_report_execute_runs_the_notebook_and_keeps_it_unchanged(demo_replica, tmp_path):
    nb = REPO / "notebooks" / "1.0-setup-read-replica.ipynb"
    before = nb.read_bytes()
    out = tmp_path / "report.html"
    env_file = demo_replica["dir"].parent / "demo.env"
    proc = subprocess.run(["go", "run", "./scripts/report", "--execute", "--out", str(out), "--env-file", str(env_file), str(nb)],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    html = out.read_text()
    assert "<title>1 · Work on the read replica</title>" in html
    assert re.search(r"<td[^>]*>public</td>\s*<td[^>]*>11</td>", html), "the tables-per-schema table"
    assert "from the read replica, replication lag at most" in html
    settings = demo_replica["env"]
    assert settings["RDS_PASSWORD"] not in html
    assert f"{settings['RDS_USERNAME']}@" not in html, "the report names the login"
    assert "<script" not in html
    assert nb.read_bytes() == before, "--execute changed the notebook file"


PARAMS_NB = {
    "nbformat": 4, "nbformat_minor": 5,
    "metadata": {"kernelspec": {"name": "replicalab", "display_name": "Go (replica)", "language": "go"}},
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# Orders by region\n\n## Values"},
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "execution_count": None, "outputs": [],
         "source": 'import "time"\n\nvar (\n\tregion   = "EU"\n\tminTotal = 100.0\n\tsince    = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)\n)\n'},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": '%%\nfmt.Printf("region=%s (%T) minTotal=%v (%T) since=%s (%T)\\n", region, region, minTotal, minTotal, since.Format("2006-01-02"), since)'},
    ],
}


def report(*args, cwd=REPO):
    return subprocess.run(["go", "run", "./scripts/report", *args], cwd=cwd, capture_output=True, text=True, timeout=900)


def test_report_params_run_the_notebook_with_typed_values(tmp_path):
    import json
    nb = tmp_path / "by-region.ipynb"
    nb.write_text(json.dumps(PARAMS_NB))
    out = tmp_path / "by-region.html"
    proc = report("--params", "region=US minTotal=250 since=2025-03-01", "--out", str(out), str(nb))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    html = out.read_text()
    # The injected cell came after the parameters cell: later cells see the values, in their types.
    assert "region=US (string) minTotal=250 (float64) since=2025-03-01 (time.Time)" in html
    assert '<dt>Parameters</dt><dd class="parameters">region = US, minTotal = 250, since = 2025-03-01</dd>' in html
    assert "injected" not in nb.read_text(), "the notebook file was changed"


def test_report_params_file_renders_one_report_per_variant(tmp_path):
    import json
    nb = tmp_path / "by-region.ipynb"
    nb.write_text(json.dumps(PARAMS_NB))
    variants = tmp_path / "variants.yaml"
    variants.write_text("europe:\n  region: EU\n  since: 2025-01-01\nunited-states:\n  region: US\n  minTotal: 75.5\n")
    out = tmp_path / "r.html"
    proc = report("--params-file", str(variants), "--out", str(out), str(nb))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    eu, us = tmp_path / "r-europe.html", tmp_path / "r-united-states.html"
    assert "region=EU (string) minTotal=100 (float64) since=2025-01-01" in eu.read_text()
    assert "region=US (string) minTotal=75.5 (float64) since=2025-01-01" in us.read_text()
    assert not out.exists()


def test_report_bad_param_names_it_and_its_type_and_writes_nothing(tmp_path):
    import json
    nb = tmp_path / "by-region.ipynb"
    nb.write_text(json.dumps(PARAMS_NB))
    out = tmp_path / "by-region.html"
    proc = report("--params", "region=US since=last-monday", "--out", str(out), str(nb))
    assert proc.returncode == 1
    assert 'parameter since: expected a date YYYY-MM-DD or a time in RFC 3339' in proc.stderr
    assert 'found "last-monday"' in proc.stderr and "nothing was written" in proc.stderr
    assert "executing" not in proc.stdout, "the notebook ran before the values were checked"
    assert not out.exists()


WIDE_LOG = """# Questions log

## Q1: Are orders of test accounts (is_test on either company) excluded everywhere, including refunds and payments?

- **For:** platform team
- **Asked:** 2026-11-20
- **Status:** open
- **Prompted by:**

  ```sql
  SELECT o.id, o.status::text AS status, o.currency, o.total, o.placed_at, buyer.name AS buyer_company_name, seller.name AS seller_company_name
  FROM orders AS o JOIN companies AS buyer ON buyer.id = o.buyer_company_id JOIN suppliers AS s ON s.id = o.supplier_id
  WHERE o.deleted_at IS NULL AND NOT buyer.is_test
  ```

## Q2: Are refunds counted in revenue?

- **For:** finance
- **Asked:** 2026-11-20
- **Status:** open

## Q3: are refunds counted in revenue

- **For:** finance
- **Asked:** 2026-11-22
- **Status:** open
"""


def test_report_of_wide_tables_fits_the_page_and_traces_every_figure(demo_replica, tmp_path):
    """tests/notebooks/report_wide.ipynb — a 13-column table's profile, a 10-column describe, a 9-column result,
    the questions table, two charts — run with a parameter and exported to HTML, PDF and .docx, then measured in
    Chromium at 1200 px, A4 and Letter."""
    nb = REPO / "tests" / "notebooks" / "report_wide.ipynb"
    log = tmp_path / "questions.md"
    log.write_text(WIDE_LOG)
    out = tmp_path / "wide.html"
    env = dict(os.environ, REPLICALAB_CACHE_DIR=str(tmp_path / "cache"), REPLICALAB_QUESTIONS=str(log))
    figures = [REPO / "reports" / "figures" / f"wide-orders-per-{n}.{ext}" for n in ("month", "status") for ext in ("png", "svg", "json")]
    try:
        proc = subprocess.run(["go", "run", "./scripts/report", "--params", "currency=USD", "--check", "--pdf", "--docx",
                               "--questions", str(log), "--out", str(out), str(nb)],
                              cwd=REPO, capture_output=True, text=True, timeout=900, env=env)
    finally:
        for f in figures:
            f.unlink(missing_ok=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for view in ("screen 1200 px", "A4", "Letter"):
        line = next(l for l in proc.stdout.splitlines() if l.startswith(view))
        assert line.endswith(" 0 overflowing"), line
    assert "1 statement in the header, 0 section notes, 0 stray lines; 4 of 4 figures and tables with their SQL" in proc.stdout, proc.stdout
    html = out.read_text()
    assert '<dt>Parameters</dt><dd class="parameters">currency = USD</dd>' in html
    assert 'class="wide' in html, "the wide tables are not laid out as such"
    body, appendix = html.split('<section class="appendix">', 1)
    assert "public.parts" in body, "the profile tagged keep-explore left the body"
    assert "11 tables" in appendix and "11 tables" not in body, "the overview should be in the appendix"
    assert "ExactCount" not in html and "Click a header" not in html
    assert "2 questions, 2 open; 1 repeated entry left out (Q3 repeats Q2)." in appendix
    assert out.with_suffix(".pdf").read_bytes().startswith(b"%PDF-")
    assert out.with_suffix(".docx").stat().st_size > 10_000
    settings = demo_replica["env"]
    assert settings["RDS_PASSWORD"] not in html and f"{settings['RDS_USERNAME']}@" not in html
