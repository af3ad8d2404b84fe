package questions

import (
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/replicalab/replicalab/internal/atomicfile"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/numfmt"
	"github.com/replicalab/replicalab/internal/provenance"
	"github.com/replicalab/replicalab/internal/repo"
)

// Question is one entry of the log.
type Question struct {
	ID       int       // Q1, Q2, ... in the order asked
	Text     string    // the question, one line
	For      string    // whom it is for: a team, a person
	Asked    time.Time // date it was recorded
	Source   string    // the query or table that prompted it; may span lines (SQL)
	Answer   string    // "" while open; may span lines
	Answered time.Time // date of the answer
}

// Open reports whether the question still waits for its answer.
func (q Question) Open() bool { return q.Answer == "" }

// Doc is the log file: free text before the first question (kept as written), then questions.
type Doc struct {
	Preamble  string
	Questions []Question
}

// DefaultPreamble starts a new log.
const DefaultPreamble = `# Questions log

Questions raised while exploring the data: whom each is for, what prompted it, and its answer once
known. Kept in the repository so that it is reviewed with the code and included in the report's
appendix. Record with helpers/questions (Ask, Answer) or edit by hand in the same format.
`

// ErrNotFound is matched when an answer names a question the log does not have.
var ErrNotFound = errors.New("questions: no such question")

const dateLayout = "2006-01-02"

var (
	headRe  = regexp.MustCompile(`^## Q(\d+): ?(.*)$`)
	fieldRe = regexp.MustCompile(`^- \*\*(For|Asked|Status|Prompted by):\*\* ?(.*)$`)
)

