package explore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/numfmt"
	"github.com/replicalab/replicalab/internal/provenance"
)

// Counted is an exact row count.
type Counted struct {
	Table    string // schema.table
	Rows     int64  // exact, as of the transaction's snapshot
	Estimate int64  // the planner's estimate, -1 when never analyzed
	Elapsed  time.Duration
	Warning  string // set when the table is big (or of unknown size): the count scanned all of it
}

// ExactCount runs count(*) on one table: with Profile, the only explore calls that read a whole
// table, so it runs only when asked, after the cost preview (above REPLICALAB_MAX_COST it is not
// run, unless AnyCost), with its own statement timeout (Timeout, default 1 minute), and warns
// about big tables (Big, default 1,000,000 rows).
func ExactCount(ctx context.Context, q Querier, table string, opts ...Option) (Counted, error) {
	o := collect(opts)
	if o.big <= 0 {
		o.big = 1_000_000
	}
	if o.timeout <= 0 {
		o.timeout = time.Minute
	}
	var c Counted
	err := readOnly(ctx, q, o.timeout, func(tx pgx.Tx) error {
		var schema, name string
		var est float64
		err := tx.QueryRow(ctx, `SELECT n.nspname, c.relname, c.reltuples::float8 FROM pg_class AS c
			JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p', 'm', 'f', 'v')`, table).Scan(&schema, &name, &est)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: expected a table or view named %q, found none", ErrNoTable, table)
		}
		if err != nil {
			return fmt.Errorf("explore: looking up table %q: %w", table, err)
		}
		c.Table, c.Estimate = schema+"."+name, int64(math.Round(est))
		if est < 0 {
			c.Estimate = -1
		}
		count := "SELECT count(*) FROM " + qualified(schema, name)
		if err := previewRead(ctx, tx, count, o); err != nil {
			return fmt.Errorf("explore: counting the rows of %s: %w", c.Table, err)
		}
		start := time.Now()
		if err := tx.QueryRow(ctx, count).Scan(&c.Rows); err != nil {
			return fmt.Errorf("explore: counting the rows of %s (statement timeout %s): %w", c.Table, o.timeout, err)
		}
		c.Elapsed = time.Since(start)
		return nil
	})
	if err != nil {
		return Counted{}, err
	}
	switch {
	case c.Estimate < 0:
		c.Warning = fmt.Sprintf("%s was never analyzed: its size was unknown before this count read all of it", c.Table)
	case c.Estimate >= o.big || c.Rows >= o.big:
		c.Warning = fmt.Sprintf("%s is big (≈ %s rows): this count read the whole table on the replica in %s; prefer the estimate",
			c.Table, numfmt.Int(max(c.Estimate, c.Rows)), c.Elapsed.Round(time.Millisecond))
	}
	return c, nil
}

// ShowCount is [ExactCount] for a notebook cell: on the notebook's connection, shown at once; an
// error is shown and stops the cell.
func ShowCount(table string, opts ...Option) Counted {
	c, err := ExactCount(context.Background(), replica.Default(), table, opts...)
	if err != nil {
		display.Stop(err)
	}
	c.Show()
	return c
}

// Show displays the count: HTML in a notebook, text elsewhere.
func (c Counted) Show() { show(c.HTML(), c.String()) }

// HTML renders the count, and its warning in amber.
func (c Counted) HTML() string {
	lines := strings.SplitN(c.String(), "\n", 2)
	h := `<div ` + provenance.ExploreAttrs("count") + `><p>` + esc(lines[0]) + "</p>"
	if c.Warning != "" {
		h += `<p style="color:#8a6d00">⚠ ` + esc(c.Warning) + "</p>"
	}
	return h + "</div>"
}

// String is "public.orders: 3,000 rows (exact; estimate ≈ 3,000)" plus the warning if any.
func (c Counted) String() string {
	est := "never analyzed"
	if c.Estimate >= 0 {
		est = "estimate ≈ " + numfmt.Int(c.Estimate)
	}
	s := fmt.Sprintf("%s: %s rows (exact; %s)", c.Table, numfmt.Int(c.Rows), est)
	if c.Warning != "" {
		s += "\nwarning: " + c.Warning
	}
	return s
}
