// Package gotalayout builds gota DataFrames fast, by writing into gota's unexported element
// arrays, and is the only place that knows them.
//
// gota v0.12.0 (its last release) builds a Series by boxing every value into
// an interface and dataframe.New copies every Series again; int64, int32 and
// float32 slices silently become NaN. This package avoids all of it: it
// allocates each column once, as n copies of a zero element (Series.Subset
// copies elements without boxing), assembles the DataFrame without a copy,
// and writes the values straight into gota's element arrays.
//
// That needs gota's unexported layouts (the element structs and the
// DataFrame struct), mirrored below. checkLayout verifies them at start-up,
// by writing through the mirrors and reading back through gota's public API;
// if anything differs (another gota version), frames are built with
// dataframe.New and every value goes through the public Element.Set:
// slower, still without boxing or loss, and a warning says so, once per program. The NULL masks that helpers/frame keeps beside each
// frame tell NULL from NaN on either path.
package gotalayout

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"github.com/replicalab/replicalab/internal/display"
)

type (
	intCell struct {
		e   int
		nan bool
	}
	floatCell struct {
		e   float64
		nan bool
	}
	stringCell struct {
		e   string
		nan bool
	}
	boolCell struct {
		e   bool
		nan bool
	}
	frameCells struct {
		columns      []series.Series
		ncols, nrows int
		Err          error
	}
)

// fast is true when gota's layout matches the mirrors.
var fast = checkLayout()

// Fast reports whether DataFrames are built by writing gota's element arrays directly.
func Fast() bool { return fast }

// SetFast forces the fast path on or off (tests of the fallback), until restore is called.
func SetFast(on bool) (restore func()) {
	old := fast
	fast = on && checkLayout()
	return func() { fast = old }
}

// warned makes the fallback warning appear once per program.
var warned sync.Once

// FallbackWarning is what the program is told, once, when gota's layout is not the one this
// package knows.
const FallbackWarning = "frame: gota's internal layout is not the one this version of replicalab knows (gota v0.12.0): " +
	"DataFrames are built through gota's public API instead, which is slower; values, NULLs and NaNs are unchanged"

func warnFallback() {
	warned.Do(func() {
		display.Show(display.Output{Kind: display.Status, Text: "warning: " + FallbackWarning,
			HTML: `<div style="font-family:monospace;color:#8a6d00">⚠ ` + FallbackWarning + `</div>`})
	})
}

// ResetWarning lets the next fallback warn again (tests).
func ResetWarning() { warned = sync.Once{} }

// elemPtr returns the pointer held by an Element interface: gota's Elem(i)
// returns &elements[i].
func elemPtr(e series.Element) unsafe.Pointer {
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&e))[1]
}

func cells[T any](s series.Series, n int) []T {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(elemPtr(s.Elem(0))), n)
}

