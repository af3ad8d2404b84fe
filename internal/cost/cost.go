// Package cost is the helpers' cost preview: before a query that is not
// answered from the cache runs on the replica, the planner is asked what it
// would cost (EXPLAIN, never ANALYZE: nothing is executed), on the
// connection that will run it, in one round trip. A query estimated above
// the limits (REPLICALAB_MAX_COST, REPLICALAB_MAX_ROWS) is not run; the
// refusal gives the estimate, the plan's most expensive step in plain words
// ("sequential scan of events, ~5M rows", "nested loop over 5M × 5M rows")
// and how to run it anyway for this one query.
//
// helpers/frame (and so the kernel's SQL cells), helpers/chart's SQL charts
// and helpers/explore's exact counts and profiles use it; each names its own
// override option in the refusal (frame.AnyCost(), chart.AnyCost(), ...).
package cost

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/numfmt"
	"github.com/replicalab/replicalab/internal/sqltext"
)

// The settings and their defaults.
//
// PostgreSQL's cost unit is one sequential page read (8 kB); a row costs
// 0.01 more to handle. DefaultMaxCost, ten million units, is a full read of
// a table of about 40 GB; measured on the demo replica (a full scan and sum
// of the 5M-row events table: cost 220k, 10.7 s on one core), it is minutes
// of work, beyond the default statement_timeout (5 min): a query above it
// would most likely load the replica for minutes and then be cancelled,
// while everything a notebook normally asks costs far less, and the joins
// that go wrong cost far more (events × quotes at scale large: 1.5e11).
//
// DefaultMaxRows is ten times the default row limit of a load (1,000,000):
// a result estimated that large is almost always a join that multiplies rows
// or a missing WHERE, and the load would keep only its first million rows.
const (
	KeyMaxCost     = "REPLICALAB_MAX_COST"
	KeyMaxRows     = "REPLICALAB_MAX_ROWS"
	DefaultMaxCost = 10_000_000
	DefaultMaxRows = 10_000_000
)

// Limits are the estimates above which a query is not run; 0 means no limit.
type Limits struct {
	MaxCost float64 // planner cost units of the whole query
	MaxRows float64 // rows the query is estimated to return
}

// Load reads the limits from cfg: REPLICALAB_MAX_COST and
// REPLICALAB_MAX_ROWS, each a positive number (1e7, 10000000, 10_000_000 or
// 10,000,000) or off (also none, 0) for no limit. A value that is neither is
// an error naming the variable.
func Load(cfg *config.Config) (Limits, error) {
	l := Limits{MaxCost: DefaultMaxCost, MaxRows: DefaultMaxRows}
	var err error
	if l.MaxCost, err = limit(cfg, KeyMaxCost, DefaultMaxCost, "planner cost units"); err != nil {
		return l, err
	}
	if l.MaxRows, err = limit(cfg, KeyMaxRows, DefaultMaxRows, "rows"); err != nil {
		return l, err
	}
	return l, nil
}

func limit(cfg *config.Config, key string, def float64, unit string) (float64, error) {
	if cfg == nil {
		return def, nil
	}
	v, _, ok := cfg.Lookup(key)
	if !ok {
		return def, nil
	}
	s := strings.ToLower(strings.TrimSpace(v))
	switch s {
	case "off", "none", "0", "no", "false":
		return 0, nil
	}
	f, err := strconv.ParseFloat(strings.NewReplacer("_", "", ",", "").Replace(s), 64)
	if err != nil || !(f > 0) || math.IsInf(f, 0) {
		return 0, cfg.Invalid(key, "a positive number of "+unit+" (such as 1e7 or 10000000), or off for no limit")
	}
	return f, nil
}

// String writes the limits, e.g. "cost 10M, rows 10M".
func (l Limits) String() string {
	w := func(f float64) string {
		if f <= 0 {
			return "off"
		}
		return numfmt.Approx(f)
	}
	return "cost " + w(l.MaxCost) + ", rows " + w(l.MaxRows)
}

// Querier runs a query: *replica.Pool, *replica.Conn, *pgxpool.Pool,
// *pgxpool.Conn, *pgx.Conn and pgx.Tx all are one.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Pin returns a querier bound to one connection of q, so that the preview
// and the query it clears run on the same connection (a pool would take
// whichever is free, and might open a second). release gives it back; call
// it before using q again (the notebook session has a single connection).
// A querier that already is one connection is returned as it is.
func Pin(ctx context.Context, q Querier) (pinned Querier, release func(), err error) {
	switch v := q.(type) {
	case *replica.Pool:
		c, err := v.Acquire(ctx)
		if err != nil {
			return nil, nil, err
		}
		return c, c.Release, nil
	case *pgxpool.Pool:
		c, err := v.Acquire(ctx)
		if err != nil {
			return nil, nil, err
		}
		return c, c.Release, nil
	}
	return q, func() {}, nil
}

