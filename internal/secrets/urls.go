package secrets

import (
	"regexp"
	"strings"
)

// schemeRE finds where a URL starts.
var schemeRE = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*)://`)

// urlEnd is where a URL written in text ends: white space, a quote, a
// backtick, or markup.
const urlEnd = " \t\r\n\"'`<>"

// scanURLs finds passwords in the user information of URLs of any scheme
// (postgres://, postgresql+psycopg2://, mysql://, https://...). The
// password runs from the first ':' after the user to the LAST '@' before
// the URL ends, so that a password written with a raw '@', '/', '#' or '?'
// (which a URL parser would split elsewhere) is still found whole.
func scanURLs(text string) []Finding {
	var out []Finding
	for _, m := range schemeRE.FindAllStringSubmatchIndex(text, -1) {
		scheme := strings.ToLower(text[m[2]:m[3]])
		start := m[1]
		end := strings.IndexAny(text[start:], urlEnd)
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		tok := text[start:end]
		at := strings.LastIndexByte(tok, '@')
		if at < 0 {
			continue
		}
		userinfo := tok[:at]
		c := strings.IndexByte(userinfo, ':')
		if c < 0 {
			continue
		}
		user, password := userinfo[:c], userinfo[c+1:]
		if strings.ContainsAny(user, "@/?#") || password == "" {
			continue // user@host:port/...@...: the ':' belongs to the host
		}
		host := tok[at+1:]
		if i := strings.IndexAny(host, "/?#,"); i >= 0 {
			host = host[:i]
		}
		if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
			host = host[:i]
		}
		if len(password) < minSecretLen && !strings.HasPrefix(scheme, "postgres") || isPlaceholder(password) ||
			strings.Contains(password, "<secret:") || defaultCredentials(user, password, host) || isPlaceholder(user+":"+password) {
			continue
		}
		if len(password) < 3 {
			continue
		}
		id, desc := RuleURLPassword, "password in a "+scheme+":// URL"
		if strings.HasPrefix(scheme, "postgres") || strings.HasPrefix(scheme, "jdbc:postgres") {
			id, desc = RulePostgresURL, "postgres:// or postgresql:// URL with a password"
		}
		s := start + c + 1
		out = append(out, Finding{Rule: id, Description: desc, Start: s, End: s + len(password)})
	}
	return out
}

// splitURL splits a URL's user information the way scanURLs reads it (up
// to the last '@'), so that a DATABASE_URL whose password has a raw '@',
// '/' or '#' still yields that password whole. ok is false for a string
// that is not scheme://...@host.
func splitURL(v string) (user, password, host string, ok bool) {
	m := schemeRE.FindStringIndex(v)
	if m == nil || m[0] != 0 {
		return "", "", "", false
	}
	tok := v[m[1]:]
	at := strings.LastIndexByte(tok, '@')
	if at < 0 {
		host = tok
		if i := strings.IndexAny(host, "/?#"); i >= 0 {
			host = host[:i]
		}
		return "", "", host, true
	}
	userinfo := tok[:at]
	user, password, _ = strings.Cut(userinfo, ":")
	host = tok[at+1:]
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	return user, password, host, true
}
