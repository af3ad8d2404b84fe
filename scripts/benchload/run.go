package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/replicalab/replicalab/helpers/chart"
	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/cost"
	"github.com/replicalab/replicalab/internal/demodb"
	"github.com/replicalab/replicalab/internal/numfmt"
	"github.com/replicalab/replicalab/internal/pgtest"
)

// cluster is a running demo primary and replica (pgtest's throwaway one or
// a demodb folder).
type cluster interface {
	Env() map[string]string
	SuperuserURL() string
	ReplicaSuperuserURL() string
	WaitReplayed(ctx context.Context) error
}

// Run is the benchload command; it returns the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	flags := flag.NewFlagSet("benchload", flag.ContinueOnError)
	flags.SetOutput(stderr)
	largeDir := flags.String("large-dir", filepath.Join("data", "demodb-large"),
		"the demodb folder of the large demo: seeded there on first use, started and stopped by each run (\"\": a throwaway cluster seeded every run)")
	huge := flags.Bool("huge", false, "also chart a 50,000,000-row table, added to the large cluster's primary if missing")
	runs := flags.Int("runs", 200, "preview round trips measured")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if err := run(ctx, *largeDir, *huge, *runs, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "benchload:", err)
		return 1
	}
	return 0
}

func run(ctx context.Context, largeDir string, huge bool, runs int, out, log io.Writer) error {
	fmt.Fprintln(log, "starting the small demo cluster (50,000 events)...")
	small, err := pgtest.Start(ctx, pgtest.Options{Scale: "small"})
	if err != nil {
		return err
	}
	defer small.Stop(context.WithoutCancel(ctx))
	var large cluster
	if largeDir != "" {
		opts := demodb.Options{Dir: largeDir, Log: io.Discard}
		if _, err := os.Stat(filepath.Join(largeDir, "demodb.json")); errors.Is(err, fs.ErrNotExist) {
			// First run: seed the large demo here once (minutes); later runs start it in seconds.
			ports, err := demodb.FreePorts(2)
			if err != nil {
				return err
			}
			fmt.Fprintf(log, "seeding a large demo (5,000,000 events) into %s once; later runs reuse it (minutes)...\n", largeDir)
			opts = demodb.Options{Dir: largeDir, Scale: demodb.ScaleLarge, PrimaryPort: ports[0], ReplicaPort: ports[1], Log: log}
		}
		c, err := demodb.New(opts)
		if err != nil {
			return err
		}
		wasRunning := false
		if st, err := c.Status(ctx); err == nil {
			wasRunning = st.Running()
		}
		if err := c.Start(ctx); err != nil {
			return err
		}
		if !wasRunning { // leave it as it was found
			defer c.Stop(context.WithoutCancel(ctx))
		}
		if c.Scale() < demodb.ScaleLarge {
			return fmt.Errorf("%s holds scale %s, expected large (5,000,000 events)", largeDir, demodb.ScaleName(c.Scale()))
		}
		large = c
	} else {
		fmt.Fprintln(log, "starting the large demo cluster (5,000,000 events; seeding takes minutes)...")
		c, err := pgtest.Start(ctx, pgtest.Options{Scale: "large"})
		if err != nil {
			return err
		}
		defer c.Stop(context.WithoutCancel(ctx))
		large = c
	}
	dbSmall, cfgSmall, err := open(ctx, small)
	if err != nil {
		return err
	}
	defer dbSmall.Close()
	dbLarge, cfgLarge, err := open(ctx, large)
	if err != nil {
		return err
	}
	defer dbLarge.Close()

	fmt.Fprintln(out, "== Cost preview (scale large: events 5,000,000 rows, quotes 1,058,474) ==")
	if err := refusal(ctx, dbLarge, cfgLarge, out); err != nil {
		return err
	}
	for _, t := range []struct {
		name string
		db   *replica.Pool
		cfg  *config.Config
	}{{"small", dbSmall, cfgSmall}, {"large", dbLarge, cfgLarge}} {
		if err := previewOverhead(ctx, t.name, t.db, t.cfg, runs, out); err != nil {
			return err
		}
	}

	fmt.Fprintln(out, "\n== Bytes received from the replica: chart on the server vs its client-side twin (loads the rows) ==")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rows\tchart\tserver bytes\tserver replica time\tclient bytes\tclient replica time\tratio\t")
	sets := []dataset{eventsSet(dbSmall, cfgSmall, "50k"), eventsSet(dbLarge, cfgLarge, "5M")}
	if huge {
		fmt.Fprintln(log, "preparing the 50,000,000-row table bench_points on the large cluster's primary...")
		if err := hugeTable(ctx, large, log); err != nil {
			return err
		}
		sets = append(sets, dataset{label: "50M", db: dbLarge, cfg: cfgLarge, table: "bench_points", num: "v", num2: "id", cat: "k", ts: "t", noClient: true})
	}
	for _, d := range sets {
		if err := charts(ctx, d, tw); err != nil {
			return err
		}
	}
	tw.Flush()

	fmt.Fprintln(out, "\n== How often HistogramSQL reads the table (scale large, counted on the replica) ==")
	return passes(ctx, dbLarge, large, out)
}

