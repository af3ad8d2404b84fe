package chart_test

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/replicalab/replicalab/helpers/chart"
	"github.com/replicalab/replicalab/internal/display"
)

// svgText returns the text a reader sees in the SVG of p.
func svgText(t *testing.T, p *plot.Plot) string {
	t.Helper()
	svg, err := chart.Of(p).Render("svg")
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, m := range regexp.MustCompile(`>([^<>]+)</text>`).FindAllStringSubmatch(string(svg), -1) {
		parts = append(parts, strings.NewReplacer("&#34;", `"`, "&amp;", "&", "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(m[1]))
	}
	return strings.Join(parts, "\n")
}

func stats(t *testing.T, p *plot.Plot) chart.Stats {
	t.Helper()
	s := chart.Of(p).Stats()
	if s == (chart.Stats{}) {
		t.Fatal("Stats: no stats for a chart made by the package")
	}
	return s
}

// pe splits a chart into its plot and error, the way the tests look at them.
func pe(c *chart.Chart) (*plot.Plot, error) { return c.Plot, c.Err }

// frameWithNulls is 1,000 rows: total (NULL in rows 0, 10, 20, ...), qty,
// status (NULL in rows 0, 25, 50, ...).
func frameWithNulls() dataframe.DataFrame {
	total := make([]float64, 1000)
	qty := make([]int, 1000)
	status := make([]string, 1000)
	for i := range total {
		total[i] = float64(i%97) * 3.5
		qty[i] = 1 + i%7
		status[i] = []string{"paid", "open", "paid", "void"}[i%4]
	}
	t := series.New(total, series.Float, "total")
	s := series.New(status, series.String, "status")
	for i := 0; i < 1000; i += 10 {
		t.Elem(i).Set(nil)
	}
	for i := 0; i < 1000; i += 25 {
		s.Elem(i).Set(nil)
	}
	return dataframe.New(t, series.New(qty, series.Int, "qty"), s)
}

func TestNullNaNAndInfAreDroppedCountedAndSaid(t *testing.T) {
	df := frameWithNulls()
	p, err := pe(chart.Histogram(df, "total"))
	if err != nil {
		t.Fatal(err)
	}
	s := stats(t, p)
	if s.Rows != 1000 || s.N != 900 || s.Dropped != (chart.Dropped{NULL: 100}) {
		t.Errorf("histogram of a frame with 100 NULLs: %+v", s)
	}
	if text := svgText(t, p); !strings.Contains(text, "n = 900; 100 NULL dropped") {
		t.Errorf("the chart does not say what it dropped:\n%s", text)
	}

	values := []float64{1, 2, math.NaN(), 3, math.Inf(1), math.Inf(-1), 4, math.NaN()}
	p, err = pe(chart.HistogramOf("latency", values))
	if err != nil {
		t.Fatal(err)
	}
	if s := stats(t, p); s.N != 4 || s.Dropped != (chart.Dropped{NaN: 2, Inf: 2}) {
		t.Errorf("NaN and Inf in a slice: %+v", s)
	}
	if text := svgText(t, p); !strings.Contains(text, "n = 4; 2 NaN, 2 Inf dropped") {
		t.Errorf("the chart does not say what it dropped:\n%s", text)
	}

	// A row is dropped once even when both x and y are missing.
	p, err = pe(chart.ScatterOf("x", []float64{1, math.NaN(), 3, math.NaN()}, "y", []float64{1, 2, math.Inf(1), math.NaN()}))
	if err != nil {
		t.Fatal(err)
	}
	if s := stats(t, p); s.N != 1 || s.Dropped.Total() != 3 {
		t.Errorf("scatter: %+v, want 1 point and 3 rows dropped", s)
	}

	// Categories: NULL is dropped and counted, not a bar.
	p, err = pe(chart.Bar(df, "status"))
	if err != nil {
		t.Fatal(err)
	}
	if s := stats(t, p); s.N != 960 || s.Dropped.NULL != 40 {
		t.Errorf("bar of a column with 40 NULLs: %+v", s)
	}
	if text := svgText(t, p); strings.Contains(text, "NaN") || !strings.Contains(text, "40 NULL dropped") {
		t.Errorf("bar chart text:\n%s", text)
	}

	// Time series: a NULL time or value drops the row.
	ts := []time.Time{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), {}, time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC)}
	p, err = pe(chart.TimeSeriesOf("orders", ts, []float64{1, 2, math.NaN()}))
	if err != nil {
		t.Fatal(err)
	}
	if s := stats(t, p); s.N != 1 || s.Dropped != (chart.Dropped{NULL: 1, NaN: 1}) {
		t.Errorf("time series: %+v", s)
	}
}

