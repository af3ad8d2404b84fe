package report

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/replicalab/replicalab/internal/provenance"
)

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func lineage(sql string, at time.Time, lag float64, args ...any) provenance.Lineage {
	l := provenance.NewLineage(sql, args, 12, provenance.Read{At: at, Lag: time.Duration(lag * float64(time.Second)), LagKnown: true})
	return l
}

// figureOut is a chart as chart.Show sends it: an SVG, its alt text, and its record in the metadata.
func figureOut(title string, ls ...provenance.Lineage) map[string]any {
	rec := provenance.Record{Kind: provenance.Figure, Title: title, Note: "n = 12", Sources: ls}
	return map[string]any{"output_type": "display_data",
		"data": map[string]any{"image/svg+xml": `<svg xmlns="http://www.w3.org/2000/svg" width="700" height="400"><text x="10" y="20">` + title + `</text></svg>`,
			"text/plain": title + " (n = 12)"},
		"metadata": map[string]any{provenance.MetadataKey: rec}}
}

// tableOut is a query-result table carrying its lineage, after a load line.
func tableOut(l provenance.Lineage, cols int) map[string]any {
	var b strings.Builder
	b.WriteString(`<div ` + provenance.Attrs(provenance.Load, provenance.Read{Source: "analyst_ro@" + envHost + ":5432/app", At: l.FetchedAt, Lag: l.Read().Lag, LagKnown: true}) +
		`>12 rows from analyst_ro@` + envHost + `</div>`)
	b.WriteString(`<div ` + provenance.TableAttrs(provenance.Record{Sources: []provenance.Lineage{l}}) + `><table><thead><tr>`)
	for c := 0; c < cols; c++ {
		fmt.Fprintf(&b, "<th>column_%d</th>", c)
	}
	b.WriteString("</tr></thead><tbody><tr>")
	for c := 0; c < cols; c++ {
		fmt.Fprintf(&b, "<td>value %d</td>", c)
	}
	b.WriteString("</tr></tbody></table></div>")
	return display(map[string]any{"text/html": b.String()})
}

func renderCells(t *testing.T, questions string, cells ...map[string]any) (*Rendered, string) {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{}, "cells": cells})
	if err != nil {
		t.Fatal(err)
	}
	nb, err := ParseNotebook("t.ipynb", raw)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Render(nb, Options{Source: "t.ipynb", Date: t0.Add(48 * time.Hour), Questions: []byte(questions)})
	if err != nil {
		t.Fatal(err)
	}
	return r, string(r.HTML)
}

func TestOneFreshnessStatementAndNotesOnlyForSectionsReadElsewhere(t *testing.T) {
	orders := lineage("SELECT status, count(*) FROM orders GROUP BY 1", t0, 0.4)
	again := lineage("SELECT date_trunc('month', placed_at), count(*) FROM orders GROUP BY 1", t0.Add(3*time.Minute), 0.2)
	old := lineage("SELECT * FROM payments", t0.Add(-26*time.Hour), 0.1) // from a cache filled the day before
	laggy := lineage("SELECT * FROM quotes", t0.Add(5*time.Minute), 95)
	r, h := renderCells(t, "",
		md("# Orders"),
		code("db := replica.Open()", []map[string]any{display(map[string]any{"text/html": bannerHTML})}),
		md("## Status"), code("", []map[string]any{tableOut(orders, 3)}),
		md("## Months"), code("", []map[string]any{figureOut("Orders per month", again)}),
		md("## Payments"), code("", []map[string]any{figureOut("Payments", old)}),
		md("## Quotes"), code("", []map[string]any{figureOut("Quotes", laggy)}),
	)
	if got := r.Provenance.String(); got != "read 2026-11-20 10:00–10:03 UTC from the read replica, replication lag at most 0.4 s; sections read at another time say so" {
		t.Errorf("header: %s", got)
	}
	if n := strings.Count(h, `class="freshness"`); n != 1 {
		t.Errorf("%d freshness statements in the header, want 1", n)
	}
	notes := regexp.MustCompile(`<p class="freshness-note">([^<]*)</p>`).FindAllStringSubmatch(h, -1)
	if len(notes) != 2 || !strings.Contains(notes[0][1], "read 2026-11-19 08:00 UTC") || !strings.Contains(notes[1][1], "lag at most 95.0 s") {
		t.Fatalf("want notes for Payments (the day before) and Quotes (lag), got %q", notes)
	}
	// Each note sits in its section: after its heading, before the next.
	if p, n, q := strings.Index(h, `id="payments"`), strings.Index(h, notes[0][0]), strings.Index(h, `id="quotes"`); !(p < n && n < q) {
		t.Errorf("the Payments note is not in its section")
	}
	for _, bad := range []string{"Data read", "PostgreSQL 15.18", "12 rows from", envHost, "analyst_ro"} {
		if strings.Contains(h, bad) {
			t.Errorf("the body keeps a banner or load line: %q", bad)
		}
	}
}

