package chart

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/replicalab/replicalab/internal/numfmt"

	"github.com/go-gota/gota/dataframe"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// linePlot builds the chart of [Line].
func linePlot(df dataframe.DataFrame, x string, ys []string, opts ...Option) (*plot.Plot, error) {
	o, err := apply("Line", opts, "By", "MaxPoints")
	if err != nil {
		return nil, err
	}
	xc, err := numeric(df, x)
	if err != nil {
		return nil, fmt.Errorf("chart: Line: %w", err)
	}
	return lineChart(df, "Line", xc, ys, false, o)
}

// timeSeriesPlot builds the chart of [TimeSeries].
func timeSeriesPlot(df dataframe.DataFrame, t string, ys []string, opts ...Option) (*plot.Plot, error) {
	o, err := apply("TimeSeries", opts, "By", "In", "MaxPoints")
	if err != nil {
		return nil, err
	}
	tc, err := times(df, t, o.loc)
	if err != nil {
		return nil, fmt.Errorf("chart: TimeSeries: %w", err)
	}
	return lineChart(df, "TimeSeries", tc, ys, true, o)
}

// timeSeriesOfPlot builds the chart of [TimeSeriesOf].
func timeSeriesOfPlot(name string, times []time.Time, values []float64, opts ...Option) (*plot.Plot, error) {
	o, err := apply("TimeSeriesOf", opts, "In")
	if err != nil {
		return nil, err
	}
	if len(times) != len(values) {
		return nil, fmt.Errorf("chart: TimeSeriesOf: expected as many values as times, found %d times and %d values", len(times), len(values))
	}
	tc := timeColumn("time", times)
	return drawLines(name+" over time", tc, []line{{name: name, y: column{name: name, nums: values}}}, name, true, o, Stats{Rows: len(times)}, "")
}

// line is one line: a y column, maybe restricted to some rows.
type line struct {
	name string
	y    column
	rows []int // nil = all rows
}

func lineChart(df dataframe.DataFrame, fn string, xc column, ys []string, isTime bool, o *options) (*plot.Plot, error) {
	if len(ys) == 0 {
		return nil, fmt.Errorf("chart: %s: expected at least one y column, found none", fn)
	}
	if o.by != "" && len(ys) != 1 {
		return nil, fmt.Errorf("chart: %s: By(%q) takes one y column, found %d (%s)", fn, o.by, len(ys), quoteList(ys))
	}
	if len(ys) > maxColours {
		return nil, fmt.Errorf("chart: %s: expected at most %d y columns, found %d", fn, maxColours, len(ys))
	}
	title := strings.Join(ys, ", ")
	if isTime {
		title += " over time"
	} else {
		title += " by " + xc.name
	}
	s := Stats{Rows: xc.len()}
	var ss []line
	ylabel := ""
	if len(ys) == 1 {
		ylabel = ys[0]
	}
	extra := ""
	for _, y := range ys {
		yc, err := numeric(df, y)
		if err != nil {
			return nil, fmt.Errorf("chart: %s: %w", fn, err)
		}
		if o.by == "" {
			ss = append(ss, line{name: y, y: yc})
			continue
		}
		g, err := categorical(df, o.by)
		if err != nil {
			return nil, fmt.Errorf("chart: %s: %w", fn, err)
		}
		title += " by " + o.by
		ts, d := countCategories(g)
		s.Dropped.add(d)
		kept, _, hasOther := topN(ts, maxColours-1)
		rowsOf := map[string][]int{}
		for r, label := range g.texts {
			if !g.isNull(r) {
				rowsOf[label] = append(rowsOf[label], r)
			}
		}
		for _, t := range kept {
			ss = append(ss, line{name: t.label, y: yc, rows: rowsOf[t.label]})
		}
		if hasOther {
			left := 0
			for _, t := range ts[len(kept):] {
				left += int(t.n)
			}
			s.Other += left
			extra = fmt.Sprintf("%d of %s %s shown, %s rows of the others left out", len(kept), numfmt.Int(len(ts)), o.by, numfmt.Int(left))
		}
	}
	return drawLines(title, xc, ss, ylabel, isTime, o, s, extra)
}

// maxLinePoints is where a line is thinned to the first, lowest, highest
// and last point of each of maxLinePoints/4 slices of x.
const maxLinePoints = 8_000