func checkLayout() (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	if unsafe.Sizeof(frameCells{}) != unsafe.Sizeof(dataframe.DataFrame{}) {
		return false
	}
	stride := func(s series.Series, size uintptr) bool {
		return uintptr(elemPtr(s.Elem(1)))-uintptr(elemPtr(s.Elem(0))) == size
	}

	si := series.New([]int{7, 8}, series.Int, "i")
	si.Elem(1).Set(nil)
	ci := cells[intCell](si, 2)
	if !stride(si, unsafe.Sizeof(intCell{})) || ci[0] != (intCell{7, false}) || !ci[1].nan {
		return false
	}
	ci[0], ci[1] = intCell{-3, false}, intCell{5, true}
	if v, err := si.Elem(0).Int(); err != nil || v != -3 || si.Elem(0).IsNA() || !si.Elem(1).IsNA() {
		return false
	}

	sf := series.New([]float64{1.5, 2}, series.Float, "f")
	sf.Elem(1).Set(nil)
	cf := cells[floatCell](sf, 2)
	if !stride(sf, unsafe.Sizeof(floatCell{})) || cf[0] != (floatCell{1.5, false}) || !cf[1].nan {
		return false
	}
	cf[0], cf[1] = floatCell{-2.25, false}, floatCell{4, false}
	if sf.Elem(0).Float() != -2.25 || sf.Elem(1).IsNA() || sf.Elem(1).Float() != 4 {
		return false
	}

	ss := series.New([]string{"a", "b"}, series.String, "s")
	ss.Elem(1).Set(nil)
	cs := cells[stringCell](ss, 2)
	if !stride(ss, unsafe.Sizeof(stringCell{})) || cs[0] != (stringCell{"a", false}) || !cs[1].nan {
		return false
	}
	cs[0], cs[1] = stringCell{"NaN", false}, stringCell{"x", true}
	if ss.Elem(0).String() != "NaN" || ss.Elem(0).IsNA() || !ss.Elem(1).IsNA() {
		return false
	}

	sb := series.New([]bool{true, false}, series.Bool, "b")
	sb.Elem(1).Set(nil)
	cb := cells[boolCell](sb, 2)
	if !stride(sb, unsafe.Sizeof(boolCell{})) || cb[0] != (boolCell{true, false}) || !cb[1].nan {
		return false
	}
	cb[0], cb[1] = boolCell{false, false}, boolCell{true, false}
	if v, err := sb.Elem(1).Bool(); err != nil || !v || sb.Elem(0).IsNA() {
		return false
	}

	df := dataframe.New(si, ss)
	m := (*frameCells)(unsafe.Pointer(&df))
	if m.ncols != 2 || m.nrows != 2 || len(m.columns) != 2 || m.columns[1].Name != "s" || m.Err != nil {
		return false
	}
	built := assemble([]series.Series{sf, sb}, 2)
	if r, c := built.Dims(); r != 2 || c != 2 || built.Names()[1] != "b" || built.Elem(0, 0).Float() != -2.25 || built.Err != nil {
		return false
	}
	return true
}

// assemble makes a DataFrame of the series (all of length n, names already
// fixed) without copying them.
func assemble(ss []series.Series, n int) dataframe.DataFrame {
	m := frameCells{columns: ss, ncols: len(ss), nrows: n}
	return *(*dataframe.DataFrame)(unsafe.Pointer(&m))
}

// NewFrame makes a DataFrame of n rows with the given column names (final:
// see gotaNames) and gota types, every value zero, and a writer per column
// to fill it.
func NewFrame(names []string, types []series.Type, n int) (dataframe.DataFrame, []Writer) {
	idx := make([]int, n) // n copies of element 0: Subset copies elements without boxing
	ss := make([]series.Series, len(names))
	// Most of the time goes into the kernel's first touch of the new memory:
	// columns are allocated in parallel.
	Parallel(len(names), func(i int) { ss[i] = zeroSeries(types[i], names[i]).Subset(idx) })
	var df dataframe.DataFrame
	if fast {
		df = assemble(ss, n)
	} else {
		warnFallback()
		df = dataframe.New(ss...)
	}
	ws := make([]Writer, len(names))
	for i, t := range types {
		if !fast || n == 0 {
			ws[i] = &slowWriter{elem: df.Elem, col: i, v: value{t: t}}
			continue
		}
		p := elemPtr(df.Elem(0, i))
		switch t {
		case series.Int:
			ws[i] = &fastWriter{ic: unsafe.Slice((*intCell)(p), n)}
		case series.Float:
			ws[i] = &fastWriter{fc: unsafe.Slice((*floatCell)(p), n)}
		case series.Bool:
			ws[i] = &fastWriter{bc: unsafe.Slice((*boolCell)(p), n)}
		default:
			ws[i] = &fastWriter{sc: unsafe.Slice((*stringCell)(p), n)}
		}
	}
	return df, ws
}

func zeroSeries(t series.Type, name string) series.Series {
	switch t {
	case series.Int:
		return series.New([]int{0}, t, name)
	case series.Float:
		return series.New([]float64{0}, t, name)
	case series.Bool:
		return series.New([]bool{false}, t, name)
	default:
		return series.New([]string{""}, t, name)
	}
}

// Writer writes runs of values into one column of a DataFrame, starting
// at row at, and marks rows missing (SQL NULL).
type Writer interface {
	Ints(at int, v []int)
	Floats(at int, v []float64)
	Bools(at int, v []bool)
	Strings(at int, v []string)
	Null(row int)
}

