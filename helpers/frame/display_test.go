package frame_test

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/replicalab/replicalab/internal/numfmt"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"github.com/replicalab/replicalab/helpers/frame"
	"golang.org/x/net/html"
)

// tags returns the start tags of an HTML fragment, by name.
func tags(t *testing.T, fragment string) map[string]int {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(fragment))
	found := map[string]int{}
	for {
		switch z.Next() {
		case html.ErrorToken:
			return found
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			found[string(name)]++
		}
	}
}

// cellsOf returns the text of every <td> of an HTML table, in order, with
// its style attribute.
func cellsOf(t *testing.T, fragment string) (texts, styles []string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(fragment))
	in := false
	for {
		switch z.Next() {
		case html.ErrorToken:
			return texts, styles
		case html.StartTagToken:
			name, attr := z.TagName()
			if string(name) == "td" {
				in = true
				style := ""
				for attr {
					var k, v []byte
					k, v, attr = z.TagAttr()
					if string(k) == "style" {
						style = string(v)
					}
				}
				texts, styles = append(texts, ""), append(styles, style)
			}
		case html.TextToken:
			if in {
				texts[len(texts)-1] += string(z.Text())
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "td" {
				in = false
			}
		}
	}
}

// TestHTMLTableEscapesAndShowsTypes renders a result holding markup, NULL,
// NaN, a long string, numbers and a timestamp.
func TestHTMLTableEscapesAndShowsTypes(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("x", 59) + "<script>alert('long')</script>"
	r := e.load(`SELECT * FROM (VALUES
		(1, '<script>alert(1)</script>'::text, 2.5::float8, $1::text, '2024-02-29 12:34:56.123456+00'::timestamptz, '1 day 02:00'::interval),
		(2, NULL, 'NaN', 'a & b', NULL, NULL),
		(3, 'NaN', NULL, '', '2024-01-01 00:00:00+00', '-00:30:00')) AS t(n, "<b>x</b>", f, s, at, iv)`, long)
	out := r.HTML()
	if got := tags(t, out); got["script"] != 0 || got["b"] != 0 {
		t.Fatalf("markup in values or names must be escaped, found tags %v in %s", got, out)
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;b&gt;x&lt;/b&gt;", "a &amp; b", "3 rows × 6 columns",
		">int4<", ">text<", ">float8<", ">timestamptz, UTC<", ">interval<"} {
		if !strings.Contains(out, want) {
			t.Errorf("expected %q in the table, found %s", want, out)
		}
	}
	texts, styles := cellsOf(t, out)
	if len(texts) != 18 {
		t.Fatalf("expected 3 rows × 6 cells, found %d cells: %q", len(texts), texts)
	}
	want := []string{
		"1", "<script>alert(1)</script>", "2.5", strings.Repeat("x", 59) + "…", "2024-02-29 12:34:56.123456", "1 day 02:00:00",
		"2", "NULL", "NaN", "a & b", "NULL", "NULL",
		"3", "NaN", "NULL", "", "2024-01-01 00:00:00", "-00:30:00",
	}
	for i := range want {
		if texts[i] != want[i] {
			t.Errorf("cell %d: expected %q, found %q", i, want[i], texts[i])
		}
	}
	// Numbers right-aligned; NULL and NaN set apart; the string "NaN" is not.
	for _, i := range []int{0, 2, 6, 12} {
		if !strings.Contains(styles[i], "text-align:right") {
			t.Errorf("cell %d (%q): expected right alignment, found style %q", i, texts[i], styles[i])
		}
	}
	for _, i := range []int{7, 8, 10, 14} {
		if !strings.Contains(styles[i], "italic") {
			t.Errorf("cell %d (%q): expected NULL/NaN in italics, found style %q", i, texts[i], styles[i])
		}
	}
	if strings.Contains(styles[13], "italic") {
		t.Errorf("the string \"NaN\" is a value, not a missing one: found style %q", styles[13])
	}
	// The cut string's tooltip holds more, escaped.
	if !strings.Contains(out, `title="`+strings.Repeat("x", 59)+"&lt;script&gt;alert(&#39;long&#39;)&lt;/script&gt;") {
		t.Errorf("expected the full value, escaped, in the tooltip of the cut cell")
	}

	// The same frame without the Result's details: gota types, NULL told
	// from NaN all the same.
	bare := frame.Of(r.DataFrame).HTML()
	for _, want := range []string{">int<", ">string<", ">float<"} {
		if !strings.Contains(bare, want) {
			t.Errorf("bare DataFrame: expected gota type %q in the header", want)
		}
	}
	bt, _ := cellsOf(t, bare)
	if bt[7] != "NULL" || bt[8] != "NaN" || bt[13] != "NaN" || bt[14] != "NULL" || bt[4] != numfmt.Grouped(strconv.FormatFloat(frame.Unix(mustTime(t, r, "at", 0)), 'f', -1, 64)) {
		t.Errorf("bare DataFrame: expected NULL, NaN, NaN, NULL and raw seconds; found %q", bt)
	}
	// With brings the times back for derived frames.
	derived := r.With(r.DataFrame.Subset([]int{0})).HTML()
	if !strings.Contains(derived, "2024-02-29 12:34:56.123456") {
		t.Errorf("With: expected the timestamp shown as a time, found %s", derived)
	}
}

