// Package sqltext reads SQL text the way PostgreSQL's lexer splits it — comments, quotes, dollar
// quoting — without parsing it: the first keywords of a statement, the statements of a string.
package sqltext

import "strings"

// LeadingWords returns the first n keywords of a statement, lower-cased,
// after comments.
func LeadingWords(st string, n int) []string {
	var out []string
	for _, f := range strings.Fields(StripComments(st)) {
		w := strings.ToLower(strings.Trim(f, "();"))
		if w == "" {
			continue
		}
		out = append(out, w)
		if len(out) == n {
			break
		}
	}
	return out
}

func StripComments(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "--"):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return b.String()
			}
			i += j
		case strings.HasPrefix(s[i:], "/*"):
			i = blockCommentEnd(s, i)
			b.WriteByte(' ')
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String()
}

// Split splits SQL at the semicolons PostgreSQL's lexer would
// split it at: not inside quotes ('...', E'...' with backslashes, "..."),
// dollar quoting ($tag$...$tag$) or comments. Empty statements are dropped.
func Split(sql string) []string {
	var out []string
	start := 0
	add := func(end int) {
		if st := strings.TrimSpace(sql[start:end]); st != "" && strings.TrimSpace(StripComments(st)) != "" {
			out = append(out, st)
		}
	}
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '\'':
			escapes := i > 0 && (sql[i-1] == 'E' || sql[i-1] == 'e') && (i < 2 || !identByte(sql[i-2]))
			i++
			for i < len(sql) {
				if escapes && sql[i] == '\\' {
					i += 2
					continue
				}
				if sql[i] == '\'' {
					if i+1 < len(sql) && sql[i+1] == '\'' {
						i += 2
						continue
					}
					break
				}
				i++
			}
			i++
		case c == '"':
			i++
			for i < len(sql) && sql[i] != '"' {
				i++
			}
			i++
		case c == '$' && (i == 0 || !identByte(sql[i-1])):
			j := i + 1
			for j < len(sql) && (identByte(sql[j]) && !(sql[j] >= '0' && sql[j] <= '9' && j == i+1)) {
				j++
			}
			if j < len(sql) && sql[j] == '$' {
				tag := sql[i : j+1]
				if k := strings.Index(sql[j+1:], tag); k >= 0 {
					i = j + 1 + k + len(tag)
				} else {
					i = len(sql)
				}
				continue
			}
			i++
		case strings.HasPrefix(sql[i:], "--"):
			if k := strings.IndexByte(sql[i:], '\n'); k >= 0 {
				i += k
			} else {
				i = len(sql)
			}
		case strings.HasPrefix(sql[i:], "/*"):
			i = blockCommentEnd(sql, i)
		case c == ';':
			add(i)
			start = i + 1
			i++
		default:
			i++
		}
	}
	add(len(sql))
	return out
}

func identByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// HasTopLevel reports whether the statement holds the keywords words, one after the other, outside
// parentheses, quotes, dollar quoting and comments: HasTopLevel(sql, "order", "by") tells a query that
// sorts its result from one that sorts only a subquery.
func HasTopLevel(sql string, words ...string) bool {
	if len(words) == 0 {
		return false
	}
	depth, matched := 0, 0
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '\'' || c == '"' || c == '$' && (i == 0 || !identByte(sql[i-1])) || strings.HasPrefix(sql[i:], "--") || strings.HasPrefix(sql[i:], "/*"):
			// Quotes, dollar quoting and comments: skip them as Split does.
			j := skipQuoted(sql, i)
			if j == i {
				j++
			}
			i = j
			matched = 0
		case c == '(':
			depth++
			i++
		case c == ')':
			depth--
			i++
		case identByte(c):
			j := i
			for j < len(sql) && identByte(sql[j]) {
				j++
			}
			if depth == 0 && strings.EqualFold(sql[i:j], words[matched]) {
				matched++
				if matched == len(words) {
					return true
				}
			} else if depth == 0 {
				matched = 0
				if strings.EqualFold(sql[i:j], words[0]) {
					matched = 1
				}
			}
			i = j
		default:
			i++
		}
	}
	return false
}

// skipQuoted returns the index just past the quoted string, dollar-quoted string or comment starting at
// i, or i when none starts there.
func skipQuoted(sql string, i int) int {
	switch c := sql[i]; {
	case c == '\'':
		escapes := i > 0 && (sql[i-1] == 'E' || sql[i-1] == 'e') && (i < 2 || !identByte(sql[i-2]))
		j := i + 1
		for j < len(sql) {
			if escapes && sql[j] == '\\' {
				j += 2
				continue
			}
			if sql[j] == '\'' {
				if j+1 < len(sql) && sql[j+1] == '\'' {
					j += 2
					continue
				}
				return j + 1
			}
			j++
		}
		return len(sql)
	case c == '"':
		if k := strings.IndexByte(sql[i+1:], '"'); k >= 0 {
			return i + 2 + k
		}
		return len(sql)
	case c == '$':
		j := i + 1
		for j < len(sql) && identByte(sql[j]) && !(sql[j] >= '0' && sql[j] <= '9' && j == i+1) {
			j++
		}
		if j < len(sql) && sql[j] == '$' {
			tag := sql[i : j+1]
			if k := strings.Index(sql[j+1:], tag); k >= 0 {
				return j + 1 + k + len(tag)
			}
			return len(sql)
		}
		return i
	case strings.HasPrefix(sql[i:], "--"):
		if k := strings.IndexByte(sql[i:], '\n'); k >= 0 {
			return i + k
		}
		return len(sql)
	case strings.HasPrefix(sql[i:], "/*"):
		depth := 0
		j := i
		for j < len(sql) {
			if strings.HasPrefix(sql[j:], "/*") {
				depth++
				j += 2
			} else if strings.HasPrefix(sql[j:], "*/") {
				depth--
				j += 2
				if depth == 0 {
					return j
				}
			} else {
				j++
			}
		}
		return len(sql)
	}
	return i
}

// blockCommentEnd returns the index just past the block comment that starts at s[i:] ("/*"), nested
// comments included as PostgreSQL nests them, or len(s) when it is not closed.
func blockCommentEnd(s string, i int) int {
	depth := 0
	for i < len(s) {
		switch {
		case strings.HasPrefix(s[i:], "/*"):
			depth++
			i += 2
		case strings.HasPrefix(s[i:], "*/"):
			depth--
			i += 2
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return i
}
