package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/replicalab/replicalab/helpers/chart"
	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/helpers/explore"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/demodb"
	"github.com/replicalab/replicalab/internal/numfmt"
	"github.com/replicalab/replicalab/internal/pgtest"
	"github.com/replicalab/replicalab/internal/report"
)

type bench struct {
	c       *pgtest.Cluster
	cfg     *config.Config
	pool    *replica.Pool
	primary *pgx.Conn // superuser on the primary: set-up and the truth (pg_stat_replication)
	dir     string
	out     string
	limit   int
}

func logf(format string, a ...any) { fmt.Fprintf(os.Stderr, format+"\n", a...) }

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("benchscale", flag.ContinueOnError)
	scale := fs.String("scale", "large", "demo scale: small, medium, large (5,000,000 events) or a multiplier")
	tables := fs.Int("tables", 3000, "tables in the generated catalog (at most 3,000)")
	limit := fs.Int("limit", 1_000_000, "the row limit of the truncated loads")
	out := fs.String("out", filepath.Join(os.TempDir(), "replicalab-benchscale"), "folder for the screenshots")
	only := fs.String("only", "", "run only these parts, comma-separated: loads, lag, map, buckets")
	if err := fs.Parse(args); err != nil {
		return err
	}
	want := func(part string) bool { return *only == "" || slices.Contains(strings.Split(*only, ","), part) }
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	b := &bench{out: *out, limit: *limit}
	start := time.Now()
	logf("starting a throwaway primary + replica at scale %s (seeding large takes minutes)…", *scale)
	c, err := pgtest.Start(ctx, pgtest.Options{Scale: *scale})
	if err != nil {
		return err
	}
	defer c.Stop(context.WithoutCancel(ctx))
	b.c = c
	fmt.Printf("# benchscale: demo scale %s, %d-table catalog\n\ncluster ready in %.0f s\n", *scale, *tables, time.Since(start).Seconds())
	if b.dir, err = os.MkdirTemp("", "replicalab-benchscale-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.dir)
	if b.primary, err = pgx.Connect(ctx, c.SuperuserURL()); err != nil {
		return err
	}
	defer b.primary.Close(context.WithoutCancel(ctx))
	if err := b.config(); err != nil {
		return err
	}
	if b.pool, err = replica.Open(ctx, replica.WithConfig(b.cfg), replica.Quiet(), replica.NoInterruptHandler(), replica.Direct()); err != nil {
		return err
	}
	defer b.pool.Close()

	if want("loads") {
		if err := b.loads(ctx); err != nil {
			return fmt.Errorf("truncated loads: %w", err)
		}
	}
	if want("buckets") {
		if err := b.buckets(ctx); err != nil {
			return fmt.Errorf("buckets: %w", err)
		}
	}
	if want("map") {
		if err := b.schemaMap(ctx, *tables); err != nil {
			return fmt.Errorf("schema map: %w", err)
		}
	}
	if want("lag") { // last: it writes to the primary
		if err := b.lag(ctx); err != nil {
			return fmt.Errorf("lag: %w", err)
		}
	}
	return nil
}

// config is what a notebook would have for the replica.
func (b *bench) config() error {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(b.c.User, b.c.Password), Host: fmt.Sprintf("127.0.0.1:%d", b.c.ReplicaPort),
		Path: "/" + b.c.Database, RawQuery: "sslmode=disable"}
	env := []string{
		"DATABASE_URL=" + u.String(),
		"REPLICALAB_APP_NAME=benchscale",
		"REPLICALAB_CACHE_DIR=" + filepath.Join(b.dir, "cache"),
		"REPLICALAB_STATEMENT_TIMEOUT=30m",
	}
	if err := os.MkdirAll(filepath.Join(b.dir, "cfg"), 0o700); err != nil {
		return err
	}
	var err error
	b.cfg, err = config.LoadFrom(filepath.Join(b.dir, "cfg"), env)
	return err
}

// --- Truncated loads -------------------------------------------------------------------------------

const loadSQL = "SELECT id, occurred_at, kind, user_id FROM events"