func mustTime(t *testing.T, r *frame.Result, col string, row int) time.Time {
	t.Helper()
	ts, err := r.Times(col)
	if err != nil {
		t.Fatal(err)
	}
	return ts[row]
}

// TestTableHeadAndTail: long frames show the first and last rows and say how
// many are hidden, in HTML and in text.
func TestTableHeadAndTail(t *testing.T) {
	e := newEnv(t)
	r := e.load("SELECT g AS n, repeat('é', g % 7) AS s FROM generate_series(0, 999) g")
	out := r.HTML()
	var shown []string
	for _, m := range regexp.MustCompile(`<th style="color:#777;font-weight:normal;text-align:right">(\d+)</th>|… ([\d,]+) more rows …`).FindAllStringSubmatch(out, -1) {
		shown = append(shown, m[1]+m[2])
	}
	if strings.Join(shown, " ") != "0 1 2 3 4 5 6 7 8 9 980 990 991 992 993 994 995 996 997 998 999" {
		t.Fatalf("expected rows 0-9, a gap of 980 rows, rows 990-999; found %q", shown)
	}
	text := frame.Of(r.DataFrame, frame.MaxRows(4)).Text()
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != 8 || lines[0] != "1,000 rows × 2 columns" || !strings.Contains(lines[5], "996 more rows") {
		t.Fatalf("text table with MaxRows 4: expected a title, 2 header lines, 2 rows, a gap, 2 rows; found\n%s", text)
	}
	// Numbers are right-aligned: the index and n columns end at the same place on every row.
	if strings.Index(lines[1], "n  s") != 7 || strings.Index(lines[2], "int  string") != 5 {
		t.Errorf("expected the headers of the number column right-aligned (ending at column 8), found\n%s", text)
	}
	for _, line := range []string{lines[3], lines[4], lines[6], lines[7]} {
		if end := len(strings.TrimRight(strings.TrimRight(line, "é"), " ")); end != 8 {
			t.Errorf("expected every line's number to end at column 8 (right-aligned), found %d in %q of\n%s", end, line, text)
		}
	}
	if !strings.HasPrefix(lines[7], "999  999") {
		t.Errorf("expected the index and the right-aligned number on the last line, found %q", lines[7])
	}
}

