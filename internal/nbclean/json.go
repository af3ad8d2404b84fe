package nbclean

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds a small JSON reader and writer that behave like Python's
// json module as nbformat uses it: the reader accepts what json.loads accepts
// (including NaN and Infinity, last duplicate key wins) and the writer
// produces what json.dumps(indent=1, sort_keys=True, ensure_ascii=False)
// produces. encoding/json cannot be used: it escapes <, > and & and U+2028,
// formats floats differently and does not keep integers exact.

type kind uint8

const (
	kNull kind = iota
	kFalse
	kTrue
	kNumber
	kString
	kArray
	kObject
)

// value is one JSON value. Strings stay in their escaped form (raw) until
// someone reads them, so megabytes of base64 images that are dropped or
// copied through are never decoded.
type value struct {
	kind    kind
	esc     bool   // string: raw holds a backslash escape
	decoded bool   // string: str is authoritative
	raw     []byte // number literal, or escaped string contents without quotes
	str     string
	arr     []*value
	obj     []member
}

type member struct {
	key string
	val *value
}

// SyntaxError reports where a notebook is not valid JSON.
type SyntaxError struct {
	Msg    string
	Offset int // byte offset, 0-based
	Line   int // 1-based
	Column int // 1-based, in bytes
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON: %s at line %d column %d (byte %d)", e.Msg, e.Line, e.Column, e.Offset)
}

func newString(s string) *value { return &value{kind: kString, decoded: true, str: s} }

// text returns the decoded string. It fails only on a lone UTF-16
// surrogate escape, which Python reads but cannot write as UTF-8.
func (v *value) text() (string, error) {
	if v.decoded {
		return v.str, nil
	}
	if !v.esc {
		v.str = string(v.raw)
	} else {
		s, err := unescape(v.raw)
		if err != nil {
			return "", err
		}
		v.str = s
	}
	v.decoded = true
	return v.str, nil
}

// textOr returns the decoded string, or "" for anything that is not a
// decodable string.
func (v *value) textOr() string {
	if v == nil || v.kind != kString {
		return ""
	}
	s, err := v.text()
	if err != nil {
		return ""
	}
	return s
}

func (v *value) setText(s string) {
	v.kind, v.str, v.decoded, v.raw, v.esc = kString, s, true, nil, false
}

func (v *value) get(key string) *value {
	if v == nil || v.kind != kObject {
		return nil
	}
	for i := range v.obj {
		if v.obj[i].key == key {
			return v.obj[i].val
		}
	}
	return nil
}

func (v *value) has(key string) bool { return v.get(key) != nil }

func (v *value) set(key string, val *value) {
	for i := range v.obj {
		if v.obj[i].key == key {
			v.obj[i].val = val
			return
		}
	}
	v.obj = append(v.obj, member{key, val})
}

func (v *value) pop(key string) bool {
	if v == nil || v.kind != kObject {
		return false
	}
	for i := range v.obj {
		if v.obj[i].key == key {
			v.obj = slices.Delete(v.obj, i, i+1)
			return true
		}
	}
	return false
}

// truthy is Python's bool() of the decoded value.
func (v *value) truthy() bool {
	switch v.kind {
	case kNull, kFalse:
		return false
	case kTrue:
		return true
	case kNumber:
		f, err := strconv.ParseFloat(string(v.raw), 64)
		return err != nil || f != 0 // NaN is true in Python
	case kString:
		if v.decoded {
			return v.str != ""
		}
		return len(v.raw) > 0
	case kArray:
		return len(v.arr) > 0
	default:
		return len(v.obj) > 0
	}
}

// ---- reading ----

type parser struct {
	data []byte
	pos  int
	slab []value
}

const maxDepth = 10000

func (p *parser) alloc() *value {
	if len(p.slab) == 0 {
		p.slab = make([]value, 256)
	}
	v := &p.slab[0]
	p.slab = p.slab[1:]
	return v
}

func (p *parser) fail(at int, format string, args ...any) error {
	line := 1 + bytes.Count(p.data[:at], []byte{'\n'})
	col := at + 1
	if i := bytes.LastIndexByte(p.data[:at], '\n'); i >= 0 {
		col = at - i
	}
	return &SyntaxError{Msg: fmt.Sprintf(format, args...), Offset: at, Line: line, Column: col}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func parseJSON(data []byte) (*value, error) {
	p := &parser{data: data}
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return nil, p.fail(0, "unexpected UTF-8 byte order mark")
	}
	p.skipSpace()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(data) {
		return nil, p.fail(p.pos, "extra data after the JSON document")
	}
	return v, nil
}

