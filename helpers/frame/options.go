package frame

import (
	"fmt"
	"math"
	"time"

	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/internal/cost"
	"github.com/replicalab/replicalab/internal/option"
)

// Defaults, each overridable by a REPLICALAB_* setting (environment, then
// .env) and per query by an [Option].
const (
	DefaultRowLimit      = 1_000_000       // REPLICALAB_ROW_LIMIT
	DefaultCacheTTL      = time.Hour       // REPLICALAB_CACHE_TTL
	DefaultProgressAfter = 1 * time.Second // progress bar for loads slower than this
	progressEvery        = 250 * time.Millisecond
)

// An Option adjusts one call of [Load], [SQL], [Sample] or [Named]:
//
//	res, err := frame.Load(ctx, db, "SELECT * FROM orders WHERE status = $1", frame.Args("paid"), frame.Refresh())
//
// Options are not part of the cache key; the query's parameters ([Args]) are.
type Option func(*options)

type options struct {
	args          []any
	refresh       bool
	noCache       bool
	ttl           *time.Duration
	limit         *int
	quiet         bool
	cacheDir      string
	progressAfter *time.Duration
	cfg           *config.Config
	bernoulli     bool
	seed          *int64
	maxRows       int
	sampled       bool   // Sampled
	sampleLabel   string // how Sample's TABLESAMPLE picks rows, in words
	anyCost       bool
}

func collect(opts []Option) options { return option.Collect[options](opts) }

// Args passes the values of the query's $1, $2, ... placeholders. They are
// sent to the server as parameters (never spliced into the SQL text) and are
// part of the cache key. Several Args append.
func Args(values ...any) Option { return func(o *options) { o.args = append(o.args, values...) } }

// Refresh fetches from the database even when the cache holds a fresh
// result, and caches the new result.
func Refresh() Option { return func(o *options) { o.refresh = true } }

// NoCache neither reads nor writes the cache.
func NoCache() Option { return func(o *options) { o.noCache = true } }

// TTL sets how long a cached result is used before it is fetched again
// (default REPLICALAB_CACHE_TTL, else one hour). Zero or less disables the
// cache, like [NoCache].
func TTL(d time.Duration) Option { return func(o *options) { o.ttl = &d } }

// Limit sets the maximum number of rows kept (default REPLICALAB_ROW_LIMIT,
// else 1,000,000); a result with more rows is truncated, and says so. Zero
// or less means no limit.
func Limit(rows int) Option { return func(o *options) { o.limit = &rows } }

// Quiet displays nothing: no progress, no provenance line, no warning (they
// are still in the [Result]).
func Quiet() Option { return func(o *options) { o.quiet = true } }

// CacheDir keeps cached results in dir instead of the default (see the
// package documentation).
func CacheDir(dir string) Option { return func(o *options) { o.cacheDir = dir } }

// ProgressAfter shows the progress bar once a load has taken d (default one
// second); zero shows it from the start.
func ProgressAfter(d time.Duration) Option { return func(o *options) { o.progressAfter = &d } }

// WithConfig reads the REPLICALAB_* settings from cfg instead of loading
// them from the environment and .env.
func WithConfig(cfg *config.Config) Option { return func(o *options) { o.cfg = cfg } }

// Bernoulli makes [Sample] pick each row with the given probability
// (TABLESAMPLE BERNOULLI: reads the whole table, evenly spread) instead of
// whole pages (TABLESAMPLE SYSTEM, the default: reads only the sampled pages,
// faster, clumpier).
func Bernoulli() Option { return func(o *options) { o.bernoulli = true } }

// Seed sets the REPEATABLE seed of [Sample] (default 1): the same seed on the
// same table gives the same sample.
func Seed(seed int64) Option { return func(o *options) { o.seed = &seed } }

// MaxRows sets how many rows the result's table shows (default 20: the first
// and last 10 of longer results).
func MaxRows(n int) Option { return func(o *options) { o.maxRows = n } }

// settings are the options resolved against the configuration.
type settings struct {
	options
	limit         int // 0: none
	ttl           time.Duration
	useCache      bool
	progressAfter time.Duration
	limits        cost.Limits // the cost preview's (REPLICALAB_MAX_COST, REPLICALAB_MAX_ROWS)
}

func (o options) resolve() (settings, error) {
	s := settings{options: o, limit: DefaultRowLimit, ttl: DefaultCacheTTL, progressAfter: DefaultProgressAfter}
	cfg := o.cfg
	if cfg == nil {
		var err error
		if cfg, err = config.Load(); err != nil {
			return s, fmt.Errorf("frame: reading settings: %w", err)
		}
		s.cfg = cfg
	}
	var err error
	if s.limit, err = cfg.IntOr("REPLICALAB_ROW_LIMIT", DefaultRowLimit); err != nil {
		return s, fmt.Errorf("frame: %w", err)
	}
	if s.ttl, err = cfg.DurationOr("REPLICALAB_CACHE_TTL", DefaultCacheTTL); err != nil {
		return s, fmt.Errorf("frame: %w", err)
	}
	if s.limits, err = cost.Load(cfg); err != nil {
		return s, fmt.Errorf("frame: %w", err)
	}
	if s.cacheDir == "" {
		s.cacheDir = cfg.GetOr("REPLICALAB_CACHE_DIR", "")
		if s.cacheDir == "" {
			s.cacheDir = defaultCacheDir()
		}
	}
	if o.limit != nil {
		s.limit = *o.limit
	}
	if s.limit <= 0 {
		s.limit = math.MaxInt
	}
	if o.ttl != nil {
		s.ttl = *o.ttl
	}
	if o.progressAfter != nil {
		s.progressAfter = *o.progressAfter
	}
	s.useCache = !o.noCache && s.ttl > 0 && s.cacheDir != ""
	return s, nil
}
