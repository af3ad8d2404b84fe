package replica

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/replicalab/replicalab/helpers/config"
)

// Options adjusts [OpenWith]. The zero value is what [Open] uses.
type Options struct {
	// Config supplies the settings; nil loads them with config.Load (process
	// environment, then .env found from the working folder).
	Config *config.Config
	// AllowPrimary accepts a primary server, as ALLOW_PRIMARY=1 does.
	AllowPrimary bool
	// AppName is the application_name the server shows in pg_stat_activity;
	// "" means REPLICALAB_APP_NAME, PGAPPNAME, or replicalab/<notebook>.
	AppName string
	// Protective session timeouts and pool size; zero means the
	// REPLICALAB_* setting, else the connection string's, else the default.
	StatementTimeout, LockTimeout, IdleTxTimeout time.Duration
	MaxConns                                     int32
	// Out receives the banner and warnings when not running in a notebook;
	// nil means os.Stderr.
	Out io.Writer
	// Quiet shows no banner and no warnings.
	Quiet bool
	// NoInterruptHandler leaves SIGINT and SIGTERM alone. By default the
	// first Open catches them, cancels the queries in flight on the server,
	// then lets the signal take its default course (end the program).
	NoInterruptHandler bool
}

// Pool is a small pool of read-only connections to a verified read replica.
// Its Query, QueryRow and Exec match pgx's, so it satisfies the usual
// Querier interfaces; their errors go through [Explain]. Printing a Pool
// shows its target, never the password.
type Pool struct {
	pool  *pgxpool.Pool
	s     *Settings
	info  Info
	track *tracker
}

// Open connects to the read replica described by the configuration (see the
// package documentation), verifies it, and shows a one-line banner.
func Open(ctx context.Context) (*Pool, error) { return OpenWith(ctx, Options{}) }

// OpenWith is [Open] with options.
func OpenWith(ctx context.Context, o Options) (*Pool, error) {
	cfg := o.Config
	if cfg == nil {
		var err error
		if cfg, err = config.Load(); err != nil {
			return nil, &ConnectError{Problem: ProblemConfig, Target: "replica settings", err: err}
		}
	}
	s, err := resolve(cfg, o)
	if err != nil {
		return nil, err
	}
	p := &Pool{s: s, track: newTracker()}
	pc := s.box.pool
	configure(pc, s, p.track)
	if s.AllowPrimary {
		guardPrimary(pc, s)
	}
	hidePassword(pc)

	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, classify(err, s)
	}
	p.pool = pool
	if p.info, err = p.inspect(ctx); err != nil {
		pool.Close()
		return nil, classify(err, s)
	}
	if !o.NoInterruptHandler {
		register(p)
	}
	if !o.Quiet {
		p.show(o.Out, cfg.Warnings())
	}
	return p, nil
}

// Check opens the replica described by cfg (nil: config.Load) quietly,
// verifies it and closes it. A failure is a *ConnectError whose Vars name the
// variables to fix, e.g. RDS_PORT for a closed port.
func Check(ctx context.Context, cfg *config.Config) error {
	if cfg == nil {
		var err error
		if cfg, err = config.Load(); err != nil {
			return &ConnectError{Problem: ProblemConfig, Target: "replica settings", err: err}
		}
	}
	p, err := OpenWith(ctx, Options{Config: cfg, Quiet: true, NoInterruptHandler: true, MaxConns: 1})
	if err != nil {
		return err
	}
	p.Close()
	return nil
}

// configure installs the protections on every connection the pool makes.
func configure(pc *pgxpool.Config, s *Settings, track *tracker) {
	cc := pc.ConnConfig
	cc.DialFunc = dialFunc(s.ConnectTimeout)
	// Cancelling a context (or an interrupt) cancels the query on the server,
	// not only the client's wait for it.
	cc.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return newWatchHandler(c)
	}
	// Refuse a primary before pgx settles on a host, so that with several
	// hosts it moves on to the next one.
	userValidate, allow := cc.ValidateConnect, s.AllowPrimary
	cc.ValidateConnect = func(ctx context.Context, c *pgconn.PgConn) error {
		if !allow {
			standby, err := inRecovery(ctx, c)
			if err != nil {
				return err
			}
			if !standby {
				return errNotStandby
			}
		}
		if userValidate != nil {
			return userValidate(ctx, c)
		}
		return nil
	}
	pc.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		if major(c.PgConn().ParameterStatus("server_version")) >= 14 {
			ms := strconv.FormatInt(clientCheckInterval.Milliseconds(), 10)
			if _, err := c.Exec(ctx, "SET client_connection_check_interval = "+ms); err != nil {
				return err
			}
		}
		return nil
	}
	// PostgreSQL 14+ reports default_transaction_read_only and in_hot_standby
	// whenever they change, so these checks cost no round trip. A session
	// where someone ran SET default_transaction_read_only=off, or a replica
	// promoted to primary, is destroyed instead of reused.
	usable := func(c *pgx.Conn) bool {
		pg := c.PgConn()
		if pg.ParameterStatus("default_transaction_read_only") == "off" {
			return false
		}
		return allow || pg.ParameterStatus("in_hot_standby") != "off"
	}
	pc.PrepareConn = func(ctx context.Context, c *pgx.Conn) (bool, error) {
		if !usable(c) {
			return false, nil
		}
		track.add(c.PgConn())
		return true, nil
	}
	pc.AfterRelease = func(c *pgx.Conn) bool {
		track.remove(c.PgConn())
		return usable(c)
	}
	pc.BeforeClose = func(c *pgx.Conn) { track.remove(c.PgConn()) }
}

