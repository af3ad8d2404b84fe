// Package display is the one way the helpers show things: every table, chart, banner, provenance
// line, warning and progress bar goes through Send, to a Sink that can be replaced.
//
// The default sink is chosen when the program starts: inside a GoNB cell it sends rich output to the
// notebook through GoNB; elsewhere it writes the plain-text form (results on stdout, status lines on
// stderr, progress bars nowhere). A program that shows things its own way — the "Go (replica)"
// kernel running SQL cells in-process, a test recording what was shown — installs its own sink
// with Use.
//
// # Mapping to Jupyter
//
// An Output is one MIME bundle: Text is text/plain, HTML is text/html, Data holds any other MIME
// type (image/png as []byte, image/svg+xml as string), Metadata is the message's metadata. A sink
// for a Jupyter kernel maps Send onto the iopub messages:
//
//   - o.ID == "": a display_data message;
//   - o.ID != "" and not seen before: display_data with transient.display_id = o.ID;
//   - o.ID seen before: update_display_data with transient.display_id = o.ID (the front end
//     replaces the earlier output in place: a progress bar turning into the final line).
//
// Kind says what the output is, for sinks that treat them differently: a Progress output is
// transient (it is always replaced by a later Send with the same ID, and a terminal never shows
// it); a Status output is a one-line note (banner, provenance, warning) that a terminal writes to
// stderr. Sync returns once everything sent has reached the front end (GoNB loses output still in
// its pipe when the program ends).
package display

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// Kind says what an Output is.
type Kind uint8

const (
	// Result is something asked for: a table, a chart, a summary. A terminal writes it to stdout.
	Result Kind = iota
	// Status is a note about the work: the replica banner, where rows came from, a warning.
	// A terminal writes it to stderr.
	Status
	// Progress is a transient progress bar, replaced by a later Send with the same ID. A
	// terminal does not show it.
	Progress
)

// Output is one thing to show, in every form the helpers have for it.
type Output struct {
	ID       string         // display id: a later Send with the same ID replaces this output; "" for none
	Kind     Kind           // Result, Status or Progress
	Text     string         // text/plain: what a terminal shows
	HTML     string         // text/html; "" when there is none
	Data     map[string]any // other MIME types: "image/png" ([]byte), "image/svg+xml" (string)
	Metadata map[string]any // e.g. {"image/png": {"width": 720, "height": 432}}
}

// Bundle returns the output's MIME bundle: text/plain, text/html and Data together.
func (o Output) Bundle() map[string]any {
	m := make(map[string]any, len(o.Data)+2)
	for k, v := range o.Data {
		m[k] = v
	}
	if o.Text != "" {
		m["text/plain"] = o.Text
	}
	if o.HTML != "" {
		m["text/html"] = o.HTML
	}
	return m
}

// Sink receives what the helpers show.
type Sink interface {
	// Send shows o. With o.ID set, the first Send creates the output and later ones replace it.
	Send(o Output)
	// Sync returns once everything sent so far has reached the front end.
	Sync()
}

var (
	mu      sync.RWMutex
	current Sink = defaultSink()
)

func defaultSink() Sink {
	if gonbui.IsNotebook {
		return gonbSink{}
	}
	return &Text{Out: os.Stdout, Err: os.Stderr}
}

// Use makes s the sink for everything shown from now on and returns a function that puts the
// previous sink back. A nil s restores the default sink.
func Use(s Sink) (restore func()) {
	if s == nil {
		s = defaultSink()
	}
	mu.Lock()
	prev := current
	current = s
	mu.Unlock()
	return func() {
		mu.Lock()
		current = prev
		mu.Unlock()
	}
}

// Current returns the sink in use.
func Current() Sink {
	mu.RLock()
	defer mu.RUnlock()
	return current
}

// Send shows o through the current sink.
func Send(o Output) { Current().Send(o) }

// Show sends o and waits until it has reached the front end: the usual end of a Show method.
func Show(o Output) {
	s := Current()
	s.Send(o)
	s.Sync()
}

// Sync waits until everything sent has reached the front end.
func Sync() { Current().Sync() }

// Notebook reports whether the current sink renders HTML in a notebook (the GoNB sink, or a sink
// that says so with a Notebook() bool method). Code that would otherwise do needless work for a
// terminal (a progress bar) asks it.
func Notebook() bool {
	switch s := Current().(type) {
	case gonbSink:
		return true
	case interface{ Notebook() bool }:
		return s.Notebook()
	}
	return false
}