// Explainable reports whether sql is a statement EXPLAIN accepts (SELECT,
// WITH, VALUES, TABLE, EXECUTE, DECLARE and the data-changing ones). Others
// (SHOW, SET, CALL, DO, COPY, several statements ...) have no plan to
// preview: they run without one.
func Explainable(sql string) bool {
	if len(sqltext.Split(sql)) != 1 {
		return false
	}
	w := sqltext.LeadingWords(sql, 1)
	if len(w) == 0 {
		return false
	}
	switch w[0] {
	case "select", "with", "values", "table", "execute", "declare", "insert", "update", "delete", "merge":
		return true
	}
	return false
}

// Explain asks the planner for sql's plan with its arguments, without
// running it: EXPLAIN (FORMAT JSON) in the extended protocol, parameters
// sent as values ($1 stays $1), so the server plans it as it will run it,
// with these values (a custom plan), in one round trip.
//
// An argument pgx can only send once it knows the parameter's type (a
// value that has no text form) costs one more round trip: the statement is
// described first.
func Explain(ctx context.Context, q Querier, sql string, args []any) (*Plan, error) {
	plan, err := explain(ctx, q, sql, pgx.QueryExecModeExec, args)
	var pgErr *pgconn.PgError
	if err != nil && len(args) > 0 && !errors.As(err, &pgErr) && ctx.Err() == nil && strings.Contains(err.Error(), "encode") {
		plan, err = explain(ctx, q, sql, pgx.QueryExecModeDescribeExec, args)
	}
	return plan, err
}

func explain(ctx context.Context, q Querier, sql string, mode pgx.QueryExecMode, args []any) (*Plan, error) {
	rows, err := q.Query(ctx, explainPrefix+sql, append([]any{mode}, args...)...)
	if err != nil {
		return nil, unprefixed(err)
	}
	var text string
	n := 0
	for rows.Next() {
		if err := rows.Scan(&text); err != nil {
			rows.Close()
			return nil, err
		}
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, unprefixed(err)
	}
	if n != 1 {
		return nil, fmt.Errorf("cost preview: expected one plan from EXPLAIN, found %d rows", n)
	}
	return Parse([]byte(text))
}

const explainPrefix = "EXPLAIN (FORMAT JSON) "

// unprefixed makes the position of a server error (a syntax error found while planning) count from the
// start of the query as written, not of the EXPLAIN around it: a caret shown under it must point at the
// query's text.
func unprefixed(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Position > 0 {
		pgErr.Position -= int32(len(explainPrefix))
		if pgErr.Position < 1 {
			pgErr.Position = 0
		}
	}
	return err
}

// ErrTooCostly is wrapped by the error of a query the preview refused.
var ErrTooCostly = errors.New("query not run: its estimated cost is above the limit")

// TooCostly is the refusal of a query whose estimate is above the limits.
type TooCostly struct {
	Plan     *Plan
	Limits   Limits
	Override string // how to run it anyway, e.g. "frame.AnyCost()"
}

// Check returns a *TooCostly when the plan's estimate is above l, naming
// override as the way to run it anyway.
func (p *Plan) Check(l Limits, override string) error {
	if (l.MaxCost > 0 && p.Cost > l.MaxCost) || (l.MaxRows > 0 && p.Rows > l.MaxRows) {
		return &TooCostly{Plan: p, Limits: l, Override: override}
	}
	return nil
}

func (e *TooCostly) Error() string {
	p, l := e.Plan, e.Limits
	var over []string
	if l.MaxCost > 0 && p.Cost > l.MaxCost {
		over = append(over, fmt.Sprintf("cost %s is above %s=%s", numfmt.Approx(p.Cost), KeyMaxCost, numfmt.Approx(l.MaxCost)))
	}
	if l.MaxRows > 0 && p.Rows > l.MaxRows {
		over = append(over, fmt.Sprintf("~%s rows is above %s=%s", numfmt.Approx(p.Rows), KeyMaxRows, numfmt.Approx(l.MaxRows)))
	}
	msg := fmt.Sprintf("query not run on the replica: the planner estimates ~%s rows at cost %s (%s). Most of the work: %s. "+
		"Narrow it (a WHERE, a join condition, an aggregate, a LIMIT, or a sample)",
		numfmt.Approx(p.Rows), numfmt.Approx(p.Cost), strings.Join(over, "; "), p.Top.Describe())
	if e.Override != "" {
		msg += ", or run it anyway, for this query only, with " + e.Override
	}
	return msg
}

// Is makes errors.Is(err, ErrTooCostly) true.
func (e *TooCostly) Is(target error) bool { return target == ErrTooCostly }
