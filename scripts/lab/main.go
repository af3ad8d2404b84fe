// Command lab holds what `make lab` does before JupyterLab starts: `go run ./scripts/lab prepare` picks the
// database — the demo read replica when there is no .env, the user's replica otherwise — and checks that
// it answers, naming the variable to fix when it does not.
package main

import (
	"context"
	"os"

	"github.com/replicalab/replicalab/internal/lab"
)

func main() { os.Exit(lab.Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
