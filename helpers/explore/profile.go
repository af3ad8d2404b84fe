package explore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/cost"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/numfmt"
	"github.com/replicalab/replicalab/internal/provenance"
)

// AnyCost runs an exact count or profile even when the planner estimates
// reading the table above REPLICALAB_MAX_COST, for this call only.
// ExactCount, Profile.
func AnyCost() Option { return func(o *options) { o.anyCost = true } }

// Profiled is an exact profile of a table: every column's count, NULLs,
// distinct values, least and greatest value and quartiles, from reading the
// table once — for a table never analyzed (no pg_stats), or when the
// planner's sample is not enough.
type Profiled struct {
	Table   string // schema.table
	Rows    int64  // exact
	Columns []ColumnProfile
	Cost    float64 // the planner's estimate of the read, asked first
	Elapsed time.Duration
}

// ColumnProfile is one column's exact profile.
type ColumnProfile struct {
	Name, Type string
	Nulls      int64
	Distinct   int64    // distinct non-NULL values; -1 when the type has no ordering (json, point, ...)
	Min, Max   string   // least and greatest value as PostgreSQL writes them (cut at 80 characters); "" when none or no ordering
	Quartiles  []string // 25 %, 50 %, 75 % (percentile_cont) of numbers, dates and times; nil for other types
	Masked     bool     // a personal column: min, max and quartiles are not shown (ShowPersonal shows them)
}

