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

// In a notebook cell: no context, no connection, no error plumbing. The
// notebook's connection opens only if the cache cannot answer; an error
// shows its message and stops the cell.
func ExampleSQL() {
	orders := frame.SQL(`SELECT id, status, total, placed_at FROM orders WHERE placed_at >= $1`,
		frame.Args(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	orders.Show()           // the table: head and tail, types, NULLs, times as times
	orders.Summary().Show() // count, nulls, mean, quartiles; distinct and top values
	// The cell shows, above the table, where the rows came from:
	//   3,112 rows × 4 columns from analyst@db-replica:5432/marketplace in 0.04 s (77,800 rows/s) at replica lag 0.0 s; planner estimate ~3,100 rows at cost 250; cached for 1h
}

// In a program: a context, an explicit connection, errors returned.
func ExampleLoad() {
	ctx := context.Background()
	db, err := replica.Open(ctx) // settings from the environment and .env; connects on first use
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	res, err := frame.Load(ctx, db, "SELECT id, status, total, placed_at FROM orders WHERE placed_at >= $1",
		frame.Args(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), frame.Refresh())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res) // where the rows came from: the replica, or the cache and when they were fetched
	placed, _ := res.Times("placed_at")
	fmt.Println("first order:", placed[0])
	// Prints, e.g.:
	//   3,112 rows × 4 columns from analyst@db-replica:5432/marketplace in 0.04 s (77,800 rows/s) at replica lag 0.0 s; planner estimate ~3,100 rows at cost 250; cached for 1h
	//   first order: 2026-01-01 00:07:13 +0000 UTC
}

// A result kept under a name by one cell (here a Go cell; a `%%sql orders`
// cell does the same) and read back by a later one without the replica.
func ExampleNamed() {
	if err := frame.SQL(`SELECT id, total FROM orders`).Store("orders"); err != nil {
		fmt.Println(err)
		return
	}
	orders := frame.Named("orders") // in a later cell
	fmt.Println(orders.Rows, "orders")
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
	res, err := frame.Sample(ctx, db, "events", 0.01, frame.Seed(42))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Rows, "sampled events")
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

// A DataFrame made in Go, as a table and a summary in text (in a notebook,
// Show displays them as HTML).
func ExampleOf() {
	total := series.New([]float64{12.5, 7, 0}, series.Float, "total")
	total.Elem(2).Set(nil) // a NULL
	df := dataframe.New(
		series.New([]string{"paid", "NA", "shipped"}, series.String, "status"),
		total,
	)
	fmt.Print(frame.Of(df).Text())
	fmt.Print(frame.Of(df).Summary())
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

// A query the planner estimates above REPLICALAB_MAX_COST or
// REPLICALAB_MAX_ROWS is not run: the error says what it would cost and
// why; AnyCost runs it anyway, for that one query.
func ExampleAnyCost() {
	_, err := frame.Load(context.Background(), replica.Default(), `SELECT * FROM events a, quotes b`)
	fmt.Println(err)
	events := frame.SQL(`SELECT * FROM events`, frame.AnyCost(), frame.Limit(100_000))
	fmt.Println(events.Rows)
	// Prints, e.g. (one line):
	//   frame: query not run on the replica: the planner estimates ~5.3 trillion rows at cost 150 billion (cost 150 billion
	//   is above REPLICALAB_MAX_COST=10M; ~5.3 trillion rows is above REPLICALAB_MAX_ROWS=10M). Most of the work: nested
	//   loop over 5M × 1.1M rows (every pair: no join condition). Narrow it (a WHERE, a join condition, an aggregate, a
	//   LIMIT, or a sample), or run it anyway, for this query only, with frame.AnyCost() (in a SQL cell: %%sql --any-cost)
	//   100000
}
