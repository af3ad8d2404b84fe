package chart

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"gonum.org/v1/plot"

	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/internal/cost"
)

// AnyCost runs a SQL chart's queries even when the planner estimates one
// above REPLICALAB_MAX_COST or REPLICALAB_MAX_ROWS, for this chart only.
func AnyCost() Option {
	return option("AnyCost", func(o *options) error { o.anyCost = true; return nil })
}

// session is where a SQL chart runs its queries: one connection of the
// caller's (so the cost preview and the queries share it, and the notebook
// session's single connection is not asked twice), each query recorded for
// the chart's lineage. Catalog lookups run unrecorded.
type session struct {
	raw  Querier   // the pinned connection
	rec  *recorder // raw, recording
	plan *cost.Plan
}

// Query runs sql (recorded).
func (s *session) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return s.rec.Query(ctx, sql, args...)
}

// catalog runs a query on the system catalogs (not recorded).
func (s *session) catalog(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return s.raw.Query(ctx, sql, args...)
}

// catalogQuery runs a catalog query on q: through the session unrecorded,
// or on q itself.
func catalogQuery(ctx context.Context, q Querier, sql string, args ...any) (pgx.Rows, error) {
	if s, ok := q.(*session); ok {
		return s.catalog(ctx, sql, args...)
	}
	return q.Query(ctx, sql, args...)
}

// sqlChart runs a SQL chart over query: the cost limits from the settings,
// one connection of q for all its queries, the preview of what reading
// query costs (its aggregations return a few rows by construction, so only
// REPLICALAB_MAX_COST applies, to reading the data: the planner cannot tell
// how few groups a binning makes), the lineage recorded once the connection
// is back in the pool.
func sqlChart(ctx context.Context, q Querier, fn, query string, opts []Option, draw func(s *session) (*plot.Plot, error)) *Chart {
	o := displayOf(opts)
	fail := func(err error) *Chart { return newChart(nil, fmt.Errorf("chart: %s: %w", fn, err), opts) }
	limits, err := limitsFromSettings()
	if err != nil {
		return fail(err)
	}
	if q == nil {
		return fail(errors.New("expected a database (a *replica.Pool, *pgxpool.Pool, *pgx.Conn or pgx.Tx), found nil"))
	}
	pinned, release, err := cost.Pin(ctx, q)
	if err != nil {
		return fail(err)
	}
	rec := newRecorder(pinned)
	rec.origin = q
	s := &session{raw: pinned, rec: rec}
	var p *plot.Plot
	if strings.TrimSpace(query) != "" && cost.Explainable(query) {
		s.plan, err = cost.Explain(ctx, pinned, query, o.args)
		if err == nil && !o.anyCost {
			err = s.plan.Check(cost.Limits{MaxCost: limits.MaxCost}, "chart.AnyCost()")
		}
		if err != nil {
			err = fmt.Errorf("chart: %s: %w", fn, err)
		}
	}
	if err == nil {
		p, err = draw(s)
	}
	release()
	c := newChart(p, err, opts)
	c.queries = rec.lineage(ctx)
	return c
}

// limitsFromSettings reads REPLICALAB_MAX_COST and REPLICALAB_MAX_ROWS
// (environment, then .env).
func limitsFromSettings() (cost.Limits, error) {
	cfg, err := config.Load()
	if err != nil {
		return cost.Limits{}, fmt.Errorf("reading settings: %w", err)
	}
	return cost.Load(cfg)
}
