package chart

import (
	"github.com/replicalab/replicalab/internal/numfmt"
	"runtime"
	"strings"
	"sync"
	"weak"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Stats says what a chart made of its input: how many values it drew, what
// it dropped, sampled or gathered into "other". The chart shows the same as
// a note under its title, e.g. "n = 9,812; 188 NULL dropped".
type Stats struct {
	Rows       int     // input rows or values
	N          int     // values drawn or counted, after dropping
	Dropped    Dropped // NULL, NaN and Inf left out
	Shown      int     // points drawn when a scatter is sampled; else N
	Other      int     // values gathered into "other", or left out with the groups beyond Top
	OutOfRange int     // values outside Range or Between
	Note       string  // the note shown under the title
}

type meta struct {
	stats         Stats
	width, height vg.Length
	note          *note // the note drawn under the title
}

// registry remembers each chart's stats and size without keeping the chart
// alive.
var registry sync.Map // weak.Pointer[plot.Plot] → meta

func remember(p *plot.Plot, m meta) {
	w := weak.Make(p)
	if _, loaded := registry.Swap(w, m); !loaded {
		runtime.AddCleanup(p, func(w weak.Pointer[plot.Plot]) { registry.Delete(w) }, w)
	}
}

func lookup(p *plot.Plot) (meta, bool) {
	v, ok := registry.Load(weak.Make(p))
	if !ok {
		return meta{}, false
	}
	return v.(meta), true
}

// finish writes the note, adds it under the title and records the stats.
func finish(p *plot.Plot, s Stats, extra ...string) *plot.Plot {
	parts := []string{"n = " + numfmt.Int(s.N)}
	if d := s.Dropped.String(); d != "" {
		parts = append(parts, d)
	}
	for _, e := range extra {
		if e != "" {
			parts = append(parts, e)
		}
	}
	s.Note = strings.Join(parts, "; ")
	if s.Shown == 0 {
		s.Shown = s.N
	}
	return finishNote(p, s, defaultWidth, defaultHeight)
}

func finishNote(p *plot.Plot, s Stats, w, h vg.Length) *plot.Plot {
	n := &note{text: s.Note, style: style(sans, noteSize, softInk)}
	n.style.XAlign, n.style.YAlign = draw.XCenter, draw.YBottom
	p.Add(n)
	// Keep the legend below the note.
	p.Legend.YOffs = -(n.height() + noteGap)
	remember(p, meta{stats: s, width: w, height: h, note: n})
	return p
}

// relabel adds of (the part of the query's rows the chart drew: "of ≈5,000,000 rows, cut by the row
// limit") right after the note's "n = …".
func relabel(p *plot.Plot, of string) {
	m, ok := lookup(p)
	if of == "" || !ok || m.note == nil || !strings.HasPrefix(m.note.text, "n = ") || strings.Contains(m.note.text, of) {
		return
	}
	first, rest, _ := strings.Cut(m.note.text, "; ")
	text := first + " " + of
	if rest != "" {
		text += "; " + rest
	}
	m.note.text = text
	m.stats.Note = text
	remember(p, m)
}

const noteGap = vg.Length(6)

// note draws one line of small grey text between the title and the data.
type note struct {
	text  string
	style text.Style
}

func (n *note) height() vg.Length { return n.style.Height(n.text) }

// Plot implements plot.Plotter.
func (n *note) Plot(c draw.Canvas, _ *plot.Plot) {
	c.FillText(n.style, vg.Point{X: c.Center().X, Y: c.Max.Y + noteGap}, n.text)
}

// GlyphBoxes reserves the note's line above the data area.
func (n *note) GlyphBoxes(*plot.Plot) []plot.GlyphBox {
	return []plot.GlyphBox{{Y: 1, Rectangle: vg.Rectangle{
		Min: vg.Point{Y: noteGap},
		Max: vg.Point{Y: noteGap + n.height() + 2},
	}}}
}

// message draws a sentence in the middle of an empty chart.
type message struct {
	text  string
	style text.Style
}

func (m message) Plot(c draw.Canvas, _ *plot.Plot) {
	c.FillText(m.style, c.Center(), m.text)
}

// emptyPlot is the chart returned with ErrNoData: its title, and why there
// is nothing to draw.
func emptyPlot(title, reason string, s Stats) *plot.Plot {
	p := newPlot(title, "", "", false, false)
	p.HideAxes()
	m := message{text: reason, style: style(sans, labelSize, softInk)}
	m.style.XAlign, m.style.YAlign = draw.XCenter, draw.YCenter
	p.Add(m)
	s.Note = "n = 0"
	if d := s.Dropped.String(); d != "" {
		s.Note += "; " + d
	}
	return finishNote(p, s, defaultWidth, 2.5*vg.Inch)
}

// legendSpace keeps the data clear of the legend: it reserves a column on
// the right as wide as the legend, where gonum/plot draws it. Add it after
// the legend entries.
type legendSpace struct{}

// Plot implements plot.Plotter; the space stays empty.
func (legendSpace) Plot(draw.Canvas, *plot.Plot) {}

// GlyphBoxes implements plot.GlyphBoxer.
func (legendSpace) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	w := p.Legend.Rectangle(draw.Canvas{}).Size().X
	if w <= 0 {
		return nil
	}
	return []plot.GlyphBox{{X: 1, Rectangle: vg.Rectangle{Max: vg.Point{X: w + vg.Points(12)}}}}
}
