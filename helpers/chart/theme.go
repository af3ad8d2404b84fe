package chart

import (
	"github.com/replicalab/replicalab/internal/numfmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The theme: one sans-serif face, dark grey ink, light grid, and a palette
// that stays distinguishable for colour-blind readers (Okabe & Ito's, with a
// brown in place of its pale yellow). "other" is always grey.
var (
	ink        = color.RGBA{0x22, 0x22, 0x22, 0xff}
	softInk    = color.RGBA{0x55, 0x55, 0x55, 0xff}
	axisColor  = color.RGBA{0x88, 0x88, 0x88, 0xff}
	gridColor  = color.RGBA{0xe6, 0xe6, 0xe6, 0xff}
	otherGrey  = color.RGBA{0xa0, 0xa0, 0xa0, 0xff}
	colorWhite = color.White

	// Palette is the order in which series get their colours.
	Palette = []color.Color{
		color.RGBA{0x00, 0x72, 0xb2, 0xff}, // blue
		color.RGBA{0xe6, 0x9f, 0x00, 0xff}, // orange
		color.RGBA{0x00, 0x9e, 0x73, 0xff}, // bluish green
		color.RGBA{0xd5, 0x5e, 0x00, 0xff}, // vermillion
		color.RGBA{0xcc, 0x79, 0xa7, 0xff}, // reddish purple
		color.RGBA{0x56, 0xb4, 0xe9, 0xff}, // sky blue
		color.RGBA{0xa6, 0x76, 0x1d, 0xff}, // brown
	}

	sans     = font.Font{Typeface: "Liberation", Variant: "Sans"}
	sansBold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
)

// Font sizes in points.
const (
	titleSize  = 13
	labelSize  = 11
	tickSize   = 9.5
	legendSize = 10
	noteSize   = 9.5
)

// Default sizes for a chart.
const (
	defaultWidth  = 7.5 * vg.Inch
	defaultHeight = 4.5 * vg.Inch
)

func colour(i int) color.Color { return Palette[i%len(Palette)] }

func withAlpha(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	// Non-premultiplied colour, converted by the canvases.
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), a}
}

func style(f font.Font, size vg.Length, c color.Color) text.Style {
	return text.Style{Color: c, Font: font.From(f, size), Handler: plot.DefaultTextHandler}
}

// newPlot returns a plot in the package's theme with a title, axis labels and
// light grid lines across the x axis (vertical lines) and/or the y axis.
func newPlot(title, xlabel, ylabel string, vertical, horizontal bool) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle = style(sansBold, titleSize, ink)
	p.Title.TextStyle.XAlign, p.Title.TextStyle.YAlign = draw.XCenter, draw.YTop
	p.Title.Padding = vg.Points(4)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle = style(sans, labelSize, ink)
		a.Label.TextStyle.XAlign, a.Label.TextStyle.YAlign = draw.XCenter, draw.YBottom
		a.Label.Padding = vg.Points(4)
		a.Tick.Label = style(sans, tickSize, softInk)
		a.LineStyle = draw.LineStyle{Color: axisColor, Width: vg.Points(0.6)}
		a.Tick.LineStyle = draw.LineStyle{Color: axisColor, Width: vg.Points(0.6)}
		a.Tick.Length = vg.Points(4)
		a.Tick.Marker = NumberTicks{}
		a.Padding = vg.Points(4)
	}
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XCenter, draw.YTop
	p.Y.Tick.Label.XAlign, p.Y.Tick.Label.YAlign = draw.XRight, draw.YCenter
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	p.Legend.TextStyle = style(sans, legendSize, ink)
	p.Legend.Top = true
	p.Legend.ThumbnailWidth = vg.Points(14)
	p.Legend.Padding = vg.Points(2)
	g := plotter.NewGrid()
	g.Vertical, g.Horizontal = draw.LineStyle{}, draw.LineStyle{}
	if vertical {
		g.Vertical = draw.LineStyle{Color: gridColor, Width: vg.Points(0.6)}
	}
	if horizontal {
		g.Horizontal = draw.LineStyle{Color: gridColor, Width: vg.Points(0.6)}
	}
	p.Add(g)
	return p
}

// NumberTicks marks a numeric axis with 4 to 8 round values, labelled with
// thousands separators (12,500) and only the decimals the step needs. It is
// the theme's default; set it on a plot of your own with
// p.Y.Tick.Marker = chart.NumberTicks{}.
type NumberTicks struct {
	// Integer keeps the step at 1 or more, for counts.
	Integer bool
}

// Ticks implements plot.Ticker.
func (nt NumberTicks) Ticks(lo, hi float64) []plot.Tick {
	values, step := niceTicks(lo, hi, 6)
	if nt.Integer && step != math.Trunc(step) {
		// Counts step by whole numbers: 1 below 1, 2 instead of 2.5.
		step = math.Max(1, math.Floor(step))
		values = nil
		for v := math.Ceil(lo/step) * step; v <= hi && len(values) < 1000; v += step {
			values = append(values, v)
		}
	}
	ticks := make([]plot.Tick, len(values))
	for i, v := range values {
		ticks[i] = plot.Tick{Value: v, Label: formatNumber(v, step)}
	}
	return ticks
}

// niceTicks returns round values spaced by a 1, 2, 2.5 or 5 × 10^k step,
// about target of them, covering [lo, hi].
func niceTicks(lo, hi float64, target int) ([]float64, float64) {
	if isBad(lo) || isBad(hi) {
		return nil, 0
	}
	if hi < lo {
		lo, hi = hi, lo
	}
	if hi == lo {
		return []float64{lo}, math.Max(math.Abs(lo), 1)
	}
	step := niceStep((hi - lo) / float64(target))
	first := math.Ceil(lo/step-1e-9) * step
	var out []float64
	for i := 0; ; i++ {
		v := first + float64(i)*step
		if v > hi+step*1e-9 || i > 1000 {
			break
		}
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		out = append(out, v)
	}
	return out, step
}

// niceStep rounds x up to 1, 2, 2.5 or 5 × 10^k.
func niceStep(x float64) float64 {
	if x <= 0 || isBad(x) {
		return 1
	}
	e := math.Floor(math.Log10(x))
	f := x / math.Pow(10, e)
	var m float64
	switch {
	case f <= 1:
		m = 1
	case f <= 2:
		m = 2
	case f <= 2.5:
		m = 2.5
	case f <= 5:
		m = 5
	default:
		m = 10
	}
	return m * math.Pow(10, e)
}

// formatNumber formats a tick value with the decimals its step needs.
func formatNumber(v, step float64) string {
	a := math.Abs(v)
	if a != 0 && (a >= 1e15 || a < 1e-4) || step < 1e-6 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	decimals := 0
	for s := step; decimals < 10 && math.Abs(s-math.Round(s)) > 1e-9*math.Max(1, math.Abs(step)); s *= 10 {
		decimals++
	}
	txt := strconv.FormatFloat(v, 'f', decimals, 64)
	intPart, frac, _ := strings.Cut(txt, ".")
	neg := strings.HasPrefix(intPart, "-")
	n, err := strconv.Atoi(strings.TrimPrefix(intPart, "-"))
	if err != nil {
		return txt
	}
	out := numfmt.Int(n)
	if neg {
		out = "−" + out // a true minus sign reads better than a hyphen
	}
	if frac != "" {
		out += "." + frac
	}
	return out
}

// formatValue formats a data value (a bin edge, a count) compactly.
func formatValue(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return numfmt.Int(int(v))
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}
