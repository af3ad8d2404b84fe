package secrets

import (
	"html"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A view is the scanned text decoded one way (escapes, percent-encoding,
// HTML entities, tags removed, string literals joined), with a map back to
// the original text so that a secret found in the view is reported, masked
// and replaced where it is written.
//
// The map is sparse: segs lists, in order, the places where the view
// differs from its parent (one original span became another decoded span);
// between them the two texts are equal byte for byte.
type view struct {
	name   string
	text   string
	segs   []seg
	parent *view // nil: text derives from the scanned text itself
}

type seg struct {
	dec, decLen   int // in the view
	orig, origLen int // in the parent
}

// viewBuilder builds a view of src left to right.
type viewBuilder struct {
	src     string
	b       strings.Builder
	segs    []seg
	changed bool
}

// copy keeps src[i:j] as it is.
func (vb *viewBuilder) copy(i, j int) { vb.b.WriteString(vb.src[i:j]) }

// put replaces src[i:j] by s.
func (vb *viewBuilder) put(i, j int, s string) {
	if vb.src[i:j] == s {
		vb.b.WriteString(s)
		return
	}
	vb.changed = true
	vb.segs = append(vb.segs, seg{dec: vb.b.Len(), decLen: len(s), orig: i, origLen: j - i})
	vb.b.WriteString(s)
}

func (vb *viewBuilder) done(name string, parent *view) *view {
	if !vb.changed {
		return nil
	}
	return &view{name: name, text: vb.b.String(), segs: vb.segs, parent: parent}
}

// toParent maps a span of the view to a span of its parent: a span that
// starts or ends inside a decoded segment widens to the whole segment.
func (v *view) toParent(start, end int) (int, int) {
	return v.mapPos(start, false), v.mapPos(end, true)
}

func (v *view) mapPos(d int, isEnd bool) int {
	// the last segment starting at or before d (for an end, strictly before)
	i := sort.Search(len(v.segs), func(k int) bool {
		if isEnd {
			return v.segs[k].dec >= d
		}
		return v.segs[k].dec > d
	}) - 1
	if i < 0 {
		return d
	}
	s := v.segs[i]
	switch {
	case d < s.dec+s.decLen || (isEnd && d == s.dec+s.decLen):
		if isEnd {
			return s.orig + s.origLen
		}
		return s.orig
	default:
		return s.orig + s.origLen + d - (s.dec + s.decLen)
	}
}

// toOriginal maps a span of the view to the scanned text.
func (v *view) toOriginal(start, end int) (int, int) {
	for w := v; w != nil; w = w.parent {
		start, end = w.toParent(start, end)
	}
	return start, end
}

// decodeEscapes decodes, in one pass, what tools write around a value:
// backslash escapes of JSON, Go, Python, JavaScript and C (\uXXXX with
// surrogate pairs, \UXXXXXXXX, \xXX, \n, \", \\, \/ ...), URL
// percent-encoding (%40, however few characters are encoded) and HTML
// character references (&amp;, &#64;, &#x40;). A sequence that is not a
// valid escape stays as it is.
func decodeEscapes(src string, parent *view) *view {
	if !strings.ContainsAny(src, `\%&`) {
		return nil
	}
	vb := &viewBuilder{src: src}
	last := 0
	for i := 0; i < len(src); {
		c := src[i]
		var dec string
		n := 0
		switch c {
		case '\\':
			dec, n = backslash(src[i:])
		case '%':
			if i+2 < len(src) && isHex(src[i+1]) && isHex(src[i+2]) {
				v, _ := strconv.ParseUint(src[i+1:i+3], 16, 8)
				// Decoded bytes that are not UTF-8 on their own (%C3%A9) are
				// joined with the following ones.
				var buf []byte
				buf = append(buf, byte(v))
				k := i + 3
				for !utf8.Valid(buf) && len(buf) < 4 && k+2 < len(src) && src[k] == '%' && isHex(src[k+1]) && isHex(src[k+2]) {
					w, _ := strconv.ParseUint(src[k+1:k+3], 16, 8)
					buf = append(buf, byte(w))
					k += 3
				}
				dec, n = string(buf), k-i
			}
		case '&':
			if j := strings.IndexByte(src[i:min(len(src), i+12)], ';'); j > 1 {
				ent := src[i : i+j+1]
				if u := html.UnescapeString(ent); u != ent {
					dec, n = u, len(ent)
				}
			}
		}
		if n == 0 {
			i++
			continue
		}
		vb.copy(last, i)
		vb.put(i, i+n, dec)
		i += n
		last = i
	}
	vb.copy(last, len(src))
	return vb.done("decoded", parent)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// backslash decodes the escape at the start of s; n is 0 when there is none.
func backslash(s string) (string, int) {
	if len(s) < 2 {
		return "", 0
	}
	switch s[1] {
	case 'n':
		return "\n", 2
	case 't':
		return "\t", 2
	case 'r':
		return "\r", 2
	case 'b':
		return "\b", 2
	case 'f':
		return "\f", 2
	case '0':
		return "\x00", 2
	case '"', '\'', '\\', '/', '`', '$', '@', '#', '%', '&', ' ':
		return s[1:2], 2
	case 'x':
		if len(s) >= 4 && isHex(s[2]) && isHex(s[3]) {
			v, _ := strconv.ParseUint(s[2:4], 16, 8)
			return string([]byte{byte(v)}), 4
		}
	case 'u':
		if len(s) >= 6 && isHex(s[2]) && isHex(s[3]) && isHex(s[4]) && isHex(s[5]) {
			v, _ := strconv.ParseUint(s[2:6], 16, 16)
			r := rune(v)
			if utf16.IsSurrogate(r) && len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
				if w, err := strconv.ParseUint(s[8:12], 16, 16); err == nil {
					if p := utf16.DecodeRune(r, rune(w)); p != utf8.RuneError {
						return string(p), 12
					}
				}
			}
			return string(r), 6
		}
	case 'U':
		if len(s) >= 10 {
			if v, err := strconv.ParseUint(s[2:10], 16, 32); err == nil && utf8.ValidRune(rune(v)) {
				return string(rune(v)), 10
			}
		}
	}
	return "", 0
}

// markup finds an HTML or XML tag, comment or processing instruction.
var markup = regexp.MustCompile(`<(?:[A-Za-z][^<>]*|/[A-Za-z][^<>]*|!--[\s\S]*?--|!\[CDATA\[|\]\]|\?[^<>]*)>|\]\]>`)

// stripTags removes markup, so that text split by tags (an SVG's tspans, a
// table's cells, <b>pass</b>word) reads as one.
func stripTags(src string, parent *view) *view {
	if !strings.Contains(src, "<") {
		return nil
	}
	locs := markup.FindAllStringIndex(src, -1)
	if len(locs) == 0 {
		return nil
	}
	vb := &viewBuilder{src: src}
	last := 0
	for _, l := range locs {
		if strings.HasPrefix(src[l[0]:], "<secret:") {
			continue // the hook's own placeholder
		}
		vb.copy(last, l[0])
		vb.put(l[0], l[1], "")
		last = l[1]
	}
	vb.copy(last, len(src))
	return vb.done("tags removed", parent)
}

// joiner is what stands between two string literals that a program
// concatenates: "abc" + "def", 'abc' || 'def' (SQL), "abc" .. "def" (Lua),
// "abc" . "def" (PHP, Perl), "abc" & "def", adjacent literals "abc" "def"
// (Python, C), and the same across a line break.
var joiner = regexp.MustCompile("([\"'`])[ \\t]*(?:\\\\?\\r?\\n[ \\t]*)?(?:\\+|\\|\\||\\.\\.?|&)?[ \\t]*(?:\\\\?\\r?\\n[ \\t]*)?([\"'`])")

// joinLiterals removes what joins two string literals, so that a secret
// split across them reads whole. Only known values are looked for in this
// view: a pattern rule run on text pieced together would guess.
func joinLiterals(src string, parent *view) *view {
	locs := joiner.FindAllStringSubmatchIndex(src, -1)
	if len(locs) == 0 {
		return nil
	}
	vb := &viewBuilder{src: src}
	last := 0
	for _, l := range locs {
		if l[1]-l[0] < 2 {
			continue
		}
		vb.copy(last, l[0])
		vb.put(l[0], l[1], "")
		last = l[1]
	}
	vb.copy(last, len(src))
	return vb.done("literals joined", parent)
}

// views returns the decoded views of text worth searching: escapes and
// encodings decoded (twice, for a value encoded twice), markup removed
// then decoded, literals joined then decoded. patterns says whether the
// pattern rules may run on the view (not on joined literals).
func views(text string) []struct {
	v        *view
	patterns bool
} {
	var out []struct {
		v        *view
		patterns bool
	}
	add := func(v *view, patterns bool) *view {
		if v != nil {
			out = append(out, struct {
				v        *view
				patterns bool
			}{v, patterns})
		}
		return v
	}
	if d := add(decodeEscapes(text, nil), true); d != nil {
		add(decodeEscapes(d.text, d), true)
		// Markup that was encoded (an SVG in a percent-encoded data URI, &lt;tags&gt;).
		if t := add(stripTags(d.text, d), true); t != nil {
			add(decodeEscapes(t.text, t), true)
		}
	}
	if t := add(stripTags(text, nil), true); t != nil {
		add(decodeEscapes(t.text, t), true)
	}
	if j := add(joinLiterals(text, nil), false); j != nil {
		add(decodeEscapes(j.text, j), false)
	}
	return out
}
