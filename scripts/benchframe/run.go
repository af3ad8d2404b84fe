package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/replicalab/replicalab/internal/numfmt"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/pgtest"
)

const usage = `usage: benchframe <command> [flags]

commands:
  run    start a throwaway primary + replica, load the same query with every method, print the table
  load   (used by run) load the query once with helpers/frame in this process and print the timing as JSON
`

// Run is the benchframe command; it returns the exit code (0 ok, 1 failure, 2 usage).
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "run":
		err = runAll(ctx, args[1:], stdout, stderr)
	case "load":
		err = loadOnce(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "benchframe: unknown command %q: expected run or load\n", args[0])
		return 2
	}
	var ue usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "benchframe:", err)
		return 2
	case err != nil:
		fmt.Fprintln(stderr, "benchframe:", err)
		return 1
	}
	return 0
}

type usageError struct{ error }

// benchQuery builds the query: 11 mixed columns of the events table
// (bigint, timestamptz, text, nullable bigint, jsonb, inet, date, numeric,
// bool, int, text), repeated with a cross join when the table has fewer
// rows than asked. The marker comment lets pg_stat_statements count it.
func benchQuery(rows, tableRows int) string {
	reps := max(1, (rows+tableRows-1)/max(tableRows, 1))
	return fmt.Sprintf(`SELECT /* benchframe */ e.id, e.occurred_at, e.kind, e.user_id, e.company_id, e.payload, e.ip,
  e.occurred_at::date AS day, (e.id %% 100000)::numeric(12,2) / 100 AS amount, e.user_id IS NULL AS anonymous, r AS rep
FROM events e CROSS JOIN generate_series(1, %d) r LIMIT %d`, reps, rows)
}

// measurement is one run of one method.
type measurement struct {
	Seconds float64 `json:"seconds"` // load time measured inside the process (wall of the process for psql)
	Rows    int     `json:"rows"`
	RSSKiB  int64   `json:"-"`
	Source  string  `json:"source,omitempty"`
}

type method struct {
	name     string
	note     string
	cmd      func() *exec.Cmd
	ms       []measurement
	skip     string
	optional bool // a failure skips it instead of ending the benchmark
}

