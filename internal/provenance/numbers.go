package provenance

import (
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Numbers is what a query returned, reduced to what make report VERIFY=1 compares after running the query
// again. A result of up to [MaxRowsKept] rows keeps every row: its key (the row's text, boolean and time
// values, see [KindOfType]) and its numbers. A larger one keeps its row count, each numeric column's sum, and the count of each value of
// its text and boolean columns that have at most [MaxCategories] distinct values. NULL, NaN and ±Inf are
// missing numbers (null in JSON).
type Numbers struct {
	Total   int                       `json:"total"`             // rows
	Columns []string                  `json:"columns"`           // the numeric columns, in result order
	Sums    []*float64                `json:"sums"`              // each numeric column's sum over its present values
	Rows    []NumberRow               `json:"rows,omitempty"`    // every row, when Total ≤ MaxRowsKept
	Counts  map[string]map[string]int `json:"counts,omitempty"`  // rows per value of each category column, when Total > MaxRowsKept
	Partial bool                      `json:"partial,omitempty"` // rows were not kept (more than MaxRowsKept)
}

// NumberRow is one row of a small result.
type NumberRow struct {
	Key    string     `json:"key,omitempty"`
	Values []*float64 `json:"values"`
}

// Limits of a Numbers summary.
const (
	MaxRowsKept   = 1000
	MaxCategories = 50
)

// ColumnKind says how a column counts in a Numbers summary.
type ColumnKind int

const (
	OtherColumn    ColumnKind = iota // left out: json, uuid, arrays, intervals, bytes... (their forms differ between clients)
	NumberColumn                     // integers, floating point, numeric: compared as numbers
	CategoryColumn                   // text, booleans, enums and other types of the database's own: part of a row's key, and counted per value in large results
	TimeColumn                       // date, timestamp, timestamptz: part of a row's key
)

// KindOfType classifies a PostgreSQL type by its OID (pgx's FieldDescription.DataTypeOID). Types created in
// the database (enums, domains, composites: OIDs from 16384) are read as text by every client, so they
// count as categories.
func KindOfType(oid uint32) ColumnKind {
	switch oid {
	case 20, 21, 23, 26, 700, 701, 1700: // int8, int2, int4, oid, float4, float8, numeric
		return NumberColumn
	case 16, 18, 19, 25, 1042, 1043: // bool, char, name, text, bpchar, varchar
		return CategoryColumn
	case 1082, 1114, 1184: // date, timestamp, timestamptz
		return TimeColumn
	}
	if oid >= 16384 {
		return CategoryColumn
	}
	return OtherColumn
}

// Summarizer builds a Numbers summary row by row.
type Summarizer struct {
	names  []string
	kinds  []ColumnKind
	n      Numbers
	sums   []float64
	counts []map[string]int // per column; nil once past MaxCategories or for non-category columns
	key    strings.Builder
}

// NewSummarizer starts a summary of a result with these columns.
func NewSummarizer(names []string, kinds []ColumnKind) *Summarizer {
	s := &Summarizer{names: names, kinds: kinds, counts: make([]map[string]int, len(names))}
	for i, k := range kinds {
		switch k {
		case NumberColumn:
			s.n.Columns = append(s.n.Columns, names[i])
		case CategoryColumn:
			s.counts[i] = map[string]int{}
		}
	}
	s.sums = make([]float64, len(s.n.Columns))
	return s
}

// Add counts one row. Values are what pgx's Rows.Values returns or their equivalents: numbers (any integer or
// float, or anything with a Float64Value method such as pgtype.Numeric), strings, booleans, time.Time (for
// time columns), nil for NULL.
func (s *Summarizer) Add(row []any) {
	s.n.Total++
	s.key.Reset()
	var vals []*float64
	if !s.n.Partial {
		vals = make([]*float64, 0, len(s.n.Columns))
	}
	j := 0
	for i, v := range row {
		if i >= len(s.kinds) {
			break
		}
		if s.kinds[i] == NumberColumn {
			f, ok := Number(v)
			if ok {
				s.sums[j] += f
			}
			if vals != nil {
				if ok {
					vals = append(vals, &f)
				} else {
					vals = append(vals, nil)
				}
			}
			j++
			continue
		}
		if s.kinds[i] == OtherColumn {
			continue
		}
		t := Text(v)
		if s.key.Len() > 0 {
			s.key.WriteString(" | ")
		}
		s.key.WriteString(t)
		if c := s.counts[i]; c != nil {
			c[t]++
			if len(c) > MaxCategories {
				s.counts[i] = nil
			}
		}
	}
	if s.n.Partial {
		return
	}
	if s.n.Total > MaxRowsKept {
		s.n.Partial, s.n.Rows = true, nil
		return
	}
	s.n.Rows = append(s.n.Rows, NumberRow{Key: s.key.String(), Values: vals})
}

// Numbers returns the summary of the rows added so far.
func (s *Summarizer) Numbers() *Numbers {
	n := s.n
	n.Sums = make([]*float64, len(s.sums))
	for i, v := range s.sums {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			v := v
			n.Sums[i] = &v
		}
	}
	if n.Partial {
		for i, c := range s.counts {
			if c != nil {
				if n.Counts == nil {
					n.Counts = map[string]map[string]int{}
				}
				n.Counts[s.names[i]] = c
			}
		}
	}
	return &n
}