// Empty input gives a chart that says so and ErrNoData, never a panic.
func TestEmptyInputSaysSo(t *testing.T) {
	empty := dataframe.New(series.New([]float64{}, series.Float, "total"), series.New([]string{}, series.String, "status"),
		series.New([]float64{}, series.Float, "at"))
	allNull := frameWithNulls().Subset([]int{0, 10, 20})
	cases := map[string]func() (*plot.Plot, error){
		"histogram":         func() (*plot.Plot, error) { return pe(chart.Histogram(empty, "total")) },
		"histogram of NULL": func() (*plot.Plot, error) { return pe(chart.Histogram(allNull, "total")) },
		"histogram of nil":  func() (*plot.Plot, error) { return pe(chart.HistogramOf("x", nil)) },
		"bar":               func() (*plot.Plot, error) { return pe(chart.Bar(empty, "status")) },
		"line":              func() (*plot.Plot, error) { return pe(chart.Line(empty, "total", []string{"at"})) },
		"time series":       func() (*plot.Plot, error) { return pe(chart.TimeSeries(empty, "at", []string{"total"})) },
		"time counts":       func() (*plot.Plot, error) { return pe(chart.TimeCounts(empty, "at")) },
		"time counts nil":   func() (*plot.Plot, error) { return pe(chart.TimeCountsOf("at", nil)) },
		"scatter":           func() (*plot.Plot, error) { return pe(chart.Scatter(empty, "total", "at")) },
		"scatter of NULL":   func() (*plot.Plot, error) { return pe(chart.Scatter(allNull, "total", "qty", chart.By("status"))) },
		"box":               func() (*plot.Plot, error) { return pe(chart.Box(empty, "total", chart.By("status"))) },
		"grouped":           func() (*plot.Plot, error) { return pe(chart.GroupedBar(empty, "status", []string{"total"})) },
		"grouped by NULL":   func() (*plot.Plot, error) { return pe(chart.GroupedBar(allNull, "total", nil, chart.By("qty"))) },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := f()
			if !errors.Is(err, chart.ErrNoData) {
				t.Fatalf("err = %v, want ErrNoData", err)
			}
			if p == nil {
				t.Fatal("no chart returned with ErrNoData")
			}
			text := svgText(t, p)
			if !strings.Contains(text, "Nothing to draw: ") || !strings.Contains(text, "n = 0") {
				t.Errorf("the empty chart does not say why:\n%s", text)
			}
			if strings.Contains(name, "NULL") && !strings.Contains(err.Error(), "NULL") {
				t.Errorf("error %q does not say the values were NULL", err)
			}
		})
	}
}

