package demodb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkStart measures a first start: initdb, pg_basebackup, seeding, ANALYZE and replay on the
// replica. It reports the seeding rate. Scale large (5,000,000 events, minutes) runs only with
// REPLICALAB_BENCH_LARGE=1.
//
//	go test -run '^$' -bench Start -benchtime 1x ./internal/demodb/
func BenchmarkStart(b *testing.B) {
	scales := []string{"small", "medium"}
	if os.Getenv("REPLICALAB_BENCH_LARGE") != "" {
		scales = append(scales, "large")
	}
	for _, name := range scales {
		b.Run(name, func(b *testing.B) {
			scale, _ := ParseScale(name)
			var rows int64
			var seeding time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dir, err := os.MkdirTemp("", "demodb-bench-")
				if err != nil {
					b.Fatal(err)
				}
				os.Chmod(dir, 0o755)
				ports, err := FreePorts(2)
				if err != nil {
					b.Fatal(err)
				}
				c, err := New(Options{Dir: filepath.Join(dir, "demodb"), PrimaryPort: ports[0], ReplicaPort: ports[1], Scale: scale})
				if err != nil {
					b.Fatal(err)
				}
				ctx := context.Background()
				b.StartTimer()
				err = c.Start(ctx)
				b.StopTimer()
				if errors.Is(err, ErrNoPostgres) {
					b.Skip(err)
				}
				if err != nil {
					b.Fatal(err)
				}
				rows += c.st.SeedRows
				seeding += c.seedTook
				if err := c.Stop(ctx); err != nil {
					b.Fatal(err)
				}
				os.RemoveAll(dir)
				b.StartTimer()
			}
			b.ReportMetric(float64(rows)/float64(b.N), "rows")
			b.ReportMetric(float64(rows)/seeding.Seconds(), "seed-rows/s")
		})
	}
}
