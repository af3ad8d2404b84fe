package chart_test

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"gonum.org/v1/plot"

	"github.com/replicalab/replicalab/helpers/chart"
)

var regen = flag.Bool("regen", false, "rewrite the golden files in testdata/golden from the current output")

// goldenCases build one chart of each type from fixed synthetic data.
var goldenCases = []struct {
	name  string
	chart func(t *testing.T) (*plot.Plot, error)
}{
	{"histogram", func(t *testing.T) (*plot.Plot, error) {
		return pe(chart.Histogram(ordersFrame(2000, 37), "total"))
	}},
	{"histogram-integers", func(t *testing.T) (*plot.Plot, error) {
		return pe(chart.Histogram(ordersFrame(2000, 0), "quantity"))
	}},
	{"bar-top-n", func(t *testing.T) (*plot.Plot, error) {
		return pe(chart.Bar(ordersFrame(2000, 37), "city"))
	}},
	{"line", func(t *testing.T) (*plot.Plot, error) {
		return pe(chart.Line(curvesFrame(), "x", []string{"sin", "damped"}))
	}},
	{"timeseries-dst", func(t *testing.T) (*plot.Plot, error) {
		return pe(chart.TimeSeries(dailyFrame(t), "day", []string{"orders"}, chart.In(berlin(t))))
	}},
	{"timecounts-hourly-dst", func(t *testing.T) (*plot.Plot, error) {
		return pe(chart.TimeCountsOf("occurred_at", fallBackEvents(t), chart.In(berlin(t)), chart.Every(chart.Hour)))
	}},
	{"scatter-by", func(t *testing.T) (*plot.Plot, error) {
		return pe(chart.Scatter(ordersFrame(600, 20), "quantity", "total", chart.By("status")))
	}},
	{"scatter-sampled", func(t *testing.T) (*plot.Plot, error) {
		xs, ys := cloud(30_000)
		return pe(chart.ScatterOf("x", xs, "y", ys, chart.MaxPoints(600)))
	}},
	{"box-by", func(t *testing.T) (*plot.Plot, error) {
		return pe(chart.Box(ordersFrame(2000, 37), "total", chart.By("status")))
	}},
	{"grouped-wide", func(t *testing.T) (*plot.Plot, error) {
		return pe(chart.GroupedBar(monthsFrame(), "month", []string{"eur", "usd", "cny"}))
	}},
	{"grouped-by", func(t *testing.T) (*plot.Plot, error) {
		return pe(chart.GroupedBar(ordersFrame(2000, 37), "status", nil, chart.By("currency")))
	}},
	{"empty", func(t *testing.T) (*plot.Plot, error) {
		p, err := pe(chart.HistogramOf("total", []float64{math.NaN(), math.NaN()}))
		if err == nil {
			t.Error("a histogram of NaNs: err = nil, want ErrNoData")
		}
		return p, nil
	}},
}

// TestGolden renders each chart type to SVG and PNG and compares with
// testdata/golden; go test -run TestGolden -regen rewrites them (look at the
// PNGs before committing).
func TestGolden(t *testing.T) {
	dir := filepath.Join("testdata", "golden")
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			p, err := c.chart(t)
			if err != nil {
				t.Fatal(err)
			}
			for _, format := range []string{"svg", "png"} {
				got, err := chart.Of(p, chart.DPI(96)).Render(format)
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(dir, c.name+"."+format)
				if *regen {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -run TestGolden -regen to create it)", err)
				}
				if msg := compare(format, got, want); msg != "" {
					dir, _ := os.MkdirTemp("", "chart-golden-")
					bad := filepath.Join(dir, c.name+"."+format)
					_ = os.WriteFile(bad, got, 0o644)
					t.Errorf("%s differs from %s: %s (new output in %s; -regen accepts it)", c.name+"."+format, path, msg, bad)
				}
			}
		})
	}
}

var number = regexp.MustCompile(`-?\d+(\.\d+)?(e[-+]?\d+)?`)

// compare returns "" when got matches want: SVGs equal but for the last
// digits of coordinates (floating point may differ across CPUs), PNGs of
// the same size with at most 0.5% of pixels different.
func compare(format string, got, want []byte) string {
	if bytes.Equal(got, want) {
		return ""
	}
	if format == "svg" {
		gs, ws := number.Split(string(got), -1), number.Split(string(want), -1)
		gn, wn := number.FindAllString(string(got), -1), number.FindAllString(string(want), -1)
		if len(gs) != len(ws) || len(gn) != len(wn) {
			return "different structure"
		}
		for i := range gs {
			if gs[i] != ws[i] {
				return fmt.Sprintf("text %q, want %q", gs[i], ws[i])
			}
		}
		for i := range gn {
			a, _ := strconv.ParseFloat(gn[i], 64)
			b, _ := strconv.ParseFloat(wn[i], 64)
			if math.Abs(a-b) > 0.02+1e-4*math.Abs(b) {
				return fmt.Sprintf("number %s, want %s", gn[i], wn[i])
			}
		}
		return ""
	}
	a, err := png.Decode(bytes.NewReader(got))
	if err != nil {
		return err.Error()
	}
	b, err := png.Decode(bytes.NewReader(want))
	if err != nil {
		return "golden: " + err.Error()
	}
	if a.Bounds() != b.Bounds() {
		return fmt.Sprintf("size %v, want %v", a.Bounds().Size(), b.Bounds().Size())
	}
	diff, total := differentPixels(a, b)
	if diff*200 > total {
		return fmt.Sprintf("%d of %d pixels differ", diff, total)
	}
	return ""
}

