package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	ghtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	xhtml "golang.org/x/net/html"

	"github.com/replicalab/replicalab/internal/provenance"
)

// Cell tags the exporter understands (Jupyter Book's and nbconvert's spellings are accepted too).
var (
	TagsShowCode   = []string{"show-code", "show-input", "report:show-code"}
	TagsHide       = []string{"hide", "remove-cell", "remove_cell", "hide-cell", "report:hide"}
	TagsAppendix   = []string{"appendix", "report:appendix"}
	TagsHideOutput = []string{"remove-output", "remove_output", "hide-output", "report:hide-output"}
)

// Options are the header fields and extras of a report.
type Options struct {
	Title     string    // default: notebook metadata "title", else the first level-1 heading, else Source
	Author    string    // default: notebook metadata "authors"
	Date      time.Time // default: now
	Commit    string    // e.g. "2e8d376" or "2e8d376 + uncommitted changes"; "" leaves the field out
	Source    string    // the notebook's path, shown in the footer
	Questions []byte    // the questions log (Markdown), appended as an appendix when not empty
}

// Rendered is a report and what went into it.
type Rendered struct {
	HTML       []byte
	Title      string
	Provenance Provenance
	Cells      struct{ Shown, CodeShown, Hidden, Appendix int }
	Images     int // embedded images (PNG, JPEG, SVG)
}

// Provenance summarises the data freshness marks found in the notebook's outputs.
type Provenance struct {
	Reads       int
	First, Last time.Time
	MaxLag      float64 // seconds, over the reads whose lag is known
	LagKnown    bool
	Primary     bool // some output came from a primary opened with ALLOW_PRIMARY
}

// String says how fresh the data is, without naming servers or users (they may be .env values).
func (p Provenance) String() string {
	if p.Reads == 0 {
		return "not recorded (no connection banner or cached result in the outputs)"
	}
	var b strings.Builder
	span := p.First.UTC().Format("2006-01-02 15:04 UTC")
	if p.Last.UTC().Format("2006-01-02 15:04") != p.First.UTC().Format("2006-01-02 15:04") {
		span = p.First.UTC().Format("2006-01-02 15:04") + " – " + p.Last.UTC().Format("2006-01-02 15:04 UTC")
	}
	fmt.Fprintf(&b, "read %s", span)
	if p.Primary {
		b.WriteString(" — from a PRIMARY database (ALLOW_PRIMARY was set)")
	} else {
		b.WriteString(" from the read replica")
		if p.LagKnown {
			fmt.Fprintf(&b, ", replication lag at most %s", fmtSeconds(p.MaxLag))
		}
	}
	return b.String()
}

func fmtSeconds(s float64) string { return strconv.FormatFloat(s, 'f', 1, 64) + " s" }

type heading struct {
	level int
	id    string
	text  string
}

type renderer struct {
	md        goldmark.Markdown
	ids       *idSet
	toc       []heading
	out       Rendered
	firstH1   string
	firstH1ID string
}

func newRenderer() *renderer {
	return &renderer{
		md: goldmark.New(
			goldmark.WithExtensions(extension.GFM),
			goldmark.WithParserOptions(parser.WithAutoHeadingID()),
			// Raw HTML in Markdown is kept, then sanitised like any output.
			goldmark.WithRendererOptions(ghtml.WithUnsafe()),
		),
		ids: &idSet{seen: map[string]int{}},
	}
}