// TestDescribeMatchesTheServer compares the summary with PostgreSQL's own
// aggregates over the same rows, NULLs and NaNs included.
func TestDescribeMatchesTheServer(t *testing.T) {
	e := newEnv(t)
	const from = ` FROM (SELECT CASE WHEN g % 10 = 0 THEN NULL ELSE (hashint4(g) % 1000)::int4 END AS x,
		CASE WHEN g % 7 = 0 THEN NULL WHEN g % 13 = 0 THEN 'NaN'::float8 ELSE g / 3.0 END AS f,
		CASE WHEN g % 9 = 0 THEN NULL ELSE (ARRAY['NA','NA','red','green','blue'])[1 + abs(hashint4(g + 5)) % 5] END AS s,
		CASE WHEN g % 5 = 0 THEN NULL ELSE g % 3 = 0 END AS b
		FROM generate_series(1, 2000) g) t`
	r := e.load("SELECT x, f, s, b" + from)
	sum := r.Summary()
	ctx := context.Background()
	var x, f struct {
		n, nulls                         int
		mean, std, min, q1, med, q3, max float64
	}
	err := e.db.QueryRow(ctx, `SELECT count(x), count(*) - count(x), avg(x)::float8, stddev_samp(x)::float8, min(x), 
		percentile_cont(0.25) WITHIN GROUP (ORDER BY x), percentile_cont(0.5) WITHIN GROUP (ORDER BY x),
		percentile_cont(0.75) WITHIN GROUP (ORDER BY x), max(x)`+from).Scan(&x.n, &x.nulls, &x.mean, &x.std, &x.min, &x.q1, &x.med, &x.q3, &x.max)
	if err != nil {
		t.Fatal(err)
	}
	var fnan int
	err = e.db.QueryRow(ctx, `SELECT count(f) FILTER (WHERE f <> 'NaN'), count(*) - count(f), count(*) FILTER (WHERE f = 'NaN'),
		avg(f) FILTER (WHERE f <> 'NaN'), stddev_samp(f) FILTER (WHERE f <> 'NaN'), min(f),
		percentile_cont(0.25) WITHIN GROUP (ORDER BY f) FILTER (WHERE f <> 'NaN'), percentile_cont(0.5) WITHIN GROUP (ORDER BY f) FILTER (WHERE f <> 'NaN'),
		percentile_cont(0.75) WITHIN GROUP (ORDER BY f) FILTER (WHERE f <> 'NaN'), max(f) FILTER (WHERE f <> 'NaN')`+from).
		Scan(&f.n, &f.nulls, &fnan, &f.mean, &f.std, &f.min, &f.q1, &f.med, &f.q3, &f.max)
	if err != nil {
		t.Fatal(err)
	}
	close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
	for i, want := range []struct {
		name string
		v    struct {
			n, nulls                         int
			mean, std, min, q1, med, q3, max float64
		}
		nans int
	}{{"x", x, 0}, {"f", f, fnan}} {
		c := sum.Columns[i]
		w := want.v
		if c.Name != want.name || !c.Numeric || c.Count != w.n || c.Nulls != w.nulls || c.NaNs != want.nans {
			t.Errorf("%s: expected count %d, nulls %d, NaNs %d; found %+v", want.name, w.n, w.nulls, want.nans, c)
		}
		for _, p := range []struct {
			stat      string
			got, want float64
		}{{"mean", c.Mean, w.mean}, {"std", c.Std, w.std}, {"min", c.Min, w.min}, {"25%", c.Q1, w.q1},
			{"50%", c.Median, w.med}, {"75%", c.Q3, w.q3}, {"max", c.Max, w.max}} {
			if !close(p.got, p.want) {
				t.Errorf("%s %s: expected %v (PostgreSQL), found %v", want.name, p.stat, p.want, p.got)
			}
		}
	}

	rows, err := e.db.Query(ctx, "SELECT s, count(*) FROM (SELECT s"+from+") u WHERE s IS NOT NULL GROUP BY s ORDER BY 2 DESC, 1 LIMIT 3")
	if err != nil {
		t.Fatal(err)
	}
	var top []frame.ValueCount
	for rows.Next() {
		var v frame.ValueCount
		if err := rows.Scan(&v.Value, &v.Count); err != nil {
			t.Fatal(err)
		}
		top = append(top, v)
	}
	var distinct, nulls int
	if err := e.db.QueryRow(ctx, "SELECT count(DISTINCT s), count(*) - count(s)"+from).Scan(&distinct, &nulls); err != nil {
		t.Fatal(err)
	}
	s := sum.Columns[2]
	if s.Numeric || s.Distinct != distinct || s.Nulls != nulls || fmt.Sprint(s.Top) != fmt.Sprint(top) {
		t.Errorf("s: expected %d distinct, %d nulls, top %v; found %d, %d, %v", distinct, nulls, top, s.Distinct, s.Nulls, s.Top)
	}
	if !strings.Contains(fmt.Sprint(s.Top), "NA") {
		t.Errorf("the string \"NA\" is a value: expected it among the top values, found %v", s.Top)
	}
	b := sum.Columns[3]
	if b.Distinct != 2 || b.Nulls != 400 || b.Count != 1600 {
		t.Errorf("b: expected 2 distinct values, 400 NULLs, 1600 values; found %+v", b)
	}

	// Rendered as a table, escaped, one line per column.
	text := sum.String()
	if lines := strings.Split(strings.TrimSpace(text), "\n"); len(lines) != 6 || !strings.HasPrefix(lines[1], "column") {
		t.Errorf("expected a title, a header and 4 column lines, found\n%s", text)
	}
	if h := sum.HTML(); tags(t, h)["tr"] != 5 || !strings.Contains(h, "blue (") {
		t.Errorf("expected an HTML table with a header and 4 rows, found %s", h)
	}
}

