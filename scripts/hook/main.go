// Command replicalab-hook is the git pre-commit hook that keeps notebook
// outputs and secrets out of git; see package internal/hook. `make hooks`
// installs it with `go run ./scripts/hook install`.
package main

import (
	"context"
	"os"

	"github.com/replicalab/replicalab/internal/hook"
)

func main() { os.Exit(hook.Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
