package spark

import (
	"context"
	"fmt"
	"html"
	"strings"
	"sync"

	"github.com/apache/spark-connect-go/spark/sql"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/internal/display"
)

// The notebook style: no context, no session, no error plumbing in a cell. These functions use the
// notebook's session (Default) and, on error, show the message and stop the cell. Every cell is a new
// program, so a cell registers the views it uses; SQL then answers from the cache when it can, without
// touching Spark or the replicas.
//
//	%%
//	spark.Table("events", spark.Partitions(8))
//	daily := spark.SQL(`SELECT date_trunc('DAY', occurred_at) AS day, kind, count(*) AS n FROM events GROUP BY 1, 2`)
//	daily.Show()

var def struct {
	once sync.Once
	s    *Session
	err  error
}

// Default is the notebook's session, made on first use from the settings (environment, then .env): the
// replicas of DATABASE_URL, RDS_* or PG*, and SPARK_REMOTE or else the local Spark server (started if it
// does not run). Making it does no I/O.
func Default() *Session {
	def.once.Do(func() { def.s, def.err = Open(context.Background()) })
	if def.err != nil {
		display.Stop(def.err)
	}
	return def.s
}

// Table registers the replica table name as a view of the notebook's session (see Session.Table). It
// does no I/O; a bad name or option stops the cell.
func Table(name string, opts ...Option) {
	if err := Default().Table(name, opts...); err != nil {
		display.Stop(err)
	}
}

// QueryView registers a replica query as the view name of the notebook's session (see
// Session.QueryView).
func QueryView(name, query string, opts ...Option) {
	if err := Default().QueryView(name, query, opts...); err != nil {
		display.Stop(err)
	}
}

// SQL runs a Spark SQL query over the notebook's views and returns the result like frame.SQL: the
// provenance line, the cache (a cached result touches neither Spark nor the replicas), frame's types.
// On error it shows the message and stops the cell.
func SQL(query string, opts ...Option) *frame.Result {
	r, err := Default().Load(context.Background(), query, opts...)
	if err != nil {
		display.Stop(err)
	}
	return r
}

// View returns the notebook's view name as a Spark DataFrame, for the DataFrame API; Collect brings the
// result back.
func View(name string) sql.DataFrame {
	df, err := Default().View(context.Background(), name)
	if err != nil {
		display.Stop(err)
	}
	return df
}

// Query returns a Spark SQL query over the notebook's views as a Spark DataFrame (nothing runs yet).
func Query(query string) sql.DataFrame {
	df, err := Default().Query(context.Background(), query)
	if err != nil {
		display.Stop(err)
	}
	return df
}

// Collect brings a Spark DataFrame's rows back as a frame Result, cached like SQL.
func Collect(df sql.DataFrame, opts ...Option) *frame.Result {
	r, err := Default().Collect(context.Background(), df, opts...)
	if err != nil {
		display.Stop(err)
	}
	return r
}

// ShowPlan shows how the notebook's view name is read: partitions, key, bounds, and each replica's
// share (a few catalog queries on the replica; nothing runs on Spark).
func ShowPlan(name string) {
	p, err := Default().Plan(context.Background(), name)
	if err != nil {
		display.Stop(err)
	}
	display.Show(display.Output{Kind: display.Result, Text: name + ": " + p,
		HTML: `<pre class="replicalab-spark-plan">` + html.EscapeString(name+": "+p) + `</pre>`})
}

// Text describes the session: the engine, the replicas, the bound on connections, the views and how
// each is read when known. It does no I/O.
func (s *Session) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s reading %s, at most %d connection(s) at once per replica", s.Engine(), s.Target(), s.maxConns)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.replicas {
		fmt.Fprintf(&b, "\n  replica %s", r)
	}
	for _, v := range s.views {
		what := v.Table
		if what == "" {
			what = "query"
		}
		how := "not read yet"
		if v.readFrom != "" {
			how = v.readFrom
		}
		fmt.Fprintf(&b, "\n  view %s (%s): %s", v.Name, what, how)
	}
	return b.String()
}

// HTML is Text as HTML.
func (s *Session) HTML() string {
	return `<pre class="replicalab-spark">` + html.EscapeString(s.Text()) + `</pre>`
}

// Show displays the session (Text): HTML in a notebook, text elsewhere.
func (s *Session) Show() {
	display.Show(display.Output{Kind: display.Result, Text: s.Text(), HTML: s.HTML()})
}
