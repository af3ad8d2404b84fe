package chart

import (
	"fmt"
	"math"
	"time"

	"github.com/replicalab/replicalab/internal/numfmt"

	"github.com/go-gota/gota/dataframe"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// timeCountsPlot builds the chart of [TimeCounts].
func timeCountsPlot(df dataframe.DataFrame, col string, opts ...Option) (*plot.Plot, error) {
	o, err := apply("TimeCounts", opts, "In", "Every", "Between")
	if err != nil {
		return nil, err
	}
	c, err := times(df, col, o.loc)
	if err != nil {
		return nil, fmt.Errorf("chart: TimeCounts: %w", err)
	}
	return timeCounts(c, o)
}

// timeCountsOfPlot builds the chart of [TimeCountsOf].
func timeCountsOfPlot(name string, times []time.Time, opts ...Option) (*plot.Plot, error) {
	o, err := apply("TimeCountsOf", opts, "In", "Every", "Between")
	if err != nil {
		return nil, err
	}
	return timeCounts(timeColumn(name, times), o)
}

func timeCounts(c column, o *options) (*plot.Plot, error) {
	vs, dropped := finite(c)
	s := Stats{Rows: c.len(), Dropped: dropped}
	if o.hasBetween {
		lo, hi := unixSeconds(o.from), unixSeconds(o.to)
		in := vs[:0:0]
		for _, v := range vs {
			if v >= lo && v < hi {
				in = append(in, v)
			}
		}
		s.OutOfRange = len(vs) - len(in)
		vs = in
	}
	unit := o.unit
	title := "Rows per " + string(unit)
	if len(vs) == 0 {
		if unit == "" {
			title = "Rows over time"
		}
		return noData(title, "time counts of "+quote(c.name), s)
	}
	s.N = len(vs)
	lo, hi := minMax(vs)
	from, to := fromUnix(lo, o.loc), fromUnix(hi, o.loc)
	if o.hasBetween {
		from, to = o.from, o.to.Add(-time.Nanosecond)
	}
	if unit == "" {
		unit = autoUnit(from, to)
	}
	return drawTimeCounts(c.name, unit, o, from, to, bucketCounts(vs, unit, o.loc), s, betweenNote(s.OutOfRange, o))
}

// bucketCounts counts unix times per bucket start.
func bucketCounts(vs []float64, unit Unit, loc *time.Location) map[int64]float64 {
	counts := map[int64]float64{}
	for _, v := range vs {
		counts[unit.truncate(fromUnix(v, loc), loc).Unix()]++
	}
	return counts
}

func betweenNote(n int, o *options) string {
	if n == 0 {
		return ""
	}
	const layout = "2006-01-02 15:04"
	return fmt.Sprintf("%s outside %s to %s not shown", numfmt.Int(n), o.from.In(o.loc).Format(layout), o.to.In(o.loc).Format(layout))
}

// timeBins lists every bucket from the one holding from to the one holding
// to, in unix seconds, with its count (zero when absent from counts).
func timeBins(unit Unit, loc *time.Location, from, to time.Time, counts map[int64]float64) []plotter.HistogramBin {
	var out []plotter.HistogramBin
	last := unit.truncate(to, loc)
	for b := unit.truncate(from, loc); !b.After(last); b = unit.next(b, loc) {
		out = append(out, plotter.HistogramBin{Min: unixSeconds(b), Max: unixSeconds(unit.next(b, loc)), Weight: counts[b.Unix()]})
	}
	return out
}

// maxTimeBuckets bounds the buckets one chart draws.
const maxTimeBuckets = 100_000

// drawTimeCounts draws counts (bucket start in unix seconds → rows) as bars
// from each bucket's start to the next's, every bucket from the one holding
// from to the one holding to, empty ones at zero.
func drawTimeCounts(name string, unit Unit, o *options, from, to time.Time, counts map[int64]float64, s Stats, extras ...string) (*plot.Plot, error) {
	if n := bucketsOf(unit, from, to); n > maxTimeBuckets {
		return nil, tooManyBuckets(name, unit, n, "")
	}
	title := "Rows per " + string(unit)
	p := newPlot(title, name+" ("+zoneName(o.loc, from)+")", "count", false, true)
	p.Y.Tick.Marker = NumberTicks{Integer: true}
	p.X.Tick.Marker = DateTicks{Location: o.loc}
	h := &plotter.Histogram{FillColor: colour(0), LineStyle: draw.LineStyle{Color: colorWhite, Width: vg.Points(0.5)},
		Bins: timeBins(unit, o.loc, from, to, counts)}
	if len(h.Bins) > 80 {
		h.LineStyle.Width = 0
	}
	p.Add(h)
	p.Y.Min = 0
	p.Y.Max = math.Max(p.Y.Max, 1)
	headroom(p)
	return finish(p, s, extras...), nil
}
