package explore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/numfmt"
	"github.com/replicalab/replicalab/internal/provenance"
)

// Table is one row of the overview: a table, partitioned table, materialized view or foreign
// table, as the catalog describes it. Nothing here comes from reading the table itself.
type Table struct {
	Schema, Name string
	Kind         string // "table", "partitioned table", "materialized view", "foreign table", "view"
	// Estimate is pg_class.reltuples rounded: the planner's estimate of the row count, kept up to
	// date by ANALYZE and VACUUM. It is -1 when the table was never analyzed ([Table.Analyzed]
	// false): unknown, not zero.
	Estimate int64
	Analyzed bool  // reltuples >= 0
	Bytes    int64 // pg_total_relation_size: table, indexes and TOAST on disk
	// Last analyze and vacuum (manual or automatic, the later one), from pg_stat_user_tables. These
	// statistics belong to each server: on a replica they are zero unless something ran there, so
	// StatsLocal says whether the server is a replica (the times are then unknown, not "never").
	LastAnalyze, LastVacuum time.Time
	StatsLocal              bool
	Comment                 string
	Readable                bool // the login has SELECT on it
}

// String is "public.orders".
func (t Table) String() string { return t.Schema + "." + t.Name }

// Overview lists the tables of the database, from the catalog only.
type Overview struct {
	Tables    []Table
	InReplica bool // the server is in recovery (a replica)
}

const overviewSQL = `
SELECT n.nspname, c.relname,
       CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'm' THEN 'materialized view'
                      WHEN 'f' THEN 'foreign table' ELSE 'view' END,
       c.reltuples::float8,
       CASE WHEN c.relkind IN ('r', 'p', 'm') THEN pg_total_relation_size(c.oid) ELSE -1 END,
       greatest(s.last_analyze, s.last_autoanalyze), greatest(s.last_vacuum, s.last_autovacuum),
       coalesce(obj_description(c.oid, 'pg_class'), ''),
       has_table_privilege(c.oid, 'SELECT'),
       pg_is_in_recovery()
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_all_tables AS s ON s.relid = c.oid
WHERE c.relkind = ANY($1)
  AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
  AND (cardinality($2::text[]) = 0 OR n.nspname = ANY($2))
ORDER BY n.nspname, c.relname`

// Tables reads the overview: one catalog query, no table scanned. Options: Schemas, Views,
// Timeout.
func Tables(ctx context.Context, q Querier, opts ...Option) (*Overview, error) {
	return tables(ctx, q, collect(opts))
}

// ShowTables is [Tables] for a notebook cell: on the notebook's connection, shown at once; an
// error is shown and stops the cell.
//
//	%%
//	explore.ShowTables()
func ShowTables(opts ...Option) *Overview {
	ov, err := Tables(context.Background(), replica.Default(), opts...)
	if err != nil {
		display.Stop(err)
	}
	ov.Show()
	return ov
}

