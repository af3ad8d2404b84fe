package report

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// A View is a width a report must fit: a screen, or the printable width of a paper.
type View struct {
	Name  string
	Width float64 // CSS pixels
	Print bool    // laid out for print (@media print), as a PDF is
}

// Views are the widths a report is checked at: a 1200-pixel screen, and A4 and Letter paper.
var Views = []View{
	{Name: "screen 1200 px", Width: 1200},
	{Name: "A4", Width: A4.contentWidth(), Print: true},
	{Name: "Letter", Width: Letter.contentWidth(), Print: true},
}

// Overflow is an element that does not fit.
type Overflow struct {
	Element string  // tag.class, and the start of its text
	Right   float64 // where it ends, in CSS pixels
	Limit   float64 // where the text column ends
	Clipped bool    // its content is wider than its box, which hides the rest
}

func (o Overflow) String() string {
	if o.Clipped {
		return fmt.Sprintf("%s hides content wider than its box", o.Element)
	}
	return fmt.Sprintf("%s ends at %.0f px, past the text column (%.0f px)", o.Element, o.Right, o.Limit)
}

// ViewCheck is what a report looks like at one View.
type ViewCheck struct {
	View
	Column    float64    // width of the text column, CSS pixels
	Widest    float64    // widest element, CSS pixels
	Elements  int        // elements measured
	Overflows []Overflow // elements that do not fit
}

// Checked is the result of CheckReport: the layout at every View, and what a reader should find.
type Checked struct {
	Views          []ViewCheck
	Freshness      int      // freshness statements in the header (want 1)
	Notes          int      // sections with a freshness note of their own
	StrayLines     []string // banner or load lines left in the body (want none)
	Figures        int      // figures and tables
	WithSQL        int      // of which the appendix gives the query
	MissingSQL     []string // those it does not
	DeveloperNotes []string // hints to the analyst or dead interactive text left in the report
}

// Problems lists, in words, what is wrong.
func (c *Checked) Problems() []string {
	var p []string
	for _, v := range c.Views {
		for _, o := range v.Overflows {
			p = append(p, v.Name+": "+o.String())
		}
	}
	if c.Freshness != 1 {
		p = append(p, fmt.Sprintf("%d freshness statements in the header, want 1", c.Freshness))
	}
	for _, s := range c.StrayLines {
		p = append(p, "a provenance line in the body: "+s)
	}
	for _, s := range c.MissingSQL {
		p = append(p, s+" has no query in the appendix")
	}
	for _, s := range c.DeveloperNotes {
		p = append(p, "text meant for the analyst: "+s)
	}
	return p
}

// measureJS measures every visible element against the text column (main's content box) and reports the
// ones that end past it or hide part of their content, plus what the content checks need.
const measureJS = `(() => {
  const main = document.querySelector('main');
  const ms = getComputedStyle(main), mr = main.getBoundingClientRect();
  const left = mr.left + parseFloat(ms.paddingLeft), right = mr.right - parseFloat(ms.paddingRight);
  const name = el => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '') +
    ' "' + (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 60) + '"';
  const out = {column: right - left, widest: 0, elements: 0, overflows: []};
  for (const el of main.querySelectorAll('*')) {
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    out.elements++;
    out.widest = Math.max(out.widest, r.width);
    if (r.right > right + 1 || r.left < left - 1) {
      out.overflows.push({element: name(el), right: r.right - left, limit: right - left, clipped: false});
      continue;
    }
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1 && !['img','svg','video','canvas'].includes(el.tagName.toLowerCase())) {
      // Content wider than its box: hidden behind a scroll bar, or spilling out of it.
      const clipped = cs.overflowX !== 'visible';
      const end = r.left + el.scrollWidth;
      if (clipped || end > right + 1) out.overflows.push({element: name(el), right: end - left, limit: right - left, clipped});
    }
  }
  if (document.documentElement.scrollWidth > document.documentElement.clientWidth + 1) {
    out.overflows.push({element: 'the page', right: document.documentElement.scrollWidth, limit: document.documentElement.clientWidth, clipped: false});
  }
  return out;
})()`

