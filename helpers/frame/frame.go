package frame

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/replicalab/replicalab/internal/cost"
	"github.com/replicalab/replicalab/internal/numfmt"
	"github.com/replicalab/replicalab/internal/provenance"

	"github.com/go-gota/gota/dataframe"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/ledger"
)

// Querier runs a query. *replica.Pool, *pgxpool.Pool, *pgx.Conn and pgx.Tx
// satisfy it.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Source says where a Result's rows came from.
type Source string

const (
	FromDatabase Source = "database" // fetched by this call
	FromCache    Source = "cache"    // read from the cache file; the database was not contacted
)

// Result is a loaded query: the DataFrame plus where it came from and what
// each column holds.
type Result struct {
	DataFrame dataframe.DataFrame
	Columns   []Column
	Rows      int
	Truncated bool   // the query returned more than Limit rows: the first Limit the server sent are kept (see Ordered, Sampled)
	Limit     int    // the row limit applied; 0 means none
	Of        int64  // when only part of the query's rows is kept (Truncated, Sample): how many it returns; 0 unknown
	OfExact   bool   // Of was counted ([Sampled]), not estimated by the planner
	Ordered   bool   // the query has its own ORDER BY: a truncated result is its first Limit rows in that order
	Sample    string // how the rows were sampled ([Sampled], [Sample]), in words; "" when not sampled
	Source    Source
	Database  string        // user@host:port/database the rows came from
	SQL       string        // the query as sent
	FetchedAt time.Time     // when the query was sent to the database
	Elapsed   time.Duration // how long this call took to fetch, or to read the cache
	LagKnown  bool          // the replica's lag was measured right after the fetch
	Lag       time.Duration // how far behind its primary the replica was then
	TTL       time.Duration // how long the cached copy is used; 0 when not cached
	CacheFile string        // "" when not cached
	Warnings  []string      // truncation, precision loss, cache trouble

	// The planner's estimate, asked before the query ran (see [AnyCost]);
	// zero when the result came from the cache or the statement has no plan.
	EstimatedRows, EstimatedCost float64

	nulls   map[string][]bool // SQL NULL mask of each column that has NULLs
	maxRows int               // rows its table shows; 0: the default
	args    []any             // the query's arguments, for its lineage (lineage.go)
	primary bool              // read from a primary (ALLOW_PRIMARY)
	engine  string            // what computed it when not the database (LoadComputed), for its lineage
}

// Load runs sql on q (or reads the cached result of the same query on the
// same database) and returns the DataFrame with its provenance and column
// details. The query's parameters go in [Args]. It shows a progress bar for
// slow loads and a line saying where the data came from (in a notebook as
// HTML, elsewhere as text on stderr); [Quiet] turns them off.
//
// Identifying the database for the cache key takes no round trip for a
// *replica.Pool (which has not even connected when the result is cached),
// *pgxpool.Pool, *pgx.Conn or pgx.Tx.
func Load(ctx context.Context, q Querier, sql string, opts ...Option) (*Result, error) {
	s, err := collect(opts).resolve()
	if err != nil {
		return nil, err
	}
	return load(ctx, q, sql, &s)
}

// SQL is [Load] for a notebook cell: it runs sql on the notebook's
// connection ([replica.Default], opened only if the cache cannot answer) and
// returns the result; on error it shows the message and stops the cell.
//
//	%%
//	orders := frame.SQL(`SELECT id, status, total, placed_at FROM orders WHERE placed_at >= $1`, frame.Args(since))
//	orders.Show()
func SQL(sql string, opts ...Option) *Result {
	r, err := Load(context.Background(), replica.Default(), sql, opts...)
	if err != nil {
		display.Stop(err)
	}
	return r
}

// Sample loads a random sample of about fraction (0 < fraction ≤ 1) of a
// table's rows with TABLESAMPLE SYSTEM (whole pages: fast) or, with
// [Bernoulli], BERNOULLI (each row: even), REPEATABLE with [Seed] (default 1)
// so that re-running gives the same rows while the table is unchanged. The
// table name may be schema-qualified ("public.orders"); it is quoted as an
// identifier. With [Limit], the sample is capped by the server (LIMIT), so it
// stops reading pages early and nothing needs to be cancelled (a cancelled
// statement would abort a surrounding transaction).
func Sample(ctx context.Context, q Querier, table string, fraction float64, opts ...Option) (*Result, error) {
	o := collect(opts)
	sql, err := sampleSQL(table, fraction, o)
	if err != nil {
		return nil, err
	}
	method := "whole pages at random (TABLESAMPLE SYSTEM"
	if o.bernoulli {
		method = "each row at random (TABLESAMPLE BERNOULLI"
	}
	label := fmt.Sprintf("about %s of the table, %s, seed %d)", percent(fraction), method, o.seedOr1())
	return Load(ctx, q, sql, append(opts, func(o *options) { o.sampleLabel = label })...)
}

