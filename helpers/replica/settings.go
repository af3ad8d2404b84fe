package replica

import (
	"fmt"
	"math"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/internal/pgdsn"
)

// Configuration keys read by this package, besides the connection variables
// (DATABASE_URL, RDS_*, PG*) listed in the package documentation.
const (
	KeyAllowPrimary     = "ALLOW_PRIMARY"
	KeyStatementTimeout = "REPLICALAB_STATEMENT_TIMEOUT"
	KeyLockTimeout      = "REPLICALAB_LOCK_TIMEOUT"
	KeyIdleTxTimeout    = "REPLICALAB_IDLE_TX_TIMEOUT"
	KeyConnectTimeout   = "REPLICALAB_CONNECT_TIMEOUT"
	KeyMaxConns         = "REPLICALAB_MAX_CONNS"
	KeyAppName          = "REPLICALAB_APP_NAME"
)

// Defaults for the protective session settings.
const (
	DefaultStatementTimeout = 5 * time.Minute
	DefaultLockTimeout      = 5 * time.Second
	DefaultIdleTxTimeout    = time.Minute
	DefaultConnectTimeout   = 10 * time.Second
	DefaultMaxConns         = 2
	// clientCheckInterval makes the server notice, during a long query, that
	// the client has gone (a killed cell) and stop the query (PostgreSQL 14+).
	clientCheckInterval = time.Second
)

// connection settings in the order they are resolved and reported, with the
// variables that can set each one. DATABASE_URL comes first for all of them.
var connKeys = []struct {
	name    string // libpq keyword (pgx spelling for the database)
	recipe  string // RDS_* or REPLICALAB_* variable, "" if none
	libpq   string // PG* variable
	convert func(string) (string, error)
}{
	{name: "host", recipe: "RDS_HOSTNAME", libpq: "PGHOST"},
	{name: "port", recipe: "RDS_PORT", libpq: "PGPORT"},
	{name: "database", recipe: "RDS_DB_NAME", libpq: "PGDATABASE"},
	{name: "user", recipe: "RDS_USERNAME", libpq: "PGUSER"},
	{name: "password", recipe: "RDS_PASSWORD", libpq: "PGPASSWORD"},
	{name: "passfile", libpq: "PGPASSFILE"},
	{name: "sslmode", recipe: "RDS_SSLMODE", libpq: "PGSSLMODE"},
	{name: "sslrootcert", recipe: "RDS_SSLROOTCERT", libpq: "PGSSLROOTCERT"},
	{name: "sslcert", libpq: "PGSSLCERT"},
	{name: "sslkey", libpq: "PGSSLKEY"},
	{name: "target_session_attrs", libpq: "PGTARGETSESSIONATTRS"},
	{name: "connect_timeout", recipe: KeyConnectTimeout, libpq: "PGCONNECT_TIMEOUT", convert: durationToSeconds},
	{name: "application_name", recipe: KeyAppName, libpq: "PGAPPNAME"},
}

// Setting is one resolved connection setting and where it came from. Value is
// never a secret: the password reads "(set)" or "(none)".
type Setting struct {
	Name  string // libpq keyword, e.g. "host", or a session parameter
	Value string
	From  string // e.g. "RDS_HOSTNAME (/home/me/proj/.env:2)", "default"
}

// Settings is the resolved connection: where to connect, as whom, and the
// session protections. Printing it (any fmt verb) shows no password.
type Settings struct {
	Hosts            []string // "host:port" in the order they are tried
	Database, User   string
	SSLMode          string // "prefer" when not set, as in libpq
	AppName          string
	StatementTimeout time.Duration
	LockTimeout      time.Duration
	IdleTxTimeout    time.Duration
	ConnectTimeout   time.Duration
	MaxConns         int32
	AllowPrimary     bool

	sources []Setting
	vars    map[string]string // setting name -> variable responsible for it
	box     *secretBox        // behind a pointer: fmt never walks into it
}

