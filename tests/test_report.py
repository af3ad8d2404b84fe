"""scripts/report --execute: the notebook runs on the real kernel against the replica, the report gets its
outputs and the data's freshness, and the .ipynb is left as it was."""
from __future__ import annotations

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
    assert "schema public: 11 tables" in html
    assert "from the read replica, replication lag at most" in html
    settings = demo_replica["env"]
    assert settings["RDS_PASSWORD"] not in html
    assert f"{settings['RDS_USERNAME']}@" not in html, "the report names the login"
    assert "<script" not in html
    assert nb.read_bytes() == before, "--execute changed the notebook file"
