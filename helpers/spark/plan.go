package spark

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/replica"
)

// keyKind is how a partition key's values are counted: integers, days or microseconds.
type keyKind int

const (
	keyInteger   keyKind = iota + 1 // int2, int4, int8: the value
	keyDate                         // date: days since 1970-01-01
	keyTimestamp                    // timestamp, timestamptz: microseconds since 1970-01-01 00:00 UTC
)

// readPlan is how one view is read: which key, its bounds, and the ranges each replica reads.
type readPlan struct {
	Key        string  `json:"key,omitempty"`
	KeyType    string  `json:"key_type,omitempty"` // PostgreSQL type, e.g. bigint
	kind       keyKind `json:"-"`
	Lo, Hi     int64   `json:"-"` // in the key's units; Hi inclusive
	NotNull    bool    `json:"-"` // the key cannot be NULL (a NOT NULL table column)
	BoundsFrom string  `json:"bounds_from,omitempty"`
	Parts      []part  `json:"parts"`
}

// part is one replica's share of a view: the key range [From, To) it reads (open where nil), in
// Partitions ranges split at Cuts, of which at most Conns are read at once.
type part struct {
	Replica    int     `json:"replica"`
	Host       string  `json:"host"`
	From, To   *int64  `json:"-"`
	Cuts       []int64 `json:"-"`
	Partitions int     `json:"partitions"`
	Conns      int     `json:"conns"`
}

// ranges lists the key ranges [from, to) of the part's partitions (open where nil).
func (pt part) ranges() [][2]*int64 {
	out := make([][2]*int64, pt.Partitions)
	for k := range out {
		if k == 0 {
			out[k][0] = pt.From
		} else {
			out[k][0] = &pt.Cuts[k-1]
		}
		if k == pt.Partitions-1 {
			out[k][1] = pt.To
		} else {
			out[k][1] = &pt.Cuts[k]
		}
	}
	return out
}

// Partitions is the total number of partitions.
func (p *readPlan) Partitions() int {
	n := 0
	for _, pt := range p.Parts {
		n += pt.Partitions
	}
	return n
}

// String says how the view is read, e.g. "8 partitions on id (bounds from the index) over 2 replicas".
func (p *readPlan) String() string {
	n := p.Partitions()
	noun := "partitions"
	if n == 1 {
		noun = "partition"
	}
	s := fmt.Sprintf("%d %s", n, noun)
	if p.Key != "" && n > 1 {
		s += fmt.Sprintf(" on %s (bounds from %s)", p.Key, p.BoundsFrom)
	}
	if len(p.Parts) > 1 {
		s += fmt.Sprintf(" over %d replicas", len(p.Parts))
	}
	return s
}

// Detail lists each replica's share, e.g. "127.0.0.1:5433 reads id < 25001 in 4 partitions (2 at once)".
func (p *readPlan) Detail() []string {
	var out []string
	for _, pt := range p.Parts {
		var rng []string
		if pt.From != nil {
			rng = append(rng, p.Key+" ≥ "+sparkBound(*pt.From, p.kind))
		}
		if pt.To != nil {
			rng = append(rng, p.Key+" < "+sparkBound(*pt.To, p.kind))
		}
		what := "every row"
		if len(rng) > 0 {
			what = strings.Join(rng, " and ")
			if pt.From == nil {
				what += " (and NULL)"
			}
		}
		out = append(out, fmt.Sprintf("%s reads %s in %d partition(s), %d at once", pt.Host, what, pt.Partitions, pt.Conns))
	}
	return out
}

// tableRef is a resolved table: its schema and name, and the quoted SQL name.
type tableRef struct {
	schema, name string
}

func (t tableRef) sql() string { return pgx.Identifier{t.schema, t.name}.Sanitize() }

