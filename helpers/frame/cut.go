package frame

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/replicalab/replicalab/internal/cost"
	"github.com/replicalab/replicalab/internal/numfmt"
	"github.com/replicalab/replicalab/internal/provenance"
	"github.com/replicalab/replicalab/internal/sqltext"
)

// A load whose query returns more rows than the row limit keeps only part of them, and says which part,
// wherever the rows go (the load line, the cache, the table's and every chart's lineage, reports):
//
//   - by default, the first Limit rows the server sends: in the query's order when it has an ORDER BY,
//     else in no particular order, and not a sample. They are the same rows each time while the table and
//     the plan stay the same: the replica sessions start every scan at the table's first page
//     (synchronize_seqscans off, see helpers/replica) and, when the planner expects more rows than the
//     limit, the load runs without parallel workers (they hand rows over in whatever order they come);
//   - with [Sampled], a random sample of about Limit rows of the whole result: the query's rows are counted
//     first (one aggregate pass on the server, one row back), then each row is kept with the same
//     probability, decided by a hash of the row's text and the seed — so the same rows come back on every
//     run, whatever the plan, the scan order or a VACUUM did, while the data is unchanged.

// Sampled keeps a random sample of about Limit rows when the query returns more than the row limit,
// instead of its first Limit rows: the rows are counted on the server first, then each row is kept with
// probability (Limit − 3√Limit) / count, so the sample stays under the limit (by 3 standard deviations)
// and is the same on every run while the data is unchanged ([Seed] picks another). A query returning no
// more than the limit is loaded whole. The result says "random sample of N of M rows" everywhere it goes.
//
//	events := frame.SQL(`SELECT * FROM events`, frame.Sampled())
func Sampled() Option { return func(o *options) { o.sampled = true } }

// sampledKey keeps a sampled load apart from the plain one in the cache.
func sampledKey(sql string, s *settings) string {
	if !s.sampled {
		return sql
	}
	return sql + "\x00replicalab:sampled:" + strconv.FormatInt(s.seedOr1(), 10)
}

func (o options) seedOr1() int64 {
	if o.seed != nil {
		return *o.seed
	}
	return 1
}

// sampled is what a sampled load ran instead of the query.
type sampled struct {
	sql   string // the query wrapped in the sample's filter; "" when the query fits (no sampling)
	of    int64  // the query's rows, counted
	label string // how rows were kept, in words
}

// sampleQuery counts the query's rows on run (the connection the load uses) and, when they are more than
// the limit, returns the query that keeps a random sample of about the limit. plan is the preview's, when
// there was one: a query estimated well under the limit is not counted unless force (the load found it
// over the limit after all).
func sampleQuery(ctx context.Context, run Querier, sql string, args []any, s *settings, plan *cost.Plan, force bool) (sampled, error) {
	if s.limit == math.MaxInt || !cost.Explainable(sql) || !force && plan != nil && plan.Rows < float64(s.limit)/2 {
		return sampled{}, nil
	}
	rows, err := run.Query(ctx, "SELECT count(*) FROM (\n"+trimStatement(sql)+"\n) AS replicalab_count", args...)
	if err != nil {
		return sampled{}, fmt.Errorf("frame: counting the rows to sample: %w", err)
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return sampled{}, fmt.Errorf("frame: counting the rows to sample: %w", err)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sampled{}, fmt.Errorf("frame: counting the rows to sample: %w", err)
	}
	if n <= int64(s.limit) {
		return sampled{of: n}, nil
	}
	want := float64(s.limit) - 3*math.Sqrt(float64(s.limit))
	p := max(want, 1) / float64(n)
	// hashtextextended gives a 64-bit hash of the row's text; its lower 63 bits are uniform over
	// [0, 2^63), and a row is kept when they fall below p·2^63.
	threshold := int64(p * math.Exp2(63))
	seed := s.seedOr1()
	q := fmt.Sprintf("SELECT replicalab_sample.* FROM (\n%s\n) AS replicalab_sample\n"+
		"WHERE (hashtextextended(ROW(replicalab_sample.*)::text, %d) & 9223372036854775807) < %d",
		trimStatement(sql), seed, threshold)
	label := fmt.Sprintf("each row kept with probability %s (by a hash of the row, seed %d)", percent(p), seed)
	return sampled{sql: q, of: n, label: label}, nil
}

