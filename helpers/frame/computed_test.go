package frame_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/provenance"
)

// A result computed by another engine goes through frame's cache, display and type handling.
func TestLoadComputedCachesAndShowsLikeLoad(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	t.Cleanup(display.Use(&display.Text{Out: &out, Err: &out}))
	cfg, err := config.LoadFrom(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "cache")
	snapshot := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Second)
	calls := 0
	compute := func(_ context.Context, limit int) (*frame.Computed, error) {
		calls++
		if limit != 1_000_000 {
			t.Errorf("compute got limit %d, expected the default row limit", limit)
		}
		return &frame.Computed{Rows: 3, FetchedAt: snapshot, LagKnown: true, Lag: 1500 * time.Millisecond,
			Warnings: []string{"read from a snapshot"},
			Columns: []frame.ColumnValues{
				{Column: frame.Column{Name: "kind", Type: "string", Kind: frame.Text}, Strings: []string{"NaN", "NA", ""}, Null: []bool{false, false, true}},
				{Column: frame.Column{Name: "n", Type: "bigint", Kind: frame.Integer}, Ints: []int{1 << 60, -2, 0}},
				{Column: frame.Column{Name: "share", Type: "double", Kind: frame.Float, NaNs: 1}, Floats: []float64{0.5, math.NaN(), 0}, Null: []bool{false, false, true}},
				{Column: frame.Column{Name: "day", Type: "date", Kind: frame.Date}, Floats: []float64{frame.Unix(snapshot), 0, 86400}},
			}}, nil
	}
	opts := []frame.Option{frame.WithConfig(cfg), frame.CacheDir(dir)}
	spark := func(key string) frame.Computation {
		return frame.Computation{Engine: "Spark", Database: "analyst@h1:5432,h2:5432/shop via Spark", Query: "SELECT kind, count(*) ...", Key: key, Compute: compute}
	}
	r, err := frame.LoadComputed(ctx, spark("views: events"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	df := r.DataFrame
	if v := df.Col("kind").Elem(0); v.IsNA() || v.String() != "NaN" {
		t.Errorf("the string \"NaN\" must stay a string, found %v (missing %v)", v, v.IsNA())
	}
	if v := df.Col("kind").Elem(1); v.IsNA() || v.String() != "NA" {
		t.Errorf("the string \"NA\" must stay a string, found %v", v)
	}
	if !df.Col("kind").Elem(2).IsNA() || !r.IsNull("kind", 2) || r.IsNull("kind", 0) {
		t.Errorf("NULL must be missing and IsNull")
	}
	if v, _ := df.Col("n").Elem(0).Int(); v != 1<<60 {
		t.Errorf("a 61-bit integer came back as %d", v)
	}
	if c, _ := r.Column("share"); c.Nulls != 1 || c.NaNs != 1 || r.IsNull("share", 1) || !r.IsNull("share", 2) {
		t.Errorf("NaN and NULL must be told apart: %+v", c)
	}
	if !r.FetchedAt.Equal(snapshot) || !r.LagKnown || r.Lag != 1500*time.Millisecond || r.Source != frame.FromDatabase {
		t.Errorf("provenance: fetched %v lag %v (%v) source %s", r.FetchedAt, r.Lag, r.LagKnown, r.Source)
	}
	if l, ok := provenance.FrameLineage(r.DataFrame); !ok || l.Engine != "Spark" || l.SQL != "SELECT kind, count(*) ..." || !l.FetchedAt.Equal(snapshot) {
		t.Errorf("the result's lineage should name the engine, its query and when the data was read: %+v (%v)", l, ok)
	}
	line := out.String()
	if !strings.Contains(line, "3 rows × 4 columns from analyst@h1:5432,h2:5432/shop via Spark") || !strings.Contains(line, "read from a snapshot") {
		t.Errorf("expected the provenance line and the engine's warning, found %q", line)
	}

	// The same query and key: from the cache, without computing. Another key: computed again.
	out.Reset()
	// (The snapshot is older than the TTL: the TTL counts from when the result was computed.)
	again, err := frame.LoadComputed(ctx, spark("views: events"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || again.Source != frame.FromCache || again.DataFrame.Col("kind").Elem(0).String() != "NaN" {
		t.Errorf("expected the cached result without computing again (calls %d, source %s)", calls, again.Source)
	}
	if _, err := frame.LoadComputed(ctx, spark("views: orders"), opts...); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Errorf("another key must compute again (calls %d)", calls)
	}

	// Bad columns are refused with what was expected.
	_, err = frame.LoadComputed(ctx, frame.Computation{Engine: "E", Database: "db", Query: "q", Compute: func(context.Context, int) (*frame.Computed, error) {
		return &frame.Computed{Rows: 2, Columns: []frame.ColumnValues{{Column: frame.Column{Name: "x", Kind: frame.Integer}, Ints: []int{1}}}}, nil
	}}, frame.WithConfig(cfg), frame.NoCache())
	if err == nil || !strings.Contains(err.Error(), `column "x" (integer): expected 2 values, found 1`) {
		t.Errorf("a short column: expected a clear error, found %v", err)
	}
	boom := errors.New("engine failed")
	if _, err := frame.LoadComputed(ctx, frame.Computation{Engine: "E", Database: "db", Query: "q", Compute: func(context.Context, int) (*frame.Computed, error) { return nil, boom }},
		frame.WithConfig(cfg), frame.NoCache()); !errors.Is(err, boom) {
		t.Errorf("the engine's error must come back, found %v", err)
	}
	if _, err := frame.LoadComputed(ctx, frame.Computation{Engine: "E", Database: "db", Query: "q", Compute: compute}, frame.WithConfig(cfg), frame.Args(1)); err == nil {
		t.Error("Args must be refused")
	}
}
