package chart

import (
	"bytes"
	"context"
	"image/png"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no time zone data for %s: %v", name, err)
	}
	return loc
}

// TestBucketsFollowTheLocalCalendar: days run midnight to midnight of the
// zone (23 and 25 hours on clock changes), hours stay hours of absolute time
// so the repeated hour is two buckets, and a zone with a half-hour offset
// gets buckets on its own whole hours.
func TestBucketsFollowTheLocalCalendar(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	kolkata := zone(t, "Asia/Kolkata")
	hourly := func(from, to time.Time) []float64 {
		var vs []float64
		for ts := from; ts.Before(to); ts = ts.Add(time.Hour) {
			vs = append(vs, unixSeconds(ts))
		}
		return vs
	}

	// Berlin, spring forward on Sunday March 31, 2024: that day has 23 hours.
	from, to := time.Date(2024, 3, 30, 0, 0, 0, 0, berlin), time.Date(2024, 4, 2, 0, 0, 0, 0, berlin)
	bins := timeBins(Day, berlin, from, to.Add(-time.Second), bucketCounts(hourly(from, to), Day, berlin))
	var got []string
	for _, b := range bins {
		start := fromUnix(b.Min, berlin)
		got = append(got, start.Format("Jan 2 15:04")+" "+time.Duration((b.Max-b.Min)*1e9).String()+" "+formatValue(b.Weight))
	}
	want := []string{"Mar 30 00:00 24h0m0s 24", "Mar 31 00:00 23h0m0s 23", "Apr 1 00:00 24h0m0s 24"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("daily buckets over the spring-forward weekend in Berlin:\n got %q\nwant %q", got, want)
	}

	// Berlin, fall back on October 27, 2024: 25 hourly buckets that day, one event each.
	from, to = time.Date(2024, 10, 27, 0, 0, 0, 0, berlin), time.Date(2024, 10, 28, 0, 0, 0, 0, berlin)
	bins = timeBins(Hour, berlin, from, to.Add(-time.Second), bucketCounts(hourly(from, to), Hour, berlin))
	if len(bins) != 25 {
		t.Fatalf("hourly buckets on Berlin's 25-hour day: %d, want 25", len(bins))
	}
	labels := map[string]int{}
	for _, b := range bins {
		if b.Weight != 1 || b.Max-b.Min != 3600 {
			t.Errorf("hour bucket at %v: count %v, width %vs; want 1 and 3600s", fromUnix(b.Min, berlin), b.Weight, b.Max-b.Min)
		}
		labels[fromUnix(b.Min, berlin).Format("15:04")]++
	}
	if labels["02:00"] != 2 {
		t.Errorf("the repeated hour 02:00 has %d buckets, want 2 (CEST and CET)", labels["02:00"])
	}

	// Kolkata is UTC+05:30: hourly buckets start on its whole hours.
	from = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	start := Hour.truncate(from.Add(17*time.Minute), kolkata)
	if l := start.In(kolkata); l.Minute() != 0 || start.UTC().Minute() != 30 {
		t.Errorf("hour bucket in Kolkata starts at %s local (%s UTC), want a whole local hour at half past in UTC", l.Format("15:04"), start.UTC().Format("15:04"))
	}
	// Weeks start on Monday, months and quarters on the 1st, at local midnight.
	sunday := time.Date(2024, 3, 31, 12, 0, 0, 0, berlin)
	for unit, want := range map[Unit]string{Week: "Mon Mar 25 00:00 CET", Month: "Fri Mar 1 00:00 CET", Quarter: "Mon Jan 1 00:00 CET", Year: "Mon Jan 1 00:00 CET", Day: "Sun Mar 31 00:00 CET"} {
		if got := unit.truncate(sunday, berlin).Format("Mon Jan 2 15:04 MST"); got != want {
			t.Errorf("%s bucket of %v: %s, want %s", unit, sunday, got, want)
		}
	}
}