func runAll(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("benchframe run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rows := fs.Int("rows", 1_000_000, "rows to load")
	runs := fs.Int("runs", 3, "runs of each method (the median is shown)")
	scale := fs.String("scale", "small", "demo data scale: small (50,000 events), medium (500,000), large (5,000,000; ~2 min to seed)")
	python := fs.String("python", "", "python with pandas and psycopg2 (and optionally connectorx, polars); empty skips them")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if *rows <= 0 || *runs <= 0 {
		return usageError{fmt.Errorf("expected positive -rows and -runs, found %d and %d", *rows, *runs)}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "starting a throwaway primary + replica (scale %s)...\n", *scale)
	c, err := pgtest.Start(ctx, pgtest.Options{Scale: *scale})
	if err != nil {
		return err
	}
	defer c.Stop(context.WithoutCancel(ctx))
	admin, err := superuser(ctx, c.ReplicaSuperuserURL())
	if err != nil {
		return err
	}
	defer admin.Close(context.WithoutCancel(ctx))
	var tableRows int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM events").Scan(&tableRows); err != nil {
		return err
	}
	query := benchQuery(*rows, tableRows)
	env := c.Env()
	childEnv := os.Environ()
	for k, v := range env {
		childEnv = append(childEnv, k+"="+v)
	}
	childEnv = append(childEnv, "PGPASSWORD="+env["RDS_PASSWORD"], "BENCH_QUERY="+query)
	cacheDir, err := os.MkdirTemp("", "benchframe-cache-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(cacheDir)
	uri := fmt.Sprintf("postgresql://%s@%s:%s/%s", env["RDS_USERNAME"], env["RDS_HOSTNAME"], env["RDS_PORT"], env["RDS_DB_NAME"])

	goLoad := func(mode string) func() *exec.Cmd {
		return func() *exec.Cmd { return exec.CommandContext(ctx, self, "load", "-mode", mode, "-cache", cacheDir) }
	}
	methods := []*method{
		{name: "binary COPY → /dev/null (psql)", note: "practical limit", cmd: func() *exec.Cmd {
			cmd := exec.CommandContext(ctx, "psql", "-X", "-q", "-h", env["RDS_HOSTNAME"], "-p", env["RDS_PORT"], "-U", env["RDS_USERNAME"],
				"-d", env["RDS_DB_NAME"], "-c", "COPY ("+query+") TO STDOUT (FORMAT binary)")
			cmd.Stdout = nil // /dev/null
			return cmd
		}},
		{name: "helpers/frame → gota", note: "frame.Load, NoCache", cmd: goLoad("fetch")},
		{name: "helpers/frame → gota + cache write", note: "frame.Load, Refresh (default path)", cmd: goLoad("fetch-cache")},
		{name: "helpers/frame cached re-run", note: "frame.Load from the cache file", cmd: goLoad("cached")},
	}
	if *python != "" {
		for _, m := range []struct{ name, lib, note string }{
			{"pandas.read_sql (psycopg2)", "pandas", "pandas + psycopg2"},
			{"connectorx.read_sql → pandas", "connectorx", "connectorx, 1 partition"},
			{"polars.read_database_uri", "polars", "polars (connectorx engine)"},
		} {
			pm := &method{name: m.name, note: m.note, optional: m.lib != "pandas"}
			lib := m.lib
			pm.cmd = func() *exec.Cmd { return exec.CommandContext(ctx, *python, "-c", pythonLoader, lib, uri) }
			if out, err := exec.CommandContext(ctx, *python, "-c", "import "+lib+", sys; print("+lib+".__version__)").CombinedOutput(); err != nil {
				pm.skip = lib + " is not installed"
			} else {
				pm.note += " " + strings.TrimSpace(string(out))
			}
			methods = append(methods, pm)
		}
	}
	if _, err := exec.LookPath("psql"); err != nil {
		methods[0].skip = "psql not found"
	}

	// Warm the replica's caches with one COPY, then fill the frame cache.
	fmt.Fprintf(stderr, "query (%d rows):\n%s\n", *rows, query)
	for _, m := range methods[:1] {
		if m.skip == "" {
			if _, err := measure(m.cmd(), childEnv); err != nil {
				return fmt.Errorf("warm-up COPY: %w", err)
			}
		}
	}
	var cachedStatements, cachedQueryRuns []int64
	for run := 1; run <= *runs; run++ {
		for _, m := range methods {
			if m.skip != "" {
				continue
			}
			fmt.Fprintf(stderr, "run %d/%d: %s\n", run, *runs, m.name)
			cached := m.name == "helpers/frame cached re-run"
			var total0, marker0 int64
			if cached {
				if total0, marker0, err = counts(ctx, admin, env["RDS_USERNAME"]); err != nil {
					return err
				}
			}
			ms, err := measure(m.cmd(), childEnv)
			if err != nil && m.optional {
				m.skip, m.ms = "failed: "+lastLine(err.Error()), nil
				continue
			}
			if err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			if ms.Rows != *rows && ms.Rows != -1 { // -1: psql does not say
				return fmt.Errorf("%s: expected %d rows, found %d", m.name, *rows, ms.Rows)
			}
			if cached {
				total1, marker1, err := counts(ctx, admin, env["RDS_USERNAME"])
				if err != nil {
					return err
				}
				if ms.Source != string(frame.FromCache) {
					return fmt.Errorf("cached re-run: expected rows from the cache, found %q", ms.Source)
				}
				cachedStatements = append(cachedStatements, total1-total0)
				cachedQueryRuns = append(cachedQueryRuns, marker1-marker0)
			}
			m.ms = append(m.ms, ms)
		}
	}
	report(stdout, methods, *rows, cachedStatements, cachedQueryRuns)
	return nil
}

// pythonLoader times one load inside Python (imports excluded) and prints
// {"seconds":..., "rows":...}.
const pythonLoader = `
import json, sys, time, warnings
warnings.filterwarnings("ignore")
lib, uri = sys.argv[1], sys.argv[2]
import os
q = os.environ["BENCH_QUERY"]
from urllib.parse import quote
full = uri.replace("@", ":" + quote(os.environ["PGPASSWORD"], safe="") + "@", 1)
if lib == "pandas":
    import pandas, psycopg2
    conn = psycopg2.connect(uri)  # libpq reads PGPASSWORD
    t = time.perf_counter()
    df = pandas.read_sql(q, conn)
    dt = time.perf_counter() - t
    n = len(df)
elif lib == "connectorx":
    import connectorx
    t = time.perf_counter()
    df = connectorx.read_sql(full, q, return_type="pandas")
    dt = time.perf_counter() - t
    n = len(df)
else:
    import polars
    t = time.perf_counter()
    df = polars.read_database_uri(q, full)
    dt = time.perf_counter() - t
    n = df.height
print(json.dumps({"seconds": dt, "rows": n}))
`

// measure runs cmd and returns its JSON line (or, for psql, its wall time)
// with its peak RSS.
func measure(cmd *exec.Cmd, env []string) (measurement, error) {
	cmd.Env = env
	var out, errb strings.Builder
	isPsql := filepath.Base(cmd.Path) == "psql"
	if !isPsql {
		cmd.Stdout = &out
	}
	cmd.Stderr = &errb
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return measurement{}, fmt.Errorf("%v: %s", err, strings.TrimSpace(errb.String()))
	}
	var m measurement
	if isPsql {
		m.Seconds = wall.Seconds()
		m.Rows = -1
	} else if err := json.Unmarshal([]byte(lastLine(out.String())), &m); err != nil {
		return m, fmt.Errorf("reading the child's result %q: %w", out.String(), err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.RSSKiB = ru.Maxrss
	}
	return m, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func superuser(ctx context.Context, url string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["pg_stat_statements.track"] = "none"
	return pgx.ConnectConfig(ctx, cfg)
}

// counts returns the statements the login role ran on the replica, and the
// completed runs of the benchmark query.
func counts(ctx context.Context, admin *pgx.Conn, role string) (total, marker int64, err error) {
	err = admin.QueryRow(ctx, `SELECT coalesce(sum(s.calls), 0)::int8,
		coalesce(sum(s.calls) FILTER (WHERE strpos(s.query, '/* benchframe */') > 0), 0)::int8
		FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = $1`, role).Scan(&total, &marker)
	return total, marker, err
}

func median(ms []measurement, f func(measurement) float64) float64 {
	v := make([]float64, len(ms))
	for i, m := range ms {
		v[i] = f(m)
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func report(w io.Writer, methods []*method, rows int, cachedStatements, cachedQueryRuns []int64) {
	var copyTime, pandasTime, pandasRSS, fetchTime float64
	for _, m := range methods {
		if len(m.ms) == 0 {
			continue
		}
		t := median(m.ms, func(x measurement) float64 { return x.Seconds })
		rss := median(m.ms, func(x measurement) float64 { return float64(x.RSSKiB) })
		switch {
		case strings.HasPrefix(m.name, "binary COPY"):
			copyTime = t
		case strings.HasPrefix(m.name, "pandas"):
			pandasTime, pandasRSS = t, rss
		case m.name == "helpers/frame → gota + cache write":
			fetchTime = t
		}
	}
	ratio := func(a, b float64) string {
		if a == 0 || b == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f×", a/b)
	}
	fmt.Fprintf(w, "\n%s rows × 11 columns, median of %d runs\n\n", numfmt.Int(rows), len(methods[0].ms))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\twall s\trows/s\tpeak RSS MiB\t× COPY time\tpandas time ÷\tRSS ÷ pandas RSS\t")
	for _, m := range methods {
		if m.skip != "" {
			fmt.Fprintf(tw, "%s\tskipped: %s\t\t\t\t\t\t\n", m.name, m.skip)
			continue
		}
		t := median(m.ms, func(x measurement) float64 { return x.Seconds })
		rss := median(m.ms, func(x measurement) float64 { return float64(x.RSSKiB) })
		fmt.Fprintf(tw, "%s\t%.3f\t%s\t%.0f\t%s\t%s\t%s\t\n", m.name, t, numfmt.Int(int(math.Round(float64(rows)/t))), rss/1024,
			ratio(t, copyTime), ratio(pandasTime, t), ratio(rss, pandasRSS))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nwall: load time measured inside each process (imports and connection excluded); psql: the whole process.")
	for _, m := range methods {
		if m.note != "" && m.skip == "" {
			fmt.Fprintf(w, "  %s: %s\n", m.name, m.note)
		}
	}
	if len(cachedQueryRuns) > 0 {
		var cached float64
		for _, m := range methods {
			if m.name == "helpers/frame cached re-run" {
				cached = median(m.ms, func(x measurement) float64 { return x.Seconds })
			}
		}
		fmt.Fprintf(w, "\ncached re-run: %s faster than the fetch that wrote the cache; the replica ran the benchmark query %v times during the cached runs\n",
			ratio(fetchTime, cached), cachedQueryRuns)
		fmt.Fprintf(w, "(statements of any kind by the login role during those runs: %v — replica.Open connects lazily, so a cached re-run sends none)\n", cachedStatements)
	}
}

// loadOnce is the child process: open the replica from RDS_* in the
// environment, load BENCH_QUERY once, print {"seconds", "rows", "source"}.
func loadOnce(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("benchframe load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mode := fs.String("mode", "fetch", "fetch (no cache), fetch-cache (fetch and write the cache) or cached (read the cache)")
	cacheDir := fs.String("cache", "", "cache folder")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	query := os.Getenv("BENCH_QUERY")
	if query == "" {
		return usageError{errors.New("expected the query in BENCH_QUERY, found none")}
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	db, err := replica.Open(ctx, replica.WithConfig(cfg), replica.Quiet())
	if err != nil {
		return err
	}
	defer db.Close()
	opts := []frame.Option{frame.Quiet(), frame.WithConfig(cfg), frame.CacheDir(*cacheDir), frame.Limit(0)}
	switch *mode {
	case "fetch":
		opts = append(opts, frame.NoCache())
	case "fetch-cache":
		opts = append(opts, frame.Refresh())
	case "cached":
	default:
		return usageError{fmt.Errorf("unknown -mode %q: expected fetch, fetch-cache or cached", *mode)}
	}
	start := time.Now()
	r, err := frame.Load(ctx, db, query, opts...)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	return json.NewEncoder(stdout).Encode(measurement{Seconds: elapsed.Seconds(), Rows: r.DataFrame.Nrow(), Source: string(r.Source)})
}
