// Command benchframe compares ways of loading the same query result of at
// least 1,000,000 rows from a read replica, each in its own process: binary
// COPY to /dev/null with psql (the practical limit), helpers/frame into a
// gota DataFrame (fetch, fetch and cache, cached re-run), pandas.read_sql
// with psycopg2 and, when they are installed, connectorx and polars. It
// prints wall time, rows/s, peak RSS and the ratios. scripts/bench-frame.sh
// sets up the Python side and runs it.
//
//	go run ./scripts/benchframe run [-rows N] [-runs N] [-scale small|medium|large] [-python PATH]
package main

import (
	"context"
	"os"
)

func main() { os.Exit(Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
