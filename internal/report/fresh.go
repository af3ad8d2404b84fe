package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/replicalab/replicalab/internal/provenance"
)

// How reads are grouped into one freshness statement.
const (
	// readGap splits reads into separate times: reads less than this apart (one after the other) were
	// read together.
	readGap = 15 * time.Minute
	// lagNote is how much more lag than the rest of the report earns a section its own note.
	lagNote = 10 * time.Second
)

// Provenance says how fresh a report's data is: when it was read from the database and at what lag. It is
// gathered from the lineage of figures and tables and from the helpers' load lines; the connection
// banners count only when a notebook has neither.
type Provenance struct {
	Reads       int       // distinct reads behind the header's statement
	First, Last time.Time // when they were made
	MaxLag      float64   // seconds, over the reads whose lag is known
	LagKnown    bool
	Primary     bool // some data came from a primary opened with ALLOW_PRIMARY
	Banners     bool // only connection banners were found: when the connection was checked, not when data was read
	Elsewhere   int  // sections whose data was read at another time or lag: they carry a note of their own
}

// String is the header's one freshness statement. It never names a server or a user (.env values).
func (p Provenance) String() string {
	if p.Reads == 0 {
		return "not recorded (no query results or connection banner in the outputs)"
	}
	var b strings.Builder
	b.WriteString("read " + span(p.First, p.Last))
	if p.Primary {
		b.WriteString(" — from a PRIMARY database (ALLOW_PRIMARY was set), not a replica")
	} else {
		b.WriteString(" from the read replica")
		if p.LagKnown {
			fmt.Fprintf(&b, ", replication lag at most %s", fmtSeconds(p.MaxLag))
		}
	}
	if p.Elsewhere > 0 {
		b.WriteString("; sections read at another time say so")
	}
	return b.String()
}

func span(first, last time.Time) string {
	f, l := first.UTC(), last.UTC()
	switch {
	case f.Format("2006-01-02 15:04") == l.Format("2006-01-02 15:04"):
		return f.Format("2006-01-02 15:04 UTC")
	case f.Format("2006-01-02") == l.Format("2006-01-02"):
		return f.Format("2006-01-02 15:04") + "–" + l.Format("15:04 UTC")
	}
	return f.Format("2006-01-02 15:04") + " – " + l.Format("2006-01-02 15:04 UTC")
}

func fmtSeconds(s float64) string { return strconv.FormatFloat(s, 'f', 1, 64) + " s" }

// sectionRead is one read of data shown in a section of the body (-1: not in the body).
type sectionRead struct {
	provenance.Read
	section int
}

// freshness decides the header's statement and the sections that need a note of their own.
type freshness struct {
	header Provenance
	notes  map[int]Provenance // by section
}

func computeFreshness(reads []sectionRead, banners []provenance.Read) freshness {
	fr := freshness{notes: map[int]Provenance{}}
	if len(reads) == 0 {
		// No data read is recorded: the banners say when the connection was checked.
		for _, b := range banners {
			reads = append(reads, sectionRead{Read: b, section: -1})
		}
		fr.header.Banners = len(banners) > 0
	}
	if len(reads) == 0 {
		return fr
	}
	reads = distinct(reads)
	sort.SliceStable(reads, func(i, j int) bool { return reads[i].At.Before(reads[j].At) })
	// Group reads made one after another; the header speaks for the largest group (the latest on a tie).
	cluster := make([]int, len(reads))
	sizes := []int{1}
	for i := 1; i < len(reads); i++ {
		cluster[i] = cluster[i-1]
		if reads[i].At.Sub(reads[i-1].At) > readGap {
			cluster[i]++
			sizes = append(sizes, 0)
		}
		sizes[cluster[i]]++
	}
	main := 0
	for c, n := range sizes {
		if n >= sizes[main] {
			main = c
		}
	}
	// Sections with a read outside the main group get a note.
	noted := map[int]bool{}
	for i, r := range reads {
		if cluster[i] != main && r.section >= 0 {
			noted[r.section] = true
		}
	}
	// So do sections whose lag stands out from the rest of the main group.
	lags := []float64{}
	for i, r := range reads {
		if cluster[i] == main && r.LagKnown {
			lags = append(lags, r.Lag.Seconds())
		}
	}
	laggy := make([]bool, len(reads))
	if len(lags) > 1 {
		sort.Float64s(lags)
		median := lags[len(lags)/2]
		for i, r := range reads {
			if cluster[i] == main && r.LagKnown && r.section >= 0 && r.Lag.Seconds()-median > lagNote.Seconds() {
				noted[r.section], laggy[i] = true, true
			}
		}
	}
	// A note says what differs (the reads of another time, or of a lag apart); the header speaks for the
	// rest of the main group.
	for i, r := range reads {
		switch {
		case r.section >= 0 && (cluster[i] != main || laggy[i]):
			p := fr.notes[r.section]
			add(&p, r.Read)
			fr.notes[r.section] = p
		case cluster[i] == main:
			add(&fr.header, r.Read)
		}
	}
	if fr.header.Reads == 0 { // every read sits in a noted section: the header speaks for the main group
		for i, r := range reads {
			if cluster[i] == main {
				add(&fr.header, r.Read)
			}
		}
	}
	fr.header.Elsewhere = len(fr.notes)
	for _, b := range banners { // a connection to a primary is said, whatever the reads say
		fr.header.Primary = fr.header.Primary || b.Primary
	}
	return fr
}

func distinct(reads []sectionRead) []sectionRead {
	type key struct {
		at      int64
		lag     time.Duration
		known   bool
		primary bool
		section int
	}
	seen := map[key]bool{}
	out := reads[:0:0]
	for _, r := range reads {
		k := key{r.At.UnixNano(), r.Lag, r.LagKnown, r.Primary, r.section}
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

func add(p *Provenance, r provenance.Read) {
	if p.Reads == 0 || r.At.Before(p.First) {
		p.First = r.At
	}
	if p.Reads == 0 || r.At.After(p.Last) {
		p.Last = r.At
	}
	p.Reads++
	if lag := r.Lag.Seconds(); r.LagKnown && (!p.LagKnown || lag > p.MaxLag) {
		p.MaxLag, p.LagKnown = lag, true
	}
	p.Primary = p.Primary || r.Primary
}

// sectionNote is the note a section whose data was read at another time or lag starts with.
func sectionNote(p Provenance) string {
	p.Elsewhere = 0
	return "The data in this section was " + p.String() + " — not at the time given at the top of the report."
}
