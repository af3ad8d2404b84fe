package chart_test

import (
	"context"
	"testing"

	"gonum.org/v1/plot"

	"github.com/replicalab/replicalab/helpers/chart"
)

// benchRender builds a chart and renders it, reporting the output's size.
func benchRender(b *testing.B, build func() (*plot.Plot, error), format string) {
	b.ReportAllocs()
	var size int
	for b.Loop() {
		p, err := build()
		if err != nil {
			b.Fatal(err)
		}
		if format == "" {
			continue
		}
		out, err := chart.Of(p).Render(format)
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	if format != "" {
		b.ReportMetric(float64(size), format+"-bytes")
	}
}

// BenchmarkHistogram1M: binning 1,000,000 values, then drawing them as SVG
// and as PNG (7.5 × 4.5 in at 192 dpi).
func BenchmarkHistogram1M(b *testing.B) {
	xs, _ := cloud(1_000_000)
	build := func() (*plot.Plot, error) { return pe(chart.HistogramOf("x", xs)) }
	b.Run("bin", func(b *testing.B) { benchRender(b, build, "") })
	b.Run("svg", func(b *testing.B) { benchRender(b, build, "svg") })
	b.Run("png", func(b *testing.B) { benchRender(b, build, "png") })
}

// BenchmarkScatter100k: 100,000 points, sampled to the default 10,000, and
// all of them (MaxPoints(100_000)), as SVG and PNG.
func BenchmarkScatter100k(b *testing.B) {
	xs, ys := cloud(100_000)
	sampled := func() (*plot.Plot, error) { return pe(chart.ScatterOf("x", xs, "y", ys)) }
	all := func() (*plot.Plot, error) { return pe(chart.ScatterOf("x", xs, "y", ys, chart.MaxPoints(100_000))) }
	b.Run("sampled/svg", func(b *testing.B) { benchRender(b, sampled, "svg") })
	b.Run("sampled/png", func(b *testing.B) { benchRender(b, sampled, "png") })
	b.Run("all/svg", func(b *testing.B) { benchRender(b, all, "svg") })
	b.Run("all/png", func(b *testing.B) { benchRender(b, all, "png") })
}

// BenchmarkHistogramOnServerVsPulled: a histogram of 1,000,000 values made
// on the replica (two passes, or one with Range; only bin counts cross the
// wire) against pulling the values and binning them in Go. On loopback
// pulling is cheap; across a network, and for tables that do not fit in
// memory, it is not.
func BenchmarkHistogramOnServerVsPulled(b *testing.B) {
	db, _ := replicaPool(b)
	ctx := context.Background()
	const query = "SELECT ((g % 9973) * 1.5)::float8 FROM generate_series(1, 1000000) g"
	b.Run("server", func(b *testing.B) {
		for b.Loop() {
			if _, err := pe(chart.HistogramQuery(ctx, db, query)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("server-one-pass", func(b *testing.B) {
		for b.Loop() {
			if _, err := pe(chart.HistogramQuery(ctx, db, query, chart.Range(0, 15000), chart.Bins(30))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pulled", func(b *testing.B) {
		for b.Loop() {
			rows, err := db.Query(ctx, query)
			if err != nil {
				b.Fatal(err)
			}
			var xs []float64
			for rows.Next() {
				var v float64
				if err := rows.Scan(&v); err != nil {
					b.Fatal(err)
				}
				xs = append(xs, v)
			}
			if err := rows.Err(); err != nil {
				b.Fatal(err)
			}
			if _, err := pe(chart.HistogramOf("x", xs)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
