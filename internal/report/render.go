package report

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	ghtml "github.com/yuin/goldmark/renderer/html"

	"github.com/replicalab/replicalab/internal/numfmt"
	"github.com/replicalab/replicalab/internal/provenance"
)

// Cell tags the exporter understands (Jupyter Book's and nbconvert's spellings are accepted too).
var (
	TagsShowCode   = []string{"show-code", "show-input", "report:show-code"}
	TagsHide       = []string{"hide", "remove-cell", "remove_cell", "hide-cell", "report:hide"}
	TagsAppendix   = []string{"appendix", "report:appendix"}
	TagsHideOutput = []string{"remove-output", "remove_output", "hide-output", "report:hide-output"}
	// TagsKeepExplore keeps the output of exploration helpers (overview, profile, picker, diagram, sample)
	// where the cell is, instead of moving the cell to the appendix.
	TagsKeepExplore = []string{"keep-explore", "report:keep"}
)

// Options are the header fields and extras of a report.
type Options struct {
	Title      string    // default: notebook metadata "title", else the first level-1 heading, else Source
	Author     string    // default: notebook metadata "authors"
	Date       time.Time // default: now
	Commit     string    // e.g. "commit 2e8d376"; "" leaves the field out
	Source     string    // the notebook's path, shown in the footer
	Questions  []byte    // the questions log (Markdown), appended as an appendix when not empty
	Parameters []Param   // the values this variant was run with, listed in the header

	verification *Verification // make report VERIFY=1: the queries run again
}

// Rendered is a report and what went into it.
type Rendered struct {
	HTML       []byte
	Title      string
	Provenance Provenance // the header's freshness statement
	Notes      int        // sections with a freshness note of their own
	Cells      struct{ Shown, CodeShown, Hidden, Appendix, Exploration int }
	Images     int      // embedded images (PNG, JPEG, SVG)
	Sources    []Source // figures and tables, numbered as in the report

	doc *document
}

// Where a figure or table is shown.
const (
	inBody        = "body"
	inAppendix    = "appendix"
	inExploration = "exploration"
)

// Source is a figure or a table of the report and where its numbers came from.
type Source struct {
	Kind   provenance.Kind // provenance.Figure or provenance.Table
	Number int             // Figure 1, 2, ...; Table 1, 2, ... (body first, then the appendix)
	Title  string
	Record provenance.Record // Sources is empty when nothing was recorded
	Where  string            // "body", "appendix" or "exploration"
	Check  *Check            // make report VERIFY=1's verdict; nil when not verified

	section int // body section; -1 outside the body
}

// Label is "Figure 3" or "Table 1".
func (s Source) Label() string {
	if s.Kind == provenance.Table {
		return "Table " + strconv.Itoa(s.Number)
	}
	return "Figure " + strconv.Itoa(s.Number)
}

func (s Source) anchor() string { return strings.ToLower(strings.ReplaceAll(s.Label(), " ", "-")) }

type heading struct {
	level int
	id    string
	text  string
}

