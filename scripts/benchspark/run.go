package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/helpers/spark"
	"github.com/replicalab/replicalab/internal/numfmt"
	"github.com/replicalab/replicalab/internal/pgtest"
	"github.com/replicalab/replicalab/internal/sparkserver"
)

// The analysis, as each engine spells it.
const (
	replicaSQL = `SELECT date_trunc('day', occurred_at AT TIME ZONE 'UTC') AS day, kind, count(*) AS n,
	percentile_cont(0.5) WITHIN GROUP (ORDER BY length(user_agent)) AS median_ua
FROM events GROUP BY 1, 2 ORDER BY 1, 2`
	sparkSQL = `SELECT date_trunc('DAY', occurred_at) AS day, kind, count(*) AS n,
	percentile(length(user_agent), 0.5) AS median_ua
FROM events GROUP BY 1, 2 ORDER BY 1, 2`
)

// Run is the benchspark command; it returns the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	fs := flag.NewFlagSet("benchspark", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scale := fs.String("scale", "large", "demo scale: small, medium, large (5,000,000 events) or a multiplier")
	runs := fs.Int("runs", 3, "runs of each scenario (the table gives medians)")
	cores := fs.Int("cores", max(4, runtime.NumCPU()), "Spark's local[N]: task slots (at least 4, so that 4 partitions can be read at once)")
	memory := fs.String("memory", "4g", "Spark's heap")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	b := &bench{out: stdout, log: stderr, runs: *runs}
	if err := b.run(ctx, *scale, *cores, *memory); err != nil {
		fmt.Fprintln(stderr, "benchspark:", err)
		return 1
	}
	return 0
}

type bench struct {
	out, log io.Writer
	runs     int

	c         *pgtest.Cluster
	ports     []int
	admin     []*pgx.Conn // superuser on each replica
	srv       *sparkserver.Server
	dir       string
	app       string
	want      dataframe.DataFrame
	total     int64 // rows in events
	setup     map[string]time.Duration
	results   []*scenario
	uiApp     string
	loadStart string
	last      dataframe.DataFrame
	overhead  time.Duration // a trivial Spark query, median
}

// scenario is one way of running the analysis, with what each run measured.
type scenario struct {
	name  string
	walls []time.Duration
	// per replica, from the last run
	rowsRead   []int64
	statements []int64
	execTime   []time.Duration // pg_stat_statements total_exec_time of the partition reads
	peak       []int
	taskCPU    time.Duration // Spark executors' CPU time, last run
	taskRun    time.Duration // Spark executors' run time, last run
	equal      string
	// how it ran
	replicas, partitions, maxConns int
	snapshot                       bool
}

func (b *bench) logf(format string, a ...any) { fmt.Fprintf(b.log, format+"\n", a...) }