func sampleSQL(table string, fraction float64, o options) (string, error) {
	if !(fraction > 0 && fraction <= 1) {
		return "", fmt.Errorf("frame: sample fraction must be above 0 and at most 1, found %v", fraction)
	}
	parts := strings.Split(table, ".")
	for _, p := range parts {
		if p == "" {
			return "", fmt.Errorf("frame: expected a table name such as \"orders\" or \"public.orders\", found %q", table)
		}
	}
	method := "SYSTEM"
	if o.bernoulli {
		method = "BERNOULLI"
	}
	seed := int64(1)
	if o.seed != nil {
		seed = *o.seed
	}
	sql := fmt.Sprintf("SELECT * FROM %s TABLESAMPLE %s (%s) REPEATABLE (%d)",
		pgx.Identifier(parts).Sanitize(), method, strconv.FormatFloat(fraction*100, 'g', -1, 64), seed)
	if o.limit != nil && *o.limit > 0 {
		sql += " LIMIT " + strconv.Itoa(*o.limit)
	}
	return sql, nil
}

func load(ctx context.Context, q Querier, sql string, s *settings) (*Result, error) {
	args := s.args
	if q == nil {
		return nil, errors.New("frame: expected a database (a *replica.Pool, *pgxpool.Pool, *pgx.Conn or pgx.Tx), found nil")
	}
	database, err := identify(ctx, q)
	if err != nil {
		return nil, err
	}
	r, err := cached(database, sql, args, s, func(prog *progress) (*fetched, error) {
		run, release, plan, err := preview(ctx, q, sql, args, s)
		if err != nil {
			return nil, err
		}
		prog.plan = plan
		sent, sm := sql, sampled{}
		if s.sampled {
			if sm, err = sampleQuery(ctx, run, sql, args, s, plan, false); err != nil {
				release()
				return nil, err
			}
		}
		if sm.sql != "" {
			sent = sm.sql
		}
		restore := steady(ctx, run, plan, s.limit)
		cols, rows, truncated, err := fetch(ctx, run, sent, args, s, prog)
		if err == nil && truncated && s.sampled && sm.sql == "" && sm.of == 0 {
			// More rows than the planner expected: count them and sample after all.
			if sm, err = sampleQuery(ctx, run, sql, args, s, plan, true); err == nil && sm.sql != "" {
				sent = sm.sql
				cols, rows, truncated, err = fetch(ctx, run, sent, args, s, prog)
			}
		}
		restore()
		if err != nil {
			release()
			return nil, err
		}
		names(ctx, run, cols)
		release()
		f := &fetched{cols: cols, rows: rows, truncated: truncated, plan: plan, sent: sent, sampled: sm}
		if lq, ok := q.(interface {
			Lag(context.Context) (replica.Lag, error)
		}); ok {
			if lag, err := lq.Lag(ctx); err == nil && lag.Known {
				f.lagKnown, f.lag = true, lag.Delay
			}
		}
		return f, nil
	}, func(r *Result) { remember(r, q, args) })
	return r, err
}

// fetched is what a fetch brought: the columns and what to say about them.
type fetched struct {
	cols      []*column
	rows      int
	truncated bool
	plan      *cost.Plan // the planner's estimate, when one was made
	at        time.Time  // when the data was read from the database; zero: when the fetch started
	lagKnown  bool
	lag       time.Duration
	warnings  []string
	sent      string  // the SQL run, when not the query itself (a sample of it); "" otherwise
	sampled   sampled // the sample taken, if any (cut.go)
}

