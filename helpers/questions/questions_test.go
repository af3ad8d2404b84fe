package questions

import (
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/provenance"

	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func day(s string) time.Time { t, _ := time.Parse(dateLayout, s); return t }

func TestFormatParseRoundTrip(t *testing.T) {
	d := Doc{Preamble: "# Our questions\n\nHand-written intro with `code` and ## not a heading at line start.\n", Questions: []Question{
		{ID: 1, Text: "Why do some users have two accounts?", For: "product (Anna)", Asked: day("2026-11-20"), Source: "public.users"},
		{ID: 2, Text: "Are refunds counted in revenue?", For: "finance", Asked: day("2026-11-21"),
			Source: "SELECT status, sum(total)\nFROM orders\nWHERE note = '```'\nGROUP BY 1", Answer: "No: refunded orders are excluded.\n## Q9: not a question\n\\ backslash line\n\nSecond paragraph with *markdown*.", Answered: day("2026-11-24")},
		{ID: 3, Text: "Who owns `events`?", For: "data platform", Asked: day("2026-11-22"), Source: "events with `backticks`", Answer: "The platform team.", Answered: day("2026-11-23")},
	}}
	var buf bytes.Buffer
	if err := Format(&buf, d); err != nil {
		t.Fatal(err)
	}
	got, err := Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(got, d) {
		t.Errorf("round trip changed the log:\nwant %#v\ngot  %#v\nfile:\n%s", d, got, buf.String())
	}
	if !strings.Contains(buf.String(), "## Q2: Are refunds counted in revenue?") || !strings.Contains(buf.String(), "- **Status:** answered 2026-11-24") {
		t.Errorf("the Markdown should show numbered questions and their status, got:\n%s", buf.String())
	}
}

func TestAskAndAnswerKeepTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notebooks", "questions.md")
	l := At(path)
	l.now = func() time.Time { return time.Date(2026, 11, 25, 15, 4, 0, 0, time.UTC) }
	q1, err := l.Ask("How is  churn\ndefined?", "growth team", "SELECT * FROM companies WHERE deleted_at IS NOT NULL")
	if err != nil {
		t.Fatal(err)
	}
	q2, err := l.Ask("Which currency is orders.total in?", "finance", "public.orders")
	if err != nil {
		t.Fatal(err)
	}
	if q1.ID != 1 || q2.ID != 2 || q1.Text != "How is churn defined?" {
		t.Fatalf("want Q1 and Q2 with the text on one line, got %+v and %+v", q1, q2)
	}
	if _, err := l.Answer(2, "orders.currency, per order."); err != nil {
		t.Fatal(err)
	}
	qs, err := At(path).List() // a fresh reader, from the file only
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 2 || !qs[0].Open() || qs[1].Open() || qs[1].Answer != "orders.currency, per order." ||
		qs[1].Answered != day("2026-11-25") || qs[0].For != "growth team" || qs[0].Source != "SELECT * FROM companies WHERE deleted_at IS NOT NULL" {
		t.Errorf("log read back: %+v", qs)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "# Questions log") {
		t.Errorf("a new log should start with the default preamble, got:\n%s", data)
	}
	if _, err := l.Answer(7, "x"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "Q7") {
		t.Errorf("answering a missing question: want ErrNotFound naming Q7, got %v", err)
	}
	if _, err := l.Ask(" ", "x", ""); err == nil {
		t.Error("an empty question should be refused")
	}
	if html := HTML(qs); !strings.Contains(html, "1 open") || strings.Contains(html, "<script") {
		t.Errorf("HTML: %s", html)
	}
}

func TestParseRejectsBadDates(t *testing.T) {
	_, err := Parse(strings.NewReader("# Log\n\n## Q1: x\n\n- **For:** y\n- **Asked:** yesterday\n"))
	if err == nil || !strings.Contains(err.Error(), `found "yesterday"`) || !strings.Contains(err.Error(), "line 6") {
		t.Errorf("want an error naming the line and the bad date, got %v", err)
	}
}

func TestDefaultUsesTheRepository(t *testing.T) {
	t.Setenv("REPLICALAB_QUESTIONS", "")
	root := t.TempDir()
	t.Setenv("REPLICALAB_REPO", root)
	l, err := Default()
	if want := filepath.Join(root, "notebooks", "questions.md"); err != nil || l.Path != want {
		t.Errorf("want %s, got %v %v", want, l, err)
	}
	t.Setenv("REPLICALAB_REPO", filepath.Join(root, "missing"))
	if _, err := Default(); err == nil || !strings.Contains(err.Error(), "REPLICALAB_QUESTIONS") {
		t.Errorf("a REPLICALAB_REPO that is not a folder: %v, want an error saying how to set the log's path", err)
	}
}

// TestAskingAgainAddsNothing: re-running the cell that asks a question (the same words, in
// another case or spacing) finds it in the log and leaves the file as it was.
func TestAskingAgainAddsNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "questions.md")
	t.Setenv("REPLICALAB_QUESTIONS", path)
	rec := &display.Recorder{}
	defer display.Use(rec)()
	first := Ask("Why do some users have two accounts?", "product team", "SELECT 1")
	written, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	again := Ask("  why do some users   have two accounts? ", "someone else", "SELECT 2")
	if again.ID != first.ID || again.For != "product team" {
		t.Errorf("asked again: %+v, want Q%d as first asked", again, first.ID)
	}
	if now, _ := os.ReadFile(path); string(now) != string(written) {
		t.Errorf("asking again changed the log:\n%s\nwas:\n%s", now, written)
	}
	second := Ask("Are refunds revenue?", "finance", "")
	if second.ID != first.ID+1 {
		t.Errorf("a new question got Q%d, want Q%d", second.ID, first.ID+1)
	}
	text := rec.Text()
	for _, want := range []string{"Q1 recorded for product team: Why do some users have two accounts?",
		"Q1 already in the log: Why do some users have two accounts?", "Q2 recorded for finance: Are refunds revenue?"} {
		if !strings.Contains(text, want) {
			t.Errorf("shown %q, want %q", text, want)
		}
	}
	// What Ask says is for the analyst at the notebook: a report leaves it out (the log is its appendix).
	for _, o := range rec.Outputs() {
		if strings.Contains(o.HTML, "Q1") && !strings.Contains(o.HTML, provenance.NotebookOnly) {
			t.Errorf("Ask's message is not marked notebook-only, so reports would show it: %s", o.HTML)
		}
	}
	if got := All().Open(); len(got) != 2 || !strings.Contains(got.String(), "2 questions, 2 open") {
		t.Errorf("All().Open() = %v", got)
	}
	Answer(2, "No.")
	if got := All(); len(got.Open()) != 1 || len(got.Answered()) != 1 || !strings.Contains(got.HTML(), "1 open") {
		t.Errorf("after an answer: %v", got)
	}
}
