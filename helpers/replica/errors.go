package replica

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// Problem classifies why a connection failed.
type Problem string

const (
	ProblemConfig      Problem = "invalid settings"
	ProblemUnreachable Problem = "host unreachable"
	ProblemRefused     Problem = "connection refused"
	ProblemAuth        Problem = "authentication failed"
	ProblemDatabase    Problem = "database does not exist"
	ProblemTLS         Problem = "TLS failed"
	ProblemTimeout     Problem = "timeout"
	ProblemPrimary     Problem = "not a read replica"
	ProblemUnavailable Problem = "server not accepting connections"
	ProblemOther       Problem = "connection failed"
)

// ErrPrimary is matched (errors.Is) by the error Open returns when the server
// is a primary and ALLOW_PRIMARY is not set.
var ErrPrimary = errors.New("replica: server is a primary, not a read replica")

// ConnectError explains a failed connection: to what (user@host:port/db,
// never the password), the kind of problem, the variables to fix and the
// cause. errors.As still reaches pgx's own errors (e.g. *pgconn.PgError).
type ConnectError struct {
	Target  string
	Problem Problem
	Vars    []string // the variables responsible, most likely first, e.g. RDS_PORT
	Hint    string
	cause   string // scrubbed text of err
	err     error
}

func (e *ConnectError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "replica: %s: %s", e.Target, e.Problem)
	if len(e.Vars) > 0 {
		fmt.Fprintf(&b, " (check %s)", strings.Join(e.Vars, ", "))
	}
	if e.Hint != "" {
		b.WriteString(": " + e.Hint)
	}
	switch {
	case e.cause != "":
		b.WriteString(": " + e.cause)
	case e.err != nil: // errors built in this package (settings) hold no secret
		b.WriteString(": " + e.err.Error())
	}
	return b.String()
}

func (e *ConnectError) Unwrap() error { return e.err }

// Is makes errors.Is(err, ErrPrimary) true for a refused primary.
func (e *ConnectError) Is(target error) bool {
	return target == ErrPrimary && e.Problem == ProblemPrimary
}

// Var returns the variable most likely responsible, "" if none.
func (e *ConnectError) Var() string {
	if len(e.Vars) == 0 {
		return ""
	}
	return e.Vars[0]
}

// classify turns a connection error into a *ConnectError.
func classify(err error, s *Settings) *ConnectError {
	if ce, ok := errors.AsType[*ConnectError](err); ok {
		return ce
	}
	v := func(names ...string) []string {
		var out []string
		for _, n := range names {
			if x := s.Var(n); x != "" && !contains(out, x) {
				out = append(out, x)
			}
		}
		return out
	}
	e := &ConnectError{Target: s.Target(), err: err, cause: connectCause(err, s), Problem: ProblemOther}
	var (
		pgErr  *pgconn.PgError
		dnsErr *net.DNSError
		netErr net.Error
	)
	msg := err.Error()
	switch {
	case errors.Is(err, errNotStandby):
		e.Problem, e.Vars = ProblemPrimary, append(v("host", "port"), KeyAllowPrimary)
		e.Hint = "pg_is_in_recovery() is false on this server, so it is a primary; point the settings at the read replica, " +
			"or set ALLOW_PRIMARY=1 if you really mean to run queries on the primary"
	case errors.As(err, &pgErr):
		e.cause = scrub("server said: "+pgErr.Message+" (SQLSTATE "+pgErr.Code+")", s.box.password)
		switch {
		case pgErr.Code == "28000" && strings.Contains(pgErr.Message, "rejects connection") && strings.Contains(pgErr.Message, "no encryption"):
			e.Problem, e.Vars = ProblemTLS, v("sslmode")
			e.Hint = "the server accepts only TLS connections; set sslmode=verify-full (with sslrootcert) or require"
		case pgErr.Code == "28000" && strings.Contains(pgErr.Message, "no pg_hba.conf entry") && strings.Contains(pgErr.Message, "no encryption"):
			e.Problem, e.Vars = ProblemAuth, v("user", "sslmode", "host")
			e.Hint = "the server has no rule letting this user in from here without TLS: check the user name, " +
				"or connect with TLS (sslmode=verify-full or require) if the server insists on it"
		case pgErr.Code == "28P01", pgErr.Code == "28000":
			e.Problem, e.Vars = ProblemAuth, v("user", "password")
			e.Hint = "wrong user name or password, or the server's pg_hba.conf does not let this user in from here"
		case pgErr.Code == "3D000":
			e.Problem, e.Vars = ProblemDatabase, v("database")
		case pgErr.Code == "42501":
			e.Problem, e.Vars = ProblemAuth, v("user", "database")
			e.Hint = "the user may not connect to this database"
		case pgErr.Code == "57P03", pgErr.Code == "53300", pgErr.Code == "57P01":
			e.Problem, e.Vars = ProblemUnavailable, v("host", "port")
			e.Hint = "the server is starting, stopping or full; retry in a moment"
		}
	case isTLSError(err, msg, s.SSLMode) && strings.Contains(msg, "server refused TLS connection"):
		e.Problem, e.Vars = ProblemTLS, v("sslmode", "host")
		e.Hint = "sslmode=" + s.SSLMode + " requires TLS but the server does not offer it; enable TLS on the server, " +
			"or check that the host and port are the right server"
	case isTLSError(err, msg, s.SSLMode):
		e.Problem, e.Vars = ProblemTLS, v("sslrootcert", "sslmode", "host")
		e.Hint = "the server's certificate was not accepted; sslrootcert must hold the CA that signed it, " +
			"and with verify-full the host name must match the certificate"
	case errors.As(err, &dnsErr):
		e.Problem, e.Vars = ProblemUnreachable, v("host")
		e.Hint = "the host name does not resolve"
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Problem, e.Vars = ProblemRefused, v("port", "host")
		e.Hint = "nothing listens on that port; check the port, or whether the replica is running"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		e.Problem, e.Vars = ProblemUnreachable, v("host")
		e.Hint = "no route to the host; check the host name and your network (VPN, security group)"
	case pgconn.Timeout(err), errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		e.Problem, e.Vars = ProblemTimeout, append(v("host", "port"), KeyConnectTimeout)
		e.Hint = "the server did not answer in time; check the host and port and that your network lets you reach it"
	}
	return e
}