func (p *parser) value(depth int) (*value, error) {
	if depth > maxDepth {
		return nil, p.fail(p.pos, "nesting deeper than %d levels", maxDepth)
	}
	if p.pos >= len(p.data) {
		return nil, p.fail(p.pos, "expecting a value, found the end of the data")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		v := p.alloc()
		v.kind = kString
		raw, esc, err := p.stringBody()
		if err != nil {
			return nil, err
		}
		v.raw, v.esc = raw, esc
		return v, nil
	case c == '-' || (c >= '0' && c <= '9') || c == 'N' || c == 'I':
		return p.number()
	case bytes.HasPrefix(p.data[p.pos:], []byte("null")):
		p.pos += 4
		v := p.alloc()
		v.kind = kNull
		return v, nil
	case bytes.HasPrefix(p.data[p.pos:], []byte("true")):
		p.pos += 4
		v := p.alloc()
		v.kind = kTrue
		return v, nil
	case bytes.HasPrefix(p.data[p.pos:], []byte("false")):
		p.pos += 5
		v := p.alloc()
		v.kind = kFalse
		return v, nil
	default:
		return nil, p.fail(p.pos, "expecting a value, found %q", firstRune(p.data[p.pos:]))
	}
}

func firstRune(b []byte) string {
	r, _ := utf8.DecodeRune(b)
	return string(r)
}

func (p *parser) object(depth int) (*value, error) {
	v := p.alloc()
	v.kind = kObject
	p.pos++ // {
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return v, nil
	}
	var index map[string]int
	for {
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.fail(p.pos, "expecting a property name enclosed in double quotes")
		}
		raw, esc, err := p.stringBody()
		if err != nil {
			return nil, err
		}
		key := string(raw)
		if esc {
			if key, err = unescape(raw); err != nil {
				return nil, p.fail(p.pos, "%v", err)
			}
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.fail(p.pos, "expecting ':' delimiter")
		}
		p.pos++
		p.skipSpace()
		val, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		// Python keeps the last value of a duplicate key.
		dup := -1
		if index != nil {
			if i, ok := index[key]; ok {
				dup = i
			}
		} else {
			for i := range v.obj {
				if v.obj[i].key == key {
					dup = i
					break
				}
			}
		}
		if dup >= 0 {
			v.obj[dup].val = val
		} else {
			v.obj = append(v.obj, member{key, val})
			if index != nil {
				index[key] = len(v.obj) - 1
			} else if len(v.obj) > 32 {
				index = make(map[string]int, 64)
				for i := range v.obj {
					index[v.obj[i].key] = i
				}
			}
		}
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.fail(p.pos, "expecting ',' delimiter, found the end of the data")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
			p.skipSpace()
		case '}':
			p.pos++
			return v, nil
		default:
			return nil, p.fail(p.pos, "expecting ',' delimiter")
		}
	}
}

func (p *parser) array(depth int) (*value, error) {
	v := p.alloc()
	v.kind = kArray
	p.pos++ // [
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return v, nil
	}
	for {
		el, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v.arr = append(v.arr, el)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.fail(p.pos, "expecting ',' delimiter, found the end of the data")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
			p.skipSpace()
		case ']':
			p.pos++
			return v, nil
		default:
			return nil, p.fail(p.pos, "expecting ',' delimiter")
		}
	}
}