func open(ctx context.Context, c cluster) (*replica.Pool, *config.Config, error) {
	var env []string
	for k, v := range c.Env() {
		env = append(env, k+"="+v)
	}
	cfg := config.FromEnviron(env)
	db, err := replica.Open(ctx, replica.WithConfig(cfg), replica.Quiet(), replica.NoInterruptHandler(), replica.Direct())
	if err != nil {
		return nil, nil, err
	}
	return db, cfg, db.Connect(ctx)
}

// load is what the replica did for this process so far (the ledger).
func load() replica.Load { return replica.Ledger() }

func refusal(ctx context.Context, db *replica.Pool, cfg *config.Config, out io.Writer) error {
	const sql = "SELECT * FROM events a, quotes b"
	var times []time.Duration
	var msg string
	before := load()
	for i := 0; i < 20; i++ {
		start := time.Now()
		_, err := frame.Load(ctx, db, sql, frame.WithConfig(cfg), frame.NoCache(), frame.Quiet())
		times = append(times, time.Since(start))
		if !errors.Is(err, cost.ErrTooCostly) {
			return fmt.Errorf("the cartesian join was not refused: %v", err)
		}
		msg = err.Error()
	}
	after := load()
	fmt.Fprintf(out, "cartesian join %q refused in %s median, %s max (20 runs); %s received per refusal\n",
		sql, ms(median(times)), ms(slices.Max(times)), numfmt.Bytes((after.Bytes-before.Bytes)/20))
	fmt.Fprintf(out, "  %s\n", msg)
	return nil
}

func previewOverhead(ctx context.Context, name string, db *replica.Pool, cfg *config.Config, runs int, out io.Writer) error {
	const sql = "SELECT id, status, total FROM orders WHERE buyer_company_id = $1"
	conn, err := db.Acquire(ctx)
	if err != nil {
		return err
	}
	var explain []time.Duration
	var plan *cost.Plan
	for i := 0; i < runs; i++ {
		start := time.Now()
		plan, err = cost.Explain(ctx, conn, sql, []any{int64(1 + i%300)})
		explain = append(explain, time.Since(start))
		if err != nil {
			conn.Release()
			return err
		}
	}
	conn.Release()
	var loads []time.Duration
	for i := 0; i < min(runs, 100); i++ {
		start := time.Now()
		if _, err := frame.Load(ctx, db, sql, frame.Args(int64(1+i%300)), frame.WithConfig(cfg), frame.NoCache(), frame.Quiet()); err != nil {
			return err
		}
		loads = append(loads, time.Since(start))
	}
	fmt.Fprintf(out, "preview of a normal query at scale %s (%s): %s median, %s p90 over %d EXPLAIN round trips (loopback); "+
		"the whole load (preview, query, lag check) %s median\n", name, plan, ms(median(explain)), ms(percentile(explain, 0.9)), runs, ms(median(loads)))
	return nil
}

// dataset names the columns the charts use in one table.
type dataset struct {
	label              string
	db                 *replica.Pool
	cfg                *config.Config
	table              string
	num, num2, cat, ts string
	noClient           bool
}

func eventsSet(db *replica.Pool, cfg *config.Config, label string) dataset {
	return dataset{label: label, db: db, cfg: cfg, table: "events", num: "user_id", num2: "id", cat: "kind", ts: "occurred_at"}
}