func differentPixels(a, b image.Image) (diff, total int) {
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, _ := a.At(x, y).RGBA()
			br, bg, bb, _ := b.At(x, y).RGBA()
			if absDiff(ar, br)+absDiff(ag, bg)+absDiff(ab, bb) > 3*0x1000 {
				diff++
			}
			total++
		}
	}
	return diff, total
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// --- fixed synthetic data ---

func berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	return loc
}

// ordersFrame is n orders with a skewed total (nulls of them NULL), an
// integer quantity, a city (14 values), a status and a currency.
func ordersFrame(n, nulls int) dataframe.DataFrame {
	r := rand.New(rand.NewPCG(1, 2))
	cities := []string{"Toronto", "Detroit", "Chicago", "Stuttgart", "München", "Lyon", "Brescia", "Birmingham",
		"Wrocław", "Göteborg", "Shenzhen", "Osaka", "Pune", "Taichung"}
	statuses := []string{"delivered", "shipped", "pending", "cancelled", "refunded"}
	currencies := []string{"USD", "EUR", "CNY", "JPY"}
	total := make([]float64, n)
	quantity := make([]int, n)
	city := make([]string, n)
	status := make([]string, n)
	currency := make([]string, n)
	for i := range n {
		quantity[i] = 1 + int(r.ExpFloat64()*4)%20
		total[i] = math.Round(math.Exp(5+0.8*r.NormFloat64())*100) / 100
		// A few cities dominate.
		city[i] = cities[min(len(cities)-1, int(r.ExpFloat64()*3.5))]
		status[i] = statuses[min(len(statuses)-1, int(r.ExpFloat64()*1.2))]
		currency[i] = currencies[min(len(currencies)-1, int(r.ExpFloat64()*1.1))]
		if status[i] == "refunded" {
			total[i] *= 0.6
		}
	}
	s := series.New(total, series.Float, "total")
	for i := 0; i < nulls; i++ {
		s.Elem(i * (n / max(1, nulls))).Set(nil) // a NULL every n/nulls rows
	}
	return dataframe.New(s,
		series.New(quantity, series.Int, "quantity"),
		series.New(city, series.String, "city"),
		series.New(status, series.String, "status"),
		series.New(currency, series.String, "currency"))
}

func curvesFrame() dataframe.DataFrame {
	var x, sin, damped []float64
	for i := 0; i <= 200; i++ {
		v := float64(i) / 10
		x = append(x, v)
		sin = append(sin, math.Sin(v))
		damped = append(damped, 1.5*math.Exp(-v/8)*math.Cos(2*v))
	}
	return dataframe.New(series.New(x, series.Float, "x"), series.New(sin, series.Float, "sin"), series.New(damped, series.Float, "damped"))
}

// dailyFrame is a value per local day from March 20 to April 10, 2024 in
// Berlin (clocks went forward on March 31), as RFC 3339 text.
func dailyFrame(t testing.TB) dataframe.DataFrame {
	loc := berlin(t)
	var day []string
	var orders []float64
	for d := time.Date(2024, 3, 20, 0, 0, 0, 0, loc); d.Before(time.Date(2024, 4, 11, 0, 0, 0, 0, loc)); d = d.AddDate(0, 0, 1) {
		day = append(day, d.Format(time.RFC3339))
		orders = append(orders, 120+30*math.Sin(float64(d.Day()))+float64(d.Weekday()%6)*8)
	}
	return dataframe.New(series.New(day, series.String, "day"), series.New(orders, series.Float, "orders"))
}

// fallBackEvents are events every 10 minutes from Oct 26 18:00 to Oct 28
// 06:00, 2024, in Berlin, where 02:00-03:00 happened twice on Oct 27.
func fallBackEvents(t testing.TB) []time.Time {
	loc := berlin(t)
	var out []time.Time
	for ts := time.Date(2024, 10, 26, 18, 0, 0, 0, loc); ts.Before(time.Date(2024, 10, 28, 6, 0, 0, 0, loc)); ts = ts.Add(10 * time.Minute) {
		out = append(out, ts)
	}
	return out
}

// cloud is n correlated points.
func cloud(n int) (xs, ys []float64) {
	r := rand.New(rand.NewPCG(3, 4))
	xs, ys = make([]float64, n), make([]float64, n)
	for i := range xs {
		xs[i] = r.NormFloat64()
		ys[i] = 0.6*xs[i] + 0.8*r.NormFloat64()
	}
	return xs, ys
}

func monthsFrame() dataframe.DataFrame {
	months := []string{"2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06", "2024-07", "2024-08", "2024-09", "2024-10", "2024-11", "2024-12"}
	var eur, usd, cny []float64
	for i := range months {
		eur = append(eur, 40000+3000*float64(i))
		usd = append(usd, 65000+5000*math.Sin(float64(i)))
		cny = append(cny, 20000+2500*float64(i%4))
	}
	return dataframe.New(series.New(months, series.String, "month"), series.New(eur, series.Float, "eur"),
		series.New(usd, series.Float, "usd"), series.New(cny, series.Float, "cny"))
}
