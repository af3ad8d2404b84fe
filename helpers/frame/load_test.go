package frame_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/replicalab/replicalab/helpers/frame"
)

// TestRowLimitTruncatesAndSays: more rows than the limit keeps the first
// ones, says so, and stops the query on the server instead of reading on.
func TestRowLimitTruncatesAndSays(t *testing.T) {
	e := newEnv(t)
	admin := superuser(t, e.c.ReplicaSuperuserURL())
	const marker = "frame-limit-test"
	sql := "SELECT g AS n, md5(g::text) AS h /* " + marker + " */ FROM generate_series(1, 5000000) g"
	r := e.load(sql, frame.Limit(1000))
	if r.Rows != 1000 || r.DataFrame.Nrow() != 1000 || !r.Truncated || r.Limit != 1000 {
		t.Fatalf("expected the first 1,000 rows, truncated at limit 1000; found %d rows, truncated %v, limit %d", r.Rows, r.Truncated, r.Limit)
	}
	if first, _ := r.DataFrame.Elem(0, 0).Int(); first != 1 {
		t.Errorf("expected the first row to be n=1, found %d", first)
	}
	for _, want := range []string{"1,000 rows × 2 columns (of ≈5,000,000 rows, cut by the row limit)",
		"warning: kept the first 1,000 rows of ≈5,000,000, in no particular order: not a sample (cut by the row limit). " +
			"For a random sample of 1,000 rows instead, add frame.Sampled()"} {
		if !strings.Contains(e.out.String(), want) {
			t.Errorf("expected %q in the output, found %q", want, e.out.String())
		}
	}
	// pg_stat_statements counts only statements that completed: the
	// 5,000,000-row query was cancelled, not read to the end.
	if calls := statementCalls(t, admin, marker); calls != 0 {
		t.Errorf("expected the truncated query to be cancelled on the server, found %d completed executions", calls)
	}
	e.load("SELECT g /* "+marker+"-control */ FROM generate_series(1, 10) g", frame.Limit(1000))
	if calls := statementCalls(t, admin, marker+"-control"); calls != 1 {
		t.Fatalf("control: a complete query should count once in pg_stat_statements, found %d", calls)
	}
	// The pool is still usable.
	if r := e.load("SELECT 1 AS one", frame.NoCache()); r.Rows != 1 {
		t.Fatalf("after a truncated load: expected 1 row, found %d", r.Rows)
	}

	// Exactly the limit is not truncated; REPLICALAB_ROW_LIMIT sets the default.
	limited := newEnv(t, "REPLICALAB_ROW_LIMIT=50")
	if r := limited.load("SELECT g FROM generate_series(1, 50) g"); r.Truncated || r.Rows != 50 {
		t.Errorf("50 rows with limit 50: expected all, not truncated; found %d, truncated %v", r.Rows, r.Truncated)
	}
	if r := limited.load("SELECT g FROM generate_series(1, 51) g"); !r.Truncated || r.Rows != 50 {
		t.Errorf("51 rows with REPLICALAB_ROW_LIMIT=50: expected 50, truncated; found %d, truncated %v", r.Rows, r.Truncated)
	}
	if r := limited.load("SELECT g FROM generate_series(1, 51) g", frame.Limit(0)); r.Truncated || r.Rows != 51 || r.Limit != 0 {
		t.Errorf("Limit(0): expected no limit, found %d rows, truncated %v, limit %d", r.Rows, r.Truncated, r.Limit)
	}
}

