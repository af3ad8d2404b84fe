package frame

import (
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/replicalab/replicalab/internal/gotalayout"
	"github.com/replicalab/replicalab/internal/numfmt"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"github.com/replicalab/replicalab/internal/display"
)

// style says how a DataFrame is shown. The zero value shows at most 20 rows
// (the first 10 and the last 10 of longer frames) and cuts strings after 60
// characters.
type style struct {
	MaxRows  int // rows shown; longer frames show the first and last MaxRows/2
	MaxChars int // longer strings are cut, with "…"; the cell's tooltip has more
	// Kinds says how to show columns whose numbers stand for something else,
	// e.g. a Timestamp column as dates and times rather than seconds.
	Kinds map[string]Kind
	// Types labels columns with their database types.
	Types map[string]string
	// Scales are the display scales of numeric columns.
	Scales map[string]int
	// nulls are the SQL NULL masks of a Result, to tell NULL from NaN.
	nulls map[string][]bool
}

const (
	defaultMaxRows  = 20
	defaultMaxChars = 60
	maxTooltip      = 1000
)

func (st style) withDefaults() style {
	if st.MaxRows <= 0 {
		st.MaxRows = defaultMaxRows
	}
	if st.MaxChars <= 0 {
		st.MaxChars = defaultMaxChars
	}
	return st
}

// HTML renders the Result's DataFrame as an HTML table: a caption with its
// shape, a header with names and database types, the first and last rows
// when there are many, times as times, NULL and NaN told apart in grey
// italics, numbers right-aligned, long strings cut. Every name and value is
// HTML-escaped.
func (r *Result) HTML() string { return withRecord(r.DataFrame, r.style().HTML(r.DataFrame)) }

// Text renders the Result's DataFrame as an aligned text table.
func (r *Result) Text() string { return r.style().Text(r.DataFrame) }

// Show displays the Result's table: HTML in a notebook, text on stdout
// elsewhere.
func (r *Result) Show() {
	st := r.style()
	display.Show(display.Output{Kind: display.Result, HTML: withRecord(r.DataFrame, st.HTML(r.DataFrame)), Text: st.Text(r.DataFrame)})
}

func (r *Result) style() style {
	types := make(map[string]string, len(r.Columns))
	scales := map[string]int{}
	for _, c := range r.Columns {
		types[c.Name] = c.Type
		if c.Kind == Numeric {
			scales[c.Name] = c.Scale
		}
	}
	return style{Kinds: r.Kinds(), Types: types, Scales: scales, nulls: r.nulls, MaxRows: r.maxRows}
}

// Of wraps a DataFrame made in Go (filtered, joined, built by hand) as a
// Result, to show it or summarize it. Its columns' kinds follow their gota
// types; use [Result.With] for a DataFrame derived from a loaded Result, to
// keep its times shown as times. Only [MaxRows] applies.
func Of(df dataframe.DataFrame, opts ...Option) *Result {
	r := &Result{DataFrame: df, Rows: df.Nrow(), maxRows: collect(opts).maxRows}
	r.Columns = columnsOf(df, nil)
	return r
}

// With returns a Result for df, a DataFrame derived from r's (filtered,
// sorted, with columns added or dropped): columns that keep their name and
// gota type keep their database type and kind (times stay times), the others
// follow their gota type. The provenance is r's.
func (r *Result) With(df dataframe.DataFrame) *Result {
	out := *r
	out.DataFrame, out.Rows, out.nulls, out.CacheFile, out.TTL = df, df.Nrow(), nil, "", 0
	out.Columns = columnsOf(df, r.Columns)
	return &out
}

// columnsOf describes df's columns, taking the description of same-named
// columns of the same gota type from known.
func columnsOf(df dataframe.DataFrame, known []Column) []Column {
	types := df.Types()
	cols := make([]Column, len(types))
	for i, name := range df.Names() {
		cols[i] = Column{Name: name, Series: types[i], Kind: kindOfSeries(types[i]), Type: string(types[i])}
		for _, k := range known {
			if k.Name == name && k.Series == types[i] {
				cols[i] = k
			}
		}
	}
	return cols
}

// rowsShown returns the row indexes to show and where the gap is (-1: none).
func (st style) rowsShown(n int) (idx []int, gapAfter int) {
	if n <= st.MaxRows {
		idx = make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx, -1
	}
	head := (st.MaxRows + 1) / 2
	tail := st.MaxRows / 2
	for i := 0; i < head; i++ {
		idx = append(idx, i)
	}
	for i := n - tail; i < n; i++ {
		idx = append(idx, i)
	}
	return idx, head - 1
}

// cell is one value ready to show.
type cell struct {
	text    string
	missing bool // NULL or NaN: shown apart
	full    string
}

