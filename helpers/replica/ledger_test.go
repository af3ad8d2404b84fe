package replica_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/ledger"
	"github.com/replicalab/replicalab/internal/pgtest"
)

// statStatements sums pg_stat_statements on the replica for one role.
type statStatements struct {
	calls, rows int64
	time        time.Duration // execution plus planning
}

func readStatements(t testing.TB, admin *pgx.Conn, role string) statStatements {
	t.Helper()
	var s statStatements
	var ms float64
	err := admin.QueryRow(context.Background(), `SELECT coalesce(sum(s.calls), 0)::int8, coalesce(sum(s.rows), 0)::int8,
		coalesce(sum(s.total_exec_time + s.total_plan_time), 0)::float8
		FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = $1`, role).Scan(&s.calls, &s.rows, &ms)
	if err != nil {
		t.Fatal(err)
	}
	s.time = time.Duration(ms * float64(time.Millisecond))
	return s
}

// TestLedgerMatchesPgStatStatements: the ledger's statements and rows are
// what pg_stat_statements counted on the replica for the same work — the
// connection's set-up, loads with their cost preview and lag check, a load
// stopped at the row limit, an error, a transaction, a COPY, a SET — its
// replica time is at least the server's own, and the statements that
// failed (which pg_stat_statements leaves out) are counted apart.
func TestLedgerMatchesPgStatStatements(t *testing.T) {
	c := pgtest.Shared(t)
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	t.Setenv(ledger.Env, path)
	admin := superuser(t, c.ReplicaSuperuserURL())
	mustExec(t, admin, "SET pg_stat_statements.track = 'none'")
	before := readStatements(t, admin, c.User)
	start := time.Now()

	ctx := context.Background()
	cfg := loadConfig(t, c.Env())
	p, _ := openPool(t, cfg, replica.Quiet(), replica.NoInterruptHandler())
	load := func(sql string, opts ...frame.Option) *frame.Result {
		t.Helper()
		r, err := frame.Load(ctx, p, sql, append(opts, frame.WithConfig(cfg), frame.NoCache(), frame.Quiet())...)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := load("SELECT id, kind FROM events WHERE id <= $1", frame.Args(5000)); r.Rows != 5000 {
		t.Fatalf("want 5,000 rows, got %d", r.Rows)
	}
	if r := load("SELECT id, payload FROM events", frame.Limit(100)); !r.Truncated {
		t.Fatal("want the load stopped at the row limit")
	}
	if _, err := p.Exec(ctx, "SET work_mem = '8MB'"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Query(ctx, "SELECT no_such_column FROM orders"); err == nil {
		t.Fatal("want an error")
	}
	tx, err := p.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM orders").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	pool, err := p.Pgx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Conn().PgConn().CopyTo(ctx, io.Discard, "COPY (SELECT id FROM companies) TO STDOUT"); err != nil {
		t.Fatal(err)
	}
	conn.Release()
	var big string
	if err := p.QueryRow(ctx, "SELECT repeat('x', 300000)").Scan(&big); err != nil {
		t.Fatal(err)
	}
	p.Close()
	wall := time.Since(start)
	after := readStatements(t, admin, c.User)

	l := replica.Ledger()
	calls, rows, server := after.calls-before.calls, after.rows-before.rows, after.time-before.time
	if l.Statements != calls || l.Rows != rows {
		t.Errorf("ledger: %d statements, %d rows; pg_stat_statements on the replica: %d calls, %d rows — want them equal",
			l.Statements, l.Rows, calls, rows)
	}
	if calls < 10 || rows < 5000+1+1 || n == 0 {
		t.Errorf("pg_stat_statements saw %d calls and %d rows: fewer than the scenario ran", calls, rows)
	}
	if l.Failed != 2 || l.FailedRows < 100 {
		t.Errorf("want 2 failed statements (the load cut at its limit, the error) with at least the 100 rows read, got %d and %d", l.Failed, l.FailedRows)
	}
	if l.ReplicaTime < server || l.ReplicaTime > wall {
		t.Errorf("ledger's replica time %v: want at least the server's own (%v) and at most the scenario's wall time (%v)", l.ReplicaTime, server, wall)
	}
	if l.Bytes < 300000+5000*8 {
		t.Errorf("ledger: %d bytes received, want at least the 300,000-byte value and the 5,000 ids", l.Bytes)
	}
	if l.Scope != "this notebook session" || l.Since.IsZero() || l.Note != "" {
		t.Errorf("want the session's ledger from its file, got scope %q since %v note %q", l.Scope, l.Since, l.Note)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Errorf("the ledger file %s: %v", path, err)
	}
	for _, want := range []string{"this analysis read", "statements", "s of replica time", "received", "(2 stopped early or failed)"} {
		if !strings.Contains(l.String(), want) {
			t.Errorf("sentence %q: want %q", l.String(), want)
		}
	}
	if strings.Contains(l.HTML(), c.User) || strings.Contains(l.HTML(), "127.0.0.1") {
		t.Errorf("the ledger names no login or server: %s", l.HTML())
	}
}
