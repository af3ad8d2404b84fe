package chart_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"gonum.org/v1/plot/vg"

	"github.com/replicalab/replicalab/helpers/chart"
)

// A histogram of a column with NULLs: they are dropped, counted and said.
func ExampleHistogram() {
	total := series.New([]float64{12.5, 80, 33, 47.25, 51, 20, 95.5, 64}, series.Float, "total")
	total.Elem(2).Set(nil) // a NULL, as helpers/frame loads one
	df := dataframe.New(total)

	p, err := chart.Histogram(df, "total")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, _ := chart.StatsOf(p)
	fmt.Println(p.Title.Text)
	fmt.Println(s.Note)
	// Output:
	// Distribution of total
	// n = 7; 1 NULL dropped
}

// Rows per day in Berlin, across the night the clocks went forward.
func ExampleTimeCountsOf() {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		fmt.Println(err)
		return
	}
	var logins []time.Time
	for t := time.Date(2024, 3, 30, 0, 0, 0, 0, berlin); t.Before(time.Date(2024, 4, 1, 0, 0, 0, 0, berlin)); t = t.Add(time.Hour) {
		logins = append(logins, t) // one login an hour
	}
	p, err := chart.TimeCountsOf("logged_in_at", logins, chart.In(berlin), chart.Every(chart.Day))
	if err != nil {
		fmt.Println(err)
		return
	}
	s, _ := chart.StatsOf(p)
	fmt.Println(p.Title.Text, "|", p.X.Label.Text, "|", s.Note)
	// Output:
	// Rows per day | logged_in_at (Europe/Berlin) | n = 47
}

// The most common values; the rest are gathered into "other".
func ExampleBarOf() {
	p, err := chart.BarOf("status", []string{"paid", "paid", "open", "void", "paid", "open", "refunded"}, chart.Top(2))
	if err != nil {
		fmt.Println(err)
		return
	}
	s, _ := chart.StatsOf(p)
	fmt.Println(s.Note)
	// Output:
	// n = 7; 4 distinct; top 2 shown, 2 rows in other
}

// Nothing to draw is an error, and a chart that says why.
func ExampleErrNoData() {
	p, err := chart.HistogramOf("latency_ms", []float64{math.NaN(), math.Inf(1)})
	fmt.Println(errors.Is(err, chart.ErrNoData), p != nil)
	fmt.Println(err)
	// Output:
	// true true
	// chart: no data: histogram of "latency_ms": all 2 values are NULL, NaN or Inf
}

// A histogram binned on the replica: only the bin counts are fetched. db is a
// *replica.Pool (or any Querier).
func ExampleHistogramSQL() {
	var db chart.Querier // db, err := replica.Open(ctx)
	ctx := context.Background()
	p, err := chart.HistogramSQL(ctx, db, "SELECT amount FROM payments WHERE status = $1",
		chart.Args("succeeded"), chart.Range(0, 5000), chart.Bins(50))
	if err != nil {
		fmt.Println(err)
		return
	}
	chart.Show(p)
}

// Show a chart in the notebook, then save it for the report.
func ExampleShow() {
	p, err := chart.ScatterOf("x", []float64{1, 2, 3}, "y", []float64{2, 4, 5})
	if err != nil {
		fmt.Println(err)
		return
	}
	chart.Show(p)                                                // SVG
	chart.Show(p, chart.PNG(), chart.Size(6*vg.Inch, 4*vg.Inch)) // PNG, crisp on HiDPI screens
	paths, err := chart.Save(p, "x-vs-y")                        // reports/figures/x-vs-y.png and .svg
	fmt.Println(paths, err)
}
