// Command demodb runs the local demo database: a PostgreSQL primary and its streaming read replica.
// See internal/demodb for what each subcommand does.
package main

import (
	"context"
	"os"

	"github.com/replicalab/replicalab/internal/demodb"
)

func main() { os.Exit(demodb.Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
