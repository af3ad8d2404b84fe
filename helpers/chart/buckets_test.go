package chart_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/replicalab/replicalab/helpers/chart"
)

// countingConn counts the bytes the replica sends.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// TestTooManyBucketsRefusedBeforeReading: a bucket too fine for the data is refused before any data is
// read — from the bounds given, from the table's statistics, or from the column's range — never after the
// buckets were counted and shipped.
func TestTooManyBucketsRefusedBeforeReading(t *testing.T) {
	_, c := replicaPool(t)
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(c.ReplicaURL())
	if err != nil {
		t.Fatal(err)
	}
	var received atomic.Int64
	dial := cfg.DialFunc
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{conn, &received}, nil
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	admin, err := pgx.Connect(ctx, c.ReplicaSuperuserURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	// pg_stat_statements on the replica: the statements that read events.
	readsOfEvents := func() int64 {
		var n int64
		if err := admin.QueryRow(ctx, `SELECT coalesce(sum(calls), 0)::int8 FROM pg_stat_statements
			WHERE query ILIKE '%chart_times%' AND query NOT ILIKE '%LIMIT 0%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	for _, tc := range []struct {
		name, sql string
		opts      []chart.Option
		how       string
	}{
		// Events span years: over a million minutes.
		{"statistics", "SELECT occurred_at FROM events", []chart.Option{chart.Every(chart.Minute)}, "estimated from the table's statistics"},
		{"bounds", "SELECT occurred_at FROM events", []chart.Option{chart.Every(chart.Minute),
			chart.Between(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}, "between the bounds given"},
		// A filter the statistics cannot vouch for: the exact range, one row, before the buckets.
		{"range", "SELECT occurred_at FROM events WHERE kind <> 'page_view'", []chart.Option{chart.Every(chart.Minute)}, "the data spans"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, reads := received.Load(), readsOfEvents()
			c := chart.TimeCountsQuery(ctx, conn, tc.sql, tc.opts...)
			got := received.Load() - before
			if !errors.Is(c.Err, chart.ErrTooManyBuckets) || !strings.Contains(c.Err.Error(), tc.how) || !strings.Contains(c.Err.Error(), "expected at most 100,000 buckets") {
				t.Fatalf("error %v, want a refusal %s", c.Err, tc.how)
			}
			if got > 10_000 {
				t.Errorf("refused after reading %d bytes from the replica, want under 10 kB", got)
			}
			if grouped := readsOfEvents() - reads; tc.how != "the data spans" && grouped != 0 || tc.how == "the data spans" && grouped != 1 {
				t.Errorf("%d statements read events on the replica before the refusal", grouped)
			}
		})
	}

	// A bucket that fits is drawn, from the same connection.
	if c := chart.TimeCountsQuery(ctx, conn, "SELECT occurred_at FROM events", chart.Every(chart.Day)); c.Err != nil {
		t.Errorf("daily buckets: %v", c.Err)
	}
}