// contentJS gathers the content checks: freshness statements, stray provenance lines, figures and their
// queries, and text meant for the analyst.
const contentJS = `(() => {
  const text = el => (el.textContent || '').trim().replace(/\s+/g, ' ');
  const body = Array.from(document.querySelectorAll('article, section.appendix'));
  const stray = [], dev = [];
  const strayRe = /(Data read|read replica, lag|replica lag \d|lag \d+(\.\d+)? s, read-only|rows? from \S+@)/;
  const devRe = /(Click (a|the) header|click to sort|use (explore|frame|chart|replica|questions)\.[A-Z]\w*|\b(explore|frame|chart|replica)\.[A-Z]\w*\(\))/i;
  for (const root of body) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const p = n.parentElement;
      if (p.closest('.freshness-note, pre.code, pre.sql, dl.facts, .source')) continue;
      const t = n.textContent.trim();
      if (strayRe.test(t)) stray.push(t.slice(0, 100));
      if (devRe.test(t)) dev.push(t.slice(0, 100));
    }
  }
  const missing = [];
  let figures = 0, withSQL = 0;
  for (const cap of document.querySelectorAll('article .caption, section.appendix .caption')) {
    figures++;
    const a = cap.querySelector('a[href^="#source-"]');
    let src = a && document.getElementById(a.getAttribute('href').slice(1));
    const same = src && !src.querySelector('pre.sql') && src.querySelector('a.same-query');
    if (same) src = document.getElementById(same.getAttribute('href').slice(1));
    if (src && src.querySelector('pre.sql')) withSQL++; else missing.push(text(cap).split('.')[0]);
  }
  return {freshness: document.querySelectorAll('header .freshness').length,
    notes: document.querySelectorAll('.freshness-note').length, stray, dev, figures, withSQL, missing};
})()`

type measured struct {
	Column    float64 `json:"column"`
	Widest    float64 `json:"widest"`
	Elements  int     `json:"elements"`
	Overflows []struct {
		Element string  `json:"element"`
		Right   float64 `json:"right"`
		Limit   float64 `json:"limit"`
		Clipped bool    `json:"clipped"`
	} `json:"overflows"`
}

type contents struct {
	Freshness int      `json:"freshness"`
	Notes     int      `json:"notes"`
	Stray     []string `json:"stray"`
	Dev       []string `json:"dev"`
	Figures   int      `json:"figures"`
	WithSQL   int      `json:"withSQL"`
	Missing   []string `json:"missing"`
}

// CheckReport opens a written report in headless Chromium at every View and measures it: no element may
// end past the text column or hide part of its content, the header must hold one freshness statement and
// the body no banner or load line, every figure and table must have its query in the appendix, and no
// hint meant for the analyst may remain. shots, when not nil, receives a full-page PNG of each view.
func CheckReport(ctx context.Context, htmlPath string, shots func(View, []byte) error) (*Checked, error) {
	b, err := newBrowser(ctx)
	if err != nil {
		return nil, err
	}
	defer b.close()
	return b.check(htmlPath, shots)
}

func (b *browser) check(htmlPath string, shots func(View, []byte) error) (*Checked, error) {
	out := &Checked{}
	for i, v := range Views {
		if err := b.open(htmlPath, v.Width, v.Print); err != nil {
			return nil, fmt.Errorf("report: opening %s for the %s check: %w", htmlPath, v.Name, err)
		}
		ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
		m, err := chromedp.Run(ctx, chromedp.Evaluate[measured](measureJS))
		if err == nil && i == 0 {
			var c contents
			if c, err = chromedp.Run(ctx, chromedp.Evaluate[contents](contentJS)); err == nil {
				out.Freshness, out.Notes, out.StrayLines, out.DeveloperNotes = c.Freshness, c.Notes, c.Stray, c.Dev
				out.Figures, out.WithSQL, out.MissingSQL = c.Figures, c.WithSQL, c.Missing
			}
		}
		var shot []byte
		if err == nil && shots != nil {
			shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		}
		cancel()
		if err != nil {
			return nil, fmt.Errorf("report: measuring %s at %s: %w", htmlPath, v.Name, err)
		}
		vc := ViewCheck{View: v, Column: m.Column, Widest: m.Widest, Elements: m.Elements}
		for _, o := range m.Overflows {
			vc.Overflows = append(vc.Overflows, Overflow{Element: o.Element, Right: o.Right, Limit: o.Limit, Clipped: o.Clipped})
		}
		out.Views = append(out.Views, vc)
		if shot != nil {
			if err := shots(v, shot); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// Summary is one line per view and one for the contents.
func (c *Checked) Summary() string {
	var b strings.Builder
	for _, v := range c.Views {
		fmt.Fprintf(&b, "%-15s column %4.0f px, widest element %4.0f px, %d elements, %d overflowing\n", v.Name, v.Column, v.Widest, v.Elements, len(v.Overflows))
	}
	fmt.Fprintf(&b, "freshness: %d statement in the header, %d section notes, %d stray lines; %d of %d figures and tables with their SQL in the appendix; %d notes for the analyst\n",
		c.Freshness, c.Notes, len(c.StrayLines), c.WithSQL, c.Figures, len(c.DeveloperNotes))
	return b.String()
}
