package spark

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/frame"
)

// Re-running a cell: the second Load comes from frame's cache without touching Spark or the replica.
func TestACachedLoadTouchesNeitherSparkNorTheReplica(t *testing.T) {
	c, ports := cluster(t)
	ctx := ctxT(t)
	settings := env(t, c, ports...)
	conns := super(t, c, ports[0])
	cell := func() (*Session, *frame.Result) {
		s, _ := open(t, settings)
		if err := s.Table("orders"); err != nil {
			t.Fatal(err)
		}
		r, err := s.Load(ctx, "SELECT status, count(*) AS n, sum(total) AS total FROM orders GROUP BY status ORDER BY status")
		if err != nil {
			t.Fatal(err)
		}
		return s, r
	}
	_, first := cell()
	if first.Source != frame.FromDatabase || first.CacheFile == "" || !strings.HasSuffix(first.Database, " via Spark") {
		t.Fatalf("first run: expected a fresh, cached result from the replicas via Spark, found %s", first)
	}
	resetStatements(t, conns)
	s, again := cell()
	if again.Source != frame.FromCache {
		t.Fatalf("second run: expected the cache, found %s", again)
	}
	if s.spark != nil || s.pool != nil {
		t.Errorf("a cached load connected (Spark: %v, replica: %v)", s.spark != nil, s.pool != nil)
	}
	if _, calls := statements(t, conns, "orders"); calls != 0 {
		t.Errorf("a cached load ran %d statements on orders on the replica", calls)
	}
	sameFrames(t, "cached vs fresh", again.DataFrame, first.DataFrame)
	if !strings.Contains(again.String(), "from cache") || !strings.Contains(again.String(), "via Spark") {
		t.Errorf("the provenance line should say cache and Spark: %s", again)
	}

	// Another query, or another definition of the view, is computed again.
	s2, _ := open(t, settings)
	if err := s2.Table("orders", Partitions(3)); err != nil {
		t.Fatal(err)
	}
	r, err := s2.Load(ctx, "SELECT status, count(*) AS n, sum(total) AS total FROM orders GROUP BY status ORDER BY status")
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != frame.FromDatabase {
		t.Errorf("a view read differently must not reuse the cache: %s", r)
	}
}

// statements counts the statements on table that pg_stat_statements saw on conn's server since the
// last reset (planning lookups and schema probes too: anything that touched the table).
func statements(t *testing.T, conn *pgx.Conn, table string) (rows, calls int64) {
	t.Helper()
	err := conn.QueryRow(context.Background(), `SELECT coalesce(sum(rows), 0)::int8, coalesce(sum(calls), 0)::int8
		FROM pg_stat_statements WHERE query ILIKE '%"public"."' || $1 || '"%' OR query ~* ('\m' || $1 || '\M(?!_)')`, table).Scan(&rows, &calls)
	if err != nil {
		t.Fatal(err)
	}
	return rows, calls
}

func TestASnapshotIsReadOnceThenReusedInsteadOfTheReplica(t *testing.T) {
	c, ports := cluster(t)
	ctx := ctxT(t)
	settings := env(t, c, ports...)
	conns := super(t, c, ports[0])
	const query = "SELECT status, count(*) AS n, round(sum(total), 2) AS total FROM orders GROUP BY status ORDER BY status"
	cell := func(opts ...Option) (*Session, *frame.Result) {
		s, _ := open(t, settings)
		if err := s.Table("orders", append([]Option{Snapshot()}, opts...)...); err != nil {
			t.Fatal(err)
		}
		r, err := s.Load(ctx, query, NoCache())
		if err != nil {
			t.Fatal(err)
		}
		return s, r
	}
	resetStatements(t, conns)
	s1, taken := cell()
	if _, calls := statements(t, conns, "orders"); calls == 0 {
		t.Fatal("taking the snapshot read nothing from the replica")
	}
	snaps, _ := filepath.Glob(filepath.Join(settings[KeyDir], "snapshots", "orders-*.json"))
	if len(snaps) != 1 {
		t.Fatalf("expected one snapshot record, found %v", snaps)
	}
	_ = s1

	resetStatements(t, conns)
	before := time.Now()
	s2, reused := cell()
	if _, calls := statements(t, conns, "orders"); calls != 0 {
		t.Errorf("the next cell read orders from the replica again (%d statements) instead of the snapshot", calls)
	}
	if s2.pool != nil {
		t.Errorf("reading a snapshot connected to the replica")
	}
	sameFrames(t, "snapshot vs replica", reused.DataFrame, taken.DataFrame)
	if !reused.FetchedAt.Before(before) || !strings.Contains(strings.Join(reused.Warnings, " "), "snapshot taken") {
		t.Errorf("a result from a snapshot should say when the data was read (%v) and that it came from the snapshot: %v", reused.FetchedAt, reused.Warnings)
	}

	// Refresh reads the replica again and replaces the snapshot.
	resetStatements(t, conns)
	s3, _ := open(t, settings)
	if err := s3.Table("orders", Snapshot()); err != nil {
		t.Fatal(err)
	}
	if _, err := s3.Load(ctx, query, Refresh()); err != nil {
		t.Fatal(err)
	}
	if _, calls := statements(t, conns, "orders"); calls == 0 {
		t.Error("Refresh should read the replica again")
	}
	dirs, _ := filepath.Glob(filepath.Join(settings[KeySnapshotDir], "orders-*-*"))
	var data int
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			data++
		}
	}
	if data != 1 {
		t.Errorf("expected the new snapshot to replace the old one, found %d snapshot folders: %v", data, dirs)
	}
}
