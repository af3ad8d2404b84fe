package chart

import (
	"context"
	"fmt"
	"math"

	"github.com/replicalab/replicalab/internal/numfmt"

	"github.com/jackc/pgx/v5"
	"gonum.org/v1/plot"
)

// BoxQuery is [Box] computed on the server: query returns the numeric value
// column, and optionally a second column to split by (one box per value of
// it, the Top 10 by row count, the rest pooled into "other"). The server
// computes each box — quartiles with percentile_cont (the same
// interpolation as Box), whiskers at 1.5 × the interquartile range, the
// outliers (at most 200 per box, evenly spread, the extremes among them) —
// reading the data once, so a few hundred rows at most cross the network.
// NULL, NaN and Inf values are dropped and counted. Options: Args, Top,
// AnyCost.
func BoxQuery(ctx context.Context, q Querier, query string, opts ...Option) *Chart {
	return sqlChart(ctx, q, "BoxSQL", query, opts, func(s *session) (*plot.Plot, error) {
		return boxSQLPlot(ctx, s, query, opts...)
	})
}

func boxSQLPlot(ctx context.Context, q Querier, query string, opts ...Option) (*plot.Plot, error) {
	const fn = "BoxSQL"
	o, err := apply(fn, opts, "Args", "Top", "AnyCost")
	if err != nil {
		return nil, err
	}
	cols, err := describeColumns(ctx, q, fn, query, o.args, 1, 2)
	if err != nil {
		return nil, err
	}
	if !numericOID(cols[0].oid) {
		return nil, fmt.Errorf("%w: chart: %s: column %q is %s, expected a number", ErrColumn, fn, cols[0].name, typeName(cols[0].oid))
	}
	value, by := cols[0].name, ""
	title := "Spread of " + value
	if len(cols) == 2 {
		by = cols[1].name
		title = value + " by " + by
	}
	r, err := boxSQL(ctx, q, query, len(cols) == 2, o)
	if err != nil {
		return nil, fmt.Errorf("chart: %s: boxes of %q: %w", fn, value, err)
	}
	if r.stats.N == 0 {
		what := "box plot of " + quote(value)
		if by != "" {
			what += " by " + quote(by)
		}
		return noData(title, what, r.stats)
	}
	if by == "" {
		return drawBoxStats(title, "", value, []string{value}, r.boxes, false, r.stats, ""), nil
	}
	extra := ""
	if r.hasOther {
		extra = fmt.Sprintf("top %d of %s %s shown, the rest pooled in other", len(r.boxes)-1, numfmt.Int(r.groups), by)
	}
	return drawBoxStats(title, by, value, r.names, r.boxes, r.hasOther, r.stats, extra), nil
}

func numericOID(oid uint32) bool {
	switch oid {
	case oidInt2, oidInt4, oidInt8, oidFloat4, oidFloat8, oidNumeric:
		return true
	}
	return false
}

type sqlBoxes struct {
	names    []string
	boxes    []*box
	hasOther bool
	groups   int
	stats    Stats
}

