package explore

import (
	"context"
	"fmt"
	"math"

	"github.com/go-gota/gota/series"
	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/provenance"
)

// Sample is a few rows of a table, picked by TABLESAMPLE SYSTEM: a DataFrame with the table's
// column types (times as times, NULL told apart from NaN), personal columns masked.
type Sample struct {
	Table    string        // schema.table
	Fraction float64       // the fraction of the table's pages sampled, 0..1
	Cap      int           // the most rows asked for
	Result   *frame.Result // the rows; Result.DataFrame for gota
	Masked   []string      // columns whose values were replaced by "•••"
}

// SampleRows picks at most Rows (default 20) rows of a table with TABLESAMPLE SYSTEM (whole pages,
// repeatable; helpers/frame's Sample) from a fraction of the table sized from its estimate, so
// that only a few pages are read. Columns whose names look personal are masked unless
// ShowPersonal. Options: Rows, ShowPersonal, Personal, Timeout.
func SampleRows(ctx context.Context, q Querier, table string, opts ...Option) (*Sample, error) {
	o := collect(opts)
	if o.rows <= 0 {
		o.rows = 20
	}
	d, err := describe(ctx, q, table, options{timeout: o.timeout, personal: o.personal})
	if err != nil {
		return nil, err
	}
	// Enough pages for about twice the rows wanted; a table of unknown size is sampled whole,
	// the cap stopping the read early.
	s := &Sample{Table: d.Table.String(), Fraction: 1, Cap: o.rows}
	if d.Table.Estimate > 0 {
		s.Fraction = math.Min(1, math.Max(2*float64(o.rows)/float64(d.Table.Estimate), 1e-6))
	}
	err = readOnly(ctx, q, o.timeout, func(tx pgx.Tx) error {
		// SYSTEM sampling picks whole pages: a small table has so few that a small fraction often
		// picks none. Then ask for ten times more, and finally all pages (the cap still ends the read
		// after o.rows rows, so a big table is never read whole).
		for {
			r, err := frame.Sample(ctx, tx, s.Table, s.Fraction, frame.Limit(o.rows), frame.NoCache(), frame.Quiet())
			if err != nil {
				return fmt.Errorf("explore: sampling %s: %w", s.Table, err)
			}
			s.Result = r
			if r.Rows > 0 || s.Fraction >= 1 {
				break
			}
			s.Fraction = math.Min(1, s.Fraction*10)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !o.showPersonal && s.Result.Rows > 0 {
		df := s.Result.DataFrame
		for _, c := range d.Columns {
			if !c.Personal || !contains(df.Names(), c.Name) {
				continue
			}
			masked := make([]string, df.Nrow())
			for i := range masked {
				masked[i] = "•••"
			}
			df = df.Mutate(series.New(masked, series.String, c.Name))
			s.Masked = append(s.Masked, c.Name)
		}
		s.Result = s.Result.With(df)
	}
	return s, nil
}

// ShowSample is [SampleRows] for a notebook cell: on the notebook's connection, shown at once; an
// error is shown and stops the cell.
//
//	%%
//	explore.ShowSample("orders", explore.Rows(10))
func ShowSample(table string, opts ...Option) *Sample {
	s, err := SampleRows(context.Background(), replica.Default(), table, opts...)
	if err != nil {
		display.Stop(err)
	}
	s.Show()
	return s
}

func (s *Sample) caption() string {
	c := fmt.Sprintf("%d sample rows of %s (TABLESAMPLE SYSTEM %.4g%%, capped at %d)", s.Result.Rows, s.Table, s.Fraction*100, s.Cap)
	if len(s.Masked) > 0 {
		c += fmt.Sprintf("; personal columns masked: %v (explore.ShowPersonal() shows them)", s.Masked)
	}
	return c
}

// HTML renders the sample as frame shows a result: types, times as times, NULLs.
func (s *Sample) HTML() string {
	return `<div ` + provenance.ExploreAttrs("sample") + `><p><small>` + esc(s.caption()) + `</small></p>` + s.Result.HTML() + `</div>`
}

// String renders the sample as a text table.
func (s *Sample) String() string { return s.caption() + "\n" + s.Result.Text() }

// Show displays the sample: HTML in a notebook, text elsewhere.
func (s *Sample) Show() { show(s.HTML(), s.String()) }

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}
