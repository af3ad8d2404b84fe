package provenance

import (
	"encoding/json"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

func TestArgsSurviveJSON(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 7200))
	type region string
	in := []any{"EU", 42, int32(-7), uint16(9), 2.5, true, at, nil, []byte{1, 2}, []string{"a", "b"}, []int{1, 2}, []float64{0.5, math.Inf(-1), math.MaxFloat64}, region("US")}
	b, err := json.Marshal(EncodeArgs(in))
	if err != nil {
		t.Fatal(err)
	}
	var back []Arg
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeArgs(back)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"EU", int64(42), int64(-7), int64(9), 2.5, true, at, nil, []byte{1, 2}, []string{"a", "b"}, []int64{1, 2}, []float64{0.5, math.Inf(-1), math.MaxFloat64}, "US"}
	for i := range want {
		if w, ok := want[i].(time.Time); ok {
			if g, ok := got[i].(time.Time); !ok || !g.Equal(w) {
				t.Errorf("arg %d: got %#v, want %v", i, got[i], w)
			}
			continue
		}
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("arg %d: got %#v, want %#v", i, got[i], want[i])
		}
	}
	// NaN, which JSON numbers cannot hold, survives too (a histogram's thresholds end with it).
	nan, err := DecodeArgs(EncodeArgs([]any{[]float64{math.NaN()}, math.NaN()}))
	if err != nil || !math.IsNaN(nan[0].([]float64)[0]) || !math.IsNaN(nan[1].(float64)) {
		t.Errorf("NaN arguments: %v, %v", nan, err)
	}
	if s := (Arg{Type: "text", Value: "O'Brien"}).String(); s != "'O''Brien'" {
		t.Errorf("text arg shown as %s", s)
	}
	if _, err := DecodeArgs([]Arg{{Type: "money", Value: "1"}}); err == nil || !strings.Contains(err.Error(), `argument $1: expected a type among`) {
		t.Errorf("unknown type: %v", err)
	}
}

func TestLineageReadRoundTrip(t *testing.T) {
	r := Read{At: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), Lag: 1500 * time.Millisecond, LagKnown: true}
	l := NewLineage("SELECT $1", []any{1}, 3, r)
	if got := l.Read(); !got.At.Equal(r.At) || got.Lag != r.Lag || !got.LagKnown || got.Source != "" {
		t.Errorf("Read() = %+v", got)
	}
	rec := Record{Kind: Figure, Title: "T", Sources: []Lineage{l}}
	b, _ := json.Marshal(rec)
	back, err := ParseRecord(b)
	if err != nil || back.Sources[0].SQL != "SELECT $1" || *back.Sources[0].LagSeconds != 1.5 {
		t.Errorf("ParseRecord: %+v %v", back, err)
	}
	if _, err := ParseRecord([]byte("{")); err == nil || !strings.Contains(err.Error(), "expected a lineage record") {
		t.Errorf("bad JSON: %v", err)
	}
}

func numeric(s string) pgtype.Numeric {
	var n pgtype.Numeric
	if err := n.Scan(s); err != nil {
		panic(err)
	}
	return n
}

