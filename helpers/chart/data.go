package chart

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/replicalab/replicalab/internal/numfmt"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
)

// Sentinel errors, for errors.Is.
var (
	// ErrNoData: nothing left to draw (no rows, or every value NULL, NaN or
	// Inf). The chart returned with it is not nil: it shows the reason, so
	// Show(p) still tells the reader what happened.
	ErrNoData = errors.New("chart: no data")
	// ErrColumn: a column is missing or has a type the chart cannot use.
	ErrColumn = errors.New("chart: bad column")
)

// Dropped counts the values a chart left out because they cannot be drawn.
//
// In a gota DataFrame a Postgres NULL and a float NaN are the same missing
// value, so frames count both as NULL; NaN counts only values given as plain
// []float64.
type Dropped struct {
	NULL, NaN, Inf int
}

// Total is NULL + NaN + Inf.
func (d Dropped) Total() int { return d.NULL + d.NaN + d.Inf }

// String is e.g. "188 NULL, 2 Inf dropped", or "" when nothing was dropped.
func (d Dropped) String() string {
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{d.NULL, "NULL"}, {d.NaN, "NaN"}, {d.Inf, "Inf"}} {
		if p.n > 0 {
			parts = append(parts, numfmt.Int(p.n)+" "+p.what)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, ", ") + " dropped"
}

func (d *Dropped) add(e Dropped) { d.NULL += e.NULL; d.NaN += e.NaN; d.Inf += e.Inf }

// count classifies one value that is missing (null) or not finite.
func (d *Dropped) count(v float64, null bool) bool {
	switch {
	case null:
		d.NULL++
	case math.IsNaN(v):
		d.NaN++
	case math.IsInf(v, 0):
		d.Inf++
	default:
		return true
	}
	return false
}

func isBad(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }

// column is one column of input, whatever it came from.
type column struct {
	name string
	// nums holds numbers, or unix seconds for times; texts holds categories.
	nums  []float64
	texts []string
	// null marks missing values (gota NA, or the zero time.Time); nil when
	// there are none. A NaN in nums without null is a NaN value.
	null []bool
}

func (c column) len() int {
	if c.texts != nil {
		return len(c.texts)
	}
	return len(c.nums)
}

func (c column) isNull(i int) bool { return c.null != nil && c.null[i] }

// series returns the named column of df, or an error listing the columns df has.
func seriesOf(df dataframe.DataFrame, name string) (series.Series, error) {
	if df.Err != nil {
		return series.Series{}, fmt.Errorf("%w: the DataFrame carries an error: %w", ErrColumn, df.Err)
	}
	for _, n := range df.Names() {
		if n == name {
			return df.Col(name), nil
		}
	}
	return series.Series{}, fmt.Errorf("%w: no column %q in the DataFrame (it has %s)", ErrColumn, name, quoteList(df.Names()))
}

func quoteList(names []string) string {
	if len(names) == 0 {
		return "no columns"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) > 12 {
		q = append(q[:12], fmt.Sprintf("… %d more", len(names)-12))
	}
	return strings.Join(q, ", ")
}

// numeric reads a Float or Int column.
func numeric(df dataframe.DataFrame, name string) (column, error) {
	s, err := seriesOf(df, name)
	if err != nil {
		return column{}, err
	}
	switch s.Type() {
	case series.Float, series.Int:
	default:
		return column{}, fmt.Errorf("%w: column %q is %s, expected numbers (float or int)", ErrColumn, name, s.Type())
	}
	return column{name: name, nums: s.Float(), null: s.IsNaN()}, nil
}

// categorical reads any column as category labels.
func categorical(df dataframe.DataFrame, name string) (column, error) {
	s, err := seriesOf(df, name)
	if err != nil {
		return column{}, err
	}
	null := s.IsNaN()
	texts := make([]string, s.Len())
	switch s.Type() {
	case series.Float:
		for i, v := range s.Float() {
			if !null[i] {
				texts[i] = strconv.FormatFloat(v, 'g', -1, 64)
			}
		}
	default:
		for i, r := range s.Records() {
			if !null[i] {
				texts[i] = r
			}
		}
	}
	return column{name: name, texts: texts, null: null}, nil
}

// timeLayouts are the text forms a time column may take: RFC 3339, and the
// forms PostgreSQL prints (a space for the T, an hour-only offset, no zone),
// and plain dates. Times without a zone are read in the chart's zone.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02T15:04:05.999999999Z07",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

func parseTime(s string, loc *time.Location) (time.Time, bool) {
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// times reads a time column: unix seconds (Float or Int) or text in RFC 3339
// (or PostgreSQL's text form). Text that is not a time is an error naming
// the row, never a silent drop.
func times(df dataframe.DataFrame, name string, loc *time.Location) (column, error) {
	s, err := seriesOf(df, name)
	if err != nil {
		return column{}, err
	}
	switch s.Type() {
	case series.Float, series.Int:
		return column{name: name, nums: s.Float(), null: s.IsNaN()}, nil
	case series.String:
		null := s.IsNaN()
		nums := make([]float64, s.Len())
		for i, r := range s.Records() {
			if null[i] {
				nums[i] = math.NaN()
				continue
			}
			t, ok := parseTime(r, loc)
			if !ok {
				return column{}, fmt.Errorf("%w: column %q, row %d: expected an RFC 3339 time such as 2024-03-31T02:30:00+02:00, found %q", ErrColumn, name, i, r)
			}
			nums[i] = unixSeconds(t)
		}
		return column{name: name, nums: nums, null: null}, nil
	default:
		return column{}, fmt.Errorf("%w: column %q is %s, expected times as unix seconds (float or int) or RFC 3339 text", ErrColumn, name, s.Type())
	}
}

func unixSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

func fromUnix(s float64, loc *time.Location) time.Time {
	sec, frac := math.Modf(s)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).In(loc)
}

// timeColumn turns []time.Time into a column; the zero time counts as NULL.
func timeColumn(name string, ts []time.Time) column {
	c := column{name: name, nums: make([]float64, len(ts))}
	for i, t := range ts {
		if t.IsZero() {
			if c.null == nil {
				c.null = make([]bool, len(ts))
			}
			c.null[i] = true
			c.nums[i] = math.NaN()
			continue
		}
		c.nums[i] = unixSeconds(t)
	}
	return c
}

// finite returns the drawable values of c and what was dropped.
func finite(c column) ([]float64, Dropped) {
	var d Dropped
	out := make([]float64, 0, len(c.nums))
	for i, v := range c.nums {
		if d.count(v, c.isNull(i)) {
			out = append(out, v)
		}
	}
	return out, d
}

// pairs returns the rows where both x and y are drawable.
func pairs(x, y column) (xs, ys []float64, rows []int, d Dropped) {
	n := x.len()
	xs = make([]float64, 0, n)
	ys = make([]float64, 0, n)
	rows = make([]int, 0, n)
	for i := 0; i < n; i++ {
		var dx, dy Dropped
		okx := dx.count(x.nums[i], x.isNull(i))
		oky := dy.count(y.nums[i], y.isNull(i))
		if okx && oky {
			xs, ys, rows = append(xs, x.nums[i]), append(ys, y.nums[i]), append(rows, i)
			continue
		}
		// A row is dropped once, for the first reason found.
		if !okx {
			d.add(dx)
		} else {
			d.add(dy)
		}
	}
	return xs, ys, rows, d
}