// TestQueriers: a *pgxpool.Pool, a *pgx.Conn and a pgx.Tx work as well, and
// each names its database for the cache key without a round trip.
func TestQueriers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, e.c.ReplicaURL())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	conn, err := pgx.Connect(ctx, e.c.ReplicaURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := e.db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	target := fmt.Sprintf("%s@127.0.0.1:%d/%s", e.c.User, e.c.ReplicaPort, e.c.Database)
	for name, q := range map[string]frame.Querier{"pgxpool": pool, "pgx.Conn": conn, "pgx.Tx": tx, "replica.Pool": e.db} {
		r, err := frame.Load(ctx, q, ordersQuery, e.opts(7)...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Database != target {
			t.Errorf("%s: expected database %s, found %s", name, target, r.Database)
		}
		if r.Rows == 0 || r.DataFrame.Ncol() != 8 {
			t.Errorf("%s: expected orders, found %d × %d", name, r.Rows, r.DataFrame.Ncol())
		}
	}
	r, err := frame.Load(ctx, conn, "SELECT 1 AS a, 'x' AS b", e.opts(frame.NoCache())...)
	if err != nil || r.DataFrame.Nrow() != 1 || r.DataFrame.Names()[1] != "b" {
		t.Fatalf("Load on a pgx.Conn: expected a 1-row frame, found %v (%v)", r, err)
	}
}

// TestErrorsAndSecrets: errors say what failed, wrap the cause, and never
// show the password; neither do the provenance line or the Result.
func TestErrorsAndSecrets(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, err := frame.Load(ctx, e.db, "SELECT no_such_column FROM orders", e.opts()...)
	if err == nil || !strings.HasPrefix(err.Error(), "frame: ") || !strings.Contains(err.Error(), "no_such_column") {
		t.Fatalf("expected the server's error, prefixed frame:, found %v", err)
	}
	_, err = frame.Load(ctx, e.db, "SELECT FROM orders LIMIT 1", e.opts(frame.NoCache())...)
	if err == nil || !strings.Contains(err.Error(), "no columns") {
		t.Fatalf("a query without columns: expected an error saying so, found %v", err)
	}
	if _, err := frame.Load(ctx, nil, "SELECT 1", e.opts()...); err == nil || !strings.Contains(err.Error(), "found nil") {
		t.Fatalf("nil Querier: expected an error, found %v", err)
	}
	if _, err := frame.Sample(ctx, e.db, "orders", 1.5, frame.Quiet()); err == nil || !strings.Contains(err.Error(), "at most 1, found 1.5") {
		t.Fatalf("Sample(1.5): expected an error about the fraction, found %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := frame.Load(cancelled, e.db, "SELECT 1", e.opts(frame.NoCache())...); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: expected context.Canceled, found %v", err)
	}
	bad := loadConfig(t, e.c.Env(), "REPLICALAB_ROW_LIMIT=many")
	if _, err := frame.Load(ctx, e.db, "SELECT 1", frame.WithConfig(bad)); err == nil || !strings.Contains(err.Error(), "REPLICALAB_ROW_LIMIT") {
		t.Fatalf("bad REPLICALAB_ROW_LIMIT: expected an error naming it, found %v", err)
	}

	r := e.load(ordersQuery, 3)
	for what, text := range map[string]string{"output": e.out.String(), "String": r.String(), "fmt %+v": fmt.Sprintf("%+v", *r),
		"HTML": r.HTML(), "error": fmt.Sprint(err)} {
		if strings.Contains(text, e.c.Password) {
			t.Errorf("%s shows the password", what)
		}
	}
}

// TestSample: TABLESAMPLE with REPEATABLE gives the server's own sample,
// the same each time.
func TestSample(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, method := range []string{"SYSTEM", "BERNOULLI"} {
		opts := []frame.Option{frame.WithConfig(e.cfg), frame.CacheDir(e.cacheDir), frame.Quiet(), frame.Seed(7)}
		if method == "BERNOULLI" {
			opts = append(opts, frame.Bernoulli())
		}
		res, err := frame.Sample(ctx, e.db, "public.events", 0.05, opts...)
		if err != nil {
			t.Fatal(err)
		}
		df := res.DataFrame
		var want, total int
		if err := e.db.QueryRow(ctx, "SELECT count(*) FROM events TABLESAMPLE "+method+" (5) REPEATABLE (7)").Scan(&want); err != nil {
			t.Fatal(err)
		}
		if err := e.db.QueryRow(ctx, "SELECT count(*) FROM events").Scan(&total); err != nil {
			t.Fatal(err)
		}
		if df.Nrow() != want || want == 0 || want >= total/5 {
			t.Errorf("%s 5%%: expected the server's %d of %d rows, found %d", method, want, total, df.Nrow())
		}
		again, err := frame.Sample(ctx, e.db, "events", 0.05, append(opts, frame.NoCache())...)
		if err != nil {
			t.Fatal(err)
		}
		sameFrame(t, df, again.DataFrame)
	}
	if _, err := frame.Sample(ctx, e.db, `orders"; DROP TABLE orders; --`, 0.1, frame.Quiet(), frame.NoCache()); err == nil ||
		!strings.Contains(err.Error(), `relation "orders"; DROP TABLE orders; --" does not exist`) {
		t.Errorf("a table name is quoted as an identifier: expected relation does not exist, found %v", err)
	}
}

// TestProgressInNotebook: with a progress threshold of zero the notebook
// shows a progress bar that then turns into the provenance line, in the
// same display block; quick loads just display the line.
func TestProgressInNotebook(t *testing.T) {
	e := newEnv(t)
	screen := &frame.Screen{}
	defer frame.UseScreen(screen)()
	e.load("SELECT g FROM generate_series(1, 5000) g", frame.ProgressAfter(0), frame.NoCache())
	if len(screen.Updates) < 2 || len(screen.Displays) != 0 {
		t.Fatalf("expected progress updates then the summary in one block, found %d updates, %d displays", len(screen.Updates), len(screen.Displays))
	}
	first, last := screen.Updates[0], screen.Updates[len(screen.Updates)-1]
	if !strings.Contains(first.HTML, "<progress") || !strings.Contains(first.HTML, "rows/s") {
		t.Errorf("expected a progress bar with rows/s, found %q", first.HTML)
	}
	for _, u := range screen.Updates {
		if u.ID != first.ID {
			t.Fatalf("expected every update in one block %q, found %q", first.ID, u.ID)
		}
	}
	if strings.Contains(last.HTML, "<progress") || !strings.Contains(last.HTML, "5,000 rows × 1 column from ") {
		t.Errorf("expected the bar to settle into the provenance line, found %q", last.HTML)
	}
	if e.out.Len() != 0 {
		t.Errorf("in a notebook nothing goes to the text output, found %q", e.out.String())
	}

	screen.Updates, screen.Displays = nil, nil
	e.load("SELECT 1 AS one", frame.NoCache())
	if len(screen.Updates) != 0 || len(screen.Displays) != 1 || !strings.Contains(screen.Displays[0], "1 row × 1 column") {
		t.Errorf("a quick load: expected one displayed line and no progress, found %d updates and %q", len(screen.Updates), screen.Displays)
	}
	screen.Updates, screen.Displays = nil, nil
	e.load("SELECT 1 AS one", frame.NoCache(), frame.Quiet())
	if len(screen.Updates)+len(screen.Displays) != 0 {
		t.Errorf("Quiet: expected nothing shown, found %v %v", screen.Updates, screen.Displays)
	}
}

// TestEmptyResult: no rows is a frame with its columns and types, cached too.
func TestEmptyResult(t *testing.T) {
	e := newEnv(t)
	const sql = "SELECT 1::int8 AS a, 'x'::text AS b, now() AS c WHERE false"
	for _, want := range []frame.Source{frame.FromDatabase, frame.FromCache} {
		r := e.load(sql)
		if r.Source != want || r.Rows != 0 || r.DataFrame.Nrow() != 0 || r.DataFrame.Ncol() != 3 || r.DataFrame.Err != nil {
			t.Fatalf("expected an empty 0 × 3 frame from %s, found %d × %d from %s (%v)", want, r.DataFrame.Nrow(), r.DataFrame.Ncol(), r.Source, r.DataFrame.Err)
		}
		if got := fmt.Sprint(r.DataFrame.Types()); got != "[int string float]" {
			t.Errorf("expected the column types [int string float], found %s", got)
		}
		if !strings.Contains(r.HTML(), "0 rows × 3 columns") || r.Summary().Columns[0].Count != 0 {
			t.Errorf("an empty frame should show and describe as empty")
		}
	}
}
