// Package provenance is the one definition of how replicalab marks a notebook output with where its data
// came from, so that the report exporter can say how fresh a report's data is without ever naming a
// server or a login.
//
// Writers are the helpers (helpers/replica's banner, helpers/frame's load line); the reader is
// internal/report. Both sides use this package, never the attribute names directly.
//
// An HTML output is marked by attributes on one element:
//
//	data-replicalab-kind     what the element is: "banner" (replica connection), "load" (a query's rows)
//	data-replicalab-source   user@host:port/database (for the notebook's reader; reports drop it)
//	data-replicalab-at       when the data was read, RFC 3339 in UTC
//	data-replicalab-lag      the replica's lag then, in seconds with 3 decimals; absent when unknown
//	data-replicalab-primary  "true" when read from a primary opened with ALLOW_PRIMARY
//
// A marked element is bookkeeping, not content: the exporter records its read and drops the element.
//
// Figures and tables carry a [Record]: the [Lineage] of their numbers (the SQL as sent, its typed
// arguments, rows, fetch time, lag, truncation and sampling, and a [Numbers] summary that
// make report VERIFY=1 compares after running the query again). A chart's record travels in its
// display_data metadata under [MetadataKey] and in the sidecar <name>.json that chart.Save writes beside
// the figure; a table's in the [AttrLineage] attribute of its wrapper ([TableAttrs]).
//
// The output of an exploration helper (overview, profile, picker, diagram, sample) is wrapped in an
// element marked with [ExploreAttrs]: reports move such cells to their appendix. Text that only makes sense
// in a live notebook (a hint to the analyst, "click a header") carries [NotebookOnly]: reports leave it out.
package provenance

import (
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	xhtml "golang.org/x/net/html"
)

// AttrPrefix starts every attribute of the protocol.
const AttrPrefix = "data-replicalab-"

// The attributes of a marked element.
const (
	AttrKind    = AttrPrefix + "kind"
	AttrSource  = AttrPrefix + "source"
	AttrAt      = AttrPrefix + "at"
	AttrLag     = AttrPrefix + "lag"
	AttrPrimary = AttrPrefix + "primary"
)

// Kind says what a marked element is.
type Kind string

const (
	Banner Kind = "banner" // helpers/replica: the connection banner
	Load   Kind = "load"   // helpers/frame: the line saying where a query's rows came from
)

// Read is one read of data from the database.
type Read struct {
	Source   string        // user@host:port/database; shown in the notebook, never in a report
	At       time.Time     // when the data was read
	Lag      time.Duration // how far the replica was behind its primary then
	LagKnown bool          // false when the lag could not be measured
	Primary  bool          // read from a primary (ALLOW_PRIMARY), not a replica
}

// Attrs returns the HTML attributes that mark an element of kind k as showing the data of r, escaped,
// separated by spaces, without a leading or trailing space.
func Attrs(k Kind, r Read) string {
	var b strings.Builder
	fmt.Fprintf(&b, `%s="%s" %s="%s" %s="%s"`, AttrKind, html.EscapeString(string(k)),
		AttrSource, html.EscapeString(r.Source), AttrAt, r.At.UTC().Format(time.RFC3339))
	if r.LagKnown {
		fmt.Fprintf(&b, ` %s="%.3f"`, AttrLag, r.Lag.Seconds())
	}
	if r.Primary {
		fmt.Fprintf(&b, ` %s="true"`, AttrPrimary)
	}
	return b.String()
}

// Mark is what a marked element says.
type Mark struct {
	Kind Kind // "" on elements written before kinds existed
	Read
}

// Parse reads the mark on an element from its attributes; false when the element carries none (no valid
// data-replicalab-at).
func Parse(attrs []xhtml.Attribute) (Mark, bool) {
	var m Mark
	found := false
	for _, a := range attrs {
		switch a.Key {
		case AttrKind:
			m.Kind = Kind(a.Val)
		case AttrSource:
			m.Source = a.Val
		case AttrAt:
			if ts, err := time.Parse(time.RFC3339, a.Val); err == nil {
				m.At, found = ts, true
			}
		case AttrLag:
			if f, err := strconv.ParseFloat(a.Val, 64); err == nil && f >= 0 {
				m.Lag, m.LagKnown = time.Duration(f*float64(time.Second)+0.5), true
			}
		case AttrPrimary:
			m.Primary = a.Val == "true"
		}
	}
	return m, found
}

// Marked reports quickly whether an HTML text may carry a mark (for skipping the parse).
func Marked(h string) bool { return strings.Contains(h, AttrAt) }

// IsAttr reports whether an attribute name belongs to the protocol: such attributes are for the exporter
// and never reach a report.
func IsAttr(key string) bool { return strings.HasPrefix(strings.ToLower(key), AttrPrefix) }