func inRecovery(ctx context.Context, c *pgconn.PgConn) (bool, error) {
	if hs := c.ParameterStatus("in_hot_standby"); hs != "" {
		return hs == "on", nil
	}
	res, err := c.Exec(ctx, "SELECT pg_is_in_recovery()").ReadAll()
	if err != nil {
		return false, err
	}
	return len(res) == 1 && len(res[0].Rows) == 1 && string(res[0].Rows[0][0]) == "t", nil
}

// major returns 15 for "15.14 (Debian 15.14-0+deb12u1)".
func major(version string) int {
	digits := strings.FieldsFunc(version, func(r rune) bool { return r < '0' || r > '9' })
	if len(digits) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(digits[0])
	return n
}

// Settings returns the resolved settings (no password).
func (p *Pool) Settings() Settings { return *p.s }

// Info returns what Open found: server, version, recovery state, TLS, lag.
func (p *Pool) Info() Info { return p.info }

// Pgx returns the underlying pgx pool, for pgx-only APIs such as CopyTo.
// Its connections carry the same read-only session and checks, but its
// methods bypass Explain, the client-side deadline and the one-statement
// rule of Exec.
func (p *Pool) Pgx() *pgxpool.Pool { return p.pool }

// Close closes every connection and stops handling interrupts for this pool.
func (p *Pool) Close() {
	unregister(p)
	closeBounded(p.pool)
}

// String shows the target and mode, never the password.
func (p *Pool) String() string {
	mode := "read replica"
	if !p.info.InRecovery {
		mode = "PRIMARY"
	}
	return fmt.Sprintf("replica.Pool(%s, %s, read-only, max %d conns)", p.info.Target(), mode, p.s.MaxConns)
}

// GoString is String, so %#v is safe too.
func (p *Pool) GoString() string { return p.String() }

// guard gives ctx a deadline when it has none, one second after the
// server's statement_timeout: a server that stopped answering (frozen,
// overloaded, cut off) makes the query fail then, with an error that says
// so (see silent), instead of hanging.
func (p *Pool) guard(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || p.s.StatementTimeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, p.s.StatementTimeout+silenceMargin, errSilent)
}

// Query runs a query; see pgxpool.Pool.Query. Errors are explained.
func (p *Pool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	ctx, cancel := p.guard(ctx)
	rows, err := p.pool.Query(ctx, sql, args...)
	if err != nil {
		err = p.explain(ctx, err)
		cancel()
		return nil, err
	}
	return &guardedRows{Rows: rows, cancel: cancel, ctx: ctx, p: p}, nil
}

// QueryRow runs a query expected to return at most one row.
func (p *Pool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	ctx, cancel := p.guard(ctx)
	return guardedRow{row: p.pool.QueryRow(ctx, sql, args...), cancel: cancel, ctx: ctx, p: p}
}

// Exec runs one statement. Unlike pgx, Exec without arguments also uses the
// extended protocol, so a string holding several statements is refused by
// the server rather than run in one go.
func (p *Pool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	ctx, cancel := p.guard(ctx)
	defer cancel()
	if len(args) > 0 {
		tag, err := p.pool.Exec(ctx, sql, args...)
		return tag, p.explain(ctx, err)
	}
	c, err := p.pool.Acquire(ctx)
	if err != nil {
		return pgconn.CommandTag{}, p.explain(ctx, err)
	}
	defer c.Release()
	tag, err := c.Conn().PgConn().ExecParams(ctx, sql, nil, nil, nil, nil).Close()
	return tag, p.explain(ctx, err)
}