type renderer struct {
	md  goldmark.Markdown
	ids *idSet
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

// document is a notebook sorted into the parts of a report, before captions and notes are decided.
type document struct {
	r                  *renderer
	nonce              string
	metaTitle, authors string
	firstH1, firstH1ID string
	body               []string // HTML with placeholders (see ph)
	appendix           []string // cells tagged appendix
	explore            []string // exploration output moved out of the body
	toc                []heading
	sources            []*Source
	reads              []sectionRead
	banners            []provenance.Read
	cells              struct{ Shown, CodeShown, Hidden, Appendix, Exploration int }
	images             int
	notes              []string          // appendix notes' keys, in the order first seen
	noteText           map[string]string // the last text of each key
}

// ph is a placeholder for something decided once the whole notebook is read: a source's caption
// ("src", its index) or a section's freshness note ("note", the section).
func (d *document) ph(kind string, n int) string {
	return "<!--" + d.nonce + ":" + kind + ":" + strconv.Itoa(n) + "-->"
}

// Render turns a notebook into a self-contained HTML report.
func Render(nb *Notebook, o Options) (*Rendered, error) {
	return build(nb).render(o), nil
}

// build reads the notebook's cells into a document.
func build(nb *Notebook) *document {
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	d := &document{r: newRenderer(), nonce: "rl" + hex.EncodeToString(nonce[:]), noteText: map[string]string{}}
	if t, ok := nb.Metadata["title"].(string); ok {
		d.metaTitle = t
	}
	d.authors = metadataAuthors(nb.Metadata)
	section := 0
	d.body = append(d.body, d.ph("note", 0))
	for _, c := range nb.Cells {
		switch {
		case c.tagged(TagsHide...):
			d.cells.Hidden++
			continue
		case c.Type == "raw":
			continue
		}
		inApp := c.tagged(TagsAppendix...)
		switch c.Type {
		case "markdown":
			h, hs := d.r.markdown(attachmentsInline(string(c.Source), c.Attachments))
			part := `<section class="md">` + h + "</section>\n"
			if inApp {
				// Under the appendix's own heading, its cells' headings go one level down.
				part = `<section class="md">` + demoteHeadings(h) + "</section>\n"
				d.appendix = append(d.appendix, part)
				d.cells.Appendix++
				continue
			}
			started := false
			for _, x := range hs {
				if x.level == 1 && d.firstH1 == "" {
					d.firstH1, d.firstH1ID = x.text, x.id
				}
				if x.level == 2 {
					section++
					started = true
				}
				d.toc = append(d.toc, x)
			}
			if started {
				part += d.ph("note", section)
			}
			d.body = append(d.body, part)
			d.cells.Shown++
		case "code":
			part, info, srcs := d.codeCell(c)
			where, sec := inBody, section
			switch {
			case part == emptyCell: // declarations, parameters: nothing to show
			case inApp:
				where, sec = inAppendix, -1
				d.appendix = append(d.appendix, part)
				d.cells.Appendix++
			case info.explore && !c.tagged(TagsKeepExplore...):
				where, sec = inExploration, -1
				d.explore = append(d.explore, part)
				d.cells.Exploration++
			default:
				d.body = append(d.body, part)
				d.cells.Shown++
			}
			for _, s := range srcs {
				s.Where, s.section = where, sec
				for _, l := range s.Record.Sources {
					d.reads = append(d.reads, sectionRead{Read: l.Read(), section: sec})
				}
			}
			for _, rd := range info.reads {
				d.reads = append(d.reads, sectionRead{Read: rd, section: sec})
			}
			d.banners = append(d.banners, info.banners...)
		}
	}
	return d
}

// cellInfo is what a code cell's outputs say besides their content.
type cellInfo struct {
	explore bool
	reads   []provenance.Read
	banners []provenance.Read
}

// note keeps the last text of an appendix note.
func (d *document) note(key, text string) {
	if _, ok := d.noteText[key]; !ok {
		d.notes = append(d.notes, key)
	}
	d.noteText[key] = text
}

func (d *document) codeCell(c Cell) (string, cellInfo, []*Source) {
	var b strings.Builder
	var info cellInfo
	var srcs []*Source
	b.WriteString(`<section class="cell">`)
	if c.tagged(TagsShowCode...) {
		d.cells.CodeShown++
		fmt.Fprintf(&b, "<pre class=\"code\"><code>%s</code></pre>\n", html.EscapeString(strings.TrimRight(string(c.Source), "\n")))
	}
	if !c.tagged(TagsHideOutput...) {
		var stream strings.Builder
		streamName := ""
		flush := func() {
			if stream.Len() > 0 {
				fmt.Fprintf(&b, "<pre class=\"stream %s\">%s</pre>\n", html.EscapeString(streamName), html.EscapeString(strings.TrimRight(stream.String(), "\n")))
				stream.Reset()
			}
		}
		for _, o := range c.Outputs {
			if o.Type == "stream" {
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
				b.WriteString(d.richOutput(o, &info, &srcs))
			case "error":
				fmt.Fprintf(&b, "<div class=\"error\">This cell failed: %s</div>\n", html.EscapeString(strings.TrimSpace(o.EName+": "+o.EVal)))
			}
		}
		flush()
	}
	b.WriteString("</section>\n")
	return b.String(), info, srcs
}

const emptyCell = "<section class=\"cell\"></section>\n"

var imageTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp"}

// addSource registers a figure or table and returns the placeholder of its caption.
func (d *document) addSource(kind provenance.Kind, rec provenance.Record, title string, srcs *[]*Source) string {
	rec.Kind = kind
	if title == "" {
		title = rec.Title
	}
	s := &Source{Kind: kind, Title: title, Record: rec}
	d.sources = append(d.sources, s)
	*srcs = append(*srcs, s)
	return d.ph("src", len(d.sources)-1)
}

// richOutput renders the richest representation of a display.
func (d *document) richOutput(o Output, info *cellInfo, srcs *[]*Source) string {
	data := o.Data
	if h, ok := data["text/html"]; ok {
		out, hi := transformHTML(string(h), func(rec provenance.Record) string {
			kind := provenance.Table
			if rec.Kind == provenance.Figure {
				kind = provenance.Figure
				d.images++
			}
			return d.addSource(kind, rec, "", srcs)
		})
		for _, n := range hi.notes {
			d.note(n[0], n[1])
		}
		info.explore = info.explore || hi.explore
		info.reads = append(info.reads, hi.reads...)
		info.banners = append(info.banners, hi.banners...)
		if strings.TrimSpace(out) == "" {
			return ""
		}
		return `<div class="output html">` + out + "</div>\n"
	}
	var rec provenance.Record
	if raw, ok := o.Metadata[provenance.MetadataKey]; ok {
		if r, err := provenance.ParseRecord(raw); err == nil {
			rec = r
		}
	}
	alt := strings.TrimSpace(string(data["text/plain"]))
	if alt == "" || strings.HasPrefix(alt, "<") {
		alt = "chart"
	}
	title := rec.Title
	if title == "" && alt != "chart" {
		title = alt
		if i := strings.Index(title, " ("); i > 0 { // chart.Show's alt text: "title (note)"
			title = title[:i]
		}
	}
	figure := func(src string) string {
		d.images++
		ph := d.addSource(provenance.Figure, rec, title, srcs)
		return `<figure class="output figure"><img alt="` + html.EscapeString(alt) + `" src="` + src + `">` + ph + "</figure>\n"
	}
	if svg, ok := data["image/svg+xml"]; ok {
		return figure("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(svg)))
	}
	for _, mime := range imageTypes {
		if img, ok := data[mime]; ok {
			return figure("data:" + mime + ";base64," + strings.Join(strings.Fields(string(img)), ""))
		}
	}
	if md, ok := data["text/markdown"]; ok {
		h, _ := d.r.markdown(string(md))
		return `<div class="output md">` + h + "</div>\n"
	}
	if txt, ok := data["text/plain"]; ok {
		return `<pre class="output">` + html.EscapeString(strings.TrimRight(string(txt), "\n")) + "</pre>\n"
	}
	return ""
}

// render decides the numbers, captions and notes, and writes the report.
func (d *document) render(o Options) *Rendered {
	out := &Rendered{doc: d, Images: d.images}
	out.Cells = d.cells
	// Figures and tables are numbered in reading order: the body, then the appendix.
	count := map[provenance.Kind]int{}
	for _, where := range []string{inBody, inAppendix, inExploration} {
		for _, s := range d.sources {
			if s.Where == where {
				count[s.Kind]++
				s.Number = count[s.Kind]
			}
		}
	}
	if v := o.verification; v != nil {
		for i, s := range d.sources {
			if i < len(v.Checks) {
				s.Check = &v.Checks[i]
			}
		}
	}
	fr := computeFreshness(d.reads, d.banners)
	out.Provenance, out.Notes = fr.header, len(fr.notes)

	title := o.Title
	if title == "" {
		title = d.metaTitle
	}
	dropH1 := false
	if title == "" && d.firstH1 != "" {
		// The notebook's first heading becomes the report's title; it is not repeated below the header.
		title, dropH1 = d.firstH1, true
	}
	if title == "" {
		title = o.Source
	}
	author := o.Author
	if author == "" {
		author = d.authors
	}
	date := o.Date
	if date.IsZero() {
		date = time.Now()
	}
	var questions questionsLog
	if len(bytes.TrimSpace(o.Questions)) > 0 {
		questions = dedupeQuestions(string(o.Questions))
	}

	var doc bytes.Buffer
	doc.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	doc.WriteString(`<meta name="viewport" content="width=device-width, initial-scale=1">` + "\n")
	fmt.Fprintf(&doc, "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", html.EscapeString(title), css)
	fmt.Fprintf(&doc, "<header>\n<h1 class=\"title\">%s</h1>\n<dl class=\"meta\">\n", html.EscapeString(title))
	field := func(k, v, class string) {
		if v != "" {
			if class != "" {
				class = ` class="` + class + `"`
			}
			fmt.Fprintf(&doc, "<dt>%s</dt><dd%s>%s</dd>\n", k, class, html.EscapeString(v))
		}
	}
	field("Author", author, "")
	field("Date", date.Format("2 January 2006, 15:04 MST"), "")
	field("Version", o.Commit, "")
	field("Data", fr.header.String(), "freshness")
	if len(o.Parameters) > 0 {
		var ps []string
		for _, p := range o.Parameters {
			ps = append(ps, p.Name+" = "+p.Value)
		}
		field("Parameters", strings.Join(ps, ", "), "parameters")
	}
	if v := o.verification; v != nil {
		field("Checked", v.summary(d.sources), "verification")
	}
	doc.WriteString("</dl>\n</header>\n")

	hasSources := len(d.sources) > 0 || len(d.notes) > 0
	d.writeTOC(&doc, len(d.appendix) > 0 || hasSources || len(d.explore) > 0, hasSources, len(d.explore) > 0, questions.markdown != "")

	body := strings.Join(d.body, "")
	if dropH1 {
		if loc := regexp.MustCompile(`<h1 id="` + regexp.QuoteMeta(d.firstH1ID) + `">.*?</h1>\n?`).FindStringIndex(body); loc != nil {
			body = body[:loc[0]] + body[loc[1]:]
		}
	}
	doc.WriteString("<article>\n")
	doc.WriteString(body)
	doc.WriteString("</article>\n")
	if len(d.appendix) > 0 || hasSources || len(d.explore) > 0 {
		doc.WriteString(`<section class="appendix"><h2 id="appendix">Appendix</h2>` + "\n")
		doc.WriteString(strings.Join(d.appendix, ""))
		if hasSources {
			d.writeSources(&doc, o)
		}
		if len(d.explore) > 0 {
			doc.WriteString(`<h3 id="exploration">Exploration</h3>` + "\n")
			doc.WriteString(`<p class="intro">What the database looked like while the analysis was prepared: tables, column profiles and samples, read from the catalog and the planner's statistics.</p>` + "\n")
			doc.WriteString(strings.Join(d.explore, ""))
		}
		doc.WriteString("</section>\n")
	}
	if questions.markdown != "" {
		doc.WriteString(`<section class="appendix questions"><h2 id="questions">Questions and answers</h2>` + "\n")
		summary := numfmt.Count(questions.total, "question", "questions")
		if questions.open > 0 {
			summary += ", " + numfmt.Int(questions.open) + " open"
		}
		if n := len(questions.duplicates); n > 0 {
			summary += "; " + numfmt.Count(n, "repeated entry", "repeated entries") + " left out (" + strings.Join(questions.duplicates, ", ") + ")"
		}
		fmt.Fprintf(&doc, "<p class=\"intro\">%s.</p>\n", html.EscapeString(summary))
		h, _ := d.r.markdown(questions.markdown)
		doc.WriteString(h)
		doc.WriteString("</section>\n")
	}
	fmt.Fprintf(&doc, "<footer>Exported from %s by replicalab on %s.</footer>\n",
		html.EscapeString(o.Source), html.EscapeString(date.Format("2006-01-02 15:04 MST")))
	doc.WriteString("</main>\n</body>\n</html>\n")

	out.HTML = d.fill(doc.Bytes(), fr)
	out.Title = title
	for _, s := range d.sources {
		out.Sources = append(out.Sources, *s)
	}
	return out
}

// fill replaces the placeholders with captions and freshness notes.
func (d *document) fill(page []byte, fr freshness) []byte {
	re := regexp.MustCompile(`<!--` + d.nonce + `:(src|note):(\d+)-->`)
	return re.ReplaceAllFunc(page, func(m []byte) []byte {
		sub := re.FindSubmatch(m)
		n, _ := strconv.Atoi(string(sub[2]))
		switch string(sub[1]) {
		case "note":
			p, ok := fr.notes[n]
			if !ok {
				return nil
			}
			return []byte(`<p class="freshness-note">` + html.EscapeString(sectionNote(p)) + "</p>\n")
		default:
			if n >= len(d.sources) {
				return nil
			}
			return []byte(d.caption(d.sources[n]))
		}
	})
}

// caption is a figure's or table's label, with a link to where its numbers came from, and a warning when
// make report VERIFY=1 found that they changed.
func (d *document) caption(s *Source) string {
	var b strings.Builder
	tag := "figcaption"
	if s.Kind == provenance.Table {
		tag = "p"
	}
	fmt.Fprintf(&b, `<%s class="caption" id="%s"><b>%s.</b>`, tag, s.anchor(), s.Label())
	if s.Kind == provenance.Table && s.Title != "" {
		b.WriteString(" " + html.EscapeString(s.Title) + ".")
	}
	fmt.Fprintf(&b, ` <a href="#source-%s">Source</a>`, s.anchor())
	if c := s.Check; c != nil && len(c.Drift) > 0 {
		fmt.Fprintf(&b, `<span class="drift"> ⚠ The numbers behind this %s have changed since it was made (%s): see the appendix.</span>`,
			strings.ToLower(string(s.Kind)), html.EscapeString(c.Drift[0].String()))
	}
	fmt.Fprintf(&b, "</%s>", tag)
	return b.String()
}

func (d *document) writeTOC(doc *bytes.Buffer, appendix, sources, explore, questions bool) {
	var entries []heading
	for _, h := range d.toc {
		if h.level >= 2 && h.level <= 3 {
			entries = append(entries, h)
		}
	}
	if appendix {
		entries = append(entries, heading{2, "appendix", "Appendix"})
	}
	if sources {
		entries = append(entries, heading{3, "sources", "Where the figures and tables come from"})
	}
	if explore {
		entries = append(entries, heading{3, "exploration", "Exploration"})
	}
	if questions {
		entries = append(entries, heading{2, "questions", "Questions and answers"})
	}
	if len(entries) == 0 {
		return
	}
	doc.WriteString("<nav class=\"toc\"><h2>Contents</h2>\n<ol>\n")
	inL2, inUL := false, false // level-3 entries are a list nested in their level-2 entry
	for _, h := range entries {
		link := fmt.Sprintf("<a href=\"#%s\">%s</a>", html.EscapeString(h.id), html.EscapeString(h.text))
		if h.level == 2 {
			if inUL {
				doc.WriteString("</ul>")
				inUL = false
			}
			if inL2 {
				doc.WriteString("</li>\n")
			}
			doc.WriteString("<li>" + link)
			inL2 = true
			continue
		}
		if !inL2 {
			doc.WriteString("<li>")
			inL2 = true
		}
		if !inUL {
			doc.WriteString("<ul>\n")
			inUL = true
		}
		doc.WriteString("<li>" + link + "</li>\n")
	}
	if inUL {
		doc.WriteString("</ul>")
	}
	if inL2 {
		doc.WriteString("</li>\n")
	}
	doc.WriteString("</ol>\n</nav>\n")
}

// writeSources lists every figure and table with the queries behind it.
func (d *document) writeSources(doc *bytes.Buffer, o Options) {
	nf, nt := 0, 0
	for _, s := range d.sources {
		if s.Kind == provenance.Table {
			nt++
		} else {
			nf++
		}
	}
	doc.WriteString(`<h3 id="sources">Where the figures and tables come from</h3>` + "\n")
	var what []string
	if nf > 0 {
		what = append(what, numfmt.Count(nf, "figure", "figures"))
	}
	if nt > 0 {
		what = append(what, numfmt.Count(nt, "table", "tables"))
	}
	fmt.Fprintf(doc, "<p class=\"intro\">The queries behind the %s of this report, as sent to the database, with the time each was read.</p>\n",
		html.EscapeString(strings.Join(what, " and ")))
	for _, line := range d.appendixNotes(o) {
		fmt.Fprintf(doc, "<p class=\"note\">%s</p>\n", html.EscapeString(line))
	}
	first := map[string]*Source{} // a query (with its arguments and read) → the first source listing it
	for _, s := range d.sources {
		fmt.Fprintf(doc, `<div class="source" id="source-%s"><h4><a href="#%s">%s</a>`, s.anchor(), s.anchor(), s.Label())
		if s.Title != "" {
			fmt.Fprintf(doc, ". %s", html.EscapeString(s.Title))
		}
		doc.WriteString("</h4>\n")
		if s.Record.Note != "" {
			fmt.Fprintf(doc, "<p class=\"note\">%s</p>\n", html.EscapeString(s.Record.Note))
		}
		if len(s.Record.Sources) == 0 {
			doc.WriteString("<p class=\"note\">No query was recorded for it: it was not drawn from data read through the helpers.</p>\n</div>\n")
			continue
		}
		for i, l := range s.Record.Sources {
			if len(s.Record.Sources) > 1 {
				fmt.Fprintf(doc, "<p class=\"note\">Query %d of %d</p>\n", i+1, len(s.Record.Sources))
			}
			key := queryKey(l)
			if f, ok := first[key]; ok && f != s {
				// The same query, arguments and read as an earlier figure or table: said once.
				fmt.Fprintf(doc, "<p class=\"note\">The same query and data as <a class=\"same-query\" href=\"#source-%s\">%s</a>.</p>\n", f.anchor(), f.Label())
				if s.Check != nil && i == 0 {
					fmt.Fprintf(doc, "<dl class=\"facts\"><dt>Checked</dt><dd class=\"%s\">%s</dd></dl>\n", s.Check.class(), html.EscapeString(s.Check.String()))
				}
				continue
			}
			first[key] = s
			doc.WriteString("<dl class=\"facts\">\n")
			for _, f := range sourceFacts(l) {
				fmt.Fprintf(doc, "<dt>%s</dt><dd>%s</dd>\n", html.EscapeString(f[0]), html.EscapeString(f[1]))
			}
			if s.Check != nil && i == 0 {
				fmt.Fprintf(doc, "<dt>Checked</dt><dd class=\"%s\">%s</dd>\n", s.Check.class(), html.EscapeString(s.Check.String()))
			}
			doc.WriteString("</dl>\n")
			fmt.Fprintf(doc, "<pre class=\"sql\"><code>%s</code></pre>\n", html.EscapeString(strings.TrimSpace(l.SQL)))
		}
		doc.WriteString("</div>\n")
	}
}

// appendixNotes are the report-wide lines at the top of the sources' appendix: the notes the helpers left
// (provenance.NoteAttrs: the load ledger, for one), then what VERIFY found. A new report-wide fact is one
// more line here.
func (d *document) appendixNotes(o Options) []string {
	var lines []string
	for _, k := range d.notes {
		if t := strings.TrimSpace(d.noteText[k]); t != "" {
			lines = append(lines, t)
		}
	}
	if v := o.verification; v != nil {
		lines = append(lines, fmt.Sprintf("Checked on %s: every query was run again on the replica and its numbers compared with those recorded, "+
			"with a tolerance of %s (a number may move by that share of itself).", v.At.UTC().Format("2006-01-02 15:04 UTC"), percent(v.Tolerance)))
	}
	return lines
}

// sourceFacts lists what a reader may want to know about one query behind a figure or table, one line
// each. A new fact about a query (a truncation or sample label) is one more line here.
func sourceFacts(l provenance.Lineage) [][2]string {
	var facts [][2]string
	read := l.Read()
	when := read.At.UTC().Format("2006-01-02 15:04:05 UTC")
	switch {
	case read.Primary:
		when += " from a PRIMARY database (ALLOW_PRIMARY was set)"
	case read.LagKnown:
		when += " from the read replica, lag " + fmtSeconds(read.Lag.Seconds())
	default:
		when += " from the read replica"
	}
	if l.Cached {
		when += " (reused from the notebook's cache)"
	}
	facts = append(facts, [2]string{"Read", when})
	rows := numfmt.Count(l.Rows, "row", "rows")
	if kept := l.Kept(); kept != "" {
		// Which part of the query's rows: the first ones cut at the row limit, or a random sample.
		rows = strings.ToUpper(kept[:1]) + kept[1:]
	}
	facts = append(facts, [2]string{"Rows", rows})
	if len(l.Args) > 0 {
		var as []string
		for i, a := range l.Args {
			as = append(as, fmt.Sprintf("$%d = %s", i+1, a))
		}
		facts = append(facts, [2]string{"Arguments", strings.Join(as, ", ")})
	}
	return facts
}

// queryKey identifies a query as read: its text, its arguments and when it was fetched.
func queryKey(l provenance.Lineage) string {
	var b strings.Builder
	b.WriteString(l.SQL)
	for _, a := range l.Args {
		b.WriteString("\x00" + a.Type + ":" + a.Value)
	}
	b.WriteString("\x00" + l.FetchedAt.UTC().Format(time.RFC3339Nano))
	return b.String()
}

func percent(f float64) string {
	return strconv.FormatFloat(f*100, 'f', -1, 64) + " %"
}

var headingTag = regexp.MustCompile(`<(/?)h([1-5])\b`)

// demoteHeadings turns <h2> into <h3> and so on (h6 stays).
func demoteHeadings(h string) string {
	return headingTag.ReplaceAllStringFunc(h, func(m string) string {
		sub := headingTag.FindStringSubmatch(m)
		return "<" + sub[1] + "h" + string(rune(sub[2][0]+1))
	})
}
