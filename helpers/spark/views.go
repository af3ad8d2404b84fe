package spark

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/apache/spark-connect-go/spark/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/replicalab/replicalab/helpers/replica"
)

// view is a replica table or query registered under a name, read by Spark when first needed.
type view struct {
	Name       string `json:"name"`
	Table      string `json:"table,omitempty"`
	Query      string `json:"query,omitempty"`
	Key        string `json:"key,omitempty"`
	Partitions int    `json:"partitions,omitempty"`
	Lo         string `json:"lo,omitempty"`
	Hi         string `json:"hi,omitempty"`
	BoundsOf   string `json:"bounds_of,omitempty"`
	Snapshot   bool   `json:"snapshot,omitempty"`

	lo, hi any

	// Set once the view is registered in the Spark session.
	plan     *readPlan
	df       sql.DataFrame
	snap     *snapshotMeta // the snapshot the view reads, if any
	readFrom string        // what a load's provenance says about this view
}

// definition is what identifies a view's rows: it keys the result cache and snapshots.
func (v *view) definition() string {
	b, _ := json.Marshal(v)
	return string(b)
}

var viewName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Table registers the replica table (or view) name as a Spark view of the same name (its last part:
// "public.orders" is "orders"), read in parallel when a load first needs it. Options: Key, Partitions,
// Bounds, Snapshot. It does no I/O.
func (s *Session) Table(name string, opts ...Option) error {
	short := name
	if i := strings.LastIndexByte(name, '.'); i >= 0 && plainName.MatchString(name) {
		short = name[i+1:]
	}
	short = strings.Trim(short, `"`)
	return s.register(short, &view{Table: name}, opts)
}

// QueryView registers a replica query (one SELECT, no parameters) as the Spark view name. To read it in
// several partitions, give a Key (a column of its result) and its range: Bounds, or BoundsOf a table
// holding that column; without them it is read by one connection. It does no I/O.
func (s *Session) QueryView(name, query string, opts ...Option) error {
	q := strings.TrimRight(strings.TrimSpace(query), "; \t\n")
	if q == "" {
		return fmt.Errorf("spark: expected a SELECT for view %q, found an empty query", name)
	}
	return s.register(name, &view{Query: q}, opts)
}

func (s *Session) register(name string, v *view, opts []Option) error {
	if !viewName.MatchString(name) {
		return fmt.Errorf("spark: expected a view name of letters, digits and _ (e.g. \"orders\"), found %q", name)
	}
	o := collect(opts)
	v.Name, v.Key, v.Partitions, v.BoundsOf, v.Snapshot = name, o.key, o.partitions, o.boundsOf, o.snapshot
	if o.partitions < 0 {
		return fmt.Errorf("spark: view %q: expected at least 1 partition, found %d", name, o.partitions)
	}
	if (o.lo == nil) != (o.hi == nil) {
		return fmt.Errorf("spark: view %q: Bounds needs both a low and a high value", name)
	}
	if o.lo != nil {
		v.lo, v.hi = o.lo, o.hi
		v.Lo, v.Hi = fmt.Sprint(o.lo), fmt.Sprint(o.hi)
	}
	if v.Query != "" && v.Key == "" && (o.lo != nil || o.boundsOf != "") {
		return fmt.Errorf("spark: view %q: Bounds and BoundsOf need a Key: the column of the query to split on", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, old := range s.views {
		if old.Name == name {
			s.views[i] = v
			return nil
		}
	}
	s.views = append(s.views, v)
	return nil
}

// viewsKey identifies the registered views for the result cache.
func (s *Session) viewsKey() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, v := range s.views {
		b.WriteString(v.definition())
		b.WriteByte('\n')
	}
	return b.String()
}

// planView decides how to read v: key, bounds, and each replica's share.
func (s *Session) planView(ctx context.Context, pool *replica.Pool, rs []Replica, v *view) (*readPlan, error) {
	total := v.Partitions
	if total == 0 {
		total = s.maxConns * len(rs)
	}
	one := &readPlan{Parts: []part{{Replica: 0, Host: rs[0].Host, Partitions: 1, Conns: 1}}}
	if total == 1 {
		return one, nil
	}
	var (
		tbl     tableRef
		err     error
		key     = v.Key
		typ     string
		kind    keyKind
		notNull bool
	)
	switch {
	case v.Table != "":
		if tbl, err = resolveTable(ctx, pool, v.Table); err != nil {
			return nil, err
		}
		if key == "" {
			if key, err = primaryKey(ctx, pool, tbl); err != nil {
				return nil, err
			}
			if key == "" {
				return nil, fmt.Errorf("spark: view %q: %s has no single-column primary key to split on: give spark.Key(column) (an integer, date or timestamp column, best with an index), or read with spark.Partitions(1)", v.Name, tbl.sql())
			}
		}
		if typ, kind, notNull, err = keyType(ctx, pool, tbl, key); err != nil {
			return nil, err
		}
	case key == "":
		if v.Partitions > 1 {
			return nil, fmt.Errorf("spark: view %q: a query is split on a key: give spark.Key(column) with spark.Bounds(lo, hi) or spark.BoundsOf(table)", v.Name)
		}
		return one, nil
	case v.BoundsOf != "":
		if tbl, err = resolveTable(ctx, pool, v.BoundsOf); err != nil {
			return nil, err
		}
		if typ, kind, _, err = keyType(ctx, pool, tbl, key); err != nil { // a query's key may be NULL
			return nil, err
		}
	default:
		if typ, kind, err = queryKeyType(ctx, pool, v.Query, key); err != nil {
			return nil, fmt.Errorf("spark: view %q: %w", v.Name, err)
		}
	}
	p := &readPlan{Key: key, KeyType: typ, kind: kind, NotNull: notNull && v.Table != ""}
	switch {
	case v.lo != nil:
		if p.Lo, err = toUnits(v.lo, kind); err == nil {
			p.Hi, err = toUnits(v.hi, kind)
		}
		if err != nil {
			return nil, fmt.Errorf("spark: view %q: Bounds: %w", v.Name, err)
		}
		if p.Hi < p.Lo {
			return nil, fmt.Errorf("spark: view %q: Bounds: expected low ≤ high, found %s > %s", v.Name, v.Lo, v.Hi)
		}
		p.BoundsFrom = "spark.Bounds"
	case tbl.name != "":
		if p.Lo, p.Hi, p.BoundsFrom, err = bounds(ctx, pool, tbl, key, typ, kind); err != nil {
			return nil, fmt.Errorf("%w (view %q)", err, v.Name)
		}
	default:
		return nil, fmt.Errorf("spark: view %q: a query split on %q needs its range: spark.Bounds(lo, hi) or spark.BoundsOf(table)", v.Name, key)
	}
	p.Parts = split(p.Lo, p.Hi, total, len(rs), s.maxConns)
	for i := range p.Parts {
		p.Parts[i].Host = rs[p.Parts[i].Replica].Host
	}
	return p, nil
}

// Plan says how the view name is read: its partitions, key and bounds, and each replica's share. It
// plans the view if no load has yet (a few catalog queries on the replica, never a scan of the table;
// nothing runs on Spark).
func (s *Session) Plan(ctx context.Context, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var v *view
	for _, x := range s.views {
		if x.Name == name {
			v = x
		}
	}
	if v == nil {
		return "", fmt.Errorf("spark: expected a registered view (%s), found %q", s.viewNamesLocked(), name)
	}
	if v.snap != nil {
		return v.readFrom, nil
	}
	p := v.plan
	if p == nil {
		rs, pool, err := s.replicasLocked(ctx)
		if err != nil {
			return "", err
		}
		if p, err = s.planView(ctx, pool, rs, v); err != nil {
			return "", err
		}
		v.plan = p
	}
	return p.String() + ":\n  " + strings.Join(p.Detail(), "\n  "), nil
}

// queryKeyType finds the type of column key in a query's result without running it (LIMIT 0).
func queryKeyType(ctx context.Context, pool *replica.Pool, query, key string) (string, keyKind, error) {
	rows, err := pool.Query(ctx, "SELECT * FROM ("+query+") AS q LIMIT 0")
	if err != nil {
		return "", 0, fmt.Errorf("describing the query: %w", err)
	}
	fds := rows.FieldDescriptions()
	rows.Close()
	for _, fd := range fds {
		if fd.Name != key {
			continue
		}
		switch fd.DataTypeOID {
		case pgtype.Int2OID:
			return "smallint", keyInteger, nil
		case pgtype.Int4OID:
			return "integer", keyInteger, nil
		case pgtype.Int8OID:
			return "bigint", keyInteger, nil
		case pgtype.DateOID:
			return "date", keyDate, nil
		case pgtype.TimestampOID:
			return "timestamp without time zone", keyTimestamp, nil
		case pgtype.TimestamptzOID:
			return "timestamp with time zone", keyTimestamp, nil
		}
		return "", 0, fmt.Errorf("expected an integer, date or timestamp key, found column %q of type OID %d", key, fd.DataTypeOID)
	}
	return "", 0, fmt.Errorf("expected the key %q among the query's columns, found %s", key, columnNames(fds))
}

func columnNames(fds []pgconn.FieldDescription) string {
	names := make([]string, len(fds))
	for i, fd := range fds {
		names[i] = strconv.Quote(fd.Name)
	}
	return strings.Join(names, ", ")
}

// sparkRead makes the Spark DataFrame that reads v as planned: one JDBC read per partition, each with
// its key range as a WHERE on the replica (so PostgreSQL reads only that range), the union of a
// replica's partitions coalesced to at most MaxConns tasks (so at most that many of them are open at
// once), and the union of the replicas'.
func (s *Session) sparkRead(ctx context.Context, sp sql.SparkSession, rs []Replica, v *view, p *readPlan) (sql.DataFrame, error) {
	var src string
	if v.Table != "" {
		tbl, err := resolveTable(ctx, s.pool, v.Table)
		if err != nil {
			return nil, err
		}
		src = tbl.sql()
	} else {
		src = "(" + v.Query + ") AS q"
	}
	key := pgx.Identifier{p.Key}.Sanitize()
	var out sql.DataFrame
	for _, pt := range p.Parts {
		var share sql.DataFrame
		for k, rg := range pt.ranges() {
			var conds []string
			if rg[0] != nil {
				conds = append(conds, key+" >= "+literal(*rg[0], p.kind))
			}
			if rg[1] != nil {
				c := key + " < " + literal(*rg[1], p.kind)
				if rg[0] == nil && !p.NotNull {
					c = "(" + c + " OR " + key + " IS NULL)" // NULL keys go to the first partition
				}
				conds = append(conds, c)
			}
			table := src
			if len(conds) > 0 || v.Query != "" {
				where := ""
				if len(conds) > 0 {
					where = " WHERE " + strings.Join(conds, " AND ")
				}
				alias := pgx.Identifier{fmt.Sprintf("replicalab_%s_%d_%d", v.Name, pt.Replica, k)}.Sanitize()
				table = "(SELECT * FROM " + src + where + ") AS " + alias
			}
			r := sp.Read().Format("jdbc")
			for name, val := range jdbcOptions(rs[pt.Replica], s.settings, s.sslrootcert) {
				r = r.Option(name, val)
			}
			df, err := r.Option("dbtable", table).Load("")
			if err != nil {
				return nil, fmt.Errorf("spark: reading %s from %s: %w", v.Name, pt.Host, scrub(err, s.password))
			}
			if share == nil {
				share = df
			} else {
				share = share.UnionAll(ctx, df)
			}
		}
		if pt.Partitions > pt.Conns {
			share = share.Coalesce(ctx, pt.Conns)
		}
		if out == nil {
			out = share
		} else {
			out = out.UnionAll(ctx, share)
		}
	}
	return out, nil
}

// hashOf is a short stable name for a text.
func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}
