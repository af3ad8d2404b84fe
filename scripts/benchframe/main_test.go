package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/replicalab/replicalab/internal/numfmt"
)

func TestRunRejectsBadUsage(t *testing.T) {
	t.Setenv("BENCH_QUERY", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "usage: benchframe"},
		{[]string{"bench"}, `unknown command "bench": expected run or load`},
		{[]string{"run", "-rows", "0"}, "expected positive -rows and -runs, found 0 and 3"},
		{[]string{"load"}, "expected the query in BENCH_QUERY, found none"},
		{[]string{"run", "-nope"}, "flag provided but not defined: -nope"},
	} {
		var out, errb bytes.Buffer
		if code := Run(context.Background(), c.args, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("Run(%q): expected exit 2 and %q, found %d and %q", c.args, c.want, code, errb.String())
		}
	}
}

func TestBenchQueryRepeatsTheTableToReachTheRows(t *testing.T) {
	for _, c := range []struct{ rows, table, reps int }{{1_000_000, 50_000, 20}, {1_000_000, 5_000_000, 1}, {10, 3, 4}} {
		q := benchQuery(c.rows, c.table)
		want := []string{"generate_series(1, " + itoa(c.reps) + ")", "LIMIT " + itoa(c.rows), "/* benchframe */"}
		for _, w := range want {
			if !strings.Contains(q, w) {
				t.Errorf("benchQuery(%d, %d): expected %q in\n%s", c.rows, c.table, w, q)
			}
		}
	}
}

func itoa(n int) string { return strings.TrimSpace(strings.ReplaceAll(numfmt.Int(n), ",", "")) }
