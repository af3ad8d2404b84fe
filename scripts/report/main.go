// Command report turns a notebook into a self-contained HTML report for stakeholders:
//
//	go run ./scripts/report [--execute] [--pdf] [--out FILE] notebooks/6.0-partial-results.ipynb
//
// See internal/report for what goes in and what stays out.
package main

import (
	"context"
	"os"

	"github.com/replicalab/replicalab/internal/report"
)

func main() { os.Exit(report.Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