// Begin starts a REPEATABLE READ READ ONLY transaction, so several queries
// see one consistent snapshot. It takes the snapshot at once, which makes a
// later SET TRANSACTION READ WRITE fail. Errors from the Tx are pgx's; pass
// them to Explain for advice.
func (p *Pool) Begin(ctx context.Context) (pgx.Tx, error) {
	if p.s.AllowPrimary {
		return p.beginPrimary(ctx)
	}
	tx, err := p.pool.BeginTx(ctx, pgx.TxOptions{BeginQuery: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1"})
	return tx, Explain(err)
}

// Lag measures how far the replica is behind the primary.
func (p *Pool) Lag(ctx context.Context) (Lag, error) {
	ctx, cancel := p.verifyDeadline(ctx)
	defer cancel()
	info, err := p.inspect(ctx)
	return info.Lag, p.explain(ctx, err)
}

type guardedRows struct {
	pgx.Rows
	cancel context.CancelFunc
	ctx    context.Context
	p      *Pool
}

func (r *guardedRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.cancel()
	return false
}

func (r *guardedRows) Close() {
	r.Rows.Close()
	r.cancel()
}

func (r *guardedRows) Err() error { return r.p.explain(r.ctx, r.Rows.Err()) }

type guardedRow struct {
	row    pgx.Row
	cancel context.CancelFunc
	ctx    context.Context
	p      *Pool
}

func (r guardedRow) Scan(dest ...any) error {
	defer r.cancel()
	return r.p.explain(r.ctx, r.row.Scan(dest...))
}

// Info describes the server a Pool is connected to.
type Info struct {
	Host          string // host:port actually connected to
	Database      string
	User          string
	ServerVersion string // e.g. "15.14"
	InRecovery    bool   // true on a read replica
	TLS           bool
	Lag           Lag
	CheckedAt     time.Time // when the server was inspected (Open, Lag), UTC
}

// Target returns "user@host:port/database".
func (i Info) Target() string { return fmt.Sprintf("%s@%s/%s", i.User, i.Host, i.Database) }

// Lag says how far a replica's replay is behind.
//
// A replica that has replayed all the WAL it received is caught up: its lag
// is zero even if its last replayed commit is old (the primary may simply be
// idle). Otherwise the lag is the age of the last replayed commit, which is
// how long ago the data it shows was current.
type Lag struct {
	Delay      time.Duration // 0 when caught up
	Bytes      int64         // WAL received but not yet replayed
	CaughtUp   bool
	Known      bool      // false when the replica replayed no commit yet and is not caught up
	LastReplay time.Time // commit time of the last replayed transaction; zero if none
	Receiver   string    // WAL receiver status, "streaming" normally; "" when hidden (needs pg_read_all_stats)
}

// String returns e.g. "lag 0.4 s" or "lag unknown".
func (l Lag) String() string {
	if !l.Known {
		return "lag unknown"
	}
	s := fmt.Sprintf("lag %.1f s", l.Delay.Seconds())
	if l.Bytes > 0 {
		s += fmt.Sprintf(" (%d kB to replay)", (l.Bytes+1023)/1024)
	}
	return s
}

const inspectSQL = `SELECT pg_is_in_recovery(), current_user::text, current_database()::text,
  COALESCE(pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn(), false),
  COALESCE(GREATEST(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0), 0)::bigint,
  pg_last_xact_replay_timestamp(),
  GREATEST(EXTRACT(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0)::float8,
  (SELECT status FROM pg_stat_wal_receiver LIMIT 1)`

func (p *Pool) inspect(ctx context.Context) (Info, error) {
	ctx, cancel := p.verifyDeadline(ctx)
	defer cancel()
	var info Info
	err := p.pool.AcquireFunc(ctx, func(c *pgxpool.Conn) error {
		pg := c.Conn().PgConn()
		var (
			last     *time.Time
			age      *float64
			receiver *string
		)
		err := c.QueryRow(ctx, inspectSQL).Scan(&info.InRecovery, &info.User, &info.Database,
			&info.Lag.CaughtUp, &info.Lag.Bytes, &last, &age, &receiver)
		if err != nil {
			return err
		}
		info.CheckedAt = time.Now().UTC()
		info.ServerVersion = strings.Fields(pg.ParameterStatus("server_version") + " ")[0]
		_, info.TLS = pg.Conn().(*tls.Conn)
		info.Host = p.connectedHost(pg.Conn().RemoteAddr())
		if last != nil {
			info.Lag.LastReplay = *last
		}
		if receiver != nil {
			info.Lag.Receiver = *receiver
		}
		switch {
		case !info.InRecovery:
			info.Lag.Known = false
		case info.Lag.CaughtUp:
			info.Lag.Known = true
		case age != nil:
			info.Lag.Known, info.Lag.Delay = true, time.Duration(*age*float64(time.Second))
		}
		return nil
	})
	return info, err
}

// connectedHost names the host the connection went to: the configured name
// when it can be told apart, else the address.
func (p *Pool) connectedHost(addr net.Addr) string {
	if len(p.s.Hosts) == 1 {
		return p.s.Hosts[0]
	}
	_, port, err := net.SplitHostPort(addr.String())
	if err == nil {
		var match []string
		for _, h := range p.s.Hosts {
			if strings.HasSuffix(h, ":"+port) {
				match = append(match, h)
			}
		}
		if len(match) == 1 {
			return match[0]
		}
	}
	return addr.String()
}

func (p *Pool) out(w io.Writer) io.Writer {
	if w == nil {
		return os.Stderr
	}
	return w
}

// OpenOrExit is [Open] for notebook cells: on failure it prints the explained
// error (it never holds the password) and ends the cell's program with exit
// status 1, so a cell reads
//
//	%%
//	db := replica.OpenOrExit(ctx)
//	defer db.Close()
func OpenOrExit(ctx context.Context) *Pool {
	p, err := Open(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		exit(1)
	}
	return p
}

// exit is os.Exit, replaced in tests.
var exit = os.Exit
