package explore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/explore"
	"github.com/replicalab/replicalab/internal/pgtest"
)

// benchCluster starts a private cluster at REPLICALAB_BENCH_SCALE (default "large": 5,000,000
// events), the demo database at its largest scale.
func benchCluster(b *testing.B) *pgx.Conn {
	scale := os.Getenv("REPLICALAB_BENCH_SCALE")
	if scale == "" {
		scale = "large"
	}
	ctx := context.Background()
	c, err := pgtest.Start(ctx, pgtest.Options{Scale: scale})
	if errors.Is(err, pgtest.ErrUnavailable) {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Stop(context.Background()) })
	conn, err := pgx.Connect(ctx, c.ReplicaURL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// fullScanProfile is what a full-scan profiler does (JupySQL's %sqlcmd profile): count, count
// distinct, min and max of every column, one pass per column.
func fullScanProfile(ctx context.Context, conn *pgx.Conn, table string) error {
	rows, err := conn.Query(ctx, `SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
		WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, table)
	if err != nil {
		return err
	}
	type col struct{ name, typ string }
	var cols []col
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.name, &c.typ); err != nil {
			return err
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range cols {
		q := `"` + strings.ReplaceAll(c.name, `"`, `""`) + `"`
		minmax := fmt.Sprintf("min(%s)::text, max(%s)::text", q, q)
		if c.typ == "jsonb" || c.typ == "json" || strings.HasSuffix(c.typ, "[]") || c.typ == "boolean" {
			minmax = "NULL::text, NULL::text" // no ordering operator: JupySQL skips these too
		}
		var n, d int64
		var lo, hi *string
		if err := conn.QueryRow(ctx, fmt.Sprintf("SELECT count(%s), count(DISTINCT %s), %s FROM %s", q, q, minmax, table)).Scan(&n, &d, &lo, &hi); err != nil {
			return fmt.Errorf("profiling %s.%s: %w", table, c.name, err)
		}
	}
	return nil
}

// BenchmarkProfile compares, on the events table at the largest scale: explore's overview plus
// one table's profile (catalog only) and a full-scan profiler's pass over the same table.
//
//	go test -run '^$' -bench Profile -benchtime 3x ./helpers/explore/
func BenchmarkProfile(b *testing.B) {
	conn := benchCluster(b)
	ctx := context.Background()
	b.Run("explore-overview+detail", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ov, err := explore.Tables(ctx, conn)
			if err != nil {
				b.Fatal(err)
			}
			d, err := explore.Describe(ctx, conn, "events")
			if err != nil {
				b.Fatal(err)
			}
			_, _ = ov.HTML(), d.HTML()
		}
	})
	b.Run("full-scan-profile", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := fullScanProfile(ctx, conn, "events"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
