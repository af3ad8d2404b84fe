package spark

import (
	"context"
	"errors"
	"fmt"
	"html"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/apache/spark-connect-go/spark/sql"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/numfmt"
	"github.com/replicalab/replicalab/internal/sparkserver"
)

// prepare registers every view in the Spark session: planned JDBC reads of the replicas, or the
// snapshot that stands for them. Views already registered are kept unless refresh.
func (s *Session) prepare(ctx context.Context, refresh bool) (sql.SparkSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, err := s.sparkLocked(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range s.views {
		if v.df != nil && !refresh {
			continue
		}
		if err := s.registerView(ctx, sp, v, refresh); err != nil {
			return nil, err
		}
	}
	return sp, nil
}

// registerView makes v a temporary view of the Spark session.
func (s *Session) registerView(ctx context.Context, sp sql.SparkSession, v *view, refresh bool) error {
	if v.Snapshot && !refresh {
		meta, err := s.findSnapshot(v)
		if err != nil {
			return err
		}
		if meta != nil {
			df, err := sp.Read().Format("parquet").Load(meta.Path)
			if err != nil {
				return fmt.Errorf("spark: reading snapshot %s: %w", meta.Path, err)
			}
			if err := df.CreateOrReplaceTempView(ctx, v.Name); err != nil {
				return fmt.Errorf("spark: reading snapshot %s of view %q: %w", meta.Path, v.Name, err)
			}
			v.df, v.snap, v.plan = df, meta, nil
			v.readFrom = "snapshot " + meta.String()
			return nil
		}
	}
	rs, pool, err := s.replicasLocked(ctx)
	if err != nil {
		return err
	}
	p := v.plan
	if p == nil || refresh {
		if p, err = s.planView(ctx, pool, rs, v); err != nil {
			return err
		}
	}
	df, err := s.sparkRead(ctx, sp, rs, v, p)
	if err != nil {
		return err
	}
	v.plan, v.snap = p, nil
	v.readFrom = p.String()
	if v.Snapshot {
		meta, err := s.takeSnapshot(ctx, sp, v, df, rs)
		if err != nil {
			return err
		}
		if df, err = sp.Read().Format("parquet").Load(meta.Path); err != nil {
			return fmt.Errorf("spark: reading snapshot %s: %w", meta.Path, err)
		}
		v.snap = meta
		v.readFrom = "snapshot " + meta.String()
	}
	if err := df.CreateOrReplaceTempView(ctx, v.Name); err != nil {
		return s.explain(fmt.Errorf("spark: registering view %q: %w", v.Name, err))
	}
	v.df = df
	return nil
}

// Query runs a Spark SQL query over the registered views (reading them as planned) and returns the
// Spark DataFrame, for the DataFrame API. Nothing is computed until an action (Collect, ...).
func (s *Session) Query(ctx context.Context, query string) (sql.DataFrame, error) {
	sp, err := s.prepare(ctx, false)
	if err != nil {
		return nil, err
	}
	df, err := sp.Sql(ctx, query)
	if err != nil {
		return nil, s.explain(fmt.Errorf("spark: %w", err))
	}
	return df, nil
}

// View returns the registered view name as a Spark DataFrame, for the DataFrame API.
func (s *Session) View(ctx context.Context, name string) (sql.DataFrame, error) {
	sp, err := s.prepare(ctx, false)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.views {
		if v.Name == name {
			return sp.Table(name)
		}
	}
	return nil, fmt.Errorf("spark: expected a registered view (%s), found %q: register it with Table or QueryView first", s.viewNamesLocked(), name)
}

func (s *Session) viewNamesLocked() string {
	if len(s.views) == 0 {
		return "none registered"
	}
	var names []string
	for _, v := range s.views {
		names = append(names, v.Name)
	}
	return strings.Join(names, ", ")
}

// explain makes a Spark error readable and safe: the password, if a driver quoted it, is masked; Java
// stack traces are cut (the server's log keeps them); the usual causes get a hint.
func (s *Session) explain(err error) error {
	if err == nil {
		return nil
	}
	err = scrub(err, s.password)
	msg := err.Error()
	short := redactText.ReplaceAllString(shortSparkError(msg), "*********(redacted)")
	var hint string
	var also error
	switch {
	case strings.Contains(msg, "is a primary, not a read replica"):
		hint, also = "a host in the settings is not a read replica", ErrPrimary
	case strings.Contains(msg, "read-only transaction"):
		hint = "the replicas are read-only: the Spark path cannot write to them"
	case strings.Contains(msg, "statement timeout"):
		hint = "a partition's query ran past REPLICALAB_STATEMENT_TIMEOUT: use more partitions, a narrower query, or a longer timeout"
	case strings.Contains(msg, "conflict with recovery"):
		hint = "the replica cancelled a partition's query to apply changes from the primary: retry, use more partitions (shorter queries), or ask for hot_standby_feedback"
	case strings.Contains(msg, "password authentication failed"), strings.Contains(msg, "FAILED_JDBC.CONNECTION"):
		hint = "Spark could not log in to a replica: check the replica settings (RDS_PASSWORD, DATABASE_URL) and that the Spark workers can reach the replica's host"
	}
	if short == msg && hint == "" {
		return err
	}
	if hint != "" {
		short += " (" + hint + ")"
	}
	if also != nil {
		return fmt.Errorf("%s: %w", short, also)
	}
	if short == msg {
		return fmt.Errorf("%w (%s)", err, hint)
	}
	return errors.New(short)
}

// redactText masks what Spark's own string redaction masks (spark-connect-go quotes the SQL it ran in
// its errors).
var redactText = regexp.MustCompile(sparkserver.StringRedactionRegex)

// shortSparkError drops Java stack frames and repeated error classes from a Spark error message.
func shortSparkError(msg string) string {
	var keep []string
	for _, line := range strings.Split(msg, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "at ") || strings.HasPrefix(t, "... ") || strings.HasPrefix(t, "Caused by:") && len(keep) > 3 {
			continue
		}
		keep = append(keep, line)
	}
	out := strings.Join(keep, "\n")
	if len(out) > 2000 {
		out = out[:2000] + "… (the Spark server's log has the rest)"
	}
	return out
}

