package chart

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gonum.org/v1/plot"
)

// Querier runs a query: *replica.Pool, *pgxpool.Pool, *pgx.Conn and pgx.Tx
// all are one.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// PostgreSQL type OIDs the SQL charts tell apart.
const (
	oidInt2        = 21
	oidInt4        = 23
	oidInt8        = 20
	oidFloat4      = 700
	oidFloat8      = 701
	oidNumeric     = 1700
	oidDate        = 1082
	oidTimestamp   = 1114
	oidTimestamptz = 1184
)

var typeNames = map[uint32]string{
	oidInt2: "smallint", oidInt4: "integer", oidInt8: "bigint", oidFloat4: "real", oidFloat8: "double precision",
	oidNumeric: "numeric", oidDate: "date", oidTimestamp: "timestamp", oidTimestamptz: "timestamptz",
	25: "text", 1043: "varchar", 1042: "char", 16: "boolean", 2950: "uuid", 3802: "jsonb", 114: "json", 869: "inet", 1186: "interval",
}

func typeName(oid uint32) string {
	if n, ok := typeNames[oid]; ok {
		return n
	}
	return "type oid " + strconv.FormatUint(uint64(oid), 10)
}

// wrap makes query a subquery whose one column is renamed v. The query sits on
// lines of its own so that a trailing -- comment cannot swallow the closing
// parenthesis.
func wrap(query string) string {
	q := strings.TrimSpace(query)
	q = strings.TrimSpace(strings.TrimSuffix(q, ";"))
	return "(\n" + q + "\n) AS chart_src"
}

// describe returns the name and type of the one column query returns.
func describe(ctx context.Context, q Querier, fn, query string, args []any) (string, uint32, error) {
	fd, err := describeField(ctx, q, fn, query, args)
	return fd.Name, fd.DataTypeOID, err
}

// describeField returns the description of the one column query returns: name, type, and the table
// column it reads, if any.
func describeField(ctx context.Context, q Querier, fn, query string, args []any) (pgconn.FieldDescription, error) {
	if strings.TrimSpace(query) == "" {
		return pgconn.FieldDescription{}, fmt.Errorf("chart: %s: expected a query returning one column, found an empty query", fn)
	}
	rows, err := q.Query(ctx, "SELECT * FROM "+wrap(query)+" LIMIT 0", args...)
	if err != nil {
		return pgconn.FieldDescription{}, fmt.Errorf("chart: %s: %w", fn, err)
	}
	fields := rows.FieldDescriptions()
	rows.Close()
	if err := rows.Err(); err != nil {
		return pgconn.FieldDescription{}, fmt.Errorf("chart: %s: %w", fn, err)
	}
	if len(fields) != 1 {
		names := make([]string, len(fields))
		for i, f := range fields {
			names[i] = f.Name
		}
		return pgconn.FieldDescription{}, fmt.Errorf("chart: %s: expected a query returning one column, found %d (%s)", fn, len(fields), quoteList(names))
	}
	return fields[0], nil
}

// placeholders numbers parameters after the query's own.
type placeholders struct {
	args []any
}

func (p *placeholders) add(v any) string {
	p.args = append(p.args, v)
	return "$" + strconv.Itoa(len(p.args))
}

// histogramSQLPlot builds the chart of [HistogramSQL].
func histogramSQLPlot(ctx context.Context, q Querier, query string, opts ...Option) (*plot.Plot, error) {
	o, err := apply("HistogramSQL", opts, "Args", "Bins", "Range")
	if err != nil {
		return nil, err
	}
	h, err := histogramSQL(ctx, q, query, o)
	if err != nil {
		return nil, err
	}
	title := "Distribution of " + h.name
	if h.stats.N == 0 {
		return noData(title, "histogram of "+quote(h.name), h.stats)
	}
	return drawHistogram(title, h.name, h.bins, h.counts, h.stats, joinNotes(outOfRangeNote(h.stats.OutOfRange, o), "binned on the server")), nil
}

