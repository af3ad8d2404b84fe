package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/replicalab/replicalab/internal/numfmt"
	"github.com/replicalab/replicalab/internal/provenance"
)

// Verification is what make report VERIFY=1 found when it ran the queries behind the figures and tables
// again.
type Verification struct {
	At        time.Time
	Tolerance float64 // relative: a number may move by this share of itself
	Checks    []Check // one per source, in the order the notebook shows them
}

// Check is the verdict on one figure or table.
type Check struct {
	Drift      []provenance.Drift // the numbers that moved by more than the tolerance
	Err        string             // why a query could not be run again
	Unrecorded bool               // nothing to compare: no query, or no numbers recorded with it
}

func (c Check) String() string {
	switch {
	case c.Err != "":
		return "could not be checked: " + c.Err
	case c.Unrecorded:
		return "not checked: no query or numbers were recorded with it"
	case len(c.Drift) == 0:
		return "unchanged: the query gives the same numbers today"
	}
	var parts []string
	for i, d := range c.Drift {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(c.Drift)-5))
			break
		}
		parts = append(parts, d.String())
	}
	return "CHANGED since it was made: " + strings.Join(parts, "; ")
}

func (c Check) class() string {
	switch {
	case c.Err != "" || len(c.Drift) > 0:
		return "drift"
	case c.Unrecorded:
		return "unchecked"
	}
	return "unchanged"
}

// Changed reports whether the check found numbers that moved.
func (c Check) Changed() bool { return len(c.Drift) > 0 }

// summary is the header's line about the check.
func (v *Verification) summary(sources []*Source) string {
	var changed, failed []string
	checked := 0
	for i, s := range sources {
		if i >= len(v.Checks) {
			break
		}
		c := v.Checks[i]
		switch {
		case c.Err != "":
			failed = append(failed, s.Label())
		case c.Unrecorded:
		case len(c.Drift) > 0:
			changed = append(changed, s.Label())
			checked++
		default:
			checked++
		}
	}
	at := v.At.UTC().Format("2006-01-02 15:04 UTC")
	s := fmt.Sprintf("%s: %s checked against the replica", at, numfmt.Count(checked, "figure or table", "figures and tables"))
	switch {
	case len(changed) > 0:
		s += fmt.Sprintf("; the numbers of %s changed by more than %s", strings.Join(changed, ", "), percent(v.Tolerance))
	case checked > 0:
		s += fmt.Sprintf(", all unchanged (tolerance %s)", percent(v.Tolerance))
	}
	if len(failed) > 0 {
		s += "; could not check " + strings.Join(failed, ", ")
	}
	return s
}
