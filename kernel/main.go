// Command kernel installs, removes and inspects the "Go (replica)" Jupyter kernel: GoNB wired to this
// module with --go_work, so every notebook can import the packages under helpers/.
//
//	go run ./kernel install    # build the pinned tools, write the kernelspec, warm the build cache
//	go run ./kernel status     # what is installed where, versions, what is missing and how to fix it
//	go run ./kernel uninstall  # remove our kernelspec (never a user's own "gonb" one)
package main

import (
	"context"
	"os"

	"github.com/replicalab/replicalab/internal/kernelspec"
)

func main() {
	os.Exit(kernelspec.Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
