package secrets

import (
	"regexp"
	"strings"
)

// rule is one of the checks gitleaks lacks. The secret is the named group
// "secret"; ok, when set, can veto a match by looking at the whole line.
type rule struct {
	id, description string
	variable        string // the variable every match sets, if fixed
	re              *regexp.Regexp
	ok              func(line string, secretEnd int) bool
}

// Rule identifiers of the built-in rules (gitleaks rules are reported as
// "gitleaks:<id>", .env values as "env:<VARIABLE>").
const (
	RulePostgresURL   = "postgres-url-password"
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
		id:          RulePostgresURL,
		description: "postgres:// or postgresql:// URL with a password",
		re:          regexp.MustCompile(`(?i)\bpostgres(?:ql)?://[^\s:/?#@'"` + "`" + `]*:(?P<secret>[^\s@/?#'"` + "`" + `]+)@`),
	},
	{
		id:          RuleLibpqPassword,
		description: "password= in a libpq keyword/value connection string",
		re:          regexp.MustCompile(`(?i)(?:^|[\s'"` + "`" + `])password\s*=\s*(?P<secret>'(?:[^'\\"` + "`" + `]|\\.)+'|[^\s'"` + "`" + `,;)(\[]+)`),
		ok: func(line string, end int) bool {
			// A keyword string has other key=value pairs separated by
			// spaces; password=pw) or password=pw, is a function call.
			if end < len(line) && strings.ContainsRune(",;)([", rune(line[end])) {
				return false
			}
			return libpqOtherKey.MatchString(line)
		},
	},
	{
		id:          RuleEnvMagic,
		description: "%env line setting a password, secret, token or key",
		re:          regexp.MustCompile(`(?im)^[ \t]*%(?:set_)?env[ \t]+(?P<name>[A-Za-z0-9_]*(?:PASS|PWD|SECRET|TOKEN|KEY)[A-Za-z0-9_]*)(?:[ \t]*=[ \t]*|[ \t]+)(?P<secret>[^\s].*?)[ \t\r]*$`),
	},
	{
		id:          RulePGPASSWORD,
		description: "PGPASSWORD set to a literal in a shell line, os.environ or os.Setenv",
		variable:    "PGPASSWORD",
		// Shell assignments (export, a ! line, a Makefile recipe), Python's
		// os.environ[...] = and putenv, Go's os.Setenv.
		re: regexp.MustCompile(`\bPGPASSWORD=(?:'(?P<secret>[^'\s$]+)'|"(?P<secret>[^"\s$+` + "`" + `][^"\s$` + "`" + `]*)"|(?P<secret>[^\s'"$` + "`" + `;|&()\[\]{},\\]+)(?:[\s;|&]|$))` +
			`|(?:environ\[|[Ss]etenv\(|putenv\()\s*['"]PGPASSWORD['"]\s*(?:\]\s*=|,)\s*['"](?P<secret>[^'"\s]+)['"]`),
	},
}

var placeholderRE = regexp.MustCompile(`^(?:` +
	`\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|` + // $VAR, ${VAR}
	`\{\{.*\}\}|\{[A-Za-z0-9_.]*\}|` + // {{ var }}, {name}, {}
	`<[^<>]*>|` + // <password>, <secret:PGPASSWORD>
	`%[a-z]|%\([A-Za-z_]+\)[a-z]|` + // %s, %(password)s
	`\*+|x{3,}|X{3,}|\.\.\.|…|` + // ****, xxxxx (pgx's redaction)
	`[^*\s]{0,2}\*{3,}…?|` + // Tr***** (our own redacted excerpts)
	`(?i:password|passwd|pass|secret|changeme|your[-_]?password|mypassword|redacted|placeholder)` +
	`)$`)

// isPlaceholder reports values that stand for a secret without being one.
func isPlaceholder(v string) bool {
	v = strings.Trim(v, `'"`)
	return v == "" || placeholderRE.MatchString(v)
}