type secretBox struct {
	password string
	pool     *pgxpool.Config
}

// Target returns "user@host:port/database" (hosts comma-separated).
func (s Settings) Target() string {
	return fmt.Sprintf("%s@%s/%s", s.User, strings.Join(s.Hosts, ","), s.Database)
}

// Login is the user and password another driver needs to log in to the replicas as the helpers do:
// helpers/spark hands it to Spark's JDBC reader, which opens connections of its own. Printing it (any
// fmt verb) shows no password; pass the Password field only to that driver.
type Login struct {
	User     string
	Password string
}

// String shows the user, never the password.
func (l Login) String() string { return fmt.Sprintf("replica.Login(%s, password redacted)", l.User) }

// GoString is String, so %#v is safe too.
func (l Login) GoString() string { return l.String() }

// Login returns the login the settings resolve to (the password from DATABASE_URL, RDS_PASSWORD,
// PGPASSWORD or .pgpass; "" when there is none).
func (s Settings) Login() Login {
	l := Login{User: s.User}
	if s.box != nil {
		l.Password = s.box.password
	}
	return l
}

// Sources lists every setting with its origin (environment, which .env line,
// .pgpass or default), never the password's value.
func (s Settings) Sources() []Setting { return append([]Setting(nil), s.sources...) }

// Var returns the variable a user would change to fix a setting, e.g.
// Var("port") is "RDS_PORT" (or "DATABASE_URL" if that set it).
func (s Settings) Var(name string) string { return s.vars[name] }

// String returns the target and TLS mode, never the password.
func (s Settings) String() string {
	return fmt.Sprintf("replica.Settings(%s sslmode=%s)", s.Target(), s.SSLMode)
}

// GoString is String, so %#v is safe too.
func (s Settings) GoString() string { return s.String() }

// Describe renders Sources as aligned lines, for a notebook or `make lab`.
func (s Settings) Describe() string {
	var b strings.Builder
	for _, st := range s.sources {
		fmt.Fprintf(&b, "%-36s %-28s %s\n", st.Name, st.Value, st.From)
	}
	return b.String()
}

// Resolve works out the connection settings from cfg (nil: [config.Load]).
//
// Each connection setting comes from the first of: DATABASE_URL; the recipe's
// RDS_* variable (or REPLICALAB_* for connect timeout and application name);
// libpq's PG* variable; a default. Each variable is itself looked up in the
// process environment, then .env. A missing password is looked up in .pgpass
// (PGPASSFILE, default ~/.pgpass) by pgx.
func Resolve(cfg *config.Config) (*Settings, error) {
	return resolve(cfg, options{})
}

func resolve(cfg *config.Config, o options) (*Settings, error) {
	if cfg == nil {
		var err error
		if cfg, err = config.Load(); err != nil {
			return nil, &ConnectError{Problem: ProblemConfig, Target: "replica settings", err: err}
		}
	}
	r := &resolver{cfg: cfg, o: o, s: &Settings{vars: map[string]string{}, box: &secretBox{}}, from: map[string]string{}}
	for _, stage := range []func() error{
		r.readURL,            // DATABASE_URL, checked
		r.readVariables,      // each setting from DATABASE_URL, RDS_*, PG*
		r.requireAndDefault,  // host, database, user; connect timeout and application name
		r.parse,              // the connection string, through pgx
		r.readBack,           // what pgx made of it: hosts, TLS mode, where the password came from
		r.sessionProtections, // timeouts and read-only
		r.poolAndPrimary,     // pool size, ALLOW_PRIMARY
	} {
		if err := stage(); err != nil {
			return nil, err
		}
	}
	r.report()
	return r.s, nil
}

// resolver works out Settings in stages (see resolve).
type resolver struct {
	cfg *config.Config
	o   options
	s   *Settings

	dsn            string
	haveURL, isURL bool
	inURL          map[string]string // the settings DATABASE_URL spells out
	extra          []string          // keyword/value pairs to add to the connection string
	from           map[string]string // setting -> where it came from
	maxConns       int
}

