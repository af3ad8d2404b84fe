package frame

import (
	"fmt"
	"math"
	"time"

	"github.com/go-gota/gota/series"
)

// Times turns a Timestamp or Date column (gota Float, Unix seconds) back into
// times in UTC, exact to the microsecond. Missing values and ±infinity give
// the zero time.Time (check with IsZero):
//
//	placed := frame.Times(df.Col("placed_at"))
func Times(s series.Series) []time.Time {
	out := make([]time.Time, s.Len())
	for i, f := range s.Float() {
		if math.IsNaN(f) || math.IsInf(f, 0) || s.Elem(i).IsNA() {
			continue
		}
		out[i] = secondsTime(f)
	}
	return out
}

// Durations turns an Interval column (gota Float, seconds) into
// time.Durations, to the microsecond; missing values give 0 and ok false at
// that index. Durations beyond ±292 years are clamped.
func Durations(s series.Series) (d []time.Duration, ok []bool) {
	d, ok = make([]time.Duration, s.Len()), make([]bool, s.Len())
	for i, f := range s.Float() {
		if math.IsNaN(f) || s.Elem(i).IsNA() {
			continue
		}
		ok[i] = true
		us := math.Round(f * 1e6)
		switch {
		case us >= math.MaxInt64/1000:
			d[i] = math.MaxInt64
		case us <= math.MinInt64/1000:
			d[i] = math.MinInt64
		default:
			d[i] = time.Duration(us) * time.Microsecond
		}
	}
	return d, ok
}

// Unix returns t as a Timestamp column stores it (seconds since 1970-01-01
// UTC), for filters:
//
//	recent := df.Filter(dataframe.F{Colname: "placed_at", Comparator: series.GreaterEq, Comparando: frame.Unix(cutoff)})
func Unix(t time.Time) float64 { return unixSeconds(t.Unix(), t.Nanosecond()) }

// Times returns column col as times; it must be a Timestamp or Date column.
func (r *Result) Times(col string) ([]time.Time, error) {
	c, ok := r.Column(col)
	if !ok {
		return nil, fmt.Errorf("frame: expected a column named %q, found none (columns: %v)", col, r.DataFrame.Names())
	}
	if c.Kind != Timestamp && c.Kind != Date {
		return nil, fmt.Errorf("frame: column %q: expected a timestamp or date column, found %s (%s)", col, c.Type, c.Kind)
	}
	return Times(r.DataFrame.Col(col)), nil
}

// secondsTime converts Unix seconds with a microsecond fraction to a UTC time.
func secondsTime(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000).UTC()
}