func percent(p float64) string {
	s := strconv.FormatFloat(p*100, 'f', 2, 64)
	if p < 0.0001 {
		s = strconv.FormatFloat(p*100, 'g', 2, 64)
	}
	return s + " %"
}

// trimStatement drops the trailing semicolon and blanks of a statement, to wrap it as a subquery (on lines
// of its own, so that a trailing -- comment cannot swallow the closing parenthesis).
func trimStatement(sql string) string {
	st := sqltext.Split(sql)
	if len(st) == 1 {
		return st[0]
	}
	return sql
}

// steady keeps a load that the planner expects to be cut at the limit from a parallel plan, whose workers
// hand rows over in whatever order they produce them: it turns parallel workers off on run for the load
// and returns what turns them back on.
func steady(ctx context.Context, run Querier, plan *cost.Plan, limit int) (restore func()) {
	if plan == nil || limit == math.MaxInt || plan.Rows <= float64(limit) || !parallelPlan(plan.Root) {
		return func() {}
	}
	set := func(sql string) bool {
		rows, err := run.Query(ctx, sql)
		if err != nil {
			return false
		}
		rows.Close()
		return rows.Err() == nil
	}
	if !set("SET max_parallel_workers_per_gather = 0") {
		return func() {}
	}
	return func() { set("RESET max_parallel_workers_per_gather") }
}

// parallelPlan reports whether a plan has parallel workers.
func parallelPlan(n *cost.Node) bool {
	if n == nil {
		return false
	}
	if n.Parallel > 1 || n.Type == "Gather" || n.Type == "Gather Merge" {
		return true
	}
	for _, c := range n.Children {
		if parallelPlan(c) {
			return true
		}
	}
	return false
}

// partial fills in which part of the query's rows r holds: the count or estimate of the whole, the order,
// the sample.
func (r *Result) partial(sql string, sm sampled, plan *cost.Plan) {
	r.Ordered = sqltext.HasTopLevel(sql, "order", "by")
	switch {
	case sm.sql != "":
		r.Sample, r.Of, r.OfExact = sm.label, sm.of, true
	case r.Truncated && sm.of > 0:
		r.Of, r.OfExact = sm.of, true
	case r.Truncated && plan != nil && plan.Rows > float64(r.Rows):
		r.Of = int64(plan.Rows)
	}
}

// cutWarning says what a partial load kept and how to get something else.
func (r *Result) cutWarning() string {
	l := provenance.Lineage{Rows: r.Rows, Truncated: r.Truncated, Limit: r.Limit, Sample: r.Sample, Of: r.Of, OfExact: r.OfExact, Ordered: r.Ordered}
	kept := l.Kept()
	switch {
	case r.Sample != "" && !r.Truncated:
		return "kept " + kept + ". frame.Limit(n) or REPLICALAB_ROW_LIMIT for a larger sample, frame.Seed(n) for another"
	case r.Sample != "":
		return "kept " + kept + ". Raise the limit with frame.Limit(n) or REPLICALAB_ROW_LIMIT"
	case r.Ordered:
		return "kept " + kept + ". Aggregate or filter in SQL, or raise the limit with frame.Limit(n) or REPLICALAB_ROW_LIMIT"
	}
	return fmt.Sprintf("kept %s. For a random sample of %s rows instead, add frame.Sampled(); better, aggregate or filter in SQL, "+
		"or raise the limit with frame.Limit(n) or REPLICALAB_ROW_LIMIT", kept, numfmt.Int(r.Limit))
}
