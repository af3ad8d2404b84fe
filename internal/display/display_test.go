package display

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestTextSinkWritesResultsAndStatusApartAndNoProgress(t *testing.T) {
	var out, errb bytes.Buffer
	defer Use(&Text{Out: &out, Err: &errb})()
	Send(Output{Kind: Progress, ID: "p", Text: "loading: 1,000 rows", HTML: "<progress>"})
	Send(Output{Kind: Status, ID: "p", Text: "1,000 rows × 2 columns from db", HTML: "<div>…</div>"})
	Show(Output{Kind: Result, Text: "a table\n", HTML: "<table></table>"})
	if out.String() != "a table\n" || errb.String() != "1,000 rows × 2 columns from db\n" {
		t.Errorf("stdout %q, stderr %q", out.String(), errb.String())
	}
	if Notebook() {
		t.Error("a text sink is not a notebook")
	}
}

func TestRecorderKeepsTheFinalStateOfEachDisplay(t *testing.T) {
	r := &Recorder{Rich: true}
	restore := Use(r)
	id := NewID("replicalab-test")
	Send(Output{ID: id, Kind: Progress, HTML: "10 rows"})
	Send(Output{Kind: Result, HTML: "<table>"})
	Send(Output{ID: id, Kind: Status, HTML: "done", Text: "done"})
	restore()
	final := r.Final()
	if len(final) != 2 || final[0].HTML != "done" || final[1].HTML != "<table>" || len(r.Outputs()) != 3 {
		t.Errorf("final %+v", final)
	}
	if a, b := NewID("x"), NewID("x"); !strings.HasPrefix(id, "replicalab-test-") || a == b {
		t.Errorf("ids %q", id)
	}
	b := Output{Text: "t", HTML: "h", Data: map[string]any{"image/png": []byte{1}}}.Bundle()
	if len(b) != 3 || b["text/plain"] != "t" || b["text/html"] != "h" {
		t.Errorf("bundle %v", b)
	}
}

func TestCatchStop(t *testing.T) {
	defer Use(&Recorder{})()
	stopped, code, msg := CatchStop(func() { Stop(errors.New("frame: no such table")) })
	if !stopped || code != 1 || msg != "frame: no such table\n" {
		t.Errorf("CatchStop = %v, %d, %q", stopped, code, msg)
	}
	if stopped, _, _ := CatchStop(func() {}); stopped {
		t.Error("a function that does not stop was reported stopped")
	}
}
