"""The installed "Go (replica)" kernel: listed by the venv's Jupyter, wired to this module, pinned versions."""
from __future__ import annotations

import json
import re
import subprocess

from conftest import REPO, KERNEL, outputs_text, run_cells

JUPYTER = REPO / ".venv" / "bin" / "jupyter"


def test_venv_jupyter_lists_the_kernel():
    out = subprocess.run([str(JUPYTER), "kernelspec", "list", "--json"], capture_output=True, text=True, check=True)
    specs = json.loads(out.stdout)["kernelspecs"]
    assert KERNEL in specs, f"{KERNEL} not among {sorted(specs)}"
    spec = specs[KERNEL]["spec"]
    assert spec["display_name"] == "Go (replica)"
    assert f"--go_work={REPO}" in spec["argv"]
    assert spec["language"] == "go"


def go_mod_version(module: str) -> str:
    out = subprocess.run(["go", "list", "-m", "-f", "{{.Version}}", module], cwd=REPO,
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_cells_build_against_go_mod_versions_without_autoget_cell():
    """No %noautoget needed: an import of gota (which the proxy only serves at an exact version) and pgx
    builds at go.mod's versions through the workspace."""
    nb = run_cells([
        'import (\n\t"runtime/debug"\n\t"github.com/go-gota/gota/series"\n\t"github.com/jackc/pgx/v5"\n)\n'
        '%%\n'
        '_ = pgx.TextFormatCode\n'
        'fmt.Println(series.New([]int{1, 2, 3}, series.Int, "x").Sum())\n'
        'bi, _ := debug.ReadBuildInfo()\n'
        'for _, d := range bi.Deps { fmt.Println("dep", d.Path, d.Version) }\n'
    ])
    text = outputs_text(nb.cells[0])
    assert "6" in text.splitlines()[0], text
    deps = dict(re.findall(r"^dep (\S+) (\S+)$", text, re.M))
    for mod in ("github.com/go-gota/gota", "github.com/jackc/pgx/v5"):
        assert deps.get(mod) == go_mod_version(mod), f"{mod}: cell built {deps.get(mod)}, go.mod pins {go_mod_version(mod)}"


def test_a_compile_error_is_reported_not_swallowed():
    nb = run_cells(["%%\nfmt.Println(undefinedThing)"], allow_errors=True)
    cell = nb.cells[0]
    assert any(o.get("output_type") == "error" for o in cell.outputs), cell.outputs
    assert "undefinedThing" in outputs_text(cell)
