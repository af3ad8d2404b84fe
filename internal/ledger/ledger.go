// Package ledger keeps the load ledger of a notebook session: how many
// statements the replica ran for it, the rows they returned, the bytes it
// sent and the time it spent, counted from the protocol messages on the
// connections (see [Meter]) so that the figures are what the replica saw —
// pg_stat_statements on the replica counts the same statements and rows.
//
// Where the figures are kept decides what "session" means:
//
//   - REPLICALAB_LEDGER names a file: the kernel sets it for the notebook,
//     so its SQL cells and every Go cell's program add to one ledger;
//   - else, inside GoNB, a file in GoNB's folder for the kernel's life
//     (GONB_TMP_DIR): the notebook session, across cells;
//   - else the process (a program, a test).
//
// A file holds one JSON line per exchange with the server, appended (each
// line in one write, so processes can share it); reading sums them.
package ledger

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/replicalab/replicalab/internal/numfmt"
	"github.com/replicalab/replicalab/internal/provenance"
)

// Env names the ledger file of a notebook session (set by the kernel).
const Env = "REPLICALAB_LEDGER"

// gonbFile is the ledger's name in GoNB's folder for the kernel
// (GONB_TMP_DIR).
const gonbFile = "replicalab-ledger.jsonl"

// Record is what the replica did in one exchange, or in a whole session.
type Record struct {
	Statements int64         `json:"statements,omitempty"`  // statements completed (pg_stat_statements' calls)
	Rows       int64         `json:"rows,omitempty"`        // rows they returned, as their command tags say (pg_stat_statements' rows)
	Failed     int64         `json:"failed,omitempty"`      // statements that ended in an error (cancelled ones too): pg_stat_statements leaves them out
	FailedRows int64         `json:"failed_rows,omitempty"` // rows received from those before they ended
	Bytes      int64         `json:"bytes,omitempty"`       // bytes received from the server
	Time       time.Duration `json:"ns,omitempty"`          // time the server was busy answering
	At         int64         `json:"at,omitempty"`          // when the exchange ended (unix seconds)
}

func (r *Record) add(o Record) {
	r.Statements += o.Statements
	r.Rows += o.Rows
	r.Failed += o.Failed
	r.FailedRows += o.FailedRows
	r.Bytes += o.Bytes
	r.Time += o.Time
}

// Ledger accumulates records, in a file or in memory.
type Ledger struct {
	path string // "" keeps the figures in memory

	mu    sync.Mutex
	mem   Record
	since time.Time
	f     *os.File
	err   error // why the file cannot be written; the figures then stay in memory
}

var ledgers sync.Map // path → *Ledger; "" → the process's

// ForEnv returns the ledger of this notebook session (see the package
// documentation), the same one for every caller in the process.
func ForEnv() *Ledger {
	path := os.Getenv(Env)
	if path == "" {
		if dir := os.Getenv("GONB_TMP_DIR"); dir != "" {
			if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
				path = filepath.Join(dir, gonbFile)
			}
		}
	}
	return At(path)
}

// At returns the ledger kept in the file at path ("" for the process's
// memory), the same one for every caller in the process.
func At(path string) *Ledger {
	if path != "" {
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
	}
	l, _ := ledgers.LoadOrStore(path, &Ledger{path: path})
	return l.(*Ledger)
}

// Add records one exchange.
func (l *Ledger) Add(r Record) {
	if r.At == 0 {
		r.At = now().Unix()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.since.IsZero() {
		l.since = time.Unix(r.At, 0)
	}
	l.mem.add(r)
	if l.path == "" || l.err != nil {
		return
	}
	if l.f == nil {
		if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
			l.err = err
			return
		}
		f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			l.err = err
			return
		}
		l.f = f
	}
	line, _ := json.Marshal(r)
	if _, err := l.f.Write(append(line, '\n')); err != nil {
		l.err = err
	}
}

// Totals is a ledger's sum.
type Totals struct {
	Record
	Since time.Time // the first exchange; zero when there was none
	Scope string    // "this notebook session" or "this program"
	Note  string    // why the figures may be incomplete ("" normally)
}

