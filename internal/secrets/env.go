package secrets

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/joho/godotenv"

	"github.com/replicalab/replicalab/internal/pgdsn"
)

// envValue is one literal to look for: a value from a .env file (or a part
// of one, like the password inside a DATABASE_URL), with the forms it can
// take in code.
type envValue struct {
	name     string   // variable, e.g. PGPASSWORD or DATABASE_URL (password)
	forms    []string // literal, URL-encoded, quoted-escaped...
	foldCase bool     // host names are case-insensitive
}

var (
	// Keys whose values are secrets: matched from 4 characters on.
	secretKey = regexp.MustCompile(`(?i)PASS|PWD|SECRET|TOKEN|KEY|CRED|AUTH|PRIVATE|SIGNATURE|SALT`)
	// Keys whose values identify where and who: hosts, users, connection strings.
	identityKey = regexp.MustCompile(`(?i)HOST|ADDR|SERVER|ENDPOINT|USER|LOGIN|ACCOUNT|ROLE|DSN|URL|URI|CONN`)
	hostKey     = regexp.MustCompile(`(?i)HOST|ADDR|SERVER|ENDPOINT`)
	allDigits   = regexp.MustCompile(`^[0-9][0-9._:-]*[smhd]?$`)
)

// trivialValues are defaults that appear in code and docs for reasons other
// than a leak: matching them would refuse every commit.
var trivialValues = map[string]bool{
	"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true, "null": true, "none": true,
	"localhost": true, "127.0.0.1": true, "::1": true, "0.0.0.0": true, "[::1]": true, "host.docker.internal": true,
	"postgres": true, "postgresql": true, "public": true, "template0": true, "template1": true, "root": true,
	"admin": true, "default": true, "changeme": true, "password": true, "secret": true, "example": true,
	"disable": true, "allow": true, "prefer": true, "require": true, "verify-ca": true, "verify-full": true,
	"any": true, "read-write": true, "read-only": true, "primary": true, "standby": true, "prefer-standby": true,
	"debug": true, "info": true, "warning": true, "error": true, "utf8": true, "utf-8": true,
}

const (
	minSecretLen = 4 // shorter secrets would match everywhere
	minOtherLen  = 6
)

// trivial reports whether a value is too common to be worth matching: see
// the package documentation for the rule.
func trivial(key, v string) bool {
	n := len([]rune(v))
	if n < minSecretLen || (n < minOtherLen && !secretKey.MatchString(key)) {
		return true
	}
	if allDigits.MatchString(v) || trivialValues[strings.ToLower(v)] {
		return true
	}
	return isPlaceholder(v)
}

// readEnvFile returns the values worth looking for in one .env file, keyed
// by a name that says where each came from. Only keys that look like
// secrets, hosts, users or connection strings are taken (see doc.go).
func readEnvFile(path string) ([]envValue, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := godotenv.Parse(f)
	if err != nil {
		// godotenv's messages quote the offending line, which may hold a
		// secret: say only which file.
		return nil, fmt.Errorf("cannot parse %q as a .env file (expected KEY=value lines)", path)
	}
	demo := m["REPLICALAB_DEMO"] == "1"
	var out []envValue
	for k, v := range m {
		if demo && !secretKey.MatchString(k) {
			// The demo's host, user and database names are public defaults written in this project's own
			// code and docs; only its generated password is a secret.
			continue
		}
		out = append(out, valuesOf(k, v)...)
	}
	return out, nil
}

// valuesOf expands one variable into the literals to look for: the value
// itself and, for a URL or libpq connection string, its password, user and
// host.
func valuesOf(key, v string) []envValue {
	v = strings.TrimSpace(v)
	var out []envValue
	add := func(name, val string, fold bool) {
		if trivial(name, val) {
			return
		}
		out = append(out, envValue{name: name, forms: forms(val), foldCase: fold})
	}
	isSecret, isIdentity := secretKey.MatchString(key), identityKey.MatchString(key)
	if isSecret || isIdentity {
		add(key, v, hostKey.MatchString(key) && !isSecret)
	}
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" {
		if p, ok := u.User.Password(); ok {
			add(key+" (password)", p, false)
		}
		if u.User != nil {
			add(key+" (user)", u.User.Username(), false)
		}
		add(key+" (host)", u.Hostname(), true)
	} else if strings.Contains(v, "=") {
		for _, kv := range pgdsn.Pairs(v) {
			switch kv[0] {
			case "password":
				add(key+" (password)", kv[1], false)
			case "user":
				add(key+" (user)", kv[1], false)
			case "host", "hostaddr":
				add(key+" (host)", kv[1], true)
			}
		}
	}
	return out
}

// forms lists how a value can be written: literally, URL-encoded (query,
// path or userinfo style), and escaped inside double- or single-quoted
// string literals.
func forms(v string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	add(v)
	add(url.QueryEscape(v))
	add(url.PathEscape(v))
	add(strings.TrimPrefix(url.UserPassword("u", v).String(), "u:"))
	add(strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
	bs := strings.ReplaceAll(v, `\`, `\\`)
	add(strings.ReplaceAll(bs, `"`, `\"`))
	add(strings.ReplaceAll(bs, `'`, `\'`))
	add(strings.ReplaceAll(v, `'`, `''`)) // SQL and libpq quoting
	return out
}
