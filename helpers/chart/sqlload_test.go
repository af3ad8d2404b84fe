package chart_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/replicalab/replicalab/helpers/chart"
	"github.com/replicalab/replicalab/internal/cost"
)

// replicaAdmin connects as the superuser to the replica, its own statements
// kept out of pg_stat_statements.
func replicaAdmin(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["pg_stat_statements.track"] = "none"
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// dataPasses counts the completed statements of the SQL charts on the
// replica that read the data (their values subquery), EXPLAINs and the
// LIMIT 0 that learns the column's type aside.
func dataPasses(t testing.TB, admin *pgx.Conn) int64 {
	t.Helper()
	var n int64
	if err := admin.QueryRow(context.Background(), `SELECT coalesce(sum(calls), 0)::int8 FROM pg_stat_statements
		WHERE query LIKE '%chart_src%' AND query NOT LIKE '%chart_src LIMIT%' AND query NOT ILIKE 'EXPLAIN%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestHistogramSQLReadsOnce: with pg_stats describing the column, the
// histogram reads the table once, counted by pg_stat_statements on the
// replica; an expression (no pg_stats) takes the range first.
func TestHistogramSQLReadsOnce(t *testing.T) {
	db, c := replicaPool(t)
	admin := replicaAdmin(t, c.ReplicaSuperuserURL())
	ctx := context.Background()
	for _, tc := range []struct {
		query  string
		passes int64
	}{
		{"SELECT amount FROM payments", 1},
		{"SELECT quantity FROM order_items", 1},
		{"SELECT occurred_at_offset FROM (SELECT extract(epoch FROM occurred_at - '2020-01-01') AS occurred_at_offset FROM events) e", 2},
	} {
		before := dataPasses(t, admin)
		ch := chart.HistogramQuery(ctx, db, tc.query)
		if ch.Err != nil {
			t.Fatal(ch.Err)
		}
		if n := dataPasses(t, admin) - before; n != tc.passes {
			t.Errorf("%s: the replica ran %d statements over the data, want %d", tc.query, n, tc.passes)
		}
	}
}

// TestSQLChartsPreviewTheirQueries: a SQL chart over a cartesian product is
// refused before it runs, naming chart.AnyCost(), which lets it run.
func TestSQLChartsPreviewTheirQueries(t *testing.T) {
	db, _ := replicaPool(t)
	ctx := context.Background()
	q := "SELECT a.id + b.id FROM events a, events b"
	ch := chart.HistogramQuery(ctx, db, q, chart.Range(0, 10000))
	if !errors.Is(ch.Err, cost.ErrTooCostly) || !strings.Contains(ch.Err.Error(), "chart.AnyCost()") || !strings.Contains(ch.Err.Error(), "nested loop over") {
		t.Fatalf("want the chart refused by the cost preview, naming chart.AnyCost(), got %v", ch.Err)
	}
	small := "SELECT a.id + b.id FROM orders a, companies b WHERE a.id < 100"
	if ch := chart.HistogramQuery(ctx, db, small, chart.Range(0, 10000)); ch.Err != nil {
		t.Fatalf("a small product under the default limits: %v", ch.Err)
	}
	t.Setenv("REPLICALAB_MAX_COST", "10")
	if ch := chart.HistogramQuery(ctx, db, small, chart.Range(0, 10000)); !errors.Is(ch.Err, cost.ErrTooCostly) {
		t.Fatalf("REPLICALAB_MAX_COST=10: want it refused, got %v", ch.Err)
	}
	if ch := chart.HistogramQuery(ctx, db, small, chart.Range(0, 10000), chart.AnyCost()); ch.Err != nil || ch.Stats().N == 0 {
		t.Fatalf("AnyCost: want the chart drawn, got %v", ch.Err)
	}
	t.Setenv("REPLICALAB_MAX_COST", "cheap")
	if ch := chart.HistogramQuery(ctx, db, "SELECT total FROM orders"); ch.Err == nil || !strings.Contains(ch.Err.Error(), "REPLICALAB_MAX_COST") {
		t.Errorf("a bad threshold: want an error naming REPLICALAB_MAX_COST, got %v", ch.Err)
	}
}