// col is a DataFrame column read in place (df.Col would copy it).
type col struct {
	Name string
	t    series.Type
	df   dataframe.DataFrame
	i    int
}

func (c col) Type() series.Type           { return c.t }
func (c col) Elem(row int) series.Element { return c.df.Elem(row, c.i) }

func columns(df dataframe.DataFrame) []col {
	types := df.Types()
	cols := make([]col, len(types))
	for i, name := range df.Names() {
		cols[i] = col{Name: name, t: types[i], df: df, i: i}
	}
	return cols
}

func (st style) cell(s col, row int) cell {
	e := s.Elem(row)
	if e.IsNA() {
		null := true
		if st.nulls != nil {
			m := st.nulls[s.Name]
			null = row < len(m) && m[row]
		} else {
			null = gotalayout.SQLNull(e)
		}
		if s.Type() == series.Float && !null {
			return cell{text: "NaN", missing: true}
		}
		return cell{text: "NULL", missing: true}
	}
	switch s.Type() {
	case series.Int:
		v, _ := e.Int()
		if identifier(s.Name) {
			return cell{text: strconv.Itoa(v)}
		}
		return cell{text: numfmt.Grouped(strconv.Itoa(v))}
	case series.Float:
		k := st.Kinds[s.Name]
		if scale, ok := st.Scales[s.Name]; ok && k == Numeric && !math.IsInf(e.Float(), 0) && math.Abs(e.Float()) < 1e15 {
			return cell{text: numfmt.Grouped(strconv.FormatFloat(e.Float(), 'f', scale, 64))}
		}
		if k.temporal() && k != Interval {
			return cell{text: formatFloat(e.Float(), k)}
		}
		return cell{text: numfmt.Grouped(formatFloat(e.Float(), k))}
	case series.Bool:
		v, _ := e.Bool()
		return cell{text: strconv.FormatBool(v)}
	}
	v := e.String()
	if utf8.RuneCountInString(v) <= st.MaxChars {
		return cell{text: v}
	}
	return cell{text: cut(v, st.MaxChars-1) + "…", full: cut(v, maxTooltip)}
}

// identifier reports whether an integer column names things rather than
// counts them (id, order_id, year): its numbers are shown without thousands
// separators.
func identifier(name string) bool {
	n := strings.ToLower(name)
	return n == "id" || n == "year" || strings.HasSuffix(n, "_id") || strings.HasSuffix(n, "_year") || strings.HasSuffix(n, "_no")
}

func cut(s string, runes int) string {
	i := 0
	for pos := range s {
		if i == runes {
			return s[:pos]
		}
		i++
	}
	return s
}