func TestFreshnessFallsBackToBannersAndSaysNothingWhenUnknown(t *testing.T) {
	r, _ := renderCells(t, "", code("", []map[string]any{display(map[string]any{"text/html": bannerHTML})}))
	if got := r.Provenance.String(); got != "read 2026-11-20 10:02 UTC from the read replica, replication lag at most 0.4 s" || !r.Provenance.Banners {
		t.Errorf("banner-only header: %q", got)
	}
	r, _ = renderCells(t, "", md("no data"))
	if got := r.Provenance.String(); !strings.HasPrefix(got, "not recorded") {
		t.Errorf("no reads: %q", got)
	}
	primary := lineage("SELECT 1", t0, 0)
	primary.Primary = true
	r, _ = renderCells(t, "", code("", []map[string]any{figureOut("P", primary)}))
	if got := r.Provenance.String(); !strings.Contains(got, "PRIMARY") {
		t.Errorf("primary: %q", got)
	}
	// A banner saying "primary" is heard even when the reads do not say it.
	primaryBanner := strings.Replace(bannerHTML, `data-replicalab-lag="0.400"`, `data-replicalab-primary="true"`, 1)
	r, _ = renderCells(t, "", code("", []map[string]any{display(map[string]any{"text/html": primaryBanner})}), code("", []map[string]any{figureOut("R", lineage("SELECT 1", t0, 0))}))
	if got := r.Provenance.String(); !strings.Contains(got, "PRIMARY") {
		t.Errorf("primary banner: %q", got)
	}
}

