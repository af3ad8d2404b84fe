package frame_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/chart"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/provenance"
	"github.com/replicalab/replicalab/internal/report"
)

// TestCutLoadsAreTheSameRows: a load cut at the row limit returns the same rows each time on a table
// large enough for synchronized scans (wider than shared_buffers / 4, where another session's scan
// moves where the next one starts), and says so; a Sampled load is a random sample of the whole table,
// the same each time; the chart drawn from either and the exported report say which part they hold.
func TestCutLoadsAreTheSameRows(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	primary := superuser(t, e.c.SuperuserURL())
	standby := superuser(t, e.c.ReplicaSuperuserURL())

	// A table of 1.5 × shared_buffers / 4 (rows of about 140 bytes).
	var buffers int64
	if err := standby.QueryRow(ctx, "SELECT setting::int8 * 8192 FROM pg_settings WHERE name = 'shared_buffers'").Scan(&buffers); err != nil {
		t.Fatal(err)
	}
	total := int(buffers / 4 * 3 / 2 / 140)
	mustExec(t, primary, "DROP TABLE IF EXISTS cut_wide")
	mustExec(t, primary, fmt.Sprintf("CREATE TABLE cut_wide AS SELECT g AS id, md5(g::text) AS a, md5((-g)::text) AS b, g %% 97 AS k FROM generate_series(1, %d) AS g", total))
	mustExec(t, primary, "ANALYZE cut_wide")
	mustExec(t, primary, "GRANT SELECT ON cut_wide TO "+e.c.User)
	t.Cleanup(func() { _, _ = primary.Exec(context.Background(), "DROP TABLE IF EXISTS cut_wide") })
	if err := e.c.WaitReplayed(ctx); err != nil {
		t.Fatal(err)
	}
	var size int64
	if err := standby.QueryRow(ctx, "SELECT pg_relation_size('cut_wide')").Scan(&size); err != nil || size <= buffers/4 {
		t.Fatalf("cut_wide is %d bytes, shared_buffers %d: expected more than a quarter (%v)", size, buffers, err)
	}

	const limit = 5000
	// Another session with synchronized scans (the server's default): its cut scans start where the
	// previous scan of the table stopped. That is what the test guards against; check it happens here.
	// Cut as frame cuts a load: stop reading and cancel the query (reading to the end would leave the
	// next scan starting where this one started). Cancelling closes the connection: one each time.
	firstIDs := func() []int64 {
		conn, err := pgx.Connect(ctx, e.c.ReplicaURL()+"&synchronize_seqscans=on")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		qctx, cancel := context.WithCancel(ctx)
		defer cancel()
		rows, err := conn.Query(qctx, "SELECT id FROM cut_wide")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { cancel(); rows.Close() }()
		var ids []int64
		for len(ids) < limit && rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		return ids
	}
	a, b := firstIDs(), firstIDs()
	if slices.Equal(a, b) {
		t.Fatalf("two cut scans with synchronize_seqscans on returned the same rows (first id %d): synchronized scans did not kick in, the test proves nothing", a[0])
	}

	// Three cut loads, the other session scanning in between: the same rows, the first of the table.
	var loads []*frame.Result
	for i := 0; i < 3; i++ {
		firstIDs()
		loads = append(loads, e.load("SELECT id, a, k FROM cut_wide", frame.Limit(limit), frame.NoCache()))
	}
	ids := func(r *frame.Result) []int {
		v, err := r.DataFrame.Col("id").Int()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for i, r := range loads {
		if r.Rows != limit || !r.Truncated || r.Sample != "" || r.Ordered || r.OfExact || math.Abs(float64(r.Of-int64(total))) > 0.1*float64(total) {
			t.Errorf("load %d: rows %d, truncated %v, sample %q, ordered %v, of %d (exact %v); want %d cut rows of about %d",
				i+1, r.Rows, r.Truncated, r.Sample, r.Ordered, r.Of, r.OfExact, limit, total)
		}
		if got := ids(r); !slices.Equal(got, ids(loads[0])) {
			t.Errorf("load %d returned other rows than load 1: ids from %d, not %d", i+1, got[0], ids(loads[0])[0])
		}
	}
	if got := ids(loads[0]); got[0] != 1 || got[limit-1] != limit {
		t.Errorf("the cut load holds ids %d to %d, want the table's first rows, 1 to %d", got[0], got[limit-1], limit)
	}
	approx := "≈" + formatInt(provenance.RoundRows(int64(total)))
	for _, want := range []string{
		"5,000 rows × 3 columns (of " + approx + " rows, cut by the row limit)",
		"kept the first 5,000 rows of " + approx + ", in no particular order: not a sample (cut by the row limit)",
		"add frame.Sampled()",
	} {
		if !strings.Contains(e.out.String(), want) {
			t.Errorf("the load line lacks %q:\n%s", want, e.out.String())
		}
	}

	// Its ORDER BY: the first rows in that order, and said so.
	ordered := e.load("SELECT id, a FROM cut_wide ORDER BY id DESC", frame.Limit(limit), frame.NoCache())
	if got := ids(ordered); !ordered.Ordered || got[0] != total {
		t.Errorf("ORDER BY id DESC: ordered %v, first id %d; want the last rows first", ordered.Ordered, got[0])
	}

	// Sampled: a random sample of the whole table, the same rows each time, not its first rows.
	var samples []*frame.Result
	for i := 0; i < 3; i++ {
		firstIDs()
		samples = append(samples, e.load("SELECT id, a, k FROM cut_wide", frame.Limit(limit), frame.Sampled(), frame.NoCache()))
	}
	for i, r := range samples {
		got := ids(r)
		slices.Sort(got)
		first := ids(samples[0])
		slices.Sort(first)
		if !slices.Equal(got, first) {
			t.Errorf("sample %d holds other rows than sample 1", i+1)
		}
		if r.Truncated || r.Sample == "" || !r.OfExact || r.Of != int64(total) || r.Rows > limit || r.Rows < limit-6*int(math.Sqrt(limit)) {
			t.Errorf("sample %d: %d rows, truncated %v, sample %q, of %d (exact %v); want about %d of exactly %d",
				i+1, r.Rows, r.Truncated, r.Sample, r.Of, r.OfExact, limit, total)
		}
		mean := 0.0
		for _, id := range got {
			mean += float64(id)
		}
		mean /= float64(len(got))
		if math.Abs(mean-float64(total)/2) > 0.05*float64(total) || got[len(got)-1] < total*9/10 {
			t.Errorf("sample %d: mean id %.0f, largest %d: not spread over the %d rows", i+1, mean, got[len(got)-1], total)
		}
	}
	if other := e.load("SELECT id, a, k FROM cut_wide", frame.Limit(limit), frame.Sampled(), frame.Seed(2), frame.NoCache()); slices.Equal(ids(other), ids(samples[0])) {
		t.Errorf("Seed(2) gave the same sample as the default seed")
	}
	sampleLine := fmt.Sprintf("kept a random sample of %s of %s rows: each row kept with probability", formatInt(int64(samples[0].Rows)), formatInt(int64(total)))
	if !strings.Contains(e.out.String(), sampleLine) {
		t.Errorf("the load line lacks %q:\n%s", sampleLine, e.out.String())
	}

	// A query that fits is loaded whole, even with Sampled.
	if r := e.load("SELECT id FROM cut_wide WHERE id <= 10", frame.Limit(limit), frame.Sampled(), frame.NoCache()); r.Rows != 10 || r.Sample != "" || r.Truncated {
		t.Errorf("10 rows with Sampled: %d rows, sample %q, truncated %v; want all 10, not sampled", r.Rows, r.Sample, r.Truncated)
	}

	// The cache keeps the facts: a cached copy says the same.
	cached := e.load("SELECT id, a, k FROM cut_wide", frame.Limit(limit))
	again := e.load("SELECT id, a, k FROM cut_wide", frame.Limit(limit))
	if again.Source != frame.FromCache || !again.Truncated || again.Of != cached.Of || again.Sample != "" {
		t.Errorf("cached copy: source %s, truncated %v, of %d (fetched: %d)", again.Source, again.Truncated, again.Of, cached.Of)
	}
	cachedSample := e.load("SELECT id, a, k FROM cut_wide", frame.Limit(limit), frame.Sampled())
	againSample := e.load("SELECT id, a, k FROM cut_wide", frame.Limit(limit), frame.Sampled())
	if againSample.Source != frame.FromCache || againSample.Sample != cachedSample.Sample || againSample.Sample == "" || !againSample.OfExact {
		t.Errorf("cached sample: source %s, sample %q, exact %v", againSample.Source, againSample.Sample, againSample.OfExact)
	}

	// The chart drawn from each says which part it drew, and so does the report exported from it.
	for _, tc := range []struct {
		r         *frame.Result
		note, rep string
	}{
		{again, "n = 5,000 of " + approx + " rows, cut by the row limit",
			"The first 5,000 rows of " + approx + ", in no particular order: not a sample (cut by the row limit)"},
		{againSample, fmt.Sprintf("n = %s of %s rows, a random sample", formatInt(int64(againSample.Rows)), formatInt(int64(total))),
			fmt.Sprintf("A random sample of %s of %s rows: each row kept with probability", formatInt(int64(againSample.Rows)), formatInt(int64(total)))},
	} {
		c := chart.Histogram(tc.r.DataFrame, "k", chart.Title("k"))
		if c.Err != nil {
			t.Fatal(c.Err)
		}
		if got := c.Stats().Note; !strings.HasPrefix(got, tc.note) {
			t.Errorf("chart note %q, want it to start with %q", got, tc.note)
		}
		html := exportChart(t, c)
		for _, want := range []string{tc.rep, "SELECT"} {
			if !strings.Contains(html, want) {
				t.Errorf("the report lacks %q", want)
			}
		}
	}
}

// exportChart renders a one-cell notebook holding the chart as shown in a notebook, as the report
// exporter does, and returns the report's HTML (text-decoded).
func exportChart(t *testing.T, c *chart.Chart) string {
	t.Helper()
	rec := &display.Recorder{Rich: true}
	restore := display.Use(rec)
	c.Show()
	restore()
	outs := rec.Outputs()
	if len(outs) == 0 {
		t.Fatal("the chart showed nothing")
	}
	o := outs[len(outs)-1]
	cell := map[string]any{"cell_type": "code", "execution_count": 1, "metadata": map[string]any{}, "source": "c.Show()",
		"outputs": []any{map[string]any{"output_type": "display_data", "data": o.Bundle(), "metadata": o.Metadata}}}
	nb := map[string]any{"nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{},
		"cells": []any{map[string]any{"cell_type": "markdown", "metadata": map[string]any{}, "source": "# Cut loads\n\n## Results"}, cell}}
	data, err := json.Marshal(nb)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := report.ParseNotebook("cut.ipynb", data)
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Render(parsed, report.Options{Date: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Sources) != 1 || len(r.Sources[0].Record.Sources) != 1 {
		t.Fatalf("the report found %d figures with sources, want 1 with its query", len(r.Sources))
	}
	return strings.NewReplacer("&#39;", "'", "&#34;", `"`, "&amp;", "&").Replace(string(r.HTML))
}

func formatInt(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func mustExec(t *testing.T, c *pgx.Conn, sql string) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