// cached answers from the cache for (database, sql, args) when it can, else runs fetch, caches what it
// brought and builds the Result; then note records its lineage and the Result is shown.
func cached(database, sql string, args []any, s *settings, fetch func(prog *progress) (*fetched, error), note func(*Result)) (*Result, error) {
	var path string
	var warnings []string
	if s.useCache {
		key, err := cacheKey(database, sampledKey(sql, s), args, s.limit)
		if err != nil {
			return nil, err
		}
		path = cachePath(s.cacheDir, key)
		if !s.refresh {
			r, skip := fromCache(path, database, s)
			if r != nil {
				note(r)
				show(r, s, nil)
				return r, nil
			}
			if skip != "" {
				warnings = append(warnings, skip)
			}
		}
	}
	start := now()
	prog := newProgress(s, time.Now())
	f, err := fetch(prog)
	if err != nil {
		return nil, err
	}
	cols, rows := f.cols, f.rows
	if !f.at.IsZero() {
		start = f.at
	}
	r := &Result{Rows: rows, Truncated: f.truncated, Source: FromDatabase, Database: database, SQL: sql, FetchedAt: start,
		LagKnown: f.lagKnown, Lag: f.lag, maxRows: s.maxRows}
	if f.plan != nil {
		r.EstimatedRows, r.EstimatedCost = f.plan.Rows, f.plan.Cost
	}
	if s.limit != math.MaxInt {
		r.Limit = s.limit
	}
	r.partial(sql, f.sampled, f.plan)
	if f.sent != "" {
		r.SQL = f.sent
	}
	if s.sampleLabel != "" {
		r.Sample = s.sampleLabel
	}
	if err := finalNames(cols); err != nil {
		return nil, err
	}
	// Write the cache while the DataFrame is built: both only read cols.
	var wg sync.WaitGroup
	var cacheErr error
	if s.useCache {
		r.CacheFile, r.TTL = path, s.ttl
		meta := cacheMeta{Database: database, SQL: r.SQL, FetchedAt: start, LagKnown: r.LagKnown, Lag: r.Lag,
			Rows: rows, Truncated: f.truncated, Limit: r.Limit, Of: r.Of, OfExact: r.OfExact, Ordered: r.Ordered, Sample: r.Sample}
		if !f.at.IsZero() {
			meta.CachedAt = now()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			meta.Elapsed = time.Since(prog.start)
			cacheErr = writeCache(path, meta, cols)
		}()
	}
	r.DataFrame, err = toDataFrame(cols, rows)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	r.Elapsed = time.Since(prog.start)
	if cacheErr != nil {
		warnings = append(warnings, fmt.Sprintf("%v; the result is not cached", cacheErr))
		r.CacheFile, r.TTL = "", 0
	}
	r.setColumns(cols)
	r.Warnings = append(append(warnings, f.warnings...), r.columnWarnings()...)
	note(r)
	show(r, s, prog)
	return r, nil
}

// cachedAt is when the result was cached: the TTL counts from there.
func (m cacheMeta) cachedAt() time.Time {
	if !m.CachedAt.IsZero() {
		return m.CachedAt
	}
	return m.FetchedAt
}

// now is the clock; tests move it.
var now = time.Now

// fromCache returns the cached result at path, or nil and a note saying why
// it cannot be used ("" when there simply is none).
func fromCache(path, database string, s *settings) (*Result, string) {
	start := time.Now()
	var skip string
	meta, df, nulls, err := readCache(path, func(meta cacheMeta) error {
		if meta.Database != database {
			skip = fmt.Sprintf("cache file %s belongs to %s, not %s: fetching again", path, meta.Database, database)
		} else if age := now().Sub(meta.cachedAt()); age > s.ttl || age < -time.Minute {
			skip = fmt.Sprintf("cached result expired (fetched %s, TTL %s): fetching again", ago(now(), meta.FetchedAt), shortDuration(s.ttl))
		}
		if skip != "" {
			return errors.New(skip)
		}
		return nil
	})
	switch {
	case skip != "":
		return nil, skip
	case errors.Is(err, fs.ErrNotExist):
		return nil, ""
	case errors.Is(err, errCorrupt):
		return nil, fmt.Sprintf("cache file %s is damaged (%v): fetching again", path, strings.TrimPrefix(err.Error(), errCorrupt.Error()+": "))
	case err != nil:
		return nil, fmt.Sprintf("cannot read cache file %s (%v): fetching again", path, err)
	}
	r := &Result{DataFrame: df, Rows: meta.Rows, Truncated: meta.Truncated, Limit: meta.Limit, Source: FromCache,
		Database: meta.Database, SQL: meta.SQL, FetchedAt: meta.FetchedAt, Elapsed: time.Since(start),
		LagKnown: meta.LagKnown, Lag: meta.Lag, TTL: s.ttl, CacheFile: path, nulls: nulls, maxRows: s.maxRows,
		Of: meta.Of, OfExact: meta.OfExact, Ordered: meta.Ordered, Sample: meta.Sample}
	r.Columns = make([]Column, len(meta.Columns))
	for i, c := range meta.Columns {
		r.Columns[i] = c.Column
	}
	r.Warnings = r.columnWarnings()
	return r, ""
}

