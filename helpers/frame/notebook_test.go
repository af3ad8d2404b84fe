package frame_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/helpers/replica"
)

// cellProgram builds testdata/cell, a stand-in for a notebook cell (each GoNB cell is a new
// program), once per test binary.
var cellProgram = func() func(t *testing.T) string {
	var path string
	return func(t *testing.T) string {
		t.Helper()
		if testing.Short() {
			t.Skip("builds a program")
		}
		if path == "" {
			dir, err := os.MkdirTemp("", "frame-cell-")
			if err != nil {
				t.Fatal(err)
			}
			path = filepath.Join(dir, "cell")
			if out, err := exec.Command("go", "build", "-o", path, "./testdata/cell").CombinedOutput(); err != nil {
				t.Fatalf("building the cell program: %v\n%s", err, out)
			}
		}
		return path
	}
}()

// cell runs the cell program with the replica's settings in its environment (no .env), the
// given extra settings, in its own folder; it returns stdout, stderr and the exit status.
func (e *env) cell(t *testing.T, extra []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(cellProgram(t), args...)
	cmd.Dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(cmd.Dir, ".env"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), "REPLICALAB_CACHE_DIR="+e.cacheDir)
	for k, v := range e.c.Env() {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, extra...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// TestCachedCellsOpenNoConnection counts sessions on the replica: a cell that loads a query
// connects the first time; run again, served from the cache, it opens no connection — in the
// notebook style (frame.SQL) and in the program style (replica.Open then frame.Load) alike.
func TestCachedCellsOpenNoConnection(t *testing.T) {
	e := newEnv(t)
	for _, style := range []string{"sql", "load"} {
		t.Run(style, func(t *testing.T) {
			query := "SELECT id, status::text, total FROM orders /* " + style + " */"
			before := e.c.Sessions(t)
			out, errText, code := e.cell(t, nil, style, query)
			if code != 0 || !strings.HasSuffix(out, " rows from database\n") {
				t.Fatalf("first run: status %d, stdout %q, stderr %q", code, out, errText)
			}
			fetched := e.c.Sessions(t)
			if fetched != before+1 {
				t.Errorf("the first run opened %d sessions on the replica, want 1", fetched-before)
			}
			if !strings.Contains(errText, " rows × 3 columns from "+e.c.User+"@127.0.0.1:") {
				t.Errorf("the first run should say where the rows came from, on stderr: %q", errText)
			}
			for i := 0; i < 2; i++ {
				out, errText, code = e.cell(t, nil, style, query)
				if code != 0 || !strings.HasSuffix(out, " rows from cache\n") || !strings.Contains(errText, "from cache, fetched ") {
					t.Fatalf("re-run %d: status %d, stdout %q, stderr %q", i+1, code, out, errText)
				}
			}
			if after := e.c.Sessions(t); after != fetched {
				t.Errorf("two re-runs served from the cache opened %d sessions on the replica, want none", after-fetched)
			}
		})
	}
}

// TestOneLoadOneConnection: a load and its lag measurement, again and again, use one
// connection of the pool (counted in pg_stat_activity on the replica).
func TestOneLoadOneConnection(t *testing.T) {
	e := newEnv(t, "REPLICALAB_APP_NAME=frame-one-connection")
	admin := superuser(t, e.c.ReplicaSuperuserURL())
	for i := 0; i < 4; i++ {
		if r := e.load("SELECT id FROM orders LIMIT 10", frame.Refresh()); !r.LagKnown {
			t.Fatalf("load %d: the replica's lag was not measured", i)
		}
	}
	var n int
	if err := admin.QueryRow(context.Background(), "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'frame-one-connection'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("4 loads, each with its lag measured, opened %d connections on the replica, want 1", n)
	}
}

// TestOneLinerErrorsStopTheCell: a failing frame.SQL shows the same message Load returns, on
// stderr, and ends the cell with status 1; so does a replica that cannot be reached.
func TestOneLinerErrorsStopTheCell(t *testing.T) {
	e := newEnv(t)
	const bad = "SELECT no_such_column FROM orders"
	_, want := frame.Load(context.Background(), e.db, bad, e.opts()...)
	out, errText, code := e.cell(t, nil, "sql", bad)
	if code != 1 || out != "" || !strings.HasSuffix(errText, "\n"+want.Error()+"\n") {
		t.Errorf("a bad query: status %d, stdout %q, stderr %q; want status 1 and %q", code, out, errText, want)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	cfg := loadConfig(t, e.c.Env(), "RDS_PORT="+port)
	p, err := replica.Open(context.Background(), replica.WithConfig(cfg), replica.NoInterruptHandler())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, want = frame.Load(context.Background(), p, "SELECT 1 /* nothing cached */", frame.WithConfig(cfg), frame.CacheDir(e.cacheDir))
	out, errText, code = e.cell(t, []string{"RDS_PORT=" + port}, "sql", "SELECT 1 /* nothing cached */")
	if code != 1 || out != "" || strings.TrimSpace(errText) != want.Error() || !strings.Contains(errText, "RDS_PORT") {
		t.Errorf("a closed port: status %d, stdout %q, stderr %q; want status 1 and %q", code, out, errText, want)
	}
	if strings.Contains(errText, e.c.Password) {
		t.Error("the error shows the password")
	}
}

// TestNamedResults: a result stored under a name by one cell is read by a later one without
// the replica; names belong to their notebook; a missing name says how to make it.
func TestNamedResults(t *testing.T) {
	e := newEnv(t)
	nb := []string{"JPY_SESSION_NAME=/home/me/notebooks/8.0-ab-orders.ipynb"}
	out, errText, code := e.cell(t, nb, "store", "orders", "SELECT id, status::text AS status, total, placed_at FROM orders ORDER BY id")
	if code != 0 || out != "stored orders\n" {
		t.Fatalf("store: status %d, %q %q", code, out, errText)
	}
	before := e.c.Sessions(t)
	out, errText, code = e.cell(t, nb, "named", "orders")
	if code != 0 || !strings.Contains(out, "rows from cache") || !strings.Contains(out, "placed_at") {
		t.Fatalf("named: status %d, %q %q", code, out, errText)
	}
	if after := e.c.Sessions(t); after != before {
		t.Errorf("reading a named result opened %d sessions on the replica, want none", after-before)
	}
	if _, err := os.Stat(filepath.Join(e.cacheDir, "named", "8.0-ab-orders", "orders.frame")); err != nil {
		t.Errorf("the named result should live under the notebook's name: %v", err)
	}

	// Another notebook has no "orders"; the message says how to make one.
	_, errText, code = e.cell(t, []string{"JPY_SESSION_NAME=other.ipynb"}, "named", "orders")
	if code != 1 || !strings.Contains(errText, `no result named "orders" in this notebook`) || !strings.Contains(errText, "%%sql orders") {
		t.Errorf("a name of another notebook: status %d, stderr %q", code, errText)
	}
	if _, err := frame.LoadNamed("orders", frame.CacheDir(e.cacheDir), frame.WithConfig(e.cfg)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadNamed of a missing name = %v, want fs.ErrNotExist", err)
	}
	if err := frame.Of(dataframe.New(series.New([]int{1}, series.Int, "x"))).Store("1st", frame.CacheDir(e.cacheDir)); err == nil ||
		!strings.Contains(err.Error(), `found "1st"`) {
		t.Errorf("a name starting with a digit: %v", err)
	}

	// A result made in Go keeps its values, NULL and NaN apart, through a name.
	r := e.load("SELECT * FROM (VALUES (1, 'a', 1.5::float8, true), (2, NULL, 'NaN'::float8, NULL), (3, 'NaN', NULL, false)) AS v(i, s, f, b)")
	derived := r.With(r.DataFrame.Arrange(dataframe.RevSort("i")))
	if err := derived.Store("derived", e.opts()...); err != nil {
		t.Fatal(err)
	}
	back, err := frame.LoadNamed("derived", append(e.opts(), frame.Quiet())...)
	if err != nil {
		t.Fatal(err)
	}
	if back.DataFrame.Nrow() != 3 || back.Database != r.Database || back.FetchedAt.Sub(r.FetchedAt).Abs() > time.Millisecond {
		t.Fatalf("read back %d rows from %s fetched %v; want 3 from %s fetched %v", back.DataFrame.Nrow(), back.Database, back.FetchedAt, r.Database, r.FetchedAt)
	}
	s, f := back.DataFrame.Col("s"), back.DataFrame.Col("f")
	if s.Elem(0).String() != "NaN" || s.Elem(0).IsNA() || !back.IsNull("s", 1) || back.IsNull("f", 1) || !math.IsNaN(f.Elem(1).Float()) || !back.IsNull("f", 0) {
		t.Errorf("values after a round trip: s %v, f %v; want the string NaN kept, NULL and NaN told apart", s.Records(), f.Records())
	}
	if c, _ := back.Column("f"); c.Type != "float8" {
		t.Errorf("column f is %q after the round trip, want its database type float8", c.Type)
	}
}

// TestCachedLoadNeedsNoConnection: a pool that has never connected serves a cached load
// without connecting — a replica.Open followed only by cached loads costs the replica nothing.
func TestCachedLoadNeedsNoConnection(t *testing.T) {
	e := newEnv(t)
	e.load(ordersQuery, 5)
	p, err := replica.Open(context.Background(), replica.WithConfig(e.cfg), replica.Quiet(), replica.NoInterruptHandler())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r, err := frame.Load(context.Background(), p, ordersQuery, e.opts(5)...)
	if err != nil || r.Source != frame.FromCache {
		t.Fatalf("expected the cached result, found %v, %v", r, err)
	}
	if !strings.Contains(p.String(), "not connected yet") {
		t.Errorf("the pool connected for a cached load: %s", p)
	}
}
