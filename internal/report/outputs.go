package report

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/replicalab/replicalab/internal/provenance"
)

// Table layouts: a table with at least wideColumns columns is set in a smaller type; one with more than
// stackColumns is shown as one block per row, each value beside its column's name, since no page is wide
// enough for it. Cells wrap between words; when the longest words of the columns would not fit side by
// side, the values may break inside words too ("tight": on paper and narrow screens only when they fit a
// 1200-pixel screen, "tight-print"), and when even the headers' longest words would not, the headers as
// well ("tighter"). Numbers never break: text cells give way first.
const (
	wideColumns  = 7
	stackColumns = 14
	narrowestPx  = 700.0 // A4's text width, less a little
	screenPx     = 900.0 // the text column on a 1200-pixel screen, less a little
)

// htmlOutput is what one text/html output holds besides its content.
type htmlOutput struct {
	explore bool              // the output of an exploration helper
	reads   []provenance.Read // data reads marked by load lines
	banners []provenance.Read // connection checks marked by replica banners
	tables  int               // query-result tables and charts carrying their lineage
	notes   [][2]string       // appendix notes: key, text
}

// transformHTML cleans an HTML output for the report in one pass over its tree: it drops what could run
// code or load from the network (see sanitizeHTML), takes out the elements marked by the provenance
// protocol (their reads go to the freshness statement) and the text meant only for a live notebook, notes
// exploration output and lineage-carrying tables, and lays wide tables out to fit the page. placeholder
// returns what to put before a table that carries its lineage (its caption, decided later).
func transformHTML(h string, placeholder func(provenance.Record) string) (string, htmlOutput) {
	var info htmlOutput
	ctx := &xhtml.Node{Type: xhtml.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := xhtml.ParseFragment(strings.NewReader(h), ctx)
	if err != nil {
		return sanitizeHTML(h), info
	}
	root := &xhtml.Node{Type: xhtml.ElementNode, Data: "div", DataAtom: atom.Div}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			if c.Type == xhtml.CommentNode {
				n.RemoveChild(c)
				c = next
				continue
			}
			if c.Type != xhtml.ElementNode {
				c = next
				continue
			}
			if dropped[strings.ToLower(c.Data)] {
				n.RemoveChild(c)
				c = next
				continue
			}
			if m, ok := provenance.Parse(c.Attr); ok {
				if m.Kind == provenance.Banner {
					info.banners = append(info.banners, m.Read)
				} else {
					info.reads = append(info.reads, m.Read)
				}
				n.RemoveChild(c)
				c = next
				continue
			}
			if attr(c, provenance.AttrKind) == string(provenance.Note) {
				if key := attr(c, provenance.AttrNoteKey); key != "" {
					info.notes = append(info.notes, [2]string{key, attr(c, provenance.AttrNoteText)})
				}
				n.RemoveChild(c)
				c = next
				continue
			}
			if attr(c, provenance.AttrNotebookOnly) != "" {
				n.RemoveChild(c)
				c = next
				continue
			}
			if attr(c, provenance.AttrKind) == string(provenance.Explore) {
				info.explore = true
			}
			if js := attr(c, provenance.AttrLineage); js != "" {
				if rec, err := provenance.ParseRecord([]byte(js)); err == nil {
					if rec.Kind == provenance.Figure {
						// A chart's <img> (chart.HTML) inside other HTML: a figure, captioned below.
						fig := &xhtml.Node{Type: xhtml.ElementNode, Data: "figure", DataAtom: atom.Figure,
							Attr: []xhtml.Attribute{{Key: "class", Val: "figure"}}}
						n.InsertBefore(fig, c)
						n.RemoveChild(c)
						fig.AppendChild(c)
						fig.AppendChild(&xhtml.Node{Type: xhtml.RawNode, Data: placeholder(rec)})
					} else {
						n.InsertBefore(&xhtml.Node{Type: xhtml.RawNode, Data: placeholder(rec)}, c)
					}
					info.tables++
				}
			}
			c.Attr = cleanAttrs(c.Attr)
			if c.DataAtom == atom.Table {
				layoutTable(c)
			}
			walk(c)
			c = next
		}
	}
	walk(root)
	var b bytes.Buffer
	for c := root.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == xhtml.RawNode {
			b.WriteString(c.Data)
			continue
		}
		_ = xhtml.Render(&b, c)
	}
	return b.String(), info
}

