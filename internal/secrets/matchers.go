package secrets

import (
	"regexp"
	"slices"
	"strings"

	"github.com/zricethezav/gitleaks/v8/detect"
)

// scanRules runs the built-in rules and the URL scan on text.
func scanRules(text string) []Finding {
	var out []Finding
	if strings.Contains(text, "://") {
		out = scanURLs(text)
	}
	lower := strings.ToLower(text)
	for _, r := range rules {
		if !slices.ContainsFunc(r.keywords, func(k string) bool { return strings.Contains(lower, k) }) {
			continue
		}
		names := r.re.SubexpNames()
		for _, m := range r.re.FindAllStringSubmatchIndex(text, -1) {
			start, end, variable := -1, -1, r.variable
			for g, n := range names {
				if n == "secret" && start < 0 && m[2*g] >= 0 && m[2*g+1] > m[2*g] {
					start, end = m[2*g], m[2*g+1]
				}
				if n == "name" && m[2*g] >= 0 {
					variable = strings.ToUpper(text[m[2*g]:m[2*g+1]])
				}
			}
			if start < 0 {
				continue
			}
			if q := text[start]; end-start >= 2 && (q == '\'' || q == '"') && text[end-1] == q {
				start, end = start+1, end-1 // the quotes are not the secret
			}
			secret := text[start:end]
			if len(secret) < minSecretLen || isPlaceholder(secret) || strings.Contains(secret, "<secret:") || nextKey.MatchString(secret) {
				continue
			}
			if r.ok != nil {
				ls, le := lineBounds(text, start)
				if !r.ok(text[ls:le], end-ls) {
					continue
				}
			}
			out = append(out, Finding{Rule: r.id, Description: r.description, Variable: variable, Start: start, End: end})
		}
	}
	var kept []Finding
	for _, f := range out {
		if !allowed(text, f.Start) {
			kept = append(kept, f)
		}
	}
	return kept
}

// nextKey is a key=value pair taken for a value after an empty one ("password= dbname=x").
var nextKey = regexp.MustCompile(`^[A-Za-z_]+=`)

// allowMarker on a line allows what the rules (not the known values) find
// on it: gitleaks' own marker, or ours.
var allowMarker = regexp.MustCompile(`gitleaks:allow|replicalab:allow`)

func allowed(text string, at int) bool {
	ls, le := lineBounds(text, at)
	return allowMarker.MatchString(text[ls:le])
}

func (s *Scanner) scanGitleaks(name, text string) []Finding {
	s.mu.Lock()
	found := s.gitleaks.Detect(detect.Fragment{Raw: text, FilePath: name})
	s.mu.Unlock()
	li := newLineIndex(text)
	var out []Finding
	for _, g := range found {
		f := Finding{Rule: "gitleaks:" + g.RuleID, Description: g.Description, Generic: strings.Contains(g.RuleID, "generic")}
		if g.Secret == "" || g.StartLine < 0 {
			out = append(out, f) // a rule about the file itself (e.g. a .p12 path)
			continue
		}
		// gitleaks reports the match's 0-based line; find the secret from
		// the start of that line.
		from := li.lineStart(g.StartLine)
		m := strings.Index(text[from:], g.Match)
		if m < 0 {
			m = 0
		}
		k := strings.Index(text[from+m:], g.Secret)
		if k < 0 {
			continue
		}
		f.Start = from + m + k
		f.End = f.Start + len(g.Secret)
		secret := text[f.Start:f.End]
		if placeholderLike(secret) || f.Generic && (identifierLike(secret, g.Match) || isPlaceholder(secret)) {
			continue
		}
		out = append(out, f)
	}
	return out
}

var (
	camelSplit    = regexp.MustCompile(`[A-Z]?[a-z]+|[A-Z]+|[0-9]+`)
	passwordWords = regexp.MustCompile(`(?i)pass|pwd|secret|credential`)
)

// identifierLike reports what a generic "API key" rule mistakes for a key:
// a name made of words and small numbers (monthly_revenue_by_region_2025_v3,
// ordersByCountryV2). Random keys mix letters and digits without such
// structure: their letter runs lack vowels or are one or two letters long.
// A value assigned to something called a password or secret is never
// dismissed this way: a passphrase is made of words too.
func identifierLike(secret, match string) bool {
	if passwordWords.MatchString(match) {
		return false
	}
	var words []string
	for _, p := range strings.FieldsFunc(secret, func(r rune) bool { return r == '_' || r == '-' || r == '.' || r == '/' || r == ':' }) {
		ws := camelSplit.FindAllString(p, -1)
		if strings.Join(ws, "") != p {
			return false // other characters than letters and digits
		}
		words = append(words, ws...)
	}
	letters, long, singles := 0, 0, 0
	for _, w := range words {
		if w[0] >= '0' && w[0] <= '9' {
			if len(w) > 4 {
				return false
			}
			continue
		}
		letters += len(w)
		switch {
		case len(w) == 1:
			singles++
		case !strings.ContainsAny(strings.ToLower(w), "aeiouy"):
			return false
		case len(w) >= 3:
			long++
		}
	}
	return long >= 2 && singles*3 <= len(words)+2 && letters*10 >= len(secret)*6
}

// identityBefore is how text introduces a user or host name: a key such as
// user=, "username":, RDS_USERNAME=, host=, -U or -h, a URL's "//" or "@".
var identityBefore = regexp.MustCompile(`(?i)(?:(?:user|usename|rolname|role|login|uid|owner|host|hostaddr|server|addr|endpoint)[\w.-]*["'\]]?\s*(?:[:=]|==|=>|,|\s+to\s+|\s)\s*\(?["'\x60]?|://|@|\s-[Uh]\s*|--(?:user(?:name)?|host)[= ]["']?|\b(?:USER|ROLE)\s+["']?)$`)

// identityContext reports whether the name at text[start:end] is used as a
// user or host name there.
func identityContext(text string, start, end int) bool {
	if start > 0 && isWordByte(text[start-1]) || end < len(text) && isWordByte(text[end]) {
		return false
	}
	ls, _ := lineBounds(text, start)
	before := text[max(ls, start-64):start]
	if identityBefore.MatchString(before) {
		return true
	}
	// user@host, user:password@host
	return end < len(text) && (text[end] == '@' || text[end] == ':' && strings.Contains(text[end:min(len(text), end+200)], "@") && strings.HasSuffix(before, "//"))
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