func (p *parser) number() (*value, error) {
	start := p.pos
	d := p.data
	for _, lit := range []string{"NaN", "Infinity", "-Infinity"} {
		if bytes.HasPrefix(d[start:], []byte(lit)) {
			p.pos += len(lit)
			v := p.alloc()
			v.kind, v.raw = kNumber, d[start:p.pos]
			return v, nil
		}
	}
	i := start
	if i < len(d) && d[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(d) && d[i] == '0' {
		i++
	} else if digits() == 0 {
		return nil, p.fail(start, "expecting a value")
	}
	if i+1 < len(d) && d[i] == '.' && d[i+1] >= '0' && d[i+1] <= '9' {
		i++
		digits()
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		j := i
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if digits() == 0 {
			i = j // Python stops before a bare exponent and then fails on it
		}
	}
	p.pos = i
	v := p.alloc()
	v.kind, v.raw = kNumber, d[start:i]
	return v, nil
}

// stringBody reads a string starting at the opening quote and returns its
// escaped contents. It checks what Python's strict json.loads checks: no raw
// control characters, valid escapes, and (as nbformat decodes the file as
// UTF-8 first) valid UTF-8.
func (p *parser) stringBody() ([]byte, bool, error) {
	d := p.data
	start := p.pos + 1
	i := start
	esc := false
	for {
		// Fast path: 8 bytes at a time while none is special
		// (<0x20, '"', '\\' or >=0x80).
		for i+8 <= len(d) {
			x := uint64(d[i]) | uint64(d[i+1])<<8 | uint64(d[i+2])<<16 | uint64(d[i+3])<<24 |
				uint64(d[i+4])<<32 | uint64(d[i+5])<<40 | uint64(d[i+6])<<48 | uint64(d[i+7])<<56
			if hasSpecial(x) {
				break
			}
			i += 8
		}
		if i >= len(d) {
			return nil, false, p.fail(start-1, "unterminated string starting here")
		}
		c := d[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return d[start:i], esc, nil
		case c == '\\':
			esc = true
			if i+1 >= len(d) {
				return nil, false, p.fail(start-1, "unterminated string starting here")
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) || !isHex4(d[i+2:i+6]) {
					return nil, false, p.fail(i, "invalid \\uXXXX escape")
				}
				i += 6
			default:
				return nil, false, p.fail(i, "invalid \\escape")
			}
		case c < 0x20:
			return nil, false, p.fail(i, "invalid control character in a string")
		case c >= 0x80:
			r, n := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && n <= 1 {
				return nil, false, p.fail(i, "invalid UTF-8 byte 0x%02x", c)
			}
			i += n
		default:
			i++
		}
	}
}

func hasSpecial(x uint64) bool {
	const lo = 0x0101010101010101
	const hi = 0x8080808080808080
	lt := func(n uint64) uint64 { return (x - lo*n) & ^x & hi } // bytes < n (x has no high bit set there)
	eq := func(b uint64) uint64 { y := x ^ (lo * b); return (y - lo) & ^y & hi }
	return (x&hi)|lt(0x20)|eq('"')|eq('\\') != 0
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// unescape decodes the contents of a JSON string already checked by
// stringBody.
func unescape(raw []byte) (string, error) {
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\\')
		if j < 0 {
			b.Write(raw[i:])
			break
		}
		b.Write(raw[i : i+j])
		i += j
		switch c := raw[i+1]; c {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r := rune(hex4(raw[i+2 : i+6]))
			i += 6
			if utf16.IsSurrogate(r) {
				if r < 0xdc00 && i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2 := rune(hex4(raw[i+2 : i+6]))
					if r2 >= 0xdc00 && r2 <= 0xdfff {
						b.WriteRune(utf16.DecodeRune(r, r2))
						i += 6
						continue
					}
				}
				return "", fmt.Errorf("lone UTF-16 surrogate \\u%04x cannot be written as UTF-8", r)
			}
			b.WriteRune(r)
			continue
		default: // " \ /
			b.WriteByte(c)
		}
		i += 2
	}
	return b.String(), nil
}

func hex4(b []byte) int {
	n := 0
	for _, c := range b {
		n <<= 4
		switch {
		case c >= '0' && c <= '9':
			n |= int(c - '0')
		case c >= 'a' && c <= 'f':
			n |= int(c-'a') + 10
		default:
			n |= int(c-'A') + 10
		}
	}
	return n
}

// ---- writing ----

type writer struct {
	buf []byte
	err error
}

func (w *writer) newline(level int) {
	w.buf = append(w.buf, '\n')
	for range level {
		w.buf = append(w.buf, ' ')
	}
}

