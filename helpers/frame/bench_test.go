package frame_test

import (
	"context"
	"testing"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"github.com/replicalab/replicalab/helpers/frame"
)

// benchQuery reads 1,000,000 rows of 11 mixed columns (bigint, timestamptz,
// text, nullable bigint, jsonb, inet, date, numeric, bool, int) from the
// test replica's events table (50,000 rows at small scale) repeated 20 times.
const benchQuery = `SELECT e.id, e.occurred_at, e.kind, e.user_id, e.company_id, e.payload, e.ip,
	e.occurred_at::date AS day, (e.id % 100000)::numeric(12,2) / 100 AS amount, e.user_id IS NULL AS anonymous, r AS rep
	FROM events e CROSS JOIN generate_series(1, 20) r LIMIT 1000000`

// BenchmarkLoad1M fetches 1,000,000 rows into a DataFrame (no cache), then
// reads them back from the cache; scripts/bench-frame.sh compares with
// binary COPY and pandas in separate processes.
func BenchmarkLoad1M(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	b.Run("fetch", func(b *testing.B) {
		for b.Loop() {
			r, err := frame.Load(ctx, e.db, benchQuery, e.opts(frame.NoCache(), frame.Quiet())...)
			if err != nil || r.Rows != 1_000_000 {
				b.Fatal(r, err)
			}
		}
		b.ReportMetric(float64(1_000_000*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("fetch+cache", func(b *testing.B) {
		for b.Loop() {
			if _, err := frame.Load(ctx, e.db, benchQuery, e.opts(frame.Refresh(), frame.Quiet())...); err != nil {
				b.Fatal(err)
			}
		}
	})
	cached := func(b *testing.B) {
		for b.Loop() {
			r, err := frame.Load(ctx, e.db, benchQuery, e.opts(frame.Quiet())...)
			if err != nil || r.Source != frame.FromCache {
				b.Fatal(r, err)
			}
		}
		b.ReportMetric(float64(1_000_000*b.N)/b.Elapsed().Seconds(), "rows/s")
	}
	b.Run("cached", cached)
}

// BenchmarkGotaBuild compares building a 1,000,000 × 4 frame the usual way
// (series.New from typed slices, then dataframe.New) with what Load does.
func BenchmarkGotaBuild(b *testing.B) {
	const n = 1_000_000
	ints, floats, strs, bools := make([]int, n), make([]float64, n), make([]string, n), make([]bool, n)
	for i := range ints {
		ints[i], floats[i], strs[i], bools[i] = i*7919, float64(i)/3, "s", i%3 == 0
	}
	b.Run("series.New", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dataframe.New(series.New(ints, series.Int, "i"), series.New(floats, series.Float, "f"),
				series.New(strs, series.String, "s"), series.New(bools, series.Bool, "b"))
		}
	})
	b.Run("frame", func(b *testing.B) {
		build := frame.BuildForBench(ints, floats, strs, bools)
		b.ReportAllocs()
		for b.Loop() {
			build()
		}
	})
}