// TestBinIndex: a value belongs to the bin whose lower edge is the last at
// or below it; the top edge belongs to the last bin.
func TestBinIndex(t *testing.T) {
	b := chooseBinsK(0, 1, 10, 0, false)
	e := b.edges()
	if len(e) != 11 || e[0] != 0 || e[10] != 1 {
		t.Fatalf("edges %v", e)
	}
	for i, edge := range e[:10] {
		if got := b.index(edge); got != i {
			t.Errorf("index(edge %d = %v) = %d", i, edge, got)
		}
		if i > 0 {
			if got := b.index(math.Nextafter(edge, math.Inf(-1))); got != i-1 {
				t.Errorf("index(just below edge %d) = %d", i, got)
			}
		}
	}
	if b.index(1) != 9 || b.index(-5) != 0 || b.index(5) != 9 {
		t.Errorf("index(1), index(-5), index(5) = %d, %d, %d; want 9, 0, 9", b.index(1), b.index(-5), b.index(5))
	}
}

// TestDisplayData: what Show sends the notebook — an SVG by default, a PNG on
// request with the size to show it at, a PNG when the SVG would be huge,
// and always an alt text with the title and the note.
func TestDisplayData(t *testing.T) {
	p, err := histogramOfPlot("latency_ms", []float64{1, 2, 2, 3, math.NaN()})
	if err != nil {
		t.Fatal(err)
	}
	o, _ := apply("Show", nil)
	d, err := output(p, o)
	if err != nil {
		t.Fatal(err)
	}
	svg, _ := d.Data["image/svg+xml"].(string)
	if !strings.HasPrefix(strings.TrimSpace(svg), "<?xml") || !strings.Contains(svg, "<svg") || !strings.Contains(svg, "Distribution of latency_ms") {
		t.Errorf("default display: image/svg+xml = %.80q..., want an SVG with the title", svg)
	}
	if alt := d.Text; alt != "Distribution of latency_ms (n = 4; 1 NaN dropped)" {
		t.Errorf("alt text = %q", alt)
	}
	if _, ok := d.Data["image/png"]; ok {
		t.Error("default display carries a PNG too")
	}

	o, _ = apply("Show", []Option{PNG()}, "PNG")
	d, err = output(p, o)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := d.Data["image/png"].([]byte)
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("PNG display: %v", err)
	}
	md, _ := d.Metadata["image/png"].(map[string]int)
	// 7.5 × 4.5 in: 720 × 432 CSS pixels, drawn at twice that for HiDPI screens.
	if md["width"] != 720 || md["height"] != 432 || img.Bounds().Dx() != 1440 || img.Bounds().Dy() != 864 {
		t.Errorf("PNG display: %v pixels shown at %v; want 1440×864 shown at 720×432", img.Bounds().Size(), md)
	}

	xs := make([]float64, 40_000)
	for i := range xs {
		xs[i] = float64(i%977) * 1.37
	}
	big, err := scatterOfPlot("x", xs, "y", xs, MaxPoints(40_000))
	if err != nil {
		t.Fatal(err)
	}
	o, _ = apply("Show", nil)
	if d, err = output(big, o); err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Data["image/png"]; !ok {
		t.Error("a 40,000-point scatter was sent as SVG; want the PNG fallback above 1 MiB")
	}
	o, _ = apply("Show", []Option{SVG()}, "SVG")
	if d, err = output(big, o); err != nil {
		t.Fatal(err)
	}
	if svg, _ := d.Data["image/svg+xml"].(string); len(svg) <= maxInlineSVG {
		t.Errorf("SVG() forced: image/svg+xml has %d bytes, want the full SVG above 1 MiB", len(svg))
	}
}

// --- SQL: the server's aggregation agrees with the same done in Go ---

func openReplica(t *testing.T) *replica.Pool {
	t.Helper()
	return pgtest.Shared(t).Open(t)
}

