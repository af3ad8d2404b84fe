package provenance

import "testing"

func TestPartialWords(t *testing.T) {
	for _, tc := range []struct {
		l          Lineage
		note, kept string
	}{
		{Lineage{Rows: 10}, "", ""},
		{Lineage{Rows: 1_000_000, Truncated: true, Limit: 1_000_000, Of: 4_987_210},
			"of ≈5,000,000 rows, cut by the row limit",
			"the first 1,000,000 rows of ≈5,000,000, in no particular order: not a sample (cut by the row limit)"},
		{Lineage{Rows: 1000, Truncated: true, Limit: 1000, Ordered: true},
			"of more rows, cut by the row limit",
			"the first 1,000 rows of a larger result in the query's ORDER BY (cut by the row limit)"},
		{Lineage{Rows: 997_012, Sample: "each row kept with probability 19.94 % (by a hash of the row, seed 1)", Of: 5_000_000, OfExact: true},
			"of 5,000,000 rows, a random sample",
			"a random sample of 997,012 of 5,000,000 rows: each row kept with probability 19.94 % (by a hash of the row, seed 1)"},
	} {
		if got := tc.l.NoteOf(); got != tc.note {
			t.Errorf("NoteOf() = %q, want %q", got, tc.note)
		}
		if got := tc.l.Kept(); got != tc.kept {
			t.Errorf("Kept() = %q, want %q", got, tc.kept)
		}
	}
	for n, want := range map[int64]int64{42: 42, 4_987_210: 5_000_000, 123_456: 120_000, 1_049: 1_000} {
		if got := RoundRows(n); got != want {
			t.Errorf("RoundRows(%d) = %d, want %d", n, got, want)
		}
	}
}
