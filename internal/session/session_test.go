package session

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// poolReplica adapts a replica.Pool the way the kernel does.
type poolReplica struct{ p *replica.Pool }

func (r poolReplica) Pgx() *pgxpool.Pool {
	pg, err := r.p.Pgx(context.Background())
	if err != nil {
		panic(err) // the test's pool is connected already
	}
	return pg
}
func (r poolReplica) Target() string { return r.p.Info().Target() }
func (r poolReplica) ResetSQL() []string {
	return []string{"SET client_connection_check_interval = 1000"}
}

// newSession starts a session on the shared cluster's replica, with a private folder.
func newSession(t *testing.T) (*Session, *pgtest.Cluster) {
	t.Helper()
	c := pgtest.Shared(t)
	dir, err := os.MkdirTemp("", "session-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var lg *log.Logger
	if testing.Verbose() {
		lg = log.New(os.Stderr, "session: ", 0)
	}
	// One pool for the session's life, as the kernel keeps it; closed after the session.
	var once sync.Once
	var pool *replica.Pool
	s, err := New(dir, func(ctx context.Context) (Replica, error) {
		once.Do(func() { pool = c.Open(t) })
		return poolReplica{pool}, nil
	}, lg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close) // runs before the pool's own cleanup (registered later, by c.Open)
	return s, c
}

func connect(t *testing.T, s *Session) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.Address())
	if err != nil {
		t.Fatalf("connect through the session: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// superReplica runs a query as the superuser on the replica (an independent observer).
func superReplica(t *testing.T, c *pgtest.Cluster, sql string, args ...any) pgx.Row {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	conn, err := pgx.Connect(ctx, c.ReplicaSuperuserURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn.QueryRow(ctx, sql, args...)
}

func TestStartupReplaysTheBackendsParametersAndTheTarget(t *testing.T) {
	s, c := newSession(t)
	conn := connect(t, s)
	pg := conn.PgConn()
	if v := pg.ParameterStatus("server_version"); v == "" {
		t.Error("server_version not reported")
	}
	if v := pg.ParameterStatus("in_hot_standby"); v != "on" {
		t.Errorf("in_hot_standby = %q, want on (the session reaches a replica)", v)
	}
	if v := pg.ParameterStatus("default_transaction_read_only"); v != "on" {
		t.Errorf("default_transaction_read_only = %q, want on", v)
	}
	want := fmt.Sprintf("%s@127.0.0.1:%d/%s", c.User, c.ReplicaPort, c.Database)
	if v := pg.ParameterStatus(TargetParameter); v != want {
		t.Errorf("%s = %q, want %q", TargetParameter, v, want)
	}
	var n int
	var recovery bool
	if err := conn.QueryRow(context.Background(), "SELECT count(*), pg_is_in_recovery() FROM companies").Scan(&n, &recovery); err != nil {
		t.Fatal(err)
	}
	if n == 0 || !recovery {
		t.Errorf("count = %d, in recovery = %v: want rows from the replica", n, recovery)
	}
	if _, err := conn.Exec(context.Background(), "CREATE TEMP TABLE t(x int); INSERT INTO companies(name) VALUES ('x')"); err == nil {
		t.Error("a write through the session succeeded")
	}
	if strings.Contains(s.Address(), c.Password) {
		t.Error("the session address holds the password")
	}
	for _, name := range reported {
		if v := pg.ParameterStatus(name); c.Password != "" && strings.Contains(v, c.Password) {
			t.Errorf("parameter %s holds the password", name)
		}
	}
}

// A client's session state never reaches the next client on the same backend.
func TestBackendIsResetBetweenClients(t *testing.T) {
	s, _ := newSession(t)
	ctx := context.Background()
	a := connect(t, s)
	var pidA int
	if err := a.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pidA); err != nil {
		t.Fatal(err)
	}
	var original string
	if err := a.QueryRow(ctx, "SHOW statement_timeout").Scan(&original); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"SET statement_timeout = '1234ms'", "SET search_path = pg_catalog", "PREPARE leftover AS SELECT 1", "BEGIN", "SELECT 1"} {
		if _, err := a.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	a.Close(ctx) // leaves in a transaction
	waitReleased(t, s)

	b := connect(t, s)
	var pidB int
	var timeout, interval string
	if err := b.QueryRow(ctx, "SELECT pg_backend_pid(), current_setting('statement_timeout'), current_setting('client_connection_check_interval')").Scan(&pidB, &timeout, &interval); err != nil {
		t.Fatal(err)
	}
	if pidB != pidA {
		t.Errorf("second client got backend %d, first had %d: the backend should be reused", pidB, pidA)
	}
	if timeout != original {
		t.Errorf("statement_timeout = %s after the previous client set 1234ms, want %s", timeout, original)
	}
	if interval != "1s" {
		t.Errorf("client_connection_check_interval = %s, want 1s restored after DISCARD ALL", interval)
	}
	if _, err := b.Exec(ctx, "EXECUTE leftover"); err == nil {
		t.Error("the previous client's prepared statement survived")
	}
	if b.PgConn().TxStatus() != 'I' {
		t.Error("second client starts inside a transaction")
	}
}

// The kernel's SQL cells and the cell programs share the pool's backends, both with pgx's statement
// cache: the same query from both sides, in turn, must never clash on a prepared statement's name.
func TestKernelAndClientsShareABackendWithoutStatementClashes(t *testing.T) {
	s, _ := newSession(t)
	ctx := context.Background()
	r, err := s.pool(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kernel := r.Pgx()
	const q = "SELECT pg_backend_pid(), count(*) FROM pg_class WHERE relkind = $1"
	for round := 1; round <= 3; round++ {
		var kpid, cpid, n int
		if err := kernel.QueryRow(ctx, q, "r").Scan(&kpid, &n); err != nil {
			t.Fatalf("round %d, the kernel's query: %v", round, err)
		}
		c := connect(t, s)
		if err := c.QueryRow(ctx, q, "r").Scan(&cpid, &n); err != nil {
			t.Fatalf("round %d, the same query from a client of the session: %v", round, err)
		}
		if cpid != kpid {
			t.Fatalf("round %d: the client got backend %d, the kernel used %d: the test needs them to share one", round, cpid, kpid)
		}
		c.Close(ctx)
		waitReleased(t, s)
	}
}

// waitReleased waits until every backend is back in the pool.
func waitReleased(t *testing.T, s *Session) {
	t.Helper()
	r, err := s.pool(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.Pgx().Stat().AcquiredConns() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("a backend is still taken 10 s after its client left")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A client that goes away with a query running leaves nothing running on the replica.
func TestClientDyingMidQueryCancelsIt(t *testing.T) {
	s, c := newSession(t)
	ctx := context.Background()
	pc, err := pgconn.Connect(ctx, s.Address())
	if err != nil {
		t.Fatal(err)
	}
	// Send a long query without waiting, then vanish.
	tag := fmt.Sprintf("dying-%d", time.Now().UnixNano())
	pc.Frontend().Send(&pgproto3.Query{String: "SELECT pg_sleep(60) /* " + tag + " */"})
	if err := pc.Frontend().Flush(); err != nil {
		t.Fatal(err)
	}
	waitActive(t, c, tag, true)
	start := time.Now()
	pc.Conn().Close()
	waitActive(t, c, tag, false)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the query ran %.1fs after its client died", d.Seconds())
	}
	// The backend came back clean and is reused.
	conn := connect(t, s)
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("next client: %v", err)
	}
}

// waitActive waits until a query holding tag is (or is no longer) active on the replica.
func waitActive(t *testing.T, c *pgtest.Cluster, tag string, active bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		if err := superReplica(t, c, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%'||$1||'%' AND pid <> pg_backend_pid()", tag).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if (n > 0) == active {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("query %s active=%v: not seen within 10 s", tag, active)
}

// Cancelling a query's context sends a cancel request to the proxy, which cancels it on the server.
func TestCancelRequestReachesTheServer(t *testing.T) {
	s, c := newSession(t)
	cfg, err := pgx.ParseConfig(s.Address())
	if err != nil {
		t.Fatal(err)
	}
	// As helpers/replica configures it: a cancelled context sends a cancel request (pgx's default
	// closes the connection instead, which TestClientDyingMidQueryCancelsIt covers).
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: 5 * time.Second}
	}
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tag := fmt.Sprintf("cancel-%d", time.Now().UnixNano())
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		waitActive(t, c, tag, true)
		cancel()
	}()
	start := time.Now()
	_, err = conn.Exec(ctx, "SELECT pg_sleep(60) /* "+tag+" */")
	var pgErr *pgconn.PgError
	if err == nil {
		t.Fatal("pg_sleep(60) was not cancelled")
	}
	if errors.As(err, &pgErr) && pgErr.Code != "57014" {
		t.Errorf("error %s, want 57014 query_canceled", pgErr.Code)
	}
	waitActive(t, c, tag, false)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancel took %.1fs", d.Seconds())
	}
	// The connection is still usable after the cancel.
	var one int
	if err := conn.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil {
		t.Fatalf("after cancel: %v", err)
	}
}

