package report

import (
	"regexp"
	"strings"
	"unicode"
)

// questionHead starts an entry of the questions log (helpers/questions writes "## Q3: text").
var questionHead = regexp.MustCompile(`(?m)^##\s+Q(\d+)\s*:\s*(.*)$`)

// questionsLog is the questions log prepared for the appendix.
type questionsLog struct {
	markdown   string   // the log, each question once
	total      int      // distinct questions
	open       int      // of which still open (as the log says)
	duplicates []string // "Q4 repeats Q1"
}

// dedupeQuestions keeps each question of the log once. A question asked again (the same words, whatever
// the case, spacing or final punctuation) keeps its first entry — or the first that has an answer, when
// the first has none. Text before the first question and hand-written entries are kept as they are.
func dedupeQuestions(log string) questionsLog {
	log = strings.ReplaceAll(log, "\r\n", "\n")
	locs := questionHead.FindAllStringSubmatchIndex(log, -1)
	if len(locs) == 0 {
		return questionsLog{markdown: demote(log)}
	}
	type entry struct {
		id, key, text  string
		answered, open bool // neither when a hand-written entry does not say
	}
	var entries []entry
	for i, l := range locs {
		end := len(log)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		text := log[l[0]:end]
		answered := strings.Contains(text, "**Answer:**") || strings.Contains(text, "**Status:** answered")
		entries = append(entries, entry{id: "Q" + log[l[2]:l[3]], key: questionKey(log[l[4]:l[5]]), text: text,
			answered: answered, open: !answered && strings.Contains(text, "**Status:** open")})
	}
	out := questionsLog{}
	keep := map[string]int{} // key → index into kept
	var kept []entry
	for _, e := range entries {
		k, seen := keep[e.key]
		switch {
		case !seen:
			keep[e.key] = len(kept)
			kept = append(kept, e)
		case e.answered && !kept[k].answered:
			out.duplicates = append(out.duplicates, kept[k].id+" repeats "+e.id)
			kept[k] = e
		default:
			out.duplicates = append(out.duplicates, e.id+" repeats "+kept[k].id)
		}
	}
	var b strings.Builder
	b.WriteString(log[:locs[0][0]])
	for _, e := range kept {
		t := strings.TrimRight(e.text, "\n")
		b.WriteString(t + "\n\n")
		if e.open {
			out.open++
		}
	}
	out.markdown = demote(b.String())
	out.total = len(kept)
	return out
}

var leadingTitle = regexp.MustCompile(`^\s*#\s[^\n]*\n`)

// demote fits the log under the appendix's own heading: its title goes, and every heading moves one
// level down (## Q1 becomes a level-3 heading). Fenced code is left alone.
func demote(md string) string {
	md = leadingTitle.ReplaceAllString(md, "")
	lines := strings.Split(md, "\n")
	fence := ""
	for i, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case fence != "":
			if strings.HasPrefix(t, fence) {
				fence = ""
			}
		case strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~"):
			fence = t[:3]
		case strings.HasPrefix(l, "#") && strings.HasPrefix(strings.TrimLeft(l, "#"), " ") && len(l)-len(strings.TrimLeft(l, "#")) < 6:
			lines[i] = "#" + l
		}
	}
	return strings.Join(lines, "\n")
}

// questionKey is what makes two questions the same: their words, in lower case, without the final
// punctuation.
func questionKey(q string) string {
	q = strings.ToLower(strings.Join(strings.Fields(q), " "))
	return strings.TrimRightFunc(q, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
}
