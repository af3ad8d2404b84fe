// Command benchspark times one analysis — events per day and kind, with the median user-agent length —
// done on a read replica and on Spark, on a throwaway primary with two streaming replicas at demo scale
// large (5,000,000 events):
//
//   - as SQL on one replica (helpers/frame);
//   - on the local Spark Connect server reading one replica in 2 partitions, then in 4;
//   - reading two replicas (2 partitions each);
//   - taking a Parquet snapshot of the table, then re-running from the snapshot.
//
// For each it gives the median wall time over -runs, the rows each replica read (counted on each replica:
// its own table statistics), the partition queries each replica ran (pg_stat_statements), the most
// JDBC connections open at once on each replica (pg_stat_activity, sampled every 5 ms), Spark's task
// time, and whether the result equals the replica's. It ends with a projection for a real cluster,
// from a model fitted to these numbers (see projection).
//
//	go run ./scripts/benchspark [-scale large] [-runs 3] [-cores N] [-memory 4g]
//
// make bench-spark runs it. Timings are benchmarks, never test assertions.
package main

import (
	"context"
	"os"
)

func main() { os.Exit(Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) }