func (b *bench) run(ctx context.Context, scale string, cores int, memory string) error {
	b.setup = map[string]time.Duration{}
	b.loadStart = loadavg()
	start := time.Now()
	b.logf("starting a throwaway primary + replica at scale %s (seeding large takes minutes)…", scale)
	c, err := pgtest.Start(ctx, pgtest.Options{Scale: scale})
	if err != nil {
		return err
	}
	defer c.Stop(context.WithoutCancel(ctx))
	b.c = c
	b.setup["cluster (initdb, seed, ANALYZE, first replica)"] = time.Since(start)
	start = time.Now()
	if _, err := c.AddReplica(ctx); err != nil {
		return err
	}
	if err := c.WaitReplayed(ctx); err != nil {
		return err
	}
	b.setup["second replica (pg_basebackup)"] = time.Since(start)
	b.ports = c.ReplicaPorts()
	for _, p := range b.ports {
		conn, err := pgx.Connect(ctx, c.SuperuserURLAt(p))
		if err != nil {
			return err
		}
		defer conn.Close(context.WithoutCancel(ctx))
		b.admin = append(b.admin, conn)
	}
	if err := b.admin[0].QueryRow(ctx, "SELECT count(*) FROM events").Scan(&b.total); err != nil {
		return err
	}

	if b.dir, err = os.MkdirTemp("", "replicalab-benchspark-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.dir)
	start = time.Now()
	b.logf("starting a local Spark Connect server (local[%d], %s)…", cores, memory)
	b.srv, err = sparkserver.Start(ctx, sparkserver.Options{Dir: filepath.Join(b.dir, "spark"), Port: -1, UI: true,
		Cores: cores, Memory: memory, StopWith: os.Getpid(), RemoveDir: true})
	if err != nil {
		return err
	}
	defer b.srv.Stop(context.WithoutCancel(ctx))
	b.setup["Spark Connect server start"] = time.Since(start)
	b.app = "replicalab/benchspark"

	// (a) SQL on one replica.
	a := &scenario{name: "SQL on one replica (helpers/frame)"}
	for i := 0; i < b.runs; i++ {
		if err := b.measure(ctx, a, func(ctx context.Context) (dataframe.DataFrame, error) {
			cfg, err := b.config(b.ports[:1], nil)
			if err != nil {
				return dataframe.DataFrame{}, err
			}
			pool, err := replica.Open(ctx, replica.WithConfig(cfg), replica.Quiet(), replica.NoInterruptHandler(), replica.Direct())
			if err != nil {
				return dataframe.DataFrame{}, err
			}
			defer pool.Close()
			r, err := frame.Load(ctx, pool, replicaSQL, frame.NoCache(), frame.Quiet(), frame.WithConfig(cfg))
			if err != nil {
				return dataframe.DataFrame{}, err
			}
			return r.DataFrame, nil
		}); err != nil {
			return fmt.Errorf("%s: %w", a.name, err)
		}
	}
	b.want = b.last
	a.equal = "reference"
	b.results = append(b.results, a)

	if err := b.sparkOverhead(ctx); err != nil {
		return err
	}
	// One Spark run of the analysis that is not counted: the JVM compiles its hot paths on the first.
	b.logf("warming Spark up (one run of the analysis, not counted)…")
	if _, err := b.sparkRun(ctx, b.ports, 2, []spark.Option{spark.Partitions(4)}, false); err != nil {
		return fmt.Errorf("warming up: %w", err)
	}
	for _, sc := range []struct {
		name        string
		replicas    int
		partitions  int
		maxConns    int
		snapshot    bool
		takeOnly    bool
		description string
	}{
		{name: "Spark, 1 replica, 2 partitions", replicas: 1, partitions: 2, maxConns: 2},
		{name: "Spark, 1 replica, 4 partitions", replicas: 1, partitions: 4, maxConns: 4},
		{name: "Spark, 2 replicas, 4 partitions (2 each)", replicas: 2, partitions: 4, maxConns: 2},
		{name: "Spark, snapshot taken (2 replicas, 4 partitions → Parquet)", replicas: 2, partitions: 4, maxConns: 2, snapshot: true, takeOnly: true},
		{name: "Spark, re-run from the snapshot", replicas: 2, partitions: 4, maxConns: 2, snapshot: true},
	} {
		s := &scenario{name: sc.name, replicas: sc.replicas, partitions: sc.partitions, maxConns: sc.maxConns, snapshot: sc.snapshot}
		n := b.runs
		if sc.takeOnly {
			n = 1
		}
		for i := 0; i < n; i++ {
			opts := []spark.Option{spark.Partitions(sc.partitions)}
			if sc.snapshot {
				opts = append(opts, spark.Snapshot())
			}
			refresh := sc.takeOnly
			err := b.measure(ctx, s, func(ctx context.Context) (dataframe.DataFrame, error) {
				return b.sparkRun(ctx, b.ports[:sc.replicas], sc.maxConns, opts, refresh)
			})
			if err != nil {
				return fmt.Errorf("%s: %w", sc.name, err)
			}
		}
		s.equal = b.compare(b.last)
		b.results = append(b.results, s)
	}
	b.report()
	return b.save()
}

// save writes the measurements as JSON beside the other benchmarks' (data/bench/spark.json).
func (b *bench) save() error {
	repo, err := sparkserver.Repo()
	if err != nil {
		return nil
	}
	type out struct {
		Name                 string
		Walls                []time.Duration
		RowsRead, Statements []int64
		ExecTime             []time.Duration
		Peak                 []int
		TaskRun, TaskCPU     time.Duration
		Equal                string
	}
	doc := map[string]any{"rows": b.total, "cores": runtime.NumCPU(), "spark_cores": b.srv.Cores, "overhead": b.overhead,
		"setup": b.setup, "load_start": b.loadStart, "load_end": loadavg()}
	var ss []out
	for _, s := range b.results {
		ss = append(ss, out{s.name, s.walls, s.rowsRead, s.statements, s.execTime, s.peak, s.taskRun, s.taskCPU, s.equal})
	}
	doc["scenarios"] = ss
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Join(repo, "data", "bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "spark.json")
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return err
	}
	b.logf("measurements saved in %s", path)
	return nil
}

// config is what a notebook would have for the replicas on ports.
func (b *bench) config(ports []int, extra map[string]string) (*config.Config, error) {
	var hosts []string
	for _, p := range ports {
		hosts = append(hosts, "127.0.0.1:"+strconv.Itoa(p))
	}
	u := url.URL{Scheme: "postgres", User: url.UserPassword(b.c.User, b.c.Password), Host: strings.Join(hosts, ","),
		Path: "/" + b.c.Database, RawQuery: "sslmode=disable"}
	env := []string{
		"DATABASE_URL=" + u.String(),
		"REPLICALAB_APP_NAME=" + b.app,
		"REPLICALAB_CACHE_DIR=" + filepath.Join(b.dir, "cache"),
		"REPLICALAB_SPARK_DIR=" + filepath.Join(b.dir, "local"),
		"REPLICALAB_SPARK_SNAPSHOT_DIR=" + filepath.Join(b.dir, "snapshots"),
		"REPLICALAB_STATEMENT_TIMEOUT=30m",
		"REPLICALAB_ROW_LIMIT=0",
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	if err := os.MkdirAll(filepath.Join(b.dir, "cfg"), 0o700); err != nil {
		return nil, err
	}
	return config.LoadFrom(filepath.Join(b.dir, "cfg"), env)
}

// sparkRun is one notebook cell on Spark: a new session, the view, the query.
func (b *bench) sparkRun(ctx context.Context, ports []int, maxConns int, opts []spark.Option, refresh bool) (dataframe.DataFrame, error) {
	cfg, err := b.config(ports, nil)
	if err != nil {
		return dataframe.DataFrame{}, err
	}
	s, err := spark.Open(ctx, spark.WithConfig(cfg), spark.Remote(b.srv.Remote()+"/;token="+b.srv.Token()),
		spark.MaxConns(maxConns), spark.Quiet())
	if err != nil {
		return dataframe.DataFrame{}, err
	}
	defer s.Close()
	if err := s.Table("events", opts...); err != nil {
		return dataframe.DataFrame{}, err
	}
	lo := []spark.Option{spark.NoCache()}
	if refresh {
		lo = append(lo, spark.Refresh())
	}
	r, err := s.Load(ctx, sparkSQL, lo...)
	if err != nil {
		return dataframe.DataFrame{}, err
	}
	return r.DataFrame, nil
}

// sparkOverhead times a query that reads nothing: connecting, planning and scheduling a job.
func (b *bench) sparkOverhead(ctx context.Context) error {
	var ds []time.Duration
	for i := 0; i < max(b.runs, 3); i++ {
		cfg, err := b.config(b.ports[:1], nil)
		if err != nil {
			return err
		}
		start := time.Now()
		s, err := spark.Open(ctx, spark.WithConfig(cfg), spark.Remote(b.srv.Remote()+"/;token="+b.srv.Token()), spark.Quiet())
		if err != nil {
			return err
		}
		_, err = s.Load(ctx, "SELECT count(*) AS n FROM range(1000)", spark.NoCache())
		s.Close()
		if err != nil {
			return err
		}
		ds = append(ds, time.Since(start))
	}
	b.overhead = median(ds)
	return nil
}

var lastMu sync.Mutex

// measure runs f once as a scenario's run: statistics reset and sampled on every replica.
func (b *bench) measure(ctx context.Context, s *scenario, f func(context.Context) (dataframe.DataFrame, error)) error {
	for _, a := range b.admin {
		if _, err := a.Exec(ctx, "SELECT pg_stat_statements_reset()"); err != nil {
			return err
		}
	}
	before := make([]int64, len(b.admin))
	for i, a := range b.admin {
		before[i] = settled(func() int64 { return tuplesRead(ctx, a) })
	}
	stagesBefore := b.stageIDs()
	stop := make(chan struct{})
	peaks := make([]int, len(b.admin))
	var wg sync.WaitGroup
	for i, port := range b.ports {
		conn, err := pgx.Connect(ctx, b.c.SuperuserURLAt(port))
		if err != nil {
			return err
		}
		wg.Go(func() {
			defer conn.Close(context.WithoutCancel(ctx))
			peaks[i] = sample(ctx, conn, b.app, stop)
		})
	}
	start := time.Now()
	df, err := f(ctx)
	wall := time.Since(start)
	close(stop)
	wg.Wait()
	if err != nil {
		return err
	}
	b.logf("%s: %.1f s", s.name, wall.Seconds())
	s.walls = append(s.walls, wall)
	s.peak = peaks
	s.rowsRead = make([]int64, len(b.admin))
	s.statements = make([]int64, len(b.admin))
	s.execTime = make([]time.Duration, len(b.admin))
	for i, a := range b.admin {
		s.rowsRead[i] = settled(func() int64 { return tuplesRead(ctx, a) }) - before[i]
		var calls int64
		var ms float64
		err := a.QueryRow(ctx, `SELECT coalesce(sum(calls), 0)::int8, coalesce(sum(total_exec_time), 0)
			FROM pg_stat_statements WHERE query ILIKE '%events%' AND query NOT ILIKE '%pg_stat%' AND query !~ 'WHERE \$\d+=\$\d+$'
			AND query NOT ILIKE '%min(%' AND query NOT ILIKE 'EXPLAIN%'`).Scan(&calls, &ms)
		if err != nil {
			return err
		}
		s.statements[i], s.execTime[i] = calls, time.Duration(ms*float64(time.Millisecond))
	}
	s.taskRun, s.taskCPU = b.taskTimes(stagesBefore)
	lastMu.Lock()
	b.last = df
	lastMu.Unlock()
	return nil
}

// tuplesRead is how many rows of events the server has read (sequential and index scans).
func tuplesRead(ctx context.Context, conn *pgx.Conn) int64 {
	var n int64
	_ = conn.QueryRow(ctx, `SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables WHERE relname = 'events'`).Scan(&n)
	return n
}

// settled waits until f gives the same value twice, 300 ms apart (statistics being flushed).
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

// sample returns the most connections of app open at once, running a query other than the planning
// pool's catalog lookups, until stop is closed.
func sample(ctx context.Context, conn *pgx.Conn, app string, stop <-chan struct{}) int {
	peak := 0
	for {
		var n int
		if conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND backend_type = 'client backend'
			AND query NOT ILIKE '%pg_catalog%' AND query NOT ILIKE '%pg_is_in_recovery%' AND query NOT ILIKE 'EXPLAIN%' AND query NOT ILIKE '%min(%'`, app).Scan(&n) == nil {
			peak = max(peak, n)
		}
		select {
		case <-stop:
			return peak
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (b *bench) stageIDs() map[int]bool {
	ids := map[int]bool{}
	for _, st := range b.stages() {
		ids[st.ID] = true
	}
	return ids
}

type stage struct {
	ID      int   `json:"stageId"`
	Attempt int   `json:"attemptId"`
	RunMs   int64 `json:"executorRunTime"`
	CPUNs   int64 `json:"executorCpuTime"`
	Status  string
}

// stages lists the Spark UI's stages (its REST API).
func (b *bench) stages() []stage {
	if b.uiApp == "" {
		var apps []struct {
			ID string `json:"id"`
		}
		if getJSON(b.srv.UI()+"/api/v1/applications", &apps) != nil || len(apps) == 0 {
			return nil
		}
		b.uiApp = apps[0].ID
	}
	var st []stage
	_ = getJSON(b.srv.UI()+"/api/v1/applications/"+b.uiApp+"/stages?status=complete", &st)
	return st
}

func getJSON(u string, v any) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// taskTimes sums the executors' run and CPU time of the stages completed since before.
func (b *bench) taskTimes(before map[int]bool) (run, cpu time.Duration) {
	for _, st := range b.stages() {
		if !before[st.ID] {
			run += time.Duration(st.RunMs) * time.Millisecond
			cpu += time.Duration(st.CPUNs)
		}
	}
	return run, cpu
}

// compare says whether df equals the replica's result (floats within 1e-9, relative).
func (b *bench) compare(df dataframe.DataFrame) string {
	wr, wc := b.want.Dims()
	gr, gc := df.Dims()
	if wr != gr || wc != gc {
		return fmt.Sprintf("no: %d×%d vs %d×%d", gr, gc, wr, wc)
	}
	for j, name := range b.want.Names() {
		ws, gs := b.want.Col(name), df.Col(df.Names()[j])
		for i := 0; i < wr; i++ {
			we, ge := ws.Elem(i), gs.Elem(i)
			if we.IsNA() != ge.IsNA() {
				return fmt.Sprintf("no: row %d %s", i, name)
			}
			if we.IsNA() {
				continue
			}
			if ws.Type() == series.Float {
				x, y := we.Float(), ge.Float()
				if x != y && math.Abs(x-y) > 1e-9*math.Max(math.Abs(x), math.Abs(y)) {
					return fmt.Sprintf("no: row %d %s %v vs %v", i, name, y, x)
				}
			} else if we.String() != ge.String() {
				return fmt.Sprintf("no: row %d %s %v vs %v", i, name, ge, we)
			}
		}
	}
	return fmt.Sprintf("yes (%s rows)", numfmt.Int(wr))
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func perReplica[T any](v []T, f func(T) string) string {
	var parts []string
	for _, x := range v {
		parts = append(parts, f(x))
	}
	return strings.Join(parts, " / ")
}
