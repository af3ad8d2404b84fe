package replica_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/pgtest"
)

// backends counts the replica's connections with application name app (pg_stat_activity: the
// pool keeps its connections open, so this is every connection it made and still holds).
func backends(t testing.TB, admin *pgx.Conn, app string) int {
	t.Helper()
	var n int
	if err := admin.QueryRow(context.Background(),
		"SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOpenIsLazyAndOneQueryCostsOneConnection counts on the replica: Open connects nothing; a
// query with its lag measurement, and many more after it, use one connection.
func TestOpenIsLazyAndOneQueryCostsOneConnection(t *testing.T) {
	c := pgtest.Shared(t)
	admin := superuser(t, c.ReplicaSuperuserURL())
	const app = "lazy-open-test"
	before := c.Sessions(t)
	out := capture(t)
	ctx := context.Background()
	p, err := replica.Open(ctx, replica.WithConfig(loadConfig(t, c.Env(), "REPLICALAB_APP_NAME="+app)), replica.NoInterruptHandler())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if n := backends(t, admin, app); n != 0 {
		t.Fatalf("after Open: %d connections on the replica, want none", n)
	}
	if got := c.Sessions(t); got != before {
		t.Fatalf("after Open: pg_stat_database.sessions went from %d to %d, want no new session", before, got)
	}
	if out.Len() != 0 || !strings.Contains(p.String(), "not connected yet") {
		t.Errorf("before the first query: displayed %q, String %q; want nothing shown and a pool not connected yet", out, p)
	}
	if want := fmt.Sprintf("%s@127.0.0.1:%d/%s", c.User, c.ReplicaPort, c.Database); p.Target() != want {
		t.Errorf("Target() = %q before connecting, want %q", p.Target(), want)
	}

	// The first query connects, verifies and shows the banner, once.
	for i := 0; i < 5; i++ {
		var n int64
		if err := p.QueryRow(ctx, "SELECT count(*) FROM companies").Scan(&n); err != nil || n == 0 {
			t.Fatalf("query %d: %d, %v", i, n, err)
		}
		if _, err := p.Lag(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := backends(t, admin, app); n != 1 {
		t.Errorf("5 queries each followed by a lag measurement opened %d connections on the replica, want 1", n)
	}
	if got := c.Sessions(t); got != before+1 {
		t.Errorf("pg_stat_database.sessions went from %d to %d, want exactly one new session", before, got)
	}
	if strings.Count(out.String(), "read replica, lag") != 1 {
		t.Errorf("the banner should show once, at the first query; displayed %q", out)
	}
}

// TestDefaultShowStopsTheCellWithTheReason: the notebook-style connection shows the same clear
// error as Open would, then ends the program with status 1.
func TestDefaultShowStopsTheCellWithTheReason(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now
	const pw = "exit-" + "Test-Passw0rd"
	settings := []string{"RDS_HOSTNAME=127.0.0.1", "RDS_PORT=" + strconv.Itoa(port), "RDS_DB_NAME=app",
		"RDS_USERNAME=analyst", "RDS_PASSWORD=" + pw, "DATABASE_URL="}
	code, out := stopped(t, func() { replica.Default().Show() }, settings...)
	if code != 1 {
		t.Fatalf("exit status %d, want 1", code)
	}
	want := openErr(context.Background(), replica.NoInterruptHandler())
	if !strings.Contains(out, "RDS_PORT") || !strings.Contains(out, "connection refused") || strings.Contains(out, pw) ||
		strings.TrimSpace(out) != want.Error() {
		t.Errorf("printed %q, want Open's own error %q (naming RDS_PORT, no password)", out, want)
	}
}

// stopped runs f in a program environment made of the given settings (no .env) and returns
// the exit status Stop would have ended it with, and its message.
func stopped(t *testing.T, f func(), settings ...string) (code int, stderr string) {
	t.Helper()
	for _, kv := range settings {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Chdir(t.TempDir()) // no .env above
	_, code, stderr = display.CatchStop(f)
	return code, stderr
}

// TestSessionIsUsedWhenSet: with REPLICALAB_SESSION set, the pool goes through the notebook
// session: no password, no connection of its own on the replica, the target the session
// announces; a session that refuses makes the pool connect directly, saying so.
func TestSessionIsUsedWhenSet(t *testing.T) {
	c := pgtest.Shared(t)
	admin := superuser(t, c.ReplicaSuperuserURL())
	ctx := context.Background()

	t.Run("through the session", func(t *testing.T) {
		s := c.StartSession(t, false)
		const app = "session-client-test"
		t.Setenv("PGPASSWORD", c.Password) // must not be sent to the session
		out := capture(t)
		p, err := replica.Open(ctx, replica.WithConfig(loadConfig(t, c.Env(), "REPLICALAB_SESSION="+s.DSN, "REPLICALAB_APP_NAME="+app)),
			replica.NoInterruptHandler())
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		var n int64
		if err := p.QueryRow(ctx, "SELECT count(*) FROM orders").Scan(&n); err != nil || n == 0 {
			t.Fatalf("a query through the session: %d, %v", n, err)
		}
		var pid uint32
		if err := p.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil || pid != s.BackendPID() {
			t.Errorf("the query ran on backend %d (%v), want the session's %d", pid, err, s.BackendPID())
		}
		if got := backends(t, admin, app); got != 0 {
			t.Errorf("%d connections of the pool's own on the replica, want none (the session's one is used)", got)
		}
		startup, pw := s.Startup()
		if startup["user"] != "session" || startup["database"] != "session" || pw != nil {
			t.Errorf("startup %v, password %v: want user and database 'session' and no password", startup, pw)
		}
		info := p.Info()
		if !info.Session || info.Target() != s.Target || !info.InRecovery {
			t.Errorf("Info = %+v, want the session's target %s on a replica", info, s.Target)
		}
		banner := out.String()
		if !strings.Contains(banner, s.Target) || !strings.Contains(banner, "through the notebook session") || strings.Contains(banner, "warning") {
			t.Errorf("banner %q, want the session's target and no warning", banner)
		}
		if p.Target() != s.Target {
			t.Errorf("Target() = %q, want the replica's identity %q (the cache key)", p.Target(), s.Target)
		}
	})

	t.Run("a session that refuses", func(t *testing.T) {
		s := c.StartSession(t, true)
		const app = "session-fallback-test"
		fake := "not-for-the-session-" + "x1"
		t.Setenv("PGPASSWORD", fake)
		out := capture(t)
		p, err := replica.Open(ctx, replica.WithConfig(loadConfig(t, c.Env(), "REPLICALAB_SESSION="+s.DSN, "REPLICALAB_APP_NAME="+app)),
			replica.NoInterruptHandler())
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if err := p.Connect(ctx); err != nil {
			t.Fatalf("a refusing session should fall back to a direct connection, got %v", err)
		}
		if s.Clients.Load() != 1 {
			t.Errorf("the session saw %d clients, want 1", s.Clients.Load())
		}
		if _, pw := s.Startup(); pw == nil || *pw != "" {
			t.Errorf("the session received password %v, want an empty one", pw)
		}
		if got := backends(t, admin, app); got != 1 {
			t.Errorf("%d direct connections, want 1", got)
		}
		banner := out.String()
		if !strings.Contains(banner, "warning: the notebook session (REPLICALAB_SESSION) could not be reached") ||
			!strings.Contains(banner, "connected directly") || p.Info().Session {
			t.Errorf("banner %q, want a warning that the pool connected directly", banner)
		}
		assertNoSecret(t, c.Password, map[string]string{"banner": banner})
	})

	t.Run("Direct ignores the session", func(t *testing.T) {
		s := c.StartSession(t, false)
		p, err := replica.Open(ctx, replica.WithConfig(loadConfig(t, c.Env(), "REPLICALAB_SESSION="+s.DSN)), replica.Direct(),
			replica.Quiet(), replica.NoInterruptHandler())
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if err := p.Connect(ctx); err != nil || p.Info().Session || s.Clients.Load() != 0 {
			t.Errorf("Direct: err %v, Session %v, session clients %d; want a direct connection", err, p.Info().Session, s.Clients.Load())
		}
	})

	t.Run("a broken setting fails the same way with or without a session", func(t *testing.T) {
		s := c.StartSession(t, true)
		err := openErr(ctx, replica.WithConfig(loadConfig(t, c.Env(), "REPLICALAB_SESSION="+s.DSN, "RDS_PASSWORD=wrong-"+"pw")),
			replica.NoInterruptHandler())
		direct := openErr(ctx, replica.WithConfig(loadConfig(t, c.Env(), "RDS_PASSWORD=wrong-"+"pw")), replica.NoInterruptHandler())
		var ce *replica.ConnectError
		if !errors.As(err, &ce) || ce.Problem != replica.ProblemAuth || err.Error() != direct.Error() {
			t.Errorf("through a refusing session: %v\nwithout: %v\nwant the same authentication error", err, direct)
		}
	})
}
