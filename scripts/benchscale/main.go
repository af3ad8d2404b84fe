// Command benchscale measures what the product promises at production scale, on a throwaway primary +
// streaming replica at demo scale large (5,000,000 events) plus a generated catalog of 3,000 linked
// tables (schema erp):
//
//   - truncated loads: three identical loads cut at the row limit, another session's synchronized scans
//     moving the start in between, hold the same rows (and say which); three Sampled loads hold the same
//     labelled random sample; for contrast, three raw cut scans with synchronized scans on;
//
//   - lag: the lag the replica shows (replica.Pool.Lag) every 250 ms during a VACUUM (FREEZE) of the
//     largest table and during a bulk load, against the primary's pg_stat_replication.replay_lag;
//
//   - the schema map: reading the catalog, drawing the map, its first screen in headless Chromium at
//     1600 × 1200 (screenshots written to -out), legible table names on it, the time the search box takes
//     to find a table and open its group, and the same map in an exported report;
//
//   - a time-count chart with too many buckets: refused, how fast, and how many bytes the replica sent.
//
//     go run ./scripts/benchscale [-scale large] [-tables 3000] [-limit 1000000] [-out DIR]
//
// make bench-scale runs it. Timings are benchmarks, never test assertions.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchscale:", err)
		os.Exit(1)
	}
}
