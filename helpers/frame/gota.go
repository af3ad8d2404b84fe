package frame

import (
	"errors"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"github.com/replicalab/replicalab/internal/gotalayout"
)

// Building gota frames fast is internal/gotalayout's business: it writes into gota's element
// arrays when their layout is the one it knows, and goes through gota's public API (with a
// warning, once) otherwise.

var errNoColumns = errors.New("frame: the query returned no columns; a DataFrame needs at least one")

// toDataFrame builds the DataFrame of the columns (n rows each), whose names
// finalNames has made unique. It only reads the columns.
func toDataFrame(cols []*column, n int) (dataframe.DataFrame, error) {
	if len(cols) == 0 {
		return dataframe.DataFrame{}, errNoColumns
	}
	names := make([]string, len(cols))
	types := make([]series.Type, len(cols))
	for i, c := range cols {
		names[i], types[i] = c.Name, c.Series
	}
	df, ws := gotalayout.NewFrame(gotaNames(names), types, n)
	if gotalayout.Fast() {
		gotalayout.Parallel(len(cols), func(i int) { fill(ws[i], cols[i]) })
	} else {
		for i, c := range cols {
			fill(ws[i], c)
		}
	}
	return df, df.Err
}

// gotaNames renames duplicate and blank column names the way dataframe.New
// does (a_0, a_1, X0...), by asking it on a one-row frame.
func gotaNames(names []string) []string {
	ss := make([]series.Series, len(names))
	for i, name := range names {
		ss[i] = series.New([]int{0}, series.Int, name)
	}
	return dataframe.New(ss...).Names()
}

// fill writes a column's values and NULLs with w.
func fill(w gotalayout.Writer, c *column) {
	at := 0
	switch c.Series {
	case series.Int:
		for _, chunk := range c.ints.chunks() {
			w.Ints(at, chunk)
			at += len(chunk)
		}
	case series.Float:
		for _, chunk := range c.floats.chunks() {
			w.Floats(at, chunk)
			at += len(chunk)
		}
	case series.Bool:
		for _, chunk := range c.bools.chunks() {
			w.Bools(at, chunk)
			at += len(chunk)
		}
	default:
		it := strIter{data: c.strs.data}
		buf := make([]string, 0, 4096)
		for _, chunk := range c.strs.lens.chunks() {
			for _, l := range chunk {
				buf = append(buf, it.next(l))
				if len(buf) == cap(buf) {
					w.Strings(at, buf)
					at, buf = at+len(buf), buf[:0]
				}
			}
		}
		w.Strings(at, buf)
	}
	if c.hasNull {
		r := 0
		for _, chunk := range c.null.chunks() {
			for _, null := range chunk {
				if null {
					w.Null(r)
				}
				r++
			}
		}
	}
}