func TestSummaryOfASmallResultKeepsEveryRow(t *testing.T) {
	s := NewSummarizer([]string{"status", "orders", "share", "day"},
		[]ColumnKind{KindOfType(25), KindOfType(20), KindOfType(1700), KindOfType(1082)})
	day := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Add([]any{"paid", int64(120), numeric("60.5"), day})
	s.Add([]any{"shipped", int64(80), nil, day})
	n := s.Numbers()
	if n.Total != 2 || n.Partial || len(n.Rows) != 2 || !reflect.DeepEqual(n.Columns, []string{"orders", "share"}) {
		t.Fatalf("summary %+v", n)
	}
	if n.Rows[0].Key != "paid | 2025-01-01T00:00:00Z" || *n.Rows[0].Values[1] != 60.5 || n.Rows[1].Values[1] != nil || *n.Sums[0] != 200 {
		t.Errorf("rows %+v sums %v", n.Rows, *n.Sums[0])
	}
	// Unchanged numbers (and rows in another order) do not drift.
	s2 := NewSummarizer([]string{"status", "orders", "share", "day"}, []ColumnKind{CategoryColumn, NumberColumn, NumberColumn, TimeColumn})
	s2.Add([]any{"shipped", 80.0, nil, day})
	s2.Add([]any{"paid", 120.0, 60.5, day})
	if d := Compare(n, s2.Numbers(), DefaultTolerance); len(d) != 0 {
		t.Errorf("no drift expected, got %v", d)
	}
	// One order moved from shipped to paid: both rows drift, the total does not.
	s3 := NewSummarizer([]string{"status", "orders", "share", "day"}, []ColumnKind{CategoryColumn, NumberColumn, NumberColumn, TimeColumn})
	s3.Add([]any{"paid", 121, 60.5, day})
	s3.Add([]any{"shipped", 79, nil, day})
	s3.Add([]any{"cancelled", 1, nil, day})
	// (The sum of orders, 200 → 201, moved by 0.497 %: within the tolerance.)
	d := Compare(n, s3.Numbers(), DefaultTolerance)
	var got []string
	for _, x := range d {
		got = append(got, x.String())
	}
	want := []string{"rows: 2 → 3 (+50.0%)", "orders in row paid | 2025-01-01T00:00:00Z: 120 → 121 (+0.8%)",
		"orders in row shipped | 2025-01-01T00:00:00Z: 80 → 79 (-1.2%)", "new row cancelled | 2025-01-01T00:00:00Z"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("drift:\n got %q\nwant %q", got, want)
	}
}

func TestColumnKinds(t *testing.T) {
	for oid, want := range map[uint32]ColumnKind{23: NumberColumn, 1700: NumberColumn, 25: CategoryColumn, 16: CategoryColumn,
		1184: TimeColumn, 1082: TimeColumn, 3802: OtherColumn, 2950: OtherColumn, 1007: OtherColumn, 16390: CategoryColumn} {
		if got := KindOfType(oid); got != want {
			t.Errorf("KindOfType(%d) = %d, want %d", oid, got, want)
		}
	}
	// Left-out columns are not part of the key.
	s := NewSummarizer([]string{"doc", "n"}, []ColumnKind{OtherColumn, NumberColumn})
	s.Add([]any{map[string]any{"a": 1}, 3})
	if n := s.Numbers(); n.Rows[0].Key != "" || *n.Rows[0].Values[0] != 3 {
		t.Errorf("summary %+v", n.Rows)
	}
}

func TestSummaryOfALargeResultKeepsSumsAndCategoryCounts(t *testing.T) {
	mk := func(shift int) *Numbers {
		s := NewSummarizer([]string{"id", "status", "email"}, []ColumnKind{NumberColumn, CategoryColumn, CategoryColumn})
		for i := 0; i < 5000; i++ {
			st := []string{"paid", "shipped", "pending"}[i%3]
			if i < shift {
				st = "cancelled"
			}
			s.Add([]any{i, st, "u" + big.NewInt(int64(i)).String()})
		}
		return s.Numbers()
	}
	a := mk(0)
	if !a.Partial || a.Rows != nil || a.Total != 5000 || len(a.Counts) != 1 || a.Counts["status"]["paid"] != 1667 {
		t.Fatalf("large summary: partial %v, rows %d, counts %v", a.Partial, len(a.Rows), a.Counts)
	}
	if d := Compare(a, mk(0), DefaultTolerance); len(d) != 0 {
		t.Errorf("no drift expected: %v", d)
	}
	d := Compare(a, mk(30), DefaultTolerance)
	var got []string
	for _, x := range d {
		got = append(got, x.What)
	}
	if !reflect.DeepEqual(got, []string{"rows with status = cancelled", "rows with status = paid", "rows with status = pending", "rows with status = shipped"}) {
		t.Errorf("drift %v", d)
	}
	// Within the tolerance: 5 of 1667 is 0.3 %.
	if d := Compare(a, mk(3), DefaultTolerance); len(d) != 1 || d[0].What != "rows with status = cancelled" {
		t.Errorf("small shift: %v", d)
	}
}

func TestParseRecordReadsJSONText(t *testing.T) {
	b, _ := json.Marshal(Record{Kind: Figure, Title: "T"})
	quoted, _ := json.Marshal(string(b))
	for _, in := range [][]byte{b, quoted} {
		if r, err := ParseRecord(in); err != nil || r.Title != "T" {
			t.Errorf("ParseRecord(%s) = %+v, %v", in, r, err)
		}
	}
}
