// Package secrets finds credentials in text before it leaves the machine:
// the pre-commit hook scans what is committed with it, and the report
// exporter can scan what it writes.
//
//	sc, err := secrets.NewScanner(".env", secrets.Options{})
//	for _, f := range sc.Scan("notebooks/orders.sql", data) {
//		fmt.Println(f) // orders.sql:3:12: env:RDS_PASSWORD: … password=Tr*****
//	}
//	safe := secrets.Redact(data, findings) // each secret replaced by <secret:RDS_PASSWORD>
//
// # What is looked for
//
//   - The values of the local .env (read with godotenv; missing file: none),
//     matched literally, URL-encoded (query, path and userinfo styles),
//     backslash-escaped inside quoted strings and with doubled single quotes
//     (SQL). A value that is a URL or a libpq keyword string also adds its
//     password, user and host on their own. Host names match in any case.
//   - gitleaks' default rule set (gitleaks v8.30.1 as a library: cloud keys,
//     tokens, private keys, generic API keys...). A gitleaks finding can be
//     allowed with a "gitleaks:allow" comment on its line.
//   - Built-in rules gitleaks lacks: postgres:// and postgresql:// URLs with
//     a password (RulePostgresURL); password= in a libpq keyword/value
//     string, i.e. next to another key=value pair such as host= or user=
//     (RuleLibpqPassword); %env lines of notebooks setting a *PASS*,
//     *SECRET*, *TOKEN* or *KEY* variable (RuleEnvMagic); PGPASSWORD set to
//     a literal in a shell line, os.environ or os.Setenv (RulePGPASSWORD).
//
// # Which .env values count
//
// Only keys that name a secret (their name contains PASS, PWD, SECRET,
// TOKEN, KEY, CRED, AUTH, PRIVATE, SIGNATURE or SALT) or an identity (HOST,
// ADDR, SERVER, ENDPOINT, USER, LOGIN, ACCOUNT, ROLE, DSN, URL, URI, CONN):
// RDS_PASSWORD, RDS_HOSTNAME, RDS_USERNAME, DATABASE_URL, PGPASSWORD... Not
// database names, ports, timeouts or paths, which appear in code for good
// reasons. Among those, a value is skipped as trivial when it is shorter
// than 6 characters (4 for secret keys), is made of digits (a port, "30s"),
// is a boolean or a common default (localhost, 127.0.0.1, ::1, postgres,
// public, sslmode values, log levels...) or a placeholder (${VAR}, <...>,
// ****, xxxxx, "password", "changeme"...).
//
// The demo database's .env (it carries REPLICALAB_DEMO=1) contributes only
// its secret values: its host, user and database names are public defaults
// that this project's own code and documentation spell out.
//
// # Nothing secret leaks from here
//
// A Finding holds the location and rule of a secret, never the secret:
// Redacted shows its line with every secret on it masked down to at most two
// leading characters ("Tr*****"). Errors name the .env file but never quote
// it. Scanner's String and GoString show counts only. gitleaks' logger,
// which logs secrets at trace level, is silenced.
//
// Binary data (a NUL byte in the first 8000 bytes, as git decides) is not
// scanned.
package secrets
