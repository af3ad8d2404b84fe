package chart

import (
	"fmt"
	"math"
	"slices"

	"github.com/replicalab/replicalab/internal/numfmt"

	"github.com/go-gota/gota/dataframe"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// histogramPlot builds the chart of [Histogram].
func histogramPlot(df dataframe.DataFrame, col string, opts ...Option) (*plot.Plot, error) {
	o, err := apply("Histogram", opts, "Bins", "Range")
	if err != nil {
		return nil, err
	}
	c, err := numeric(df, col)
	if err != nil {
		return nil, fmt.Errorf("chart: Histogram: %w", err)
	}
	return histogram(c, o)
}

// histogramOfPlot builds the chart of [HistogramOf].
func histogramOfPlot(name string, values []float64, opts ...Option) (*plot.Plot, error) {
	o, err := apply("HistogramOf", opts, "Bins", "Range")
	if err != nil {
		return nil, err
	}
	return histogram(column{name: name, nums: values}, o)
}

func histogram(c column, o *options) (*plot.Plot, error) {
	title := "Distribution of " + c.name
	b, counts, s := histogramData(c, o)
	if s.N == 0 {
		return noData(title, "histogram of "+quote(c.name), s)
	}
	return drawHistogram(title, c.name, b, counts, s, outOfRangeNote(s.OutOfRange, o)), nil
}

// histogramData bins the drawable values of c.
func histogramData(c column, o *options) (bins, []float64, Stats) {
	vs, dropped := finite(c)
	s := Stats{Rows: c.len(), Dropped: dropped}
	if o.hasRange {
		in := vs[:0:0]
		for _, v := range vs {
			if v >= o.lo && v <= o.hi {
				in = append(in, v)
			}
		}
		s.OutOfRange = len(vs) - len(in)
		vs = in
	}
	if len(vs) == 0 {
		return bins{}, nil, s
	}
	s.N = len(vs)
	lo, hi := o.lo, o.hi
	if !o.hasRange {
		lo, hi = minMax(vs)
	}
	b := chooseBins(vs, lo, hi, o.bins)
	counts := make([]float64, b.n)
	for _, v := range vs {
		counts[b.index(v)]++
	}
	return b, counts, s
}

func drawHistogram(title, xlabel string, b bins, counts []float64, s Stats, extra string) *plot.Plot {
	p := newPlot(title, xlabel, "count", false, true)
	p.Y.Tick.Marker = NumberTicks{Integer: true}
	h := &plotter.Histogram{
		Width:     b.binWidth(),
		FillColor: colour(0),
		LineStyle: draw.LineStyle{Color: colorWhite, Width: vg.Points(0.5)},
	}
	if b.n > 80 {
		h.LineStyle.Width = 0 // at this density the gaps would grey the bars out
	}
	for i, n := range counts {
		h.Bins = append(h.Bins, plotter.HistogramBin{Min: b.edge(i), Max: b.edge(i + 1), Weight: n})
	}
	p.Add(h)
	p.Y.Min = 0
	headroom(p)
	return finish(p, s, extra)
}

// headroomShare is the room left above the tallest bar or highest point, as a share of the axis.
const headroomShare = 0.05

// headroom leaves a little space above the tallest bar.
func headroom(p *plot.Plot) {
	if p.Y.Max > p.Y.Min {
		p.Y.Max += (p.Y.Max - p.Y.Min) * headroomShare
	}
}

func outOfRangeNote(n int, o *options) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%s outside [%s, %s] not shown", numfmt.Int(n), formatValue(o.lo), formatValue(o.hi))
}

func minMax(vs []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return lo, hi
}

// bins are n equal bins of width from start to end. Bins cut out of a
// finer grid (HistogramSQL's one pass) have edges on the grid's, computed
// bit for bit as the grid's: the grid's edge off is the first, every step-th
// the next ones (width is then the grid's, the bins step times wider).
type bins struct {
	start, width, end float64
	n                 int
	off, step         int
}

// stride is how many grid widths one bin spans.
func (b bins) stride() int { return max(b.step, 1) }

// binWidth is the width of one bin.
func (b bins) binWidth() float64 { return b.width * float64(b.stride()) }

// edges are the n+1 bin edges, the last exactly end.
func (b bins) edges() []float64 {
	e := make([]float64, b.n+1)
	for i := range b.n {
		e[i] = b.edge(i)
	}
	e[b.n] = b.end
	return e
}