func drawLines(title string, xc column, ss []line, ylabel string, isTime bool, o *options, s Stats, extra string) (*plot.Plot, error) {
	xlabel := xc.name
	p := newPlot(title, xlabel, ylabel, true, true)
	var lines []points
	xlo, xhi := math.Inf(1), math.Inf(-1)
	for _, sr := range ss {
		x, y := xc, sr.y
		if sr.rows != nil {
			x, y = subset(xc, sr.rows), subset(sr.y, sr.rows)
		}
		xs, ys, _, d := pairs(x, y)
		s.Dropped.add(d)
		s.N += len(xs)
		sortXY(xs, ys)
		if len(xs) > 0 {
			xlo, xhi = math.Min(xlo, xs[0]), math.Max(xhi, xs[len(xs)-1])
		}
		lines = append(lines, points{name: sr.name, xs: xs, ys: ys})
	}
	if s.N == 0 {
		what := "line chart of " + quoteList(names(ss))
		if isTime {
			what = "time series of " + quoteList(names(ss))
		}
		return noData(title, what, s)
	}
	var notes []string
	if extra != "" {
		notes = append(notes, extra)
	}
	thinned, averaged := false, false
	for i, l := range lines {
		switch {
		case o.set["MaxPoints"] && len(l.xs) > o.maxPoints:
			lines[i] = meanSlices(l, chooseBinsK(l.xs[0], l.xs[len(l.xs)-1], o.maxPoints, 0, false))
			averaged = true
		case len(l.xs) > maxLinePoints:
			lines[i].xs, lines[i].ys = decimate(l.xs, l.ys, maxLinePoints/4)
			thinned = true
		}
	}
	if averaged {
		notes = append(notes, fmt.Sprintf("mean of each of %s slices of %s, band from lowest to highest", numfmt.Int(o.maxPoints), xlabel))
	}
	if thinned {
		notes = append(notes, fmt.Sprintf("long lines thinned to %s points keeping each slice's extremes", numfmt.Int(maxLinePoints)))
	}
	return drawPoints(p, title, xlabel, lines, isTime, xlo, o, s, notes)
}

// points are one line's points, sorted by x; averaged lines also have a
// band from each slice's lowest to its highest y.
type points struct {
	name   string
	xs, ys []float64
	lo, hi []float64
}

// meanSlices averages a line over the slices b cuts x into (bins.index
// decides, as width_bucket on the server): per non-empty slice the mean x,
// the mean y, and the lowest and highest y.
func meanSlices(l points, b bins) points {
	type acc struct {
		n, sx, sy, lo, hi float64
	}
	accs := make([]acc, b.n)
	for i := range l.xs {
		a := &accs[b.index(l.xs[i])]
		if a.n == 0 {
			a.lo, a.hi = l.ys[i], l.ys[i]
		}
		a.n++
		a.sx += l.xs[i]
		a.sy += l.ys[i]
		a.lo, a.hi = math.Min(a.lo, l.ys[i]), math.Max(a.hi, l.ys[i])
	}
	out := points{name: l.name}
	for _, a := range accs {
		if a.n > 0 {
			out.xs, out.ys = append(out.xs, a.sx/a.n), append(out.ys, a.sy/a.n)
			out.lo, out.hi = append(out.lo, a.lo), append(out.hi, a.hi)
		}
	}
	return out
}