// Format writes the log as Markdown.
func Format(w io.Writer, d Doc) error {
	var b strings.Builder
	pre := strings.TrimRight(d.Preamble, "\n")
	if pre == "" {
		pre = strings.TrimRight(DefaultPreamble, "\n")
	}
	b.WriteString(pre + "\n")
	for _, q := range d.Questions {
		fmt.Fprintf(&b, "\n## Q%d: %s\n\n", q.ID, oneLine(q.Text))
		fmt.Fprintf(&b, "- **For:** %s\n", oneLine(q.For))
		fmt.Fprintf(&b, "- **Asked:** %s\n", date(q.Asked))
		if q.Open() {
			b.WriteString("- **Status:** open\n")
		} else {
			fmt.Fprintf(&b, "- **Status:** answered %s\n", date(q.Answered))
		}
		src := strings.Trim(q.Source, "\n")
		switch {
		case src == "":
		case !strings.Contains(src, "\n") && !strings.Contains(src, "`"):
			fmt.Fprintf(&b, "- **Prompted by:** `%s`\n", src)
		default:
			fence := "```"
			if strings.Contains(src, "```") {
				fence = "~~~~~"
			}
			b.WriteString("- **Prompted by:**\n\n  " + fence + "sql\n")
			for _, l := range strings.Split(src, "\n") {
				b.WriteString(strings.TrimRight("  "+l, " ") + "\n")
			}
			b.WriteString("  " + fence + "\n")
		}
		if !q.Open() {
			b.WriteString("\n**Answer:**\n\n")
			for _, l := range strings.Split(strings.Trim(q.Answer, "\n"), "\n") {
				if strings.HasPrefix(l, "#") || strings.HasPrefix(l, `\`) {
					l = `\` + l // keep a "## Q..." line of an answer from starting a question
				}
				b.WriteString(l + "\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Parse reads a log written by Format (or by hand in the same format).
func Parse(r io.Reader) (Doc, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Doc{}, fmt.Errorf("questions: reading the log: %w", err)
	}
	var d Doc
	var pre []string
	var q *Question
	var answer []string
	inAnswer, inSource := false, false
	fence := ""
	var source []string
	flush := func() {
		if q == nil {
			return
		}
		q.Answer = strings.Trim(strings.Join(answer, "\n"), "\n")
		d.Questions = append(d.Questions, *q)
		q, answer, inAnswer = nil, nil, false
	}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for n, l := range lines {
		if inSource {
			t := strings.TrimPrefix(l, "  ")
			if t == fence {
				q.Source = strings.Join(source, "\n")
				inSource, source = false, nil
				continue
			}
			source = append(source, t)
			continue
		}
		if m := headRe.FindStringSubmatch(l); m != nil {
			flush()
			id, _ := strconv.Atoi(m[1])
			q = &Question{ID: id, Text: m[2]}
			continue
		}
		if q == nil {
			pre = append(pre, l)
			continue
		}
		if inAnswer {
			answer = append(answer, strings.TrimPrefix(l, `\`))
			continue
		}
		if l == "**Answer:**" {
			inAnswer = true
			continue
		}
		if m := fieldRe.FindStringSubmatch(l); m != nil {
			v := m[2]
			switch m[1] {
			case "For":
				q.For = v
			case "Asked":
				if q.Asked, err = parseDate(v); err != nil {
					return Doc{}, fmt.Errorf("questions: line %d: Asked: %w", n+1, err)
				}
			case "Status":
				if a, ok := strings.CutPrefix(v, "answered "); ok {
					if q.Answered, err = parseDate(a); err != nil {
						return Doc{}, fmt.Errorf("questions: line %d: Status: %w", n+1, err)
					}
				} else if v != "open" {
					return Doc{}, fmt.Errorf("questions: line %d: Status: expected \"open\" or \"answered YYYY-MM-DD\", found %q", n+1, v)
				}
			case "Prompted by":
				if v != "" {
					q.Source = strings.TrimSuffix(strings.TrimPrefix(v, "`"), "`")
				}
			}
			continue
		}
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~~~") {
			fence = t[:3]
			if strings.HasPrefix(t, "~~~~~") {
				fence = "~~~~~"
			}
			inSource = true
			continue
		}
	}
	if inSource {
		return Doc{}, fmt.Errorf("questions: Q%d: expected the closing %s of its query, found the end of the file", q.ID, fence)
	}
	flush()
	d.Preamble = strings.TrimRight(strings.Join(pre, "\n"), "\n") + "\n"
	return d, nil
}

func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(dateLayout, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("expected a date YYYY-MM-DD, found %q", s)
	}
	return t, nil
}

func date(t time.Time) string {
	if t.IsZero() {
		t = time.Now()
	}
	return t.Format(dateLayout)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Log is a questions log file.
type Log struct {
	Path string
	now  func() time.Time
}

// At returns the log kept in the file at path (created at the first Ask).
func At(path string) *Log { return &Log{Path: path, now: time.Now} }

// DefaultFile is where the repository keeps its log, relative to its root.
const DefaultFile = "notebooks/questions.md"

// Default returns the repository's log: $REPLICALAB_QUESTIONS if set, else DefaultFile under
// the repository (internal/repo: $REPLICALAB_REPO, set by the kernel, else the folder holding
// go.mod found by walking up from the working folder).
func Default() (*Log, error) {
	if p := os.Getenv("REPLICALAB_QUESTIONS"); p != "" {
		return At(p), nil
	}
	root, err := repo.Root("")
	if err != nil {
		return nil, fmt.Errorf("questions: %w (set REPLICALAB_QUESTIONS to the log's path)", err)
	}
	return At(filepath.Join(root, DefaultFile)), nil
}

// Read returns the log's content; a missing file is an empty log.
func (l *Log) Read() (Doc, error) {
	f, err := os.Open(l.Path)
	if errors.Is(err, os.ErrNotExist) {
		return Doc{Preamble: DefaultPreamble}, nil
	}
	if err != nil {
		return Doc{}, fmt.Errorf("questions: opening %s: %w", l.Path, err)
	}
	defer f.Close()
	d, err := Parse(f)
	if err != nil {
		return Doc{}, fmt.Errorf("%s: %w", l.Path, err)
	}
	return d, nil
}

func (l *Log) write(d Doc) error {
	if err := os.MkdirAll(filepath.Dir(l.Path), 0o755); err != nil {
		return fmt.Errorf("questions: creating the log's folder: %w", err)
	}
	if err := atomicfile.WriteFunc(l.Path, 0o644, true, func(w io.Writer) error { return Format(w, d) }); err != nil {
		return fmt.Errorf("questions: %w", err)
	}
	return nil
}

func (l *Log) today() time.Time {
	now := time.Now
	if l.now != nil {
		now = l.now
	}
	t := now()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Ask records a question for someone, with the query or table that prompted it, and returns it
// with its number. text and forWhom are required. A question the log already holds (the same
// words, ignoring case and spacing) is returned as it is, not added again: re-running the cell
// that asks it changes nothing.
func (l *Log) Ask(text, forWhom, source string) (Question, error) {
	q, _, err := l.ask(text, forWhom, source)
	return q, err
}

// ask is Ask, saying whether the question was new.
func (l *Log) ask(text, forWhom, source string) (Question, bool, error) {
	if strings.TrimSpace(text) == "" || strings.TrimSpace(forWhom) == "" {
		return Question{}, false, fmt.Errorf("questions: expected a question and whom it is for, found text %q and for %q", text, forWhom)
	}
	d, err := l.Read()
	if err != nil {
		return Question{}, false, err
	}
	for _, q := range d.Questions {
		if sameQuestion(q.Text, text) {
			return q, false, nil
		}
	}
	id := 1
	for _, q := range d.Questions {
		id = max(id, q.ID+1)
	}
	q := Question{ID: id, Text: oneLine(text), For: oneLine(forWhom), Asked: l.today(), Source: strings.Trim(source, "\n")}
	d.Questions = append(d.Questions, q)
	return q, true, l.write(d)
}

// sameQuestion compares questions as a reader would: case and spacing aside.
func sameQuestion(a, b string) bool { return strings.EqualFold(oneLine(a), oneLine(b)) }

// Answer records the answer to question id (replacing an earlier answer).
func (l *Log) Answer(id int, answer string) (Question, error) {
	if strings.TrimSpace(answer) == "" {
		return Question{}, fmt.Errorf("questions: expected an answer for Q%d, found an empty one", id)
	}
	d, err := l.Read()
	if err != nil {
		return Question{}, err
	}
	for i := range d.Questions {
		if d.Questions[i].ID == id {
			d.Questions[i].Answer = strings.Trim(answer, "\n")
			d.Questions[i].Answered = l.today()
			return d.Questions[i], l.write(d)
		}
	}
	return Question{}, fmt.Errorf("%w: expected Q%d in %s, found %d questions", ErrNotFound, id, l.Path, len(d.Questions))
}

// List returns every question, in order.
func (l *Log) List() (List, error) {
	d, err := l.Read()
	return d.Questions, err
}

// List is a list of questions, shown as a table (open ones first).
type List []Question

// Open returns the questions still waiting for an answer.
func (qs List) Open() List {
	var out List
	for _, q := range qs {
		if q.Open() {
			out = append(out, q)
		}
	}
	return out
}

// Answered returns the questions with an answer.
func (qs List) Answered() List {
	var out List
	for _, q := range qs {
		if !q.Open() {
			out = append(out, q)
		}
	}
	return out
}

// Show displays the questions: a table in a notebook, text elsewhere.
func (qs List) Show() {
	display.Show(display.Output{Kind: display.Result, HTML: qs.HTML(), Text: qs.String()})
}

// HTML renders the questions as a table (open ones first), escaped.
func (qs List) HTML() string { return HTML(qs) }

// String renders the questions as text, one per line: "Q2 (open, for platform team) Which ...".
func (qs List) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %d open\n", numfmt.Count(len(qs), "question", "questions"), len(qs.Open()))
	for _, pass := range []bool{true, false} {
		for _, q := range qs {
			if q.Open() != pass {
				continue
			}
			state := "open"
			if !q.Open() {
				state = "answered " + date(q.Answered)
			}
			fmt.Fprintf(&b, "Q%d (%s, for %s) %s\n", q.ID, state, q.For, q.Text)
			if !q.Open() {
				fmt.Fprintf(&b, "    %s\n", strings.ReplaceAll(q.Answer, "\n", "\n    "))
			}
		}
	}
	return b.String()
}

// HTML renders the questions as a table (open ones first), escaped.
func HTML(qs []Question) string {
	var b strings.Builder
	open := 0
	for _, q := range qs {
		if q.Open() {
			open++
		}
	}
	fmt.Fprintf(&b, "<p><b>%s</b>, %d open.</p><table><thead><tr><th>#</th><th>question</th><th>for</th><th>asked</th><th>prompted by</th><th>answer</th></tr></thead><tbody>", numfmt.Count(len(qs), "question", "questions"), open)
	for _, pass := range []bool{true, false} {
		for _, q := range qs {
			if q.Open() != pass {
				continue
			}
			ans := "<i>open</i>"
			if !q.Open() {
				ans = html.EscapeString(q.Answer) + " <small>(" + date(q.Answered) + ")</small>"
			}
			fmt.Fprintf(&b, "<tr><td>Q%d</td><td>%s</td><td>%s</td><td>%s</td><td><pre>%s</pre></td><td>%s</td></tr>",
				q.ID, html.EscapeString(q.Text), html.EscapeString(q.For), date(q.Asked), html.EscapeString(q.Source), ans)
		}
	}
	b.WriteString("</tbody></table>")
	return b.String()
}

// Show displays the log's questions: a table in a notebook (open ones first), text elsewhere. A
// log that cannot be read shows why and stops the cell.
func (l *Log) Show() {
	qs, err := l.List()
	if err != nil {
		display.Stop(err)
		return
	}
	qs.Show()
}

// HTML renders the log's questions as a table; a log that cannot be read gives its error.
func (l *Log) HTML() string {
	qs, err := l.List()
	if err != nil {
		return `<div style="color:#b00020">` + html.EscapeString(err.Error()) + `</div>`
	}
	return qs.HTML()
}

// The notebook's log, for the calls without a Log: Default's, opened on first use.

func defaultLog() *Log {
	l, err := Default()
	if err != nil {
		display.Stop(err)
	}
	return l
}

// Ask records a question in the repository's log (see [Default]) for a notebook cell, and says
// so; re-running the cell finds it there and adds nothing. An error (no repository, an
// unreadable log) is shown and stops the cell.
//
//	%%
//	questions.Ask("Why do some users have two accounts?", "product team", duplicateEmailsSQL)
func Ask(text, forWhom, source string) Question {
	l := defaultLog()
	q, added, err := l.ask(text, forWhom, source)
	if err != nil {
		display.Stop(err)
	}
	msg := fmt.Sprintf("Q%d recorded for %s: %s", q.ID, q.For, q.Text)
	if !added {
		msg = fmt.Sprintf("Q%d already in the log: %s", q.ID, q.Text)
	}
	display.Show(display.Output{Kind: display.Status, Text: msg, HTML: `<div ` + provenance.NotebookOnly + ` style="font-family:monospace">` + html.EscapeString(msg) + `</div>`})
	return q
}

// Answer records the answer to question id in the repository's log, for a notebook cell; an
// error is shown and stops the cell.
func Answer(id int, answer string) Question {
	q, err := defaultLog().Answer(id, answer)
	if err != nil {
		display.Stop(err)
	}
	return q
}

// All returns the questions of the repository's log, for a notebook cell; an error is shown and
// stops the cell.
//
//	%%
//	questions.All().Open().Show()
func All() List {
	qs, err := defaultLog().List()
	if err != nil {
		display.Stop(err)
	}
	return qs
}
