package chart_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"

	"github.com/replicalab/replicalab/helpers/chart"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/provenance"
)

// sidecar reads the record Save wrote beside a figure.
func sidecar(t *testing.T, c *chart.Chart) (provenance.Record, []string) {
	t.Helper()
	if c.Err != nil {
		t.Fatal(c.Err)
	}
	path := c.Files[len(c.Files)-1]
	if filepath.Ext(path) != ".json" {
		t.Fatalf("Save wrote %v, no JSON record", c.Files)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := provenance.ParseRecord(data)
	if err != nil {
		t.Fatal(err)
	}
	var files struct{ Files []string }
	_ = json.Unmarshal(data, &files)
	return rec, files.Files
}

// shown is what Show sent to the notebook: the record in the display's metadata.
func shown(t *testing.T, c *chart.Chart) provenance.Record {
	t.Helper()
	rec := &display.Recorder{Rich: true}
	restore := display.Use(rec)
	c.Show()
	restore()
	outs := rec.Outputs()
	if len(outs) != 1 {
		t.Fatalf("Show sent %d outputs", len(outs))
	}
	text, ok := outs[0].Metadata[provenance.MetadataKey].(string)
	if !ok {
		t.Fatalf("the record in the display's metadata is not JSON text: %#v", outs[0].Metadata[provenance.MetadataKey])
	}
	r, err := provenance.ParseRecord([]byte(text))
	if err != nil {
		t.Fatalf("no record in the display's metadata %v: %v", outs[0].Metadata, err)
	}
	return r
}

func TestChartsOfALoadedFrameRecordItsQuery(t *testing.T) {
	db, _ := replicaPool(t)
	ctx := context.Background()
	t.Setenv("REPLICALAB_REPO", t.TempDir())
	const sql = "SELECT status::text AS status, total, placed_at FROM orders WHERE currency = $1"
	res, err := frame.Load(ctx, db, sql, frame.Args("EUR"), frame.NoCache(), frame.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	c := chart.Bar(res.DataFrame, "status", chart.Title("EUR orders per status")).Save("eur-status")
	rec, files := sidecar(t, c)
	if rec.Kind != provenance.Figure || rec.Title != "EUR orders per status" || rec.Name != "eur-status" || !strings.HasPrefix(rec.Note, "n = ") ||
		strings.Join(files, " ") != "eur-status.png eur-status.svg" {
		t.Errorf("sidecar %+v, files %v", rec, files)
	}
	if len(rec.Sources) != 1 {
		t.Fatalf("sidecar sources: %+v", rec.Sources)
	}
	l := rec.Sources[0]
	if l.SQL != sql || len(l.Args) != 1 || l.Args[0].Value != "EUR" || l.Rows != res.Rows || l.LagSeconds == nil ||
		!l.FetchedAt.Equal(res.FetchedAt.UTC().Truncate(time.Nanosecond)) && l.FetchedAt.Sub(res.FetchedAt).Abs() > time.Millisecond {
		t.Errorf("lineage %+v (result: %d rows fetched %v)", l, res.Rows, res.FetchedAt)
	}
	n := l.Numbers
	if n == nil || n.Total != res.Rows || len(n.Columns) != 1 || n.Columns[0] != "total" {
		t.Fatalf("numbers %+v", n)
	}
	// The same record goes into the notebook output, and onto the <img> of HTML.
	if got := shown(t, c); got.Name != "eur-status" || len(got.Sources) != 1 || got.Sources[0].SQL != sql {
		t.Errorf("Show's record: %+v", got)
	}
	if h := c.HTML(); !strings.Contains(h, `data-replicalab-kind="figure"`) || !strings.Contains(h, "currency = $1") {
		t.Errorf("HTML lacks the record: %.300s", h)
	}
	// A chart of a DataFrame made in Go says so: no query.
	mine := dataframe.New(series.New([]string{"a", "b", "a"}, series.String, "k"))
	if rec, _ := sidecar(t, chart.Bar(mine, "k").Save("mine")); len(rec.Sources) != 0 {
		t.Errorf("a hand-made DataFrame has sources %+v", rec.Sources)
	}
	// Derived frames keep no lineage (Filter copies the columns).
	if rec := shown(t, chart.Histogram(res.DataFrame.Subset([]int{0, 1, 2}), "total")); len(rec.Sources) != 0 {
		t.Errorf("a derived DataFrame has sources %+v", rec.Sources)
	}
}

func TestSQLChartsRecordTheQueriesTheyRan(t *testing.T) {
	db, _ := replicaPool(t)
	ctx := context.Background()
	t.Setenv("REPLICALAB_REPO", t.TempDir())
	// A column of a table: pg_stats gives the range, one query bins it.
	if rec := shown(t, chart.HistogramQuery(ctx, db, "SELECT total FROM orders")); len(rec.Sources) != 1 || !strings.Contains(rec.Sources[0].SQL, "width_bucket") {
		t.Fatalf("a table's column: want the one bins query, got %+v", rec.Sources)
	}
	// Filtered to a much narrower range than pg_stats knows: binned again over the exact range.
	c := chart.HistogramQuery(ctx, db, "SELECT total FROM orders WHERE currency = $1", chart.Args("EUR")).Save("totals")
	rec, _ := sidecar(t, c)
	if len(rec.Sources) != 2 || !strings.Contains(rec.Sources[0].SQL, "width_bucket") {
		t.Fatalf("a narrow filter: want two bins queries, got %d: %+v", len(rec.Sources), rec.Sources)
	}
	bins := rec.Sources[1]
	// An expression: the range first, then the bins.
	rec = shown(t, chart.HistogramQuery(ctx, db, "SELECT total * 2 FROM orders WHERE currency = $1", chart.Args("EUR")))
	if len(rec.Sources) != 2 {
		t.Fatalf("an expression: want the range query and the bins query, got %d: %+v", len(rec.Sources), rec.Sources)
	}
	if rng := rec.Sources[0]; !strings.Contains(rng.SQL, "min(v)") || rng.Rows != 1 || len(rng.Args) != 1 || rng.Args[0].Value != "EUR" {
		t.Errorf("range query %+v", rng)
	}
	if !strings.Contains(bins.SQL, "width_bucket") || len(bins.Args) != 2 || bins.Args[1].Type != "float[]" || bins.LagSeconds == nil || bins.Numbers == nil {
		t.Fatalf("bins query %+v", bins)
	}
	total := 0.0
	for _, r := range bins.Numbers.Rows {
		total += *r.Values[1]
	}
	var eur int
	if err := db.QueryRow(ctx, "SELECT count(*) FROM orders WHERE currency = 'EUR'").Scan(&eur); err != nil {
		t.Fatal(err)
	}
	if int(total) != eur || c.Stats().Rows != eur {
		t.Errorf("the recorded bins count %v rows, the table has %d", total, eur)
	}
	// TimeCountsSQL with Between reads once.
	from, to := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	rec = shown(t, chart.TimeCountsQuery(ctx, db, "SELECT placed_at FROM orders", chart.Between(from, to), chart.Every(chart.Month)))
	if len(rec.Sources) != 1 || !strings.Contains(rec.Sources[0].SQL, "date_trunc") {
		t.Errorf("time counts record: %+v", rec.Sources)
	}
}

func TestCountAxesStartAtZeroWithHeadroom(t *testing.T) {
	days := make([]time.Time, 10)
	counts := make([]float64, 10)
	for i := range days {
		days[i] = time.Date(2025, 3, 1+i, 0, 0, 0, 0, time.UTC)
		counts[i] = float64(900 + 10*i) // a count far from zero
	}
	c := chart.TimeSeriesOf("orders", days, counts)
	if c.Err != nil {
		t.Fatal(c.Err)
	}
	if c.Y.Min != 0 || c.Y.Max < 990*1.04 {
		t.Errorf("count axis from %v to %v, want from 0 with room above 990", c.Y.Min, c.Y.Max)
	}
	// Measurements (not whole numbers) keep their range, with room on both sides.
	for i := range counts {
		counts[i] = 20.5 + math.Sin(float64(i))
	}
	c = chart.TimeSeriesOf("temperature", days, counts)
	lo, hi := 20.5-math.Sin(4.71), 20.5+1.0
	if c.Y.Min <= 0 || c.Y.Min >= 19.5 || c.Y.Max <= hi {
		t.Errorf("measurement axis from %v to %v for values within [%.2f, %.2f]", c.Y.Min, c.Y.Max, lo, hi)
	}
}
