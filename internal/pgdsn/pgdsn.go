// Package pgdsn splits libpq keyword/value connection strings ("host=db port=5432 password='a b'") into
// their pairs, without validating them: the replica settings resolver uses it to say which keyword set what,
// and the secret scanner to find passwords, users and hosts inside such strings.
package pgdsn

import "strings"

const space = " \t\n\r\v\f"

// Pairs returns the key=value pairs of s in order. Values may be single-quoted; a backslash escapes the
// next character, quoted or not (libpq's rules). Pairs with an empty key are skipped; parsing stops at
// text without '='.
func Pairs(s string) [][2]string {
	var out [][2]string
	for {
		s = strings.TrimLeft(s, space)
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return out
		}
		key := strings.TrimSpace(s[:eq])
		s = strings.TrimLeft(s[eq+1:], space)
		var val strings.Builder
		i := 0
		if strings.HasPrefix(s, "'") {
			for i = 1; i < len(s) && s[i] != '\''; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val.WriteByte(s[i])
			}
			i = min(i+1, len(s))
		} else {
			for ; i < len(s) && !strings.ContainsRune(space, rune(s[i])); i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val.WriteByte(s[i])
			}
		}
		s = s[i:]
		if key != "" {
			out = append(out, [2]string{key, val.String()})
		}
	}
}
