package chart

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"gonum.org/v1/plot"
)

// BarQuery is [Bar] computed on the server: how many rows hold each value of
// the one column query returns, most common first, beyond the Top 10 the
// rest gathered into "other", NULLs counted and noted. The server groups
// and counts (GROUP BY ... LIMIT Top), so at most Top rows cross the
// network whatever the table's size. Values are labelled as PostgreSQL
// writes them as text. Options: Args, Top, AnyCost.
func BarQuery(ctx context.Context, q Querier, query string, opts ...Option) *Chart {
	return sqlChart(ctx, q, "BarSQL", query, opts, func(s *session) (*plot.Plot, error) {
		return barSQLPlot(ctx, s, query, opts...)
	})
}

func barSQLPlot(ctx context.Context, q Querier, query string, opts ...Option) (*plot.Plot, error) {
	const fn = "BarSQL"
	o, err := apply(fn, opts, "Args", "Top", "AnyCost")
	if err != nil {
		return nil, err
	}
	col, err := describeColumn(ctx, q, fn, query, o.args)
	if err != nil {
		return nil, err
	}
	kept, other, hasOther, distinct, s, err := barSQL(ctx, q, query, o)
	if err != nil {
		return nil, fmt.Errorf("chart: %s: counts of %q: %w", fn, col.name, err)
	}
	if s.N == 0 {
		return noData("Rows by "+col.name, "bar chart of "+quote(col.name), s)
	}
	return drawBar(col.name, kept, other, hasOther, distinct, s), nil
}

// barSQL counts the values on the server: the Top most common (ties in
// byte order, as Go sorts them), with the totals of all in every row.
func barSQL(ctx context.Context, q Querier, query string, o *options) (kept []tally, other tally, hasOther bool, distinct int, s Stats, err error) {
	ph := placeholders{args: append([]any(nil), o.args...)}
	sql := `SELECT v, n, total, groups, nulls FROM (
	SELECT v, n, coalesce(sum(n) FILTER (WHERE v IS NOT NULL) OVER (), 0)::int8 AS total, count(v) OVER () AS groups,
		coalesce(sum(n) FILTER (WHERE v IS NULL) OVER (), 0)::int8 AS nulls
	FROM (SELECT (v)::text AS v, count(*) AS n FROM ` + wrap(query) + `(v) GROUP BY 1) AS chart_groups
) AS chart_counts ORDER BY v IS NULL, n DESC, v COLLATE "C" LIMIT ` + ph.add(int64(o.top))
	rows, err := q.Query(ctx, sql, ph.args...)
	if err != nil {
		return nil, tally{}, false, 0, s, err
	}
	var (
		v                          *string
		n, total, groups, nulls    int64
		keptTotal, allGroups, nNul int64
	)
	_, err = pgx.ForEachRow(rows, []any{&v, &n, &total, &groups, &nulls}, func() error {
		s.N, allGroups, nNul = int(total), groups, nulls
		if v != nil {
			kept = append(kept, tally{label: *v, n: float64(n)})
			keptTotal += n
		}
		return nil
	})
	if err != nil {
		return nil, tally{}, false, 0, s, err
	}
	s.Dropped.NULL = int(nNul)
	s.Rows = s.N + s.Dropped.NULL
	if int(allGroups) > len(kept) {
		other, hasOther = otherTally(int(allGroups)-len(kept)), true
		other.n = float64(int64(s.N) - keptTotal)
	}
	return kept, other, hasOther, int(allGroups), s, nil
}