// Render turns a notebook into a self-contained HTML report.
func Render(nb *Notebook, o Options) (*Rendered, error) {
	r := newRenderer()
	var body, appendix bytes.Buffer
	for i, c := range nb.Cells {
		switch {
		case c.tagged(TagsHide...):
			r.out.Cells.Hidden++
			continue
		case c.Type == "raw":
			continue
		}
		dst := &body
		if c.tagged(TagsAppendix...) {
			dst = &appendix
			r.out.Cells.Appendix++
		} else {
			r.out.Cells.Shown++
		}
		switch c.Type {
		case "markdown":
			dst.WriteString(`<section class="md">`)
			dst.WriteString(r.markdown(attachmentsInline(string(c.Source), c.Attachments), dst == &body))
			dst.WriteString("</section>\n")
		case "code":
			r.codeCell(dst, i, c)
		}
	}
	title := o.Title
	if title == "" {
		if t, ok := nb.Metadata["title"].(string); ok {
			title = t
		}
	}
	if title == "" && r.firstH1 != "" {
		// The notebook's first heading becomes the report's title; it is not repeated below the header.
		title = r.firstH1
		if loc := regexp.MustCompile(`<h1 id="` + regexp.QuoteMeta(r.firstH1ID) + `">.*?</h1>\n?`).FindIndex(body.Bytes()); loc != nil {
			rest := append([]byte{}, body.Bytes()[loc[1]:]...)
			body.Truncate(loc[0])
			body.Write(rest)
		}
	}
	if title == "" {
		title = o.Source
	}
	author := o.Author
	if author == "" {
		author = metadataAuthors(nb.Metadata)
	}
	date := o.Date
	if date.IsZero() {
		date = time.Now()
	}
	var questions string
	if len(bytes.TrimSpace(o.Questions)) > 0 {
		questions = r.markdownNoTOC(string(o.Questions))
	}

	var doc bytes.Buffer
	doc.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	doc.WriteString(`<meta name="viewport" content="width=device-width, initial-scale=1">` + "\n")
	fmt.Fprintf(&doc, "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", html.EscapeString(title), css)
	fmt.Fprintf(&doc, "<header>\n<h1 class=\"title\">%s</h1>\n<dl class=\"meta\">\n", html.EscapeString(title))
	field := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&doc, "<dt>%s</dt><dd>%s</dd>\n", k, html.EscapeString(v))
		}
	}
	field("Author", author)
	field("Date", date.Format("2 January 2006, 15:04 MST"))
	field("Version", o.Commit)
	field("Data", r.out.Provenance.String())
	doc.WriteString("</dl>\n</header>\n")
	r.writeTOC(&doc, appendix.Len() > 0, questions != "")
	doc.WriteString("<article>\n")
	doc.Write(body.Bytes())
	doc.WriteString("</article>\n")
	if appendix.Len() > 0 {
		doc.WriteString(`<section class="appendix"><h2 id="appendix">Appendix</h2>` + "\n")
		doc.Write(appendix.Bytes())
		doc.WriteString("</section>\n")
	}
	if questions != "" {
		doc.WriteString(`<section class="appendix questions"><h2 id="questions">Questions and answers</h2>` + "\n")
		doc.WriteString(questions)
		doc.WriteString("</section>\n")
	}
	fmt.Fprintf(&doc, "<footer>Exported from %s by replicalab on %s.</footer>\n",
		html.EscapeString(o.Source), html.EscapeString(date.Format("2006-01-02 15:04 MST")))
	doc.WriteString("</main>\n</body>\n</html>\n")
	r.out.HTML = doc.Bytes()
	r.out.Title = title
	return &r.out, nil
}

func (r *renderer) writeTOC(doc *bytes.Buffer, appendix, questions bool) {
	var entries []heading
	for _, h := range r.toc {
		if h.level >= 2 && h.level <= 3 {
			entries = append(entries, h)
		}
	}
	if appendix {
		entries = append(entries, heading{2, "appendix", "Appendix"})
	}
	if questions {
		entries = append(entries, heading{2, "questions", "Questions and answers"})
	}
	if len(entries) == 0 {
		return
	}
	doc.WriteString("<nav class=\"toc\"><h2>Contents</h2>\n<ol>\n")
	for _, h := range entries {
		fmt.Fprintf(doc, "<li class=\"l%d\"><a href=\"#%s\">%s</a></li>\n", h.level, html.EscapeString(h.id), html.EscapeString(h.text))
	}
	doc.WriteString("</ol>\n</nav>\n")
}

// markdown renders one cell's Markdown, recording its headings for the table of contents.
func (r *renderer) markdown(src string, toc bool) string {
	ctx := parser.NewContext(parser.WithIDs(r.ids))
	reader := text.NewReader([]byte(src))
	doc := r.md.Parser().Parse(reader, parser.WithContext(ctx))
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		h, ok := n.(*ast.Heading)
		if !ok || !entering {
			return ast.WalkContinue, nil
		}
		id := ""
		if v, ok := h.AttributeString("id"); ok {
			if b, ok := v.([]byte); ok {
				id = string(b)
			}
		}
		txt := plainText(h, []byte(src))
		if h.Level == 1 && r.firstH1 == "" && toc {
			r.firstH1, r.firstH1ID = txt, id
		}
		if toc {
			r.toc = append(r.toc, heading{h.Level, id, txt})
		}
		return ast.WalkSkipChildren, nil
	})
	var buf bytes.Buffer
	if err := r.md.Renderer().Render(&buf, []byte(src), doc); err != nil {
		return "<pre>" + html.EscapeString(src) + "</pre>"
	}
	return sanitizeHTML(buf.String())
}

func (r *renderer) markdownNoTOC(src string) string { return r.markdown(src, false) }