// TestDescribeTimes: statistics of a time column are shown as times, its
// spread as an interval.
func TestDescribeTimes(t *testing.T) {
	e := newEnv(t)
	r := e.load(`SELECT timestamptz '2024-01-01 00:00:00+00' + g * interval '1 day' AS at FROM generate_series(0, 10) g`)
	text := r.Summary().String()
	for _, want := range []string{"2024-01-01 00:00:00", "2024-01-06 00:00:00", "2024-01-11 00:00:00", "3 days 07:"} {
		if !strings.Contains(text, want) {
			t.Errorf("expected %q in the summary, found\n%s", want, text)
		}
	}
}

// TestHelpersOnBareFrames: Times, Durations and Unix on frames built by hand.
func TestHelpersOnBareFrames(t *testing.T) {
	s := series.New([]float64{0, 1709210096.123456, math.Inf(1)}, series.Float, "t")
	s.Elem(2).Set(nil)
	got := frame.Times(s)
	if !got[0].Equal(mustParse(t, "1970-01-01T00:00:00Z")) || !got[1].Equal(mustParse(t, "2024-02-29T12:34:56.123456Z")) || !got[2].IsZero() {
		t.Errorf("Times: expected 1970-01-01, 2024-02-29 12:34:56.123456, zero; found %v", got)
	}
	if frame.Unix(got[1]) != 1709210096.123456 {
		t.Errorf("Unix: expected the seconds back, found %v", frame.Unix(got[1]))
	}
	d, ok := frame.Durations(series.New([]float64{90.5, -1e-6}, series.Float, "d"))
	if d[0].String() != "1m30.5s" || d[1].String() != "-1µs" || !ok[0] || !ok[1] {
		t.Errorf("Durations: expected 1m30.5s and -1µs, found %v %v", d, ok)
	}
	df := dataframe.New(series.New([]string{"a"}, series.String, "x"))
	if !strings.Contains(frame.Of(df).Text(), "1 row × 1 column") {
		t.Errorf("Text of a bare frame: unexpected %q", frame.Of(df).Text())
	}
}

func mustParse(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
