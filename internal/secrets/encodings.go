package secrets

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"io"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeUTF16 recognises UTF-16 text: a byte order mark, or (without one)
// NUL bytes on one side of most character pairs, as ASCII text saved in
// UTF-16 has. Such a file is text to decode, not binary to skip.
func decodeUTF16(data []byte) (string, bool) {
	var order binary.ByteOrder
	switch {
	case len(data) >= 2 && data[0] == 0xFF && data[1] == 0xFE:
		order, data = binary.LittleEndian, data[2:]
	case len(data) >= 2 && data[0] == 0xFE && data[1] == 0xFF:
		order, data = binary.BigEndian, data[2:]
	default:
		n := min(len(data), 8192) &^ 1
		if n < 8 {
			return "", false
		}
		var even, odd int
		for i := 0; i < n; i += 2 {
			if data[i] == 0 {
				even++
			}
			if data[i+1] == 0 {
				odd++
			}
		}
		pairs := n / 2
		switch {
		case odd*10 >= pairs*6 && even*10 <= pairs:
			order = binary.LittleEndian
		case even*10 >= pairs*6 && odd*10 <= pairs:
			order = binary.BigEndian
		default:
			return "", false
		}
	}
	units := make([]uint16, len(data)/2)
	for i := range units {
		units[i] = order.Uint16(data[2*i:])
	}
	s := string(utf16.Decode(units))
	if !mostlyText(s) {
		return "", false
	}
	return s, true
}

// mostlyText reports whether s reads as text: valid UTF-8 with few control
// characters besides white space.
func mostlyText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	bad, n := 0, 0
	for _, r := range s {
		n++
		if r == utf8.RuneError || (unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' && r != '\f' && r != '\v') {
			bad++
		}
	}
	return n > 0 && bad*20 <= n
}

// encodedToken finds base64 (standard or URL-safe, padded or not) and hex
// runs long enough to hide a password or a connection string.
var encodedToken = regexp.MustCompile(`[A-Za-z0-9+/_-]{12,}={0,2}`)

// decodeToken decodes a base64 or hex token; ok is false when it is
// neither.
func decodeToken(tok string) ([]byte, string, bool) {
	// PostgreSQL's bytea output (\x...) and 0x... literals carry a prefix.
	h := strings.TrimPrefix(strings.TrimPrefix(tok, "0"), "x")
	if len(h)%2 == 0 && len(h) >= 16 && isAllHex(h) {
		if b, err := hex.DecodeString(h); err == nil {
			return b, "hex", true
		}
	}
	t := strings.TrimRight(tok, "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(t); err == nil {
			return b, "base64", true
		}
		// A token cut at a length that is not a whole number of groups.
		if len(t)%4 == 1 {
			if b, err := enc.DecodeString(t[:len(t)-1]); err == nil {
				return b, "base64", true
			}
		}
	}
	return nil, "", false
}

func isAllHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// pngText returns the text chunks (tEXt, zTXt, iTXt) of a PNG image, with
// the offset of each chunk, inflating compressed ones.
func pngText(data []byte) (texts []string, offsets []int) {
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		return nil, nil
	}
	for i := 8; i+12 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		if n < 0 || i+12+n > len(data) {
			break
		}
		body := data[i+8 : i+8+n]
		var text []byte
		switch typ {
		case "tEXt":
			text = bytes.ReplaceAll(body, []byte{0}, []byte{'\n'})
		case "zTXt":
			if k := bytes.IndexByte(body, 0); k >= 0 && k+2 <= len(body) {
				text = append(append(body[:k:k], '\n'), inflate(body[k+2:])...)
			}
		case "iTXt":
			// keyword NUL flag method lang NUL translated NUL text
			if k := bytes.IndexByte(body, 0); k >= 0 && k+3 <= len(body) {
				compressed := body[k+1] == 1
				rest := body[k+3:]
				if l := bytes.IndexByte(rest, 0); l >= 0 {
					rest = rest[l+1:]
					if m := bytes.IndexByte(rest, 0); m >= 0 {
						hdr := rest[:m]
						rest = rest[m+1:]
						if compressed {
							rest = inflate(rest)
						}
						text = append(append(append(body[:k:k], '\n'), hdr...), append([]byte{'\n'}, rest...)...)
					}
				}
			}
		}
		if text != nil {
			texts, offsets = append(texts, string(text)), append(offsets, i)
		}
		i += 12 + n
	}
	return texts, offsets
}

func inflate(b []byte) []byte {
	r, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	out, _ := io.ReadAll(io.LimitReader(r, 1<<22))
	return out
}

// printableRuns joins the runs of printable ASCII of at least min bytes in
// binary data (as strings(1) does), one per line, and says where each run
// starts.
func printableRuns(data []byte, minLen int) (string, []int, []int) {
	var b strings.Builder
	var at, starts []int
	for i := 0; i < len(data); {
		j := i
		for j < len(data) && data[j] >= 0x20 && data[j] < 0x7f {
			j++
		}
		if j-i >= minLen {
			at = append(at, b.Len())
			starts = append(starts, i)
			b.Write(data[i:j])
			b.WriteByte('\n')
		}
		if j == i {
			j++
		}
		i = j
	}
	return b.String(), at, starts
}

// utf16Forms are a value as UTF-16 little- and big-endian bytes.
func utf16Forms(v string) []string {
	units := utf16.Encode([]rune(v))
	le := make([]byte, 2*len(units))
	be := make([]byte, 2*len(units))
	for i, u := range units {
		binary.LittleEndian.PutUint16(le[2*i:], u)
		binary.BigEndian.PutUint16(be[2*i:], u)
	}
	return []string{string(le), string(be)}
}

// minBlob is the length from which a run of base64 characters is an
// encoded file (an image, a document), not a token: a key, a password or a
// JWT segment is far shorter.
const minBlob = 4096

// blankBlobs returns text with every base64 run of minBlob characters or
// more replaced by spaces of the same length, so that offsets still match.
func blankBlobs(text string) string {
	var b []byte
	run := 0
	for i := 0; i <= len(text); i++ {
		if i < len(text) && isBase64Char(text[i]) {
			run++
			continue
		}
		if run >= minBlob {
			if b == nil {
				b = []byte(text)
			}
			for j := i - run; j < i; j++ {
				b[j] = ' '
			}
		}
		run = 0
	}
	if b == nil {
		return text
	}
	return string(b)
}

func isBase64Char(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=' || c == '-' || c == '_'
}
