package chart

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"

	"github.com/replicalab/replicalab/internal/numfmt"

	"github.com/go-gota/gota/dataframe"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// barPlot builds the chart of [Bar].
func barPlot(df dataframe.DataFrame, col string, opts ...Option) (*plot.Plot, error) {
	o, err := apply("Bar", opts, "Top")
	if err != nil {
		return nil, err
	}
	c, err := categorical(df, col)
	if err != nil {
		return nil, fmt.Errorf("chart: Bar: %w", err)
	}
	return bar(c, o)
}

// barOfPlot builds the chart of [BarOf].
func barOfPlot(name string, values []string, opts ...Option) (*plot.Plot, error) {
	o, err := apply("BarOf", opts, "Top")
	if err != nil {
		return nil, err
	}
	return bar(column{name: name, texts: values}, o)
}

// tally counts categories.
type tally struct {
	label string
	n     float64
}

// countCategories counts the non-NULL values of c, most common first (ties
// in label order).
func countCategories(c column) ([]tally, Dropped) {
	var d Dropped
	idx := map[string]int{}
	var out []tally
	for i, v := range c.texts {
		if c.isNull(i) {
			d.NULL++
			continue
		}
		j, ok := idx[v]
		if !ok {
			j = len(out)
			idx[v] = j
			out = append(out, tally{label: v})
		}
		out[j].n++
	}
	sortTallies(out)
	return out, d
}

func sortTallies(ts []tally) {
	slices.SortStableFunc(ts, func(a, b tally) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return cmp.Compare(a.label, b.label)
	})
}

// topN keeps the first n tallies and gathers the rest into "other (k values)".
func topN(ts []tally, n int) (kept []tally, other tally, hasOther bool) {
	if len(ts) <= n {
		return ts, tally{}, false
	}
	other = otherTally(len(ts) - n)
	for _, t := range ts[n:] {
		other.n += t.n
	}
	return ts[:n], other, true
}

// otherTally is the "other" category gathering k values.
func otherTally(k int) tally { return tally{label: fmt.Sprintf("other (%s values)", numfmt.Int(k))} }

func bar(c column, o *options) (*plot.Plot, error) {
	ts, dropped := countCategories(c)
	s := Stats{Rows: c.len(), Dropped: dropped}
	if len(ts) == 0 {
		return noData("Rows by "+c.name, "bar chart of "+quote(c.name), s)
	}
	kept, other, hasOther := topN(ts, o.top)
	for _, t := range ts {
		s.N += int(t.n)
	}
	return drawBar(c.name, kept, other, hasOther, len(ts), s), nil
}

// drawBar draws the kept categories, most common first, and "other";
// distinct is the number of categories, s.N the rows counted.
func drawBar(name string, kept []tally, other tally, hasOther bool, distinct int, s Stats) *plot.Plot {
	title := "Rows by " + name
	rows := slices.Clone(kept)
	colours := make([]color.Color, len(rows))
	for i := range colours {
		colours[i] = colour(0)
	}
	if hasOther {
		rows = append(rows, other)
		colours = append(colours, otherGrey)
		s.Other = int(other.n)
	}

	p := newPlot(title, "count", "", true, false)
	p.X.Tick.Marker = NumberTicks{Integer: true}
	n := len(rows)
	values := make([]float64, n)
	labels := make([]string, n)
	for i, t := range rows {
		// The first row goes at the top.
		values[n-1-i] = t.n
		labels[n-1-i] = shorten(t.label, 40)
	}
	b := &bars{values: values, colours: reverse(colours), width: 0.7, horizontal: true, valueLabels: true,
		labelStyle: style(sans, tickSize, softInk)}
	p.Add(b)
	nominal(&p.Y, labels)
	p.X.Min = 0
	extra := fmt.Sprintf("%s distinct", numfmt.Int(distinct))
	if hasOther {
		extra += fmt.Sprintf("; top %d shown, %s rows in other", len(kept), numfmt.Int(s.Other))
	}
	p = finish(p, s, extra)
	resize(p, defaultWidth, vg.Length(math.Max(3, math.Min(14, 1.3+0.32*float64(n))))*vg.Inch)
	return p
}

