package replica

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/ledger"
)

// Pool is a small pool of read-only connections to a verified read replica.
// Its Query, QueryRow and Exec match pgx's, so it satisfies the usual
// Querier interfaces; their errors go through [Explain]. Printing a Pool
// shows its target, never the password.
//
// A Pool connects lazily: [Open] only works out the settings, and the first
// call that needs the server (a query, [Pool.Connect], [Pool.Show], ...)
// connects, verifies the replica and shows the banner. So a notebook cell
// whose loads all come from the cache opens no connection at all.
type Pool struct {
	s        *Settings
	o        options
	warnings []string // configuration warnings, shown with the banner
	track    *tracker

	mu        sync.Mutex
	pool      *pgxpool.Pool // the pool in use: the session's until it fails, then the replica's
	session   *pgxpool.Pool // through REPLICALAB_SESSION; nil when not used (any more)
	viaNote   string        // why the session was left, shown with the banner
	connected bool
	info      Info
	err       error // the settings could not be worked out ([Default] only): every call returns it
	closed    bool
}

// Open prepares a pool of connections to the read replica described by the
// configuration (see the package documentation) without connecting: the
// first call that needs the server connects, verifies that it is a replica
// and shows a one-line banner. Open fails only on settings it cannot work
// out (a missing or malformed variable); [Pool.Connect] connects at once and
// returns what a connection would fail with.
//
// When REPLICALAB_SESSION names the notebook's session (the "Go (replica)"
// kernel sets it), the pool goes through it — one connection the kernel
// already holds — and falls back to connecting directly if the session
// cannot be reached; [Direct] skips it.
func Open(ctx context.Context, opts ...Option) (*Pool, error) {
	o := collect(opts)
	cfg := o.cfg
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
	p := &Pool{s: s, o: o, warnings: cfg.Warnings(), track: newTracker()}
	pc := s.box.pool
	configure(pc, s, p.track)
	meter(pc, ledger.ForEnv())
	if s.AllowPrimary {
		guardPrimary(pc, s)
	}
	hidePassword(pc)
	if p.pool, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
		return nil, classify(err, s)
	}
	if dsn := sessionDSN(cfg); dsn != "" && !o.direct {
		if sc, err := sessionConfig(dsn, s); err != nil {
			p.viaNote = "REPLICALAB_SESSION is not a connection string (" + err.Error() + "): connected directly"
		} else {
			configure(sc, s, p.track)
			if os.Getenv(ledger.Env) == "" {
				// No ledger from the kernel: count this program's traffic through the session itself.
				meter(sc, ledger.ForEnv())
			}
			if p.session, err = pgxpool.NewWithConfig(ctx, sc); err != nil {
				p.viaNote = "the notebook session could not be used: connected directly"
			}
		}
	}
	if !o.noInterruptHandler {
		register(p)
	}
	return p, nil
}

// Connect connects now (if not yet), verifies that the server is a read
// replica, and shows the banner unless Quiet. A failure is a [*ConnectError]
// naming the variables to fix; the next call tries again.
func (p *Pool) Connect(ctx context.Context) error {
	_, err := p.ready(ctx)
	return err
}

// ready connects on first use; shown reports whether this call displayed
// the banner.
func (p *Pool) ready(ctx context.Context) (shown bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.err != nil:
		return false, p.err
	case p.closed:
		return false, errClosed
	case p.connected:
		return false, nil
	}
	if p.session != nil {
		info, err := p.inspect(ctx, p.session)
		if err == nil {
			p.pool.Close()
			p.pool, p.info, p.connected = p.session, info, true
		} else {
			p.session.Close()
			p.session = nil
			p.viaNote = "the notebook session (REPLICALAB_SESSION) could not be reached (" + sessionCause(err) + "): connected directly"
		}
	}
	if !p.connected {
		info, err := p.inspect(ctx, p.pool)
		if err != nil {
			return false, classify(err, p.s)
		}
		p.info, p.connected = info, true
	}
	if p.o.quiet {
		return false, nil
	}
	display.Show(p.bannerOutput())
	return true, nil
}

