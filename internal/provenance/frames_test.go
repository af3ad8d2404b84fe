package provenance

import (
	"math"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
)

// frameAndRows builds the same rows as helpers/frame holds them (times as seconds, NULL as missing) and as
// pgx's Rows.Values returns them.
func frameAndRows(n int) (dataframe.DataFrame, []uint32, [][]any) {
	statuses := []string{"paid", "shipped", "pending"}
	st, qty, total, day := make([]string, n), make([]int, n), make([]float64, n), make([]float64, n)
	var rows [][]any
	for i := 0; i < n; i++ {
		d := time.Date(2025, 1, 1+i%40, 0, 0, 0, 0, time.UTC)
		st[i], qty[i], total[i], day[i] = statuses[i%3], i%7, float64(i)*1.25, float64(d.Unix())
		row := []any{st[i], int64(qty[i]), total[i], d, map[string]any{"x": i}}
		if i%11 == 0 {
			row[2] = nil
		}
		rows = append(rows, row)
	}
	ts := series.New(total, series.Float, "total")
	for i := 0; i < n; i += 11 {
		ts.Elem(i).Set(math.NaN())
	}
	df := dataframe.New(series.New(st, series.String, "status"), series.New(qty, series.Int, "quantity"), ts,
		series.New(day, series.Float, "day"), series.New(make([]string, n), series.String, "doc"))
	return df, []uint32{25, 23, 1700, 1082, 3802}, rows
}

func TestNumbersOfAFrameMatchWhatPgxGives(t *testing.T) {
	for _, n := range []int{30, MaxRowsKept + 500} {
		df, oids, rows := frameAndRows(n)
		kinds := make([]ColumnKind, len(oids))
		for i, o := range oids {
			kinds[i] = KindOfType(o)
		}
		s := NewSummarizer(df.Names(), kinds)
		for _, r := range rows {
			s.Add(r)
		}
		want, got := s.Numbers(), NumbersOfFrame(df, oids)
		if d := Compare(want, got, 0); len(d) != 0 {
			t.Errorf("%d rows: the frame's numbers differ from pgx's: %v", n, d)
		}
		if !reflect.DeepEqual(want.Counts, got.Counts) || want.Partial != got.Partial || len(want.Rows) != len(got.Rows) {
			t.Errorf("%d rows: counts %v / %v, partial %v / %v", n, want.Counts, got.Counts, want.Partial, got.Partial)
		}
		if n < MaxRowsKept && got.Rows[1].Key != "shipped | 2025-01-02T00:00:00Z" {
			t.Errorf("row key %q", got.Rows[1].Key)
		}
	}
}

func TestFrameLineageFollowsCopiesNotDerivedFrames(t *testing.T) {
	df, oids, _ := frameAndRows(20)
	l := NewLineage("SELECT * FROM orders", nil, 20, Read{At: time.Now()})
	AttachFrame(df, l, oids)
	cp := df // gota passes DataFrames by value
	got, ok := FrameLineage(cp)
	if !ok || got.SQL != "SELECT * FROM orders" || got.Numbers == nil || got.Numbers.Total != 20 {
		t.Fatalf("lineage of a copy: %+v %v", got, ok)
	}
	if _, ok := FrameLineage(df.Subset([]int{0, 1})); ok {
		t.Error("a derived frame has its source's lineage")
	}
	if _, ok := FrameLineage(dataframe.DataFrame{}); ok {
		t.Error("an empty DataFrame has a lineage")
	}
	// The registry lets DataFrames go.
	before := 0
	frames.Range(func(any, any) bool { before++; return true })
	for i := 0; i < 50; i++ {
		d, o, _ := frameAndRows(5)
		AttachFrame(d, l, o)
	}
	for i := 0; i < 5; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	after := 0
	frames.Range(func(any, any) bool { after++; return true })
	if after > before+5 {
		t.Errorf("the registry keeps %d entries after 50 DataFrames were dropped (had %d)", after, before)
	}
	runtime.KeepAlive(df)
}
