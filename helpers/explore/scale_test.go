package explore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/replicalab/replicalab/helpers/explore"
	"github.com/replicalab/replicalab/internal/demodb"
	"github.com/replicalab/replicalab/internal/pgtest"
	"github.com/replicalab/replicalab/internal/report"
)

// TestSchemaMapOf3000Tables builds a catalog of 3,000 tables, each with a foreign key (about 30 s),
// on a cluster of its own, and checks what an analyst opening its diagram gets: a first screen with
// legible table names, groups that open, a search that finds a table, every table listed, links
// labelled with their columns, inferred links found, Graphviz's time cap said, and the same map
// working in an exported report, where scripts are removed.
func TestSchemaMapOf3000Tables(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 3,000-table catalog")
	}
	ctx := context.Background()
	c, err := pgtest.Start(ctx, pgtest.Options{Scale: "0.05"})
	if errors.Is(err, pgtest.ErrUnavailable) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	primary, err := pgx.Connect(ctx, c.SuperuserURL())
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close(ctx)
	fks, err := demodb.CreateWideSchema(ctx, primary, demodb.WideOptions{Tables: 3000})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitReplayed(ctx); err != nil {
		t.Fatal(err)
	}
	db := c.Open(t)
	_, hasDot := exec.LookPath("dot")

	g, err := explore.Relationships(ctx, db, explore.Schema(demodb.WideSchema), explore.Inferred())
	if err != nil {
		t.Fatal(err)
	}
	inferred := 0
	for _, e := range g.Edges {
		if e.Inferred {
			inferred++
			// A column named after a table (billing_invoice_id), without a foreign key: that table.
			if want := demodb.WideSchema + "." + strings.TrimSuffix(e.Columns[0], "_id"); !strings.HasPrefix(e.To, want) {
				t.Errorf("inferred link %s.%s → %s: expected %s…", e.From, e.Columns[0], e.To, want)
			}
		}
	}
	if len(g.Nodes) != 3000 || len(g.Edges)-inferred != fks || inferred < 50 {
		t.Fatalf("%d tables, %d links (%d inferred); want 3,000 tables, %d foreign keys and the inferred links", len(g.Nodes), len(g.Edges), inferred, fks)
	}

	h := g.HTML()
	id := regexp.MustCompile(`id="(rlmap_[a-z0-9]+)"`).FindStringSubmatch(h)
	if id == nil {
		t.Fatalf("no map in the diagram's HTML: %.300s", h)
	}
	groups := strings.Count(h, `<section class="rl-sec"`)
	if cards := strings.Count(h, `class="rl-card"`); groups < 3000/25 || cards != groups {
		t.Errorf("%d groups and %d cards: want one card per group of at most 25 tables", groups, cards)
	}
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`<section class="rl-sec" id="[^"]+"><h4>([^<]*): `).FindAllStringSubmatch(h, -1) {
		if names[m[1]] {
			t.Errorf("two groups are named %q", m[1])
		}
		names[m[1]] = true
	}
	if listed := strings.Count(h, `title="group `); listed != 3000 {
		t.Errorf("the A–Z list holds %d tables, want 3,000", listed)
	}
	if hasDot == nil {
		if strings.Contains(h, "built-in layout") {
			t.Errorf("groups fell back to the built-in layout: %s", regexp.MustCompile(`<p class="rl-note">[^<]*`).FindString(h))
		}
		// Links labelled with their columns (an arrow's label is a text of the SVG).
		if !regexp.MustCompile(`<text[^>]*>[a-z_]+_id</text>`).MatchString(h) {
			t.Errorf("no link is labelled with its column")
		}
	}

	// In a browser at 1600 × 1200, as the notebook shows it (the script runs).
	page := filepath.Join(t.TempDir(), "map.html")
	if err := os.WriteFile(page, []byte("<!doctype html><meta charset=utf-8><body>"+h), 0o644); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.open(t, page)
	// The first screen shows table names in type large enough to read.
	var legible []string
	b.eval(t, `Array.from(document.querySelectorAll(".rl-card a")).filter(a => {
		const r = a.getBoundingClientRect(), fs = parseFloat(getComputedStyle(a).fontSize);
		return r.top >= 0 && r.bottom <= innerHeight && r.width > 0 && fs >= 11;
	}).map(a => a.textContent)`, &legible)
	if len(legible) < 10 {
		t.Errorf("the first screen shows %d legible table names, want at least 10: %v", len(legible), legible)
	}
	// Search: type part of a name, Enter: its group opens and its box lights up, on screen.
	var found struct {
		Count   string `json:"count"`
		Hit     string `json:"hit"`
		Visible bool   `json:"visible"`
		Open    int    `json:"open"`
	}
	b.eval(t, `(() => {
		const box = document.querySelector(".rl-find input");
		box.value = "Billing_Invoice_L";
		box.dispatchEvent(new Event("input"));
		box.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter"}));
		const hit = document.querySelector(".rl-hit"), r = hit && hit.getBoundingClientRect();
		return {count: document.querySelector(".rl-found").dataset.count, hit: hit ? hit.id : "",
			visible: !!r && r.top >= 0 && r.bottom <= innerHeight,
			open: Array.from(document.querySelectorAll(".rl-sec")).filter(s => getComputedStyle(s).display !== "none").length};
	})()`, &found)
	want := g.Nodes[indexOf(g, demodb.WideSchema+".billing_invoice_lines")]
	if found.Count != "1" || found.Hit == "" || !found.Visible || found.Open != 1 {
		t.Errorf("searching billing_invoice_l: %+v; want one match (%s), its box lit and on screen, its group alone open", found, want.Table)
	}
	// A card opens its group.
	var opened int
	b.eval(t, `(() => { document.querySelector(".rl-card h4 a").click();
		return Array.from(document.querySelectorAll(".rl-sec")).filter(s => getComputedStyle(s).display !== "none").length; })()`, &opened)
	if opened != 1 {
		t.Errorf("a card's link opened %d groups, want 1", opened)
	}

	// In an exported report: no script, yet the cards, the list and the groups work (CSS :target).
	nb := map[string]any{"nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{}, "cells": []any{
		map[string]any{"cell_type": "markdown", "metadata": map[string]any{}, "source": "# Catalog\n\n## Map"},
		map[string]any{"cell_type": "code", "execution_count": 1, "metadata": map[string]any{"tags": []string{"keep-explore"}}, "source": "explore.ShowDiagram()",
			"outputs": []any{map[string]any{"output_type": "display_data", "metadata": map[string]any{}, "data": map[string]any{"text/html": h, "text/plain": g.String()}}}},
	}}
	data, err := json.Marshal(nb)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := report.ParseNotebook("catalog.ipynb", data)
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Render(parsed, report.Options{Date: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(r.HTML), "<script") || !strings.Contains(string(r.HTML), `class="rl-card"`) {
		t.Fatalf("the report kept a script, or lost the cards")
	}
	reportPage := filepath.Join(t.TempDir(), "catalog.html")
	if err := os.WriteFile(reportPage, r.HTML, 0o644); err != nil {
		t.Fatal(err)
	}
	b.open(t, reportPage)
	var inReport struct {
		Box     bool `json:"box"`
		Hidden  int  `json:"hidden"`
		Open    int  `json:"open"`
		Visible bool `json:"visible"`
	}
	b.eval(t, `(() => {
		const hidden = Array.from(document.querySelectorAll(".rl-sec")).filter(s => getComputedStyle(s).display === "none").length;
		const a = document.querySelector(".rl-index .rl-cols a[href$='_t`+fmt.Sprint(indexOf(g, want.Table))+`']");
		location.hash = a.getAttribute("href");
		const el = document.querySelector(a.getAttribute("href")), r = el.getBoundingClientRect();
		return {box: !!document.querySelector(".rl-find input"), hidden,
			open: Array.from(document.querySelectorAll(".rl-sec")).filter(s => getComputedStyle(s).display !== "none").length,
			visible: r.width > 0 && r.top >= 0 && r.bottom <= innerHeight};
	})()`, &inReport)
	if inReport.Box || inReport.Hidden != groups || inReport.Open != 1 || !inReport.Visible {
		t.Errorf("in the report: %+v; want no search box, every group closed until one is asked for, then that one open with the table on screen", inReport)
	}

	// The overview of 3,000 tables: its filter box shows the rows that match, and says how many.
	ov, err := explore.Tables(ctx, db, explore.Schemas(demodb.WideSchema))
	if err != nil {
		t.Fatal(err)
	}
	overview := filepath.Join(t.TempDir(), "overview.html")
	if err := os.WriteFile(overview, []byte("<!doctype html><meta charset=utf-8><body>"+ov.HTML()), 0o644); err != nil {
		t.Fatal(err)
	}
	b.open(t, overview)
	var filtered struct {
		Rows  int    `json:"rows"`
		Shown int    `json:"shown"`
		Said  string `json:"said"`
	}
	b.eval(t, `(() => {
		const box = document.querySelector(".replicalab-overview input[type=search]");
		box.value = "Billing_Invoice";
		box.dispatchEvent(new Event("input"));
		const rows = Array.from(document.querySelectorAll(".replicalab-overview tbody tr"));
		return {rows: rows.length, shown: rows.filter(r => getComputedStyle(r).display !== "none").length, said: box.nextElementSibling.textContent};
	})()`, &filtered)
	// billing_invoices and billing_invoice_lines.
	if filtered.Rows != 3000 || filtered.Shown != 2 || filtered.Said != "2 of 3000 shown" {
		t.Errorf("the overview's filter: %+v; want 2 of its 3,000 rows shown, and said", filtered)
	}

	// Graphviz's time cap: what was drawn instead is said.
	capped, err := explore.Relationships(ctx, db, explore.Schema(demodb.WideSchema), explore.LayoutTime(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if hasDot == nil {
		if note := regexp.MustCompile(`<p class="rl-note">[^<]*`).FindString(capped.HTML()); !strings.Contains(note, "within 1 ms and was stopped") || !strings.Contains(note, "built-in layout") {
			t.Errorf("a map over its layout time says %q", note)
		}
	}
}

func indexOf(g *explore.Graph, table string) int {
	for i, n := range g.Nodes {
		if n.Table == table {
			return i
		}
	}
	return -1
}

// browser is one headless Chromium for a test.
type browser struct{ ctx context.Context }

func newBrowser(t *testing.T) *browser {
	t.Helper()
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		if os.Getenv("REPLICALAB_REQUIRE_CHROMIUM") != "" {
			t.Fatal("Chromium not found")
		}
		t.Skip("Chromium not found")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	// Start the browser on the test's context: a first action on a context with a deadline would tie
	// the browser's life to it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	return &browser{ctx: ctx}
}

func (b *browser) open(t *testing.T, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1600, 1200), chromedp.Navigate("file://"+path)); err != nil {
		t.Fatal(err)
	}
}

func (b *browser) eval(t *testing.T, js string, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](js))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(v, out); err != nil {
		t.Fatalf("%s: %v", v, err)
	}
}