func TestEveryFigureAndTableIsListedWithItsSQL(t *testing.T) {
	month := lineage("SELECT date_trunc('month', placed_at) AS month, count(*)\nFROM orders WHERE region = $1 AND placed_at >= $2\nGROUP BY 1 ORDER BY 1", t0, 0.3, "EU", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	month.Cached = true
	bins1 := lineage("SELECT min(total), max(total) FROM orders", t0, 0.3)
	bins2 := lineage("SELECT width_bucket(total, $1, $2, 30) AS bin, count(*) FROM orders GROUP BY 1", t0, 0.3, 0.0, 900.0)
	status := lineage("SELECT status, count(*) AS orders FROM orders GROUP BY 1", t0, 0.3)
	status.Truncated, status.Limit, status.Rows, status.Of = true, 10, 10, 1234
	sample := lineage("SELECT * FROM events", t0, 0.3)
	sample.Rows, sample.Sample, sample.Of, sample.OfExact = 9_871, "each row kept with probability 19.74 % (by a hash of the row, seed 1)", 50_000, true
	r, h := renderCells(t, "",
		md("## Results"),
		code("", []map[string]any{figureOut("Orders per month", month)}),
		code("", []map[string]any{tableOut(status, 3)}),
		code("", []map[string]any{figureOut("Order totals", bins1, bins2)}),
		code("", []map[string]any{display(map[string]any{"image/png": pngBase64(t, 10, 10)})}), // an image without a record
		code("", []map[string]any{figureOut("In the appendix", status)}, "appendix"),
		code("", []map[string]any{figureOut("Sampled", sample)}),
	)
	if _, app := renderCells(t, "", md("## Body"), md("## How it was made\n\n### Data", "appendix")); !strings.Contains(app, `<h3 id="how-it-was-made">How it was made</h3>`) || !strings.Contains(app, `<h4 id="data">Data</h4>`) {
		t.Errorf("an appendix cell's headings are not under the appendix's")
	}
	if strings.Count(h, "SELECT status, count(*) AS orders FROM orders GROUP BY 1") != 1 || !strings.Contains(h, `The same query and data as <a class="same-query" href="#source-table-1">Table 1</a>.`) {
		t.Errorf("a query shown twice is not listed once")
	}
	if len(r.Sources) != 6 {
		t.Fatalf("%d sources, want 6", len(r.Sources))
	}
	labels := []string{}
	for _, s := range r.Sources {
		labels = append(labels, s.Label()+"/"+s.Where)
	}
	if got := strings.Join(labels, " "); got != "Figure 1/body Table 1/body Figure 2/body Figure 3/body Figure 5/appendix Figure 4/body" {
		t.Errorf("numbering: %s", got)
	}
	appendix := h[strings.Index(h, `id="sources"`):]
	for _, want := range []string{
		`<div class="source" id="source-figure-1"><h4><a href="#figure-1">Figure 1</a>. Orders per month</h4>`,
		"FROM orders WHERE region = $1 AND placed_at &gt;= $2",
		"$1 = &#39;EU&#39;, $2 = &#39;2025-01-01T00:00:00Z&#39;",
		"(reused from the notebook&#39;s cache)",
		"2026-11-20 10:00:00 UTC from the read replica, lag 0.3 s",
		`id="source-table-1"`, "The first 10 rows of ≈1,200, in no particular order: not a sample (cut by the row limit)",
		"A random sample of 9,871 of 50,000 rows: each row kept with probability 19.74 % (by a hash of the row, seed 1)",
		"Query 1 of 2", "Query 2 of 2", "width_bucket(total, $1, $2, 30)", "$1 = 0, $2 = 900",
		`id="source-figure-3"`, "No query was recorded for it",
		`id="source-figure-4"`,
		"5 figures and 1 table",
	} {
		if !strings.Contains(appendix, want) {
			t.Errorf("the appendix lacks %q\n%s", want, appendix)
		}
	}
	body := h[:strings.Index(h, `id="sources"`)]
	for _, want := range []string{`<figcaption class="caption" id="figure-1"><b>Figure 1.</b> <a href="#source-figure-1">Source</a></figcaption>`,
		`<p class="caption" id="table-1"><b>Table 1.</b> <a href="#source-table-1">Source</a></p><div><table>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the body lacks %q", want)
		}
	}
	if strings.Contains(body, "SELECT") {
		t.Errorf("SQL reached the body")
	}
}

func TestExplorationGoesToTheAppendixUnlessKept(t *testing.T) {
	overview := `<div ` + provenance.ExploreAttrs("overview") + `><p><b>11 tables</b>, 13 MB on disk. Row counts are planner estimates.` +
		`<span ` + provenance.NotebookOnly + `> Use explore.ExactCount for an exact count.</span><span ` + provenance.NotebookOnly + `> Click a header to sort.</span></p>` +
		`<table><tr><th onclick="sort()">table</th></tr><tr><td>orders</td></tr></table></div>`
	r, h := renderCells(t, "",
		md("## Findings"),
		code("explore.Tables()", []map[string]any{display(map[string]any{"text/html": overview})}),
		code(`fmt.Println("finding")`, []map[string]any{stream("FINDING\n")}),
		code("explore.Tables()", []map[string]any{display(map[string]any{"text/html": strings.Replace(overview, "orders", "kept_orders", 1)})}, "keep-explore"),
	)
	if r.Cells.Exploration != 1 || r.Cells.Shown != 3 {
		t.Errorf("cells: %+v", r.Cells)
	}
	exploration := strings.Index(h, `<h3 id="exploration">`)
	if exploration < 0 || strings.Index(h, "<td>orders</td>") < exploration || strings.Index(h, "FINDING") > exploration {
		t.Errorf("the overview is not in the appendix's exploration section")
	}
	if k := strings.Index(h, "kept_orders"); k < 0 || k > exploration {
		t.Errorf("the cell tagged keep-explore left the body")
	}
	for _, bad := range []string{"ExactCount", "Click a header", "onclick", "data-replicalab"} {
		if strings.Contains(h, bad) {
			t.Errorf("the report keeps %q", bad)
		}
	}
}

func TestWideTablesAreLaidOutToFit(t *testing.T) {
	l := lineage("SELECT 1", t0, 0)
	_, h := renderCells(t, "", code("", []map[string]any{tableOut(l, 4), tableOut(l, 12), tableOut(l, 20)}))
	tables := regexp.MustCompile(`<table[^>]*>`).FindAllString(h, -1)
	if len(tables) != 3 || tables[0] != "<table>" || tables[1] != `<table class="wide tighter">` || tables[2] != `<table class="stacked">` {
		t.Fatalf("table classes: %q", tables)
	}
	if !strings.Contains(h, `<td data-label="column_19">value 19</td>`) || !strings.Contains(h, `<tr class="header">`) {
		t.Errorf("the stacked table's cells lack their labels")
	}
	// Whole words when they fit the narrowest page; breaks inside long values only when they do not.
	_, h = renderCells(t, "", code("", []map[string]any{display(map[string]any{"text/html": `<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>x</td></tr></table>` +
		`<table><tr><th>a</th><th>b</th></tr><tr><td>` + strings.Repeat("x", 90) + `</td><td>1,234.50</td></tr></table>` +
		`<table><tr><th>a</th><th>b</th></tr><tr><td>` + strings.Repeat("x", 120) + `</td><td>y</td></tr></table>`})}))
	if tables := regexp.MustCompile(`<table[^>]*>`).FindAllString(h, -1); len(tables) != 3 || tables[0] != "<table>" ||
		tables[1] != `<table class="tight-print">` || tables[2] != `<table class="tight">` {
		t.Errorf("word fitting: %q", tables)
	}
	if !strings.Contains(h, `<td class="n">1,234.50</td>`) {
		t.Errorf("a number in a tight table may break")
	}
}

func TestQuestionsLogIsDeduplicatedAndCountedRight(t *testing.T) {
	log := "# Questions log\n\nIntro.\n\n## Q1: Are test accounts excluded?\n\n- **For:** ops\n- **Asked:** 2026-11-01\n- **Status:** open\n\n" +
		"## Q2: Are test  accounts excluded\n\n- **For:** ops\n- **Asked:** 2026-11-02\n- **Status:** answered 2026-11-03\n\n**Answer:**\n\nYes, by is_test.\n\n" +
		"## Q3: Why are orders cancelled?\n\n- **For:** product\n- **Asked:** 2026-11-02\n- **Status:** open\n\n" +
		"## Q4: why are orders cancelled?\n\n- **For:** product\n- **Asked:** 2026-11-04\n- **Status:** open\n"
	_, h := renderCells(t, log, md("x"))
	q := h[strings.Index(h, `id="questions"`):]
	if !strings.Contains(q, "2 questions, 1 open; 2 repeated entries left out (Q1 repeats Q2, Q4 repeats Q3).") {
		t.Errorf("summary line: %s", q[:400])
	}
	if strings.Count(q, "excluded</h3>") != 1 || strings.Count(q, "cancelled?</h3>") != 1 || !strings.Contains(q, "Yes, by is_test.") ||
		strings.Contains(q, "<h1") || strings.Contains(q, "<h2 id=\"q") {
		t.Errorf("duplicates kept or the answer lost:\n%s", q)
	}
	_, h = renderCells(t, "## Q1: Only one?\n\n- **Status:** open\n", md("x"))
	if !strings.Contains(h, "1 question, 1 open.") {
		t.Errorf("singular: %s", h[strings.Index(h, `id="questions"`):])
	}
}

func TestHelpersNotesReachTheAppendixOnceEach(t *testing.T) {
	ledger := func(text string) map[string]any {
		return display(map[string]any{"text/html": `<div ` + provenance.NoteAttrs("ledger", text) + `>` + text + ` (analyst@db)</div>`})
	}
	_, h := renderCells(t, "",
		md("## A"), code("", []map[string]any{ledger("this analysis read 10 rows in 1 query")}),
		md("## B"), code("", []map[string]any{ledger("this analysis read 41,233 rows in 12 queries, 3.1 s of replica time")}),
	)
	body := h[:strings.Index(h, `<section class="appendix">`)]
	if strings.Contains(body, "this analysis read") || strings.Contains(h, "analyst@db") {
		t.Errorf("a note stayed in the body")
	}
	if !strings.Contains(h, `<p class="note">this analysis read 41,233 rows in 12 queries, 3.1 s of replica time</p>`) || strings.Contains(h, "10 rows in 1 query") {
		t.Errorf("the appendix does not hold the last note only")
	}
}