func reverse[T any](xs []T) []T {
	out := slices.Clone(xs)
	slices.Reverse(out)
	return out
}

// shorten cuts a label to at most n characters with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// nominal labels an axis with names at 0, 1, 2, ..., without tick marks.
func nominal(a *plot.Axis, names []string) {
	ticks := make([]plot.Tick, len(names))
	for i, n := range names {
		ticks[i] = plot.Tick{Value: float64(i), Label: n}
	}
	a.Tick.Marker = plot.ConstantTicks(ticks)
	a.Tick.Length = 0
	a.Min, a.Max = -0.5, float64(len(names))-0.5
}

// resize records a chart's natural size.
func resize(p *plot.Plot, w, h vg.Length) {
	if m, ok := lookup(p); ok {
		m.width, m.height = w, h
		remember(p, m)
	}
}

// bars draws one bar per category, in data units: category i is centred on
// i (plus offset), width is a fraction of the spacing between categories.
type bars struct {
	values      []float64
	colours     []color.Color // one per bar, or one for all
	width       float64
	offset      float64
	horizontal  bool
	valueLabels bool
	labelStyle  text.Style
}

func (b *bars) colourOf(i int) color.Color {
	if len(b.colours) == 1 {
		return b.colours[0]
	}
	return b.colours[i]
}

// Plot implements plot.Plotter.
func (b *bars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i, v := range b.values {
		cat := float64(i) + b.offset
		var rect vg.Rectangle
		if b.horizontal {
			rect = vg.Rectangle{Min: vg.Point{X: trX(math.Min(0, v)), Y: trY(cat - b.width/2)}, Max: vg.Point{X: trX(math.Max(0, v)), Y: trY(cat + b.width/2)}}
		} else {
			rect = vg.Rectangle{Min: vg.Point{X: trX(cat - b.width/2), Y: trY(math.Min(0, v))}, Max: vg.Point{X: trX(cat + b.width/2), Y: trY(math.Max(0, v))}}
		}
		c.FillPolygon(b.colourOf(i), c.ClipPolygonXY(rectPoints(rect)))
		if b.valueLabels && b.horizontal {
			sty := b.labelStyle
			sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
			c.FillText(sty, vg.Point{X: trX(v) + vg.Points(3), Y: trY(cat)}, formatValue(v))
		}
	}
}

func rectPoints(r vg.Rectangle) []vg.Point {
	return []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}}
}

// DataRange implements plot.DataRanger.
func (b *bars) DataRange() (xmin, xmax, ymin, ymax float64) {
	lo, hi := 0.0, 0.0
	for _, v := range b.values {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	cmin, cmax := -0.5, float64(len(b.values))-0.5
	if b.horizontal {
		return lo, hi, cmin, cmax
	}
	return cmin, cmax, lo, hi
}

// GlyphBoxes makes room for the value labels at the ends of the bars.
func (b *bars) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	if !b.valueLabels || !b.horizontal {
		return nil
	}
	var boxes []plot.GlyphBox
	for i, v := range b.values {
		w := b.labelStyle.Width(formatValue(v))
		h := b.labelStyle.Height(formatValue(v))
		boxes = append(boxes, plot.GlyphBox{X: p.X.Norm(v), Y: p.Y.Norm(float64(i) + b.offset), Rectangle: vg.Rectangle{
			Min: vg.Point{X: vg.Points(3), Y: -h / 2}, Max: vg.Point{X: vg.Points(3) + w, Y: h / 2},
		}})
	}
	return boxes
}

// Thumbnail implements plot.Thumbnailer.
func (b *bars) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(b.colourOf(0), rectPoints(c.Rectangle))
}