func charts(ctx context.Context, d dataset, tw io.Writer) error {
	q := func(cols ...string) string { return "SELECT " + strings.Join(cols, ", ") + " FROM " + d.table }
	type pair struct {
		name   string
		query  string
		server func(string) *chart.Chart
		client func(*frame.Result) *chart.Chart
	}
	db := d.db
	pairs := []pair{
		{"HistogramSQL / Histogram", q(d.num), func(s string) *chart.Chart { return chart.HistogramQuery(ctx, db, s) },
			func(r *frame.Result) *chart.Chart { return chart.Histogram(r.DataFrame, d.num) }},
		{"BarSQL / Bar", q(d.cat), func(s string) *chart.Chart { return chart.BarQuery(ctx, db, s) },
			func(r *frame.Result) *chart.Chart { return chart.Bar(r.DataFrame, d.cat) }},
		{"BoxSQL / Box", q(d.num, d.cat), func(s string) *chart.Chart { return chart.BoxQuery(ctx, db, s) },
			func(r *frame.Result) *chart.Chart { return chart.Box(r.DataFrame, d.num, chart.By(d.cat)) }},
		{"ScatterSQL / Heatmap", q(d.num2, d.num), func(s string) *chart.Chart { return chart.ScatterQuery(ctx, db, s) },
			func(r *frame.Result) *chart.Chart { return chart.Heatmap(r.DataFrame, d.num2, d.num) }},
		{"TimeSeriesSQL / TimeSeries", q(d.ts, d.num), func(s string) *chart.Chart { return chart.TimeSeriesQuery(ctx, db, s) },
			func(r *frame.Result) *chart.Chart {
				return chart.TimeSeries(r.DataFrame, d.ts, []string{d.num}, chart.MaxPoints(1000))
			}},
		{"TimeCountsSQL / TimeCounts", q(d.ts), func(s string) *chart.Chart { return chart.TimeCountsQuery(ctx, db, s) },
			func(r *frame.Result) *chart.Chart { return chart.TimeCounts(r.DataFrame, d.ts) }},
	}
	for _, p := range pairs {
		before := load()
		c := p.server(p.query)
		server := delta(before, load())
		if c.Err != nil && !errors.Is(c.Err, chart.ErrNoData) {
			return fmt.Errorf("%s at %s: %w", p.name, d.label, c.Err)
		}
		clientBytes, clientTime, ratio := "not run", "", ""
		if !d.noClient {
			before = load()
			r, err := frame.Load(ctx, db, p.query, frame.WithConfig(d.cfg), frame.NoCache(), frame.Limit(0), frame.Quiet(), frame.AnyCost())
			if err != nil {
				return fmt.Errorf("%s at %s, client side: %w", p.name, d.label, err)
			}
			client := delta(before, load())
			if cc := p.client(r); cc.Err != nil && !errors.Is(cc.Err, chart.ErrNoData) {
				return fmt.Errorf("%s at %s, client side: %w", p.name, d.label, cc.Err)
			}
			clientBytes, clientTime = numfmt.Bytes(client.Bytes), seconds(client.ReplicaTime)
			ratio = fmt.Sprintf("%.0f×", float64(client.Bytes)/float64(max(server.Bytes, 1)))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", d.label, p.name, numfmt.Bytes(server.Bytes), seconds(server.ReplicaTime), clientBytes, clientTime, ratio)
	}
	return nil
}

func delta(a, b replica.Load) replica.Load {
	return replica.Load{Statements: b.Statements - a.Statements, Rows: b.Rows - a.Rows, Bytes: b.Bytes - a.Bytes, ReplicaTime: b.ReplicaTime - a.ReplicaTime}
}

// hugeTable adds bench_points (50,000,000 rows: id, v float8, t timestamptz, k text of 37 values) to
// the cluster's primary if it is not there, analyzes it and waits for the replica.
func hugeTable(ctx context.Context, c cluster, log io.Writer) error {
	conn, err := pgx.Connect(ctx, c.SuperuserURL()) // the demo database, through the primary's socket
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var n int64
	if err := conn.QueryRow(ctx, "SELECT coalesce((SELECT reltuples::int8 FROM pg_class WHERE oid = to_regclass('public.bench_points')), -1)").Scan(&n); err != nil {
		return err
	}
	if n < 49_000_000 {
		start := time.Now()
		for _, s := range []string{
			"DROP TABLE IF EXISTS bench_points",
			`CREATE TABLE bench_points AS SELECT g::int8 AS id, ((g * 2654435761) % 1000003)::float8 / 1000 AS v,
				timestamptz '2020-01-01 00:00:00+00' + g * interval '3 seconds' AS t, 'k' || (g % 37) AS k
			FROM generate_series(1, 50000000) AS g`,
			"ANALYZE bench_points",
			"GRANT SELECT ON bench_points TO analyst",
		} {
			if _, err := conn.Exec(ctx, s); err != nil {
				return fmt.Errorf("%.40s: %w", s, err)
			}
		}
		fmt.Fprintf(log, "  bench_points written in %s\n", time.Since(start).Round(time.Second))
	}
	return c.WaitReplayed(ctx)
}

func passes(ctx context.Context, db *replica.Pool, c cluster, out io.Writer) error {
	admin, err := pgx.Connect(ctx, c.ReplicaSuperuserURL())
	if err != nil {
		return err
	}
	defer admin.Close(context.WithoutCancel(ctx))
	read := func() (scans, statements int64) {
		admin.Exec(ctx, "SELECT pg_stat_clear_snapshot()")
		admin.QueryRow(ctx, `SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'events'`).Scan(&scans)
		admin.QueryRow(ctx, `SELECT coalesce(sum(calls), 0)::int8 FROM pg_stat_statements WHERE query LIKE '%chart_src%'
			AND query NOT LIKE '%chart_src LIMIT%' AND query NOT ILIKE 'EXPLAIN%'`).Scan(&statements)
		return
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "query\tstatements reading the data\ttable scans started (seq + index, parallel workers each count)\t")
	for _, sql := range []string{"SELECT user_id FROM events", "SELECT id FROM events", "SELECT user_id * 2 FROM events"} {
		s0, q0 := read()
		if ch := chart.HistogramQuery(ctx, db, sql); ch.Err != nil {
			return ch.Err
		}
		time.Sleep(600 * time.Millisecond) // backends report their table stats when idle
		s1, q1 := read()
		fmt.Fprintf(tw, "%s\t%d\t%d\t\n", sql, q1-q0, s1-s0)
	}
	return tw.Flush()
}

func median(ds []time.Duration) time.Duration { return percentile(ds, 0.5) }

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(p*float64(len(s)-1)+0.5)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
