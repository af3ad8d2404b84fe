package chart

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"github.com/replicalab/replicalab/internal/numfmt"

	"github.com/go-gota/gota/dataframe"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// boxPlot builds the chart of [Box].
func boxPlot(df dataframe.DataFrame, value string, opts ...Option) (*plot.Plot, error) {
	o, err := apply("Box", opts, "By", "Top")
	if err != nil {
		return nil, err
	}
	vc, err := numeric(df, value)
	if err != nil {
		return nil, fmt.Errorf("chart: Box: %w", err)
	}
	title := "Spread of " + value
	if o.by == "" {
		vs, d := finite(vc)
		s := Stats{Rows: vc.len(), N: len(vs), Dropped: d}
		if len(vs) == 0 {
			return noData(title, "box plot of "+quote(value), s)
		}
		return drawBoxes(title, "", value, []string{value}, [][]float64{vs}, false, s, ""), nil
	}
	g, err := categorical(df, o.by)
	if err != nil {
		return nil, fmt.Errorf("chart: Box: %w", err)
	}
	title = value + " by " + g.name
	s := Stats{Rows: vc.len()}
	groups := map[string][]float64{}
	var labels []string
	for r := range vc.nums {
		if !s.Dropped.count(vc.nums[r], vc.isNull(r)) {
			continue
		}
		label := "(NULL)"
		if !g.isNull(r) {
			label = g.texts[r]
		}
		labels = append(labels, label)
		groups[label] = append(groups[label], vc.nums[r])
	}
	s.N = len(labels)
	if s.N == 0 {
		return noData(title, "box plot of "+quote(value)+" by "+quote(g.name), s)
	}
	ts, _ := countCategories(column{texts: labels})
	kept, other, hasOther := topN(ts, o.top)
	var names []string
	var data [][]float64
	for _, t := range kept {
		names = append(names, t.label)
		data = append(data, groups[t.label])
	}
	extra := ""
	if hasOther {
		var pooled []float64
		for _, t := range ts[len(kept):] {
			pooled = append(pooled, groups[t.label]...)
		}
		names = append(names, other.label)
		data = append(data, pooled)
		s.Other = int(other.n)
		extra = fmt.Sprintf("top %d of %s %s shown, the rest pooled in other", len(kept), numfmt.Int(len(ts)), g.name)
	}
	return drawBoxes(title, g.name, value, names, data, hasOther, s, extra), nil
}

const maxOutliers = 200

func drawBoxes(title, xlabel, ylabel string, names []string, data [][]float64, hasOther bool, s Stats, extra string) *plot.Plot {
	boxes := make([]*box, len(data))
	for i, vs := range data {
		boxes[i] = newBox(float64(i), vs, colour(0))
	}
	return drawBoxStats(title, xlabel, ylabel, names, boxes, hasOther, s, extra)
}

// drawBoxStats draws boxes already computed (from values, or on the server),
// one per name; with hasOther the last is "other", in grey.
func drawBoxStats(title, xlabel, ylabel string, names []string, boxes []*box, hasOther bool, s Stats, extra string) *plot.Plot {
	p := newPlot(title, xlabel, ylabel, false, true)
	outliers, drawn := 0, 0
	for i, b := range boxes {
		b.x, b.colour = float64(i), colour(0)
		if hasOther && i == len(boxes)-1 {
			b.colour = otherGrey
		}
		outliers += b.outliers
		drawn += len(b.out)
		p.Add(b)
	}
	labels := make([]string, len(names))
	for i, n := range names {
		labels[i] = shorten(n, 24)
	}
	nominal(&p.X, labels)
	rotateIfCrowded(&p.X, labels, defaultWidth-1.2*vg.Inch)
	parts := []string{extra}
	if outliers > drawn {
		parts = append(parts, fmt.Sprintf("%s of %s outliers drawn", numfmt.Int(drawn), numfmt.Int(outliers)))
	}
	parts = append(parts, "whiskers 1.5 IQR")
	return finish(p, s, parts...)
}

// box is one box of a box plot, in data units on the x axis.
type box struct {
	x                      float64
	q1, median, q3, lo, hi float64
	min, max               float64
	out                    []float64
	outliers               int
	colour                 color.Color
}

func newBox(x float64, vs []float64, c color.Color) *box {
	xs := slices.Clone(vs)
	slices.Sort(xs)
	b := &box{x: x, colour: c, q1: quantile(xs, 0.25), median: quantile(xs, 0.5), q3: quantile(xs, 0.75), min: xs[0], max: xs[len(xs)-1]}
	iqr := b.q3 - b.q1
	loFence, hiFence := b.q1-1.5*iqr, b.q3+1.5*iqr
	b.lo, b.hi = b.q1, b.q3
	var out []float64
	for _, v := range xs {
		if v < loFence || v > hiFence {
			out = append(out, v)
			continue
		}
		b.lo, b.hi = math.Min(b.lo, v), math.Max(b.hi, v)
	}
	b.outliers = len(out)
	if len(out) > maxOutliers {
		// An even spread over the sorted outliers, both extremes included.
		keep := make([]float64, maxOutliers)
		for i := range keep {
			keep[i] = out[i*(len(out)-1)/(maxOutliers-1)]
		}
		out = keep
	}
	b.out = out
	return b
}

const boxWidth = 0.55

// Plot implements plot.Plotter.
func (b *box) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	left, right, mid := trX(b.x-boxWidth/2), trX(b.x+boxWidth/2), trX(b.x)
	line := draw.LineStyle{Color: ink, Width: vg.Points(1)}
	// Whiskers with caps.
	capW := (right - left) / 4
	c.StrokeLine2(line, mid, trY(b.hi), mid, trY(b.q3))
	c.StrokeLine2(line, mid, trY(b.lo), mid, trY(b.q1))
	c.StrokeLine2(line, mid-capW, trY(b.hi), mid+capW, trY(b.hi))
	c.StrokeLine2(line, mid-capW, trY(b.lo), mid+capW, trY(b.lo))
	// The box, then its median.
	rect := vg.Rectangle{Min: vg.Point{X: left, Y: trY(b.q1)}, Max: vg.Point{X: right, Y: trY(b.q3)}}
	c.FillPolygon(withAlpha(b.colour, 0x66), rectPoints(rect))
	c.StrokeLines(line, append(rectPoints(rect), rect.Min))
	c.StrokeLine2(draw.LineStyle{Color: ink, Width: vg.Points(2)}, left, trY(b.median), right, trY(b.median))
	g := draw.GlyphStyle{Color: withAlpha(ink, 0x99), Radius: vg.Points(1.8), Shape: draw.RingGlyph{}}
	for _, v := range b.out {
		c.DrawGlyph(g, vg.Point{X: mid, Y: trY(v)})
	}
}

// DataRange implements plot.DataRanger.
func (b *box) DataRange() (xmin, xmax, ymin, ymax float64) {
	return b.x - 0.5, b.x + 0.5, b.min, b.max
}

// GlyphBoxes keeps the outlier dots inside the canvas.
func (b *box) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	r := vg.Points(2)
	return []plot.GlyphBox{
		{X: p.X.Norm(b.x), Y: p.Y.Norm(b.min), Rectangle: vg.Rectangle{Min: vg.Point{X: -r, Y: -r}, Max: vg.Point{X: r, Y: r}}},
		{X: p.X.Norm(b.x), Y: p.Y.Norm(b.max), Rectangle: vg.Rectangle{Min: vg.Point{X: -r, Y: -r}, Max: vg.Point{X: r, Y: r}}},
	}
}
