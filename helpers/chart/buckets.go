package chart

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/replicalab/replicalab/internal/cost"
	"github.com/replicalab/replicalab/internal/numfmt"
)

// ErrTooManyBuckets: the chart would have more buckets than it can draw (at most 100,000); it was refused
// before the data was read.
var ErrTooManyBuckets = errors.New("chart: too many buckets")

// TimeCountsSQL checks how many buckets it would draw before it reads any data, cheapest first:
//
//  1. with Between, the buckets follow from the bounds: nothing is read;
//  2. when the column is a table's column read whole (the planner expects at least 90 % of the table's
//     rows), its span comes from the planner's statistics (pg_stats: the histogram's and the most common
//     values' extremes), read from the catalog: a few hundred bytes, a few milliseconds;
//  3. otherwise, the column's exact range (one aggregate, one row back) is compared before the buckets
//     are counted.
//
// A refusal says how many buckets there would be and how the count was found.

// statsReadWhole is the share of a table's rows a query must be expected to return for the table's
// statistics to stand for the query's column.
const statsReadWhole = 0.9

// bucketsOf is how many buckets of unit lie between from and to.
func bucketsOf(unit Unit, from, to time.Time) int64 { return int64(to.Sub(from) / unit.approx()) }

// tooManyBuckets is the refusal: n buckets of unit, found how.
func tooManyBuckets(name string, unit Unit, n int64, how string) error {
	return fmt.Errorf("%w: chart: time counts of %q: expected at most %s buckets, found about %s %ss%s: choose a coarser Every, or narrow the time with Between",
		ErrTooManyBuckets, name, numfmt.Int(maxTimeBuckets), numfmt.Int(n), unit, how)
}

// spanFromStats estimates the span of the query's one column (field fd, a time type) from the planner's
// statistics of the table column it reads, when the query reads (nearly) the whole table. ok is false when
// it cannot tell: not a table's column, no statistics, or a query that keeps part of the table.
func spanFromStats(ctx context.Context, q Querier, fd pgconn.FieldDescription, query string, args []any) (from, to time.Time, ok bool) {
	if fd.TableOID == 0 || fd.TableAttributeNumber <= 0 {
		return from, to, false
	}
	var elem string
	switch fd.DataTypeOID {
	case oidTimestamptz:
		elem = "timestamptz"
	case oidTimestamp:
		elem = "timestamp"
	case oidDate:
		elem = "date"
	default:
		return from, to, false
	}
	// The extremes among the histogram's bounds and the most common values, as timestamptz (a timestamp
	// or date read as UTC: the span is what counts).
	sql := `SELECT c.reltuples::float8,
  (SELECT min(v)::timestamp AT TIME ZONE 'UTC' FROM unnest(s.histogram_bounds::text::` + elem + `[] || coalesce(s.most_common_vals::text::` + elem + `[], '{}')) AS v WHERE isfinite(v)),
  (SELECT max(v)::timestamp AT TIME ZONE 'UTC' FROM unnest(s.histogram_bounds::text::` + elem + `[] || coalesce(s.most_common_vals::text::` + elem + `[], '{}')) AS v WHERE isfinite(v))
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum = $2
JOIN pg_catalog.pg_stats AS s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname AND NOT s.inherited
WHERE c.oid = $1 AND s.histogram_bounds IS NOT NULL`
	var tuples float64
	var lo, hi *time.Time
	rows, err := unrecorded(q).Query(ctx, sql, int64(fd.TableOID), int32(fd.TableAttributeNumber))
	if err != nil {
		return from, to, false
	}
	found, err := pgx.ForEachRow(rows, []any{&tuples, &lo, &hi}, func() error { return nil })
	if err != nil || found.RowsAffected() == 0 || lo == nil || hi == nil || tuples <= 0 {
		return from, to, false
	}
	plan, err := planOf(ctx, q, query, args)
	if err != nil || plan.Rows < statsReadWhole*tuples {
		return from, to, false
	}
	return *lo, *hi, true
}

// unrecorded is the querier under a chart's recorder: catalog reads that are not part of the chart's
// lineage go there.
func unrecorded(q Querier) Querier {
	switch v := q.(type) {
	case *session:
		return v.raw
	case *recorder:
		return v.q
	}
	return q
}

// planOf is the planner's estimate for query: the one the SQL chart's cost preview already asked
// for, else a new EXPLAIN.
func planOf(ctx context.Context, q Querier, query string, args []any) (*cost.Plan, error) {
	if s, ok := q.(*session); ok && s.plan != nil {
		return s.plan, nil
	}
	return cost.Explain(ctx, unrecorded(q), query, args)
}
