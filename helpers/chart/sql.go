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
	"github.com/replicalab/replicalab/internal/numfmt"
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

// describeField returns the description of the one column query returns: name, type, and the table
// column it reads, if any.
func describeField(ctx context.Context, q Querier, fn, query string, args []any) (pgconn.FieldDescription, error) {
	c, err := describeColumn(ctx, q, fn, query, args)
	return pgconn.FieldDescription{Name: c.name, DataTypeOID: c.oid, TableOID: c.table, TableAttributeNumber: c.attnum}, err
}

// describeColumn describes the one column query returns.
func describeColumn(ctx context.Context, q Querier, fn, query string, args []any) (column1, error) {
	cols, err := describeColumns(ctx, q, fn, query, args, 1, 1)
	if err != nil {
		return column1{}, err
	}
	return cols[0], nil
}

// describeColumns describes the columns query returns (LIMIT 0: nothing is
// read), expecting from least to most of them.
func describeColumns(ctx context.Context, q Querier, fn, query string, args []any, least, most int) ([]column1, error) {
	want := fmt.Sprintf("%d or %d columns", least, most)
	switch {
	case least == 1 && most == 1:
		want = "one column"
	case least == most:
		want = numfmt.Count(least, "column", "columns")
	}
	if strings.TrimSpace(query) == "" {
		return nil, fmt.Errorf("chart: %s: expected a query returning %s, found an empty query", fn, want)
	}
	rows, err := q.Query(ctx, "SELECT * FROM "+wrap(query)+" LIMIT 0", args...)
	if err != nil {
		return nil, fmt.Errorf("chart: %s: %w", fn, err)
	}
	fields := rows.FieldDescriptions()
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("chart: %s: %w", fn, err)
	}
	if len(fields) < least || len(fields) > most {
		names := make([]string, len(fields))
		for i, f := range fields {
			names[i] = f.Name
		}
		return nil, fmt.Errorf("chart: %s: expected a query returning %s, found %d (%s)", fn, want, len(fields), quoteList(names))
	}
	cols := make([]column1, len(fields))
	for i, f := range fields {
		cols[i] = column1{name: f.Name, oid: f.DataTypeOID, table: f.TableOID, attnum: f.TableAttributeNumber}
	}
	return cols, nil
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
	o, err := apply("HistogramSQL", opts, "Args", "Bins", "Range", "AnyCost")
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
	col, err := describeColumn(ctx, q, fn, query, o.args)
	if err != nil {
		return sqlHistogram{}, err
	}
	name, oid := col.name, col.oid
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
		known := false
		// One pass: bins on a grid wide enough for the range pg_stats
		// gives (the planner's sample), cut to the bins the data fills.
		if slo, shi, ok := statsRange(ctx, q, col); ok && o.bins == 0 {
			grid := gridBins(slo, shi, integer)
			c, err := countBins(ctx, q, values, o.args, grid)
			if err != nil {
				return h, fmt.Errorf("chart: %s: bins of %q: %w", fn, name, err)
			}
			if b, ok := c.fit(grid, integer); ok {
				h.bins = b
				h.counts, h.stats = c.assign(b, false, grid)
				return h, nil
			}
			// The data reaches beyond the grid, or fills too few of its bins:
			// bin it again over its exact range, known now.
			if lo, hi, known = c.finiteMin, c.finiteMax, true; c.finite == 0 {
				lo, hi = 0, 0
			}
		}
		if !known {
			if lo, hi, err = finiteRange(ctx, q, values, o.args); err != nil {
				return h, fmt.Errorf("chart: %s: range of %q: %w", fn, name, err)
			}
		}
	}
	h.bins = sqlBins(lo, hi, o.bins, o.hasRange, integer)
	c, err := countBins(ctx, q, values, o.args, h.bins)
	if err != nil {
		return h, fmt.Errorf("chart: %s: bins of %q: %w", fn, name, err)
	}
	h.counts, h.stats = c.assign(h.bins, o.hasRange, h.bins)
	return h, nil
}

// bucketCount is one width_bucket of countBins: its rows, least and
// greatest value.
type bucketCount struct {
	n        int64
	min, max float64
}

// binCounts are the buckets of one pass over the values.
type binCounts struct {
	n                    int // bins of the pass
	buckets              map[int]bucketCount
	nulls                int64
	finite               int64
	finiteMin, finiteMax float64
}

