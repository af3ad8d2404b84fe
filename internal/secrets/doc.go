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
//   - Known values: those of the .env files given, and of Options.Known —
//     for a repository, KnownValues collects what the helpers themselves
//     would read (every .env in the tree and above it, with helpers/config;
//     DATABASE_URL, RDS_* and PG* from the environment and the .pgpass
//     entries, with replica.Credentials). A URL or libpq keyword string
//     also adds its password, user and host on their own; a URL is split at
//     its last '@', so a password with a raw '@', '/' or '#' is whole.
//   - gitleaks' default rule set (gitleaks v8.30.1 as a library: cloud keys,
//     tokens, private keys, generic API keys...).
//   - Built-in rules gitleaks lacks: passwords in URLs of any scheme
//     (RulePostgresURL for postgres://, postgresql+driver://, jdbc:postgresql://;
//     RuleURLPassword for the others; RuleURLQuery for ?password=);
//     password= in a libpq keyword/value string, i.e. next to another
//     key=value pair such as host= or user= (RuleLibpqPassword); %env lines
//     of notebooks setting a *PASS*, *SECRET*, *TOKEN* or *KEY* variable
//     (RuleEnvMagic); PGPASSWORD set to a literal in a shell line,
//     os.environ or os.Setenv (RulePGPASSWORD).
//
// # Every encoding a tool writes
//
// Text is searched as written and in decoded views, each mapped back to
// where the secret is written (so that it is masked and replaced there):
// backslash escapes (JSON \uXXXX with surrogate pairs, \xXX, \n, \"...),
// percent-encoding however partial (SQLAlchemy 1.4 escapes only ':', '@'
// and '/'), HTML character references, markup removed (text split by tags,
// an SVG's tspans, joined), and the same decoded twice. Base64 (standard
// and URL-safe) and hex tokens are decoded and searched like text, or, when
// they decode to bytes, for the known values. UTF-16 text (a byte order
// mark, or NULs on one side of most character pairs) is decoded first.
// Binary data (a NUL byte in its first 8000 bytes, as git decides) is
// searched for the known values as UTF-8 and UTF-16, its PNG text chunks
// (tEXt, zTXt, iTXt, inflated) are scanned as text, and its printable
// strings with the built-in rules.
//
// A secret split across string literals ("Tr0ub" + "4dor", Python's
// adjacent literals, SQL's ||) is found when it is a known value: the
// joined view is searched for the known values only. Pattern rules do not
// run on text pieced together, where they would guess; a password
// assembled from variables is not followed.
//
// # What is not a secret
//
// Placeholders (<the replica password>, ${PGPASSWORD}, %(pw)s, ****,
// "password", YOUR_API_KEY, ...example...), well-known local defaults
// (postgres:postgres@localhost, a weak password on a local or example
// host), user and host names that are ordinary words outside a place that
// uses them as such (the user "analyst" counts in user=analyst, -U analyst,
// postgres://analyst@, RDS_USERNAME=analyst; not in "the analyst
// looks"), and names a generic rule mistakes for keys
// (cacheKey := "monthly_revenue_by_region_2025_v3": words and small
// numbers; a value named *password* or *secret* is never dismissed this
// way). Such a finding of a generic rule is marked Generic: the hook
// refuses it rather than rewriting code. A "gitleaks:allow" (or
// "replicalab:allow") comment on a line allows what the rules find there,
// never a known value.
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
// leading characters ("Tr*****"), whatever encoding it was found in; an
// excerpt that would still show a known value in another form is withheld.
// Findings in binary data give a byte offset, no excerpt. Errors name the
// .env file but never quote it. Scanner's String and GoString show counts
// only. gitleaks' logger, which logs secrets at trace level, is silenced.
package secrets
