package explore

import (
	"regexp"
	"time"

	"github.com/replicalab/replicalab/internal/option"
)

// An Option adjusts one explore call. Each says which calls it applies to; the others ignore it.
//
//	ov, err := explore.Tables(ctx, db, explore.Schemas("sales"), explore.Views())
type Option func(*options)

type options struct {
	schemas      []string
	views        bool
	timeout      time.Duration
	showPersonal bool
	personal     *regexp.Regexp
	rows         int
	schema       string
	around       string
	hops         int
	inferred     bool
	initial      string
	connect      time.Duration
	big          int64
	layout       time.Duration
	anyCost      bool
}

func collect(opts []Option) options { return option.Collect[options](opts) }

// Schemas limits the overview (and the picker's list) to these schemas; by default every schema
// but pg_catalog, information_schema and pg_toast. Tables, Pick.
func Schemas(names ...string) Option {
	return func(o *options) { o.schemas = append(o.schemas, names...) }
}

// Views also lists plain views (without sizes or estimates). Tables, Pick.
func Views() Option { return func(o *options) { o.views = true } }

// Timeout sets the statement timeout of the catalog reads (default DefaultTimeout) or of an
// exact count (default 1 minute). Every call.
func Timeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// ShowPersonal shows the values of columns whose names look personal: the most common values and
// histogram bounds of Describe, the sample's values. By default they are masked: pg_stats and
// samples hold raw values (real e-mails, names). Describe, Sample, Pick.
func ShowPersonal() Option { return func(o *options) { o.showPersonal = true } }

// Personal replaces the pattern of personal column names (DefaultPersonal). Describe, Sample, Pick.
func Personal(pattern *regexp.Regexp) Option { return func(o *options) { o.personal = pattern } }

// Rows caps a sample (default 20). Sample.
func Rows(n int) Option { return func(o *options) { o.rows = n } }

// Schema limits the diagram to one schema (default: every non-system schema). Relationships.
func Schema(name string) Option { return func(o *options) { o.schema = name } }

// Around keeps only the tables within hops links (default 1) of table ("orders" or
// "public.orders"), in either direction. Relationships.
func Around(table string, hops int) Option {
	return func(o *options) { o.around, o.hops = table, hops }
}

// Inferred adds dashed links for "<name>_id" columns without a foreign key whose name matches a
// table (name, names, nam+es, nam+ies) with a one-column primary key. Relationships.
func Inferred() Option { return func(o *options) { o.inferred = true } }

// Initial is the table the picker shows first (default: the first one listed). Pick.
func Initial(table string) Option { return func(o *options) { o.initial = table } }

// Connect is how long the picker waits for the browser to answer before concluding that nobody is
// looking (a headless run): it then leaves the initial detail and returns. Default 10 s. Pick.
func Connect(d time.Duration) Option { return func(o *options) { o.connect = d } }

// Big is the estimated row count above which an exact count carries a warning (default
// 1,000,000). ExactCount.
func Big(rows int64) Option { return func(o *options) { o.big = rows } }

// LayoutTime is how long Graphviz may take to lay a diagram out — for a schema map, all its groups
// together — before the built-in layout is drawn instead, and said (default DefaultLayoutTime).
// Relationships, ShowDiagram.
func LayoutTime(d time.Duration) Option { return func(o *options) { o.layout = d } }
