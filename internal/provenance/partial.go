package provenance

import (
	"math"
	"strings"

	"github.com/replicalab/replicalab/internal/numfmt"
)

// When a load keeps only part of what its query returns, every output drawn from it says so in the same
// words (helpers/frame's load line, helpers/chart's note, the report's appendix): which part, and of how
// many rows.

// Partial reports whether the rows are only part of what the query returns: cut at the row limit, or
// sampled.
func (l Lineage) Partial() bool { return l.Truncated || l.Sample != "" }

// OfRows says how many rows the query returns: "5,000,000 rows" (counted), "≈5,000,000 rows" (the
// planner's estimate, two significant digits) or "more rows" (unknown).
func (l Lineage) OfRows() string {
	switch {
	case l.Of <= 0:
		return "more rows"
	case l.OfExact:
		return numfmt.Int(l.Of) + " rows"
	}
	return "≈" + numfmt.Int(RoundRows(l.Of)) + " rows"
}

// RoundRows rounds a planner's estimate to two significant digits: 4,987,210 → 5,000,000.
func RoundRows(n int64) int64 {
	if n < 100 {
		return n
	}
	p := math.Pow(10, math.Floor(math.Log10(float64(n)))-1)
	return int64(math.Round(float64(n)/p) * p)
}

// NoteOf is what a chart adds after "n = …" when its rows are only part of the query's: "of ≈5,000,000
// rows, cut by the row limit" or "of 5,000,000 rows, a random sample"; "" when they are all of them.
func (l Lineage) NoteOf() string {
	switch {
	case l.Sample != "" && l.Truncated:
		return "of " + l.OfRows() + ", a random sample cut by the row limit"
	case l.Sample != "":
		return "of " + l.OfRows() + ", a random sample"
	case l.Truncated:
		return "of " + l.OfRows() + ", cut by the row limit"
	}
	return ""
}

// Kept says in a sentence which of the query's rows were kept, for a load line or a report: "" when all.
//
//	the first 1,000,000 rows of ≈5,000,000, in no particular order: not a sample (cut by the row limit)
//	the first 1,000,000 rows of ≈5,000,000 in the query's ORDER BY (cut by the row limit)
//	a random sample of 997,012 of 5,000,000 rows: each row kept with probability 19.94 % (seed 1)
func (l Lineage) Kept() string {
	if !l.Partial() {
		return ""
	}
	of := "of a larger result"
	if l.Of > 0 {
		of = "of " + strings.TrimSuffix(l.OfRows(), " rows")
	}
	if l.Sample != "" {
		s := "a random sample of " + numfmt.Int(l.Rows) + " " + of
		if l.Of > 0 {
			s += " rows"
		}
		s += ": " + l.Sample
		if l.Truncated {
			s += ", then cut at the row limit of " + numfmt.Int(l.Limit)
		}
		return s
	}
	if l.Ordered {
		return "the first " + numfmt.Int(l.Rows) + " rows " + of + " in the query's ORDER BY (cut by the row limit)"
	}
	return "the first " + numfmt.Int(l.Rows) + " rows " + of + ", in no particular order: not a sample (cut by the row limit)"
}