func (r *resolver) fail(vars []string, err error) error {
	return &ConnectError{Problem: ProblemConfig, Target: "replica settings", Vars: vars, err: err}
}

func (r *resolver) origin(key string) string { return fmt.Sprintf("%s (%s)", key, r.cfg.Source(key)) }

func (r *resolver) readURL() error {
	dsn, _, have := r.cfg.Lookup("DATABASE_URL")
	r.dsn, r.haveURL = dsn, have && strings.TrimSpace(dsn) != "" // DATABASE_URL= means unset
	r.isURL = strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
	if r.haveURL && r.isURL {
		if err := checkURLUserinfo(dsn); err != nil {
			return r.fail([]string{"DATABASE_URL"}, err)
		}
	}
	if r.haveURL {
		r.inURL = scanDSN(dsn)
	}
	return nil
}

func (r *resolver) readVariables() error {
	s := r.s
	for _, k := range connKeys {
		if _, ok := r.inURL[k.name]; ok {
			r.from[k.name], s.vars[k.name] = r.origin("DATABASE_URL"), "DATABASE_URL"
			continue
		}
		key, v, ok := "", "", false
		for _, cand := range []string{k.recipe, k.libpq} {
			if cand == "" {
				continue
			}
			if v, _, ok = r.cfg.Lookup(cand); ok {
				key = cand
				break
			}
		}
		if !ok {
			switch {
			case r.haveURL:
				s.vars[k.name] = "DATABASE_URL"
			case k.recipe != "":
				s.vars[k.name] = k.recipe
			default:
				s.vars[k.name] = k.libpq
			}
			continue
		}
		if k.convert != nil {
			var err error
			if v, err = k.convert(v); err != nil {
				return r.fail([]string{key}, fmt.Errorf("%s (from %s): %w", key, r.cfg.Source(key), err))
			}
		}
		if k.name == "password" {
			s.box.password = v
		}
		r.from[k.name], s.vars[k.name] = r.origin(key), key
		r.extra = append(r.extra, k.name, v)
	}
	return nil
}

func (r *resolver) requireAndDefault() error {
	for _, req := range []struct{ name, recipe, libpq string }{
		{"host", "RDS_HOSTNAME", "PGHOST"}, {"database", "RDS_DB_NAME", "PGDATABASE"}, {"user", "RDS_USERNAME", "PGUSER"},
	} {
		if _, ok := r.from[req.name]; !ok {
			return r.fail([]string{req.recipe}, r.cfg.Missing(req.recipe, "DATABASE_URL", req.libpq))
		}
	}
	if _, ok := r.from["connect_timeout"]; !ok {
		secs := int(math.Ceil(DefaultConnectTimeout.Seconds()))
		r.extra = append(r.extra, "connect_timeout", strconv.Itoa(secs))
		r.from["connect_timeout"] = "default"
	}
	if r.o.appName != "" {
		r.extra = append(r.extra, "application_name", r.o.appName)
		r.from["application_name"] = "replica.AppName"
	} else if _, ok := r.from["application_name"]; !ok {
		r.extra = append(r.extra, "application_name", defaultAppName(r.cfg))
		r.from["application_name"] = "default (the notebook's name)"
	}
	return nil
}

func (r *resolver) parse() error {
	s := r.s
	connString := r.dsn
	switch {
	case !r.haveURL:
		connString = keywordValues(r.extra)
	case r.isURL:
		connString = appendURLParams(r.dsn, r.extra)
	default:
		if len(r.extra) > 0 {
			connString = r.dsn + " " + keywordValues(r.extra)
		}
	}
	if r.haveURL && r.inURL["password"] != "" {
		s.box.password = r.inURL["password"]
	}
	pc, err := parseWithoutPassword(connString, s.box.password)
	if err != nil {
		return r.fail(blameParse(err, s.vars), scrubErr(err, s.box.password))
	}
	s.box.pool = pc
	return nil
}

