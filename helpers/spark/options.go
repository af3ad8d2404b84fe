package spark

import (
	"time"

	"github.com/replicalab/replicalab/helpers/config"
)

// Configuration keys read by this package (environment, then .env), besides the replica's own
// (DATABASE_URL, RDS_*, PG*, REPLICALAB_STATEMENT_TIMEOUT, ...: see helpers/replica).
const (
	// KeyRemote names a Spark Connect server, e.g. sc://spark-host:15002 or
	// sc://spark-host:443/;use_ssl=true;token=... Unset: the local server (make spark).
	KeyRemote = "SPARK_REMOTE"
	// KeyMaxConns bounds the connections one read of a view opens at once on each replica.
	KeyMaxConns = "REPLICALAB_SPARK_MAX_CONNS"
	// KeyDir is the local server's folder (default <repo>/data/spark).
	KeyDir = "REPLICALAB_SPARK_DIR"
	// KeySnapshotDir is where snapshots are written: a folder the Spark server can write and read
	// (default <repo>/data/spark/snapshots with the local server; required with SPARK_REMOTE, e.g.
	// s3a://bucket/replicalab or hdfs:///user/me/replicalab).
	KeySnapshotDir = "REPLICALAB_SPARK_SNAPSHOT_DIR"
)

// DefaultMaxConns is the default of REPLICALAB_SPARK_MAX_CONNS: a read of a view opens at most this
// many connections at once on each replica, however many partitions it has.
const DefaultMaxConns = 2

// Option adjusts [Open], a view ([Session.Table], [Session.QueryView]) or a load ([Session.Load],
// [Session.Collect]). Each option says where it applies; elsewhere it is ignored.
type Option func(*options)

type options struct {
	// Open
	cfg      *config.Config
	remote   *string
	maxConns int
	quiet    bool
	noStart  bool

	// views
	key        string
	partitions int
	lo, hi     any
	boundsOf   string
	snapshot   bool

	// loads
	refresh  bool
	noCache  bool
	ttl      *time.Duration
	limit    *int
	cacheDir string
}

func collect(opts []Option) options {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// WithConfig reads every setting from cfg instead of the environment and .env (Open).
func WithConfig(cfg *config.Config) Option { return func(o *options) { o.cfg = cfg } }

// Remote connects to the Spark Connect server at url (sc://host:port[/;token=...;use_ssl=true]) instead
// of SPARK_REMOTE or the local server (Open). Remote("") forces the local server.
func Remote(url string) Option { return func(o *options) { o.remote = &url } }

// MaxConns bounds the connections a read opens at once on each replica (Open; default
// REPLICALAB_SPARK_MAX_CONNS, else 2).
func MaxConns(n int) Option { return func(o *options) { o.maxConns = n } }

// NoStart makes Open fail rather than start the local server when it is not running (Open).
func NoStart() Option { return func(o *options) { o.noStart = true } }

// Quiet displays nothing: no banner, no provenance line, no warning (Open, Load, Collect).
func Quiet() Option { return func(o *options) { o.quiet = true } }

// Key partitions a view's reads on column, an integer, date or timestamp column (views). For a table
// the default is its primary key when that is one such column.
func Key(column string) Option { return func(o *options) { o.key = column } }

// Partitions splits a view's reads into n ranges of the key, spread over the replicas in contiguous
// blocks (views; default: REPLICALAB_SPARK_MAX_CONNS per replica). At most MaxConns of them are read at
// once on each replica; Partitions(1) reads with one connection and needs no key.
func Partitions(n int) Option { return func(o *options) { o.partitions = n } }

// Bounds gives the key's range for partitioning: lo and hi are ints, floats, time.Time or strings
// PostgreSQL reads as the key's type (views). Rows outside still get read (by the first and last
// partitions); the bounds only decide where partitions split. Without Bounds, a table's bounds come
// from its index on the key (min and max: two index lookups) or from pg_stats, never from a scan.
func Bounds(lo, hi any) Option { return func(o *options) { o.lo, o.hi = lo, hi } }

// BoundsOf takes a query view's key bounds from the same column of table (schema-qualified or not)
// the way a table's are found (views).
func BoundsOf(table string) Option { return func(o *options) { o.boundsOf = table } }

// Snapshot backs a view with a Parquet snapshot (views): the first use reads the replica once and
// writes the rows under REPLICALAB_SPARK_SNAPSHOT_DIR; every later use, in this program or the next,
// reads the snapshot and not the replica. Refresh (on a load) or changing the view's definition takes a
// new snapshot.
func Snapshot() Option { return func(o *options) { o.snapshot = true } }

// Refresh runs the load on Spark even when the cache holds a fresh result, and takes new snapshots of
// the views it uses (Load, Collect).
func Refresh() Option { return func(o *options) { o.refresh = true } }

// NoCache neither reads nor writes the result cache (Load, Collect).
func NoCache() Option { return func(o *options) { o.noCache = true } }

// TTL sets how long a cached result is used (Load, Collect; default REPLICALAB_CACHE_TTL, else 1h).
func TTL(d time.Duration) Option { return func(o *options) { o.ttl = &d } }

// Limit caps the rows brought back into the notebook (Load, Collect; default REPLICALAB_ROW_LIMIT,
// else 1,000,000): Spark computes the whole result, the notebook keeps the first rows and says so.
func Limit(rows int) Option { return func(o *options) { o.limit = &rows } }

// CacheDir keeps cached results in dir (Load, Collect; default as helpers/frame).
func CacheDir(dir string) Option { return func(o *options) { o.cacheDir = dir } }
