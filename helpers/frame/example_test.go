package frame_test

import (
	"context"
	"fmt"
	"time"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/helpers/replica"
)

// Load a query through the cache, show it, and use its columns.
func ExampleLoad() {
	ctx := context.Background()
	db, err := replica.Open(ctx) // settings from the environment and .env
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	res, err := frame.Load(ctx, db, "SELECT id, status, total, placed_at FROM orders WHERE placed_at >= $1",
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res) // where the rows came from: the replica, or the cache and when they were fetched
	res.Show()       // an HTML table in a notebook
	res.Describe().Show()
	placed, _ := res.Times("placed_at")
	fmt.Println("first order:", placed[0])
}

// Query returns just the DataFrame; options travel with the arguments.
func ExampleQuery() {
	ctx := context.Background()
	db, err := replica.Open(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	df, err := frame.Query(ctx, db, "SELECT status, count(*) AS n FROM orders WHERE currency = $1 GROUP BY 1",
		"EUR", frame.Refresh(), frame.Limit(100))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(df.Nrow(), "statuses")
}

// Sample about 1% of a table's rows, the same rows each time.
func ExampleSample() {
	ctx := context.Background()
	db, err := replica.Open(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	df, err := frame.Sample(ctx, db, "events", 0.01, frame.Seed(42))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(df.Nrow(), "sampled events")
}

// Timestamp columns hold seconds since 1970 (UTC): Times turns them back into
// times, Unix turns a time into the number to filter with.
func ExampleTimes() {
	placed := series.New([]float64{
		frame.Unix(time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)),
		frame.Unix(time.Date(2026, 3, 2, 17, 5, 12, 345678000, time.UTC)),
	}, series.Float, "placed_at")
	for _, t := range frame.Times(placed) {
		fmt.Println(t.Format(time.RFC3339Nano))
	}
	df := dataframe.New(placed)
	cutoff := frame.Unix(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC))
	fmt.Println(df.Filter(dataframe.F{Colname: "placed_at", Comparator: series.GreaterEq, Comparando: cutoff}).Nrow(), "placed since March 2")
	// Output:
	// 2026-03-01T09:30:00Z
	// 2026-03-02T17:05:12.345678Z
	// 1 placed since March 2
}

// A table and a summary as text (in a notebook, Show displays them as HTML).
func ExampleStyle_Text() {
	total := series.New([]float64{12.5, 7, 0}, series.Float, "total")
	total.Elem(2).Set(nil) // a NULL
	df := dataframe.New(
		series.New([]string{"paid", "NA", "shipped"}, series.String, "status"),
		total,
	)
	fmt.Print(frame.Style{}.Text(df))
	fmt.Print(frame.Describe(df))
	// Output:
	// 3 rows × 2 columns
	//    status   total
	//    string   float
	// 0  paid      12.5
	// 1  NA           7
	// 2  shipped   NULL
	// summary of 3 rows × 2 columns
	// column  type    count  nulls  mean      std  min    25%   50%     75%   max  distinct  top values
	// status  string      3      0                                                        3  NA (1), paid (1), shipped (1)
	// total   float       2      1  9.75  3.88909    7  8.375  9.75  11.125  12.5
}
