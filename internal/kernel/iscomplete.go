package kernel

import (
	"go/scanner"
	"go/token"
	"strings"
)

// Completeness is the answer to an is_complete_request: whether a console should run the code now
// ("complete"), wait for more lines ("incomplete", with the indent of the next line), or run it to show
// an error ("invalid").
type Completeness struct {
	Status string `json:"status"`
	Indent string `json:"indent,omitempty"`
}

// IsComplete judges code the way a console needs it: a Go cell is incomplete while a bracket, a raw
// string or a comment is open, or a line ends in an operator that continues the statement; it is
// invalid when a bracket closes what was never opened. A %%sql cell is incomplete while a quote, a
// dollar-quoted string, a block comment or a parenthesis is open, or while it has no SQL yet.
func IsComplete(code string) Completeness {
	lines := strings.Split(code, "\n")
	if c := cellMagic(lines); c != "" {
		if c == "%%sql" {
			return sqlComplete(strings.Join(lines[1:], "\n"))
		}
		return Completeness{Status: "complete"} // GoNB's %%bash, %%writefile...: run as typed
	}
	// A special command continued with a trailing backslash waits for its next line.
	goLines := make([]string, len(lines))
	for i, l := range lines {
		if isSpecialLine(l) {
			if i == len(lines)-1 && strings.HasSuffix(strings.TrimRight(l, " \t"), `\`) {
				return Completeness{Status: "incomplete"}
			}
			continue
		}
		goLines[i] = l
	}
	return goComplete(strings.Join(goLines, "\n"))
}

// cellMagic returns the cell magic of the first line ("%%sql", "%%bash", ...), or "" for a Go cell.
// GoNB's "%%" alone (the start of main's body) is not a cell magic.
func cellMagic(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	first := strings.TrimPrefix(strings.TrimSpace(lines[0]), "//gonb:")
	if !strings.HasPrefix(first, "%%") || len(first) == 2 || first[2] == ' ' || first[2] == '\t' {
		return ""
	}
	name, _, _ := strings.Cut(first, " ")
	name, _, _ = strings.Cut(name, "\t")
	return name
}

// isSpecialLine reports whether GoNB takes a line as a command rather than Go: % and ! lines (also
// behind the //gonb: prefix).
func isSpecialLine(line string) bool {
	l := strings.TrimPrefix(line, "//gonb:")
	return len(l) > 1 && (l[0] == '%' || l[0] == '!')
}

func goComplete(src string) Completeness {
	fset := token.NewFileSet()
	file := fset.AddFile("cell.go", -1, len(src))
	var errs []string
	var s scanner.Scanner
	s.Init(file, []byte(src), func(_ token.Position, msg string) { errs = append(errs, msg) }, scanner.ScanComments)
	var stack []token.Token
	last := token.ILLEGAL // last token that is not a comment or an automatic semicolon
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		switch tok {
		case token.COMMENT:
			continue
		case token.SEMICOLON:
			if lit == "\n" { // inserted at a newline: not something the user typed
				continue
			}
		case token.LPAREN, token.LBRACK, token.LBRACE:
			stack = append(stack, tok)
		case token.RPAREN, token.RBRACK, token.RBRACE:
			open := map[token.Token]token.Token{token.RPAREN: token.LPAREN, token.RBRACK: token.LBRACK, token.RBRACE: token.LBRACE}[tok]
			if len(stack) == 0 || stack[len(stack)-1] != open {
				return Completeness{Status: "invalid"}
			}
			stack = stack[:len(stack)-1]
		}
		last = tok
	}
	for _, e := range errs {
		switch {
		case strings.Contains(e, "raw string literal not terminated"), strings.Contains(e, "comment not terminated"):
			return Completeness{Status: "incomplete", Indent: strings.Repeat("\t", len(stack))}
		case strings.Contains(e, "not terminated"):
			return Completeness{Status: "invalid"} // an interpreted string or rune cannot span lines
		}
	}
	if len(stack) > 0 {
		return Completeness{Status: "incomplete", Indent: strings.Repeat("\t", len(stack))}
	}
	if continues(last) {
		return Completeness{Status: "incomplete"}
	}
	if len(errs) > 0 {
		return Completeness{Status: "invalid"}
	}
	return Completeness{Status: "complete"}
}

// continues reports whether a line ending in tok goes on at the next line (Go inserts no semicolon).
func continues(tok token.Token) bool {
	switch {
	case tok == token.ILLEGAL: // nothing yet
		return false
	case tok.IsOperator():
		switch tok {
		case token.RPAREN, token.RBRACK, token.RBRACE, token.INC, token.DEC, token.SEMICOLON:
			return false
		}
		return true
	}
	return false
}

// sqlComplete judges the body of a %%sql cell.
func sqlComplete(sql string) Completeness {
	if strings.TrimSpace(sql) == "" {
		return Completeness{Status: "incomplete"}
	}
	depth := 0
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '-' && strings.HasPrefix(sql[i:], "--"):
			nl := strings.IndexByte(sql[i:], '\n')
			if nl < 0 {
				i = len(sql)
			} else {
				i += nl + 1
			}
			continue
		case c == '/' && strings.HasPrefix(sql[i:], "/*"):
			// PostgreSQL block comments nest.
			n, j := 1, i+2
			for j < len(sql) && n > 0 {
				switch {
				case strings.HasPrefix(sql[j:], "/*"):
					n, j = n+1, j+2
				case strings.HasPrefix(sql[j:], "*/"):
					n, j = n-1, j+2
				default:
					j++
				}
			}
			if n > 0 {
				return Completeness{Status: "incomplete"}
			}
			i = j
			continue
		case c == '\'' || c == '"':
			j := i + 1
			for {
				k := strings.IndexByte(sql[j:], c)
				if k < 0 {
					return Completeness{Status: "incomplete"}
				}
				j += k + 1
				if j < len(sql) && sql[j] == c { // doubled quote: an escaped one
					j++
					continue
				}
				break
			}
			i = j
			continue
		case c == '$':
			if tag, ok := dollarTag(sql[i:]); ok {
				end := strings.Index(sql[i+len(tag):], tag)
				if end < 0 {
					return Completeness{Status: "incomplete"}
				}
				i += len(tag) + end + len(tag)
				continue
			}
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return Completeness{Status: "invalid"}
			}
		}
		i++
	}
	if depth > 0 {
		return Completeness{Status: "incomplete", Indent: "    "}
	}
	return Completeness{Status: "complete"}
}

// dollarTag returns the opening tag of a dollar-quoted string at the start of s ("$$", "$body$").
// A parameter such as $1 is not one.
func dollarTag(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		c := s[j]
		if c == '$' {
			return s[:j+1], true
		}
		isLetter := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
		if !isLetter && !(j > 1 && c >= '0' && c <= '9') {
			return "", false
		}
	}
	return "", false
}