// Number reads a value as a number; false for NULL, NaN, ±Inf and non-numbers.
func Number(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case nil:
		return 0, false
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int:
		f = float64(x)
	case int8:
		f = float64(x)
	case int16:
		f = float64(x)
	case int32:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint8:
		f = float64(x)
	case uint16:
		f = float64(x)
	case uint32:
		f = float64(x)
	case uint64:
		f = float64(x)
	case string:
		var err error
		if f, err = strconv.ParseFloat(x, 64); err != nil {
			return 0, false
		}
	case pgtype.Float64Valuer: // pgtype.Numeric and the other numeric types of pgx
		fv, err := x.Float64Value()
		if err != nil || !fv.Valid {
			return 0, false
		}
		f = fv.Float64
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// Text is a value's form in a row key and in category counts: times in UTC (RFC 3339), booleans as true or
// false, bytes in hex, NULL as NULL.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return hex.EncodeToString(x)
	case [16]byte: // a uuid
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// DefaultTolerance is the relative change make report VERIFY=1 accepts in a number: 0.5 %, one part in 200
// — less than a pixel on a 200-pixel bar, and below the rounding of a table showing three significant
// digits. Any change of a count between 0 and 200 is flagged.
const DefaultTolerance = 0.005

// Drift is one number that changed.
type Drift struct {
	What     string  // e.g. "rows", "sum of total", "orders in row paid", "rows with status = paid"
	Old, New float64 // NaN when missing on that side
}

func (d Drift) String() string {
	f := func(v float64) string {
		if math.IsNaN(v) {
			return "missing"
		}
		return strconv.FormatFloat(v, 'g', 8, 64)
	}
	if math.IsNaN(d.Old) && math.IsNaN(d.New) { // a row or column that appeared or went
		return d.What
	}
	s := fmt.Sprintf("%s: %s → %s", d.What, f(d.Old), f(d.New))
	if !math.IsNaN(d.Old) && !math.IsNaN(d.New) && d.Old != 0 {
		s += fmt.Sprintf(" (%+.1f%%)", (d.New-d.Old)/math.Abs(d.Old)*100)
	}
	return s
}

// Changed reports whether two numbers differ by more than tol relative to the larger of them.
func Changed(old, new, tol float64) bool {
	return math.Abs(new-old) > tol*math.Max(math.Abs(old), math.Abs(new))
}

// Compare lists the numbers of old that changed by more than tol (relative) in new. Rows of small results
// are matched by key (by position among rows with the same key).
func Compare(old, new *Numbers, tol float64) []Drift {
	var out []Drift
	num := func(what string, a, b float64) {
		if Changed(a, b, tol) {
			out = append(out, Drift{What: what, Old: a, New: b})
		}
	}
	opt := func(what string, a, b *float64) {
		switch {
		case a == nil && b == nil:
		case a == nil:
			out = append(out, Drift{What: what, Old: math.NaN(), New: *b})
		case b == nil:
			out = append(out, Drift{What: what, Old: *a, New: math.NaN()})
		default:
			num(what, *a, *b)
		}
	}
	if old == nil || new == nil {
		return nil
	}
	num("rows", float64(old.Total), float64(new.Total))
	newCol := map[string]int{}
	for i, c := range new.Columns {
		newCol[c] = i
	}
	for i, c := range old.Columns {
		j, ok := newCol[c]
		if !ok {
			out = append(out, Drift{What: "column " + c + " is gone", Old: math.NaN(), New: math.NaN()})
			continue
		}
		if i < len(old.Sums) && j < len(new.Sums) {
			opt("sum of "+c, old.Sums[i], new.Sums[j])
		}
	}
	if !old.Partial && !new.Partial {
		byKey := map[string][]NumberRow{}
		var order []string
		for _, r := range new.Rows {
			if _, seen := byKey[r.Key]; !seen {
				order = append(order, r.Key)
			}
			byKey[r.Key] = append(byKey[r.Key], r)
		}
		for n, r := range old.Rows {
			label := "row " + strconv.Itoa(n+1)
			if r.Key != "" {
				label = "row " + r.Key
			}
			cands := byKey[r.Key]
			if len(cands) == 0 {
				out = append(out, Drift{What: label + " is gone", Old: math.NaN(), New: math.NaN()})
				continue
			}
			nr := cands[0]
			byKey[r.Key] = cands[1:]
			for i, c := range old.Columns {
				j, ok := newCol[c]
				if !ok || i >= len(r.Values) || j >= len(nr.Values) {
					continue
				}
				opt(c+" in "+label, r.Values[i], nr.Values[j])
			}
		}
		var added []string
		for _, k := range order {
			if len(byKey[k]) > 0 {
				added = append(added, k)
			}
		}
		sort.Strings(added)
		for _, k := range added {
			out = append(out, Drift{What: "new row " + k, Old: math.NaN(), New: math.NaN()})
		}
		return out
	}
	cols := make([]string, 0, len(old.Counts))
	for c := range old.Counts {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	for _, c := range cols {
		nc := new.Counts[c]
		vals := make([]string, 0, len(old.Counts[c]))
		for v := range old.Counts[c] {
			vals = append(vals, v)
		}
		for v := range nc {
			if _, ok := old.Counts[c][v]; !ok {
				vals = append(vals, v)
			}
		}
		sort.Strings(vals)
		for _, v := range vals {
			num("rows with "+c+" = "+v, float64(old.Counts[c][v]), float64(nc[v]))
		}
	}
	return out
}