// Profile reads table once and returns the exact profile of each column:
// count, NULLs, distinct values, min and max (for types that have an
// order), quartiles (numbers, dates, timestamps; NaN left out). It runs in
// a read-only transaction with its own statement timeout (Timeout, default
// 1 minute), after the cost preview: the planner is asked what reading the
// table costs, and above REPLICALAB_MAX_COST the profile is not run unless
// AnyCost. Values of personal-looking columns are masked (ShowPersonal,
// Personal). Options: Timeout, AnyCost, ShowPersonal, Personal.
func Profile(ctx context.Context, q Querier, table string, opts ...Option) (*Profiled, error) {
	o := collect(opts)
	if o.timeout <= 0 {
		o.timeout = time.Minute
	}
	personal := o.personal
	if personal == nil {
		personal = DefaultPersonal
	}
	limits, err := costLimits()
	if err != nil {
		return nil, err
	}
	p := &Profiled{}
	err = readOnly(ctx, q, o.timeout, func(tx pgx.Tx) error {
		var schema, name string
		var oid uint32
		err := tx.QueryRow(ctx, `SELECT c.oid, n.nspname, c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
			WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p', 'm', 'f', 'v')`, table).Scan(&oid, &schema, &name)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: expected a table or view named %q, found none", ErrNoTable, table)
		}
		if err != nil {
			return fmt.Errorf("explore: looking up table %q: %w", table, err)
		}
		p.Table = schema + "." + name
		cols, err := profileColumns(ctx, tx, oid)
		if err != nil {
			return fmt.Errorf("explore: reading the columns of %s: %w", p.Table, err)
		}
		sql := profileSQL(qualified(schema, name), cols)
		plan, err := explainRead(ctx, tx, sql, limits, o)
		if err != nil {
			return fmt.Errorf("explore: profiling %s: %w", p.Table, err)
		}
		p.Cost = plan.Cost
		start := time.Now()
		vals := make([]any, 0, 1+6*len(cols))
		vals = append(vals, &p.Rows)
		outs := make([]profileOut, len(cols))
		for i := range cols {
			vals = append(vals, outs[i].targets(cols[i])...)
		}
		if err := tx.QueryRow(ctx, sql).Scan(vals...); err != nil {
			return fmt.Errorf("explore: profiling %s (statement timeout %s): %w", p.Table, o.timeout, err)
		}
		p.Elapsed = time.Since(start)
		for i, c := range cols {
			cp := ColumnProfile{Name: c.name, Type: c.typ, Nulls: p.Rows - outs[i].count, Distinct: -1}
			if c.distinct {
				cp.Distinct = outs[i].distinct
			}
			if outs[i].min != nil {
				cp.Min, cp.Max = *outs[i].min, *outs[i].max
			}
			for _, q := range outs[i].quart {
				if q != nil {
					cp.Quartiles = append(cp.Quartiles, *q)
				}
			}
			if personal.MatchString(c.name) && !o.showPersonal && (cp.Min != "" || len(cp.Quartiles) > 0) {
				cp.Masked, cp.Min, cp.Max, cp.Quartiles = true, "•••", "•••", nil
			}
			p.Columns = append(p.Columns, cp)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ShowProfile is [Profile] for a notebook cell: on the notebook's
// connection, shown at once; an error is shown and stops the cell.
//
//	%%
//	explore.ShowProfile("audit_log")
func ShowProfile(table string, opts ...Option) *Profiled {
	p, err := Profile(context.Background(), replica.Default(), table, opts...)
	if err != nil {
		display.Stop(err)
	}
	p.Show()
	return p
}

// previewRead asks the planner what sql (a read of a whole table) costs, on the transaction that
// will run it, and refuses it above REPLICALAB_MAX_COST unless AnyCost.
func previewRead(ctx context.Context, tx pgx.Tx, sql string, o options) error {
	limits, err := costLimits()
	if err != nil {
		return err
	}
	_, err = explainRead(ctx, tx, sql, limits, o)
	return err
}

func explainRead(ctx context.Context, tx pgx.Tx, sql string, limits cost.Limits, o options) (*cost.Plan, error) {
	plan, err := cost.Explain(ctx, tx, sql, nil)
	if err != nil {
		return nil, err
	}
	if !o.anyCost {
		// One row comes back: only the cost of reading counts.
		if err := plan.Check(cost.Limits{MaxCost: limits.MaxCost}, "explore.AnyCost()"); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// costLimits reads REPLICALAB_MAX_COST and REPLICALAB_MAX_ROWS.
func costLimits() (cost.Limits, error) {
	cfg, err := config.Load()
	if err != nil {
		return cost.Limits{}, fmt.Errorf("explore: reading settings: %w", err)
	}
	l, err := cost.Load(cfg)
	if err != nil {
		return l, fmt.Errorf("explore: %w", err)
	}
	return l, nil
}

// profileColumn is what the profile computes for one column.
type profileColumn struct {
	name, typ string
	distinct  bool   // the type has an ordering: count(DISTINCT), min, max
	minmax    string // "min", "bool" (bool_and/bool_or) or "" (no min/max aggregate: uuid, jsonb, ...)
	quartiles string // "number", "timestamptz", "timestamp", "date" or ""
}

func profileColumns(ctx context.Context, tx pgx.Tx, oid uint32) ([]profileColumn, error) {
	rows, err := tx.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), bt.typcategory::text, bt.typname::text,
	EXISTS (SELECT 1 FROM pg_opclass AS oc JOIN pg_am AS am ON am.oid = oc.opcmethod
		WHERE am.amname = 'btree' AND oc.opcdefault AND (oc.opcintype = bt.oid
			OR (oc.opcintype = 'anyarray'::regtype AND bt.typcategory = 'A')
			OR (oc.opcintype = 'anyenum'::regtype AND bt.typtype = 'e')
			OR (oc.opcintype = 'text'::regtype AND bt.typcategory = 'S'))) AS ordered,
	bt.typcategory IN ('S', 'A') OR bt.typtype = 'e' OR to_regprocedure('pg_catalog.min(' || format_type(bt.oid, NULL) || ')') IS NOT NULL AS has_min
FROM pg_attribute AS a
JOIN pg_type AS t ON t.oid = a.atttypid
JOIN pg_type AS bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, oid)
	if err != nil {
		return nil, err
	}
	var cols []profileColumn
	var c profileColumn
	var cat, typname string
	var ordered, hasMin bool
	_, err = pgx.ForEachRow(rows, []any{&c.name, &c.typ, &cat, &typname, &ordered, &hasMin}, func() error {
		col := profileColumn{name: c.name, typ: c.typ, distinct: ordered}
		switch {
		case typname == "bool":
			col.minmax = "bool"
		case ordered && hasMin:
			col.minmax = "min"
		}
		switch {
		case cat == "N" && typname != "money":
			col.quartiles = "number"
		case typname == "timestamptz" || typname == "timestamp" || typname == "date":
			col.quartiles = typname
		}
		cols = append(cols, col)
		return nil
	})
	return cols, err
}

// profileSQL is the one statement that profiles every column of table.
func profileSQL(table string, cols []profileColumn) string {
	var b strings.Builder
	b.WriteString("SELECT count(*)")
	for _, c := range cols {
		v := quoteIdent(c.name)
		fmt.Fprintf(&b, ",\n  count(%s)", v)
		if c.distinct {
			fmt.Fprintf(&b, ", count(DISTINCT %s)", v)
		}
		switch c.minmax {
		case "min":
			fmt.Fprintf(&b, ", left(min(%[1]s)::text, 80), left(max(%[1]s)::text, 80)", v)
		case "bool":
			fmt.Fprintf(&b, ", bool_and(%[1]s)::text, bool_or(%[1]s)::text", v)
		}
		switch c.quartiles {
		case "number":
			fmt.Fprintf(&b, ", (percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY %[1]s::float8) FILTER (WHERE %[1]s::float8 <> 'NaN'))::text[]", v)
		case "timestamptz", "timestamp", "date":
			// Seconds since 1970 (a timestamp's and a date's read as UTC), back to the column's type.
			back := map[string]string{"timestamptz": "to_timestamp(x)", "timestamp": "(to_timestamp(x) AT TIME ZONE 'UTC')",
				"date": "(to_timestamp(x) AT TIME ZONE 'UTC')::date"}[c.quartiles]
			fmt.Fprintf(&b, ", (SELECT array_agg(%[2]s::text) FROM unnest(percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP "+
				"(ORDER BY extract(epoch FROM %[1]s)::float8) FILTER (WHERE isfinite(%[1]s))) AS x)", v, back)
		}
	}
	b.WriteString("\nFROM " + table)
	return b.String()
}

// profileOut receives one column's results.
type profileOut struct {
	count, distinct int64
	min, max        *string
	quart           []*string
}

func (o *profileOut) targets(c profileColumn) []any {
	t := []any{&o.count}
	if c.distinct {
		t = append(t, &o.distinct)
	}
	if c.minmax != "" {
		t = append(t, &o.min, &o.max)
	}
	if c.quartiles != "" {
		t = append(t, &o.quart)
	}
	return t
}

// Show displays the profile (a table in a notebook, text elsewhere).
func (p *Profiled) Show() { show(p.HTML(), p.String()) }

func (p *Profiled) caption() string {
	return fmt.Sprintf("%s: %s rows, exact profile from reading the table once (%.1f s, planner cost %s)",
		p.Table, numfmt.Int(p.Rows), p.Elapsed.Seconds(), numfmt.Approx(p.Cost))
}

func (c ColumnProfile) cells() []string {
	d := "n/a"
	if c.Distinct >= 0 {
		d = numfmt.Int(c.Distinct)
	}
	q := strings.Join(c.Quartiles, " · ")
	if c.Masked {
		q = "masked: personal column"
	}
	return []string{c.Name, c.Type, numfmt.Int(c.Nulls), d, c.Min, c.Max, q}
}

var profileHeads = []string{"column", "type", "nulls", "distinct", "min", "max", "quartiles (25 · 50 · 75 %)"}

// HTML renders the profile as a table; every value is escaped.
func (p *Profiled) HTML() string {
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="replicalab-profile" %s><p><small>%s</small></p><table><thead><tr>`, provenance.ExploreAttrs("profile"), esc(p.caption()))
	for _, h := range profileHeads {
		fmt.Fprintf(&b, "<th>%s</th>", esc(h))
	}
	b.WriteString("</tr></thead><tbody>\n")
	for _, c := range p.Columns {
		b.WriteString("<tr>")
		for i, v := range c.cells() {
			if i == 0 {
				fmt.Fprintf(&b, "<td><b>%s</b></td>", esc(v))
				continue
			}
			fmt.Fprintf(&b, "<td>%s</td>", esc(v))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody></table></div>")
	return b.String()
}

// String is the caption and the table as aligned text.
func (p *Profiled) String() string {
	rows := [][]string{profileHeads}
	for _, c := range p.Columns {
		rows = append(rows, c.cells())
	}
	return p.caption() + "\n" + textGrid(rows, 2, 3)
}