// Totals sums the ledger: the whole file (every process of the session),
// or this process's records.
func (l *Ledger) Totals() Totals {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := Totals{Scope: "this program", Record: l.mem, Since: l.since}
	if l.path == "" {
		return t
	}
	t.Scope = "this notebook session"
	if l.err != nil {
		t.Note = fmt.Sprintf("the ledger file could not be written (%v): only this program's figures", l.err)
		return t
	}
	f, err := os.Open(l.path)
	if os.IsNotExist(err) {
		return Totals{Scope: t.Scope}
	}
	if err != nil {
		t.Note = fmt.Sprintf("the ledger file could not be read (%v): only this program's figures", err)
		return t
	}
	defer f.Close()
	sum := Totals{Scope: t.Scope}
	sc := bufio.NewScanner(f)
	bad := 0
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			bad++
			continue
		}
		sum.add(r)
		if at := time.Unix(r.At, 0); r.At > 0 && (sum.Since.IsZero() || at.Before(sum.Since)) {
			sum.Since = at
		}
	}
	if bad > 0 {
		sum.Note = numfmt.Count(bad, "line", "lines") + " of the ledger file could not be read"
	}
	return sum
}

// Sentence is the ledger in one line for a report's appendix, with no
// server or login in it: "this analysis read 41,233 rows from the replica
// in 12 statements, 3.1 s of replica time, 4.2 MB received".
func (t Totals) Sentence() string {
	if t.Statements+t.Failed == 0 {
		return "this analysis sent no statement to the replica"
	}
	s := fmt.Sprintf("this analysis read %s from the replica in %s, %s of replica time, %s received",
		numfmt.Count(t.Rows+t.FailedRows, "row", "rows"), numfmt.Count(t.Statements+t.Failed, "statement", "statements"),
		seconds(t.Time), numfmt.Bytes(t.Bytes))
	if t.Failed > 0 {
		s += fmt.Sprintf(" (%s stopped early or failed)", numfmt.Int(t.Failed))
	}
	return s
}

// seconds writes a duration as "3.1 s", "0.004 s", "12 min".
func seconds(d time.Duration) string {
	switch {
	case d >= 10*time.Minute:
		return fmt.Sprintf("%.0f min", d.Minutes())
	case d >= 10*time.Second:
		return fmt.Sprintf("%.0f s", d.Seconds())
	case d >= 100*time.Millisecond:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%.3f s", d.Seconds())
}

// NoteHTML is an empty element carrying the sentence for exported reports
// (provenance.NoteAttrs, key "ledger"): the report shows the last one of a
// notebook among its appendix's lines. Helpers append it to what they show
// after reading from the replica.
func (t Totals) NoteHTML() string {
	return `<span ` + provenance.NoteAttrs("ledger", t.Sentence()) + `></span>`
}

// HTML shows the ledger as a small table, with its note for reports.
func (t Totals) HTML() string {
	var b strings.Builder
	since := ""
	if !t.Since.IsZero() {
		since = ", since " + t.Since.Local().Format("15:04")
	}
	b.WriteString(`<div class="replicalab-ledger" style="font-family:monospace">`)
	fmt.Fprintf(&b, `<b>Load on the replica</b> (%s%s)<table style="margin:4px 0">`, html.EscapeString(t.Scope), since)
	row := func(k, v string) {
		fmt.Fprintf(&b, `<tr><td style="text-align:left;padding-right:1em">%s</td><td style="text-align:right">%s</td></tr>`, k, html.EscapeString(v))
	}
	row("statements", numfmt.Int(t.Statements))
	row("rows returned", numfmt.Int(t.Rows))
	if t.Failed > 0 {
		row("stopped early or failed", numfmt.Int(t.Failed)+" ("+numfmt.Count(t.FailedRows, "row", "rows")+" read)")
	}
	row("bytes received", numfmt.Bytes(t.Bytes))
	row("replica time", seconds(t.Time))
	b.WriteString(`</table>`)
	if t.Note != "" {
		fmt.Fprintf(&b, `<div style="color:#8a6d00">⚠ %s</div>`, html.EscapeString(t.Note))
	}
	b.WriteString(t.NoteHTML())
	b.WriteString(`</div>`)
	return b.String()
}

// Text is the ledger as a few lines of text.
func (t Totals) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "load on the replica (%s): %s statements, %s rows returned", t.Scope, numfmt.Int(t.Statements), numfmt.Int(t.Rows))
	if t.Failed > 0 {
		fmt.Fprintf(&b, ", %s stopped early or failed (%s read)", numfmt.Int(t.Failed), numfmt.Count(t.FailedRows, "row", "rows"))
	}
	fmt.Fprintf(&b, ", %s received, %s of replica time", numfmt.Bytes(t.Bytes), seconds(t.Time))
	if t.Note != "" {
		b.WriteString("\nwarning: " + t.Note)
	}
	return b.String()
}