var plainName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$`)

// resolveTable finds a table (or view) by the name a user gives: "orders", "public.orders", or a quoted
// name. The lookup follows the replica's search_path, as a query would.
func resolveTable(ctx context.Context, q *replica.Pool, name string) (tableRef, error) {
	ident := name
	if plainName.MatchString(name) {
		parts := strings.Split(name, ".")
		ident = pgx.Identifier(parts).Sanitize()
	}
	var t tableRef
	err := q.QueryRow(ctx, `SELECT n.nspname::text, c.relname::text FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`, ident).Scan(&t.schema, &t.name)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("spark: expected a table or view such as \"events\" or \"public.events\", found %q, which does not exist on the replica (or is not visible to its user)", name)
	}
	if err != nil {
		return t, fmt.Errorf("spark: looking up table %q: %w", name, err)
	}
	return t, nil
}

// primaryKey returns the column of t's single-column primary key, or "" when it has none or several.
func primaryKey(ctx context.Context, q *replica.Pool, t tableRef) (string, error) {
	var col string
	err := q.QueryRow(ctx, `SELECT a.attname::text FROM pg_catalog.pg_index i
		JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
		WHERE i.indrelid = $1::regclass AND i.indisprimary AND i.indnkeyatts = 1`, t.sql()).Scan(&col)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("spark: looking up the primary key of %s: %w", t.sql(), err)
	}
	return col, nil
}

// keyType returns the PostgreSQL type of column col of t, how it is partitioned, and whether it is NOT
// NULL.
func keyType(ctx context.Context, q *replica.Pool, t tableRef, col string) (string, keyKind, bool, error) {
	var typ, base string
	var notNull bool
	err := q.QueryRow(ctx, `SELECT format_type(a.atttypid, a.atttypmod), bt.typname::text, a.attnotnull
		FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
		JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE ty.oid END
		WHERE a.attrelid = $1::regclass AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped`, t.sql(), col).Scan(&typ, &base, &notNull)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, false, fmt.Errorf("spark: expected a column of %s as the partition key, found %q, which it does not have", t.sql(), col)
	}
	if err != nil {
		return "", 0, false, fmt.Errorf("spark: looking up column %q of %s: %w", col, t.sql(), err)
	}
	switch base {
	case "int2", "int4", "int8":
		return typ, keyInteger, notNull, nil
	case "date":
		return typ, keyDate, notNull, nil
	case "timestamp", "timestamptz":
		return typ, keyTimestamp, notNull, nil
	}
	return typ, 0, false, fmt.Errorf("spark: expected an integer, date or timestamp partition key, found %s.%q of type %s; choose another column with spark.Key, or read with spark.Partitions(1)", t.sql(), col, typ)
}

// unitsSQL converts a key expression to the key's units as int8.
func unitsSQL(expr string, k keyKind) string {
	switch k {
	case keyDate:
		return fmt.Sprintf("(%s - DATE '1970-01-01')::int8", expr)
	case keyTimestamp:
		return fmt.Sprintf("floor(extract(epoch FROM %s) * 1000000)::int8", expr)
	}
	return expr + "::int8"
}

// bounds finds the key's min and max without scanning the table: from an index (min and max are then two
// index lookups, which EXPLAIN must confirm), else from pg_stats (the histogram and most common
// values ANALYZE keeps). It says which it used.
func bounds(ctx context.Context, q *replica.Pool, t tableRef, col, typ string, k keyKind) (lo, hi int64, from string, err error) {
	c := pgx.Identifier{col}.Sanitize()
	minmax := fmt.Sprintf("SELECT %s, %s FROM %s", unitsSQL("min("+c+")", k), unitsSQL("max("+c+")", k), t.sql())
	var plan string
	if err := q.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+minmax).Scan(&plan); err != nil {
		return 0, 0, "", fmt.Errorf("spark: planning the bounds of %s.%s: %w", t.sql(), c, err)
	}
	if indexOnly(plan) {
		var l, h *int64
		if err := q.QueryRow(ctx, minmax).Scan(&l, &h); err != nil {
			return 0, 0, "", fmt.Errorf("spark: reading the bounds of %s.%s: %w", t.sql(), c, err)
		}
		if l == nil || h == nil {
			return 0, 0, "the index (empty table)", nil
		}
		return *l, *h, "the index", nil
	}
	stats := fmt.Sprintf(`SELECT %[1]s, %[2]s FROM (
		SELECT unnest(histogram_bounds::text::%[3]s[]) AS v FROM pg_catalog.pg_stats WHERE schemaname = $1 AND tablename = $2 AND attname = $3
		UNION ALL
		SELECT unnest(most_common_vals::text::%[3]s[]) FROM pg_catalog.pg_stats WHERE schemaname = $1 AND tablename = $2 AND attname = $3) s`,
		unitsSQL("min(v)", k), unitsSQL("max(v)", k), typ)
	var l, h *int64
	if err := q.QueryRow(ctx, stats, t.schema, t.name, col).Scan(&l, &h); err != nil {
		return 0, 0, "", fmt.Errorf("spark: reading the statistics of %s.%s: %w", t.sql(), c, err)
	}
	if l == nil || h == nil {
		return 0, 0, "", fmt.Errorf("spark: cannot split %s on %s without scanning it: no index starts with that column and pg_stats has no statistics for it (run ANALYZE %s on the primary); give spark.Bounds(lo, hi), choose another spark.Key, or read with spark.Partitions(1)",
			t.sql(), c, t.sql())
	}
	return *l, *h, "pg_stats", nil
}

// indexOnly reports whether an EXPLAIN (FORMAT JSON) plan of SELECT min(k), max(k) is PostgreSQL's
// min/max rewrite: no Aggregate, and every relation read by an index scan under a Limit (one row from
// each end of the index). A full index scan under an Aggregate does not count.
func indexOnly(plan string) bool {
	var doc []struct {
		Plan planNode `json:"Plan"`
	}
	if json.Unmarshal([]byte(plan), &doc) != nil || len(doc) == 0 {
		return false
	}
	scans := 0
	var ok func(n planNode, parent string) bool
	ok = func(n planNode, parent string) bool {
		if strings.Contains(n.NodeType, "Aggregate") {
			return false
		}
		if n.RelationName != "" {
			if !strings.HasPrefix(n.NodeType, "Index") || parent != "Limit" {
				return false
			}
			scans++
		}
		for _, c := range n.Plans {
			if !ok(c, n.NodeType) {
				return false
			}
		}
		return true
	}
	return ok(doc[0].Plan, "") && scans > 0
}

type planNode struct {
	NodeType     string     `json:"Node Type"`
	RelationName string     `json:"Relation Name"`
	Plans        []planNode `json:"Plans"`
}

// split plans the partitions: total ranges of [lo, hi] in contiguous blocks, one block per replica,
// each replica reading at most maxConns at once.
func split(lo, hi int64, total, replicas, maxConns int) []part {
	if total < 1 {
		total = 1
	}
	if span := hi - lo + 1; span > 0 && span < int64(total) {
		total = int(span)
	}
	if replicas > total {
		replicas = total
	}
	parts := make([]part, replicas)
	step := float64(hi-lo+1) / float64(total)
	at := func(i int) int64 { return lo + int64(float64(i)*step) }
	first := 0
	for r := range parts {
		n := total / replicas
		if r < total%replicas {
			n++
		}
		p := part{Replica: r, Partitions: n, Conns: min(n, maxConns)}
		for k := 1; k < n; k++ {
			p.Cuts = append(p.Cuts, at(first+k))
		}
		if r > 0 {
			v := at(first)
			p.From = &v
		}
		if r < replicas-1 {
			v := at(first + n)
			p.To = &v
		}
		first += n
		parts[r] = p
	}
	return parts
}

// literal renders a value in the key's units as a PostgreSQL literal of the key's type.
func literal(v int64, k keyKind) string {
	switch k {
	case keyDate:
		return "DATE '" + time.Unix(v*86400, 0).UTC().Format("2006-01-02") + "'"
	case keyTimestamp:
		return "'" + time.UnixMicro(v).UTC().Format("2006-01-02 15:04:05.999999") + "+00'"
	}
	return strconv.FormatInt(v, 10)
}

// sparkBound renders a value in the key's units as Spark's JDBC lowerBound/upperBound expects it.
func sparkBound(v int64, k keyKind) string {
	switch k {
	case keyDate:
		return time.Unix(v*86400, 0).UTC().Format("2006-01-02")
	case keyTimestamp:
		return time.UnixMicro(v).UTC().Format("2006-01-02 15:04:05.999999")
	}
	return strconv.FormatInt(v, 10)
}

// toUnits converts a Bounds value given by a user to the key's units.
func toUnits(v any, k keyKind) (int64, error) {
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case float64:
		return int64(x), nil
	case time.Time:
		if k == keyDate {
			return x.UTC().Unix() / 86400, nil
		}
		return x.UnixMicro(), nil
	case string:
		switch k {
		case keyInteger:
			return strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		case keyDate:
			t, err := time.Parse("2006-01-02", strings.TrimSpace(x))
			if err != nil {
				return 0, fmt.Errorf("expected a date such as 2026-01-31, found %q", x)
			}
			return t.Unix() / 86400, nil
		default:
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999Z07", "2006-01-02 15:04:05.999999", "2006-01-02"} {
				if t, err := time.Parse(layout, strings.TrimSpace(x)); err == nil {
					return t.UnixMicro(), nil
				}
			}
			return 0, fmt.Errorf("expected a timestamp such as 2026-01-31 12:00:00 or RFC 3339, found %q", x)
		}
	}
	return 0, fmt.Errorf("expected an int, float, time.Time or string bound, found %T", v)
}
