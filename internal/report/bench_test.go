package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// benchNotebook writes a 100-cell notebook with 30 PNG charts (about 40 kB each), Markdown and tables.
func benchNotebook(b *testing.B) (repo, nb string) {
	repo = repoWithEnv(b)
	var cells []map[string]any
	for i := 0; i < 100; i++ {
		switch {
		case i%10 == 0:
			cells = append(cells, md("## Section\n\nSome *findings* with a table:\n\n| a | b |\n|---|---|\n| 1 | 2 |"))
		case i%10 == 1 || i%10 == 4 || i%10 == 7:
			cells = append(cells, code("chart.Show(p)", []map[string]any{display(map[string]any{"image/png": pngBase64(b, 160, 120)})}))
		case i%10 == 2:
			cells = append(cells, code("frame.Show(df)", []map[string]any{display(map[string]any{"text/html": "<table><tr><th>x</th></tr><tr><td>1</td></tr></table>"})}))
		default:
			cells = append(cells, code("fmt.Println(i)", []map[string]any{stream("a line of output\n")}))
		}
	}
	return repo, writeNotebook(b, repo, cells...)
}

// BenchmarkExport100Cells30Charts times our exporter (parse, render, secret scan, write).
func BenchmarkExport100Cells30Charts(b *testing.B) {
	repo, nb := benchNotebook(b)
	st, _ := os.Stat(nb)
	b.SetBytes(st.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Export(context.Background(), ExportOptions{Notebook: nb, Repo: repo}, &bytes.Buffer{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNbconvert100Cells30Charts times `jupyter nbconvert --to html --no-input` on the same notebook,
// from the project's .venv, for comparison.
func BenchmarkNbconvert100Cells30Charts(b *testing.B) {
	wd, _ := os.Getwd()
	jupyter := filepath.Join(wd, "..", "..", ".venv", "bin", "jupyter")
	if _, err := os.Stat(jupyter); err != nil {
		b.Skip("no .venv/bin/jupyter: run make venv")
	}
	_, nb := benchNotebook(b)
	out := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(jupyter, "nbconvert", "--to", "html", "--no-input", "--output-dir", out, nb)
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("nbconvert: %v\n%s", err, o)
		}
	}
}
