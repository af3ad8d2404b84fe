package frame_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/cost"
)

// explainCalls counts the EXPLAINs the replica planned for statements
// holding marker (pg_stat_statements counts EXPLAIN as a statement of its
// own; the query it explains is not executed).
func explainCalls(t testing.TB, admin *pgx.Conn, marker string) int64 {
	t.Helper()
	var n int64
	err := admin.QueryRow(context.Background(), `SELECT coalesce(sum(calls), 0)::int8 FROM pg_stat_statements
		WHERE strpos(query, $1) > 0 AND query ILIKE 'EXPLAIN%'`, marker).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) tryLoad(sql string, more ...any) (*frame.Result, error) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return frame.Load(ctx, e.db, sql, e.opts(more...)...)
}

// TestPreviewRefusesCartesianJoin: a cartesian product of the largest demo
// table with itself is refused before it runs — the replica plans it and
// executes nothing — with the estimate, the most expensive step in plain
// words and the way to run it anyway, which then works for that query only.
func TestPreviewRefusesCartesianJoin(t *testing.T) {
	e := newEnv(t)
	admin := superuser(t, e.c.ReplicaSuperuserURL())
	const marker = "preview-cartesian"
	sql := "SELECT a.id AS a, b.kind AS b /* " + marker + " */ FROM events a, events b"
	plans, runs := explainCalls(t, admin, marker), statementCalls(t, admin, marker)
	_, err := e.tryLoad(sql)
	if !errors.Is(err, cost.ErrTooCostly) {
		t.Fatalf("want the cartesian join refused by the cost preview, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"query not run", "REPLICALAB_MAX_COST=10M", "REPLICALAB_MAX_ROWS=10M",
		"nested loop over 50k × 50k rows (every pair: no join condition)", "~2.5 billion rows", "frame.AnyCost()", "%%sql --any-cost"} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal %q: want it to say %q", msg, want)
		}
	}
	if n := explainCalls(t, admin, marker) - plans; n != 1 {
		t.Errorf("want the query planned once (one EXPLAIN), pg_stat_statements counted %d", n)
	}
	if n := statementCalls(t, admin, marker) - runs; n != 0 {
		t.Errorf("a refused query must not run; pg_stat_statements counted %d executions", n)
	}
	if e.out.Len() != 0 {
		t.Errorf("a refused load shows nothing of its own (the caller shows the error), got %q", e.out.String())
	}

	// Anyway, for this query only: it runs (cut at the row limit here).
	r, err := e.tryLoad(sql, frame.AnyCost(), frame.Limit(5), frame.NoCache())
	if err != nil {
		t.Fatalf("AnyCost: want the query run, got %v", err)
	}
	if r.Rows != 5 || !r.Truncated || r.EstimatedRows != 2.5e9 || r.EstimatedCost < 1e7 {
		t.Errorf("AnyCost: want 5 rows (truncated) with the estimate kept, got %d rows, truncated %v, estimate %v rows cost %v",
			r.Rows, r.Truncated, r.EstimatedRows, r.EstimatedCost)
	}
	if _, err := e.tryLoad(sql, frame.NoCache()); !errors.Is(err, cost.ErrTooCostly) {
		t.Errorf("the override is for one query only: the next load without it must be refused, got %v", err)
	}
}

