package pgtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/demodb"
)

// ErrUnavailable is wrapped by Start when the PostgreSQL binaries are absent and cannot be installed.
// Shared turns it into a skip; callers of Start may do the same:
//
//	if errors.Is(err, pgtest.ErrUnavailable) { t.Skip(err) }
var ErrUnavailable = demodb.ErrNoPostgres

// Options shape a throwaway cluster.
type Options struct {
	// Scale is "small" (default), "medium", "large" or a multiplier such as "0.2".
	Scale string
	// TLS turns on SSL on every server, with a certificate for 127.0.0.1 and localhost signed by
	// Cluster.CAFile; the login URLs then use sslmode=verify-full.
	TLS bool
}

// Cluster is a running throwaway primary with its streaming replica(s). Its fields are read-only.
type Cluster struct {
	Dir                      string // temporary folder, removed by Stop
	PrimaryPort, ReplicaPort int    // TCP ports on 127.0.0.1
	Database                 string // "marketplace"
	User, Password           string // the read-only login role and its password
	CAFile                   string // set with Options.TLS: the CA that signed the servers' certificate

	db       *demodb.Cluster
	watchdog *os.Process
	count    *counter // Sessions' connection
}

type counter struct {
	mu   sync.Mutex
	conn *pgx.Conn
}

// Start creates a throwaway primary and streaming replica in a temporary folder on free loopback
// ports (as demodb does), seeded at opts.Scale. A watchdog process stops the servers and removes the
// folder if the test binary dies without calling Stop.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	scale := demodb.ScaleSmall
	if opts.Scale != "" {
		s, err := demodb.ParseScale(opts.Scale)
		if err != nil {
			return nil, fmt.Errorf("pgtest: %w", err)
		}
		scale = s
	}
	var log io.Writer = io.Discard
	if os.Getenv("REPLICALAB_PGTEST_VERBOSE") != "" {
		log = os.Stderr
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		c, err := startOnce(ctx, scale, opts.TLS, log)
		if err == nil {
			return c, nil
		}
		lastErr = err
		if !errors.Is(err, demodb.ErrPortInUse) || ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("pgtest: %w", lastErr)
}

func startOnce(ctx context.Context, scale float64, tls bool, log io.Writer) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "replicalab-pgtest-")
	if err != nil {
		return nil, err
	}
	// The servers may run as another OS user (postgres, when we are root): let it through.
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	ports, err := demodb.FreePorts(2)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	db, err := demodb.New(demodb.Options{Dir: dir, PrimaryPort: ports[0], ReplicaPort: ports[1], Scale: scale, TLS: tls, Log: log})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c := &Cluster{
		Dir: dir, PrimaryPort: ports[0], ReplicaPort: ports[1], Database: demodb.Database, User: demodb.User, db: db,
		count: &counter{},
	}
	c.startWatchdog()
	if err := db.Start(ctx); err != nil {
		c.cleanup(context.WithoutCancel(ctx))
		return nil, err
	}
	c.Password, c.CAFile = db.Password(), db.CAFile()
	return c, nil
}

