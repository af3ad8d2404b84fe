package frame

import (
	"context"
	"fmt"
	"sync"

	"github.com/replicalab/replicalab/internal/cost"
)

// AnyCost runs the query even when the planner estimates it above
// REPLICALAB_MAX_COST or REPLICALAB_MAX_ROWS: for this one query, after you
// have read the estimate. (In a SQL cell of the kernel: %%sql --any-cost.)
//
//	events := frame.SQL(`SELECT * FROM events`, frame.AnyCost())
func AnyCost() Option { return func(o *options) { o.anyCost = true } }

// overrideHint is how a refusal tells the analyst to run the query anyway.
const overrideHint = "frame.AnyCost() (in a SQL cell: %%sql --any-cost)"

// preview asks the planner what sql would cost before it runs, on the
// connection that will run it: q pinned to one connection, returned as run
// (call release before using q again). A query estimated above the limits
// is refused with a *cost.TooCostly, unless AnyCost. Statements EXPLAIN
// does not take (SHOW, ...) run without a preview; plan is then nil.
func preview(ctx context.Context, q Querier, sql string, args []any, s *settings) (run Querier, release func(), plan *cost.Plan, err error) {
	pinned, rel, err := cost.Pin(ctx, q)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("frame: %w", err)
	}
	var once sync.Once
	release = func() { once.Do(rel) }
	run = pinned
	if !cost.Explainable(sql) {
		return run, release, nil, nil
	}
	plan, err = cost.Explain(ctx, run, sql, args)
	if err == nil && !s.anyCost {
		err = plan.Check(s.limits, overrideHint)
	}
	if err != nil {
		release()
		return nil, nil, nil, fmt.Errorf("frame: %w", err)
	}
	return run, release, plan, nil
}