func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch t := c.(type) {
		case *ast.Text:
			b.Write(t.Segment.Value(src))
		case *ast.String:
			b.Write(t.Value)
		case *ast.CodeSpan:
			for ch := t.FirstChild(); ch != nil; ch = ch.NextSibling() {
				if tx, ok := ch.(*ast.Text); ok {
					b.Write(tx.Segment.Value(src))
				}
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(b.String())
}

func (r *renderer) codeCell(dst *bytes.Buffer, index int, c Cell) {
	dst.WriteString(`<section class="cell">`)
	if c.tagged(TagsShowCode...) {
		r.out.Cells.CodeShown++
		fmt.Fprintf(dst, "<pre class=\"code\"><code>%s</code></pre>\n", html.EscapeString(strings.TrimRight(string(c.Source), "\n")))
	}
	if !c.tagged(TagsHideOutput...) {
		r.outputs(dst, c.Outputs)
	}
	dst.WriteString("</section>\n")
}

var imageTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp"}

func (r *renderer) outputs(dst *bytes.Buffer, outs []Output) {
	var stream strings.Builder
	streamName := ""
	flush := func() {
		if stream.Len() > 0 {
			fmt.Fprintf(dst, "<pre class=\"stream %s\">%s</pre>\n", streamName, html.EscapeString(strings.TrimRight(stream.String(), "\n")))
			stream.Reset()
		}
	}
	for _, o := range outs {
		switch o.Type {
		case "stream":
			if streamName != o.Name {
				flush()
				streamName = o.Name
			}
			stream.WriteString(string(o.Text))
			continue
		}
		flush()
		switch o.Type {
		case "display_data", "execute_result", "update_display_data":
			dst.WriteString(r.richOutput(o.Data))
		case "error":
			fmt.Fprintf(dst, "<div class=\"error\">This cell failed: %s</div>\n", html.EscapeString(strings.TrimSpace(o.EName+": "+o.EVal)))
		}
	}
	flush()
}

// richOutput renders the richest representation of a display.
func (r *renderer) richOutput(data map[string]MultiLine) string {
	if h, ok := data["text/html"]; ok {
		return `<div class="output html">` + sanitizeHTML(r.neutralizeProvenance(string(h))) + "</div>\n"
	}
	if svg, ok := data["image/svg+xml"]; ok {
		r.out.Images++
		return `<div class="output"><img alt="chart" src="data:image/svg+xml;base64,` +
			base64.StdEncoding.EncodeToString([]byte(svg)) + `"></div>` + "\n"
	}
	for _, mime := range imageTypes {
		if img, ok := data[mime]; ok {
			r.out.Images++
			b64 := strings.Join(strings.Fields(string(img)), "")
			return `<div class="output"><img alt="chart" src="data:` + mime + `;base64,` + b64 + `"></div>` + "\n"
		}
	}
	if md, ok := data["text/markdown"]; ok {
		return `<div class="output md">` + r.markdownNoTOC(string(md)) + "</div>\n"
	}
	if txt, ok := data["text/plain"]; ok {
		return `<pre class="output">` + html.EscapeString(strings.TrimRight(string(txt), "\n")) + "</pre>\n"
	}
	return ""
}

// markLine is the neutral line that replaces a provenance-marked element: when and at what lag the data
// was read, never from which server or as which user.
func markLine(m provenance.Mark) string {
	s := "Data read " + m.At.UTC().Format("2006-01-02 15:04:05 UTC")
	if m.Primary {
		return s + " from a PRIMARY database (ALLOW_PRIMARY was set)"
	}
	s += " from the read replica"
	if m.LagKnown {
		s += ", lag " + fmtSeconds(m.Lag.Seconds())
	}
	return s
}

func (r *renderer) addProvenance(m provenance.Mark) {
	p := &r.out.Provenance
	if p.Reads == 0 || m.At.Before(p.First) {
		p.First = m.At
	}
	if p.Reads == 0 || m.At.After(p.Last) {
		p.Last = m.At
	}
	p.Reads++
	if lag := m.Lag.Seconds(); m.LagKnown && (!p.LagKnown || lag > p.MaxLag) {
		p.MaxLag, p.LagKnown = lag, true
	}
	p.Primary = p.Primary || m.Primary
}

// neutralizeProvenance replaces every element that carries a provenance mark (the replica banner, a
// frame's "rows from ..." line) by a neutral line saying when the data was read and at what lag, and records
// the mark for the header. The originals name the server and the user, which are .env values.
func (r *renderer) neutralizeProvenance(h string) string {
	if !provenance.Marked(h) {
		return h
	}
	z := xhtml.NewTokenizer(strings.NewReader(h))
	var out strings.Builder
	depth := 0 // > 0 while inside a marked element
	for {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			return out.String()
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			if depth > 0 {
				if name, _ := z.TagName(); tt == xhtml.StartTagToken && !htmlVoid(string(name)) {
					depth++
				}
				continue
			}
			tok := z.Token()
			if m, ok := provenance.Parse(tok.Attr); ok {
				r.addProvenance(m)
				out.WriteString(`<div class="provenance">` + html.EscapeString(markLine(m)) + `</div>`)
				if tt == xhtml.StartTagToken && !htmlVoid(tok.Data) {
					depth = 1
				}
				continue
			}
			out.WriteString(tok.String())
		case xhtml.EndTagToken:
			if depth > 0 {
				depth--
				continue
			}
			out.Write(z.Raw())
		default:
			if depth == 0 {
				out.Write(z.Raw())
			}
		}
	}
}