// countBins counts the values in b's bins in one width_bucket over
// thresholds that also sort out -Infinity, values below and above the bins,
// +Infinity and NaN (the largest float8):
//
//	1: -Inf   2: below   3..n+2: bins   n+3: the last edge   n+4: above
//	n+5: +Inf   n+6: NaN   NULL: NULL
//
// with each bucket's least and greatest value.
func countBins(ctx context.Context, q Querier, values string, args []any, b bins) (binCounts, error) {
	edges := b.edges()
	n := b.n
	thresholds := append([]float64{math.Inf(-1), -math.MaxFloat64}, edges...)
	thresholds = append(thresholds, math.Nextafter(edges[n], math.Inf(1)), math.Inf(1), math.NaN())
	ph := placeholders{args: append([]any(nil), args...)}
	sql := "SELECT width_bucket(v, " + ph.add(thresholds) + "::float8[]) AS bucket, count(*), min(v), max(v) FROM " + values + " GROUP BY 1"
	rows, err := q.Query(ctx, sql, ph.args...)
	if err != nil {
		return binCounts{}, err
	}
	c := binCounts{n: n, buckets: map[int]bucketCount{}, finiteMin: math.Inf(1), finiteMax: math.Inf(-1)}
	var k *int32
	var cnt int64
	var lo, hi *float64
	_, err = pgx.ForEachRow(rows, []any{&k, &cnt, &lo, &hi}, func() error {
		if k == nil {
			c.nulls += cnt
			return nil
		}
		if *k < 1 || int(*k) > n+6 {
			return fmt.Errorf("expected a bucket from 1 to %d, found %d", n+6, *k)
		}
		bc := bucketCount{n: cnt}
		if lo != nil && hi != nil {
			bc.min, bc.max = *lo, *hi
		}
		c.buckets[int(*k)] = bc
		if k := int(*k); k >= 2 && k <= n+4 && lo != nil && hi != nil {
			c.finite += cnt
			c.finiteMin, c.finiteMax = math.Min(c.finiteMin, *lo), math.Max(c.finiteMax, *hi)
		}
		return nil
	})
	return c, err
}

// assign turns the buckets into counts per bin of b — the bins counted, or
// bins cut out of them (fit) — and the chart's stats. Without a Range,
// values below or above the bins (rows added between two passes) go to the
// first or last bin.
func (c binCounts) assign(b bins, hasRange bool, counted bins) ([]float64, Stats) {
	n := c.n
	counts := make([]float64, b.n)
	s := Stats{Rows: int(c.nulls)}
	s.Dropped.NULL = int(c.nulls)
	for k, bc := range c.buckets {
		cnt := int(bc.n)
		s.Rows += cnt
		bin := -1
		switch {
		case k == 1 || k == n+5:
			s.Dropped.Inf += cnt
		case k == n+6:
			s.Dropped.NaN += cnt
		case k == 2 || k == n+4:
			if hasRange {
				s.OutOfRange += cnt
			} else if k == 2 {
				bin = 0
			} else {
				bin = b.n - 1
			}
		default: // 3..n+3: bin k-3 of the counted bins (the last edge in the last)
			g := min(k-3, n-1) + counted.off
			bin = max(0, min((g-b.off)/b.stride(), b.n-1))
		}
		if bin >= 0 {
			counts[bin] += float64(cnt)
			s.N += cnt
		}
	}
	return counts, s
}

// Grid bins for the one-pass histogram: the cut has at most maxGridBins
// bins, and at least minGridBins unless the data spans fewer round bins;
// otherwise the data is binned again over its exact range.
const (
	minGridBins = 10
	maxGridBins = 60
	gridReach   = 10 // the grid reaches this many times pg_stats' range beyond it, each side
)

// gridBins are the round bins pg_stats' range would get (about 30),
// extended gridReach times that range on each side for the values the
// planner's sample missed (the tails of skewed data).
func gridBins(lo, hi float64, integer bool) bins {
	b := chooseBinsK(lo, hi, 0, 30, integer)
	extra := gridReach * b.n
	b.start -= float64(extra) * b.width
	b.n += 2 * extra
	b.end = b.start + float64(b.n)*b.width
	return b
}

