// Command benchload measures what the helpers spare the production replica
// (make bench-load), on the demo database at scale large (5,000,000 events)
// and at scale small (50,000):
//
//   - the cost preview: how fast a cartesian join of the two largest tables
//     is refused, and what the preview adds to a normal query (median of
//     many EXPLAIN round trips on loopback);
//   - bytes received from the replica by each chart computed on the server
//     against its client-side twin (which loads the rows), at 50k and 5M
//     rows, and with -huge at 50M (a 50,000,000-row table added to the large
//     cluster's primary; the client-side twins are not run there);
//   - how many times HistogramSQL reads the table (pg_stat_user_tables on
//     the replica, and pg_stat_statements).
//
// Timings are benchmark figures, never test assertions.
//
//	go run ./scripts/benchload [-large-dir DIR] [-huge] [-runs N]
//
// The large demo lives in -large-dir (default data/demodb-large, which git
// ignores): seeded there on the first run (minutes), then only started and
// stopped by each run (seconds). -large-dir "" seeds a throwaway cluster
// instead. The small one (50,000 events) is always a throwaway.
package main

import (
	"context"
	"os"
)

func main() { os.Exit(Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) }