var errClosed = errors.New("replica: the pool is closed")

// Check opens the replica described by the settings (see [Open]) quietly,
// connects directly, verifies it and closes it. A failure is a *ConnectError
// whose Vars name the variables to fix, e.g. RDS_PORT for a closed port.
func Check(ctx context.Context, opts ...Option) error {
	opts = append(opts, Quiet(), NoInterruptHandler(), MaxConns(1), Direct())
	p, err := Open(ctx, opts...)
	if err != nil {
		return err
	}
	defer p.Close()
	return p.Connect(ctx)
}

// The notebook's default connection, opened on first use.
var def struct {
	once sync.Once
	p    *Pool
}

// Default returns the notebook's connection to the replica: settings from
// the environment and .env (through the notebook session when the kernel
// provides one), opened lazily — nothing connects until a query needs the
// server, so a cell served from the cache opens no connection. The
// notebook-style calls of the helpers (frame.SQL, explore.ShowTables, ...)
// all use it, and it lives as long as the cell's program. Settings that
// cannot be worked out are returned by every call on it.
//
//	%%
//	replica.Default().Show() // connects, verifies, shows the banner (or why it cannot, and stops the cell)
func Default() *Pool {
	def.once.Do(func() {
		p, err := Open(context.Background())
		if err != nil {
			p = &Pool{err: err, track: newTracker()}
		}
		def.p = p
	})
	return def.p
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
	// The check runs when a connection is taken from the pool, not when it is
	// returned: pgxpool returns a connection asynchronously when AfterRelease
	// is set, so the next query would dial a second connection instead of
	// reusing the first. A connection that fails the check is destroyed at
	// that point, before anything runs on it.
	pc.PrepareConn = func(ctx context.Context, c *pgx.Conn) (bool, error) {
		if !usable(c) {
			return false, nil
		}
		track.add(c.PgConn())
		return true, nil
	}
	cc.Tracer = releaseTracer{track}
	pc.BeforeClose = func(c *pgx.Conn) { track.remove(c.PgConn()) }
}

// releaseTracer takes a connection off the busy list as it is returned to
// the pool (synchronously, unlike AfterRelease).
type releaseTracer struct{ track *tracker }

func (t releaseTracer) TraceRelease(_ *pgxpool.Pool, d pgxpool.TraceReleaseData) {
	t.track.remove(d.Conn.PgConn())
}

