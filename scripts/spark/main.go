// Command spark starts, stops and reports on the local Spark Connect server that helpers/spark uses when
// SPARK_REMOTE is not set. See internal/sparkserver.
package main

import (
	"context"
	"os"

	"github.com/replicalab/replicalab/internal/sparkserver"
)

func main() { os.Exit(sparkserver.Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) }
