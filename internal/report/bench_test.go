package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// benchNotebook writes a 100-cell notebook with 30 charts, Markdown and tables; every chart and table
// carries its lineage, as the helpers write it. The charts are PNGs (about 40 kB each) or, with svg,
// histograms as helpers/chart draws them in SVG (chart.Show's default).
func benchNotebook(b *testing.B, svg bool) (repo, nb string) {
	repo = repoWithEnv(b)
	var chartSVG string
	if svg { // a histogram of 5,000 values as helpers/chart draws it
		chartSVG = string(must(os.ReadFile(filepath.Join("testdata", "histogram.svg"))))
	}
	var cells []map[string]any
	for i := 0; i < 100; i++ {
		// Every chart and table has a query of its own.
		l := lineage(fmt.Sprintf("SELECT date_trunc('month', placed_at) AS month, count(*) AS orders\nFROM orders WHERE status = $1 AND total > %d\nGROUP BY 1 ORDER BY 1", i), t0, 0.3, "paid")
		switch {
		case i%10 == 0:
			cells = append(cells, md("## Section\n\nSome *findings* with a table:\n\n| a | b |\n|---|---|\n| 1 | 2 |"))
		case i%10 == 1 || i%10 == 4 || i%10 == 7:
			out := figureOut("Orders per month", l)
			if !svg {
				out["data"] = map[string]any{"image/png": pngBase64(b, 160, 120), "text/plain": "Orders per month"}
			} else { // a chart of its own: the same drawing with its title changed
				out["data"].(map[string]any)["image/svg+xml"] = strings.Replace(chartSVG, "Distribution of total", fmt.Sprintf("Distribution of total %d", i), 1)
			}
			cells = append(cells, code("chart.Show(p)", []map[string]any{out}))
		case i%10 == 2:
			cells = append(cells, code("res.Show()", []map[string]any{tableOut(l, 3)}))
		default:
			cells = append(cells, code("fmt.Println(i)", []map[string]any{stream("a line of output\n")}))
		}
	}
	return repo, writeNotebook(b, repo, cells...)
}

func benchExport(b *testing.B, svg bool, o ExportOptions) {
	repo, nb := benchNotebook(b, svg)
	o.Notebook, o.Repo = nb, repo
	st, _ := os.Stat(nb)
	b.SetBytes(st.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Export(context.Background(), o, &bytes.Buffer{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExport100Cells30Charts times the HTML report (parse, render, secret scan, write).
func BenchmarkExport100Cells30Charts(b *testing.B) { benchExport(b, false, ExportOptions{}) }

// BenchmarkRender100Cells30Charts times the rendering alone (parse, sort into the report, captions, appendix),
// without the secret scan and the write.
func BenchmarkRender100Cells30Charts(b *testing.B) {
	_, nb := benchNotebook(b, false)
	data := must(os.ReadFile(nb))
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		parsed, err := ParseNotebook(nb, data)
		if err != nil {
			b.Fatal(err)
		}
		build(parsed).render(Options{})
	}
}

// BenchmarkExportPDF100Cells30Charts adds the PDF, printed by headless Chromium (started for each export).
func BenchmarkExportPDF100Cells30Charts(b *testing.B) {
	needChromium(b)
	benchExport(b, false, ExportOptions{PDF: true})
}

// BenchmarkExportDocx100Cells30Charts adds the .docx (pandoc) for PNG charts.
func BenchmarkExportDocx100Cells30Charts(b *testing.B) {
	needPandoc(b)
	benchExport(b, false, ExportOptions{Docx: true})
}

// BenchmarkExportDocx100Cells30SVGCharts adds the .docx for SVG charts, each drawn as PNG by rsvg-convert.
func BenchmarkExportDocx100Cells30SVGCharts(b *testing.B) {
	needPandoc(b)
	benchExport(b, true, ExportOptions{Docx: true})
}

// BenchmarkCheck100Cells30Charts times the layout check (Chromium at three widths).
func BenchmarkCheck100Cells30Charts(b *testing.B) {
	needChromium(b)
	benchExport(b, false, ExportOptions{Check: true})
}

// BenchmarkNbconvert100Cells30Charts times `jupyter nbconvert --to html --no-input` on the same notebook,
// from the project's .venv, for comparison.
func BenchmarkNbconvert100Cells30Charts(b *testing.B) {
	wd, _ := os.Getwd()
	jupyter := filepath.Join(wd, "..", "..", ".venv", "bin", "jupyter")
	if _, err := os.Stat(jupyter); err != nil {
		b.Skip("no .venv/bin/jupyter: run make venv")
	}
	_, nb := benchNotebook(b, false)
	out := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(jupyter, "nbconvert", "--to", "html", "--no-input", "--output-dir", out, nb)
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("nbconvert: %v\n%s", err, o)
		}
	}
}
