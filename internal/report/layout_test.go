package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func needChromium(t testing.TB) {
	t.Helper()
	if _, err := Chromium(); err != nil {
		if os.Getenv("REPLICALAB_REQUIRE_CHROMIUM") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// wideOutputs are the outputs that overflowed pages before: a 12-column table profile (explore), a describe
// of a 10-column frame (frame), the questions table with its SQL (questions) — as those helpers wrote them,
// in testdata/wide — a 20-column and a 9-column query result, long SQL and unbroken values.
func wideOutputs(t testing.TB) []map[string]any {
	read := func(name string) string {
		return string(must(os.ReadFile(filepath.Join("testdata", "wide", name+".html"))))
	}
	sql := "SELECT o.id, o.status::text AS status, o.currency, o.total, o.placed_at, buyer.name AS buyer_company_name, seller.name AS seller_company_name FROM orders AS o JOIN companies AS buyer ON buyer.id = o.buyer_company_id JOIN suppliers AS s ON s.id = o.supplier_id JOIN companies AS seller ON seller.id = s.company_id WHERE o.deleted_at IS NULL AND NOT buyer.is_test AND NOT seller.is_test AND o.placed_at >= '2025-01-01'"
	l := lineage(sql, t0, 0.2)
	return []map[string]any{
		display(map[string]any{"text/html": read("profile")}),
		display(map[string]any{"text/html": read("describe")}),
		display(map[string]any{"text/html": read("questions")}),
		tableOut(l, 20),
		tableOut(l, 9),
		figureOut("Orders per month", l),
		stream(strings.Repeat("averyveryverylongunbrokenvaluewithoutanyspace", 8) + "\n"),
		display(map[string]any{"text/html": `<div style="width:1500px;white-space:nowrap">` + strings.Repeat("a fixed-width block ", 30) + `</div>`}),
	}
}

func TestReportFitsScreenA4AndLetterInChromium(t *testing.T) {
	needChromium(t)
	repo := repoWithEnv(t)
	outs := wideOutputs(t)
	nbPath := writeNotebook(t, repo,
		md("# Wide things\n\n## Profile\n\nA long URL: https://example.com/"+strings.Repeat("segment/", 40)),
		code("explore.Describe", outs[:1], "keep-explore"),
		md("## Describe"), code("frame.Describe", outs[1:2]),
		md("## Questions"), code("questions.Show", outs[2:3]),
		md("## Results"), code("res.Show", outs[3:]),
		code("explore.Describe", outs[:1]), // into the appendix, where it must fit too
	)
	shots := t.TempDir()
	res, err := Export(context.Background(), ExportOptions{Notebook: nbPath, Repo: repo, Check: true, PDF: true}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("REPLICALAB_REPORT_SHOTS"); dir != "" { // keep the report and pictures of it to look at
		saveShots(t, dir, "wide", res)
	}
	c := res.Checked
	t.Logf("\n%s", c.Summary())
	if len(c.Views) != 3 {
		t.Fatalf("checked %d views", len(c.Views))
	}
	for _, v := range c.Views {
		if v.Elements < 200 {
			t.Errorf("%s: only %d elements measured", v.Name, v.Elements)
		}
		if v.Print && (v.Column > v.Width+1 || v.Column < v.Width-50) {
			t.Errorf("%s: text column %.0f px for a printable width of %.0f px", v.Name, v.Column, v.Width)
		}
	}
	if p := c.Problems(); len(p) > 0 {
		t.Errorf("%d problems:\n%s", len(p), strings.Join(p, "\n"))
	}
	if c.Figures != 3 || c.WithSQL != 3 { // Figure 1, Tables 1 and 2
		t.Errorf("%d figures and tables, %d with SQL", c.Figures, c.WithSQL)
	}
	// The same check catches what does not fit: an image-like element forced wider than the page.
	bad := filepath.Join(shots, "bad.html")
	page := strings.Replace(string(must(os.ReadFile(res.HTMLPath))), "</article>", `<div style="width:2000px !important;max-width:none !important">too wide</div><p>Data read 2026-11-20 10:02 UTC from the read replica, lag 0.4 s</p></article>`, 1)
	if err := os.WriteFile(bad, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err = CheckReport(context.Background(), bad, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range c.Views {
		if len(v.Overflows) == 0 {
			t.Errorf("%s: a 2000-pixel block was not flagged", v.Name)
		}
	}
	if len(c.StrayLines) != 1 {
		t.Errorf("stray provenance line not flagged: %q", c.StrayLines)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// saveShots copies a report (HTML, PDF) into dir and adds a full-page PNG of it at every View.
func saveShots(t testing.TB, dir, name string, res *Result) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{res.HTMLPath, res.PDFPath, res.DocxPath} {
		if p != "" {
			if err := os.WriteFile(filepath.Join(dir, name+filepath.Ext(p)), must(os.ReadFile(p)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, err := CheckReport(context.Background(), res.HTMLPath, func(v View, png []byte) error {
		return os.WriteFile(filepath.Join(dir, name+"-"+strings.ReplaceAll(strings.Fields(v.Name)[0], " ", "")+".png"), png, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