// fit cuts the grid to the bins holding values, gathering 1, 2, 5, 10, 20,
// 50 or 100 grid bins into one (edges stay round: on multiples of the wider
// width) so that at most maxGridBins remain. It fails when values fell
// outside the grid, or when they fill so few bins that binning their exact
// range would give more.
func (c binCounts) fit(grid bins, integer bool) (bins, bool) {
	n := grid.n
	if c.buckets[2].n > 0 || c.buckets[n+4].n > 0 || c.finite == 0 {
		return bins{}, false
	}
	first, last := -1, -1
	for k := 3; k <= n+3; k++ {
		if c.buckets[k].n > 0 {
			if first < 0 {
				first = min(k-3, n-1)
			}
			last = min(k-3, n-1)
		}
	}
	// The grid's first edge is m0 widths from 0 (-0.5 more for integers).
	origin := grid.start
	if integer {
		origin += 0.5
	}
	m0 := int(math.Round(origin / grid.width))
	for _, k := range []int{1, 2, 5, 10, 20, 50, 100} {
		a := first - mod(m0+first, k)
		cut := bins{start: grid.start, width: grid.width, step: k, off: a, n: (last - a + k) / k}
		if cut.n > maxGridBins {
			continue
		}
		cut.end = cut.start + float64(cut.off+cut.n*k)*cut.width
		if cut.n < minGridBins && sqlBins(c.finiteMin, c.finiteMax, 0, false, integer).n > cut.n {
			return bins{}, false
		}
		return cut, true
	}
	return bins{}, false
}

func mod(a, k int) int { return ((a % k) + k) % k }

// column1 is what describeColumns learns of one column of a query: its
// name and type, and the table column it comes straight from, if any.
type column1 struct {
	name   string
	oid    uint32
	table  uint32 // pg_class oid; 0 for an expression
	attnum uint16
}

// statsRange is the least and greatest finite value pg_stats knows for
// col's table column (histogram bounds and most common values, from the
// last ANALYZE): a catalog lookup, no table read.
func statsRange(ctx context.Context, q Querier, col column1) (lo, hi float64, ok bool) {
	if col.table == 0 || col.attnum == 0 {
		return 0, 0, false
	}
	rows, err := catalogQuery(ctx, q, `SELECT min(x), max(x) FROM (
		SELECT unnest(coalesce(s.histogram_bounds::text::float8[], '{}') || coalesce(s.most_common_vals::text::float8[], '{}')) AS x
		FROM pg_catalog.pg_stats AS s
		JOIN pg_catalog.pg_class AS c ON c.relname = s.tablename
		JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace AND n.nspname = s.schemaname
		JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attname = s.attname
		WHERE c.oid = $1 AND a.attnum = $2) AS bounds
		WHERE x > '-Infinity' AND x < 'Infinity'`, col.table, int16(col.attnum))
	if err != nil {
		return 0, 0, false
	}
	var min, max *float64
	if _, err := pgx.ForEachRow(rows, []any{&min, &max}, func() error { return nil }); err != nil || min == nil || max == nil || !(*min < *max) {
		return 0, 0, false
	}
	return *min, *max, true
}

// finiteRange returns the least and greatest finite values, in one pass.
func finiteRange(ctx context.Context, q Querier, values string, args []any) (lo, hi float64, err error) {
	const finite = "v > '-Infinity'::float8 AND v < 'Infinity'::float8" // NaN is above Infinity
	rows, err := q.Query(ctx, "SELECT min(v) FILTER (WHERE "+finite+"), max(v) FILTER (WHERE "+finite+") FROM "+values, args...)
	if err != nil {
		return 0, 0, err
	}
	var min, max *float64
	if _, err := pgx.ForEachRow(rows, []any{&min, &max}, func() error { return nil }); err != nil {
		return 0, 0, err
	}
	if min == nil || max == nil {
		return 0, 0, nil // no finite values: the bucket pass counts the rest
	}
	return *min, *max, nil
}

// timeCountsSQLPlot builds the chart of [TimeCountsSQL].
func timeCountsSQLPlot(ctx context.Context, q Querier, query string, opts ...Option) (*plot.Plot, error) {
	o, err := apply("TimeCountsSQL", opts, "Args", "In", "Every", "Between", "AnyCost")
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
		if lo, hi, ok := spanFromStats(ctx, q, fd, query, o.args); ok {
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