func (r *resolver) readBack() error {
	s, cc := r.s, r.s.box.pool.ConnConfig
	s.User, s.Database = cc.User, cc.Database
	s.Hosts = append(s.Hosts, hostPort(cc.Host, cc.Port))
	for _, fb := range cc.Fallbacks {
		if hp := hostPort(fb.Host, fb.Port); hp != s.Hosts[len(s.Hosts)-1] { // sslmode=prefer repeats a host
			s.Hosts = append(s.Hosts, hp)
		}
	}
	s.ConnectTimeout = cc.ConnectTimeout
	s.AppName = cc.RuntimeParams["application_name"]
	s.SSLMode = "prefer"
	if v, ok := r.inURL["sslmode"]; ok {
		s.SSLMode = v
	} else if v := settingValue(r.extra, "sslmode"); v != "" {
		s.SSLMode = v
	} else if v := os.Getenv("PGSSLMODE"); v != "" { // pgx reads it from the process itself
		s.SSLMode, r.from["sslmode"] = v, "PGSSLMODE (environment)"
	}
	if s.box.password == "" && cc.Password != "" && os.Getenv("PGPASSWORD") != "" {
		// cfg did not hold it, but pgx reads the process environment itself.
		s.box.password, r.from["password"] = cc.Password, "PGPASSWORD (process environment)"
	} else if s.box.password == "" && cc.Password != "" {
		pass := os.Getenv("PGPASSFILE")
		if pass == "" {
			if home, err := os.UserHomeDir(); err == nil {
				pass = filepath.Join(home, ".pgpass")
			}
		}
		if f := settingValue(r.extra, "passfile"); f != "" {
			pass = f
		}
		s.box.password = cc.Password
		r.from["password"] = ".pgpass (" + pass + ")"
	}
	return nil
}

// sessionProtections sets the timeouts (an option > REPLICALAB_* > the
// connection string > default) and read-only sessions.
func (r *resolver) sessionProtections() error {
	s, o := r.s, r.o
	rp := s.box.pool.ConnConfig.RuntimeParams
	for _, p := range []struct {
		param, key string
		opt, def   time.Duration
		dst        *time.Duration
	}{
		{"statement_timeout", KeyStatementTimeout, o.statementTimeout, DefaultStatementTimeout, &s.StatementTimeout},
		{"lock_timeout", KeyLockTimeout, o.lockTimeout, DefaultLockTimeout, &s.LockTimeout},
		{"idle_in_transaction_session_timeout", KeyIdleTxTimeout, o.idleTxTimeout, DefaultIdleTxTimeout, &s.IdleTxTimeout},
	} {
		d, err := r.cfg.DurationOr(p.key, p.def)
		if err != nil {
			return r.fail([]string{p.key}, err)
		}
		switch {
		case p.opt > 0:
			d, r.from[p.param] = p.opt, "option"
		case r.cfg.Has(p.key):
			r.from[p.param] = r.origin(p.key)
		case rp[p.param] != "":
			ms, err := strconv.ParseInt(rp[p.param], 10, 64)
			if err != nil {
				return r.fail([]string{"DATABASE_URL"}, fmt.Errorf("%s in DATABASE_URL: expected milliseconds, found %q", p.param, rp[p.param]))
			}
			d, r.from[p.param] = time.Duration(ms)*time.Millisecond, r.origin("DATABASE_URL")
		default:
			r.from[p.param] = "default"
		}
		*p.dst = d
		rp[p.param] = strconv.FormatInt(d.Milliseconds(), 10)
	}
	rp["default_transaction_read_only"] = "on"
	// Scans start at a table's first page, so a load cut at a row limit returns the same rows each time.
	if _, ok := rp["synchronize_seqscans"]; !ok {
		rp["synchronize_seqscans"] = "off"
	}
	return nil
}

