package spark_test

import (
	"context"
	"fmt"

	"github.com/apache/spark-connect-go/spark/sql/functions"
	"github.com/replicalab/replicalab/helpers/chart"
	"github.com/replicalab/replicalab/helpers/spark"
)

// In a notebook cell: register the replica tables the cell uses, run Spark SQL, get a frame.Result.
// Running the cell again reads the result from the cache: neither Spark nor the replicas are asked.
func ExampleSQL() {
	spark.Table("events", spark.Partitions(8)) // read in 8 key ranges over the replicas; nothing read yet
	daily := spark.SQL(`SELECT date_trunc('DAY', occurred_at) AS day, count(*) AS events FROM events GROUP BY 1 ORDER BY 1`)
	daily.Show()
	chart.TimeSeries(daily.DataFrame, "day", []string{"events"}, chart.Title("Events per day")).Show()
	// The cell shows, above the table, where the rows came from:
	//   1,643 rows × 2 columns from analyst@replica-1:5432,replica-2:5432/marketplace via Spark in 6.21 s at replica lag 0.0 s; cached for 1h
}

// How a view will be read: the key, its bounds, each replica's share.
func ExampleShowPlan() {
	spark.Table("orders", spark.Key("placed_at"), spark.Partitions(6))
	spark.ShowPlan("orders")
	// Shows:
	//   orders: 6 partitions on placed_at (bounds from the index) over 2 replicas:
	//     replica-1:5432 reads placed_at < 2025-09-14 05:12:40.5 (and NULL) in 3 partition(s), 2 at once
	//     replica-2:5432 reads placed_at ≥ 2025-09-14 05:12:40.5 in 3 partition(s), 2 at once
}

// The DataFrame API on a view, brought back like SQL.
func ExampleCollect() {
	spark.Table("events")
	perKind, err := spark.View("events").GroupBy(functions.Col("kind")).Count(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	spark.Collect(perKind).Show()
}

// A snapshot: the first use reads the replicas once and writes Parquet under data/spark/snapshots;
// later cells (and later days) read the snapshot.
func ExampleSnapshot() {
	spark.Table("events", spark.Snapshot())
	spark.SQL(`SELECT kind, count(*) AS n FROM events GROUP BY kind`).Show()
	// Under the provenance line:
	//   ⚠ view events read from its snapshot taken 2026-11-30 10:03 UTC (5,000,000 rows): Refresh() reads the replicas again
}

// In a program: a context, a session, errors returned.
func ExampleOpen() {
	ctx := context.Background()
	s, err := spark.Open(ctx) // settings from the environment and .env; no I/O yet
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	if err := s.Table("events", spark.Key("id")); err != nil {
		fmt.Println(err)
		return
	}
	res, err := s.Load(ctx, `SELECT kind, count(*) AS n FROM events GROUP BY kind ORDER BY n DESC`)
	if err != nil {
		fmt.Println(err) // e.g. a primary in the settings: errors.Is(err, spark.ErrPrimary)
		return
	}
	fmt.Println(res)
	// Prints, e.g.:
	//   6 rows × 2 columns from analyst@replica-1:5432,replica-2:5432/marketplace via Spark in 4.02 s at replica lag 0.0 s; cached for 1h
}