func TestCancelAllStopsQueriesInFlight(t *testing.T) {
	s, c := newSession(t)
	conn := connect(t, s)
	tag := fmt.Sprintf("interrupt-%d", time.Now().UnixNano())
	errc := make(chan error, 1)
	go func() {
		_, err := conn.Exec(context.Background(), "SELECT pg_sleep(60) /* "+tag+" */")
		errc <- err
	}()
	waitActive(t, c, tag, true)
	start := time.Now()
	if n := s.CancelAll(); n != 1 {
		t.Errorf("CancelAll cancelled %d queries, want 1", n)
	}
	select {
	case err := <-errc:
		if err == nil {
			t.Error("the query was not cancelled")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the query still runs 5 s after CancelAll")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("cancel took %.2fs, want under 1 s", d.Seconds())
	}
}

// Two clients at once get the pool's two backends; a third waits for one of them.
func TestConcurrentClientsShareThePoolsTwoBackends(t *testing.T) {
	s, _ := newSession(t)
	ctx := context.Background()
	a, b := connect(t, s), connect(t, s)
	var pa, pb int
	if err := a.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pa); err != nil {
		t.Fatal(err)
	}
	if err := b.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pb); err != nil {
		t.Fatal(err)
	}
	if pa == pb {
		t.Fatal("two concurrent clients share a backend")
	}
	third := make(chan int, 1)
	go func() {
		conn, err := pgx.Connect(ctx, s.Address())
		if err != nil {
			third <- -1
			return
		}
		defer conn.Close(ctx)
		var p int
		_ = conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&p)
		third <- p
	}()
	select {
	case p := <-third:
		t.Fatalf("a third client got backend %d while both were taken", p)
	case <-time.After(500 * time.Millisecond):
	}
	a.Close(ctx)
	select {
	case p := <-third:
		if p != pa {
			t.Errorf("third client got backend %d, want the one released (%d)", p, pa)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("third client still waiting after a backend was released")
	}
}

