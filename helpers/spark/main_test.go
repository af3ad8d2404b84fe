package spark

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/internal/pgtest"
	"github.com/replicalab/replicalab/internal/sparkserver"
	"github.com/replicalab/replicalab/internal/sparktest"
)

// The tests run on a real local Spark Connect server (one per test run) reading a real PostgreSQL
// primary with two streaming replicas (one cluster per test binary), both on loopback.

func TestMain(m *testing.M) { sparktest.Main(m, pgtest.StopShared) }

var second struct {
	once sync.Once
	port int
	err  error
}

// cluster returns the shared test cluster with a second replica added once.
func cluster(t *testing.T) (*pgtest.Cluster, []int) {
	t.Helper()
	c := pgtest.Shared(t)
	second.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		second.port, second.err = c.AddReplica(ctx)
		if second.err == nil {
			second.err = c.WaitReplayed(ctx)
		}
	})
	if second.err != nil {
		t.Fatalf("adding a second replica: %v", second.err)
	}
	return c, c.ReplicaPorts()
}

// env is the settings a notebook would have for the given servers (ports on 127.0.0.1) of cluster c.
func env(t *testing.T, c *pgtest.Cluster, ports ...int) map[string]string {
	t.Helper()
	var hosts []string
	for _, p := range ports {
		hosts = append(hosts, "127.0.0.1:"+strconv.Itoa(p))
	}
	u := url.URL{Scheme: "postgres", User: url.UserPassword(c.User, c.Password), Host: strings.Join(hosts, ","),
		Path: "/" + c.Database, RawQuery: "sslmode=disable"}
	dir := t.TempDir()
	return map[string]string{
		KeySnapshotDir:         filepath.Join(dir, "snapshots"), // the test server runs on this machine
		"DATABASE_URL":         u.String(),
		"REPLICALAB_CACHE_DIR": t.TempDir(),
		"REPLICALAB_APP_NAME":  "replicalab/spark-test-" + hashOf(t.Name()), // at most 63 bytes reach the server
		KeyDir:                 t.TempDir(),                                 // the local server is never started by these tests: they name theirs
	}
}

// open makes a session on the test Spark server with the given settings.
func open(t *testing.T, settings map[string]string, opts ...Option) (*Session, *sparkserver.Server) {
	t.Helper()
	srv := sparktest.Shared(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var kv []string
	for k, v := range settings {
		kv = append(kv, k+"="+v)
	}
	cfg, err := config.LoadFrom(dir, kv)
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]Option{WithConfig(cfg), Remote(srv.Remote() + "/;token=" + srv.Token()), Quiet()}, opts...)
	s, err := Open(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, srv
}

// super connects as the superuser to the server on port, for assertions.
func super(t *testing.T, c *pgtest.Cluster, port int) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.SuperuserURLAt(port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// tuplesRead is how many rows of table the server on conn has read (sequential and index scans), from
// its own statistics: each replica counts what it served. Backends report at exit; the JDBC connections
// of a read have exited by the time it returns, but the numbers may need a moment.
func tuplesRead(t *testing.T, conn *pgx.Conn, table string) int64 {
	t.Helper()
	var n int64
	err := conn.QueryRow(context.Background(), `SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)
		FROM pg_stat_user_tables WHERE relname = $1`, table).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// settled waits until f returns the same value twice, 300 ms apart (statistics being flushed).
func settled(f func() int64) int64 {
	last := f()
	for i := 0; i < 20; i++ {
		time.Sleep(300 * time.Millisecond)
		v := f()
		if v == last {
			return v
		}
		last = v
	}
	return last
}

func resetStatements(t *testing.T, conns ...*pgx.Conn) {
	t.Helper()
	for _, c := range conns {
		if _, err := c.Exec(context.Background(), "SELECT pg_stat_statements_reset()"); err != nil {
			t.Fatal(err)
		}
	}
}
