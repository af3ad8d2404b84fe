package provenance

import (
	"math"
	"reflect"
	"runtime"
	"sync"
	"time"
	"weak"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
)

// A DataFrame does not say where its rows came from, and gota copies DataFrames by value. helpers/frame
// attaches the lineage of each DataFrame it loads to the DataFrame's column storage, which every copy
// shares, so that helpers/chart can find it from the DataFrame a chart is drawn from. A DataFrame derived
// from it (Filter, Select, Mutate...) has storage of its own and no lineage. The registry holds no
// DataFrame alive.

type frameEntry struct {
	mu      sync.Mutex
	lineage Lineage
	oids    []uint32
}

var frames sync.Map // weak.Pointer[byte] (the columns' storage) → *frameEntry

// frameKey is the DataFrame's column storage, shared by its copies.
func frameKey(df dataframe.DataFrame) (*byte, bool) {
	v := reflect.ValueOf(df).FieldByName("columns")
	if !v.IsValid() || v.Kind() != reflect.Slice || v.Len() == 0 {
		return nil, false
	}
	return (*byte)(v.UnsafePointer()), true
}

// AttachFrame records that df holds the rows of the query of l; oids are the PostgreSQL types of df's
// columns, in order (they decide how each column counts in [Numbers]).
func AttachFrame(df dataframe.DataFrame, l Lineage, oids []uint32) {
	p, ok := frameKey(df)
	if !ok {
		return
	}
	w := weak.Make(p)
	l.Numbers = nil
	if _, loaded := frames.Swap(w, &frameEntry{lineage: l, oids: append([]uint32(nil), oids...)}); !loaded {
		runtime.AddCleanup(p, func(w weak.Pointer[byte]) { frames.Delete(w) }, w)
	}
}

// FrameLineage returns the lineage of the rows df holds, with their Numbers (computed once); false for a
// DataFrame helpers/frame did not load.
func FrameLineage(df dataframe.DataFrame) (Lineage, bool) {
	p, ok := frameKey(df)
	if !ok {
		return Lineage{}, false
	}
	v, ok := frames.Load(weak.Make(p))
	if !ok {
		return Lineage{}, false
	}
	e := v.(*frameEntry)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.lineage.Numbers == nil {
		e.lineage.Numbers = NumbersOfFrame(df, e.oids)
	}
	return e.lineage, true
}

// FrameSource is FrameLineage without the Numbers (which take a pass over the rows): what a chart needs
// to say which part of the query's rows it drew.
func FrameSource(df dataframe.DataFrame) (Lineage, bool) {
	p, ok := frameKey(df)
	if !ok {
		return Lineage{}, false
	}
	v, ok := frames.Load(weak.Make(p))
	if !ok {
		return Lineage{}, false
	}
	e := v.(*frameEntry)
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.lineage
	l.Numbers = nil
	return l, true
}

// NumbersOfFrame summarises a DataFrame loaded by helpers/frame the way a Summarizer summarises the same
// rows read with pgx: time columns (seconds since 1970 in the DataFrame) become times, NULL (gota's
// missing value) is NULL. oids are the PostgreSQL types of the columns.
func NumbersOfFrame(df dataframe.DataFrame, oids []uint32) *Numbers {
	names := df.Names()
	kinds := make([]ColumnKind, len(names))
	for i := range names {
		if i < len(oids) {
			kinds[i] = KindOfType(oids[i])
		}
	}
	cols := make([]series.Series, len(names))
	for i, n := range names {
		if kinds[i] != OtherColumn {
			cols[i] = df.Col(n)
		}
	}
	nrow := df.Nrow()
	if nrow <= MaxRowsKept {
		s := NewSummarizer(names, kinds)
		row := make([]any, len(names))
		for r := 0; r < nrow; r++ {
			for i := range names {
				row[i] = nil
				if kinds[i] == OtherColumn {
					continue
				}
				e := cols[i].Elem(r)
				if e.IsNA() {
					continue
				}
				row[i] = frameValue(e, kinds[i])
			}
			s.Add(row)
		}
		return s.Numbers()
	}
	// Beyond MaxRowsKept rows, column by column: the same totals Summarizer.Add would reach.
	n := &Numbers{Total: nrow, Partial: true}
	for i, name := range names {
		switch kinds[i] {
		case NumberColumn:
			n.Columns = append(n.Columns, name)
			sum := 0.0
			na := cols[i].IsNaN()
			for r, f := range cols[i].Float() {
				if !na[r] && !math.IsNaN(f) && !math.IsInf(f, 0) {
					sum += f
				}
			}
			var sp *float64
			if !math.IsNaN(sum) && !math.IsInf(sum, 0) {
				sp = &sum
			}
			n.Sums = append(n.Sums, sp)
		case CategoryColumn:
			counts := map[string]int{}
			na := cols[i].IsNaN()
			for r := 0; r < nrow && counts != nil; r++ {
				t := "NULL"
				if !na[r] {
					t = Text(frameValue(cols[i].Elem(r), CategoryColumn))
				}
				counts[t]++
				if len(counts) > MaxCategories {
					counts = nil
				}
			}
			if counts != nil {
				if n.Counts == nil {
					n.Counts = map[string]map[string]int{}
				}
				n.Counts[name] = counts
			}
		}
	}
	if n.Sums == nil {
		n.Sums = []*float64{}
	}
	if n.Columns == nil {
		n.Columns = []string{}
	}
	return n
}

// frameValue is a DataFrame element as pgx would have given it.
func frameValue(e series.Element, k ColumnKind) any {
	switch k {
	case NumberColumn:
		return e.Float()
	case TimeColumn:
		f := e.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return time.UnixMicro(int64(math.Round(f * 1e6))).UTC()
	}
	if e.Type() == series.Bool {
		b, err := e.Bool()
		if err == nil {
			return b
		}
	}
	return e.String()
}