// startWatchdog launches a detached shell that waits for this process to exit and then stops the
// servers (fast shutdown, as the servers' owner would) and removes the folder. Stop kills it first.
func (c *Cluster) startWatchdog() {
	dataDir := c.db.DataDir()
	script := `parent=$1; shift; dir=$1; shift
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
for d in "$@"; do
  pid=$(head -n 1 "$d/postmaster.pid" 2>/dev/null) || continue
  kill -INT "$pid" 2>/dev/null
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -QUIT "$pid" 2>/dev/null
done
rm -rf "$dir"`
	args := []string{"-c", script, "pgtest-watchdog", strconv.Itoa(os.Getpid()), c.Dir}
	for _, name := range []string{"replica", "replica2", "replica3", "replica4", "primary"} {
		args = append(args, filepath.Join(dataDir, name))
	}
	cmd := exec.Command("/bin/sh", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err == nil {
		c.watchdog = cmd.Process
		go func() { _ = cmd.Wait() }() // reap it when Stop kills it
	}
}

func (c *Cluster) cleanup(ctx context.Context) error {
	if c.count != nil && c.count.conn != nil {
		_ = c.count.conn.Close(ctx)
	}
	if c.watchdog != nil {
		_ = c.watchdog.Kill()
		c.watchdog = nil
	}
	err := c.db.Remove(ctx)
	if rerr := os.RemoveAll(c.Dir); err == nil {
		err = rerr
	}
	return err
}

// Stop stops every server and removes the folder.
func (c *Cluster) Stop(ctx context.Context) error {
	if err := c.cleanup(ctx); err != nil {
		return fmt.Errorf("pgtest: stopping the cluster in %s: %w", c.Dir, err)
	}
	return nil
}

// ReplicaURL connects the read-only role to the replica over TCP:
// postgres://analyst:<password>@127.0.0.1:<port>/marketplace?sslmode=disable (verify-full with TLS).
func (c *Cluster) ReplicaURL() string { return c.db.ReplicaURL() }

// PrimaryLoginURL is ReplicaURL pointed at the primary (to test that tools refuse a primary).
func (c *Cluster) PrimaryLoginURL() string { return c.db.PrimaryLoginURL() }

// SuperuserURL connects as the superuser to the primary through the private unix socket; for test
// set-up and assertions only.
func (c *Cluster) SuperuserURL() string { return c.db.SuperuserURL() }

// ReplicaSuperuserURL connects as the superuser to the replica through its socket (to read
// pg_stat_statements or pg_stat_activity there).
func (c *Cluster) ReplicaSuperuserURL() string { return c.db.ReplicaSuperuserURL() }

// ReplicaPorts lists the TCP ports of every replica, the first one first.
func (c *Cluster) ReplicaPorts() []int { return c.db.ReplicaPorts() }

// SuperuserURLAt connects as the superuser, through its socket, to the server listening on port: to
// count on each replica what it saw (pg_stat_statements, pg_stat_activity).
func (c *Cluster) SuperuserURLAt(port int) string { return c.db.SuperuserURLAt(port) }

// LoginURLAt is ReplicaURL pointed at the server listening on port (another replica, or the primary).
func (c *Cluster) LoginURLAt(port int) string { return c.db.LoginURLAt(port) }

// Env returns RDS_HOSTNAME, RDS_PORT, RDS_DB_NAME, RDS_USERNAME and RDS_PASSWORD for the replica
// (plus RDS_SSLMODE and RDS_SSLROOTCERT with TLS), ready for t.Setenv.
func (c *Cluster) Env() map[string]string { return c.db.Env() }

// StopReplica stops the replica (fast shutdown); the primary keeps WAL for it in a replication slot.
func (c *Cluster) StopReplica(ctx context.Context) error { return c.db.StopReplica(ctx) }

// StartReplica starts the replica again on the same port.
func (c *Cluster) StartReplica(ctx context.Context) error { return c.db.StartReplica(ctx) }

// AddReplica clones a second (third, ...) streaming replica and returns its port.
func (c *Cluster) AddReplica(ctx context.Context) (int, error) { return c.db.AddReplica(ctx) }

// WaitReplayed waits until every running replica has replayed the primary's current WAL position.
func (c *Cluster) WaitReplayed(ctx context.Context) error { return c.db.WaitReplayed(ctx) }

// Demo returns the underlying demodb cluster (Status, Traffic, ...).
func (c *Cluster) Demo() *demodb.Cluster { return c.db }

// String describes the cluster without its password.
func (c Cluster) String() string {
	tls := ""
	if c.CAFile != "" {
		tls = ", TLS"
	}
	return fmt.Sprintf("pgtest cluster in %s (primary 127.0.0.1:%d, replica 127.0.0.1:%d, database %s, user %s, password redacted%s)",
		c.Dir, c.PrimaryPort, c.ReplicaPort, c.Database, c.User, tls)
}

// GoString keeps %#v from printing the password.
func (c Cluster) GoString() string { return c.String() }

var shared struct {
	mu      sync.Mutex
	started bool
	c       *Cluster
	err     error
}

// Shared returns the test binary's shared cluster (small scale), starting it on first use. It skips
// the test when PostgreSQL is unavailable and fails it when the cluster cannot start. Use Main in
// TestMain to stop it at the end; do not stop it or its replica from a test (use Start for that).
func Shared(tb testing.TB) *Cluster {
	tb.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.started {
		shared.started = true
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		shared.c, shared.err = Start(ctx, Options{})
		cancel()
	}
	if errors.Is(shared.err, ErrUnavailable) && os.Getenv("REPLICALAB_REQUIRE_PG") == "" {
		// make test sets REPLICALAB_REQUIRE_PG=1: there, a missing PostgreSQL fails instead of skipping.
		tb.Skipf("PostgreSQL is not available: %v", shared.err)
	}
	if shared.err != nil {
		tb.Fatalf("starting the shared test cluster: %v", shared.err)
	}
	return shared.c
}

// Main runs the tests, then stops the shared cluster if one was started:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if c := StopShared(); code == 0 {
		code = c
	}
	os.Exit(code)
}