func (r *resolver) poolAndPrimary() error {
	s, cfg := r.s, r.cfg
	maxConns, err := cfg.IntOr(KeyMaxConns, DefaultMaxConns)
	if err != nil {
		return r.fail([]string{KeyMaxConns}, err)
	}
	if maxConns < 1 {
		return r.fail([]string{KeyMaxConns}, fmt.Errorf("%s (from %s): expected at least 1, found %d", KeyMaxConns, cfg.Source(KeyMaxConns), maxConns))
	}
	if r.o.maxConns > 0 {
		maxConns = int(r.o.maxConns)
	}
	r.maxConns = maxConns
	s.MaxConns = int32(maxConns)
	pc := s.box.pool
	pc.MaxConns, pc.MinConns, pc.MinIdleConns = s.MaxConns, 0, 0

	allow, err := cfg.BoolOr(KeyAllowPrimary, false)
	if err != nil {
		return r.fail([]string{KeyAllowPrimary}, err)
	}
	s.AllowPrimary = allow || r.o.allowPrimary
	return nil
}

// report lists every setting and where it came from, never the password.
func (r *resolver) report() {
	s, from := r.s, r.from
	add := func(name, value, src string) {
		if src == "" {
			src = "default"
		}
		s.sources = append(s.sources, Setting{Name: name, Value: value, From: src})
	}
	var names, ports []string
	for _, hp := range s.Hosts {
		i := strings.LastIndexByte(hp, ':')
		names, ports = append(names, strings.Trim(hp[:i], "[]")), append(ports, hp[i+1:])
	}
	add("host", strings.Join(names, ","), from["host"])
	add("port", strings.Join(ports, ","), from["port"])
	add("database", s.Database, from["database"])
	add("user", s.User, from["user"])
	pw := "(none)"
	if s.box.password != "" {
		pw = "(set)"
	}
	add("password", pw, from["password"])
	add("sslmode", s.SSLMode, from["sslmode"])
	if v := settingValue(r.extra, "sslrootcert"); v != "" || from["sslrootcert"] != "" {
		add("sslrootcert", v, from["sslrootcert"])
	}
	if tsa := settingValue(r.extra, "target_session_attrs"); tsa != "" || from["target_session_attrs"] != "" {
		add("target_session_attrs", tsa, from["target_session_attrs"])
	}
	add("connect_timeout", s.ConnectTimeout.String(), from["connect_timeout"])
	add("application_name", s.AppName, from["application_name"])
	add("statement_timeout", s.StatementTimeout.String(), from["statement_timeout"])
	add("lock_timeout", s.LockTimeout.String(), from["lock_timeout"])
	add("idle_in_transaction_session_timeout", s.IdleTxTimeout.String(), from["idle_in_transaction_session_timeout"])
	add("default_transaction_read_only", "on", "always")
	maxFrom := "default"
	if r.o.maxConns > 0 {
		maxFrom = "replica.MaxConns"
	} else if r.cfg.Has(KeyMaxConns) {
		maxFrom = r.origin(KeyMaxConns)
	}
	add("max connections", strconv.Itoa(r.maxConns), maxFrom)
	allowFrom := "default"
	if r.o.allowPrimary {
		allowFrom = "replica.AllowPrimary"
	} else if r.cfg.Has(KeyAllowPrimary) {
		allowFrom = r.origin(KeyAllowPrimary)
	}
	add("allow primary", strconv.FormatBool(s.AllowPrimary), allowFrom)
}

func hostPort(host string, port uint16) string {
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "/") {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("%s:%d", host, port)
}

