package chart

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"os"
	"path/filepath"

	"github.com/go-gota/gota/dataframe"
	"github.com/replicalab/replicalab/internal/atomicfile"
	"gonum.org/v1/plot"

	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/provenance"
)

// Chart is a drawn chart: a gonum/plot Plot (adjust it as you would any,
// e.g. c.Y.Min = 0) with what it left out ([Chart.Stats]) and the error, if
// any, that kept it from being drawn.
//
// The error is kept in the chart, the way a gota DataFrame keeps its Err:
// a program checks c.Err; a notebook cell just calls Show, which shows the
// chart, or the error and stops the cell. A chart with nothing to draw (no
// rows, only NULLs) is drawn anyway, saying why, with an Err wrapping
// [ErrNoData]: Show displays it and the cell goes on.
type Chart struct {
	*plot.Plot
	Err   error
	Files []string // what Save wrote: the PNG, the SVG and the record of where the numbers came from (JSON)

	o       *options             // Title, PNG, SVG, Size, DPI
	frame   *dataframe.DataFrame // the DataFrame drawn from, whose lineage helpers/frame keeps
	queries []provenance.Lineage // the queries a SQL chart ran
	name    string               // the name Save wrote it under
}

func newChart(p *plot.Plot, err error, opts []Option) *Chart {
	c := &Chart{Plot: p, Err: err, o: displayOf(opts)}
	if p != nil && c.o.title != "" {
		p.Title.Text = c.o.title
	}
	return c
}

// Stats says what the chart drew and what it dropped, sampled or gathered
// into "other": the numbers of the note under its title.
func (c *Chart) Stats() Stats {
	if c == nil || c.Plot == nil {
		return Stats{}
	}
	m, _ := lookup(c.Plot)
	return m.stats
}

// String is the chart's alt text: its title and note, e.g. "Order totals
// (n = 9,812; 188 NULL dropped)", or its error.
func (c *Chart) String() string {
	switch {
	case c == nil || c.Plot == nil && c.Err == nil:
		return "<no chart>"
	case c.Plot == nil:
		return c.Err.Error()
	}
	return altText(c.Plot)
}

// drawable reports whether Show, HTML and Save have something to draw: a
// plot, and no error other than ErrNoData.
func (c *Chart) drawable() error {
	switch {
	case c == nil:
		return errors.New("chart: expected a chart, found nil")
	case c.Err != nil && !errors.Is(c.Err, ErrNoData):
		return c.Err
	case c.Plot == nil:
		return errors.New("chart: nothing was drawn")
	}
	return nil
}

// Show displays the chart: in a notebook an SVG (sharp at any zoom), or a
// PNG with the PNG option — drawn at twice the screen density and shown at
// its natural size, so it is crisp on HiDPI screens; an SVG larger than
// 1 MiB is sent as a PNG unless SVG is given. Elsewhere it writes the alt
// text. It waits until the notebook has the output, so it cannot be lost
// when the cell ends. A chart that could not be drawn shows its error and
// stops the cell.
func (c *Chart) Show() {
	if err := c.drawable(); err != nil {
		display.Stop(err)
		return
	}
	o, err := output(c.Plot, c.o)
	if err != nil {
		display.Stop(err)
		return
	}
	if o.Metadata == nil {
		o.Metadata = map[string]any{}
	}
	// Where the numbers came from, for exported reports: as JSON text (GoNB sends metadata with gob,
	// which knows no Record).
	if rec, err := json.Marshal(c.record()); err == nil {
		o.Metadata[provenance.MetadataKey] = string(rec)
	}
	display.Show(o)
}

// HTML returns the chart as an <img> element holding the image (SVG, or PNG
// with the PNG option) with its alt text; a chart that could not be drawn
// gives its error.
func (c *Chart) HTML() string {
	if err := c.drawable(); err != nil {
		return `<div style="color:#b00020">` + html.EscapeString(err.Error()) + `</div>`
	}
	o, err := output(c.Plot, c.o)
	if err != nil {
		return `<div style="color:#b00020">` + html.EscapeString(err.Error()) + `</div>`
	}
	alt := html.EscapeString(o.Text)
	rec := provenance.RecordAttrs(c.record())
	if png, ok := o.Data["image/png"].([]byte); ok {
		w, h := size(c.Plot, c.o)
		return fmt.Sprintf(`<img alt="%s" width="%d" height="%d" %s src="data:image/png;base64,%s">`,
			alt, cssPixels(w), cssPixels(h), rec, base64.StdEncoding.EncodeToString(png))
	}
	svg, _ := o.Data["image/svg+xml"].(string)
	return fmt.Sprintf(`<img alt="%s" %s src="data:image/svg+xml;base64,%s">`, alt, rec, base64.StdEncoding.EncodeToString([]byte(svg)))
}

// Render draws the chart as "svg" or "png" at its natural size (or Size)
// and returns the file's bytes. PNGs are drawn at 192 dots per inch (or
// DPI). SVG text names Liberation Sans with Arial, Helvetica and sans-serif
// as fallbacks, which have the same metrics, so labels keep their place
// without the font.
func (c *Chart) Render(format string) ([]byte, error) {
	if err := c.drawable(); err != nil {
		return nil, err
	}
	return render(c.Plot, format, c.o)
}

// Save writes the chart as name.png and name.svg into the repository's
// reports/figures folder (created if missing), replacing earlier versions,
// and records the paths in Files. The repository is $REPLICALAB_REPO (set
// by the kernel), else the nearest folder above the working directory
// holding a go.mod. name is a file name without a folder; a .png or .svg
// ending is dropped. A failure is kept in Err (and Show then reports it), so
// a cell can read
//
//	chart.Histogram(df, "total", chart.Title("Order totals")).Save("order-totals").Show()
func (c *Chart) Save(name string) *Chart {
	if c == nil {
		return c
	}
	if err := c.drawable(); err != nil {
		return c
	}
	paths, err := c.save(name)
	if err != nil {
		c.Err = err
		return c
	}
	c.Files = paths
	return c
}

func (c *Chart) save(name string) ([]string, error) {
	base, err := figureName(name)
	if err != nil {
		return nil, err
	}
	dir, err := FiguresDir()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("chart: save: %w", err)
	}
	var paths []string
	for _, format := range []string{"png", "svg"} {
		data, err := render(c.Plot, format, c.o)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, base+"."+format)
		if err := atomicfile.Write(path, data, 0o644); err != nil {
			return nil, fmt.Errorf("chart: save: %w", err)
		}
		paths = append(paths, path)
	}
	c.name = base
	sidecar, err := c.writeSidecar(dir, base, paths)
	if err != nil {
		return nil, err
	}
	return append(paths, sidecar), nil
}

// Of wraps a plot you drew yourself with gonum/plot, to Show, Save or Render
// it the way this package's charts are. Only the display options apply
// (Title, PNG, SVG, Size, DPI).
func Of(p *plot.Plot, opts ...Option) *Chart {
	if p == nil {
		return &Chart{Err: errors.New("chart: Of: expected a plot, found nil"), o: displayOf(opts)}
	}
	return newChart(p, nil, opts)
}