var ids atomic.Uint64

// NewID returns a display id unique in this program, with prefix for readability
// ("replicalab-frame" gives "replicalab-frame-<random>-1").
func NewID(prefix string) string {
	return fmt.Sprintf("%s-%s-%d", prefix, gonbui.UniqueId(), ids.Add(1))
}

// Exit ends the program; tests replace it.
var Exit = os.Exit

// stopOut receives Stop's message; nil means os.Stderr.
var stopOut io.Writer

// Stop shows err as a cell's error and ends the program with status 1: what a notebook-style call
// does when it fails, so that the cell stops with the clear message and nothing after it runs on
// a zero value. The message goes to stderr, which GoNB shows in the cell's output and a terminal
// shows as usual, after everything sent so far.
func Stop(err error) {
	Sync()
	w := stopOut
	if w == nil {
		w = os.Stderr
	}
	fmt.Fprintln(w, strings.TrimRight(err.Error(), "\n"))
	Exit(1)
}

// stopped is what CatchStop's Exit panics with.
type stopped struct{ code int }

// CatchStop runs f, which may call Stop, and reports whether it did, with the status and the
// message it would have ended the program with — for tests of the calls that stop a cell.
// Not safe to run alongside other code that may Stop.
func CatchStop(f func()) (didStop bool, code int, message string) {
	var b strings.Builder
	oldExit, oldOut := Exit, stopOut
	Exit, stopOut = func(c int) { panic(stopped{c}) }, &b
	defer func() { Exit, stopOut = oldExit, oldOut }()
	func() {
		defer func() {
			if r := recover(); r != nil {
				s, ok := r.(stopped)
				if !ok {
					panic(r)
				}
				didStop, code = true, s.code
			}
		}()
		f()
	}()
	return didStop, code, b.String()
}

// gonbSink sends to the notebook through GoNB (only inside a GoNB cell).
type gonbSink struct{}

func (gonbSink) Send(o Output) {
	data := make(map[protocol.MIMEType]any, len(o.Data)+2)
	for k, v := range o.Bundle() {
		data[protocol.MIMEType(k)] = v
	}
	gonbui.SendData(&protocol.DisplayData{Data: data, Metadata: o.Metadata, DisplayID: o.ID})
}

func (gonbSink) Sync() { gonbui.Sync() }

// Text is the sink of programs outside a notebook: Result text to Out, Status text to Err,
// Progress nowhere. A nil writer drops that kind.
type Text struct {
	Out, Err io.Writer
	mu       sync.Mutex
}

// Send writes o's text form.
func (t *Text) Send(o Output) {
	var w io.Writer
	switch o.Kind {
	case Result:
		w = t.Out
	case Status:
		w = t.Err
	}
	if w == nil || o.Text == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintln(w, strings.TrimRight(o.Text, "\n"))
}

// Sync does nothing: writes are not buffered.
func (t *Text) Sync() {}

// Recorder is a sink that keeps everything sent, for tests. Its Notebook field says what
// Notebook reports while it is in use.
type Recorder struct {
	mu      sync.Mutex
	outputs []Output
	Rich    bool
}

// Send records o.
func (r *Recorder) Send(o Output) {
	r.mu.Lock()
	r.outputs = append(r.outputs, o)
	r.mu.Unlock()
}

// Sync does nothing.
func (r *Recorder) Sync() {}

// Notebook reports r.Rich.
func (r *Recorder) Notebook() bool { return r.Rich }

// Outputs returns what was sent, in order.
func (r *Recorder) Outputs() []Output {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Output(nil), r.outputs...)
}

// Final returns the last output sent under each ID, and every output without one, in the order
// they first appeared: what a notebook shows once updates are applied.
func (r *Recorder) Final() []Output {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Output
	at := map[string]int{}
	for _, o := range r.outputs {
		if o.ID == "" {
			out = append(out, o)
			continue
		}
		if i, ok := at[o.ID]; ok {
			out[i] = o
			continue
		}
		at[o.ID] = len(out)
		out = append(out, o)
	}
	return out
}

// Text returns the text of the final outputs, one per line.
func (r *Recorder) Text() string {
	var b strings.Builder
	for _, o := range r.Final() {
		b.WriteString(o.Text + "\n")
	}
	return b.String()
}

// HTML returns the HTML of the final outputs, one after the other.
func (r *Recorder) HTML() string {
	var b strings.Builder
	for _, o := range r.Final() {
		b.WriteString(o.HTML)
	}
	return b.String()
}
