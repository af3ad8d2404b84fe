package frame

import (
	"github.com/go-gota/gota/dataframe"

	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/provenance"
)

// Where a Result's rows came from travels with them (internal/provenance): the DataFrame of every load
// carries its lineage — the SQL as sent, its arguments, rows, fetch time, lag, cache and truncation — so
// that a chart drawn from it records its query, and the table it shows carries the same record for
// exported reports (make report VERIFY=1 runs the query again from it).

// remember attaches the lineage of a load to its DataFrame.
func remember(r *Result, q Querier, args []any) {
	r.args = args
	if iq, ok := q.(interface{ Info() replica.Info }); ok {
		info := iq.Info()
		r.primary = info.ServerVersion != "" && !info.InRecovery
	}
	provenance.AttachFrame(r.DataFrame, r.lineage(), r.oids())
}

// lineage says where the rows came from.
func (r *Result) lineage() provenance.Lineage {
	l := provenance.NewLineage(r.SQL, r.args, r.Rows, provenance.Read{At: r.FetchedAt, Lag: r.Lag, LagKnown: r.LagKnown, Primary: r.primary})
	l.Cached = r.Source == FromCache
	l.Truncated, l.Limit = r.Truncated, r.Limit
	l.Engine = r.engine
	l.Sample, l.Of, l.OfExact, l.Ordered = r.Sample, r.Of, r.OfExact, r.Ordered
	return l
}

// oids are the PostgreSQL types of the columns, in the DataFrame's order.
func (r *Result) oids() []uint32 {
	out := make([]uint32, len(r.Columns))
	for i, c := range r.Columns {
		out[i] = c.OID
	}
	return out
}

// withRecord wraps a table shown from df in an element carrying df's lineage, when helpers/frame loaded
// df (a DataFrame made or derived in Go has none).
func withRecord(df dataframe.DataFrame, table string) string {
	l, ok := provenance.FrameLineage(df)
	if !ok {
		return table
	}
	return `<div ` + provenance.TableAttrs(provenance.Record{Sources: []provenance.Lineage{l}}) + `>` + table + `</div>`
}