func TestMistakesAreErrorsThatSayWhatWasExpected(t *testing.T) {
	df := frameWithNulls()
	for _, c := range []struct {
		name string
		f    func() (*plot.Plot, error)
		want []string
		is   error
	}{
		{"missing column", func() (*plot.Plot, error) { return pe(chart.Histogram(df, "totl")) }, []string{`no column "totl"`, `"total", "qty", "status"`}, chart.ErrColumn},
		{"text as numbers", func() (*plot.Plot, error) { return pe(chart.Histogram(df, "status")) }, []string{`column "status" is string`, "expected numbers"}, chart.ErrColumn},
		{"option for another chart", func() (*plot.Plot, error) { return pe(chart.Histogram(df, "total", chart.By("status"))) }, []string{"Histogram does not take the option By", "Bins, Range"}, nil},
		{"option twice", func() (*plot.Plot, error) { return pe(chart.Histogram(df, "total", chart.Bins(5), chart.Bins(6))) }, []string{"Bins given twice"}, nil},
		{"bad bins", func() (*plot.Plot, error) { return pe(chart.Histogram(df, "total", chart.Bins(0))) }, []string{"expected 1 to 1000 bins, found 0"}, nil},
		{"bad range", func() (*plot.Plot, error) { return pe(chart.Histogram(df, "total", chart.Range(5, 1))) }, []string{"expected finite lo < hi, found [5, 1]"}, nil},
		{"lengths", func() (*plot.Plot, error) { return pe(chart.ScatterOf("x", []float64{1}, "y", nil)) }, []string{"found 1 xs and 0 ys"}, nil},
		{"no y", func() (*plot.Plot, error) { return pe(chart.Line(df, "qty", nil)) }, []string{"expected at least one y column"}, nil},
		{"grouped, neither", func() (*plot.Plot, error) { return pe(chart.GroupedBar(df, "status", nil)) }, []string{"expected value columns or By(column), found neither"}, nil},
		{"grouped, both", func() (*plot.Plot, error) {
			return pe(chart.GroupedBar(df, "status", []string{"total"}, chart.By("qty")))
		}, []string{"found both"}, nil},
		{"not a time", func() (*plot.Plot, error) { return pe(chart.TimeCounts(df, "status")) }, []string{`column "status", row 1`, "expected an RFC 3339 time", `found "open"`}, chart.ErrColumn},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := c.f()
			if err == nil {
				t.Fatalf("no error (chart %v)", p)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %q is not %v", err, c.is)
			}
			if !strings.HasPrefix(err.Error(), "chart: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestTitlesLabelsAndLegendsComeFromTheColumns(t *testing.T) {
	df := frameWithNulls()
	p, err := pe(chart.Scatter(df, "qty", "total", chart.By("status")))
	if err != nil {
		t.Fatal(err)
	}
	if p.Title.Text != "total vs qty by status" || p.X.Label.Text != "qty" || p.Y.Label.Text != "total" {
		t.Errorf("scatter: title %q, x %q, y %q", p.Title.Text, p.X.Label.Text, p.Y.Label.Text)
	}
	text := svgText(t, p)
	for _, want := range []string{"paid", "open", "void", "(NULL)"} {
		if !strings.Contains(text, want) {
			t.Errorf("the legend lacks %q:\n%s", want, text)
		}
	}
	legend := func(p *plot.Plot) vg.Length { return p.Legend.Rectangle(draw.Canvas{}).Size().X }
	two, err := pe(chart.Line(df, "qty", []string{"total", "qty"}))
	if err != nil {
		t.Fatal(err)
	}
	one, err := pe(chart.Line(df, "qty", []string{"total"}))
	if err != nil {
		t.Fatal(err)
	}
	if legend(two) == 0 || legend(one) != 0 {
		t.Errorf("legend widths: two series %v, one series %v; want a legend only for two", legend(two), legend(one))
	}
	if one.Y.Label.Text != "total" || one.X.Label.Text != "qty" {
		t.Errorf("line: x %q, y %q", one.X.Label.Text, one.Y.Label.Text)
	}
}

func TestBarShowsTheTopValuesAndGathersTheRest(t *testing.T) {
	var values []string
	for i := 0; i < 15; i++ {
		for j := 0; j <= i; j++ {
			values = append(values, string(rune('a'+i)))
		}
	}
	p, err := pe(chart.BarOf("letter", values, chart.Top(5)))
	if err != nil {
		t.Fatal(err)
	}
	s := stats(t, p)
	// o (15), n (14), m (13), l (12), k (11) shown; a..j (1+...+10 = 55) in other.
	if s.N != 120 || s.Other != 55 {
		t.Errorf("stats %+v, want N 120 and 55 in other", s)
	}
	text := svgText(t, p)
	for _, want := range []string{"o\n", "k\n", "other (10 values)", "55", "15 distinct; top 5 shown, 55 rows in other"} {
		if !strings.Contains(text, want) {
			t.Errorf("bar chart lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\nj\n") {
		t.Error("the 6th value has its own bar with Top(5)")
	}
}

func TestHistogramRangeAndBins(t *testing.T) {
	vs := make([]float64, 1000)
	for i := range vs {
		vs[i] = float64(i) / 10 // 0 to 99.9
	}
	p, err := pe(chart.HistogramOf("x", vs, chart.Range(10, 50), chart.Bins(8)))
	if err != nil {
		t.Fatal(err)
	}
	s := stats(t, p)
	if s.N != 401 || s.OutOfRange != 599 {
		t.Errorf("Range(10, 50) over 0..99.9: %+v, want 401 in and 599 outside", s)
	}
	if !strings.Contains(svgText(t, p), "599 outside [10, 50] not shown") {
		t.Error("the chart does not say values were outside the range")
	}
}

// A million values bin at once; a million points are sampled and the chart
// says so. (Timings are in the benchmarks.)
func TestLargeInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("a million values")
	}
	xs, ys := cloud(1_000_000)
	p, err := pe(chart.HistogramOf("x", xs))
	if err != nil {
		t.Fatal(err)
	}
	if s := stats(t, p); s.N != 1_000_000 {
		t.Errorf("histogram of 1,000,000: N = %d", s.N)
	}
	svg, err := chart.Of(p).Render("svg")
	if err != nil {
		t.Fatal(err)
	}
	if len(svg) > 100_000 {
		t.Errorf("the histogram's SVG has %d bytes; a histogram should not grow with its input", len(svg))
	}

	p, err = pe(chart.ScatterOf("x", xs, "y", ys))
	if err != nil {
		t.Fatal(err)
	}
	s := stats(t, p)
	if s.N != 1_000_000 || s.Shown != 10_000 {
		t.Errorf("scatter of 1,000,000: %+v, want 10,000 shown", s)
	}
	if !strings.Contains(svgText(t, p), "showing a random 10,000 of 1,000,000 points") {
		t.Error("the sampled scatter does not say so")
	}
	// The sample is reproducible: the same input draws the same chart.
	q, _ := pe(chart.ScatterOf("x", xs, "y", ys))
	a, _ := chart.Of(p).Render("svg")
	b, _ := chart.Of(q).Render("svg")
	if !bytes.Equal(a, b) {
		t.Error("two scatters of the same points differ")
	}
}

// Time axes: ticks on local midnights and whole local hours whatever the
// zone and daylight-saving changes, at most 7, every one labelled.
func TestDateTicks(t *testing.T) {
	berlin, ny, kolkata := berlin(t), zoneOf(t, "America/New_York"), zoneOf(t, "Asia/Kolkata")
	ticks := func(loc *time.Location, from, to time.Time) []plot.Tick {
		return chart.DateTicks{Location: loc}.Ticks(float64(from.UnixNano())/1e9, float64(to.UnixNano())/1e9)
	}
	at := func(tk plot.Tick, loc *time.Location) time.Time { return time.Unix(int64(tk.Value), 0).In(loc) }

	// Daily ticks over Berlin's spring-forward day fall on local midnights, 23 hours apart there.
	ts := ticks(berlin, time.Date(2024, 3, 29, 12, 0, 0, 0, berlin), time.Date(2024, 4, 2, 12, 0, 0, 0, berlin))
	var labels []string
	for _, tk := range ts {
		l := at(tk, berlin)
		if l.Hour() != 0 || l.Minute() != 0 {
			t.Errorf("daily tick at %v, want local midnight", l)
		}
		labels = append(labels, tk.Label)
	}
	if got := strings.Join(labels, "|"); got != "Mar 30\n2024|Mar 31|Apr 1|Apr 2" {
		t.Errorf("labels %q", got)
	}
	if d := at(ts[2], berlin).Sub(at(ts[1], berlin)); d != 23*time.Hour {
		t.Errorf("March 31 in Berlin lasts %v between ticks, want 23h", d)
	}

	// Hourly ticks across New York's fall back: whole local hours, increasing, dates at day changes.
	ts = ticks(ny, time.Date(2024, 11, 2, 20, 0, 0, 0, ny), time.Date(2024, 11, 3, 8, 0, 0, 0, ny))
	for i, tk := range ts {
		l := at(tk, ny)
		if l.Minute() != 0 || l.Hour()%2 != 0 && len(ts) > 7 {
			t.Errorf("tick at %v", l)
		}
		if i > 0 && tk.Value <= ts[i-1].Value {
			t.Errorf("ticks not increasing: %v after %v", l, at(ts[i-1], ny))
		}
		if l.Hour() == 0 && !strings.Contains(tk.Label, "Nov 3") {
			t.Errorf("the midnight tick %q does not carry the new date", tk.Label)
		}
	}
	if !strings.Contains(ts[0].Label, "Nov 2, 2024") {
		t.Errorf("the first tick %q does not carry the date and year", ts[0].Label)
	}

	// Kolkata (UTC+05:30): the same instants get ticks on its own whole hours.
	from, to := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tk := range ticks(kolkata, from, to) {
		if l := at(tk, kolkata); l.Minute() != 0 {
			t.Errorf("Kolkata tick at %v, want a whole local hour", l)
		}
	}
	utc := ticks(time.UTC, from, to)
	if at(utc[0], time.UTC).Minute() != 0 || !strings.HasPrefix(utc[0].Label, "00:00") && !strings.HasPrefix(utc[0].Label, "02:00") {
		t.Errorf("UTC ticks start with %q", utc[0].Label)
	}

	// Months start at local midnight on the 1st; the year shows where it changes.
	ts = ticks(berlin, time.Date(2024, 10, 15, 0, 0, 0, 0, berlin), time.Date(2025, 3, 20, 0, 0, 0, 0, berlin))
	labels = nil
	for _, tk := range ts {
		l := at(tk, berlin)
		if l.Day() != 1 || l.Hour() != 0 {
			t.Errorf("month tick at %v", l)
		}
		labels = append(labels, tk.Label)
	}
	if got := strings.Join(labels, "|"); got != "Nov\n2024|Dec|Jan\n2025|Feb|Mar" {
		t.Errorf("month labels %q", got)
	}

	// Any span from seconds to a century: 2 to 7 ticks, all labelled.
	base := time.Date(2023, 7, 14, 9, 26, 53, 0, berlin)
	for _, span := range []time.Duration{300 * time.Millisecond, 20 * time.Second, 7 * time.Minute, 3 * time.Hour, 40 * time.Hour, 9 * 24 * time.Hour,
		70 * 24 * time.Hour, 400 * 24 * time.Hour, 3000 * 24 * time.Hour, 36000 * 24 * time.Hour} {
		ts := ticks(berlin, base, base.Add(span))
		if len(ts) < 2 || len(ts) > 7 {
			t.Errorf("span %v: %d ticks", span, len(ts))
		}
		for _, tk := range ts {
			if tk.Label == "" {
				t.Errorf("span %v: an unlabelled tick at %v", span, at(tk, berlin))
			}
		}
	}
}

func zoneOf(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	return loc
}

// A time column may hold unix seconds or RFC 3339 text; both chart the same.
func TestTimeColumnsAsSecondsOrText(t *testing.T) {
	loc := berlin(t)
	var secs []float64
	var text []string
	var ts []time.Time
	for i := 0; i < 48; i++ {
		tt := time.Date(2024, 10, 26, 12, 0, 0, 0, loc).Add(time.Duration(i) * time.Hour)
		secs, text, ts = append(secs, float64(tt.Unix())), append(text, tt.Format(time.RFC3339)), append(ts, tt)
	}
	df := dataframe.New(series.New(secs, series.Float, "at"), series.New(text, series.String, "at_text"))
	var svgs [][]byte
	for _, f := range []func() (*plot.Plot, error){
		func() (*plot.Plot, error) {
			return pe(chart.TimeCounts(df, "at", chart.In(loc), chart.Every(chart.Day)))
		},
		func() (*plot.Plot, error) {
			return pe(chart.TimeCounts(df.Rename("at_", "at").Rename("at", "at_text"), "at", chart.In(loc), chart.Every(chart.Day)))
		},
		func() (*plot.Plot, error) {
			return pe(chart.TimeCountsOf("at", ts, chart.In(loc), chart.Every(chart.Day)))
		},
	} {
		p, err := f()
		if err != nil {
			t.Fatal(err)
		}
		svg, err := chart.Of(p).Render("svg")
		if err != nil {
			t.Fatal(err)
		}
		svgs = append(svgs, svg)
	}
	if !bytes.Equal(svgs[0], svgs[1]) || !bytes.Equal(svgs[0], svgs[2]) {
		t.Error("unix seconds, RFC 3339 text and []time.Time chart differently")
	}
}

func TestRenderAndSave(t *testing.T) {
	p, err := pe(chart.Histogram(frameWithNulls(), "total"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := chart.Of(p, chart.Size(5*vg.Inch, 3*vg.Inch), chart.DPI(100)).Render("png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 500 || img.Bounds().Dy() != 300 {
		t.Errorf("5 × 3 in at 100 dpi: %v", img.Bounds().Size())
	}
	svg, err := chart.Of(p).Render("svg")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte("font-family:'Liberation Sans',Arimo,Arial,Helvetica,sans-serif")) {
		t.Error("SVG text names no fallback fonts")
	}
	if _, err := chart.Of(p).Render("gif"); err == nil || !strings.Contains(err.Error(), `expected format "svg" or "png", found "gif"`) {
		t.Errorf("Render gif: %v", err)
	}
	rec := &display.Recorder{}
	restore := display.Use(rec)
	chart.Of(p).Show()
	restore()
	if out := rec.Outputs(); len(out) != 1 || !strings.HasPrefix(out[0].Text, "Distribution of total (n = ") ||
		!strings.Contains(out[0].Data["image/svg+xml"].(string), "<svg") {
		t.Errorf("Show sent %+v, want the SVG with its alt text", out)
	}
	if h := chart.Of(p).HTML(); !strings.HasPrefix(h, `<img alt="Distribution of total (n = `) || !strings.Contains(h, "data:image/svg+xml;base64,") {
		t.Errorf("HTML = %.200s, want an img with the SVG", h)
	}

	repo := t.TempDir()
	t.Setenv("REPLICALAB_REPO", repo)
	saved := chart.Of(p).Save("totals.png")
	paths, err := saved.Files, saved.Err
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(repo, "reports", "figures")
	if len(paths) != 3 || paths[0] != filepath.Join(dir, "totals.png") || paths[1] != filepath.Join(dir, "totals.svg") || paths[2] != filepath.Join(dir, "totals.json") {
		t.Errorf("Save wrote %v", paths)
	}
	for _, path := range paths[:2] {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(path, ".png") {
			if _, err := png.Decode(bytes.NewReader(data)); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		} else if !bytes.Contains(data, []byte("Distribution of total")) {
			t.Errorf("%s lacks the title", path)
		}
	}
	// Saving again replaces the files and leaves no temporary file behind.
	if err := chart.Of(p).Save("totals").Err; err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("reports/figures holds %d files after saving twice, want 3", len(entries))
	}
	for _, bad := range []string{"", "../escape", "a/b", ".hidden", `c:\x`} {
		if err := chart.Of(p).Save(bad).Err; err == nil || !strings.Contains(err.Error(), "expected a file name") {
			t.Errorf("Save(%q): %v, want a refusal", bad, err)
		}
	}
	t.Setenv("REPLICALAB_REPO", filepath.Join(repo, "missing"))
	if err := chart.Of(p).Save("x").Err; err == nil || !strings.Contains(err.Error(), "REPLICALAB_REPO") {
		t.Errorf("Save with REPLICALAB_REPO pointing nowhere: %v", err)
	}

	// Without REPLICALAB_REPO, the nearest go.mod above the working folder.
	t.Setenv("REPLICALAB_REPO", "")
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nb := filepath.Join(root, "notebooks", "deep")
	if err := os.MkdirAll(nb, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(nb)
	walked := chart.Of(p).Save("walked")
	paths, err = walked.Files, walked.Err
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "reports", "figures", "walked.png"); paths[0] != want {
		t.Errorf("Save from a notebook folder wrote %s, want %s", paths[0], want)
	}
}

// One value, one point, one time: every chart still draws.
func TestDegenerateInputsDraw(t *testing.T) {
	one := dataframe.New(series.New([]float64{42}, series.Float, "v"), series.New([]float64{1.7e9}, series.Float, "at"),
		series.New([]string{"a"}, series.String, "g"))
	same := dataframe.New(series.New([]float64{5, 5, 5}, series.Float, "v"), series.New([]float64{1.7e9, 1.7e9, 1.7e9}, series.Float, "at"),
		series.New([]string{"a", "a", "a"}, series.String, "g"))
	for name, df := range map[string]dataframe.DataFrame{"one row": one, "identical rows": same} {
		for kind, f := range map[string]func() (*plot.Plot, error){
			"histogram":   func() (*plot.Plot, error) { return pe(chart.Histogram(df, "v")) },
			"bar":         func() (*plot.Plot, error) { return pe(chart.Bar(df, "g")) },
			"line":        func() (*plot.Plot, error) { return pe(chart.Line(df, "v", []string{"v"})) },
			"time series": func() (*plot.Plot, error) { return pe(chart.TimeSeries(df, "at", []string{"v"})) },
			"time counts": func() (*plot.Plot, error) { return pe(chart.TimeCounts(df, "at")) },
			"scatter":     func() (*plot.Plot, error) { return pe(chart.Scatter(df, "v", "at", chart.By("g"))) },
			"box":         func() (*plot.Plot, error) { return pe(chart.Box(df, "v", chart.By("g"))) },
			"grouped":     func() (*plot.Plot, error) { return pe(chart.GroupedBar(df, "g", []string{"v"})) },
		} {
			p, err := f()
			if err != nil {
				t.Errorf("%s, %s: %v", name, kind, err)
				continue
			}
			for _, format := range []string{"svg", "png"} {
				if _, err := chart.Of(p, chart.DPI(72)).Render(format); err != nil {
					t.Errorf("%s, %s, %s: %v", name, kind, format, err)
				}
			}
			if s := stats(t, p); s.N != df.Nrow() {
				t.Errorf("%s, %s: N = %d, want %d", name, kind, s.N, df.Nrow())
			}
		}
	}
}

// With By, one line per group: the 7 largest, the rest left out and said.
func TestLinesByGroup(t *testing.T) {
	var x, y []float64
	var g []string
	for i := 0; i < 9; i++ {
		for j := 0; j <= 10+i; j++ { // group i has 11+i rows
			x, y, g = append(x, float64(j)), append(y, float64(i*j)), append(g, fmt.Sprintf("g%d", i))
		}
	}
	df := dataframe.New(series.New(x, series.Float, "x"), series.New(y, series.Float, "y"), series.New(g, series.String, "group"))
	p, err := pe(chart.Line(df, "x", []string{"y"}, chart.By("group")))
	if err != nil {
		t.Fatal(err)
	}
	s := stats(t, p)
	if s.Other != 11+12 || s.N != len(x)-23 {
		t.Errorf("%+v: want g0 and g1 (23 rows) left out", s)
	}
	text := svgText(t, p)
	if !strings.Contains(text, "g8") || !strings.Contains(text, "g2") || strings.Contains(text, "g1\n") || !strings.Contains(text, "7 of 9 group shown") {
		t.Errorf("legend and note:\n%s", text)
	}
	if _, err := pe(chart.Line(df, "x", []string{"y", "x"}, chart.By("group"))); err == nil || !strings.Contains(err.Error(), "takes one y column, found 2") {
		t.Errorf("By with two y columns: %v", err)
	}
}

func TestStatsOfAForeignPlot(t *testing.T) {
	p := plot.New()
	p.Title.Text = "my own"
	if s := chart.Of(p).Stats(); s != (chart.Stats{}) {
		t.Errorf("Stats of a plot the package did not make: %+v, want none", s)
	}
	if got := chart.Of(p, chart.Title("renamed")).String(); got != "renamed" {
		t.Errorf("Of with a Title: %q", got)
	}
}

// TestErrorsAreKeptInTheChart: a chart that cannot be drawn carries its
// error; Show reports it and stops the cell, except for a chart that only
// has no data, which shows why and lets the cell go on.
func TestErrorsAreKeptInTheChart(t *testing.T) {
	stops := func(c *chart.Chart) (bool, string) {
		defer display.Use(&display.Recorder{})()
		stopped, _, msg := display.CatchStop(c.Show)
		return stopped, msg
	}
	df := frameWithNulls()
	bad := chart.Histogram(df, "no_such_column", chart.Title("Totals"))
	if !errors.Is(bad.Err, chart.ErrColumn) {
		t.Fatalf("a missing column: Err = %v, want ErrColumn", bad.Err)
	}
	if stopped, msg := stops(bad.Save("never")); !stopped || !strings.Contains(msg, "no_such_column") || bad.Files != nil {
		t.Errorf("Show of a failed chart: stopped %v, printed %q, files %v", stopped, msg, bad.Files)
	}
	misplaced := chart.Bar(df, "status", chart.Bins(3))
	if misplaced.Err == nil || !strings.Contains(misplaced.Err.Error(), "Bar does not take the option Bins") {
		t.Errorf("a misplaced option: Err = %v", misplaced.Err)
	}
	empty := chart.HistogramOf("x", nil, chart.Title("Nothing yet"))
	if !errors.Is(empty.Err, chart.ErrNoData) {
		t.Fatalf("no values: Err = %v, want ErrNoData", empty.Err)
	}
	if stopped, _ := stops(empty); stopped {
		t.Error("Show of a chart with no data stopped the cell; it should show why and go on")
	}
}
