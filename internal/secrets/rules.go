package secrets

import (
	"regexp"
	"strings"

	"github.com/replicalab/replicalab/helpers/config"
)

// rule is one of the checks gitleaks lacks. The secret is the named group
// "secret"; ok, when set, can veto a match by looking at the whole line.
type rule struct {
	id, description string
	variable        string // the variable every match sets, if fixed
	re              *regexp.Regexp
	ok              func(line string, secretEnd int) bool
	// keywords: the rule can match only where one of them is in the text, in lower case (a cheap
	// test that spares the regular expression most texts).
	keywords []string
}

// Rule identifiers of the built-in rules (gitleaks rules are reported as
// "gitleaks:<id>", .env values as "env:<VARIABLE>").
const (
	RulePostgresURL   = "postgres-url-password"
	RuleURLPassword   = "url-password"       // user:password@ in a URL of another scheme
	RuleURLQuery      = "url-query-password" // ?password= or &password= in a URL (JDBC, libpq URLs)
	RuleLibpqPassword = "libpq-password"
	RuleEnvMagic      = "notebook-env-secret"
	RulePGPASSWORD    = "pgpassword-assignment"
)

// libpqOtherKey finds another key=value pair of a keyword string: a value
// that is single-quoted or bare and followed by a space, a quote or the end
// (in code, host=h, and host="db" are arguments, not a connection string).
var libpqOtherKey = regexp.MustCompile(`(?i)(?:^|[\s'"])(?:host|hostaddr|port|dbname|user|sslmode|application_name|connect_timeout|target_session_attrs|service)\s*=\s*(?:'[^']*'|[^\s,;)('"\[]+)(?:[\s'"` + "`" + `]|$)`)

var rules = []rule{
	{
		id:          RuleLibpqPassword,
		description: "password= in a libpq keyword/value connection string",
		keywords:    []string{"password"},
		re:          regexp.MustCompile(`(?i)(?:^|[\s'"` + "`" + `])password\s*=\s*(?P<secret>'(?:[^'\\"` + "`" + `]|\\.)+'|[^\s'"` + "`" + `,;)(\[]+)`),
		ok: func(line string, end int) bool {
			if defaultCredentials(libpqValue(line, "user"), libpqValue(line, "password"), libpqValue(line, "host")) {
				return false
			}
			// A keyword string has other key=value pairs separated by
			// spaces; password=pw) or password=pw, is a function call.
			if end < len(line) && strings.ContainsRune(",;)([", rune(line[end])) {
				return false
			}
			return libpqOtherKey.MatchString(line)
		},
	},
	{
		id:          RuleURLQuery,
		description: "password in a URL's query string",
		keywords:    []string{"passw", "pwd"},
		re:          regexp.MustCompile(`(?i)[?&;](?:password|passwd|pwd|sslpassword)=(?P<secret>[^&\s'"` + "`" + `#;<>]+)`),
	},
	{
		id:          RuleEnvMagic,
		description: "%env line setting a password, secret, token or key",
		keywords:    []string{"%env", "%set_env"},
		re:          regexp.MustCompile(`(?im)^[ \t]*%(?:set_)?env[ \t]+(?P<name>[A-Za-z0-9_]*(?:PASS|PWD|SECRET|TOKEN|KEY)[A-Za-z0-9_]*)(?:[ \t]*=[ \t]*|[ \t]+)(?P<secret>[^\s].*?)[ \t\r]*$`),
	},
	{
		id:          RulePGPASSWORD,
		description: "PGPASSWORD set to a literal in a shell line, os.environ or os.Setenv",
		variable:    "PGPASSWORD",
		keywords:    []string{"pgpassword"},
		// Shell assignments (export, a ! line, a Makefile recipe), Python's
		// os.environ[...] = and putenv, Go's os.Setenv.
		re: regexp.MustCompile(`\bPGPASSWORD=(?:'(?P<secret>[^'\s$]+)'|"(?P<secret>[^"\s$+` + "`" + `][^"\s$` + "`" + `]*)"|(?P<secret>[^\s'"$` + "`" + `;|&()\[\]{},\\]+)(?:[\s;|&]|$))` +
			`|(?:environ\[|[Ss]etenv\(|putenv\()\s*['"]PGPASSWORD['"]\s*(?:\]\s*=|,)\s*['"](?P<secret>[^'"\s]+)['"]`),
	},
}

