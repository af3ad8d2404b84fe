package frame

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/replicalab/replicalab/internal/cost"
	"github.com/replicalab/replicalab/internal/numfmt"

	"github.com/replicalab/replicalab/internal/display"
)

// progress shows a transient progress bar in the notebook for loads slower
// than settings.progressAfter, and settles into the summary when done.
type progress struct {
	s     *settings
	start time.Time
	id    string
	last  time.Time
	plan  *cost.Plan // the planner's estimate, when the query had a preview
}

func newProgress(s *settings, start time.Time) *progress { return &progress{s: s, start: start} }

func (p *progress) tick(rows int) {
	if p.s.quiet || !display.Notebook() {
		return
	}
	now := time.Now()
	elapsed := now.Sub(p.start)
	if elapsed < p.s.progressAfter || (p.id != "" && now.Sub(p.last) < progressEvery) {
		return
	}
	if p.id == "" {
		p.id = display.NewID("replicalab-frame")
	}
	p.last = now
	var expected float64
	if p.plan != nil {
		expected = p.plan.Rows
	}
	display.Send(display.Output{ID: p.id, Kind: display.Progress, HTML: progressHTML(rows, elapsed, p.s.limit, expected),
		Text: fmt.Sprintf("loading: %s rows", numfmt.Int(rows))})
}

// progressHTML draws the bar: against the planner's estimate of the rows
// (capped by the row limit) when there is one, else an indeterminate bar.
func progressHTML(rows int, elapsed time.Duration, limit int, expected float64) string {
	lim := ""
	if limit > 0 && limit < 1<<62 {
		lim = " · limit " + numfmt.Int(limit)
		if expected > float64(limit) {
			expected = float64(limit)
		}
	}
	bar, of := `<progress style="vertical-align:middle"></progress>`, ""
	if expected >= 1 && float64(rows) <= expected {
		bar = fmt.Sprintf(`<progress style="vertical-align:middle" value="%d" max="%.0f"></progress>`, rows, expected)
		of = " of ~" + numfmt.Approx(expected)
	}
	return fmt.Sprintf(`<div class="replicalab-progress" style="font-family:monospace">`+
		`%s loading: <b>%s</b>%s rows · %s rows/s · %.1f s%s</div>`,
		bar, numfmt.Int(rows), of, numfmt.Int(int(rate(rows, elapsed))), elapsed.Seconds(), lim)
}

// finish replaces the progress bar with the summary, or shows the summary
// when no bar was shown.
func (p *progress) finish(htmlText, text string) {
	if p.s.quiet {
		return
	}
	display.Show(display.Output{ID: p.id, Kind: display.Status, HTML: htmlText, Text: text})
}

func rate(rows int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(rows) / d.Seconds()
}

// messageHTML renders the provenance line and warnings.
func messageHTML(line, attrs string, warnings []string) string {
	var b strings.Builder
	b.WriteString(`<div class="replicalab-frame-source" ` + attrs + ` style="font-family:monospace;color:#1b5e20">` + html.EscapeString(line) + `</div>`)
	for _, w := range warnings {
		b.WriteString(`<div class="replicalab-frame-warning" style="font-family:monospace;color:#8a6d00">⚠ ` + html.EscapeString(w) + `</div>`)
	}
	return b.String()
}

func messageText(line string, warnings []string) string {
	var b strings.Builder
	b.WriteString(line)
	for _, w := range warnings {
		b.WriteString("\nwarning: " + w)
	}
	return b.String()
}

// ago says how long ago t was: "40 s ago", "75 min ago", "3 h ago", "2 days ago".
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%d days ago", int(d.Hours()/24))
	}
}

// shortDuration prints 90 min as "1h30m", 1 h as "1h".
func shortDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
