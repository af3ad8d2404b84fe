package secrets

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/joho/godotenv"

	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/internal/pgdsn"
)

// envValue is one literal to look for: a value from a .env file (or a part
// of one, like the password inside a DATABASE_URL), with the forms it can
// take in code.
type envValue struct {
	name     string   // variable, e.g. PGPASSWORD or DATABASE_URL (password)
	origin   string   // where it was read: a .env file, the environment, a .pgpass file
	forms    []string // literal, URL-encoded, quoted-escaped...
	foldCase bool     // host names are case-insensitive
	// contextual: a user or host name that is an ordinary word ("analyst",
	// "replica") counts only where it is used as a user or host name.
	contextual bool
}

var (
	// Keys whose values identify where and who: hosts, users, connection strings.
	identityKey = regexp.MustCompile(`(?i)HOST|ADDR|SERVER|ENDPOINT|USER|LOGIN|ACCOUNT|ROLE|DSN|URL|URI|CONN`)
	hostKey     = regexp.MustCompile(`(?i)HOST|ADDR|SERVER|ENDPOINT`)
	userKey     = regexp.MustCompile(`(?i)USER|LOGIN|ACCOUNT|ROLE`)
	// ordinaryUser and ordinaryHost are names made of plain words.
	ordinaryUser = regexp.MustCompile(`^[A-Za-z]+(?:[_.-][A-Za-z]+)*$`)
	ordinaryHost = regexp.MustCompile(`^[A-Za-z]+(?:[_-][A-Za-z]+)*$`)
	allDigits    = regexp.MustCompile(`^[0-9][0-9._:-]*[smhd]?$`)
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
	if n < minSecretLen || (n < minOtherLen && !config.NamesCredential(key)) {
		return true
	}
	if allDigits.MatchString(v) || trivialValues[strings.ToLower(v)] {
		return true
	}
	return isTemplate(v)
}

// readEnvFile returns the variables of one .env-style file. The demo
// database's .env (REPLICALAB_DEMO=1) gives only its secret values.
func readEnvFile(path string) ([]Value, error) {
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
	var out []Value
	for k, v := range m {
		if demo && !config.NamesCredential(k) {
			// The demo's host, user and database names are public defaults written in this project's own
			// code and docs; only its generated password is a secret.
			continue
		}
		out = append(out, Value{Name: k, Value: v, Origin: path})
	}
	return out, nil
}

// unescape percent-decodes s, or returns it as it is when it is not valid
// percent-encoding.
func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// valuesOf expands one variable into the literals to look for: the value
// itself and, for a URL or libpq connection string, its password, user and
// host.
func valuesOf(key, v, origin string) []envValue {
	v = strings.TrimSpace(v)
	var out []envValue
	add := func(name, val string, fold bool) {
		if trivial(name, val) {
			return
		}
		ev := envValue{name: name, origin: origin, forms: forms(val), foldCase: fold}
		if !config.NamesCredential(name) || strings.HasSuffix(name, "(user)") || strings.HasSuffix(name, "(host)") {
			user := userKey.MatchString(name) && !hostKey.MatchString(name) || strings.HasSuffix(name, "(user)")
			ev.contextual = user && ordinaryUser.MatchString(val) || !user && ordinaryHost.MatchString(val)
		}
		out = append(out, ev)
	}
	// An address that can carry a credential (config.IsSecret: a URL, a DSN, SPARK_REMOTE) counts whole.
	isSecret, isIdentity := config.NamesCredential(key), identityKey.MatchString(key) || config.IsSecret(key)
	if isSecret || isIdentity {
		add(key, v, hostKey.MatchString(key) && !isSecret)
	}
	if user, password, host, ok := splitURL(v); ok {
		for _, p := range []string{password, unescape(password)} {
			add(key+" (password)", p, false)
		}
		for _, u := range []string{user, unescape(user)} {
			add(key+" (user)", u, false)
		}
		for _, h := range strings.Split(host, ",") {
			if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
				h = h[:i]
			}
			add(key+" (host)", strings.Trim(h, "[]"), true)
		}
		// Credentials passed as parameters: ?token=…&sslpassword=… or, in a Spark Connect address,
		// sc://host:port/;token=…
		for _, kv := range urlParams(v) {
			if config.NamesCredential(kv[0]) {
				for _, p := range []string{kv[1], unescape(kv[1])} {
					add(key+" ("+kv[0]+")", p, false)
				}
			}
		}
	} else if strings.Contains(v, "=") {
		for _, kv := range pgdsn.Pairs(v) {
			switch kv[0] {
			case "password":
				add(key+" (password)", kv[1], false)
			case "user":
				add(key+" (user)", kv[1], false)
			case "host", "hostaddr":
				add(key+" (host)", kv[1], true)
			default:
				if config.NamesCredential(kv[0]) { // sslpassword and the like
					add(key+" ("+kv[0]+")", kv[1], false)
				}
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

// urlParams returns the name=value parameters of a URL: its query (?a=1&b=2)
// and the ;a=1;b=2 segments Spark Connect addresses use.
func urlParams(v string) [][2]string {
	i := strings.IndexAny(v, "?;")
	if i < 0 {
		return nil
	}
	var out [][2]string
	for _, p := range strings.FieldsFunc(v[i+1:], func(r rune) bool { return r == '&' || r == ';' || r == '?' }) {
		if name, val, ok := strings.Cut(p, "="); ok && name != "" && val != "" {
			out = append(out, [2]string{name, val})
		}
	}
	return out
}
