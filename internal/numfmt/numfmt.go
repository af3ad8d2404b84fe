// Package numfmt formats counts for people: 1234567 → "1,234,567", the way every helper's messages
// and tables write row counts.
package numfmt

import (
	"math"
	"strconv"
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

// Approx writes an estimate the way people say it, to two significant digits: exact with separators
// below 10,000 ("3,000"), then "12k", "1.2M", "50M", "2.5 billion", "25 trillion", "3.1e+15".
func Approx(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	neg := ""
	if f < 0 {
		neg, f = "-", -f
	}
	if f < 10_000 {
		return neg + Int(int64(math.Round(f)))
	}
	f, _ = strconv.ParseFloat(strconv.FormatFloat(f, 'g', 2, 64), 64) // two significant digits
	var size float64
	var unit string
	switch {
	case f >= 1e15:
		return neg + strconv.FormatFloat(f, 'g', 2, 64)
	case f >= 1e12:
		size, unit = 1e12, " trillion"
	case f >= 1e9:
		size, unit = 1e9, " billion"
	case f >= 1e6:
		size, unit = 1e6, "M"
	default:
		size, unit = 1e3, "k"
	}
	return neg + strconv.FormatFloat(f/size, 'f', -1, 64) + unit
}

// Bytes writes a size in bytes with a binary unit: "812 B", "4.2 kB", "13 MB", "1.5 GB".
func Bytes(n int64) string {
	if n < 0 {
		return "?"
	}
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	f, i := float64(n), 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 || f >= 10 {
		return strconv.FormatFloat(math.Round(f), 'f', 0, 64) + " " + units[i]
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + units[i]
}
