"""Notebook templates run top to bottom on the real kernel against a real demo read replica."""
from __future__ import annotations

import re

import nbformat

from conftest import REPO, outputs_text, psql, run_notebook

NOTEBOOKS = REPO / "notebooks"


def execute(name: str):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    run_notebook(nb, cwd=NOTEBOOKS)
    return nb


def all_text(nb) -> str:
    return "\n".join(outputs_text(c) for c in nb.cells if c.cell_type == "code")


def test_templates_are_committed_clean():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs, f"{path.name} has outputs"
                assert cell.execution_count is None, f"{path.name} has execution counts"


def test_setup_notebook_imports_helpers_and_queries_the_replica(demo_replica):
    """Fails if the kernel, the go.work wiring (helpers import) or the replica is broken."""
    settings = demo_replica["env"]
    nb = execute("1.0-setup-read-replica.ipynb")
    text = all_text(nb)
    for cell in nb.cells:
        assert not any(o.get("output_type") == "error" for o in cell.get("outputs", [])), outputs_text(cell)

    banner = outputs_text(nb.cells[1])
    assert f"{settings['RDS_USERNAME']}@127.0.0.1:{settings['RDS_PORT']}/{settings['RDS_DB_NAME']}" in banner, banner
    assert "read replica" in banner and "read-only" in banner, banner
    assert "connected to a replica: true" in text
    assert "a write is refused: true" in text
    assert "read-only transaction" in text, "the refused write should show the server's reason"
    assert re.search(r"replica lag \d+\.\d s", text), text

    expected = psql(settings, """
        SELECT table_schema || ':' || count(*) FROM information_schema.tables
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'
        GROUP BY table_schema ORDER BY 1""").splitlines()
    shown = [f"{s}:{n}" for s, n in re.findall(r"schema (\S+): (\d+) tables", text)]
    assert shown == expected, f"notebook shows {shown}, the replica has {expected}"
    assert settings["RDS_PASSWORD"] not in text
