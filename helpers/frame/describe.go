package frame

import (
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/replicalab/replicalab/internal/numfmt"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"github.com/replicalab/replicalab/internal/display"
)

// Summary describes each column of a DataFrame, like pandas' describe: for
// numbers count, missing values, mean, standard deviation, minimum,
// quartiles and maximum; for strings and booleans the number of distinct
// values and the most frequent ones.
type Summary struct {
	Rows    int
	Columns []ColumnSummary

	of dataframe.DataFrame // what was summarised: its lineage goes with the table (lineage.go)
}

// ColumnSummary describes one column. Count excludes missing values.
type ColumnSummary struct {
	Name    string
	Type    string // database type from a Result, else the gota type
	Kind    Kind   // 0 when unknown (a bare DataFrame)
	Scale   int    // numeric: digits after the decimal point its values are shown with
	Count   int    // values present
	Nulls   int    // SQL NULLs
	NaNs    int    // float NaN values (missing in gota but not NULL)
	Numeric bool   // the statistics below are set
	// Mean, sample standard deviation, minimum, quartiles (linear
	// interpolation, as pandas) and maximum of the values present; ±Inf are
	// values, so they can make Mean and Std infinite or NaN.
	Mean, Std, Min, Q1, Median, Q3, Max float64
	Distinct                            int          // strings and booleans: distinct values present
	Top                                 []ValueCount // strings and booleans: the 3 most frequent, most frequent first
}

// ValueCount is a value and how many rows hold it.
type ValueCount struct {
	Value string
	Count int
}

const topValues = 3

// Summary summarizes every column of the Result, like pandas' describe, with
// NULLs told apart from NaNs and times shown as times.
func (r *Result) Summary() Summary {
	s := summarize(r.DataFrame, r.style())
	s.of = r.DataFrame
	return s
}

func summarize(df dataframe.DataFrame, st style) Summary {
	nrow, _ := df.Dims()
	sum := Summary{Rows: nrow}
	for _, c := range columns(df) {
		cs := ColumnSummary{Name: c.Name, Type: st.typeLabel(c), Kind: st.Kinds[c.Name], Scale: st.Scales[c.Name]}
		if cs.Kind == 0 {
			cs.Kind = kindOfSeries(c.Type())
		}
		var vals []float64
		counts := map[string]int{}
		for r := 0; r < nrow; r++ {
			e := c.Elem(r)
			if e.IsNA() {
				if st.cell(c, r).text == "NaN" {
					cs.NaNs++
				} else {
					cs.Nulls++
				}
				continue
			}
			cs.Count++
			switch c.Type() {
			case series.Int, series.Float:
				vals = append(vals, e.Float())
			default:
				counts[e.String()]++
			}
		}
		if c.Type() == series.Int || c.Type() == series.Float {
			cs.Numeric = true
			stats(&cs, vals)
		} else {
			cs.Distinct = len(counts)
			cs.Top = top(counts, topValues)
		}
		sum.Columns = append(sum.Columns, cs)
	}
	return sum
}

func kindOfSeries(t series.Type) Kind {
	switch t {
	case series.Int:
		return Integer
	case series.Float:
		return Float
	case series.Bool:
		return Boolean
	}
	return Text
}

func stats(cs *ColumnSummary, v []float64) {
	nan := math.NaN()
	cs.Mean, cs.Std, cs.Min, cs.Q1, cs.Median, cs.Q3, cs.Max = nan, nan, nan, nan, nan, nan, nan
	if len(v) == 0 {
		return
	}
	var sum float64
	for _, x := range v {
		sum += x
	}
	cs.Mean = sum / float64(len(v))
	if len(v) > 1 {
		var ss float64
		for _, x := range v {
			ss += (x - cs.Mean) * (x - cs.Mean)
		}
		cs.Std = math.Sqrt(ss / float64(len(v)-1))
	}
	slices.Sort(v)
	cs.Min, cs.Max = v[0], v[len(v)-1]
	cs.Q1, cs.Median, cs.Q3 = quantile(v, 0.25), quantile(v, 0.5), quantile(v, 0.75)
}

// quantile of sorted values with linear interpolation between the closest
// ranks (pandas' and numpy's default).
func quantile(sorted []float64, p float64) float64 {
	pos := p * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	frac := pos - float64(lo)
	if frac == 0 || sorted[lo] == sorted[hi] {
		return sorted[lo]
	}
	return sorted[lo] + frac*(sorted[hi]-sorted[lo])
}

func top(counts map[string]int, k int) []ValueCount {
	all := make([]ValueCount, 0, len(counts))
	for v, n := range counts {
		all = append(all, ValueCount{v, n})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Count != all[j].Count {
			return all[i].Count > all[j].Count
		}
		return all[i].Value < all[j].Value
	})
	if len(all) > k {
		all = all[:k]
	}
	return all
}