// write appends v as Python's json.dumps(indent=1, sort_keys=True,
// ensure_ascii=False) would.
func (w *writer) write(v *value, level int) {
	switch v.kind {
	case kNull:
		w.buf = append(w.buf, "null"...)
	case kTrue:
		w.buf = append(w.buf, "true"...)
	case kFalse:
		w.buf = append(w.buf, "false"...)
	case kNumber:
		w.buf = appendPyNumber(w.buf, v.raw)
	case kString:
		if !v.decoded && !v.esc {
			// Raw contents without escapes hold no character Python would
			// escape (the parser rejected control characters).
			w.buf = append(w.buf, '"')
			w.buf = append(w.buf, v.raw...)
			w.buf = append(w.buf, '"')
			return
		}
		s, err := v.text()
		if err != nil && w.err == nil {
			w.err = err
		}
		w.buf = appendPyString(w.buf, s)
	case kArray:
		if len(v.arr) == 0 {
			w.buf = append(w.buf, "[]"...)
			return
		}
		w.buf = append(w.buf, '[')
		for i, el := range v.arr {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.newline(level + 1)
			w.write(el, level+1)
		}
		w.newline(level)
		w.buf = append(w.buf, ']')
	case kObject:
		if len(v.obj) == 0 {
			w.buf = append(w.buf, "{}"...)
			return
		}
		ms := v.obj
		if !slices.IsSortedFunc(ms, cmpMember) {
			ms = slices.Clone(ms)
			slices.SortFunc(ms, cmpMember)
		}
		w.buf = append(w.buf, '{')
		for i, m := range ms {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.newline(level + 1)
			w.buf = appendPyString(w.buf, m.key)
			w.buf = append(w.buf, ": "...)
			w.write(m.val, level+1)
		}
		w.newline(level)
		w.buf = append(w.buf, '}')
	}
}

// cmpMember orders keys by code point, as Python sorts str; comparing the
// UTF-8 bytes gives the same order.
func cmpMember(a, b member) int { return strings.Compare(a.key, b.key) }

// appendPyString escapes like Python's json with ensure_ascii=False:
// only '"', '\\' and control characters below 0x20.
func appendPyString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	last := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf = append(buf, s[last:i]...)
		switch c {
		case '"':
			buf = append(buf, `\"`...)
		case '\\':
			buf = append(buf, `\\`...)
		case '\n':
			buf = append(buf, `\n`...)
		case '\r':
			buf = append(buf, `\r`...)
		case '\t':
			buf = append(buf, `\t`...)
		case '\b':
			buf = append(buf, `\b`...)
		case '\f':
			buf = append(buf, `\f`...)
		default:
			buf = append(buf, fmt.Sprintf(`\u%04x`, c)...)
		}
		last = i + 1
	}
	buf = append(buf, s[last:]...)
	return append(buf, '"')
}

// appendPyNumber writes a JSON number as Python re-serialises it: integers
// exactly (Python ints are unbounded), anything with a fraction or exponent
// through float repr.
func appendPyNumber(buf []byte, lit []byte) []byte {
	s := string(lit)
	switch s {
	case "NaN", "Infinity", "-Infinity":
		return append(buf, s...)
	}
	if !strings.ContainsAny(s, ".eE") {
		if s == "-0" {
			return append(buf, '0')
		}
		return append(buf, s...)
	}
	f, _ := strconv.ParseFloat(s, 64) // ±Inf on overflow, as in Python
	return append(buf, pyFloatRepr(f)...)
}

// pyFloatRepr is Python's repr(float): the shortest round-tripping digits,
// positional notation for 1e-4 <= |f| < 1e16, otherwise scientific with a
// signed exponent of at least two digits.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	k := strings.IndexByte(e, 'e')
	digits := strings.Replace(e[:k], ".", "", 1)
	exp, _ := strconv.Atoi(e[k+1:])
	decpt := exp + 1
	if decpt <= -4 || decpt > 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := "+"
		if exp < 0 {
			es, exp = "-", -exp
		}
		return fmt.Sprintf("%s%se%s%02d", sign, m, es, exp)
	}
	switch {
	case decpt <= 0:
		return sign + "0." + strings.Repeat("0", -decpt) + digits
	case decpt >= len(digits):
		return sign + digits + strings.Repeat("0", decpt-len(digits)) + ".0"
	default:
		return sign + digits[:decpt] + "." + digits[decpt:]
	}
}

// splitLines is Python's str.splitlines(keepends=True).
func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		n := 0 // length of the line break at i
		switch {
		case c == '\n' || c == '\v' || c == '\f' || c == 0x1c || c == 0x1d || c == 0x1e:
			n = 1
		case c == '\r':
			n = 1
			if i+1 < len(s) && s[i+1] == '\n' {
				n = 2
			}
		case c == 0xc2 && i+1 < len(s) && s[i+1] == 0x85: // U+0085
			n = 2
		case c == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9): // U+2028, U+2029
			n = 3
		}
		if n == 0 {
			i++
			continue
		}
		i += n
		out = append(out, s[start:i])
		start = i
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
