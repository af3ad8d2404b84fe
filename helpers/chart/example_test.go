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

	c := chart.Histogram(df, "total")
	if c.Err != nil {
		fmt.Println(c.Err)
		return
	}
	fmt.Println(c.Title.Text)
	fmt.Println(c.Stats().Note)
	// Output:
	// Distribution of total
	// n = 7; 1 NULL dropped
}

// In a notebook cell: a chart from a query, with a title, saved for the
// report and shown, in one line after the load. An error (a column that is
// not there, a figure that cannot be written) is shown and stops the cell.
func ExampleChart_Show() {
	total := series.New([]float64{12.5, 80, 33, 47.25, 51, 20, 95.5, 64}, series.Float, "total")
	df := dataframe.New(total) // in a cell: df := frame.SQL(`SELECT total FROM orders`).DataFrame

	chart.Histogram(df, "total", chart.Range(0, 100), chart.Title("Order totals")).Save("order-totals").Show()
	// In a notebook, the SVG; in a terminal, its alt text:
	//   Order totals (n = 8)
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
	c := chart.TimeCountsOf("logged_in_at", logins, chart.In(berlin), chart.Every(chart.Day))
	if c.Err != nil {
		fmt.Println(c.Err)
		return
	}
	fmt.Println(c.Title.Text, "|", c.X.Label.Text, "|", c.Stats().Note)
	// Output:
	// Rows per day | logged_in_at (Europe/Berlin) | n = 47
}

// The most common values; the rest are gathered into "other".
func ExampleBarOf() {
	c := chart.BarOf("status", []string{"paid", "paid", "open", "void", "paid", "open", "refunded"}, chart.Top(2))
	fmt.Println(c)
	// Output:
	// Rows by status (n = 7; 4 distinct; top 2 shown, 2 rows in other)
}

// Nothing to draw is an error, and a chart that says why.
func ExampleErrNoData() {
	c := chart.HistogramOf("latency_ms", []float64{math.NaN(), math.Inf(1)})
	fmt.Println(errors.Is(c.Err, chart.ErrNoData), c.Plot != nil)
	fmt.Println(c.Err)
	// Output:
	// true true
	// chart: no data: histogram of "latency_ms": all 2 values are NULL, NaN or Inf
}

// A histogram binned on the replica: only the bin counts are fetched. db is a
// *replica.Pool (or any Querier).
func ExampleHistogramQuery() {
	var db chart.Querier // db, err := replica.Open(ctx)
	ctx := context.Background()
	c := chart.HistogramQuery(ctx, db, "SELECT amount FROM payments WHERE status = $1",
		chart.Args("succeeded"), chart.Range(0, 5000), chart.Bins(50))
	if c.Err != nil {
		fmt.Println(c.Err)
		return
	}
	png, err := c.Render("png")
	fmt.Println(len(png), err)
}

// A PNG instead of an SVG, at a size of your choosing; the files written.
func ExampleChart_Save() {
	c := chart.ScatterOf("x", []float64{1, 2, 3}, "y", []float64{2, 4, 5}, chart.PNG(), chart.Size(6*vg.Inch, 4*vg.Inch))
	c.Save("x-vs-y") // reports/figures/x-vs-y.png and .svg
	fmt.Println(c.Files, c.Err)
}

// Charts of a table too large to load, computed on the replica: only the
// aggregates cross the network. In a notebook cell, on the notebook's
// connection; an error stops the cell.
func ExampleBarSQL() {
	chart.BarSQL("SELECT kind FROM events", chart.Top(6)).Show()
	chart.BoxSQL("SELECT total, status FROM orders WHERE total < $1", chart.Args(5000)).Show()
	chart.ScatterSQL("SELECT quantity, unit_price FROM order_items").Show()
	chart.TimeSeriesSQL("SELECT occurred_at, length(payload::text) AS payload_size FROM events", chart.MaxPoints(300)).Show()
	// In a terminal, their alt texts, e.g.:
	//   Rows by kind (n = 5,000,000; 10 distinct; top 6 shown, 450,434 rows in other)
	//   total by status (n = 189,293; 1,000 of 15,307 outliers drawn; whiskers 1.5 IQR)
	//   unit_price vs quantity (n = 421,580; 40 × 40 cells, darker: more rows (up to 210,972 in one); counted on the server)
	//   payload_size over time (n = 5,000,000; mean of each of 300 slices of occurred_at, band from lowest to highest; on the server)
}
