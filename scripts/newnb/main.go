// Command newnb starts a new analysis notebook from a template (make new NAME=...): see internal/newnb.
package main

import (
	"context"
	"os"

	"github.com/replicalab/replicalab/internal/newnb"
)

func main() { os.Exit(newnb.Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
