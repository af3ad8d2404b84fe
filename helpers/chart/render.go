package chart

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/repo"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// maxInlineSVG is the size above which Show sends a PNG instead of an SVG
// (unless SVG() is given): a notebook stays fast to open and save.
const maxInlineSVG = 1 << 20

// margin is the white border around every chart.
const margin = vg.Length(6)

// render draws p as "svg" or "png" at its natural size (or Size) and returns
// the file's bytes. PNGs are drawn at 192 dots per inch (or DPI). SVG text
// names Liberation Sans with Arial, Helvetica and sans-serif as fallbacks,
// which have the same metrics, so labels keep their place without the font.
func render(p *plot.Plot, format string, o *options) ([]byte, error) {
	if p == nil {
		return nil, errors.New("chart: render: expected a plot, found nil")
	}
	w, h := size(p, o)
	var buf bytes.Buffer
	switch format {
	case "svg":
		c := vgsvg.NewWith(vgsvg.UseWH(w, h))
		if err := drawSafely(p, c); err != nil {
			return nil, err
		}
		if _, err := c.WriteTo(&buf); err != nil {
			return nil, fmt.Errorf("chart: render svg: %w", err)
		}
		return fontFallbacks(buf.Bytes()), nil
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(o.dpi))
		if err := drawSafely(p, c); err != nil {
			return nil, err
		}
		if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
			return nil, fmt.Errorf("chart: render png: %w", err)
		}
		return buf.Bytes(), nil
	default:
		return nil, fmt.Errorf("chart: render: expected format \"svg\" or \"png\", found %q", format)
	}
}

// drawSafely draws p on c, turning a panic inside gonum/plot (a plotter
// given bad data) into an error.
func drawSafely(p *plot.Plot, c vg.CanvasSizer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("chart: drawing failed: %v", r)
		}
	}()
	// A margin keeps labels at the edges (the last tick, a bar's count) off
	// the border.
	p.Draw(draw.Crop(draw.New(c), margin, -2*margin, margin, -margin))
	return nil
}

// fontFallbacks lets browsers without Liberation Sans use a metric-compatible
// face.
func fontFallbacks(svg []byte) []byte {
	return bytes.ReplaceAll(svg, []byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arimo,Arial,Helvetica,sans-serif;"))
}

// size is the drawing size: Size if given, else the chart's own, else 7.5 ×
// 4.5 inches.
func size(p *plot.Plot, o *options) (vg.Length, vg.Length) {
	if o.width > 0 {
		return o.width, o.height
	}
	if m, ok := lookup(p); ok && m.width > 0 {
		return m.width, m.height
	}
	return defaultWidth, defaultHeight
}

// output builds what Show sends: the image, its alt text, and for a PNG the
// size to show it at (in CSS pixels).
func output(p *plot.Plot, o *options) (display.Output, error) {
	alt := altText(p)
	format := o.format
	var svg []byte
	if format != "png" {
		var err error
		if svg, err = render(p, "svg", o); err != nil {
			return display.Output{}, err
		}
		if format == "" && len(svg) > maxInlineSVG {
			format = "png"
		}
	}
	if format == "png" {
		png, err := render(p, "png", o)
		if err != nil {
			return display.Output{}, err
		}
		w, h := size(p, o)
		return display.Output{
			Kind: display.Result, Text: alt, Data: map[string]any{"image/png": png},
			Metadata: map[string]any{"image/png": map[string]int{"width": cssPixels(w), "height": cssPixels(h)}},
		}, nil
	}
	return display.Output{Kind: display.Result, Text: alt, Data: map[string]any{"image/svg+xml": string(svg)}}, nil
}

// cssPixels converts a length to CSS pixels (96 per inch).
func cssPixels(l vg.Length) int { return int(l/vg.Inch*96 + 0.5) }

// altText is what a reader without images gets: the title and the note.
func altText(p *plot.Plot) string {
	t := strings.TrimSpace(p.Title.Text)
	if t == "" {
		t = "chart"
	}
	if m, ok := lookup(p); ok && m.stats.Note != "" {
		t += " (" + m.stats.Note + ")"
	}
	return t
}

// figureName checks a figure's file name.
func figureName(name string) (string, error) {
	base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(name), ".png"), ".svg")
	switch {
	case base == "":
		return "", fmt.Errorf("chart: save: expected a file name such as \"orders-per-day\", found %q", name)
	case strings.ContainsAny(base, `/\`) || base == "." || base == ".." || strings.HasPrefix(base, "."):
		return "", fmt.Errorf("chart: save: expected a file name without a folder or leading dot, found %q", name)
	case strings.ContainsAny(base, "\x00:*?\"<>|\n\r\t"):
		return "", fmt.Errorf("chart: save: expected a file name of letters, digits, - and _, found %q", name)
	}
	return base, nil
}

// FiguresDir is where Save writes: <repository>/reports/figures, the
// repository found by internal/repo ($REPLICALAB_REPO, set by the kernel,
// else the nearest folder above the working folder holding go.mod).
func FiguresDir() (string, error) {
	root, err := repo.Root("")
	if err != nil {
		return "", fmt.Errorf("chart: cannot find the repository: %w", err)
	}
	return filepath.Join(root, "reports", "figures"), nil
}