func tables(ctx context.Context, q Querier, o options) (*Overview, error) {
	kinds := []string{"r", "p", "m", "f"}
	if o.views {
		kinds = append(kinds, "v")
	}
	schemas := o.schemas
	if schemas == nil {
		schemas = []string{}
	}
	ov := &Overview{}
	err := readOnly(ctx, q, o.timeout, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, overviewSQL, kinds, schemas)
		if err != nil {
			return fmt.Errorf("explore: listing tables: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var t Table
			var est float64
			var an, vac *time.Time
			if err := rows.Scan(&t.Schema, &t.Name, &t.Kind, &est, &t.Bytes, &an, &vac, &t.Comment, &t.Readable, &ov.InReplica); err != nil {
				return fmt.Errorf("explore: reading the table list: %w", err)
			}
			t.Analyzed = est >= 0
			t.Estimate = int64(est + 0.5)
			if !t.Analyzed {
				t.Estimate = -1
			}
			if an != nil {
				t.LastAnalyze = *an
			}
			if vac != nil {
				t.LastVacuum = *vac
			}
			t.StatsLocal = ov.InReplica
			ov.Tables = append(ov.Tables, t)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("explore: listing tables: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ov, nil
}

// Find returns the table named "schema.table" or "table" (first schema in order), and whether
// it is there.
func (ov *Overview) Find(name string) (Table, bool) {
	schema, table, ok := strings.Cut(name, ".")
	if !ok {
		schema, table = "", name
	}
	for _, t := range ov.Tables {
		if t.Name == table && (schema == "" || t.Schema == schema) {
			return t, true
		}
	}
	return Table{}, false
}

// EstimateText says what is known of the row count: "≈ 50,000 (estimate)", "never analyzed
// (row count unknown)", or for a partitioned table "see its partitions".
func (t Table) EstimateText() string {
	switch {
	case t.Kind == "view" || t.Kind == "foreign table":
		return "n/a"
	case t.Kind == "partitioned table" && !t.Analyzed:
		return "partitioned (estimate per partition)"
	case !t.Analyzed:
		return "never analyzed (row count unknown)"
	default:
		return "≈ " + numfmt.Int(t.Estimate) + " (estimate)"
	}
}

func timeText(t time.Time, local bool) (text, sortKey string) {
	if t.IsZero() {
		if local {
			return "unknown on a replica", "0"
		}
		return "never", "0"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC"), fmt.Sprint(t.Unix())
}

// sortScript makes a table's headers sort it by click, using each cell's data-v (numbers sort as
// numbers). Self-contained: no global function, no id.
const sortScript = `var t=this.closest('table'),b=t.tBodies[0],i=this.cellIndex,d=this.dataset.dir==='a'?'d':'a';this.dataset.dir=d;` +
	`var r=Array.from(b.rows);r.sort(function(x,y){var p=x.cells[i].dataset.v,q=y.cells[i].dataset.v,m=parseFloat(p),n=parseFloat(q);` +
	`var c=(!isNaN(m)&&!isNaN(n)&&String(m)===p&&String(n)===q)?m-n:p.localeCompare(q);return d==='a'?c:-c});r.forEach(function(e){b.appendChild(e)})`

// filterScript shows only the overview's rows holding what the filter box holds (any case), and says how
// many.
const filterScript = `var q=this.value.trim().toLowerCase(),t=this.closest('.replicalab-overview').querySelector('tbody'),n=0;` +
	`Array.from(t.rows).forEach(function(r){var s=r.textContent.toLowerCase().indexOf(q)>=0;r.style.display=s?'':'none';if(s)n++});` +
	`this.nextElementSibling.textContent=q?(n+' of '+t.rows.length+' shown'):''`

// HTML renders the overview as a table sortable by clicking its headers, with a box that filters its
// rows. Every value is
// HTML-escaped.
func (ov *Overview) HTML() string {
	var b strings.Builder
	total, never := int64(0), 0
	for _, t := range ov.Tables {
		if t.Bytes > 0 {
			total += t.Bytes
		}
		if !t.Analyzed && t.Kind == "table" {
			never++
		}
	}
	// Marked as exploration (reports move it to their appendix); the hints for the analyst are marked
	// notebook-only (reports leave them out).
	fmt.Fprintf(&b, `<div class="replicalab-overview" `+provenance.ExploreAttrs("overview")+`><p><b>%s</b>, %s on disk. Row counts are planner estimates `+
		`(pg_class.reltuples), not counts<span `+provenance.NotebookOnly+`>; use explore.ExactCount for an exact count</span>.`, numfmt.Count(len(ov.Tables), "table", "tables"), numfmt.Bytes(total))
	if never > 0 {
		fmt.Fprintf(&b, ` %d never analyzed: their row count is unknown, not zero.`, never)
	}
	if ov.InReplica {
		b.WriteString(` Last analyze/vacuum times are kept per server, so on this replica they are unknown (ask the primary's owners).`)
	}
	b.WriteString(`<span ` + provenance.NotebookOnly + `> Click a header to sort.</span></p>` + "\n")
	// A filter box over the rows (a notebook's: reports leave it out).
	fmt.Fprintf(&b, `<p %s><input type="search" placeholder="filter: part of a name or comment" aria-label="filter the tables" `+
		`style="font:inherit;padding:2px 6px;width:min(24em,100%%)" oninput="%s"> <small></small></p>`+"\n", provenance.NotebookOnly, esc(filterScript))
	b.WriteString(`<table class="replicalab-sortable"><thead><tr>`)
	for _, h := range []string{"schema", "table", "kind", "rows (estimate)", "size", "last analyze", "last vacuum", "comment"} {
		fmt.Fprintf(&b, `<th style="cursor:pointer" title="sort" onclick="%s">%s</th>`, esc(sortScript), esc(h))
	}
	b.WriteString("</tr></thead><tbody>\n")
	for _, t := range ov.Tables {
		an, ank := timeText(t.LastAnalyze, t.StatsLocal)
		va, vak := timeText(t.LastVacuum, t.StatsLocal)
		name := esc(t.Name)
		if !t.Readable {
			name += ` <small>(no SELECT)</small>`
		}
		fmt.Fprintf(&b, `<tr><td data-v="%s">%s</td><td data-v="%s">%s</td><td data-v="%s">%s</td>`,
			esc(t.Schema), esc(t.Schema), esc(t.Name), name, esc(t.Kind), esc(t.Kind))
		fmt.Fprintf(&b, `<td data-v="%d" style="text-align:right">%s</td><td data-v="%d" style="text-align:right">%s</td>`,
			t.Estimate, esc(t.EstimateText()), t.Bytes, esc(numfmt.Bytes(t.Bytes)))
		fmt.Fprintf(&b, `<td data-v="%s">%s</td><td data-v="%s">%s</td><td data-v="%s">%s</td></tr>`+"\n",
			ank, esc(an), vak, esc(va), esc(t.Comment), esc(t.Comment))
	}
	b.WriteString("</tbody></table></div>")
	return b.String()
}

// Show displays the overview: a sortable table in a notebook, text elsewhere.
func (ov *Overview) Show() { show(ov.HTML(), ov.String()) }

// String renders the overview as aligned text: schema.table, kind, estimated rows, size.
func (ov *Overview) String() string {
	grid := [][]string{{"table", "kind", "rows", "size"}}
	for _, t := range ov.Tables {
		grid = append(grid, []string{t.String(), t.Kind, t.EstimateText(), numfmt.Bytes(t.Bytes)})
	}
	return numfmt.Count(len(ov.Tables), "table", "tables") + "\n" + textGrid(grid, 2, 3)
}