// TestPreviewLimitsFromSettings: REPLICALAB_MAX_COST and REPLICALAB_MAX_ROWS
// set the limits; the refusal names the expensive step (a sequential scan of
// the table, with its size) and the limit passed.
func TestPreviewLimitsFromSettings(t *testing.T) {
	cheap := newEnv(t, "REPLICALAB_MAX_COST=10")
	_, err := cheap.tryLoad("SELECT * FROM events WHERE payload IS NOT NULL")
	if !errors.Is(err, cost.ErrTooCostly) {
		t.Fatalf("REPLICALAB_MAX_COST=10: want a full scan of events refused, got %v", err)
	}
	for _, want := range []string{"sequential scan of events", "REPLICALAB_MAX_COST=10", "frame.AnyCost()"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q: want it to say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "REPLICALAB_MAX_ROWS") {
		t.Errorf("only the cost is above its limit; the refusal %q names the row limit too", err)
	}

	few := newEnv(t, "REPLICALAB_MAX_ROWS=100")
	_, err = few.tryLoad("SELECT id, kind FROM events")
	if !errors.Is(err, cost.ErrTooCostly) || !strings.Contains(err.Error(), "~50k rows is above REPLICALAB_MAX_ROWS=100") {
		t.Fatalf("REPLICALAB_MAX_ROWS=100: want 50k estimated rows refused, got %v", err)
	}
	if r, err := few.tryLoad("SELECT id, kind FROM events WHERE id <= 20"); err != nil || r.Rows != 20 {
		t.Fatalf("REPLICALAB_MAX_ROWS=100: want 20 rows by the primary key let through, got %v, %v", r, err)
	}

	off := newEnv(t, "REPLICALAB_MAX_COST=off", "REPLICALAB_MAX_ROWS=off")
	r, err := off.tryLoad("SELECT a.id AS a, b.id AS b FROM events a, events b", frame.Limit(3), frame.NoCache())
	if err != nil || r.Rows != 3 {
		t.Fatalf("limits off: want the query run, got %v, %v", r, err)
	}
	if r.EstimatedRows != 2.5e9 {
		t.Errorf("limits off: the preview still gives the estimate; got %v rows", r.EstimatedRows)
	}
}

// TestPreviewBadThreshold: a value that is not a number names the variable,
// the value and what is expected, and nothing is sent to the replica.
func TestPreviewBadThreshold(t *testing.T) {
	for _, setting := range []string{"REPLICALAB_MAX_COST=lots", "REPLICALAB_MAX_ROWS=-1", "REPLICALAB_MAX_ROWS=1e999"} {
		e := newEnv(t, setting)
		key, value, _ := strings.Cut(setting, "=")
		_, err := e.tryLoad("SELECT 1 AS one")
		if err == nil {
			t.Errorf("%s: want an error, got none", setting)
			continue
		}
		if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), `"`+value+`"`) ||
			!strings.Contains(err.Error(), "expected a positive number") {
			t.Errorf("%s: want an error naming %s, its value and what is expected, got %q", setting, key, err)
		}
		if e.db.Info().Host != "" {
			t.Errorf("%s: the settings are checked before connecting, yet the pool connected", setting)
		}
	}
}

// TestPreviewSkippedForCache: a load answered by the cache asks the
// replica nothing, not even for a plan, and a stricter limit set since does
// not refuse the rows already read.
func TestPreviewSkippedForCache(t *testing.T) {
	e := newEnv(t)
	admin := superuser(t, e.c.ReplicaSuperuserURL())
	const marker = "preview-cache"
	sql := "SELECT id, upper(kind) AS kind /* " + marker + " */ FROM events WHERE id <= 500"
	plans, runs := explainCalls(t, admin, marker), statementCalls(t, admin, marker)
	first := e.load(sql)
	if first.Source != frame.FromDatabase || first.EstimatedCost <= 0 || first.EstimatedRows < 100 || first.EstimatedRows > 5000 {
		t.Fatalf("first load: want a fetch with the planner's estimate (~500 rows), got source %s, estimate %v rows cost %v",
			first.Source, first.EstimatedRows, first.EstimatedCost)
	}
	if !strings.Contains(first.String(), "planner estimate ~") {
		t.Errorf("the provenance line %q should give the planner's estimate", first.String())
	}
	if x, n := explainCalls(t, admin, marker)-plans, statementCalls(t, admin, marker)-runs; x != 1 || n != 1 {
		t.Fatalf("first load: want one EXPLAIN and one execution on the replica, pg_stat_statements counted %d and %d", x, n)
	}
	strict := *e
	strict.cfg = loadConfig(t, e.c.Env(), "REPLICALAB_MAX_COST=0.001")
	second := strict.load(sql)
	if second.Source != frame.FromCache {
		t.Fatalf("second load: want the cache, got %s", second.Source)
	}
	if n := explainCalls(t, admin, marker) - plans; n != 1 {
		t.Errorf("a cached load must skip the preview; the replica planned %d EXPLAINs", n)
	}
	if second.EstimatedCost != 0 {
		t.Errorf("a cached result has no fresh estimate; got cost %v", second.EstimatedCost)
	}
}

