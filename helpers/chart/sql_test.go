package chart_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/replicalab/replicalab/helpers/chart"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/pgtest"
)

// replicaPool opens the shared test replica as a notebook would.
func replicaPool(t testing.TB) (*replica.Pool, *pgtest.Cluster) {
	t.Helper()
	c := pgtest.Shared(t)
	return c.Open(t), c
}

func TestSQLChartsOnTheReplica(t *testing.T) {
	db, c := replicaPool(t)
	ctx := context.Background()

	p, err := pe(chart.HistogramQuery(ctx, db, "SELECT total FROM orders"))
	if err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := db.QueryRow(ctx, "SELECT count(*) FROM orders").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	s := stats(t, p)
	if s.Rows != rows || s.N != rows || p.Title.Text != "Distribution of total" || p.X.Label.Text != "total" {
		t.Errorf("histogram of orders.total: %+v, title %q; the table has %d rows", s, p.Title.Text, rows)
	}
	if text := svgText(t, p); !strings.Contains(text, "binned on the server") {
		t.Errorf("the chart does not say where it was binned:\n%s", text)
	}

	// Any Querier: a plain pgx connection too; NULLs counted on the server.
	conn, err := pgx.Connect(ctx, c.ReplicaURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	p, err = pe(chart.TimeCountsQuery(ctx, conn, "SELECT shipped_at FROM orders -- a trailing comment;\n;", chart.Every(chart.Month)))
	if err != nil {
		t.Fatal(err)
	}
	var nulls, total int
	if err := conn.QueryRow(ctx, "SELECT count(*) FILTER (WHERE shipped_at IS NULL), count(*) FROM orders").Scan(&nulls, &total); err != nil {
		t.Fatal(err)
	}
	if s := stats(t, p); s.Dropped.NULL != nulls || s.N != total-nulls || nulls == 0 {
		t.Errorf("orders.shipped_at per month: %+v; the table has %d rows, %d NULL", s, total, nulls)
	}
	if p.Title.Text != "Rows per month" || !strings.HasPrefix(p.X.Label.Text, "shipped_at (UTC)") {
		t.Errorf("title %q, x label %q", p.Title.Text, p.X.Label.Text)
	}

	// Only the query's rows in Between; the rest counted as outside.
	from, to := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	p, err = pe(chart.TimeCountsQuery(ctx, db, "SELECT occurred_at FROM events WHERE kind = $1", chart.Args("login"), chart.Between(from, to)))
	if err != nil {
		t.Fatal(err)
	}
	var in, all int
	if err := db.QueryRow(ctx, "SELECT count(*) FILTER (WHERE occurred_at >= $1 AND occurred_at < $2), count(*) FROM events WHERE kind = 'login'", from, to).Scan(&in, &all); err != nil {
		t.Fatal(err)
	}
	if s := stats(t, p); s.N != in || s.OutOfRange != all-in || in == 0 {
		t.Errorf("logins in the first half of 2024: %+v; the table has %d of %d", s, in, all)
	}
}

func TestSQLMistakes(t *testing.T) {
	db, c := replicaPool(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		f    func() error
		want []string
		is   error
	}{
		{"two columns", func() error {
			_, err := pe(chart.HistogramQuery(ctx, db, "SELECT total, subtotal FROM orders"))
			return err
		},
			[]string{"expected a query returning one column, found 2", `"total", "subtotal"`}, nil},
		{"text column", func() error { _, err := pe(chart.HistogramQuery(ctx, db, "SELECT status FROM orders")); return err },
			[]string{`column "status" is`, "expected a number"}, chart.ErrColumn},
		{"number as time", func() error { _, err := pe(chart.TimeCountsQuery(ctx, db, "SELECT total FROM orders")); return err },
			[]string{`column "total" is numeric, expected timestamptz, timestamp or date`}, chart.ErrColumn},
		{"no such table", func() error { _, err := pe(chart.HistogramQuery(ctx, db, "SELECT x FROM nowhere")); return err },
			[]string{"chart: HistogramSQL:", "nowhere"}, nil},
		{"empty query", func() error { _, err := pe(chart.HistogramQuery(ctx, db, " ")); return err },
			[]string{"found an empty query"}, nil},
		{"local zone", func() error {
			_, err := pe(chart.TimeCountsQuery(ctx, db, "SELECT now()", chart.In(time.Local)))
			return err
		},
			[]string{"In(time.Local) has no zone name"}, nil},
		{"missing args", func() error {
			_, err := pe(chart.HistogramQuery(ctx, db, "SELECT total FROM orders WHERE status = $1"))
			return err
		},
			[]string{"chart: HistogramSQL:"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.f()
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", err, tc.is)
			}
			if strings.Contains(err.Error(), c.Password) {
				t.Errorf("the password appears in %q", err)
			}
		})
	}
	// A query with nothing to count gives the empty chart.
	p, err := pe(chart.HistogramQuery(ctx, db, "SELECT total FROM orders WHERE false"))
	if !errors.Is(err, chart.ErrNoData) || p == nil {
		t.Errorf("no rows: %v, %v; want ErrNoData and a chart", p, err)
	}
}
