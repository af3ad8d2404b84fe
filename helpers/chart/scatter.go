package chart

import (
	"fmt"
	"image/color"
	"math/rand/v2"

	"github.com/replicalab/replicalab/internal/numfmt"

	"github.com/go-gota/gota/dataframe"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// scatterPlot builds the chart of [Scatter].
func scatterPlot(df dataframe.DataFrame, x, y string, opts ...Option) (*plot.Plot, error) {
	o, err := apply("Scatter", opts, "By", "MaxPoints")
	if err != nil {
		return nil, err
	}
	xc, err := numeric(df, x)
	if err != nil {
		return nil, fmt.Errorf("chart: Scatter: %w", err)
	}
	yc, err := numeric(df, y)
	if err != nil {
		return nil, fmt.Errorf("chart: Scatter: %w", err)
	}
	var g *column
	if o.by != "" {
		c, err := categorical(df, o.by)
		if err != nil {
			return nil, fmt.Errorf("chart: Scatter: %w", err)
		}
		g = &c
	}
	return scatter(xc, yc, g, o)
}

// scatterOfPlot builds the chart of [ScatterOf].
func scatterOfPlot(xName string, xs []float64, yName string, ys []float64, opts ...Option) (*plot.Plot, error) {
	o, err := apply("ScatterOf", opts, "MaxPoints")
	if err != nil {
		return nil, err
	}
	if len(xs) != len(ys) {
		return nil, fmt.Errorf("chart: ScatterOf: expected as many ys as xs, found %d xs and %d ys", len(xs), len(ys))
	}
	return scatter(column{name: xName, nums: xs}, column{name: yName, nums: ys}, nil, o)
}

func scatter(xc, yc column, g *column, o *options) (*plot.Plot, error) {
	title := yc.name + " vs " + xc.name
	if g != nil {
		title += " by " + g.name
	}
	xs, ys, rows, dropped := pairs(xc, yc)
	s := Stats{Rows: xc.len(), N: len(xs), Dropped: dropped}
	if len(xs) == 0 {
		return noData(title, "scatter of "+quote(yc.name)+" vs "+quote(xc.name), s)
	}
	var extra []string
	if len(xs) > o.maxPoints {
		keep := sample(len(xs), o.maxPoints)
		xs, ys, rows = pick(xs, keep), pick(ys, keep), pickInt(rows, keep)
		s.Shown = len(keep)
		extra = append(extra, fmt.Sprintf("showing a random %s of %s points", numfmt.Int(s.Shown), numfmt.Int(s.N)))
	}
	p := newPlot(title, xc.name, yc.name, true, true)
	shown := len(xs)
	radius, alpha := vg.Points(2.6), uint8(0xcc)
	switch {
	case shown > 5000:
		radius, alpha = vg.Points(1.4), 0x66
	case shown > 1000:
		radius, alpha = vg.Points(1.9), 0x99
	}
	dots := func(xs, ys []float64, c color.Color) (*plotter.Scatter, error) {
		sc, err := plotter.NewScatter(xyOf(xs, ys))
		if err != nil {
			return nil, fmt.Errorf("chart: scatter: %w", err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: withAlpha(c, alpha), Radius: radius, Shape: draw.CircleGlyph{}}
		return sc, nil
	}
	if g == nil {
		sc, err := dots(xs, ys, colour(0))
		if err != nil {
			return nil, err
		}
		p.Add(sc)
		return finish(p, s, extra...), nil
	}
	// Colour by group, ranked over every drawable row, not just the sample,
	// so the legend does not depend on the sampling. A NULL group is a
	// group of its own, "(NULL)".
	groupOf := func(r int) string {
		if g.isNull(r) {
			return "(NULL)"
		}
		return g.texts[r]
	}
	_, _, allRows, _ := pairs(xc, yc)
	all := make([]string, len(allRows))
	for i, r := range allRows {
		all[i] = groupOf(r)
	}
	ts, _ := countCategories(column{texts: all})
	kept, other, hasOther := topN(ts, maxColours-1)
	slot := map[string]int{}
	for i, t := range kept {
		slot[t.label] = i
	}
	n := len(kept)
	if hasOther {
		n++
	}
	gx, gy := make([][]float64, n), make([][]float64, n)
	for i, r := range rows {
		j, ok := slot[groupOf(r)]
		if !ok {
			j = n - 1
		}
		gx[j], gy[j] = append(gx[j], xs[i]), append(gy[j], ys[i])
	}
	if hasOther {
		s.Other = int(other.n)
		extra = append(extra, fmt.Sprintf("%s rows in other %s", numfmt.Int(s.Other), g.name))
	}
	// Other first, underneath; then the groups from the most common, so the
	// rarest are drawn last, on top, and stay visible.
	order := make([]int, 0, n)
	if hasOther {
		order = append(order, n-1)
	}
	for j := range kept {
		order = append(order, j)
	}
	for _, j := range order {
		c := colour(j)
		if hasOther && j == n-1 {
			c = otherGrey
		}
		if len(gx[j]) == 0 {
			continue
		}
		sc, err := dots(gx[j], gy[j], c)
		if err != nil {
			return nil, err
		}
		p.Add(sc)
	}
	// Legend in rank order, with opaque swatches.
	for j := 0; j < n; j++ {
		c, label := colour(j), ""
		if hasOther && j == n-1 {
			c, label = otherGrey, "other"
		} else {
			label = shorten(kept[j].label, 30)
		}
		p.Legend.Add(label, swatch{c})
	}
	p.Add(legendSpace{})
	return finish(p, s, extra...), nil
}

// swatch is a legend thumbnail: one dot.
type swatch struct{ c color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	c.DrawGlyph(draw.GlyphStyle{Color: s.c, Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}, c.Center())
}

// sample picks k of n indices, in increasing order, reproducibly (Knuth's
// selection sampling with a fixed seed): every index is equally likely.
func sample(n, k int) []int {
	r := rand.New(rand.NewPCG(20240331, 2))
	out := make([]int, 0, k)
	for i := 0; i < n && len(out) < k; i++ {
		if r.IntN(n-i) < k-len(out) {
			out = append(out, i)
		}
	}
	return out
}

func pick(vs []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for i, j := range idx {
		out[i] = vs[j]
	}
	return out
}

func pickInt(vs []int, idx []int) []int {
	out := make([]int, len(idx))
	for i, j := range idx {
		out[i] = vs[j]
	}
	return out
}
