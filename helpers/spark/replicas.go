package spark

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/replicalab/replicalab/helpers/replica"
)

// ErrPrimary is matched (errors.Is) by the error of a read whose settings name a primary: Spark reads
// only from read replicas, whatever ALLOW_PRIMARY says.
var ErrPrimary = replica.ErrPrimary

// Replica is one read replica a session reads from, as verified when the session first needed it.
type Replica struct {
	Host          string // host:port
	ServerVersion string
	LagKnown      bool
	Lag           time.Duration
	CheckedAt     time.Time

	cfg *pgx.ConnConfig // the replica's connection settings (with the password): never printed
}

// String is "host:port (PostgreSQL 15.14, lag 0.0 s)".
func (r Replica) String() string {
	lag := "lag unknown"
	if r.LagKnown {
		lag = fmt.Sprintf("lag %.1f s", r.Lag.Seconds())
	}
	return fmt.Sprintf("%s (PostgreSQL %s, %s)", r.Host, r.ServerVersion, lag)
}

// GoString keeps %#v from printing the password.
func (r Replica) GoString() string { return "spark.Replica(" + r.String() + ")" }

// hostConfigs splits a verified pool's settings into one connection config per distinct host, keeping
// for each host the TLS attempts pgx makes in order (sslmode=prefer tries TLS, then plain).
func hostConfigs(base *pgx.ConnConfig, password string) []*pgx.ConnConfig {
	type attempt struct {
		host string
		port uint16
		tls  *tls.Config
	}
	all := []attempt{{base.Host, base.Port, base.TLSConfig}}
	for _, fb := range base.Fallbacks {
		all = append(all, attempt{fb.Host, fb.Port, fb.TLSConfig})
	}
	var out []*pgx.ConnConfig
	index := map[string]int{}
	for _, a := range all {
		hp := net.JoinHostPort(a.host, strconv.Itoa(int(a.port)))
		if i, ok := index[hp]; ok {
			out[i].Fallbacks = append(out[i].Fallbacks, &pgconn.FallbackConfig{Host: a.host, Port: a.port, TLSConfig: a.tls})
			continue
		}
		c := base.Copy()
		c.Host, c.Port, c.TLSConfig, c.Password = a.host, a.port, a.tls, password
		c.Fallbacks, c.ValidateConnect, c.AfterConnect = nil, nil, nil
		index[hp] = len(out)
		out = append(out, c)
	}
	return out
}

// verify connects to one host with the replica's settings and checks that it is a hot standby.
func verify(ctx context.Context, cfg *pgx.ConnConfig) (Replica, error) {
	r := Replica{Host: net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), cfg: cfg}
	ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout+30*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return r, fmt.Errorf("spark: connecting to replica %s@%s/%s: %w", cfg.User, r.Host, cfg.Database, scrub(err, cfg.Password))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var inRecovery bool
	var lag *float64
	err = conn.QueryRow(ctx, `SELECT pg_is_in_recovery(), current_setting('server_version'),
		CASE WHEN pg_is_in_recovery() THEN CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
		ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END END`).Scan(&inRecovery, &r.ServerVersion, &lag)
	if err != nil {
		return r, fmt.Errorf("spark: checking replica %s: %w", r.Host, scrub(err, cfg.Password))
	}
	if !inRecovery {
		return r, fmt.Errorf("spark: %s@%s/%s is a primary (pg_is_in_recovery() is false), not a read replica: Spark reads only from replicas, even with ALLOW_PRIMARY; remove it from the hosts in DATABASE_URL or RDS_HOSTNAME: %w",
			cfg.User, r.Host, cfg.Database, ErrPrimary)
	}
	if lag != nil {
		r.LagKnown, r.Lag = true, time.Duration(*lag*float64(time.Second))
	}
	r.CheckedAt = time.Now().UTC()
	r.ServerVersion, _, _ = strings.Cut(r.ServerVersion, " ")
	if v, _ := strconv.Atoi(strings.SplitN(r.ServerVersion, ".", 2)[0]); v > 0 && v < 14 {
		// pgjdbc tells a standby from a primary by in_hot_standby (PostgreSQL 14+); before that, by
		// transaction_read_only, which default_transaction_read_only=on makes true on a primary too.
		// The check above is then the only guard against a promoted replica.
		r.ServerVersion += " (before 14: a replica promoted during a read would not be noticed by the JDBC driver)"
	}
	return r, nil
}

// standbyGuard runs on every JDBC connection before it reads (Spark's sessionInitStatement): it fails
// on a server that is not in recovery. targetServerType=secondary alone does not catch a primary here:
// pgjdbc asks in_hot_standby and then transaction_read_only, which default_transaction_read_only=on
// (also set on every connection) makes "on" on a primary too.
const standbyGuard = `DO $$ BEGIN IF NOT pg_is_in_recovery() THEN ` +
	`RAISE EXCEPTION 'replicalab: this server is a primary, not a read replica: Spark reads only from replicas' USING ERRCODE = '25006'; ` +
	`END IF; END $$`

// jdbcOptions are the Spark JDBC options that read from one replica: its URL, the driver, the login,
// and the connection properties that make each connection read-only, standby-only and bounded in time.
func jdbcOptions(r Replica, s *replica.Settings, sslrootcert string) map[string]string {
	cfg := r.cfg
	host := cfg.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	// The driver's properties go in the URL: Spark Connect lowercases option names, and pgjdbc's
	// property names are case-sensitive (readOnly, targetServerType, ApplicationName).
	props := url.Values{}
	props.Set("targetServerType", "secondary") // the driver's own check (see standbyGuard)
	props.Set("readOnly", "true")
	props.Set("readOnlyMode", "always") // read-only sessions even with autocommit
	props.Set("ApplicationName", s.AppName)
	props.Set("options", fmt.Sprintf("-c default_transaction_read_only=on -c statement_timeout=%d -c lock_timeout=%d -c idle_in_transaction_session_timeout=%d",
		s.StatementTimeout.Milliseconds(), s.LockTimeout.Milliseconds(), s.IdleTxTimeout.Milliseconds()))
	props.Set("connectTimeout", strconv.Itoa(int(s.ConnectTimeout.Seconds()+0.999)))
	props.Set("sslmode", s.SSLMode)
	if sslrootcert != "" {
		props.Set("sslrootcert", sslrootcert)
	}
	return map[string]string{
		"url":                  fmt.Sprintf("jdbc:postgresql://%s:%d/%s?%s", host, cfg.Port, url.PathEscape(cfg.Database), strings.ReplaceAll(props.Encode(), "+", "%20")),
		"driver":               "org.postgresql.Driver",
		"user":                 cfg.User,
		"password":             cfg.Password,
		"sessionInitStatement": standbyGuard,
		// Stream rows (a cursor) instead of loading a partition into memory: Spark's PostgreSQL
		// dialect turns autocommit off when fetchsize is set.
		"fetchsize": "10000",
	}
}

// scrub replaces the password in err's text, in case a driver quoted it; the error keeps its chain
// only when the password is not in it.
func scrub(err error, password string) error {
	if err == nil || password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), password, "<redacted>"))
}
