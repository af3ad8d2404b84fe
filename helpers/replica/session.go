package replica

import (
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/replicalab/replicalab/helpers/config"
)

// The notebook session.
//
// The "Go (replica)" kernel holds one verified, read-only connection pool for
// the notebook's life and serves it to the cells' programs through a
// PostgreSQL-protocol proxy on a private unix socket, whose libpq
// keyword/value connection string it exports as REPLICALAB_SESSION, e.g.
//
//	host=/tmp/replicalab-session-x1y2 port=5432 sslmode=disable user=session dbname=session
//
// When that variable is set (and [Direct] is not given), a [Pool] goes through
// it: one connection, no password (the socket is private to the user), the
// same session settings sent at startup. The proxy announces the replica it
// stands for in the ParameterStatus "replicalab.target" (user@host:port/db,
// never a password); the banner and [Info] use it. If the session cannot be
// reached or refuses, the Pool connects to the replica directly, as it would
// without a kernel, and says so in the banner's warnings.
const (
	// KeySession names the notebook session's connection string.
	KeySession = "REPLICALAB_SESSION"
	// sessionTargetParam is the ParameterStatus the session proxy sends.
	sessionTargetParam = "replicalab.target"
	// sessionConnectTimeout bounds the wait for the local proxy before
	// falling back to a direct connection.
	sessionConnectTimeout = 3 * time.Second
)

func sessionDSN(cfg *config.Config) string {
	v, _, ok := cfg.Lookup(KeySession)
	if !ok {
		return ""
	}
	return strings.TrimSpace(v)
}

// sessionConfig builds the pool configuration of the session: its own
// address, no password whatever PGPASSWORD or .pgpass say, one connection,
// and the session settings (timeouts, read-only, application name) of s.
func sessionConfig(dsn string, s *Settings) (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		var pce *pgconn.ParseConfigError
		if errors.As(err, &pce) {
			return nil, errors.New("cannot parse it")
		}
		return nil, err
	}
	cc := pc.ConnConfig
	cc.Password = ""
	cc.Fallbacks = nil
	cc.ConnectTimeout = min(sessionConnectTimeout, max(s.ConnectTimeout, time.Second))
	for k, v := range s.box.pool.ConnConfig.RuntimeParams {
		cc.RuntimeParams[k] = v
	}
	pc.MaxConns, pc.MinConns, pc.MinIdleConns = 1, 0, 0
	return pc, nil
}

// sessionHost returns the host:port of a "user@host:port/database" target.
func sessionHost(target string) (string, bool) {
	at := strings.Index(target, "@")
	slash := strings.LastIndex(target, "/")
	if at < 0 || slash < at {
		return "", false
	}
	return target[at+1 : slash], true
}

// sessionCause is the short reason a session connection failed.
func sessionCause(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Message
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}
