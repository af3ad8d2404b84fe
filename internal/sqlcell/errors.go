package sqlcell

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Caret shows where in sql PostgreSQL found an error, as psql does:
//
//	LINE 2: SELECT * FORM orders
//	                 ^
//
// position is the error's Position: 1-based, in characters, into the statement as sent. Long lines are
// cut around the caret. It returns "" for a position outside sql.
func Caret(sql string, position int) string {
	if position < 1 {
		return ""
	}
	runes := []rune(sql)
	if position > len(runes)+1 {
		return ""
	}
	idx := position - 1
	line, start := 1, 0
	for i := 0; i < idx && i < len(runes); i++ {
		if runes[i] == '\n' {
			line++
			start = i + 1
		}
	}
	end := start
	for end < len(runes) && runes[end] != '\n' {
		end++
	}
	text := []rune(strings.ReplaceAll(string(runes[start:end]), "\t", " "))
	col := idx - start
	// Keep about 70 characters around the caret, as psql keeps its line readable.
	const width = 70
	prefix := ""
	if len(text) > width {
		from := col - width/2
		if from < 0 {
			from = 0
		}
		to := from + width
		if to > len(text) {
			to, from = len(text), max(0, len(text)-width)
		}
		if from > 0 {
			prefix = "..."
		}
		suffix := ""
		if to < len(text) {
			suffix = "..."
		}
		col -= from
		text = []rune(prefix + string(text[from:to]) + suffix)
		col += utf8.RuneCountInString(prefix)
	}
	label := "LINE " + itoa(line) + ": "
	return label + string(text) + "\n" + strings.Repeat(" ", len(label)+col) + "^"
}

func itoa(n int) string {
	return strconv.Itoa(n)
}

// Closest returns up to three of candidates nearest to name (case-insensitive edit distance, a prefix or
// a containment counting as near), nearest first; none when nothing is near enough to be a likely typo.
// A candidate "schema.table" also matches on its table part.
func Closest(name string, candidates []string) []string {
	want := strings.ToLower(strings.Trim(name, `"`))
	if i := strings.LastIndexByte(want, '.'); i >= 0 {
		want = want[i+1:]
	}
	type scored struct {
		s string
		d int
	}
	var near []scored
	seen := map[string]bool{}
	for _, c := range candidates {
		if seen[c] {
			continue
		}
		seen[c] = true
		short := strings.ToLower(c)
		if i := strings.LastIndexByte(short, '.'); i >= 0 {
			short = short[i+1:]
		}
		d := distance(want, short)
		limit := max(1, len(want)/3)
		switch {
		case d <= limit:
		case len(want) >= 3 && (strings.HasPrefix(short, want) || strings.HasPrefix(want, short) || strings.Contains(short, want)):
			d = limit + 1
		default:
			continue
		}
		near = append(near, scored{c, d})
	}
	sort.SliceStable(near, func(i, j int) bool {
		if near[i].d != near[j].d {
			return near[i].d < near[j].d
		}
		return near[i].s < near[j].s
	})
	var out []string
	for _, n := range near {
		if len(out) == 3 {
			break
		}
		out = append(out, n.s)
	}
	return out
}

// distance is the Damerau-Levenshtein (optimal string alignment) distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
