package frame_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of the tests that have them")

// golden compares got with testdata/golden/<name>, or writes it there with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n%s", name, path, diffLines(string(want), got))
	}
}

func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			b.WriteString("- " + a + "\n+ " + c + "\n")
		}
	}
	return b.String()
}

// TestEveryKindReadsWell: one query with a column of every kind, shown as HTML and as text,
// against golden files: numbers with thousands separators (not identifiers), numeric at its
// scale (39.50), timestamps without microseconds unless they carry some, dates as dates, times,
// intervals, NULL and NaN apart.
func TestEveryKindReadsWell(t *testing.T) {
	e := newEnv(t)
	r := e.load(`SELECT * FROM (VALUES
		(1234567::int8, 98765::int8, 1234.5::float8, 39.50::numeric(10,2), 39.5::numeric, 1234567.125::numeric(12,3),
		 true, 'text <b>'::text, '{"a": 1}'::jsonb, ARRAY[1, 2]::int[],
		 timestamptz '2024-02-29 12:34:56+00', timestamptz '2024-02-29 12:34:56.5+00', date '2024-02-29', time '08:30:00',
		 interval '3 days 04:05:06', 2024::int4),
		(-42, 7, 'NaN'::float8, NULL, 0.125, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
	) AS v(count, order_id, f8, money, num, wide, b, txt, js, arr, at, at_us, day, clock, took, year)`)
	// The table itself: a copy of the DataFrame has no lineage, so no wrapper carrying it (fetch time
	// included; see lineage_test.go).
	golden(t, "kinds.html", strings.ReplaceAll(r.With(r.DataFrame.Copy()).HTML(), "</tr>", "</tr>\n"))
	golden(t, "kinds.txt", r.Text())
	golden(t, "kinds-summary.txt", r.Summary().String())
}