func attr(n *xhtml.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func setAttr(n *xhtml.Node, key, val string) {
	for i, a := range n.Attr {
		if a.Key == key {
			n.Attr[i].Val = val
			return
		}
	}
	n.Attr = append(n.Attr, xhtml.Attribute{Key: key, Val: val})
}

func addClass(n *xhtml.Node, class string) {
	if c := attr(n, "class"); c != "" {
		setAttr(n, "class", c+" "+class)
		return
	}
	setAttr(n, "class", class)
}

// rows returns the table's own rows (not those of nested tables), in order.
func rows(table *xhtml.Node) []*xhtml.Node {
	var out []*xhtml.Node
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch c.DataAtom {
			case atom.Tr:
				out = append(out, c)
			case atom.Thead, atom.Tbody, atom.Tfoot:
				walk(c)
			}
		}
	}
	walk(table)
	return out
}

func cells(tr *xhtml.Node) []*xhtml.Node {
	var out []*xhtml.Node
	for c := tr.FirstChild; c != nil; c = c.NextSibling {
		if c.DataAtom == atom.Td || c.DataAtom == atom.Th {
			out = append(out, c)
		}
	}
	return out
}

func colSpan(n *xhtml.Node) int {
	if v, err := strconv.Atoi(attr(n, "colspan")); err == nil && v > 1 {
		return min(v, 1000)
	}
	return 1
}

// layoutTable marks a table as wide or stacked (see wideColumns) by its number of columns. In a stacked
// table every cell carries its column's name (data-label) to show beside the value.
func layoutTable(t *xhtml.Node) {
	rs := rows(t)
	ncol := 0
	for _, r := range rs {
		n := 0
		for _, c := range cells(r) {
			n += colSpan(c)
		}
		ncol = max(ncol, n)
	}
	switch {
	case ncol > stackColumns:
		addClass(t, "stacked")
	case ncol >= wideColumns:
		addClass(t, "wide")
		fitWords(t, rs, ncol, 11, 0.6*11)
		return
	default:
		fitWords(t, rs, ncol, 14, 1.1*14)
		return
	}
	// The column names: the first row made only of header cells.
	var names []string
	for _, r := range rs {
		cs := cells(r)
		allTH := len(cs) > 0
		for _, c := range cs {
			allTH = allTH && c.DataAtom == atom.Th
		}
		if allTH {
			for _, c := range cs {
				for range colSpan(c) {
					names = append(names, strings.TrimSpace(textOf(c)))
				}
			}
			break
		}
	}
	for _, r := range rs {
		cs := cells(r)
		header := true
		for _, c := range cs {
			header = header && c.DataAtom == atom.Th
		}
		if header {
			addClass(r, "header")
			continue
		}
		col := 0
		for _, c := range cs {
			if col < len(names) && names[col] != "" {
				setAttr(c, "data-label", names[col])
			}
			col += colSpan(c)
		}
	}
}

func textOf(n *xhtml.Node) string {
	var b strings.Builder
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// fitWords decides whether a table fits the narrowest page with its words whole: it adds up, column by
// column, the longest word of the headers and of the values (at about 0.6 em a character, plus the cells'
// padding) and marks the table "tight" (values may break inside words) or "tighter" (headers too) when
// that is wider than the page.
func fitWords(t *xhtml.Node, rs []*xhtml.Node, ncol int, fontPx, padPx float64) {
	head := make([]int, ncol)
	all := make([]int, ncol)
	for _, r := range rs {
		col := 0
		for _, c := range cells(r) {
			if col >= ncol {
				break
			}
			w := 0
			for _, word := range strings.Fields(textOf(c)) {
				w = max(w, len([]rune(word)))
			}
			span := colSpan(c)
			if span == 1 {
				all[col] = max(all[col], w)
				if c.DataAtom == atom.Th {
					head[col] = max(head[col], w)
				}
			}
			col += span
		}
	}
	width := func(words []int) float64 {
		px := 0.0
		for _, w := range words {
			px += float64(w)*0.6*fontPx + padPx
		}
		return px
	}
	switch {
	case width(head) > narrowestPx:
		addClass(t, "tighter")
	case width(all) > screenPx:
		addClass(t, "tight")
	case width(all) > narrowestPx:
		addClass(t, "tight-print")
	default:
		return
	}
	for _, r := range rs {
		for _, c := range cells(r) {
			if c.DataAtom == atom.Td && numberCell.MatchString(textOf(c)) {
				addClass(c, "n")
			}
		}
	}
}

// numberCell is a cell holding one number as tables print them: 1,234.50, -3, 12.5%, 1e-9.
var numberCell = regexp.MustCompile(`^[-+−]?[\d.,  _]*\d(e[-+]?\d+)?\s?%?$`)