var errNotStandby = errors.New("server is not in recovery (a primary)")

// connectCause condenses pgx's connect error: one clause per distinct
// failure, without the "failed to connect to" preamble (the target is already
// in the message) and, when TLS is optional, without the refused TLS attempt
// that precedes a plain connection.
func connectCause(err error, s *Settings) string {
	msg := scrubErr(err, s.box.password).Error()
	if _, ok := errors.AsType[*pgconn.ConnectError](err); !ok {
		return msg
	}
	if i := strings.Index(msg, "`:"); i >= 0 && strings.HasPrefix(msg, "failed to connect to `") {
		msg = msg[i+2:]
	}
	var parts []string
	for _, line := range strings.Split(msg, "\n") {
		for _, part := range strings.Split(line, "; ") {
			part = strings.TrimSpace(part)
			if part != "" && !contains(parts, part) {
				parts = append(parts, part)
			}
		}
	}
	if !tlsRequired(s.SSLMode) && len(parts) > 1 {
		kept := parts[:0]
		for _, p := range parts {
			if !strings.Contains(p, "server refused TLS connection") {
				kept = append(kept, p)
			}
		}
		parts = kept
	}
	return strings.Join(parts, "; ")
}

func tlsRequired(sslmode string) bool {
	return sslmode == "require" || sslmode == "verify-ca" || sslmode == "verify-full"
}

func isTLSError(err error, msg, sslmode string) bool {
	var (
		cv *tls.CertificateVerificationError
		ua x509.UnknownAuthorityError
		he x509.HostnameError
		ci x509.CertificateInvalidError
		rh tls.RecordHeaderError
		ae tls.AlertError
	)
	if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) ||
		errors.As(err, &rh) || errors.As(err, &ae) {
		return true
	}
	if !tlsRequired(sslmode) {
		return false
	}
	for _, s := range []string{"server refused TLS connection", "tls: ", "tls error", "x509: "} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// blameParse guesses which variable made pgx reject the connection string.
func blameParse(err error, vars map[string]string) []string {
	msg := parseErrPrefix.ReplaceAllString(err.Error(), "") // drop the quoted connection string
	if strings.Contains(msg, "CA file") {
		msg += " sslrootcert"
	}
	for _, k := range []string{"sslmode", "sslrootcert", "sslcert", "sslkey", "port", "target_session_attrs", "connect_timeout"} {
		if strings.Contains(msg, k) {
			if v := vars[k]; v != "" {
				return []string{v}
			}
		}
	}
	return nil
}

var parseErrPrefix = regexp.MustCompile("(?s)^cannot parse `.*?`: ")

// scrubErr returns err's text without the password (plain and URL-escaped)
// and without the connection string pgx quotes in parse errors.
func scrubErr(err error, password string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var pce *pgconn.ParseConfigError
	if errors.As(err, &pce) {
		msg = "cannot parse the connection settings: " + parseErrPrefix.ReplaceAllString(msg, "")
	}
	return errors.New(scrub(msg, password))
}

