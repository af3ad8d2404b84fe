// Package numfmt formats counts for people: 1234567 → "1,234,567", the way every helper's messages
// and tables write row counts.
package numfmt

import (
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var printer = message.NewPrinter(language.English)

// Int writes n with thousands separators.
func Int[T ~int | ~int32 | ~int64 | ~uint32 | ~uint64](n T) string { return printer.Sprintf("%d", n) }

// Count writes n and the noun that agrees with it: Count(1, "question", "questions") is "1 question",
// Count(1200, ...) "1,200 questions".
func Count[T ~int | ~int32 | ~int64](n T, singular, plural string) string {
	if n == 1 || n == -1 {
		return Int(n) + " " + singular
	}
	return Int(n) + " " + plural
}

// Grouped inserts thousands separators into the integer part of a number written in decimal:
// "-1234567.50" → "-1,234,567.50". Anything else (exponents, "NaN", "+Inf") is returned as it is.
func Grouped(s string) string {
	sign, rest := "", s
	if rest != "" && (rest[0] == '-' || rest[0] == '+') {
		sign, rest = rest[:1], rest[1:]
	}
	whole, frac := rest, ""
	if i := strings.IndexByte(rest, '.'); i >= 0 {
		whole, frac = rest[:i], rest[i:]
	}
	if len(whole) <= 3 || strings.Trim(whole, "0123456789") != "" || strings.ContainsAny(frac, "eE") {
		return s
	}
	var b strings.Builder
	b.WriteString(sign)
	first := len(whole) % 3
	if first > 0 {
		b.WriteString(whole[:first])
	}
	for i := first; i < len(whole); i += 3 {
		if b.Len() > len(sign) {
			b.WriteByte(',')
		}
		b.WriteString(whole[i : i+3])
	}
	b.WriteString(frac)
	return b.String()
}
