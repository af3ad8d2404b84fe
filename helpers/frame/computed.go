package frame

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/go-gota/gota/series"
)

// ColumnValues is one column of a result computed outside PostgreSQL (helpers/spark decodes Spark's
// Arrow batches into them), in this package's representation: Column.Kind says how (as for a
// PostgreSQL column of that kind), the values are in the slice of the kind's gota type, one per row,
// and Null marks SQL NULLs (nil: none). Nulls and Series are worked out here.
type ColumnValues struct {
	Column
	Ints    []int
	Floats  []float64
	Strings []string
	Bools   []bool
	Null    []bool
}

// Computed is what such an engine hands back to [LoadComputed].
type Computed struct {
	Columns   []ColumnValues
	Rows      int
	Truncated bool          // the engine's result had more rows than the limit it was given
	FetchedAt time.Time     // when the data was read from the database (a snapshot's time); zero: now
	LagKnown  bool          // the replica's lag then is known
	Lag       time.Duration // the largest lag among the replicas read
	Warnings  []string      // said under the provenance line, like frame's own warnings
}

// Computation is a query that another engine runs on the database's data, for [LoadComputed].
type Computation struct {
	// Engine names what computes it, e.g. "Spark": its lineage says so, and make report VERIFY does not
	// send its query to the database.
	Engine string
	// Database says where the data comes from, e.g. "analyst@h1:5432,h2:5432/shop via Spark": part of
	// the cache key, and shown in the provenance line.
	Database string
	// Query is the query as the engine runs it; Key anything else the result depends on (helpers/spark:
	// its views' definitions). Both are part of the cache key.
	Query, Key string
	// Compute runs the query, keeping at most limit rows (0: no limit).
	Compute func(ctx context.Context, limit int) (*Computed, error)
}

// LoadComputed is [Load] for a query another engine runs (helpers/spark runs Spark SQL over the
// replicas): the same cache, provenance line, warnings, lineage and Result. c.Compute runs only when
// the cache holds no fresh result for the same database, query and key. [Args] does not apply.
func LoadComputed(ctx context.Context, c Computation, opts ...Option) (*Result, error) {
	s, err := collect(opts).resolve()
	if err != nil {
		return nil, err
	}
	if len(s.args) > 0 {
		return nil, errors.New("frame: LoadComputed takes no Args: the engine's query has no parameters")
	}
	if c.Compute == nil || c.Engine == "" {
		return nil, errors.New("frame: LoadComputed needs the Computation's Engine and Compute")
	}
	var keyArgs []any
	if c.Key != "" {
		keyArgs = []any{c.Key}
	}
	return cached(c.Database, c.Query, keyArgs, &s, func(*progress) (*fetched, error) {
		limit := s.limit
		if limit == math.MaxInt {
			limit = 0
		}
		out, err := c.Compute(ctx, limit)
		if err != nil {
			return nil, err
		}
		cols := make([]*column, len(out.Columns))
		for i, cv := range out.Columns {
			if cols[i], err = fromValues(cv, out.Rows); err != nil {
				return nil, err
			}
		}
		return &fetched{cols: cols, rows: out.Rows, truncated: out.Truncated, at: out.FetchedAt, lagKnown: out.LagKnown,
			lag: out.Lag, warnings: out.Warnings}, nil
	}, func(r *Result) {
		r.engine = c.Engine
		remember(r, nil, nil)
	})
}

// fromValues makes a column of ColumnValues holding rows values.
func fromValues(cv ColumnValues, rows int) (*column, error) {
	c := &column{Column: cv.Column, n: rows}
	c.Series = c.Kind.SeriesType()
	if c.Kind == 0 {
		return nil, fmt.Errorf("frame: column %q: expected a Kind", cv.Name)
	}
	var got int
	switch c.Series {
	case series.Int:
		c.ints, got = vecOf(cv.Ints), len(cv.Ints)
	case series.Float:
		c.floats, got = vecOf(cv.Floats), len(cv.Floats)
	case series.Bool:
		c.bools, got = vecOf(cv.Bools), len(cv.Bools)
	default:
		for _, v := range cv.Strings {
			c.strs.push([]byte(v))
		}
		got = len(cv.Strings)
	}
	if got != rows {
		return nil, fmt.Errorf("frame: column %q (%s): expected %d values, found %d", cv.Name, c.Kind, rows, got)
	}
	c.Nulls = 0
	if cv.Null != nil {
		if len(cv.Null) != rows {
			return nil, fmt.Errorf("frame: column %q: expected %d NULL marks, found %d", cv.Name, rows, len(cv.Null))
		}
		for _, n := range cv.Null {
			if n {
				c.Nulls++
			}
		}
		if c.Nulls > 0 {
			c.null, c.hasNull = vecOf(cv.Null), true
		}
	}
	return c, nil
}