// scrub removes the password from s. Passwords under 4 characters are not
// searched for: replacing every "a" would garble the message.
func scrub(s, password string) string {
	if len(password) < 4 {
		return s
	}
	for _, form := range []string{password, url.QueryEscape(password), url.PathEscape(password)} {
		s = strings.ReplaceAll(s, form, "[password]")
	}
	return s
}

// QueryKind classifies a failed query.
type QueryKind string

// The kinds of [QueryError].
const (
	RecoveryConflict QueryKind = "recovery conflict"    // the replica cancelled the query to apply the primary's changes
	TimedOut         QueryKind = "statement timeout"    // the query ran longer than statement_timeout
	Cancelled        QueryKind = "cancelled"            // cancelled on the server (interrupt, context)
	ConnectionLost   QueryKind = "connection lost"      // the replica restarted or the network broke
	ReadOnly         QueryKind = "read-only"            // a write was refused
	CannotConnect    QueryKind = "cannot connect"       // the replica is down or unreachable
	NotAnswering     QueryKind = "server not answering" // the server stopped answering: frozen, overloaded or cut off
)

// QueryError explains a failed query in the notebook's terms: what happened
// and what to do. errors.As still reaches *pgconn.PgError.
type QueryError struct {
	Kind QueryKind
	Hint string
	err  error
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("replica: %s: %v: %s", e.Kind, e.err, e.Hint)
}

func (e *QueryError) Unwrap() error { return e.err }

// ErrRecoveryConflict is matched (errors.Is) by a query the replica cancelled
// because replaying the primary's changes conflicted with it.
var ErrRecoveryConflict = errors.New("replica: canceling statement due to conflict with recovery")

// Is makes errors.Is(err, ErrRecoveryConflict) work.
func (e *QueryError) Is(target error) bool {
	return target == ErrRecoveryConflict && e.Kind == RecoveryConflict
}

// IsRecoveryConflict reports whether err is the replica cancelling a query
// because of a conflict with recovery.
func IsRecoveryConflict(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	return strings.Contains(pgErr.Message, "conflict with recovery") ||
		pgErr.Code == "40P01" && strings.Contains(pgErr.Detail, "recovery")
}

// Explain wraps err in a *QueryError if it is one of the failures a replica
// user meets (recovery conflict, statement timeout, cancel, lost connection);
// other errors, and nil, are returned unchanged. Pool methods already do this.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	return holdIfInterrupted(explain(err))
}

func explain(err error) error {
	if _, ok := errors.AsType[*QueryError](err); ok {
		return err
	}
	var pgErr *pgconn.PgError
	switch {
	case IsRecoveryConflict(err):
		return &QueryError{Kind: RecoveryConflict, err: err,
			Hint: "the replica cancelled the query because it had to apply changes from the primary that remove rows " +
				"the query could still see; retry it, make it shorter (a narrower WHERE, a LIMIT, fewer joins, smaller batches), " +
				"or ask the DBA to enable hot_standby_feedback (or raise max_standby_streaming_delay) on the replica"}
	case errors.As(err, &pgErr) && pgErr.Code == "57014" && strings.Contains(pgErr.Message, "statement timeout"):
		return &QueryError{Kind: TimedOut, err: err,
			Hint: "the query ran longer than statement_timeout; make it smaller, or raise " + KeyStatementTimeout + " (e.g. 30m) if it must run long"}
	case errors.As(err, &pgErr) && pgErr.Code == "57014":
		return &QueryError{Kind: Cancelled, err: err, Hint: "the query was cancelled on the server (interrupt or context cancelled)"}
	case errors.As(err, &pgErr) && (pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"):
		return &QueryError{Kind: ConnectionLost, err: err, Hint: "the replica is shutting down or restarting; the next query reconnects"}
	case errors.As(err, &pgErr) && pgErr.Code == "25006":
		return &QueryError{Kind: ReadOnly, err: err, Hint: "this connection is read-only by design: it is for analysis, writes go elsewhere"}
	case errors.As(err, new(*pgconn.ConnectError)):
		return &QueryError{Kind: CannotConnect, err: err,
			Hint: "the replica is down or unreachable (restarting, or the network); try again shortly, " +
				"or run replica.Check to see which setting is wrong"}
	case errors.Is(err, pgconn.ErrConnClosed), isConnLost(err):
		return &QueryError{Kind: ConnectionLost, err: err, Hint: "the connection to the replica broke (replica restarted or network); the next query reconnects"}
	}
	return err
}

func isConnLost(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "unexpected EOF") || strings.Contains(msg, "conn closed") ||
		strings.Contains(msg, "connection reset") || strings.Contains(msg, "broken pipe")
}