func joinNotes(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

type sqlHistogram struct {
	name   string
	bins   bins
	counts []float64
	stats  Stats
}

func histogramSQL(ctx context.Context, q Querier, query string, o *options) (sqlHistogram, error) {
	const fn = "HistogramSQL"
	name, oid, err := describe(ctx, q, fn, query, o.args)
	if err != nil {
		return sqlHistogram{}, err
	}
	switch oid {
	case oidInt2, oidInt4, oidInt8, oidFloat4, oidFloat8, oidNumeric:
	default:
		return sqlHistogram{}, fmt.Errorf("%w: chart: %s: column %q is %s, expected a number (integer, numeric, real or double precision)", ErrColumn, fn, name, typeName(oid))
	}
	integer := oid == oidInt2 || oid == oidInt4 || oid == oidInt8
	// The cast appears once in each expression below: PostgreSQL inlines the
	// subquery, and a CASE naming v four times would convert every value four
	// times.
	values := "(SELECT (v)::float8 AS v FROM " + wrap(query) + "(v)) AS chart_values"
	h := sqlHistogram{name: name}
	lo, hi := o.lo, o.hi
	if !o.hasRange {
		var err error
		if lo, hi, err = finiteRange(ctx, q, values, o.args); err != nil {
			return h, fmt.Errorf("chart: %s: range of %q: %w", fn, name, err)
		}
	}
	h.bins = sqlBins(lo, hi, o.bins, o.hasRange, integer)
	// One width_bucket over thresholds that also sort out -Infinity, values
	// below and above the bins, +Infinity and NaN (the largest float8):
	//   1: -Inf   2: below   3..n+2: bins   n+3: the last edge   n+4: above
	//   n+5: +Inf   n+6: NaN   NULL: NULL
	edges := h.bins.edges()
	n := h.bins.n
	thresholds := append([]float64{math.Inf(-1), -math.MaxFloat64}, edges...)
	thresholds = append(thresholds, math.Nextafter(edges[n], math.Inf(1)), math.Inf(1), math.NaN())
	ph := placeholders{args: append([]any(nil), o.args...)}
	sql := "SELECT width_bucket(v, " + ph.add(thresholds) + "::float8[]) AS bucket, count(*) FROM " + values + " GROUP BY 1"
	rows, err := q.Query(ctx, sql, ph.args...)
	if err != nil {
		return h, fmt.Errorf("chart: %s: bins of %q: %w", fn, name, err)
	}
	h.counts = make([]float64, n)
	var b *int32
	var c int64
	_, err = pgx.ForEachRow(rows, []any{&b, &c}, func() error {
		h.stats.Rows += int(c)
		if b == nil {
			h.stats.Dropped.NULL += int(c)
			return nil
		}
		bin := -1
		switch k := int(*b); {
		case k == 1 || k == n+5:
			h.stats.Dropped.Inf += int(c)
		case k == n+6:
			h.stats.Dropped.NaN += int(c)
		case k == 2 || k == n+4:
			if o.hasRange {
				h.stats.OutOfRange += int(c)
			} else if k == 2 {
				bin = 0 // rows added between the two passes
			} else {
				bin = n - 1
			}
		case k >= 3 && k <= n+3:
			bin = min(k-3, n-1)
		default:
			return fmt.Errorf("expected a bucket from 1 to %d, found %d", n+6, k)
		}
		if bin >= 0 {
			h.counts[bin] += float64(c)
			h.stats.N += int(c)
		}
		return nil
	})
	if err != nil {
		return h, fmt.Errorf("chart: %s: bins of %q: %w", fn, name, err)
	}
	return h, nil
}

// finiteRange returns the least and greatest finite values: one pass when
// there is no NaN or infinity among them, else a second that skips them.
func finiteRange(ctx context.Context, q Querier, values string, args []any) (lo, hi float64, err error) {
	var min, max *float64
	scan := func(sql string) error {
		rows, err := q.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		_, err = pgx.ForEachRow(rows, []any{&min, &max}, func() error { return nil })
		return err
	}
	if err := scan("SELECT min(v), max(v) FROM " + values); err != nil {
		return 0, 0, err
	}
	if min == nil {
		return 0, 0, nil // no values: the bucket pass counts the NULLs
	}
	if isBad(*min) || isBad(*max) {
		const finite = "v > '-Infinity'::float8 AND v < 'Infinity'::float8"
		if err := scan("SELECT min(v) FILTER (WHERE " + finite + "), max(v) FILTER (WHERE " + finite + ") FROM " + values); err != nil {
			return 0, 0, err
		}
		if min == nil {
			return 0, 0, nil
		}
	}
	return *min, *max, nil
}

// timeCountsSQLPlot builds the chart of [TimeCountsSQL].
func timeCountsSQLPlot(ctx context.Context, q Querier, query string, opts ...Option) (*plot.Plot, error) {
	o, err := apply("TimeCountsSQL", opts, "Args", "In", "Every", "Between")
	if err != nil {
		return nil, err
	}
	t, err := timeCountsSQL(ctx, q, query, o)
	if err != nil {
		return nil, err
	}
	if t.stats.N == 0 {
		title := "Rows over time"
		if o.unit != "" {
			title = "Rows per " + string(o.unit)
		}
		return noData(title, "time counts of "+quote(t.name), t.stats)
	}
	return drawTimeCounts(t.name, t.unit, o, t.from, t.to, t.counts, t.stats, betweenNote(t.stats.OutOfRange, o), "counted on the server")
}

type sqlTimeCounts struct {
	name     string
	unit     Unit
	from, to time.Time
	counts   map[int64]float64
	stats    Stats
}

func timeCountsSQL(ctx context.Context, q Querier, query string, o *options) (sqlTimeCounts, error) {
	const fn = "TimeCountsSQL"
	zone := o.loc.String()
	if zone == "Local" {
		return sqlTimeCounts{}, fmt.Errorf("chart: %s: In(time.Local) has no zone name the server knows; pass a named zone, e.g. In(time.LoadLocation(\"Europe/Berlin\"))", fn)
	}
	fd, err := describeField(ctx, q, fn, query, o.args)
	if err != nil {
		return sqlTimeCounts{}, err
	}
	name, oid := fd.Name, fd.DataTypeOID
	t := sqlTimeCounts{name: name, counts: map[int64]float64{}}
	ph := placeholders{args: append([]any(nil), o.args...)}
	var tz string // the zone's placeholder, added when first needed
	zoneParam := func() string {
		if tz == "" {
			tz = ph.add(zone) + "::text"
		}
		return tz
	}
	var expr string
	switch oid {
	case oidTimestamptz:
		expr = "v"
	case oidTimestamp:
		expr = "(v AT TIME ZONE " + zoneParam() + ")"
	case oidDate:
		expr = "(v::timestamp AT TIME ZONE " + zoneParam() + ")"
	default:
		return t, fmt.Errorf("%w: chart: %s: column %q is %s, expected timestamptz, timestamp or date", ErrColumn, fn, name, typeName(oid))
	}
	values := "(SELECT " + expr + " AS t FROM " + wrap(query) + "(v)) AS chart_times"
	// Too many buckets is refused before the data is read (buckets.go).
	if o.unit != "" && o.hasBetween {
		if n := bucketsOf(o.unit, o.from, o.to); n > maxTimeBuckets {
			return t, tooManyBuckets(name, o.unit, n, " between the bounds given")
		}
	} else if o.unit != "" {
		if lo, hi, ok := spanFromStats(ctx, unrecorded(q), fd, query, o.args); ok {
			if n := bucketsOf(o.unit, lo, hi); n > maxTimeBuckets {
				return t, tooManyBuckets(name, o.unit, n, fmt.Sprintf(" (estimated from the table's statistics: %s to %s)",
					lo.UTC().Format("2006-01-02"), hi.UTC().Format("2006-01-02")))
			}
		}
	}
	if o.hasBetween {
		t.from, t.to = o.from.In(o.loc), o.to.Add(-time.Nanosecond).In(o.loc)
	} else {
		var first, last *time.Time
		rows, err := q.Query(ctx, "SELECT min(t) FILTER (WHERE isfinite(t)), max(t) FILTER (WHERE isfinite(t)) FROM "+values, ph.args...)
		if err != nil {
			return t, fmt.Errorf("chart: %s: range of %q: %w", fn, name, err)
		}
		if _, err := pgx.ForEachRow(rows, []any{&first, &last}, func() error { return nil }); err != nil {
			return t, fmt.Errorf("chart: %s: range of %q: %w", fn, name, err)
		}
		if first != nil {
			t.from, t.to = first.In(o.loc), last.In(o.loc)
		}
	}
	t.unit = o.unit
	if t.unit == "" {
		t.unit = autoUnit(t.from, t.to)
	} else if n := bucketsOf(t.unit, t.from, t.to); !o.hasBetween && n > maxTimeBuckets {
		return t, tooManyBuckets(name, t.unit, n, fmt.Sprintf(" (the data spans %s to %s)", t.from.Format("2006-01-02 15:04"), t.to.Format("2006-01-02 15:04")))
	}
	unit := ph.add(string(t.unit)) + "::text"
	local := "(t AT TIME ZONE " + zoneParam() + ")"
	var bucket string
	switch t.unit {
	case Minute, Hour:
		// Absolute time minus the time since the local minute or hour began:
		// the repeated hour of a daylight-saving change stays two buckets.
		bucket = "t - (" + local + " - date_trunc(" + unit + ", " + local + "))"
	default:
		bucket = "(date_trunc(" + unit + ", " + local + ") AT TIME ZONE " + zoneParam() + ")"
	}
	outside := ""
	if o.hasBetween {
		outside = "WHEN t < " + ph.add(o.from) + "::timestamptz OR t >= " + ph.add(o.to) + "::timestamptz THEN 3 "
	}
	kind := "CASE WHEN t IS NULL THEN 1 WHEN NOT isfinite(t) THEN 2 " + outside + "ELSE 0 END"
	sql := "SELECT kind, CASE WHEN kind = 0 THEN " + bucket + " END AS bucket, count(*) FROM " +
		"(SELECT t, " + kind + " AS kind FROM " + values + ") AS chart_kinds GROUP BY 1, 2"
	rows, err := q.Query(ctx, sql, ph.args...)
	if err != nil {
		return t, fmt.Errorf("chart: %s: buckets of %q: %w", fn, name, err)
	}
	var k int32
	var b *time.Time
	var c int64
	_, err = pgx.ForEachRow(rows, []any{&k, &b, &c}, func() error {
		t.stats.Rows += int(c)
		switch k {
		case 1:
			t.stats.Dropped.NULL += int(c)
		case 2:
			t.stats.Dropped.Inf += int(c)
		case 3:
			t.stats.OutOfRange += int(c)
		default:
			if b == nil {
				return fmt.Errorf("expected a bucket start, found NULL")
			}
			// The server's bucket start lies in the bucket Go draws; key it
			// by Go's start so both calendars agree by construction.
			t.counts[t.unit.truncate(*b, o.loc).Unix()] += float64(c)
			t.stats.N += int(c)
		}
		return nil
	})
	if err != nil {
		return t, fmt.Errorf("chart: %s: buckets of %q: %w", fn, name, err)
	}
	return t, nil
}

// sqlBins chooses the bins of a server-side histogram: Bins if given (over Range or the data's
// range); with only Range, 30 equal bins spanning exactly that range; otherwise round bins, about 30.
func sqlBins(lo, hi float64, n int, hasRange, integer bool) bins {
	switch {
	case n > 0:
		return chooseBinsK(lo, hi, n, 0, integer)
	case hasRange:
		return chooseBinsK(lo, hi, 30, 0, integer)
	default:
		return chooseBinsK(lo, hi, 0, 30, integer)
	}
}
