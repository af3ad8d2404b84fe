package replica_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/pgtest"
)

// TestAcquireKeepsOneBackend: statements on a Conn run on one server
// session, read-only, with the pool's errors; released, it goes back to the
// pool (of one) for the next caller.
func TestAcquireKeepsOneBackend(t *testing.T) {
	c := pgtest.Shared(t)
	ctx := context.Background()
	p, err := replica.Open(ctx, replica.WithConfig(loadConfig(t, c.Env())), replica.Quiet(), replica.NoInterruptHandler(), replica.MaxConns(1))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	conn, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pid1, pid2 int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid1); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, "SELECT pg_backend_pid()")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		if err := rows.Scan(&pid2); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	if pid1 == 0 || pid1 != pid2 {
		t.Errorf("two statements on one Conn ran on backends %d and %d, want the same", pid1, pid2)
	}
	_, err = conn.Exec(ctx, "CREATE TABLE acquire_test (id int)")
	var qe *replica.QueryError
	if !errors.As(err, &qe) || qe.Kind != replica.ReadOnly {
		t.Errorf("a write on a Conn: want a read-only QueryError, got %v", err)
	}
	if conn.Target() != p.Target() || !strings.Contains(conn.Target(), c.Database) {
		t.Errorf("Conn.Target() = %q, want the pool's %q", conn.Target(), p.Target())
	}
	conn.Release()
	conn.Release() // twice is harmless
	var pid3 int
	if err := p.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid3); err != nil || pid3 != pid1 {
		t.Errorf("after Release, the pool of one should reuse backend %d, got %d (%v)", pid1, pid3, err)
	}
}
