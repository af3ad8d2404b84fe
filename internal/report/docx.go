package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The commentable export is a Word document (.docx), which Word, Google Docs and LibreOffice open with
// their comments and suggestions. It is made by pandoc from the report's HTML; charts drawn as SVG become
// PNG (rsvg-convert, from librsvg) since Google Docs shows no SVG.

// docxWidth is the widest a picture is placed in the document: the text width of A4 and Letter with
// Word's default margins (6.5 inches), in CSS pixels.
const docxWidth = 624

// Pandoc finds pandoc and rsvg-convert.
func Pandoc() (pandoc, rsvg string, err error) {
	if pandoc, err = exec.LookPath("pandoc"); err != nil {
		return "", "", errors.New("report: the .docx export needs pandoc (Debian/Ubuntu: apt-get install pandoc; make pandoc)")
	}
	if rsvg, err = exec.LookPath("rsvg-convert"); err != nil {
		return "", "", errors.New("report: the .docx export needs rsvg-convert to turn SVG charts into pictures (Debian/Ubuntu: apt-get install librsvg2-bin; make pandoc)")
	}
	return pandoc, rsvg, nil
}

// docxSource is the report's HTML as pandoc should read it: without the page's styles and table of
// contents (Word makes its own), the title once (as the document's title), and stacked tables as ordinary
// tables (Word wraps their cells). Images stay as they are; rasterize turns SVG into PNG afterwards.
func docxSource(page []byte) ([]byte, error) {
	doc, err := xhtml.Parse(bytes.NewReader(page))
	if err != nil {
		return nil, fmt.Errorf("report: reading the report for the .docx: %w", err)
	}
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			if c.Type == xhtml.ElementNode {
				switch {
				case c.DataAtom == atom.Style, c.DataAtom == atom.Nav,
					c.DataAtom == atom.H1 && strings.Contains(attr(c, "class"), "title"):
					n.RemoveChild(c)
					c = next
					continue
				case c.DataAtom == atom.Table:
					setAttr(c, "class", "")
				}
			}
			walk(c)
			c = next
		}
	}
	walk(doc)
	var b bytes.Buffer
	if err := xhtml.Render(&b, doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

var svgImage = regexp.MustCompile(`src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"`)

// svgSize reads an SVG's width and height (in points, pixels or inches) as CSS pixels.
var svgDims = regexp.MustCompile(`<svg[^>]*?\swidth="([\d.]+)(pt|px|in)?"[^>]*?\sheight="([\d.]+)(pt|px|in)?"`)

func svgSize(svg []byte) (w, h float64) {
	m := svgDims.FindSubmatch(svg)
	if m == nil {
		return 0, 0
	}
	px := func(v, unit []byte) float64 {
		f, _ := strconv.ParseFloat(string(v), 64)
		switch string(unit) {
		case "pt":
			return f * 96 / 72
		case "in":
			return f * 96
		}
		return f
	}
	return px(m[1], m[2]), px(m[3], m[4])
}

// rasterize replaces every SVG image by a PNG drawn at twice its size, placed at its size (at most the
// document's text width).
func rasterize(ctx context.Context, rsvg string, page []byte) ([]byte, error) {
	var firstErr error
	out := svgImage.ReplaceAllFunc(page, func(m []byte) []byte {
		if firstErr != nil {
			return m
		}
		svg, err := base64.StdEncoding.DecodeString(string(svgImage.FindSubmatch(m)[1]))
		if err != nil {
			firstErr = fmt.Errorf("report: an SVG image is not valid base64: %w", err)
			return m
		}
		cmd := exec.CommandContext(ctx, rsvg, "--zoom", "2", "--format", "png")
		cmd.Stdin = bytes.NewReader(svg)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		png, err := cmd.Output()
		if err != nil {
			firstErr = fmt.Errorf("report: drawing an SVG chart as PNG with %s: %w: %s", rsvg, err, strings.TrimSpace(stderr.String()))
			return m
		}
		w, h := svgSize(svg)
		size := ""
		if w > 0 && h > 0 {
			if w > docxWidth {
				w, h = docxWidth, h*docxWidth/w
			}
			size = fmt.Sprintf(` width="%d" height="%d"`, int(w+0.5), int(h+0.5))
		}
		return []byte(`src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(png) + `"` + size)
	})
	return out, firstErr
}

// writeDocx converts the prepared HTML into a .docx at path, replacing it only once pandoc succeeded.
func writeDocx(ctx context.Context, source []byte, path string) error {
	pandoc, rsvg, err := Pandoc()
	if err != nil {
		return err
	}
	page, err := rasterize(ctx, rsvg, source)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.docx")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	cmd := exec.CommandContext(ctx, pandoc, "--from", "html", "--to", "docx", "--output", tmp.Name())
	cmd.Stdin = bytes.NewReader(page)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("report: converting to .docx with %s: %w: %s", pandoc, err, strings.TrimSpace(stderr.String()))
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
