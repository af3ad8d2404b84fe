package chart_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/replicalab/replicalab/helpers/chart"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/pgtest"
)

// TestNotebookForms: each server-side chart's notebook form (XxxSQL, no ctx) runs on the
// notebook's connection (replica.Default, from the environment) and draws what its ctx-first
// form (XxxQuery) draws; an error stops the cell with the same message; nothing to draw does not.
func TestNotebookForms(t *testing.T) {
	c := pgtest.Shared(t)
	db := c.Open(t)
	for k, v := range c.Env() {
		t.Setenv(k, v)
	}
	t.Setenv("REPLICALAB_APP_NAME", "chart-notebook-test")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	defer display.Use(&display.Recorder{})()
	ctx := context.Background()

	type form func(string, ...chart.Option) *chart.Chart
	type query func(context.Context, chart.Querier, string, ...chart.Option) *chart.Chart
	for _, f := range []struct {
		name     string
		notebook form
		program  query
		sql      string
		opts     []chart.Option
	}{
		{"HistogramSQL", chart.HistogramSQL, chart.HistogramQuery, "SELECT total FROM orders WHERE currency = $1", []chart.Option{chart.Args("EUR"), chart.Bins(20)}},
		{"TimeCountsSQL", chart.TimeCountsSQL, chart.TimeCountsQuery, "SELECT placed_at FROM orders", []chart.Option{chart.Every(chart.Month)}},
		{"BarSQL", chart.BarSQL, chart.BarQuery, "SELECT kind FROM events", []chart.Option{chart.Top(4)}},
		{"BoxSQL", chart.BoxSQL, chart.BoxQuery, "SELECT total, currency FROM orders", nil},
		{"ScatterSQL", chart.ScatterSQL, chart.ScatterQuery, "SELECT quantity, unit_price FROM order_items", []chart.Option{chart.Bins(10)}},
		{"LineSQL", chart.LineSQL, chart.LineQuery, "SELECT id, total FROM orders", []chart.Option{chart.MaxPoints(50)}},
		{"TimeSeriesSQL", chart.TimeSeriesSQL, chart.TimeSeriesQuery, "SELECT occurred_at, id % 7 FROM events", []chart.Option{chart.MaxPoints(40)}},
	} {
		t.Run(f.name, func(t *testing.T) {
			want := f.program(ctx, db, f.sql, f.opts...)
			if want.Err != nil {
				t.Fatal(want.Err)
			}
			var got *chart.Chart
			if stopped, code, msg := display.CatchStop(func() { got = f.notebook(f.sql, f.opts...) }); stopped {
				t.Fatalf("the cell stopped (status %d): %s", code, msg)
			}
			if got.Err != nil || got.String() != want.String() {
				t.Errorf("notebook form drew %q (err %v), the ctx-first form %q", got, got.Err, want)
			}

			// A mistake: the same message as the ctx-first form's Err, and the cell stops.
			bad := f.program(ctx, db, "SELECT * FROM no_such_table")
			if bad.Err == nil {
				t.Fatal("no error for a missing table")
			}
			stopped, code, msg := display.CatchStop(func() { f.notebook("SELECT * FROM no_such_table") })
			if !stopped || code != 1 || strings.TrimSpace(msg) != bad.Err.Error() {
				t.Errorf("missing table: stopped %v, status %d, printed %q; want 1 and %q", stopped, code, msg, bad.Err)
			}
		})
	}

	// Nothing to draw is shown as a chart that says why; the cell goes on.
	var empty *chart.Chart
	if stopped, _, msg := display.CatchStop(func() { empty = chart.HistogramSQL("SELECT total FROM orders WHERE false") }); stopped {
		t.Fatalf("no rows stopped the cell: %s", msg)
	}
	if !errors.Is(empty.Err, chart.ErrNoData) {
		t.Errorf("no rows: Err %v, want ErrNoData", empty.Err)
	}
}