// Load runs a Spark SQL query over the registered views and brings its (small) result into the
// notebook as a helpers/frame Result: the same gota types, provenance line and cache as frame.Load.
// The cache key is the replicas, the views' definitions and the query: a cached result touches neither
// Spark nor the replicas. Options: Refresh, NoCache, TTL, Limit, CacheDir, Quiet.
func (s *Session) Load(ctx context.Context, query string, opts ...Option) (*frame.Result, error) {
	return s.load(ctx, query, "sql:"+query, func(ctx context.Context) (sql.DataFrame, error) { return s.Query(ctx, query) }, opts)
}

// Collect brings the rows of a Spark DataFrame (built with Query, View and the DataFrame API) into the
// notebook as a helpers/frame Result, like Load. It is cached when the DataFrame's plan can be read
// (spark-connect-go keeps it unexported; see planKey): the key is then the replicas, the views and the
// plan. Options: as Load.
func (s *Session) Collect(ctx context.Context, df sql.DataFrame, opts ...Option) (*frame.Result, error) {
	if df == nil {
		return nil, errors.New("spark: expected a DataFrame to collect, found nil")
	}
	key, ok := planKey(df)
	if !ok {
		opts = append(opts, NoCache())
	}
	return s.load(ctx, "(a Spark DataFrame)", "plan:"+key, func(context.Context) (sql.DataFrame, error) { return df, nil }, opts)
}

// Database is what a session's results say they came from, and part of their cache key:
// "user@host:port,host:port/database via Spark".
func (s *Session) Database() string { return s.Target() + " via Spark" }

func (s *Session) load(ctx context.Context, query, key string, build func(context.Context) (sql.DataFrame, error), opts []Option) (*frame.Result, error) {
	o := collect(opts)
	fopts := []frame.Option{frame.WithConfig(s.cfg)}
	if o.refresh {
		fopts = append(fopts, frame.Refresh())
	}
	if o.noCache {
		fopts = append(fopts, frame.NoCache())
	}
	if o.ttl != nil {
		fopts = append(fopts, frame.TTL(*o.ttl))
	}
	if o.limit != nil {
		fopts = append(fopts, frame.Limit(*o.limit))
	}
	if o.cacheDir != "" {
		fopts = append(fopts, frame.CacheDir(o.cacheDir))
	}
	if o.quiet || s.quiet {
		fopts = append(fopts, frame.Quiet())
	}
	compute := func(ctx context.Context, limit int) (c *frame.Computed, err error) {
		ctx, mark, done := s.startLoad(ctx)
		defer done()
		defer func() {
			if err != nil && mark.interrupted.Load() && !errors.Is(err, ErrInterrupted) {
				err = fmt.Errorf("%w (%s): %w", ErrInterrupted, shortQuery(query), err)
			}
		}()
		if _, err := s.prepare(ctx, o.refresh); err != nil {
			return nil, err
		}
		start := time.Now().UTC()
		df, err := build(ctx)
		if err != nil {
			return nil, err
		}
		if limit > 0 { // Spark computes it all; only limit+1 rows cross to the notebook
			df = df.Limit(ctx, int32(min(limit+1, math.MaxInt32)))
		}
		tbl, err := df.ToArrow(ctx)
		if err != nil {
			return nil, s.explain(fmt.Errorf("spark: running %s: %w", shortQuery(query), err))
		}
		defer (*tbl).Release()
		cols, n, err := fromArrow(*tbl, limit)
		if err != nil {
			return nil, err
		}
		c = &frame.Computed{Rows: n, Truncated: limit > 0 && int64(n) < (*tbl).NumRows(), Columns: cols}
		s.provenance(c, start)
		return c, nil
	}
	return frame.LoadComputed(ctx, frame.Computation{Engine: "Spark", Database: s.Database(), Query: query,
		Key: s.viewsKey() + key, Compute: compute}, fopts...)
}

// provenance says when the data of the registered views was read from the replicas and at what lag:
// now for views read live (at the lag measured when the replicas were checked), a snapshot's time for
// views read from one; the oldest and the largest.
func (s *Session) provenance(c *frame.Computed, start time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := start
	for _, r := range s.replicas {
		if r.LagKnown {
			c.LagKnown, c.Lag = true, max(c.Lag, r.Lag)
		}
	}
	for _, v := range s.views {
		if v.snap == nil {
			continue
		}
		if v.snap.TakenAt.Before(at) {
			at = v.snap.TakenAt
		}
		if v.snap.LagKnown {
			c.LagKnown, c.Lag = true, max(c.Lag, v.snap.Lag)
		}
		c.Warnings = append(c.Warnings, fmt.Sprintf("view %s read from its snapshot taken %s (%s rows): Refresh() reads the replicas again",
			v.Name, v.snap.TakenAt.UTC().Format("2006-01-02 15:04 UTC"), numfmt.Int(v.snap.Rows)))
	}
	c.FetchedAt = at
}

func shortQuery(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 80 {
		q = q[:77] + "..."
	}
	return q
}

// say shows a status line: HTML in a notebook, stderr elsewhere.
func (s *Session) say(line string) {
	if s.quiet {
		return
	}
	display.Show(display.Output{Kind: display.Status, Text: line,
		HTML: `<div class="replicalab-spark" style="font-family:monospace;color:#555">` + html.EscapeString(line) + `</div>`})
}
