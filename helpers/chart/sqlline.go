package chart

import (
	"context"
	"fmt"

	"github.com/replicalab/replicalab/internal/numfmt"

	"github.com/jackc/pgx/v5"
	"gonum.org/v1/plot"
)

// defaultSQLPoints is the points a SQL line brings at most by default: a
// thousand (x, y) pairs are about 30 kB.
const defaultSQLPoints = 1_000

// LineQuery draws the numeric y against the numeric x that query returns (two
// columns: x, then y), downsampled on the server: up to MaxPoints (default
// 1,000) pairs arrive as they are, sorted by x; beyond, the server cuts x
// into MaxPoints equal slices and returns, per slice, the mean x and y and
// the lowest and highest y. The line goes through the means and a band
// spans the extremes — what [Line] draws from the same rows with the same
// MaxPoints. Rows where x or y is NULL, NaN or Inf are dropped and counted.
// Options: Args, MaxPoints, AnyCost.
func LineQuery(ctx context.Context, q Querier, query string, opts ...Option) *Chart {
	return sqlChart(ctx, q, "LineSQL", query, opts, func(s *session) (*plot.Plot, error) {
		return lineSQLPlot(ctx, s, "LineSQL", query, false, opts...)
	})
}

// TimeSeriesQuery is [LineQuery] over time: query returns a time column
// (timestamptz; timestamp and date are read as wall-clock times of the In
// zone, as TimeCountsSQL reads them) and a numeric one, drawn on a time axis
// in the In zone (default UTC), as [TimeSeries] draws them. Options: Args,
// In, MaxPoints, AnyCost.
func TimeSeriesQuery(ctx context.Context, q Querier, query string, opts ...Option) *Chart {
	return sqlChart(ctx, q, "TimeSeriesSQL", query, opts, func(s *session) (*plot.Plot, error) {
		return lineSQLPlot(ctx, s, "TimeSeriesSQL", query, true, opts...)
	})
}

func lineSQLPlot(ctx context.Context, q Querier, fn, query string, isTime bool, opts ...Option) (*plot.Plot, error) {
	allowed := []string{"Args", "MaxPoints", "AnyCost"}
	if isTime {
		allowed = append(allowed, "In")
	}
	o, err := apply(fn, opts, allowed...)
	if err != nil {
		return nil, err
	}
	if !o.set["MaxPoints"] {
		o.maxPoints = defaultSQLPoints
	}
	cols, err := describeColumns(ctx, q, fn, query, o.args, 2, 2)
	if err != nil {
		return nil, err
	}
	xname, yname := cols[0].name, cols[1].name
	ph := placeholders{args: append([]any(nil), o.args...)}
	x := "x"
	switch oid := cols[0].oid; {
	case isTime && oid == oidTimestamptz:
		x = "extract(epoch FROM x)"
	case isTime && oid == oidTimestamp:
		x = "extract(epoch FROM x AT TIME ZONE " + ph.add(o.loc.String()) + "::text)"
	case isTime && oid == oidDate:
		x = "extract(epoch FROM x::timestamp AT TIME ZONE " + ph.add(o.loc.String()) + "::text)"
	case isTime:
		return nil, fmt.Errorf("%w: chart: %s: column %q is %s, expected timestamptz, timestamp or date", ErrColumn, fn, xname, typeName(oid))
	case !numericOID(oid):
		return nil, fmt.Errorf("%w: chart: %s: column %q is %s, expected a number", ErrColumn, fn, xname, typeName(oid))
	}
	if isTime && o.loc.String() == "Local" && x != "extract(epoch FROM x)" {
		return nil, fmt.Errorf("chart: %s: In(time.Local) has no zone name the server knows; pass a named zone, e.g. In(time.LoadLocation(\"Europe/Berlin\"))", fn)
	}
	if !numericOID(cols[1].oid) {
		return nil, fmt.Errorf("%w: chart: %s: column %q is %s, expected a number", ErrColumn, fn, yname, typeName(cols[1].oid))
	}
	l, s, averaged, err := lineSQL(ctx, q, query, x, &ph, o)
	if err != nil {
		return nil, fmt.Errorf("chart: %s: points of %q: %w", fn, yname, err)
	}
	title := yname + " by " + xname
	if isTime {
		title = yname + " over time"
	}
	if s.N == 0 {
		what := "line chart of " + quote(yname)
		if isTime {
			what = "time series of " + quote(yname)
		}
		return noData(title, what, s)
	}
	notes := []string{"from the server"}
	if averaged {
		notes[0] = fmt.Sprintf("mean of each of %s slices of %s, band from lowest to highest; on the server", numfmt.Int(o.maxPoints), xname)
	}
	p := newPlot(title, xname, yname, true, true)
	return drawPoints(p, title, xname, []points{l}, isTime, l.xs[0], o, s, notes)
}

// lineSQL brings the points: the range and count first, then the pairs as
// they are, or their slices' means and extremes.
func lineSQL(ctx context.Context, q Querier, query, x string, ph *placeholders, o *options) (points, Stats, bool, error) {
	pairs := pairsSQL(query, x)
	r, err := pairRangeSQL(ctx, q, pairs, ph.args)
	if err != nil || r.stats.N == 0 {
		return points{}, r.stats, false, err
	}
	var l points
	if r.stats.N <= o.maxPoints {
		rows, err := q.Query(ctx, "SELECT x, y FROM "+pairs+" WHERE drop = 0 ORDER BY x, y", ph.args...)
		if err != nil {
			return l, r.stats, false, err
		}
		var xv, yv float64
		_, err = pgx.ForEachRow(rows, []any{&xv, &yv}, func() error {
			l.xs, l.ys = append(l.xs, xv), append(l.ys, yv)
			return nil
		})
		r.stats.N = len(l.xs)
		return l, r.stats, false, err
	}
	b := chooseBinsK(r.xlo, r.xhi, o.maxPoints, 0, false)
	// Slices 1..n; width_bucket's 0 and n+1 (the last edge, rows added since the first pass) clamped as bins.index clamps.
	slice := "least(greatest(width_bucket(x, " + ph.add(b.edges()) + "::float8[]), 1), " + ph.add(int32(b.n)) + ")"
	rows, err := q.Query(ctx, "SELECT "+slice+", count(*), avg(x), avg(y), min(y), max(y) FROM "+
		pairs+" WHERE drop = 0 GROUP BY 1 ORDER BY 1", ph.args...)
	if err != nil {
		return l, r.stats, true, err
	}
	var k int32
	var n int64
	var mx, my, lo, hi float64
	kept := 0
	_, err = pgx.ForEachRow(rows, []any{&k, &n, &mx, &my, &lo, &hi}, func() error {
		l.xs, l.ys = append(l.xs, mx), append(l.ys, my)
		l.lo, l.hi = append(l.lo, lo), append(l.hi, hi)
		kept += int(n)
		return nil
	})
	r.stats.N = kept
	return l, r.stats, true, err
}
