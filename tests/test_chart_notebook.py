"""helpers/chart in the real kernel: charts arrive as image/svg+xml or image/png, and Save writes the report's
figures."""
from __future__ import annotations

import base64
import json
import re

from conftest import outputs_text, psql, run_cells

IMPORTS = '''import (
	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"github.com/replicalab/replicalab/helpers/chart"
)

func orders() dataframe.DataFrame {
	total := series.New([]float64{12.5, 80, 33, 47.25, 51, 20, 95.5, 64, 18, 70}, series.Float, "total")
	total.Elem(3).Set(nil)
	return dataframe.New(total)
}
'''


def displays(cell) -> list[dict]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "display_data"]


def no_errors(nb):
    for cell in nb.cells:
        assert not any(o.get("output_type") == "error" for o in cell.outputs), outputs_text(cell)


def test_show_sends_svg_then_png_and_save_writes_both(tmp_path):
    nb = run_cells([
        IMPORTS,
        '%%\nchart.Histogram(orders(), "total").Show()',
        '%%\nchart.Histogram(orders(), "total", chart.PNG()).Show()',
        f'%%\nos.Setenv("REPLICALAB_REPO", "{tmp_path}")\nc := chart.Histogram(orders(), "total").Save("order-totals")\n'
        'fmt.Println(c.Files, c.Err)',
    ])
    no_errors(nb)

    svg = displays(nb.cells[1])
    assert len(svg) == 1, nb.cells[1].outputs
    data = svg[0]["data"]
    assert data["image/svg+xml"].lstrip().startswith("<?xml"), data["image/svg+xml"][:80]
    assert "Distribution of total" in data["image/svg+xml"]
    assert "n = 9; 1 NULL dropped" in data["image/svg+xml"]
    assert data["text/plain"] == "Distribution of total (n = 9; 1 NULL dropped)"

    png = displays(nb.cells[2])
    assert len(png) == 1, nb.cells[2].outputs
    raw = base64.b64decode(png[0]["data"]["image/png"])
    assert raw.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")
    # Drawn at twice the size it is shown at: crisp on HiDPI screens.
    assert png[0]["metadata"]["image/png"] == {"width": 720, "height": 432}
    assert (width, height) == (1440, 864)

    # Show sends where the chart's numbers came from (a DataFrame made in Go: no query) for reports.
    record = json.loads(svg[0]["metadata"]["replicalab"])
    assert record["kind"] == "figure" and record["title"] == "Distribution of total" and record["sources"] == [], record

    figures = tmp_path / "reports" / "figures"
    assert sorted(p.name for p in figures.iterdir()) == ["order-totals.json", "order-totals.png", "order-totals.svg"]
    assert str(figures / "order-totals.png") in outputs_text(nb.cells[3]) and "<nil>" in outputs_text(nb.cells[3])
    assert (figures / "order-totals.png").read_bytes().startswith(b"\x89PNG")
    assert "Distribution of total" in (figures / "order-totals.svg").read_text()


def test_every_chart_arrives_before_its_cell_ends():
    """Show waits for GoNB (gonbui.Sync): a display sent as the program exits is not lost."""
    cells = [IMPORTS] + [
        f'%%\nchart.HistogramOf("x{i}", []float64{{1, 2, 2, 3, {i}}}).Show()' for i in range(12)
    ]
    nb = run_cells(cells)
    no_errors(nb)
    for i, cell in enumerate(nb.cells[1:]):
        shown = displays(cell)
        assert len(shown) == 1 and f"Distribution of x{i}" in shown[0]["data"]["image/svg+xml"], (i, cell.outputs)


def test_time_counts_on_the_demo_replica(demo_replica):
    settings = demo_replica["env"]
    nb = run_cells([
        'import (\n\t"context"\n\t"time"\n\t"github.com/replicalab/replicalab/helpers/chart"\n'
        '\t"github.com/replicalab/replicalab/helpers/replica"\n)',
        '%%\nctx := context.Background()\ndb, err := replica.Open(ctx)\nif err != nil { fmt.Println(err); return }\n'
        'defer db.Close()\nberlin, _ := time.LoadLocation("Europe/Berlin")\n'
        'c := chart.TimeCountsQuery(ctx, db, "SELECT occurred_at FROM events", chart.In(berlin), chart.Every(chart.Month))\n'
        'if c.Err != nil { fmt.Println(c.Err); return }\nc.Show()',
        # The notebook form: no context, the notebook's connection, the same chart.
        '%%\nberlin, _ := time.LoadLocation("Europe/Berlin")\n'
        'chart.TimeCountsSQL("SELECT occurred_at FROM events", chart.In(berlin), chart.Every(chart.Month)).Show()',
    ])
    no_errors(nb)
    shown = [d for d in displays(nb.cells[1]) if "image/svg+xml" in d["data"]]
    assert len(shown) == 1, outputs_text(nb.cells[1])
    alt = shown[0]["data"]["text/plain"]
    notebook_form = [d["data"]["text/plain"] for d in displays(nb.cells[2]) if "image/svg+xml" in d["data"]]
    assert notebook_form == [alt], outputs_text(nb.cells[2])
    assert alt.startswith("Rows per month (n = ") and "counted on the server" in alt, alt
    n = int(re.search(r"n = ([\d,]+)", alt).group(1).replace(",", ""))
    assert n == int(psql(settings, "SELECT count(*) FROM events")), alt
    assert settings["RDS_PASSWORD"] not in outputs_text(nb.cells[1])