// defaultAppName names the OS user and the notebook (Jupyter gives its path
// to kernels in JPY_SESSION_NAME), else the program:
// replicalab/<user>/<notebook>, so that a DBA can tell analysts and their
// notebooks apart in pg_stat_activity. The user comes first: the server
// keeps 63 bytes.
func defaultAppName(cfg *config.Config) string {
	name := filepath.Base(os.Args[0])
	if nb := cfg.GetOr("JPY_SESSION_NAME", ""); nb != "" {
		name = strings.TrimSuffix(filepath.Base(nb), ".ipynb")
	}
	if u := osUser(); u != "" {
		return "replicalab/" + u + "/" + name
	}
	return "replicalab/" + name
}

// osUser is the name of the user running the program.
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, k := range []string{"USER", "LOGNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return ""
}

func durationToSeconds(v string) (string, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		return "", fmt.Errorf("expected a duration with a unit such as 10s, found %q", v)
	}
	return strconv.Itoa(int(math.Ceil(d.Seconds()))), nil
}

func settingValue(pairs []string, name string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] == name {
			return pairs[i+1]
		}
	}
	return ""
}

// keywordValues renders pairs as a libpq keyword/value string, quoting every
// value.
func keywordValues(pairs []string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		v := strings.ReplaceAll(pairs[i+1], `\`, `\\`)
		v = strings.ReplaceAll(v, `'`, `\'`)
		fmt.Fprintf(&b, "%s='%s'", pairs[i], v)
	}
	return b.String()
}

// appendURLParams adds pairs as query parameters to a postgres:// URL.
func appendURLParams(u string, pairs []string) string {
	if len(pairs) == 0 {
		return u
	}
	var b strings.Builder
	b.WriteString(u)
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		name := pairs[i]
		if name == "database" {
			name = "dbname"
		}
		b.WriteString(sep + url.QueryEscape(name) + "=" + url.QueryEscape(pairs[i+1]))
		sep = "&"
	}
	return b.String()
}

// scanDSN returns the settings a DATABASE_URL spells out (URL or
// keyword/value form), with values as written (best effort). It only decides
// which settings the URL provides; pgx does the real parsing.
func scanDSN(dsn string) map[string]string {
	out := map[string]string{}
	canon := func(k string) string {
		if k == "dbname" {
			return "database"
		}
		return k
	}
	rest, isURL := strings.CutPrefix(dsn, "postgresql://")
	if !isURL {
		rest, isURL = strings.CutPrefix(dsn, "postgres://")
	}
	if isURL {
		if i := strings.IndexAny(rest, "@/"); i >= 0 && rest[i] == '@' {
			user, pw, hasPW := strings.Cut(rest[:i], ":")
			if user != "" {
				out["user"], _ = url.PathUnescape(user)
			}
			if hasPW && pw != "" {
				out["password"], _ = url.PathUnescape(pw)
			}
			rest = rest[i+1:]
		}
		netloc, path := rest, ""
		if i := strings.IndexAny(rest, "/?"); i >= 0 {
			netloc, path = rest[:i], rest[i:]
		}
		if strings.Trim(netloc, ",") != "" {
			out["host"] = netloc
			for _, h := range strings.Split(netloc, ",") {
				if strings.HasPrefix(h, "[") && strings.Contains(h, "]:") || !strings.HasPrefix(h, "[") && strings.Contains(h, ":") {
					out["port"] = netloc
				}
			}
		}
		query := ""
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path, query = path[:i], path[i+1:]
		}
		if db := strings.TrimPrefix(path, "/"); db != "" {
			out["database"], _ = url.PathUnescape(db)
		}
		for _, kv := range strings.Split(query, "&") {
			k, v, _ := strings.Cut(kv, "=")
			k, _ = url.QueryUnescape(k)
			v, _ = url.QueryUnescape(v)
			if k == "ssl" && v == "true" {
				k, v = "sslmode", "require"
			}
			if k != "" {
				out[canon(k)] = v
			}
		}
		return out
	}
	for _, kv := range pgdsn.Pairs(dsn) {
		out[canon(kv[0])] = kv[1]
	}
	return out
}