// drawPoints draws the lines (and their bands) on p.
func drawPoints(p *plot.Plot, title, xlabel string, lines []points, isTime bool, xlo float64, o *options, s Stats, notes []string) (*plot.Plot, error) {
	for i, l := range lines {
		if len(l.xs) == 0 {
			continue
		}
		xs, ys := l.xs, l.ys
		c := colour(i)
		if l.lo != nil {
			band, err := plotter.NewPolygon(bandOf(xs, l.lo, l.hi))
			if err != nil {
				return nil, fmt.Errorf("chart: %s: %w", title, err)
			}
			band.Color = withAlpha(c, 0x40)
			band.LineStyle.Width = 0
			p.Add(band)
		}
		ln, err := plotter.NewLine(xyOf(xs, ys))
		if err != nil {
			return nil, fmt.Errorf("chart: %s: %w", title, err)
		}
		ln.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(1.6)}
		p.Add(ln)
		var thumbs []plot.Thumbnailer = []plot.Thumbnailer{ln}
		if len(xs) <= 60 {
			sc, err := plotter.NewScatter(xyOf(xs, ys))
			if err != nil {
				return nil, fmt.Errorf("chart: %s: %w", title, err)
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(2.2), Shape: draw.CircleGlyph{}}
			p.Add(sc)
			thumbs = append(thumbs, sc)
		}
		if len(lines) > 1 {
			p.Legend.Add(shorten(l.name, 30), thumbs...)
		}
	}
	var ys [][]float64
	for _, l := range lines {
		ys = append(ys, l.ys, l.lo, l.hi)
	}
	valueAxis(p, ys...)
	if isTime {
		p.X.Tick.Marker = DateTicks{Location: o.loc}
		p.X.Label.Text = xlabel + " (" + zoneName(o.loc, fromUnix(xlo, o.loc)) + ")"
	}
	if len(lines) > 1 {
		p.Add(legendSpace{})
	}
	return finish(p, s, notes...), nil
}

// bandOf is the outline of a band: along the highs, back along the lows.
func bandOf(xs, lo, hi []float64) plotter.XYs {
	out := make(plotter.XYs, 0, 2*len(xs))
	for i := range xs {
		out = append(out, plotter.XY{X: xs[i], Y: hi[i]})
	}
	for i := len(xs) - 1; i >= 0; i-- {
		out = append(out, plotter.XY{X: xs[i], Y: lo[i]})
	}
	return out
}

func names(ss []line) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.name
	}
	return out
}

func subset(c column, rows []int) column {
	out := column{name: c.name}
	if c.nums != nil {
		out.nums = make([]float64, len(rows))
	}
	if c.texts != nil {
		out.texts = make([]string, len(rows))
	}
	if c.null != nil {
		out.null = make([]bool, len(rows))
	}
	for i, r := range rows {
		if c.nums != nil {
			out.nums[i] = c.nums[r]
		}
		if c.texts != nil {
			out.texts[i] = c.texts[r]
		}
		if c.null != nil {
			out.null[i] = c.null[r]
		}
	}
	return out
}

// sortXY sorts the points by x, keeping the input order of equal xs.
func sortXY(xs, ys []float64) {
	if sort.Float64sAreSorted(xs) {
		return
	}
	sort.Stable(byX{xs, ys})
}

type byX struct{ xs, ys []float64 }

func (b byX) Len() int           { return len(b.xs) }
func (b byX) Less(i, j int) bool { return b.xs[i] < b.xs[j] }
func (b byX) Swap(i, j int) {
	b.xs[i], b.xs[j] = b.xs[j], b.xs[i]
	b.ys[i], b.ys[j] = b.ys[j], b.ys[i]
}

// decimate keeps the first, lowest, highest and last point of each of n
// equal slices of x, so peaks survive.
func decimate(xs, ys []float64, n int) ([]float64, []float64) {
	lo, hi := xs[0], xs[len(xs)-1]
	w := (hi - lo) / float64(n)
	if w <= 0 {
		return xs[:1], ys[:1]
	}
	var ox, oy []float64
	for i := 0; i < len(xs); {
		b := math.Floor((xs[i] - lo) / w)
		j := i
		imin, imax := i, i
		for j < len(xs) && (math.Floor((xs[j]-lo)/w) == b || j == len(xs)-1 && b == float64(n)) {
			if ys[j] < ys[imin] {
				imin = j
			}
			if ys[j] > ys[imax] {
				imax = j
			}
			j++
		}
		if j == i {
			j = i + 1
		}
		keep := []int{i, imin, imax, j - 1}
		sort.Ints(keep)
		last := -1
		for _, k := range keep {
			if k != last {
				ox, oy = append(ox, xs[k]), append(oy, ys[k])
				last = k
			}
		}
		i = j
	}
	return ox, oy
}

// xyOf pairs two slices as a plotter.XYer without copying.
type xys struct{ xs, ys []float64 }

func (p xys) Len() int                    { return len(p.xs) }
func (p xys) XY(i int) (float64, float64) { return p.xs[i], p.ys[i] }

func xyOf(xs, ys []float64) plotter.XYer { return xys{xs, ys} }