// TestPreviewParameters: the query's $1, $2 are planned with their values
// (custom plan), in the same round trip as the EXPLAIN.
func TestPreviewParameters(t *testing.T) {
	e := newEnv(t)
	narrow, err := e.tryLoad("SELECT id FROM events WHERE id <= $1 AND kind <> $2", int64(10), "none", frame.NoCache())
	if err != nil {
		t.Fatal(err)
	}
	wide, err := e.tryLoad("SELECT id FROM events WHERE id <= $1 AND kind <> $2", int64(40000), "none", frame.NoCache())
	if err != nil {
		t.Fatal(err)
	}
	if narrow.Rows != 10 || wide.Rows != 40000 {
		t.Fatalf("want 10 and 40,000 rows, got %d and %d", narrow.Rows, wide.Rows)
	}
	if !(narrow.EstimatedRows < 100 && wide.EstimatedRows > 10000) {
		t.Errorf("the estimate should follow the values of $1: got ~%v rows for 10 and ~%v for 40,000", narrow.EstimatedRows, wide.EstimatedRows)
	}
	// Types the server infers from the query: a time, an array, a NULL.
	since := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	r, err := e.tryLoad("SELECT count(*) AS n FROM events WHERE occurred_at >= $1 AND id = ANY($2) AND ($3::text IS NULL)",
		since, []int64{1, 2, 3}, nil, frame.NoCache())
	if err != nil || r.EstimatedCost <= 0 {
		t.Fatalf("time, array and NULL arguments: want a preview and a result, got %v, %v", r, err)
	}
}

// TestPreviewWithoutPlan: statements EXPLAIN does not take run without a
// preview (and say nothing about an estimate).
func TestPreviewWithoutPlan(t *testing.T) {
	e := newEnv(t, "REPLICALAB_MAX_COST=0.001")
	r, err := e.tryLoad("SHOW server_version", frame.NoCache())
	if err != nil || r.Rows != 1 || r.EstimatedCost != 0 || strings.Contains(r.String(), "estimate") {
		t.Fatalf("SHOW: want it run without a preview, got %v, %v", r, err)
	}
}

// TestPreviewOnTheQuerysConnection: the preview opens no connection of its
// own (pg_stat_database.sessions on the replica), also in a transaction.
func TestPreviewOnTheQuerysConnection(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	db, err := replica.Open(ctx, replica.WithConfig(e.cfg), replica.Quiet(), replica.NoInterruptHandler(), replica.MaxConns(4))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before := e.c.Sessions(t)
	for i := 0; i < 3; i++ {
		if _, err := frame.Load(ctx, db, "SELECT id FROM events WHERE id <= $1", append(e.opts(frame.NoCache()), frame.Args(100*(i+1)))...); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.c.Sessions(t) - before; n != 1 {
		t.Errorf("three previewed loads on a pool of 4: want one session on the replica, found %d", n)
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if r, err := frame.Load(ctx, tx, "SELECT id FROM events WHERE id <= 7", e.opts(frame.NoCache())...); err != nil || r.Rows != 7 || r.EstimatedCost <= 0 {
		t.Fatalf("in a transaction: want 7 rows with an estimate, got %v, %v", r, err)
	}
}