// fetch reads one float column with pgx, NULL as NaN marked null.
func fetchFloats(t *testing.T, q Querier, sql string, args ...any) column {
	t.Helper()
	rows, err := q.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	c := column{name: "v"}
	var v *float64
	_, err = pgx.ForEachRow(rows, []any{&v}, func() error {
		if v == nil {
			c.nums = append(c.nums, math.NaN())
			c.null = append(c.null, true)
		} else {
			c.nums = append(c.nums, *v)
			c.null = append(c.null, false)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestHistogramSQLAgreesWithGo(t *testing.T) {
	db := openReplica(t)
	ctx := context.Background()
	for _, c := range []struct {
		name, query string
		opts        []Option
	}{
		{"payments, automatic bins", "SELECT amount FROM payments", nil},
		{"payments, 25 bins in a range", "SELECT amount FROM payments", []Option{Bins(25), Range(0, 5000)}},
		{"integers", "SELECT quantity FROM order_items", nil},
		{"with args", "SELECT amount FROM payments WHERE status = $1 AND method = $2", []Option{Args("succeeded", "card")}},
		{"NULL, NaN, Infinity", `SELECT v FROM (VALUES (1.5::float8), (NULL), ('NaN'), ('Infinity'), ('-Infinity'), (2.25), (NULL), (7)) t(v)`, nil},
		{"values on the edges", "SELECT unnest($1::float8[])", []Option{Args(edgeValues()), Range(0, 1), Bins(10)}},
		{"values on the edges, automatic", "SELECT unnest($1::float8[])", []Option{Args(edgeValues())}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, err := apply("test", c.opts, "Args", "Bins", "Range")
			if err != nil {
				t.Fatal(err)
			}
			server, err := histogramSQL(ctx, db, c.query, o)
			if err != nil {
				t.Fatal(err)
			}
			col := fetchFloats(t, db, "SELECT v::float8 FROM ("+c.query+") s(v)", o.args...)
			integer := strings.Contains(c.query, "quantity")
			var local []float64
			var s Stats
			var b bins
			if !o.hasRange && o.bins == 0 {
				// The server picks round bins (about 30 over the range pg_stats
				// gives, or over min and max) that cover the data: the same
				// bins in Go count the same.
				vs, _ := finite(col)
				lo, hi := minMax(vs)
				b = server.bins
				round := chooseBinsK(lo, hi, 0, 30, integer)
				if b.edge(0) > lo || b.end < hi || b.n < 1 || b.n > 60 || (b.off == 0 && b != round) {
					t.Errorf("bins %+v: want round bins covering [%v, %v] (over min and max: %+v)", b, lo, hi, round)
				}
				o2 := *o
				local, s = binWith(col, b, &o2)
			} else {
				b, local, s = histogramData(col, o)
			}
			if server.bins != b {
				t.Errorf("bins: server %+v, Go %+v", server.bins, b)
			}
			if !equalFloats(server.counts, local) {
				t.Errorf("counts per bin differ:\nserver %v\n    Go %v", server.counts, local)
			}
			if server.stats.N != s.N || server.stats.Dropped != s.Dropped || server.stats.Rows != len(col.nums) || server.stats.OutOfRange != s.OutOfRange {
				t.Errorf("stats: server %+v, Go %+v over %d rows", server.stats, s, len(col.nums))
			}
			if server.stats.N == 0 {
				t.Error("the query returned no drawable values: the comparison proves nothing")
			}
		})
	}
	// In the NULL/NaN/Inf case, the server told them apart.
	o, _ := apply("test", nil)
	h, err := histogramSQL(ctx, db, `SELECT v FROM (VALUES (1.5::float8), (NULL), ('NaN'), ('Infinity'), ('-Infinity'), (2.25), (NULL), (7)) t(v)`, o)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Dropped{NULL: 2, NaN: 1, Inf: 2}); h.stats.Dropped != want || h.stats.N != 3 {
		t.Errorf("server-side counts: %+v, N = %d; want %+v and N = 3", h.stats.Dropped, h.stats.N, want)
	}
}

// edgeValues sit on, just below and just above the edges of ten bins over
// [0, 1], and outside.
func edgeValues() []float64 {
	var vs []float64
	for _, e := range chooseBinsK(0, 1, 10, 0, false).edges() {
		vs = append(vs, e, math.Nextafter(e, -1), math.Nextafter(e, 2))
	}
	return append(vs, 0.3, 0.7, 0.1+0.2, -1, 2)
}

// binWith counts c into the given bins.
func binWith(c column, b bins, o *options) ([]float64, Stats) {
	vs, d := finite(c)
	counts := make([]float64, b.n)
	for _, v := range vs {
		counts[b.index(v)]++
	}
	return counts, Stats{Rows: c.len(), N: len(vs), Dropped: d}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTimeCountsSQLAgreesWithGo(t *testing.T) {
	db := openReplica(t)
	ctx := context.Background()
	berlin := zone(t, "Europe/Berlin")
	kolkata := zone(t, "Asia/Kolkata")
	fallBack := `SELECT t FROM generate_series('2024-10-26 18:00+02'::timestamptz, '2024-10-28 05:50+01', '10 minutes') t`
	springForward := `SELECT t FROM generate_series('2024-03-30 00:00+01'::timestamptz, '2024-04-01 23:00+02', '1 hour') t`
	for _, c := range []struct {
		name, query string
		opts        []Option
		buckets     int // expected, when known
	}{
		{"events per day in Berlin", "SELECT occurred_at FROM events", []Option{In(berlin), Every(Day)}, 0},
		{"events per week in UTC", "SELECT occurred_at FROM events", []Option{Every(Week)}, 0},
		{"events per month in Kolkata", "SELECT occurred_at FROM events", []Option{In(kolkata), Every(Month)}, 0},
		{"events, automatic unit", "SELECT occurred_at FROM events", nil, 0},
		{"fall back, hourly, Berlin", fallBack, []Option{In(berlin), Every(Hour)}, 37},
		{"spring forward, daily, Berlin", springForward, []Option{In(berlin), Every(Day)}, 3},
		{"hourly in Kolkata (UTC+05:30)", fallBack, []Option{In(kolkata), Every(Hour)}, 38},
		{"dates as local days", "SELECT placed_at::date FROM orders", []Option{In(berlin), Every(Month)}, 0},
		{"between", "SELECT occurred_at FROM events", []Option{In(berlin), Every(Day),
			Between(time.Date(2024, 1, 1, 0, 0, 0, 0, berlin), time.Date(2024, 2, 1, 0, 0, 0, 0, berlin))}, 31},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, err := apply("test", c.opts, "In", "Every", "Between")
			if err != nil {
				t.Fatal(err)
			}
			server, err := timeCountsSQL(ctx, db, c.query, o)
			if err != nil {
				t.Fatal(err)
			}
			// The same in Go, from the instants the server returns.
			var ts []float64
			instant, args := "v", []any(nil)
			if strings.Contains(c.query, "::date") {
				// Dates are Berlin midnights, as TimeCountsSQL with In(berlin) reads them.
				instant, args = "(v::timestamp AT TIME ZONE $1::text)", []any{"Europe/Berlin"}
			}
			rows, err := db.Query(ctx, "SELECT extract(epoch FROM "+instant+")::float8 FROM ("+c.query+") s(v) WHERE v IS NOT NULL", args...)
			if err != nil {
				t.Fatal(err)
			}
			var v float64
			if _, err := pgx.ForEachRow(rows, []any{&v}, func() error { ts = append(ts, v); return nil }); err != nil {
				t.Fatal(err)
			}
			if o.hasBetween {
				var in []float64
				for _, x := range ts {
					if x >= unixSeconds(o.from) && x < unixSeconds(o.to) {
						in = append(in, x)
					}
				}
				if server.stats.OutOfRange != len(ts)-len(in) {
					t.Errorf("outside Between: server %d, Go %d", server.stats.OutOfRange, len(ts)-len(in))
				}
				ts = in
			}
			local := bucketCounts(ts, server.unit, o.loc)
			if len(local) != len(server.counts) {
				t.Errorf("%d buckets on the server, %d in Go", len(server.counts), len(local))
			}
			for k, n := range local {
				if server.counts[k] != n {
					t.Errorf("bucket %v: server %v, Go %v", time.Unix(k, 0).In(o.loc), server.counts[k], n)
				}
			}
			if server.stats.N != len(ts) || server.stats.N == 0 {
				t.Errorf("N: server %d, Go %d", server.stats.N, len(ts))
			}
			if c.buckets > 0 {
				bins := timeBins(server.unit, o.loc, server.from, server.to, server.counts)
				if len(bins) != c.buckets {
					t.Errorf("%d %s buckets drawn, want %d", len(bins), server.unit, c.buckets)
				}
			}
		})
	}
}

// A Range without Bins used to give thousands of zero-width-step bins (a 3.5 MB SVG).
func TestSQLBinsWithRangeOnly(t *testing.T) {
	b := sqlBins(0, 38849.86, 0, true, false)
	if b.n != 30 || b.start != 0 || math.Abs(b.end-38849.86) > 1e-6 || b.width <= 0 {
		t.Fatalf("Range(0, 38849.86) without Bins gave %+v, want 30 equal bins over exactly the range", b)
	}
	if b := sqlBins(0, 100, 12, true, false); b.n != 12 {
		t.Errorf("Bins(12) gave %d bins", b.n)
	}
	if b := sqlBins(0, 100, 0, false, false); b.n < 10 || b.n > 60 {
		t.Errorf("no Range, no Bins gave %d bins, want about 30", b.n)
	}
}