// htmlVoid reports whether an element has no end tag.
func htmlVoid(name string) bool {
	switch name {
	case "br", "hr", "img", "input", "meta", "link", "base", "col", "area", "source", "wbr", "embed":
		return true
	}
	return false
}

var attachmentRef = regexp.MustCompile(`attachment:([^)\s"']+)`)

// attachmentsInline replaces attachment:name references with data URIs.
func attachmentsInline(src string, att map[string]map[string]MultiLine) string {
	if len(att) == 0 {
		return src
	}
	return attachmentRef.ReplaceAllStringFunc(src, func(ref string) string {
		name := strings.TrimPrefix(ref, "attachment:")
		bundle, ok := att[name]
		if !ok {
			return ref
		}
		mimes := make([]string, 0, len(bundle))
		for m := range bundle {
			mimes = append(mimes, m)
		}
		sort.Strings(mimes)
		for _, m := range mimes {
			if strings.HasPrefix(m, "image/") {
				return "data:" + m + ";base64," + strings.Join(strings.Fields(string(bundle[m])), "")
			}
		}
		return ref
	})
}

func metadataAuthors(md map[string]any) string {
	list, ok := md["authors"].([]any)
	if !ok {
		return ""
	}
	var names []string
	for _, a := range list {
		switch v := a.(type) {
		case string:
			names = append(names, v)
		case map[string]any:
			if n, ok := v["name"].(string); ok {
				names = append(names, n)
			}
		}
	}
	return strings.Join(names, ", ")
}

// idSet gives headings ids that are unique across every cell of the report.
type idSet struct{ seen map[string]int }

func (s *idSet) Generate(value []byte, kind ast.NodeKind) []byte {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(string(value)) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	id := b.String()
	if id == "" {
		id = "section"
	}
	n := s.seen[id]
	s.seen[id] = n + 1
	if n > 0 {
		id = fmt.Sprintf("%s-%d", id, n)
	}
	return []byte(id)
}

func (s *idSet) Put(value []byte) { s.seen[string(value)]++ }

const css = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--accent:#0969da;--bg:#fff;--code:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:920px;margin:0 auto;padding:2.5rem 1.5rem 4rem}
h1.title{font-size:2rem;margin:0 0 .75rem}
h1,h2,h3{line-height:1.25}
h2{margin-top:2.2rem;padding-bottom:.3rem;border-bottom:1px solid var(--line)}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0 0 1.5rem;color:var(--muted);font-size:.93rem}
dl.meta dt{font-weight:600}
dl.meta dd{margin:0}
nav.toc{background:var(--code);border:1px solid var(--line);border-radius:6px;padding:.6rem 1.2rem;margin-bottom:2rem}
nav.toc h2{font-size:1rem;border:0;margin:.3rem 0}
nav.toc ol{margin:0;padding-left:1.2rem}
nav.toc li.l3{margin-left:1.2rem;list-style:circle}
a{color:var(--accent)}
pre{background:var(--code);border:1px solid var(--line);border-radius:6px;padding:.7rem .9rem;overflow-x:auto;font-size:.85rem;line-height:1.4}
pre.stream,pre.output{white-space:pre-wrap;overflow-wrap:anywhere}
pre.stderr{border-left:4px solid #d4a72c}
pre.code{border-left:4px solid var(--accent)}
.output{margin:.8rem 0;overflow-x:auto}
.output img{max-width:100%;height:auto}
.output table,.md table{border-collapse:collapse;font-size:.88rem;margin:.6rem 0}
.output th,.output td,.md th,.md td{border:1px solid var(--line);padding:.25rem .55rem}
.output th,.md th{background:var(--code)}
.provenance{color:var(--muted);font-size:.85rem;margin:.4rem 0}
.error{border-left:4px solid #cf222e;background:#ffebe9;padding:.5rem .8rem;border-radius:4px;margin:.6rem 0}
section.appendix{margin-top:3rem}
footer{margin-top:3rem;color:var(--muted);font-size:.8rem;border-top:1px solid var(--line);padding-top:.8rem}
@media print{main{max-width:none;padding:0}nav.toc{break-after:page}pre,.output{break-inside:avoid}}
`
