// Command cell stands in for a notebook cell in frame's tests: each run is a new program, as
// each GoNB cell is, with settings from the environment.
//
//	cell sql "<query>"          frame.SQL, then prints the rows and where they came from
//	cell load "<query>"         replica.Open + frame.Load, the same in the program style
//	cell store <name> "<query>" frame.SQL(...).Store(name)
//	cell named <name>           frame.Named(name)
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/helpers/replica"
)

func main() {
	switch os.Args[1] {
	case "sql":
		r := frame.SQL(os.Args[2])
		fmt.Println(r.Rows, "rows from", r.Source)
	case "load":
		ctx := context.Background()
		db, err := replica.Open(ctx)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer db.Close()
		r, err := frame.Load(ctx, db, os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(r.Rows, "rows from", r.Source)
	case "store":
		if err := frame.SQL(os.Args[3]).Store(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("stored", os.Args[2])
	case "named":
		r := frame.Named(os.Args[2])
		fmt.Println(r.Rows, "rows from", r.Source)
		r.Show()
	}
}