// statistic formats a statistic of a column in its kind: times for Timestamp
// and Date, intervals for the spread of times; the minimum and maximum
// (exact) as the column's values are shown; other numbers to six
// significant digits (the exact values are in the ColumnSummary).
func (cs ColumnSummary) statistic(f float64, spread, exact bool) string {
	if math.IsNaN(f) {
		return ""
	}
	k := cs.Kind
	if spread && (k == Timestamp || k == Date || k == TimeOfDay) {
		k = Interval
	}
	if k.temporal() {
		return formatFloat(f, k)
	}
	var text string
	switch {
	case exact && k == Numeric && !math.IsInf(f, 0) && math.Abs(f) < 1e15:
		text = strconv.FormatFloat(f, 'f', cs.Scale, 64)
	case exact:
		text = formatFloat(f, Float)
	default:
		// Six significant digits are plenty in a summary: 3.88909, 1,234,570.
		if r, err := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 6, 64), 64); err == nil {
			f = r
		}
		text = formatFloat(f, Float)
	}
	if k == Integer && identifier(cs.Name) {
		return text
	}
	return numfmt.Grouped(text)
}

// row returns the summary line of a column: the cells under summaryHeader.
func (cs ColumnSummary) row(maxChars int) []string {
	out := []string{cs.Name, cs.Type, numfmt.Int(cs.Count), numfmt.Int(cs.Nulls)}
	if cs.NaNs > 0 {
		out[3] += fmt.Sprintf(" (+%s NaN)", numfmt.Int(cs.NaNs))
	}
	if cs.Numeric {
		out = append(out, cs.statistic(cs.Mean, false, false), cs.statistic(cs.Std, true, false), cs.statistic(cs.Min, false, true),
			cs.statistic(cs.Q1, false, false), cs.statistic(cs.Median, false, false), cs.statistic(cs.Q3, false, false),
			cs.statistic(cs.Max, false, true), "", "")
		return out
	}
	tops := make([]string, len(cs.Top))
	for i, t := range cs.Top {
		v := t.Value
		if len([]rune(v)) > maxChars {
			v = cut(v, maxChars-1) + "…"
		}
		tops[i] = fmt.Sprintf("%s (%s)", v, numfmt.Int(t.Count))
	}
	return append(out, "", "", "", "", "", "", "", numfmt.Int(cs.Distinct), strings.Join(tops, ", "))
}

var summaryHeader = []string{"column", "type", "count", "nulls", "mean", "std", "min", "25%", "50%", "75%", "max", "distinct", "top values"}

// HTML renders the summary as a table, one row per column; every name and
// value is HTML-escaped.
func (s Summary) HTML() string { return withRecord(s.of, s.table()) }

func (s Summary) table() string {
	var b strings.Builder
	b.WriteString(`<table class="replicalab-summary" style="border-collapse:collapse;font-size:12px">`)
	fmt.Fprintf(&b, `<caption style="text-align:left;color:#555">summary of %s × %s</caption><thead><tr>`, numfmt.Count(s.Rows, "row", "rows"), numfmt.Count(len(s.Columns), "column", "columns"))
	for _, h := range summaryHeader {
		fmt.Fprintf(&b, `<th style="text-align:left">%s</th>`, html.EscapeString(h))
	}
	b.WriteString(`</tr></thead><tbody>`)
	for _, cs := range s.Columns {
		b.WriteString(`<tr>`)
		for i, v := range cs.row(30) {
			style := ""
			if i >= 2 && i <= 11 {
				style = ` style="text-align:right"`
			}
			fmt.Fprintf(&b, `<td%s>%s</td>`, style, html.EscapeString(v))
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</tbody></table>`)
	return b.String()
}

// String renders the summary as an aligned text table.
func (s Summary) String() string {
	var b strings.Builder
	s.WriteText(&b)
	return b.String()
}

// WriteText writes the summary as an aligned text table to w.
func (s Summary) WriteText(w io.Writer) {
	grid := [][]string{summaryHeader}
	for _, cs := range s.Columns {
		grid = append(grid, cs.row(20))
	}
	width := make([]int, len(summaryHeader))
	for _, line := range grid {
		for i, v := range line {
			width[i] = max(width[i], len([]rune(v)))
		}
	}
	fmt.Fprintf(w, "summary of %s × %s\n", numfmt.Count(s.Rows, "row", "rows"), numfmt.Count(len(s.Columns), "column", "columns"))
	for _, line := range grid {
		var b strings.Builder
		for i, v := range line {
			pad := strings.Repeat(" ", width[i]-len([]rune(v)))
			if i > 0 {
				b.WriteString("  ")
			}
			if i >= 2 && i <= 11 {
				b.WriteString(pad + v)
			} else {
				b.WriteString(v + pad)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// Show displays the summary: HTML in a notebook, text on stdout elsewhere.
func (s Summary) Show() {
	display.Show(display.Output{Kind: display.Result, HTML: s.HTML(), Text: s.String()})
}
