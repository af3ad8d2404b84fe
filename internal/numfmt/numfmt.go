// Package numfmt formats counts for people: 1234567 → "1,234,567", the way every helper's messages
// and tables write row counts.
package numfmt

import (
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