// fetch runs the query and reads at most s.limit rows into columns.
func fetch(ctx context.Context, q Querier, sql string, args []any, s *settings, prog *progress) (cols []*column, n int, truncated bool, err error) {
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Binary for the types decoded here, text (PostgreSQL's own output) for the rest.
	qargs := append([]any{pgx.QueryResultFormatsByOID(binaryOIDs)}, args...)
	rows, err := q.Query(qctx, sql, qargs...)
	if err != nil {
		return nil, 0, false, fmt.Errorf("frame: %w", err)
	}
	defer rows.Close()
	tm := pgtype.NewMap()
	setup := func() {
		fds := rows.FieldDescriptions()
		cols = make([]*column, len(fds))
		for i, fd := range fds {
			cols[i] = newColumn(fd, tm)
		}
	}
	setup()
	for rows.Next() {
		if n == s.limit {
			truncated = true
			break
		}
		raw := rows.RawValues()
		if len(raw) != len(cols) {
			setup() // the simple protocol describes the columns with the first row
			if len(raw) != len(cols) {
				return nil, 0, false, fmt.Errorf("frame: expected %d values per row, found %d", len(cols), len(raw))
			}
		}
		for i, c := range cols {
			if err := c.add(raw[i]); err != nil {
				return nil, 0, false, err
			}
		}
		n++
		if n == 1 || n&1023 == 0 {
			prog.tick(n)
		}
	}
	if truncated {
		cancel() // stop the query on the server rather than read the rest
	}
	rows.Close()
	if err := ctx.Err(); err != nil {
		return nil, 0, false, fmt.Errorf("frame: %w", err)
	}
	if err := rows.Err(); err != nil && !truncated {
		return nil, 0, false, fmt.Errorf("frame: %w", err)
	}
	if cols == nil || (n == 0 && len(cols) == 0) {
		setup()
	}
	return cols, n, truncated, nil
}

// names asks the catalog for the names of types the type map does not know
// (enums, domains' arrays, extension types). Failing that, they stay "type
// oid N".
func names(ctx context.Context, q Querier, cols []*column) {
	var oids []int64
	for _, c := range cols {
		if c.Type == "" {
			oids = append(oids, int64(c.OID))
		}
	}
	if len(oids) == 0 {
		return
	}
	rows, err := q.Query(ctx, "SELECT oid::int8, format_type(oid, NULL), typcategory = 'A' FROM pg_catalog.pg_type WHERE oid::int8 = ANY($1)", oids)
	if err != nil {
		return
	}
	defer rows.Close()
	type info struct {
		name  string
		array bool
	}
	found := map[uint32]info{}
	for rows.Next() {
		var oid int64
		var i info
		if rows.Scan(&oid, &i.name, &i.array) == nil {
			found[uint32(oid)] = i
		}
	}
	for _, c := range cols {
		if i, ok := found[c.OID]; ok && c.Type == "" {
			c.Type = i.name
			if i.array {
				c.Kind = Array
			}
		}
	}
}

// finalNames renames duplicate and blank column names as gota does.
func finalNames(cols []*column) error {
	if len(cols) == 0 {
		return errNoColumns
	}
	protos := make([]string, len(cols))
	for i, c := range cols {
		protos[i] = c.Name
	}
	fixed := gotaNames(protos)
	for i, c := range cols {
		c.Name = fixed[i]
		if c.Type == "" {
			c.Type = c.typeLabel()
		}
	}
	return nil
}

func (r *Result) setColumns(cols []*column) {
	r.Columns = make([]Column, len(cols))
	for i, c := range cols {
		r.Columns[i] = c.Column
		if c.hasNull {
			if r.nulls == nil {
				r.nulls = map[string][]bool{}
			}
			r.nulls[c.Name] = c.null.flat()
		}
	}
}

func (r *Result) columnWarnings() []string {
	var w []string
	if r.Truncated || r.Sample != "" {
		w = append(w, r.cutWarning())
	}
	for _, c := range r.Columns {
		if c.Inexact > 0 {
			w = append(w, fmt.Sprintf("column %q: %s numeric values do not fit a float64 exactly, e.g. %s; "+
				"cast to text in SQL to keep every digit", c.Name, numfmt.Int(c.Inexact), c.Example))
		}
	}
	return w
}

// IsNull reports whether the value at row of column col was SQL NULL (as
// opposed to a float 'NaN', which gota also treats as missing).
func (r *Result) IsNull(col string, row int) bool {
	m := r.nulls[col]
	return row >= 0 && row < len(m) && m[row]
}

// Column returns the description of the column named name.
func (r *Result) Column(name string) (Column, bool) {
	for _, c := range r.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// Kinds maps each column name to its Kind, e.g. for [Style.Kinds].
func (r *Result) Kinds() map[string]Kind {
	m := make(map[string]Kind, len(r.Columns))
	for _, c := range r.Columns {
		m[c.Name] = c.Kind
	}
	return m
}

// String says where the rows came from, e.g.
//
//	1,000 rows × 4 columns from cache, fetched 12 min ago from analyst@db:5432/shop at replica lag 0.3 s
func (r *Result) String() string {
	if r == nil {
		return "<nil frame.Result>"
	}
	shape := numfmt.Count(r.Rows, "row", "rows") + " × " + numfmt.Count(len(r.Columns), "column", "columns")
	if of := r.lineage().NoteOf(); of != "" {
		shape += " (" + of + ")"
	}
	lag := "replica lag unknown"
	if r.LagKnown {
		lag = fmt.Sprintf("replica lag %.1f s", r.Lag.Seconds())
	}
	if r.Source == FromCache {
		s := fmt.Sprintf("%s from cache, fetched %s (%s) from %s at %s; read in %.2f s", shape, ago(now(), r.FetchedAt),
			r.FetchedAt.UTC().Format("2006-01-02 15:04 UTC"), r.Database, lag, r.Elapsed.Seconds())
		if r.TTL > 0 {
			s += fmt.Sprintf("; refetched after %s (frame.Refresh() to force)", shortDuration(r.TTL))
		}
		return s
	}
	s := fmt.Sprintf("%s from %s in %.2f s (%s rows/s) at %s", shape, r.Database, r.Elapsed.Seconds(),
		numfmt.Int(int(rate(r.Rows, r.Elapsed))), lag)
	if r.EstimatedCost > 0 {
		s += fmt.Sprintf("; planner estimate ~%s rows at cost %s", numfmt.Approx(r.EstimatedRows), numfmt.Approx(r.EstimatedCost))
	}
	if r.CacheFile != "" {
		s += fmt.Sprintf("; cached for %s", shortDuration(r.TTL))
	} else {
		s += "; not cached"
	}
	return s
}

func show(r *Result, s *settings, prog *progress) {
	if prog == nil {
		prog = newProgress(s, time.Now())
	}
	// The line carries the data's provenance (when it was fetched, at what lag) for exported reports.
	attrs := provenance.Attrs(provenance.Load, provenance.Read{Source: r.Database, At: r.FetchedAt, Lag: r.Lag, LagKnown: r.LagKnown})
	// And the session's load ledger so far, for the report's appendix (the last one counts).
	prog.finish(messageHTML(r.String(), attrs, r.Warnings)+ledger.ForEnv().Totals().NoteHTML(), messageText(r.String(), r.Warnings))
}

// identify names the database q talks to, as user@host:port/database,
// without a round trip when q says it itself.
func identify(ctx context.Context, q Querier) (string, error) {
	var cc *pgx.ConnConfig
	switch v := q.(type) {
	case interface{ Target() string }:
		return v.Target(), nil
	case *pgxpool.Pool:
		cc = v.Config().ConnConfig
	case *pgx.Conn:
		cc = v.Config()
	case interface{ Conn() *pgx.Conn }:
		if c := v.Conn(); c != nil {
			cc = c.Config()
		}
	}
	if cc != nil {
		host := cc.Host
		if !strings.HasPrefix(host, "/") {
			host = net.JoinHostPort(host, strconv.Itoa(int(cc.Port)))
		} else {
			host += ":" + strconv.Itoa(int(cc.Port))
		}
		return fmt.Sprintf("%s@%s/%s", cc.User, host, cc.Database), nil
	}
	// Another Querier: ask the server (one small statement).
	rows, err := q.Query(ctx, "SELECT current_user::text, coalesce(host(inet_server_addr()), 'local'), coalesce(inet_server_port(), 0), current_database()::text")
	if err != nil {
		return "", fmt.Errorf("frame: identifying the database for the cache key: %w", err)
	}
	defer rows.Close()
	var user, host, db string
	var port int
	if !rows.Next() {
		return "", fmt.Errorf("frame: identifying the database for the cache key: expected one row, found none: %w", rows.Err())
	}
	if err := rows.Scan(&user, &host, &port, &db); err != nil {
		return "", fmt.Errorf("frame: identifying the database for the cache key: %w", err)
	}
	return fmt.Sprintf("%s@%s/%s", user, net.JoinHostPort(host, strconv.Itoa(port)), db), nil
}