// formatFloat shows a Float column's value according to its kind.
func formatFloat(f float64, k Kind) string {
	if k.temporal() && math.IsInf(f, 0) {
		if f > 0 {
			return "infinity"
		}
		return "-infinity"
	}
	switch k {
	case Timestamp:
		t := secondsTime(f)
		if t.Nanosecond() == 0 {
			return t.Format("2006-01-02 15:04:05")
		}
		return t.Format("2006-01-02 15:04:05.999999")
	case Date:
		return secondsTime(f).Format("2006-01-02")
	case TimeOfDay:
		return time.Unix(0, 0).UTC().Add(time.Duration(math.Round(f*1e6)) * time.Microsecond).Format("15:04:05.999999")
	case Interval:
		return formatInterval(f)
	}
	a := math.Abs(f)
	if a != 0 && (a < 1e-4 || a >= 1e15) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// formatInterval prints seconds as PostgreSQL prints a day-time interval:
// "3 days 04:05:06.5", "-00:30:00".
func formatInterval(sec float64) string {
	sign := ""
	if sec < 0 {
		sign, sec = "-", -sec
	}
	us := int64(math.Round(sec * 1e6))
	days := us / (86400 * 1e6)
	us -= days * 86400 * 1e6
	h, m := us/3600e6, us/60e6%60
	s := float64(us%60e6) / 1e6
	clock := fmt.Sprintf("%02d:%02d:%02d", h, m, int64(s))
	if frac := us % 1e6; frac != 0 {
		clock += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
	}
	switch {
	case days == 0:
		return sign + clock
	case days == 1 && us == 0:
		return sign + "1 day"
	case us == 0:
		return fmt.Sprintf("%s%d days", sign, days)
	case days == 1:
		return sign + "1 day " + clock
	}
	return fmt.Sprintf("%s%d days %s", sign, days, clock)
}

func (st style) typeLabel(s col) string {
	if t, ok := st.Types[s.Name]; ok && t != "" {
		if t == "timestamptz" {
			t += ", UTC"
		}
		return t
	}
	return string(s.Type())
}

func numeric(s col, k Kind) bool {
	return (s.Type() == series.Int || s.Type() == series.Float) && (k == 0 || !k.temporal() || k == Interval)
}

// HTML renders df as an HTML table: a caption with its shape, a header with
// names and types, the first and last rows when there are many, NULLs in
// grey italics, numbers right-aligned, long strings cut. Every name and
// value is HTML-escaped.
func (st style) HTML(df dataframe.DataFrame) string {
	st = st.withDefaults()
	if df.Err != nil {
		return `<div style="color:#b00020">DataFrame error: ` + html.EscapeString(df.Err.Error()) + `</div>`
	}
	nrow, ncol := df.Dims()
	cols := columns(df)
	var b strings.Builder
	b.WriteString(`<table class="replicalab-frame" style="border-collapse:collapse;font-size:12px">`)
	fmt.Fprintf(&b, `<caption style="text-align:left;color:#555">%s × %s</caption>`, numfmt.Count(nrow, "row", "rows"), numfmt.Count(ncol, "column", "columns"))
	b.WriteString(`<thead><tr><th></th>`)
	for _, s := range cols {
		fmt.Fprintf(&b, `<th style="text-align:left">%s</th>`, html.EscapeString(s.Name))
	}
	b.WriteString(`</tr><tr><th></th>`)
	for _, s := range cols {
		fmt.Fprintf(&b, `<th style="text-align:left;font-weight:normal;color:#777;font-style:italic">%s</th>`, html.EscapeString(st.typeLabel(s)))
	}
	b.WriteString(`</tr></thead><tbody>`)
	idx, gap := st.rowsShown(nrow)
	for j, r := range idx {
		fmt.Fprintf(&b, `<tr><th style="color:#777;font-weight:normal;text-align:right">%d</th>`, r)
		for _, s := range cols {
			c := st.cell(s, r)
			style := ""
			if numeric(s, st.Kinds[s.Name]) {
				style = "text-align:right;"
			}
			title := ""
			if c.full != "" {
				title = ` title="` + html.EscapeString(c.full) + `"`
			}
			if c.missing {
				fmt.Fprintf(&b, `<td class="null" style="%scolor:#999;font-style:italic">%s</td>`, style, c.text)
				continue
			}
			fmt.Fprintf(&b, `<td style="%s"%s>%s</td>`, style, title, html.EscapeString(c.text))
		}
		b.WriteString(`</tr>`)
		if j == gap {
			fmt.Fprintf(&b, `<tr><td colspan="%d" style="text-align:center;color:#777">… %s more rows …</td></tr>`,
				ncol+1, numfmt.Int(nrow-len(idx)))
		}
	}
	b.WriteString(`</tbody></table>`)
	return b.String()
}

// Text renders df as an aligned text table (see [style.HTML]).
func (st style) Text(df dataframe.DataFrame) string {
	var b strings.Builder
	st.WriteText(&b, df)
	return b.String()
}

// WriteText writes df as an aligned text table to w.
func (st style) WriteText(w io.Writer, df dataframe.DataFrame) {
	st = st.withDefaults()
	if df.Err != nil {
		fmt.Fprintf(w, "DataFrame error: %v\n", df.Err)
		return
	}
	nrow, ncol := df.Dims()
	cols := columns(df)
	idx, gap := st.rowsShown(nrow)
	grid := [][]string{make([]string, ncol+1), make([]string, ncol+1)}
	for i, s := range cols {
		grid[0][i+1] = s.Name
		grid[1][i+1] = st.typeLabel(s)
	}
	gapRow := -1
	for j, r := range idx {
		line := make([]string, ncol+1)
		line[0] = strconv.Itoa(r)
		for i, s := range cols {
			line[i+1] = st.cell(s, r).text
		}
		grid = append(grid, line)
		if j == gap {
			gapRow = len(grid)
			grid = append(grid, nil)
		}
	}
	width := make([]int, ncol+1)
	for _, line := range grid {
		for i, v := range line {
			width[i] = max(width[i], utf8.RuneCountInString(v))
		}
	}
	fmt.Fprintf(w, "%s × %s\n", numfmt.Count(nrow, "row", "rows"), numfmt.Count(ncol, "column", "columns"))
	for k, line := range grid { // numbers and their headers right-aligned
		if k == gapRow {
			fmt.Fprintf(w, "… %s more rows …\n", numfmt.Int(nrow-len(idx)))
			continue
		}
		var b strings.Builder
		for i, v := range line {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(v))
			right := i == 0 || numeric(cols[i-1], st.Kinds[cols[i-1].Name])
			if i > 0 {
				b.WriteString("  ")
			}
			if right {
				b.WriteString(pad + v)
			} else {
				b.WriteString(v + pad)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}
