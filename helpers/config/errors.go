package config

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinels for errors.Is.
var (
	ErrMissing = errors.New("config: setting missing")
	ErrInvalid = errors.New("config: setting invalid")
	ErrSyntax  = errors.New("config: .env syntax error")
)

// MissingError says that a key is set neither in the environment nor in .env,
// and how to fix it. It never holds a value.
type MissingError struct {
	Key          string
	File         string   // the .env consulted, "" if none was found
	Dir          string   // where the search for .env started
	Alternatives []string // other keys that would do instead
}

func (e *MissingError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "config: %s is not set: ", e.Key)
	if e.File != "" {
		fmt.Fprintf(&b, "add %s=... to %s (see .env.example) or export it", e.Key, e.File)
	} else {
		fmt.Fprintf(&b, "no %s found in %s or its parents; create one from .env.example with %s=..., or export %s",
			FileName, e.Dir, e.Key, e.Key)
	}
	if len(e.Alternatives) > 0 {
		fmt.Fprintf(&b, " (or set %s)", strings.Join(e.Alternatives, " or "))
	}
	return b.String()
}

// Is makes errors.Is(err, ErrMissing) true.
func (e *MissingError) Is(target error) bool { return target == ErrMissing }

// CastError says that a key's value cannot be read as the wanted type. The
// value is quoted only for keys that are not secret (see [IsSecret]).
type CastError struct {
	Key    string
	Want   string // e.g. "an integer"
	Source Source
	shown  string // quoted value, or a note that it is hidden
}

func newCastError(key, want, value string, src Source) *CastError {
	shown := strconv.Quote(value)
	if IsSecret(key) {
		shown = "a value that is not shown (secret)"
	}
	return &CastError{Key: key, Want: want, Source: src, shown: shown}
}

func (e *CastError) Error() string {
	return fmt.Sprintf("config: %s (from %s): expected %s, found %s", e.Key, e.Source, e.Want, e.shown)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *CastError) Is(target error) bool { return target == ErrInvalid }

// SyntaxError is a .env file that godotenv cannot parse. It names the file and
// line but, unlike godotenv's own message, quotes none of the file's text.
type SyntaxError struct {
	File   string
	Line   int // 0 if unknown
	Reason string
}

func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("config: %s:%d: syntax error: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("config: %s: syntax error: %s", e.File, e.Reason)
}

// Is makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// newSyntaxError locates godotenv's error in src. godotenv v1.5.1 reports no
// line numbers, but its messages carry the text where parsing stopped, which
// gives the position; that text itself is dropped.
func newSyntaxError(path string, src []byte, perr error) *SyntaxError {
	src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n")) // as godotenv does
	lineAt := func(offset int) int { return bytes.Count(src[:offset], []byte("\n")) + 1 }
	msg := perr.Error()
	e := &SyntaxError{File: path, Reason: "cannot be parsed"}

	switch {
	case strings.HasPrefix(msg, "unexpected character "):
		rest := strings.TrimPrefix(msg, "unexpected character ")
		char, err := strconv.QuotedPrefix(rest)
		if err != nil {
			break
		}
		const near = " in variable name near "
		tail, err := strconv.Unquote(strings.TrimPrefix(rest[len(char):], near))
		if err == nil && len(tail) <= len(src) && bytes.HasSuffix(src, []byte(tail)) {
			e.Line = lineAt(len(src) - len(tail))
		}
		if char == `"\n"` || char == `"\r"` {
			e.Reason = `no "=" on this line (expected KEY=value)`
		} else {
			e.Reason = fmt.Sprintf("unexpected character %s in a variable name (expected letters, digits, _ or .)", char)
		}
	case strings.HasPrefix(msg, "unterminated quoted value "):
		snippet := []byte(strings.TrimPrefix(msg, "unterminated quoted value "))
		e.Reason = "a quoted value is not closed before the end of the file"
		if len(snippet) == 0 {
			break
		}
		quote := snippet[0]
		e.Reason = fmt.Sprintf("a value opened with %c is not closed before the end of the file", quote)
		for from := 0; ; {
			i := bytes.Index(src[from:], snippet)
			if i < 0 {
				break
			}
			p := from + i
			if !hasClosingQuote(src[p+1:], quote) {
				e.Line = lineAt(p)
				break
			}
			from = p + 1
		}
	case msg == "zero length string":
		e.Reason = "a statement ends before its name"
		e.Line = lineAt(len(bytes.TrimRight(src, " \t\n")))
	}
	return e
}

func hasClosingQuote(s []byte, quote byte) bool {
	for i := range s {
		if s[i] == quote && (i == 0 || s[i-1] != '\\') {
			return true
		}
	}
	return false
}