// index is the bin of v: the last edge at or below it (clamped to the bins),
// as width_bucket finds it for HistogramSQL, so both agree on values at the
// edges.
func (b bins) index(v float64) int {
	// A guess by division, then corrected against the edges themselves.
	i := max(0, min((int((v-b.start)/b.width)-b.off)/b.stride(), b.n-1))
	for i > 0 && v < b.edge(i) {
		i--
	}
	for i < b.n-1 && v >= b.edge(i+1) {
		i++
	}
	return i
}

func (b bins) edge(i int) float64 {
	if i == b.n {
		return b.end
	}
	return b.start + float64(b.off+i*b.stride())*b.width
}

// chooseBins picks the bins for values in [lo, hi]: exactly n when asked,
// else a round width from the Freedman–Diaconis rule (10 to 60 bins), with
// whole-number bins centred on the integers for integer data.
func chooseBins(vs []float64, lo, hi float64, n int) bins {
	if n > 0 || hi == lo {
		return chooseBinsK(lo, hi, n, 0, false)
	}
	return chooseBinsK(lo, hi, 0, fdBins(vs, lo, hi), allIntegers(vs))
}

// chooseBinsK returns exactly n equal bins over [lo, hi] when n > 0, else
// about k bins of a round width (1, 2, 2.5 or 5 × 10^e), whole numbers wide
// and centred on the integers when integer is set.
func chooseBinsK(lo, hi float64, n, k int, integer bool) bins {
	if hi == lo {
		w := 1.0
		if lo != 0 && !integer {
			w = niceStep(math.Abs(lo) / 10)
		}
		return bins{start: lo - w/2, width: w, end: lo + w/2, n: 1}
	}
	if n > 0 {
		return bins{start: lo, width: (hi - lo) / float64(n), end: hi, n: n}
	}
	var b bins
	if integer {
		b.width = math.Max(1, math.Ceil(niceStep((hi-lo)/float64(k))))
		b.start = math.Floor(lo/b.width)*b.width - 0.5
		b.n = max(1, int(math.Floor((hi-b.start)/b.width))+1)
	} else {
		b.width = niceStep((hi - lo) / float64(k))
		b.start = math.Floor(lo/b.width) * b.width
		b.n = max(1, int(math.Ceil((hi-b.start)/b.width-1e-9)))
	}
	b.end = b.start + float64(b.n)*b.width
	return b
}

// fdBins is the Freedman–Diaconis bin count (bin width 2·IQR/∛n), kept
// within 10 to 60; quartiles of more than 50,000 values come from an evenly
// spaced sample of 50,000.
func fdBins(vs []float64, lo, hi float64) int {
	const sample = 50_000
	var xs []float64
	if len(vs) > sample {
		xs = make([]float64, sample)
		for i := range xs {
			xs[i] = vs[int(float64(i)*float64(len(vs))/sample)]
		}
	} else {
		xs = slices.Clone(vs)
	}
	slices.Sort(xs)
	iqr := quantile(xs, 0.75) - quantile(xs, 0.25)
	k := math.Ceil(math.Log2(float64(len(vs)))) + 1 // Sturges, when the IQR is 0
	if iqr > 0 {
		k = math.Ceil((hi - lo) / (2 * iqr / math.Cbrt(float64(len(vs)))))
	}
	return int(math.Max(10, math.Min(60, k)))
}

// quantile of sorted xs by linear interpolation.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(xs)-1)
	i := int(pos)
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[i] + (pos-float64(i))*(xs[i+1]-xs[i])
}

func allIntegers(vs []float64) bool {
	for _, v := range vs {
		if v != math.Trunc(v) {
			return false
		}
	}
	return true
}

// noData returns the placeholder chart and ErrNoData, saying why.
func noData(title, what string, s Stats) (*plot.Plot, error) {
	var reason string
	switch {
	case s.Rows == 0:
		reason = "no rows"
	case s.OutOfRange > 0:
		reason = fmt.Sprintf("all %s values are dropped or outside the range", numfmt.Int(s.Rows))
	case s.Dropped.NaN == 0 && s.Dropped.Inf == 0:
		reason = fmt.Sprintf("all %s values are NULL", numfmt.Int(s.Rows))
	default:
		reason = fmt.Sprintf("all %s values are NULL, NaN or Inf", numfmt.Int(s.Rows))
	}
	return emptyPlot(title, "Nothing to draw: "+reason, s), fmt.Errorf("%w: %s: %s", ErrNoData, what, reason)
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