// StopShared stops the shared cluster if one was started, for a TestMain that does more than Main; it
// returns 1 (and says why on stderr) when stopping failed, else 0.
func StopShared() int {
	shared.mu.Lock()
	c := shared.c
	shared.mu.Unlock()
	if c == nil {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Stop(ctx); err != nil {
		fmt.Fprintln(os.Stderr, strings.TrimSpace(err.Error()))
		return 1
	}
	return 0
}

// Open connects to c's replica the way a notebook does — helpers/replica with the cluster's RDS_*
// settings and no .env — quietly and without a signal handler, and closes the pool when the test ends.
func (c *Cluster) Open(tb testing.TB) *replica.Pool {
	tb.Helper()
	var env []string
	for k, v := range c.Env() {
		env = append(env, k+"="+v)
	}
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), nil, 0o600); err != nil {
		tb.Fatal(err)
	}
	cfg, err := config.LoadFrom(dir, env)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := replica.Open(ctx, replica.WithConfig(cfg), replica.Quiet(), replica.NoInterruptHandler(), replica.Direct())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	if err := p.Connect(ctx); err != nil {
		tb.Fatal(err)
	}
	return p
}

// Sessions returns pg_stat_database.sessions of the demo database on the replica: every session
// ever established there, counted by the server. Backends report their start asynchronously, so
// it waits (up to about ten seconds) until two readings a second apart agree. It reads through
// one superuser connection kept for the cluster's life, so calling it adds no session.
func (c *Cluster) Sessions(tb testing.TB) int64 {
	tb.Helper()
	c.count.mu.Lock()
	defer c.count.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if c.count.conn == nil {
		conn, err := pgx.Connect(ctx, c.ReplicaSuperuserURL())
		if err != nil {
			tb.Fatalf("pgtest: superuser connection to the replica: %v", err)
		}
		c.count.conn = conn
	}
	read := func() int64 {
		var n int64
		if _, err := c.count.conn.Exec(ctx, "SELECT pg_stat_clear_snapshot()"); err != nil {
			tb.Fatal(err)
		}
		if err := c.count.conn.QueryRow(ctx, "SELECT sessions FROM pg_stat_database WHERE datname = $1", c.Database).Scan(&n); err != nil {
			tb.Fatal(err)
		}
		return n
	}
	last := read()
	for i := 0; i < 10; i++ {
		time.Sleep(1100 * time.Millisecond)
		n := read()
		if n == last {
			break
		}
		last = n
	}
	return last
}
