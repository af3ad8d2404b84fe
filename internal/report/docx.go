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
	"runtime"
	"strconv"
	"strings"

	"github.com/replicalab/replicalab/internal/atomicfile"
	"github.com/replicalab/replicalab/internal/child"

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

var dataImage = regexp.MustCompile(`src="data:image/(png|jpeg|gif|webp|svg\+xml);base64,([A-Za-z0-9+/=]+)"`)

// pictures writes every embedded image of page into dir as a file of its own and points the page at it
// (pandoc reads data URIs very slowly: 30 charts took 9 s, as files 0.1 s). SVG images are drawn as PNG at
// twice their size and placed at their size (at most the document's text width), since Google Docs shows
// no SVG. The drawings run in parallel, one per CPU; an image shown twice is written once.
func pictures(ctx context.Context, rsvg, dir string, page []byte) ([]byte, error) {
	type picture struct {
		file, kind string
		data       []byte
		size       string
		err        error
		done       chan struct{}
	}
	pics := map[string]*picture{}
	var order []*picture
	for _, m := range dataImage.FindAllSubmatch(page, -1) {
		key := string(m[2])
		if _, ok := pics[key]; ok {
			continue
		}
		data, err := base64.StdEncoding.DecodeString(key)
		if err != nil {
			return nil, fmt.Errorf("report: an embedded image is not valid base64: %w", err)
		}
		kind := string(m[1])
		ext := kind
		if kind == "svg+xml" || kind == "webp" {
			ext = "png"
		}
		p := &picture{file: fmt.Sprintf("picture-%d.%s", len(order)+1, ext), kind: kind, data: data, done: make(chan struct{})}
		pics[key] = p
		order = append(order, p)
	}
	sem := make(chan struct{}, runtime.NumCPU())
	for _, p := range order {
		go func() {
			defer close(p.done)
			out := p.data
			if p.kind == "svg+xml" || p.kind == "webp" {
				sem <- struct{}{}
				defer func() { <-sem }()
				cmd := child.Command(ctx, rsvg, "--zoom", "2", "--format", "png")
				if p.kind == "webp" { // rsvg-convert reads SVG only: wrap the picture
					cmd.Stdin = strings.NewReader(`<svg xmlns="http://www.w3.org/2000/svg"><image href="data:image/webp;base64,` + base64.StdEncoding.EncodeToString(p.data) + `"/></svg>`)
				} else {
					cmd.Stdin = bytes.NewReader(p.data)
				}
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if out, p.err = cmd.Output(); p.err != nil {
					p.err = fmt.Errorf("report: drawing an SVG chart as PNG with %s: %w: %s", rsvg, p.err, strings.TrimSpace(stderr.String()))
					return
				}
				if w, h := svgSize(p.data); w > 0 && h > 0 {
					if w > docxWidth {
						w, h = docxWidth, h*docxWidth/w
					}
					p.size = fmt.Sprintf(` width="%d" height="%d"`, int(w+0.5), int(h+0.5))
				}
			}
			p.err = os.WriteFile(filepath.Join(dir, p.file), out, 0o600)
		}()
	}
	for _, p := range order {
		<-p.done
		if p.err != nil {
			return nil, p.err
		}
	}
	return dataImage.ReplaceAllFunc(page, func(m []byte) []byte {
		p := pics[string(dataImage.FindSubmatch(m)[2])]
		return []byte(`src="` + p.file + `"` + p.size)
	}), nil
}

// writeDocx converts the prepared HTML into a .docx at path, replacing it only once pandoc succeeded.
func writeDocx(ctx context.Context, source []byte, path string) error {
	pandoc, rsvg, err := Pandoc()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "report-docx-*")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer os.RemoveAll(dir)
	page, err := pictures(ctx, rsvg, dir, source)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	// pandoc writes the document to stdout; atomicfile puts it in place whole.
	cmd := child.Command(ctx, pandoc, "--from", "html", "--to", "docx", "--resource-path", dir, "--output", "-")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(page)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("report: converting to .docx with %s: %w: %s", pandoc, err, strings.TrimSpace(stderr.String()))
	}
	if err := atomicfile.Write(abs, stdout.Bytes(), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