// libpqValue returns the value of key in a keyword/value string on line.
func libpqValue(line, key string) string {
	m := regexp.MustCompile(`(?i)(?:^|[\s'"])` + key + `\s*=\s*('[^']*'|[^\s'"]+)`).FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	return strings.Trim(m[1], "'")
}

var placeholderRE = regexp.MustCompile(`^(?:` +
	`\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$\(.*|` + // $VAR, ${VAR}, $(command)
	`\{\{.*\}\}|\{[A-Za-z0-9_.]*\}|` + // {{ var }}, {name}, {}
	`<.*|\[[^\]]*\]|` + // <password>, <the replica password>, <secret:PGPASSWORD>, [password]
	`%[a-z]|%\([A-Za-z_]+\)[a-z]|` + // %s, %(password)s
	`\.\.\.|…|` +
	`[^*\s]{0,2}\*{3,}…?` + // Tr***** (our own redacted excerpts)
	`)$`)

// placeholderWords are what documentation writes where a password goes,
// compared with case, digits and punctuation ignored.
var placeholderWords = map[string]bool{
	"password": true, "passwd": true, "pass": true, "pw": true, "pwd": true, "secret": true, "changeme": true,
	"mypassword": true, "mypass": true, "mysecret": true, "yourpassword": true, "yoursecret": true, "thepassword": true,
	"redacted": true, "placeholder": true, "dummy": true, "token": true, "yourtoken": true, "apikey": true,
	"yourapikey": true, "secretpassword": true, "supersecret": true, "passwordhere": true, "hidden": true, "masked": true,
	"notset": true, "none": true, "null": true, "empty": true, "todo": true, "fixme": true, "tbd": true,
	"dbpassword": true, "pgpassword": true, "rdspassword": true, "replicapassword": true, "userpassword": true,
}

// placeholderPart marks a value as an example whatever surrounds it.
var placeholderPart = regexp.MustCompile(`(?i)your|example|placeholder|changeme|change_me|redacted|replace|dummy|fake|sample|xxxx|\*\*\*`)

// capsName is a constant or variable name written where the value goes (DB_PASSWORD, API_KEY).
var capsName = regexp.MustCompile(`^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$`)

// isPlaceholder reports values that stand for a secret without being one:
// variables, templates, <...>, masks, "password", "YOUR_API_KEY"...
func isPlaceholder(v string) bool {
	return placeholderPart.MatchString(v) || isTemplate(v)
}

// isTemplate is isPlaceholder without the words that only suggest an
// example ("your...", "...example..."): it decides which .env values are
// too generic to look for, and a real password may contain such a word.
func isTemplate(v string) bool {
	v = strings.Trim(v, `'"`+"`")
	if v == "" || placeholderRE.MatchString(v) {
		return true
	}
	if strings.Count(v, v[:1]) == len(v) && len(v) >= 3 { // ****, xxxxx, ....
		return true
	}
	if capsName.MatchString(v) && config.NamesCredential(v) {
		return true
	}
	var letters strings.Builder
	for _, r := range strings.ToLower(v) {
		switch {
		case r >= 'a' && r <= 'z':
			letters.WriteRune(r)
		case r == '_' || r == '-' || r == ' ' || r == '.':
		default:
			return false
		}
	}
	return placeholderWords[letters.String()]
}

// weakPasswords are the passwords of local development databases (Docker
// images, tutorials, CI services): with a local or example host they are
// not a leak.
var weakPasswords = map[string]bool{
	"postgres": true, "postgresql": true, "password": true, "passw0rd": true, "secret": true, "admin": true,
	"root": true, "test": true, "testing": true, "example": true, "pass": true, "changeme": true, "docker": true,
	"mysecretpassword": true, "postgrespw": true, "pgpass": true, "dev": true, "local": true, "demo": true,
	"guest": true, "user": true, "pg": true, "tiger": true, "1234": true, "12345": true, "123456": true,
}

// localHosts are hosts a connection string names in development, tests and
// documentation.
var localHost = regexp.MustCompile(`(?i)^(?:localhost|127\.0\.0\.1|\[?::1\]?|0\.0\.0\.0|db|database|postgres|postgresql|pg|host|hostname|server|host\.docker\.internal|.*\.local|.*\.localhost|.*\.test|.*\.invalid|(?:.*\.)?example\.(?:com|org|net))$`)

// defaultCredentials reports a well-known local default such as
// postgres:postgres@localhost.
func defaultCredentials(user, password, host string) bool {
	p := strings.ToLower(password)
	return localHost.MatchString(host) && (weakPasswords[p] || p == strings.ToLower(user))
}
