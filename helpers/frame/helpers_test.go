package frame_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is a test's isolated setup: the shared replica, a config that sees
// nothing of the test machine's environment, a private cache folder and an
// output buffer.
type env struct {
	t        testing.TB
	c        *pgtest.Cluster
	cfg      *config.Config
	cacheDir string
	out      *bytes.Buffer
	db       *replica.Pool
}

func newEnv(t testing.TB, settings ...string) *env {
	t.Helper()
	c := pgtest.Shared(t)
	e := &env{t: t, c: c, cfg: loadConfig(t, c.Env(), settings...), cacheDir: filepath.Join(t.TempDir(), "cache"), out: &bytes.Buffer{}}
	t.Cleanup(display.Use(&display.Text{Out: e.out, Err: e.out}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := replica.Open(ctx, replica.WithConfig(e.cfg), replica.Quiet(), replica.NoInterruptHandler())
	if err != nil {
		t.Fatalf("opening the replica: %v", err)
	}
	t.Cleanup(db.Close)
	e.db = db
	return e
}

// opts are the options every test load uses, plus more: Options as they
// are, any other value as a query argument (frame.Args).
func (e *env) opts(more ...any) []frame.Option {
	opts := []frame.Option{frame.WithConfig(e.cfg), frame.CacheDir(e.cacheDir)}
	var args []any
	for _, m := range more {
		if o, ok := m.(frame.Option); ok {
			opts = append(opts, o)
		} else {
			args = append(args, m)
		}
	}
	if args != nil {
		opts = append(opts, frame.Args(args...))
	}
	return opts
}

func (e *env) load(sql string, args ...any) *frame.Result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := frame.Load(ctx, e.db, sql, e.opts(args...)...)
	if err != nil {
		e.t.Fatalf("Load(%q): %v", sql, err)
	}
	return r
}

// loadConfig builds a config from env plus "KEY=value" settings, read from an
// empty folder whose own empty .env stops the walk up.
func loadConfig(t testing.TB, env map[string]string, settings ...string) *config.Config {
	t.Helper()
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	list = append(list, settings...)
	sort.Strings(list)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFrom(dir, list)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// superuser connects to url as the superuser for assertions, with its own
// statements kept out of pg_stat_statements.
func superuser(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["pg_stat_statements.track"] = "none"
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("superuser connection: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// statements counts the statements the replica has executed for the login
// role (pg_stat_statements on the replica).
func statements(t testing.TB, admin *pgx.Conn, role string) int64 {
	t.Helper()
	var n int64
	err := admin.QueryRow(context.Background(), `SELECT coalesce(sum(s.calls), 0)::int8
		FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = $1`, role).Scan(&n)
	if err != nil {
		t.Fatalf("counting statements: %v", err)
	}
	return n
}

// statementCalls counts completed executions of statements whose text
// contains marker, the cost preview's EXPLAINs left out. pg_stat_statements
// keeps the text of the first statement of each shape (comments aside): a
// marked query must differ in shape from the other tests' queries.
func statementCalls(t testing.TB, admin *pgx.Conn, marker string) int64 {
	t.Helper()
	var n int64
	err := admin.QueryRow(context.Background(), `SELECT coalesce(sum(calls), 0)::int8 FROM pg_stat_statements
		WHERE strpos(query, $1) > 0 AND query NOT ILIKE 'EXPLAIN%'`, marker).Scan(&n)
	if err != nil {
		t.Fatalf("counting statements: %v", err)
	}
	return n
}
