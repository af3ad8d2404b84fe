package replica

import (
	"time"

	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/internal/option"
)

// An Option adjusts [Open], [Check] or [Default]'s first use:
//
//	db, err := replica.Open(ctx, replica.MaxConns(4), replica.Quiet())
type Option func(*options)

type options struct {
	cfg                                          *config.Config
	allowPrimary                                 bool
	appName                                      string
	statementTimeout, lockTimeout, idleTxTimeout time.Duration
	maxConns                                     int32
	quiet                                        bool
	noInterruptHandler                           bool
	direct                                       bool
}

func collect(opts []Option) options { return option.Collect[options](opts) }

// WithConfig takes the settings from cfg instead of loading them (process environment, then
// .env found from the working folder).
func WithConfig(cfg *config.Config) Option { return func(o *options) { o.cfg = cfg } }

// AllowPrimary accepts a primary server, as ALLOW_PRIMARY=1 does; the banner becomes a warning.
func AllowPrimary() Option { return func(o *options) { o.allowPrimary = true } }

// AppName sets the application_name the server shows in pg_stat_activity (default
// REPLICALAB_APP_NAME, PGAPPNAME, or replicalab/<notebook>).
func AppName(name string) Option { return func(o *options) { o.appName = name } }

// StatementTimeout sets statement_timeout, overriding REPLICALAB_STATEMENT_TIMEOUT and the
// connection string (default 5m).
func StatementTimeout(d time.Duration) Option { return func(o *options) { o.statementTimeout = d } }

// LockTimeout sets lock_timeout, overriding REPLICALAB_LOCK_TIMEOUT and the connection string
// (default 5s).
func LockTimeout(d time.Duration) Option { return func(o *options) { o.lockTimeout = d } }

// IdleTxTimeout sets idle_in_transaction_session_timeout, overriding REPLICALAB_IDLE_TX_TIMEOUT
// and the connection string (default 1m).
func IdleTxTimeout(d time.Duration) Option { return func(o *options) { o.idleTxTimeout = d } }

// MaxConns sets the pool size, overriding REPLICALAB_MAX_CONNS (default 2; 1 through the
// notebook session).
func MaxConns(n int32) Option { return func(o *options) { o.maxConns = n } }

// Quiet shows no banner and no warnings.
func Quiet() Option { return func(o *options) { o.quiet = true } }

// NoInterruptHandler leaves SIGINT and SIGTERM alone. By default the first Open catches them,
// cancels the queries in flight on the server, then lets the signal take its default course
// (end the program).
func NoInterruptHandler() Option { return func(o *options) { o.noInterruptHandler = true } }

// Direct connects to the replica itself even when REPLICALAB_SESSION names a notebook session
// (the kernel uses it for its own pool).
func Direct() Option { return func(o *options) { o.direct = true } }