// However many clients come and go, the replica sees the pool's backends only.
func TestManyClientsOpenNoMoreBackends(t *testing.T) {
	s, c := newSession(t)
	ctx := context.Background()
	// One observer connection for both readings (pg_stat_database counts a session when it starts).
	observer, err := pgx.Connect(ctx, c.ReplicaSuperuserURL())
	if err != nil {
		t.Fatal(err)
	}
	defer observer.Close(ctx)
	sessions := func() int64 {
		var n int64
		if err := observer.QueryRow(ctx, "SELECT sessions FROM pg_stat_database WHERE datname = current_database()").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := sessions()
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := pgx.Connect(ctx, s.Address())
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, "SELECT count(*) FROM orders"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := sessions() - before; got > 2 {
		t.Errorf("10 clients opened %d sessions on the replica, want at most the pool's 2", got)
	}
	if s.Served.Load() != 10 {
		t.Errorf("served %d clients, want 10", s.Served.Load())
	}
}

func TestOpenFailureIsAClearErrorWithoutSecrets(t *testing.T) {
	dir, err := os.MkdirTemp("", "session-test-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	const secret = "pa55-Word-never-shown"
	calls := 0
	s, err := New(dir, func(ctx context.Context) (Replica, error) {
		calls++
		return nil, errors.New(`replica: authentication failed for analyst@db:5432/shop (check RDS_PASSWORD)`)
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		_, err = pgx.Connect(ctx, s.Address()+" password="+secret)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "08001" {
			t.Fatalf("connect: %v, want an 08001 error", err)
		}
		if !strings.Contains(pgErr.Message, "authentication failed") || !strings.Contains(pgErr.Message, "RDS_PASSWORD") {
			t.Errorf("message %q does not carry the opener's explanation", pgErr.Message)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows the client's password: %v", err)
		}
	}
	if calls != 1 {
		t.Errorf("opener called %d times for two quick clients, want 1 (the failure is remembered briefly)", calls)
	}
}

func TestSessionRefusesAFolderOthersCanEnter(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := New(dir, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "0700") {
		t.Fatalf("New on a 0755 folder: %v, want a refusal naming 0700", err)
	}
}

func TestSocketIsPrivate(t *testing.T) {
	s, _ := newSession(t)
	fi, err := os.Stat(filepath.Join(s.dir, ".s.PGSQL.5432"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %o, want 600", fi.Mode().Perm())
	}
}

// Close ends connected clients; with the pool closed after it (as the kernel does), no backend stays on
// the replica.
func TestCloseLeavesNoBackend(t *testing.T) {
	s, c := newSession(t)
	conn := connect(t, s)
	var pid int
	if err := conn.QueryRow(context.Background(), "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	go conn.Exec(context.Background(), "SELECT pg_sleep(60)")
	time.Sleep(200 * time.Millisecond)
	r, err := s.pool(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	r.(poolReplica).p.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n int
		if err := superReplica(t, c, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("backend %d still on the replica 5 s after Close", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := pgx.Connect(context.Background(), s.Address()); err == nil {
		t.Error("a client connected after Close")
	}
}

// A client's application_name and time settings reach the backend (and leave with the client); its
// read-only mode and timeouts stay the session's.
func TestStartupParametersAClientMaySet(t *testing.T) {
	s, c := newSession(t)
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(s.Address() + " application_name=cell-42 timezone=Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["default_transaction_read_only"] = "off"
	cfg.RuntimeParams["statement_timeout"] = "0"
	a, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if v := a.PgConn().ParameterStatus("TimeZone"); v != "Asia/Tokyo" {
		t.Errorf("TimeZone reported %q, want Asia/Tokyo", v)
	}
	var pid int
	var app, ro, tz string
	if err := a.QueryRow(ctx, "SELECT pg_backend_pid(), current_setting('application_name'), current_setting('default_transaction_read_only'), current_setting('TimeZone')").Scan(&pid, &app, &ro, &tz); err != nil {
		t.Fatal(err)
	}
	if app != "cell-42" || tz != "Asia/Tokyo" || ro != "on" {
		t.Errorf("application_name %q, TimeZone %q, read-only %q: want cell-42, Asia/Tokyo, on", app, tz, ro)
	}
	var seen string
	if err := superReplica(t, c, "SELECT application_name FROM pg_stat_activity WHERE pid = $1", pid).Scan(&seen); err != nil || seen != "cell-42" {
		t.Errorf("pg_stat_activity shows %q (%v), want cell-42", seen, err)
	}
	a.Close(ctx)
	waitReleased(t, s)
	b := connect(t, s)
	if err := b.QueryRow(ctx, "SELECT current_setting('application_name'), current_setting('TimeZone')").Scan(&app, &tz); err != nil {
		t.Fatal(err)
	}
	if app == "cell-42" || tz == "Asia/Tokyo" {
		t.Errorf("the next client inherited application_name %q and TimeZone %q", app, tz)
	}
	if _, err := pgx.Connect(ctx, s.Address()+" timezone=Nowhere/Land"); err == nil || !strings.Contains(err.Error(), `invalid value for parameter "TimeZone"`) {
		t.Errorf("an invalid time zone: %v, want PostgreSQL's refusal", err)
	}
}