// fastWriter writes into gota's element arrays directly.
type fastWriter struct {
	ic []intCell
	fc []floatCell
	bc []boolCell
	sc []stringCell
}

func (w *fastWriter) Ints(at int, v []int) {
	dst := w.ic[at : at+len(v)]
	for i, x := range v {
		dst[i] = intCell{x, false}
	}
}

func (w *fastWriter) Floats(at int, v []float64) {
	dst := w.fc[at : at+len(v)]
	for i, x := range v {
		dst[i] = floatCell{x, false} // a NaN stays a value; gota reports it missing all the same
	}
}

func (w *fastWriter) Bools(at int, v []bool) {
	dst := w.bc[at : at+len(v)]
	for i, x := range v {
		dst[i] = boolCell{x, false}
	}
}

func (w *fastWriter) Strings(at int, v []string) {
	dst := w.sc[at : at+len(v)]
	for i, x := range v {
		dst[i] = stringCell{x, false}
	}
}

func (w *fastWriter) Null(row int) {
	switch {
	case w.ic != nil:
		w.ic[row] = intCell{0, true}
	case w.fc != nil:
		w.fc[row] = floatCell{0, true}
	case w.bc != nil:
		w.bc[row] = boolCell{false, true}
	default:
		w.sc[row] = stringCell{"", true}
	}
}

// slowWriter goes through gota's public Element.Set with a reusable value
// (no boxing): a string "NaN" stays a string, a float NaN is kept as NaN
// (which gota reports as missing) and NULL becomes gota's missing value.
type slowWriter struct {
	elem func(r, c int) series.Element
	col  int
	v    value
}

func (w *slowWriter) Ints(at int, v []int) {
	for i, x := range v {
		w.v.i = x
		w.elem(at+i, w.col).Set(&w.v)
	}
}

func (w *slowWriter) Floats(at int, v []float64) {
	for i, x := range v {
		w.v.f = x
		w.elem(at+i, w.col).Set(&w.v)
	}
}

func (w *slowWriter) Bools(at int, v []bool) {
	for i, x := range v {
		w.v.b = x
		w.elem(at+i, w.col).Set(&w.v)
	}
}

func (w *slowWriter) Strings(at int, v []string) {
	for i, x := range v {
		w.v.s = x
		w.elem(at+i, w.col).Set(&w.v)
	}
}

func (w *slowWriter) Null(row int) { w.elem(row, w.col).Set(nil) }

// value is a series.Element used only as the argument of Element.Set: gota's
// elements copy what they need from it (Int, Float, String or Bool) and, for
// an Element argument, never turn the string "NaN" into a missing value.
type value struct {
	t series.Type
	i int
	f float64
	s string
	b bool
}

var _ series.Element = (*value)(nil)

func (v *value) Set(any)                       {}
func (v *value) Eq(series.Element) bool        { return false }
func (v *value) Neq(series.Element) bool       { return true }
func (v *value) Less(series.Element) bool      { return false }
func (v *value) LessEq(series.Element) bool    { return false }
func (v *value) Greater(series.Element) bool   { return false }
func (v *value) GreaterEq(series.Element) bool { return false }
func (v *value) Copy() series.Element          { c := *v; return &c }
func (v *value) Val() series.ElementValue      { return nil }
func (v *value) String() string                { return v.s }
func (v *value) Int() (int, error)             { return v.i, nil }
func (v *value) Float() float64                { return v.f }
func (v *value) Bool() (bool, error)           { return v.b, nil }
func (v *value) IsNA() bool                    { return false }
func (v *value) Type() series.Type             { return v.t }

// SQLNull reports whether a missing element was a SQL NULL rather than a
// float NaN. Both are missing values in gota; with the fast layout the two
// can be told apart in any frame built here (NULL sets gota's flag, NaN does
// not). Without it, every missing value counts as NULL.
func SQLNull(e series.Element) bool {
	if !e.IsNA() {
		return false
	}
	if !fast || e.Type() != series.Float {
		return true
	}
	c := (*floatCell)(elemPtr(e))
	return c.nan || !math.IsNaN(c.e)
}

// Parallel runs f(0) ... f(n-1) on up to GOMAXPROCS goroutines.
func Parallel(n int, f func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				f(i)
			}
		}()
	}
	wg.Wait()
}
