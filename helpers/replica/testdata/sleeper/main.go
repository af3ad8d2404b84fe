// Command sleeper stands in for a notebook cell in the interrupt tests: it
// opens the replica from the environment, says "ready", and runs a query
// that sleeps for a minute.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/replicalab/replicalab/helpers/replica"
)

func main() {
	ctx := context.Background()
	db, err := replica.Open(ctx, replica.Quiet())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("ready")
	_, err = db.Exec(ctx, "SELECT pg_sleep(60)")
	fmt.Println("query returned:", err)
}