// boxSQL computes the boxes in one statement: the values are read once
// (a materialized CTE) and every box is computed from them.
func boxSQL(ctx context.Context, q Querier, query string, grouped bool, o *options) (sqlBoxes, error) {
	ph := placeholders{args: append([]any(nil), o.args...)}
	src := "SELECT (v)::float8 AS v, ''::text AS label FROM " + wrap(query) + "(v)"
	if grouped {
		// NULL groups are labelled as Box labels them (and merge with a value written so).
		src = "SELECT (v)::float8 AS v, coalesce((g)::text, '(NULL)') AS label FROM " + wrap(query) + "(v, g)"
	}
	top := ph.add(int64(o.top))
	maxOut := ph.add(int64(maxOutliers))
	sql := `WITH src AS MATERIALIZED (` + src + `),
drops AS (SELECT count(*) AS total, count(*) FILTER (WHERE v IS NULL) AS nulls, count(*) FILTER (WHERE v = 'NaN') AS nans,
	count(*) FILTER (WHERE v = 'Infinity' OR v = '-Infinity') AS infs FROM src),
fin AS (SELECT v, label FROM src WHERE v > '-Infinity' AND v < 'Infinity'),
ranked AS (SELECT label, row_number() OVER (ORDER BY count(*) DESC, label COLLATE "C") AS rk, count(*) OVER () AS groups FROM fin GROUP BY label),
boxed AS (SELECT CASE WHEN r.rk <= ` + top + ` THEN r.rk ELSE ` + top + ` + 1 END AS box, r.label, f.v, r.groups FROM fin AS f JOIN ranked AS r USING (label)),
stats AS (SELECT box, min(label) AS label, count(*) AS n, max(groups) AS groups,
	percentile_cont(ARRAY[0.25, 0.5, 0.75]::float8[]) WITHIN GROUP (ORDER BY v) AS q, min(v) AS lo, max(v) AS hi FROM boxed GROUP BY box),
fenced AS (SELECT b.box, b.v, s.q[1] - 1.5 * (s.q[3] - s.q[1]) AS lof, s.q[3] + 1.5 * (s.q[3] - s.q[1]) AS hif FROM boxed AS b JOIN stats AS s USING (box)),
whiskers AS (SELECT box, min(v) FILTER (WHERE v >= lof) AS wlo, max(v) FILTER (WHERE v <= hif) AS whi,
	count(*) FILTER (WHERE v < lof OR v > hif) AS nout FROM fenced GROUP BY box),
outliers AS (SELECT box, v, row_number() OVER (PARTITION BY box ORDER BY v) - 1 AS j, count(*) OVER (PARTITION BY box) AS k
	FROM fenced WHERE v < lof OR v > hif)
SELECT 0 AS kind, s.box, s.label, s.n, s.groups, s.q, s.lo, s.hi, w.wlo, w.whi, w.nout, NULL::float8 AS v FROM stats AS s JOIN whiskers AS w USING (box)
UNION ALL
SELECT 1, box, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, v FROM outliers
	WHERE k <= ` + maxOut + ` OR ((j * (` + maxOut + ` - 1) + k - 2) / (k - 1)) * (k - 1) / (` + maxOut + ` - 1) = j
UNION ALL
SELECT 2, NULL, NULL, total, nulls, ARRAY[nans, infs]::float8[], NULL, NULL, NULL, NULL, NULL, NULL FROM drops
ORDER BY 1, 2, 12`
	rows, err := q.Query(ctx, sql, ph.args...)
	if err != nil {
		return sqlBoxes{}, err
	}
	var (
		kind                int32
		boxNo               *int64
		label               *string
		n, groups, nout     *int64
		quart               []float64
		lo, hi, wlo, whi, v *float64
		r                   sqlBoxes
		byNo                = map[int64]*box{}
		rowsOf              = map[int64]int{}
		order               []int64
	)
	_, err = pgx.ForEachRow(rows, []any{&kind, &boxNo, &label, &n, &groups, &quart, &lo, &hi, &wlo, &whi, &nout, &v}, func() error {
		switch kind {
		case 0:
			if boxNo == nil || n == nil || len(quart) != 3 || lo == nil || hi == nil {
				return fmt.Errorf("expected a box's statistics, found an incomplete row")
			}
			b := &box{q1: quart[0], median: quart[1], q3: quart[2], min: *lo, max: *hi, outliers: int(*nout)}
			// As Box: the whiskers reach the furthest values within the fences, and at least the box.
			b.lo, b.hi = b.q1, b.q3
			if wlo != nil {
				b.lo = math.Min(b.lo, *wlo)
			}
			if whi != nil {
				b.hi = math.Max(b.hi, *whi)
			}
			byNo[*boxNo], rowsOf[*boxNo] = b, int(*n)
			order = append(order, *boxNo)
			name := ""
			if label != nil {
				name = *label
			}
			if *boxNo > int64(o.top) {
				r.hasOther = true
			} else {
				r.names = append(r.names, name)
			}
			r.groups = int(*groups)
			r.stats.N += int(*n)
		case 1:
			if b := byNo[*boxNo]; b != nil && v != nil {
				b.out = append(b.out, *v)
			}
		case 2:
			r.stats.Rows = int(*n)
			r.stats.Dropped = Dropped{NULL: int(*groups), NaN: int(quart[0]), Inf: int(quart[1])}
		}
		return nil
	})
	if err != nil {
		return sqlBoxes{}, err
	}
	for _, k := range order {
		r.boxes = append(r.boxes, byNo[k])
	}
	if r.hasOther {
		r.names = append(r.names, otherTally(r.groups-len(r.names)).label)
		r.stats.Other = rowsOf[order[len(order)-1]]
	}
	return r, nil
}