// rawCut reads the first n rows of events as a session with synchronized scans on (the server's
// default) does, then cancels: the next such scan starts where this one stopped.
func (b *bench) rawCut(ctx context.Context, n int) (first, last time.Time, sum string, err error) {
	conn, err := pgx.Connect(ctx, b.c.ReplicaURL()+"&synchronize_seqscans=on")
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rows, err := conn.Query(qctx, "SELECT id, occurred_at FROM events")
	if err != nil {
		return
	}
	defer func() { cancel(); rows.Close() }()
	h := fnv.New64a()
	for i := 0; i < n && rows.Next(); i++ {
		var id int64
		var at time.Time
		if err = rows.Scan(&id, &at); err != nil {
			return
		}
		if first.IsZero() || at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
		fmt.Fprint(h, id, ",")
	}
	return first, last, fmt.Sprintf("%016x", h.Sum64()), nil
}

func summarize(r *frame.Result) (first, last time.Time, sum string, err error) {
	ids, err := r.DataFrame.Col("id").Int()
	if err != nil {
		return
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	h := fnv.New64a()
	for _, id := range sorted {
		fmt.Fprint(h, id, ",")
	}
	times, err := r.Times("occurred_at")
	if err != nil {
		return
	}
	for _, t := range times {
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
	}
	return first, last, fmt.Sprintf("%016x", h.Sum64()), nil
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func (b *bench) loads(ctx context.Context) error {
	var total int64
	if err := b.primary.QueryRow(ctx, "SELECT count(*) FROM events").Scan(&total); err != nil {
		return err
	}
	fmt.Printf("\n## Truncated loads: %s, row limit %s, events holds %s rows\n\n", loadSQL, numfmt.Int(int64(b.limit)), numfmt.Int(total))
	fmt.Println("Between runs another session (synchronized scans on, the server's default) reads part of events and stops.")
	fmt.Println()
	fmt.Println("| load | run | rows | dates | rows' checksum | time | what it says |")
	fmt.Println("|---|---|---:|---|---|---:|---|")
	for i := 1; i <= 3; i++ {
		start := time.Now()
		first, last, sum, err := b.rawCut(ctx, b.limit)
		if err != nil {
			return err
		}
		fmt.Printf("| raw cut scan, synchronize_seqscans on (before) | %d | %s | %s … %s | %s | %.1f s | (nothing) |\n",
			i, numfmt.Int(int64(b.limit)), day(first), day(last), sum, time.Since(start).Seconds())
	}
	for _, sampled := range []bool{false, true} {
		for i := 1; i <= 3; i++ {
			if _, _, _, err := b.rawCut(ctx, b.limit/3); err != nil {
				return err
			}
			opts := []frame.Option{frame.Limit(b.limit), frame.NoCache(), frame.Quiet(), frame.WithConfig(b.cfg), frame.AnyCost()}
			name := "frame.Load, cut"
			if sampled {
				opts = append(opts, frame.Sampled())
				name = "frame.Load, Sampled()"
			}
			start := time.Now()
			r, err := frame.Load(ctx, b.pool, loadSQL, opts...)
			if err != nil {
				return err
			}
			took := time.Since(start)
			first, last, sum, err := summarize(r)
			if err != nil {
				return err
			}
			said := strings.Join(r.Warnings, " / ")
			if len(said) > 160 {
				said = said[:160] + "…"
			}
			fmt.Printf("| %s | %d | %s | %s … %s | %s | %.1f s | %s |\n", name, i, numfmt.Int(int64(r.Rows)), day(first), day(last), sum, took.Seconds(), strings.ReplaceAll(said, "|", "/"))
		}
	}
	return nil
}

// --- Buckets -----------------------------------------------------------------------------------------

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (b *bench) buckets(ctx context.Context) error {
	cfg, err := pgx.ParseConfig(b.c.ReplicaURL())
	if err != nil {
		return err
	}
	var received atomic.Int64
	dial := cfg.DialFunc
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{conn, &received}, nil
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	fmt.Printf("\n## Time counts with too many buckets (events, one connection; bytes the replica sent, counted on the socket)\n\n")
	fmt.Println("| chart | outcome | time | bytes from the replica |")
	fmt.Println("|---|---|---:|---:|")
	for _, tc := range []struct {
		name, sql string
		opts      []chart.Option
	}{
		{"every minute, whole table (statistics)", "SELECT occurred_at FROM events", []chart.Option{chart.Every(chart.Minute)}},
		{"every minute, 2020–2026 (bounds given)", "SELECT occurred_at FROM events", []chart.Option{chart.Every(chart.Minute),
			chart.Between(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}},
		{"every minute, filtered (exact range first)", "SELECT occurred_at FROM events WHERE kind <> 'page_view'", []chart.Option{chart.Every(chart.Minute)}},
		{"every day, whole table (drawn, for scale)", "SELECT occurred_at FROM events", []chart.Option{chart.Every(chart.Day)}},
	} {
		before := received.Load()
		start := time.Now()
		ch := chart.TimeCountsQuery(ctx, conn, tc.sql, tc.opts...)
		took := time.Since(start)
		outcome := "drawn"
		if ch.Err != nil {
			outcome = "refused"
			if !errors.Is(ch.Err, chart.ErrTooManyBuckets) {
				outcome = "error: " + ch.Err.Error()
			}
		}
		fmt.Printf("| %s | %s | %.3f s | %s B |\n", tc.name, outcome, took.Seconds(), numfmt.Int(received.Load()-before))
	}
	return nil
}

// --- Lag -----------------------------------------------------------------------------------------------

type lagPoint struct {
	shown, replayLag, truth time.Duration
	truthKnown              bool
	how                     string
}

func (b *bench) lag(ctx context.Context) error {
	truthConn, err := pgx.Connect(ctx, b.c.SuperuserURL())
	if err != nil {
		return err
	}
	defer truthConn.Close(ctx)
	timelineConn, err := pgx.Connect(ctx, b.c.SuperuserURL())
	if err != nil {
		return err
	}
	defer timelineConn.Close(ctx)
	standby, err := pgx.Connect(ctx, b.c.ReplicaSuperuserURL())
	if err != nil {
		return err
	}
	defer standby.Close(ctx)
	tl := &pgtest.WALTimeline{}
	tctx, stopTimeline := context.WithCancel(ctx)
	var twg sync.WaitGroup
	twg.Go(func() { _ = tl.Record(tctx, timelineConn) })
	defer func() { stopTimeline(); twg.Wait() }()

	fmt.Printf("\n## Lag shown (replica.Pool.Lag, every 250 ms) vs the truth\n\n")
	fmt.Println("Truth: the primary's WAL timeline (its flushed position every 2 ms) at the replica's replayed position read right after each measurement.")
	fmt.Println("Reference: the primary's pg_stat_replication.replay_lag, refreshed only when the replica reports (wal_receiver_status_interval; NULL, caught up, counts as 0).")
	// The first pass vacuums the largest table; by the second it is frozen, so the second vacuums the next.
	for pass, interval := range []string{"10s", "1s"} {
		if _, err := standby.Exec(ctx, "ALTER SYSTEM SET wal_receiver_status_interval = '"+interval+"'"); err != nil {
			return err
		}
		if _, err := standby.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
			return err
		}
		time.Sleep(time.Second)
		fmt.Printf("\nwal_receiver_status_interval = %s on the replica:\n\n", interval)
		fmt.Println("| workload | duration | samples | shown: median / max | truth: median / max | shown − truth: max abs | within 1 s of the truth | replay_lag: median / max | shown − replay_lag: max abs | within 1 s of replay_lag | ways found |")
		fmt.Println("|---|---:|---:|---|---|---:|---:|---|---:|---:|---|")
		if err := b.lagWorkloads(ctx, truthConn, standby, tl, []string{"events", "quotes"}[pass]); err != nil {
			return err
		}
	}
	_, _ = standby.Exec(ctx, "ALTER SYSTEM RESET wal_receiver_status_interval")
	_, _ = standby.Exec(ctx, "SELECT pg_reload_conf()")
	return nil
}

func (b *bench) lagWorkloads(ctx context.Context, truthConn, standby *pgx.Conn, tl *pgtest.WALTimeline, vacuum string) error {
	var rows int64
	if err := b.primary.QueryRow(ctx, "SELECT count(*) FROM "+vacuum).Scan(&rows); err != nil {
		return err
	}
	workloads := []struct {
		name string
		sql  []string
	}{
		{"idle", []string{"SELECT pg_sleep(5)"}},
		{fmt.Sprintf("VACUUM (FREEZE, ANALYZE) %s (%s rows)", vacuum, numfmt.Int(rows)), []string{"VACUUM (FREEZE, ANALYZE) " + vacuum}},
		{"bulk load: CREATE TABLE AS (up to) 1,000,000 events", []string{"CREATE TABLE bench_bulk AS SELECT * FROM events LIMIT 1000000", "DROP TABLE bench_bulk"}},
		{"bulk load: INSERT 2,000,000 rows, one transaction", []string{"CREATE TABLE bench_bulk2 (id bigint, s text)",
			"INSERT INTO bench_bulk2 SELECT g, md5(g::text) FROM generate_series(1, 2000000) AS g", "DROP TABLE bench_bulk2"}},
	}
	for _, w := range workloads {
		if err := b.c.WaitReplayed(ctx); err != nil {
			return err
		}
		done := make(chan error, 1)
		start := time.Now()
		go func() {
			for _, s := range w.sql {
				if _, err := b.primary.Exec(ctx, s); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		var pts []lagPoint
		var werr error
	sample:
		for {
			select {
			case werr = <-done:
				break sample
			case <-time.After(250 * time.Millisecond):
			}
			l, err := b.pool.Lag(ctx)
			if err != nil {
				return err
			}
			var at time.Time
			var replayed int64
			if err := standby.QueryRow(ctx, "SELECT clock_timestamp(), pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::int8").Scan(&at, &replayed); err != nil {
				return err
			}
			var rl *time.Duration
			if err := truthConn.QueryRow(ctx, "SELECT replay_lag FROM pg_stat_replication LIMIT 1").Scan(&rl); err != nil {
				return err
			}
			time.Sleep(5 * time.Millisecond) // the timeline passes the replica's reading
			p := lagPoint{shown: l.Delay, how: l.How}
			p.truth, p.truthKnown = tl.Lag(at, replayed)
			if rl != nil {
				p.replayLag = *rl
			}
			pts = append(pts, p)
		}
		if werr != nil {
			return werr
		}
		dur := time.Since(start)
		var shown, truth, dTruth, replayLag, dReplay []time.Duration
		inTruth, inReplay := 0, 0
		hows := map[string]int{}
		abs := func(d time.Duration) time.Duration { return max(d, -d) }
		for _, p := range pts {
			shown, replayLag = append(shown, p.shown), append(replayLag, p.replayLag)
			if p.truthKnown {
				truth = append(truth, p.truth)
				dTruth = append(dTruth, abs(p.shown-p.truth))
				if abs(p.shown-p.truth) <= time.Second {
					inTruth++
				}
			}
			dReplay = append(dReplay, abs(p.shown-p.replayLag))
			if abs(p.shown-p.replayLag) <= time.Second {
				inReplay++
			}
			hows[p.how]++
		}
		var how []string
		for k, n := range hows {
			how = append(how, fmt.Sprintf("%s ×%d", k, n))
		}
		sort.Strings(how)
		fmt.Printf("| %s | %.1f s | %d | %s / %s | %s / %s | %s | %d of %d | %s / %s | %s | %d of %d | %s |\n", w.name, dur.Seconds(), len(pts),
			sec(median(shown)), sec(maxOf(shown)), sec(median(truth)), sec(maxOf(truth)), sec(maxOf(dTruth)), inTruth, len(truth),
			sec(median(replayLag)), sec(maxOf(replayLag)), sec(maxOf(dReplay)), inReplay, len(pts), strings.Join(how, ", "))
	}
	return nil
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func maxOf(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return slices.Max(d)
}

func sec(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// --- The schema map -----------------------------------------------------------------------------------

func (b *bench) schemaMap(ctx context.Context, tables int) error {
	start := time.Now()
	fks, err := demodb.CreateWideSchema(ctx, b.primary, demodb.WideOptions{Tables: tables})
	if err != nil {
		return err
	}
	if err := b.c.WaitReplayed(ctx); err != nil {
		return err
	}
	defer func() { _ = demodb.DropWideSchema(context.WithoutCancel(ctx), b.primary) }()
	fmt.Printf("\n## Schema map: %d tables, %d foreign keys (built in %.0f s)\n\n", tables, fks, time.Since(start).Seconds())
	fmt.Println("| step | time | size |")
	fmt.Println("|---|---:|---:|")
	step := func(name string, f func() (string, error)) error {
		start := time.Now()
		size, err := f()
		if err != nil {
			return err
		}
		fmt.Printf("| %s | %.2f s | %s |\n", name, time.Since(start).Seconds(), size)
		return nil
	}
	var g *explore.Graph
	if err := step("explore.Relationships(Schema(erp), Inferred()): the catalog read", func() (string, error) {
		var err error
		g, err = explore.Relationships(ctx, b.pool, explore.Schema(demodb.WideSchema), explore.Inferred())
		if err != nil {
			return "", err
		}
		inferred := 0
		for _, e := range g.Edges {
			if e.Inferred {
				inferred++
			}
		}
		return fmt.Sprintf("%d tables, %d links (%d inferred)", len(g.Nodes), len(g.Edges), inferred), nil
	}); err != nil {
		return err
	}
	var h string
	if err := step("Graph.HTML(): the map (Graphviz per group)", func() (string, error) {
		h = g.HTML()
		return fmt.Sprintf("%s kB, %d groups", numfmt.Int(int64(len(h)/1024)), strings.Count(h, `<section class="rl-sec"`)), nil
	}); err != nil {
		return err
	}
	if err := step("explore.Relationships(Around(billing_invoice_lines, 1)) + HTML", func() (string, error) {
		a, err := explore.Relationships(ctx, b.pool, explore.Schema(demodb.WideSchema), explore.Around("billing_invoice_lines", 1))
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d tables, %s kB", len(a.Nodes), numfmt.Int(int64(len(a.HTML())/1024))), nil
	}); err != nil {
		return err
	}
	var ov *explore.Overview
	if err := step("explore.Tables (the overview) + HTML", func() (string, error) {
		var err error
		ov, err = explore.Tables(ctx, b.pool)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d tables, %s kB", len(ov.Tables), numfmt.Int(int64(len(ov.HTML())/1024))), nil
	}); err != nil {
		return err
	}

	if _, err := exec.LookPath("chromium"); err != nil {
		fmt.Println("\n(Chromium not found: no screenshots)")
		return nil
	}
	br, closeBrowser, err := newBrowser()
	if err != nil {
		return err
	}
	defer closeBrowser()
	page := filepath.Join(b.dir, "map.html")
	if err := os.WriteFile(page, []byte("<!doctype html><meta charset=utf-8><title>schema map</title><body>"+h), 0o644); err != nil {
		return err
	}
	fmt.Printf("\nIn headless Chromium at 1600 × 1200 (screenshots in %s):\n\n", b.out)
	fmt.Println("| view | measure | value |")
	fmt.Println("|---|---|---:|")
	start = time.Now()
	if err := br.open(page); err != nil {
		return err
	}
	fmt.Printf("| notebook output | page loaded and laid out | %.2f s |\n", time.Since(start).Seconds())
	legible, err := br.legible()
	if err != nil {
		return err
	}
	fmt.Printf("| notebook output | table names on the first screen, ≥ 11 px | %d (e.g. %s) |\n", len(legible), strings.Join(legible[:min(3, len(legible))], ", "))
	if err := br.screenshot(filepath.Join(b.out, "map-first-screen.png")); err != nil {
		return err
	}
	var found struct {
		List, Open float64
		Count      string
		Hit        string
	}
	if err := br.eval(`(async () => {
		const box = document.querySelector(".rl-find input");
		const t0 = performance.now();
		box.value = "billing_invoice_l";
		box.dispatchEvent(new Event("input"));
		const t1 = performance.now();
		box.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter"}));
		await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
		const t2 = performance.now();
		const hit = document.querySelector(".rl-hit");
		return {List: t1 - t0, Open: t2 - t0, Count: document.querySelector(".rl-found").dataset.count, Hit: hit ? hit.textContent.trim() : ""};
	})()`, &found); err != nil {
		return err
	}
	fmt.Printf("| notebook output | search \"billing_invoice_l\": matches listed | %.1f ms (%s match) |\n", found.List, found.Count)
	fmt.Printf("| notebook output | … Enter: group opened, table lit, drawn | %.1f ms (%s) |\n", found.Open, strings.Join(strings.Fields(found.Hit), " "))
	if err := br.screenshot(filepath.Join(b.out, "map-search.png")); err != nil {
		return err
	}

	// The exported report: scripts removed.
	nb := map[string]any{"nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{}, "cells": []any{
		map[string]any{"cell_type": "markdown", "metadata": map[string]any{}, "source": "# Catalog"},
		map[string]any{"cell_type": "code", "execution_count": 1, "metadata": map[string]any{"tags": []string{"keep-explore"}}, "source": "explore.ShowDiagram()",
			"outputs": []any{map[string]any{"output_type": "display_data", "metadata": map[string]any{}, "data": map[string]any{"text/html": h, "text/plain": g.String()}}}},
	}}
	data, err := json.Marshal(nb)
	if err != nil {
		return err
	}
	parsed, err := report.ParseNotebook("catalog.ipynb", data)
	if err != nil {
		return err
	}
	r, err := report.Render(parsed, report.Options{Date: time.Now()})
	if err != nil {
		return err
	}
	reportPage := filepath.Join(b.dir, "report.html")
	if err := os.WriteFile(reportPage, r.HTML, 0o644); err != nil {
		return err
	}
	if err := br.open(reportPage); err != nil {
		return err
	}
	var scripts int
	if err := br.eval(`document.querySelectorAll("script").length`, &scripts); err != nil {
		return err
	}
	if err := br.eval(`(() => { const c = document.querySelector(".rl-card"); if (c) c.scrollIntoView({block: "start"}); return 0; })()`, new(int)); err != nil {
		return err
	}
	if legible, err = br.legible(); err != nil {
		return err
	}
	fmt.Printf("| exported report (%s kB, %d scripts) | table names on the screen at the cards, ≥ 11 px | %d |\n", numfmt.Int(int64(len(r.HTML)/1024)), scripts, len(legible))
	if err := br.screenshot(filepath.Join(b.out, "report-cards.png")); err != nil {
		return err
	}
	var opened struct {
		Open    int
		Visible bool
	}
	if err := br.eval(`(async () => {
		const a = Array.from(document.querySelectorAll(".rl-index .rl-cols a")).find(a => a.textContent.endsWith(".billing_invoice_lines"));
		location.hash = a.getAttribute("href");
		await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
		const el = document.querySelector(a.getAttribute("href")), r = el.getBoundingClientRect();
		return {Open: Array.from(document.querySelectorAll(".rl-sec")).filter(s => getComputedStyle(s).display !== "none").length,
			Visible: r.width > 0 && r.top >= 0 && r.bottom <= innerHeight};
	})()`, &opened); err != nil {
		return err
	}
	fmt.Printf("| exported report | A–Z list → billing_invoice_lines (no script): groups open, table on screen | %d, %v |\n", opened.Open, opened.Visible)
	return br.screenshot(filepath.Join(b.out, "report-table.png"))
}

type browser struct{ ctx context.Context }

func newBrowser() (*browser, func(), error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath("chromium"), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel2 := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx); err != nil {
		cancel2()
		cancel()
		return nil, nil, err
	}
	var once sync.Once
	return &browser{ctx: ctx}, func() { once.Do(func() { cancel2(); cancel() }) }, nil
}

func (b *browser) open(path string) error {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Minute)
	defer cancel()
	return chromedp.Do(ctx, chromedp.EmulateViewport(1600, 1200), chromedp.Navigate("file://"+path))
}

func (b *browser) eval(js string, out any) error {
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](js, chromedp.EvalAwaitPromise))
	if err != nil {
		return err
	}
	return json.Unmarshal(v, out)
}

// legible lists the table names in the map's cards wholly on screen, in type of 11 px or more.
func (b *browser) legible() ([]string, error) {
	var names []string
	err := b.eval(`Array.from(document.querySelectorAll(".rl-card .rl-names a")).filter(a => {
		const r = a.getBoundingClientRect(), fs = parseFloat(getComputedStyle(a).fontSize);
		return r.top >= 0 && r.bottom <= innerHeight && r.width > 0 && fs >= 11;
	}).map(a => a.textContent)`, &names)
	return names, err
}

func (b *browser) screenshot(path string) error {
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}