func (releaseTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (releaseTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

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
func (p *Pool) Settings() Settings {
	if p.s == nil {
		return Settings{}
	}
	return *p.s
}

// Target names the database the pool is for, "user@host:port/database",
// without connecting: the identity the frame cache keys results by. Through
// the notebook session it is the replica the session stands for.
func (p *Pool) Target() string {
	if p.s == nil {
		return ""
	}
	return p.s.Target()
}

// Info returns what the first connection found: server, version, recovery
// state, TLS, lag. It is the zero Info until the pool has connected.
func (p *Pool) Info() Info {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.info
}

// Pgx connects if needed and returns the underlying pgx pool, for pgx-only
// APIs such as CopyTo. Its connections carry the same read-only session and
// checks, but its methods bypass Explain, the client-side deadline and the
// one-statement rule of Exec.
func (p *Pool) Pgx(ctx context.Context) (*pgxpool.Pool, error) {
	if _, err := p.ready(ctx); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pool, nil
}

// current returns the pgx pool in use, connecting first if needed.
func (p *Pool) current(ctx context.Context) (*pgxpool.Pool, error) {
	pool, err := p.Pgx(ctx)
	return pool, err
}

// Close closes every connection and stops handling interrupts for this pool.
func (p *Pool) Close() {
	unregister(p)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.pool != nil {
		closeBounded(p.pool)
	}
	if p.session != nil && p.session != p.pool {
		closeBounded(p.session)
	}
}

// String shows the target and mode, never the password.
func (p *Pool) String() string {
	if p.err != nil {
		return "replica.Pool(not opened: " + p.err.Error() + ")"
	}
	p.mu.Lock()
	info, connected, via := p.info, p.connected, p.session != nil && p.session == p.pool
	p.mu.Unlock()
	mode := "read replica"
	switch {
	case !connected:
		mode = "not connected yet"
	case !info.InRecovery:
		mode = "PRIMARY"
	}
	target := p.Target()
	if connected {
		target = info.Target()
	}
	if via {
		mode += ", through the notebook session"
	}
	return fmt.Sprintf("replica.Pool(%s, %s, read-only, max %d conns)", target, mode, p.maxConns())
}

func (p *Pool) maxConns() int32 {
	if p.session != nil && p.session == p.pool {
		return 1
	}
	return p.s.MaxConns
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
	pool, err := p.current(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := p.guard(ctx)
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		err = p.explain(ctx, err)
		cancel()
		return nil, err
	}
	return &guardedRows{Rows: rows, cancel: cancel, ctx: ctx, p: p}, nil
}

// QueryRow runs a query expected to return at most one row.
func (p *Pool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	pool, err := p.current(ctx)
	if err != nil {
		return errRow{err}
	}
	ctx, cancel := p.guard(ctx)
	return guardedRow{row: pool.QueryRow(ctx, sql, args...), cancel: cancel, ctx: ctx, p: p}
}

// Exec runs one statement. Unlike pgx, Exec without arguments also uses the
// extended protocol, so a string holding several statements is refused by
// the server rather than run in one go.
func (p *Pool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	pool, err := p.current(ctx)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	ctx, cancel := p.guard(ctx)
	defer cancel()
	if len(args) > 0 {
		tag, err := pool.Exec(ctx, sql, args...)
		return tag, p.explain(ctx, err)
	}
	c, err := pool.Acquire(ctx)
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
	pool, err := p.current(ctx)
	if err != nil {
		return nil, err
	}
	if p.s.AllowPrimary && pool != p.session {
		return p.beginPrimary(ctx)
	}
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{BeginQuery: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1"})
	return tx, Explain(err)
}

// Lag measures how far the replica is behind the primary, on a connection
// the pool already has when it has one.
func (p *Pool) Lag(ctx context.Context) (Lag, error) {
	pool, err := p.current(ctx)
	if err != nil {
		return Lag{}, err
	}
	ctx, cancel := p.verifyDeadline(ctx)
	defer cancel()
	info, err := p.inspect(ctx, pool)
	return info.Lag, p.explain(ctx, err)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

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
	CheckedAt     time.Time // when the server was inspected (first connection, Lag), UTC
	Session       bool      // connected through the notebook session (REPLICALAB_SESSION)
}

// Target returns "user@host:port/database".
func (i Info) Target() string { return fmt.Sprintf("%s@%s/%s", i.User, i.Host, i.Database) }

const inspectSQL = `SELECT pg_is_in_recovery(), current_user::text, current_database()::text`

func (p *Pool) inspect(ctx context.Context, pool *pgxpool.Pool) (Info, error) {
	ctx, cancel := p.verifyDeadline(ctx)
	defer cancel()
	var info Info
	err := pool.AcquireFunc(ctx, func(c *pgxpool.Conn) error {
		pg := c.Conn().PgConn()
		err := c.QueryRow(ctx, inspectSQL).Scan(&info.InRecovery, &info.User, &info.Database)
		if err != nil {
			return err
		}
		info.CheckedAt = time.Now().UTC()
		info.ServerVersion = strings.Fields(pg.ParameterStatus("server_version") + " ")[0]
		_, info.TLS = netConn(pg.Conn()).(*tls.Conn)
		info.Host = p.connectedHost(pg.Conn().RemoteAddr())
		if target := pg.ParameterStatus(sessionTargetParam); target != "" {
			info.Session = true
			if host, ok := sessionHost(target); ok {
				info.Host = host
			}
		}
		if !info.InRecovery {
			info.Lag = Lag{How: LagNotReplica}
			return nil
		}
		info.Lag, err = measureLag(ctx, c)
		return err
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
