package explore

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/frame"
)

// SampleOptions adjust SampleRows.
type SampleOptions struct {
	Rows int // row cap (default 20)
	// ShowPersonal shows columns whose names look personal; by default their values are masked.
	ShowPersonal bool
	Timeout      time.Duration // statement timeout; 0 means DefaultTimeout
}

// SampleRows returns an HTML table of at most o.Rows rows picked by TABLESAMPLE SYSTEM (whole
// pages, repeatable; helpers/frame's Sample) from a fraction of the table sized from its
// estimate, so that only a few pages are read. Personal-looking columns are masked unless asked.
func SampleRows(ctx context.Context, q Querier, table string, o SampleOptions) (string, error) {
	if o.Rows <= 0 {
		o.Rows = 20
	}
	d, err := Describe(ctx, q, table, DetailOptions{Timeout: o.Timeout})
	if err != nil {
		return "", err
	}
	// Enough pages for about twice the rows wanted; a table of unknown size is sampled whole,
	// the cap stopping the read early.
	fraction := 1.0
	if d.Table.Estimate > 0 {
		fraction = math.Min(1, math.Max(2*float64(o.Rows)/float64(d.Table.Estimate), 1e-6))
	}
	var h string
	err = readOnly(ctx, q, o.Timeout, func(tx pgx.Tx) error {
		// SYSTEM sampling picks whole pages: a small table has so few that a small fraction often
		// picks none. Then ask for ten times more, and finally all pages (the cap still ends the read
		// after o.Rows rows, so a big table is never read whole).
		var df dataframe.DataFrame
		for {
			var err error
			df, err = frame.Sample(ctx, tx, d.Table.String(), fraction, frame.Limit(o.Rows), frame.NoCache(), frame.Quiet())
			if err != nil {
				return fmt.Errorf("explore: sampling %s: %w", d.Table, err)
			}
			if df.Nrow() > 0 || fraction >= 1 {
				break
			}
			fraction = math.Min(1, fraction*10)
		}
		if !o.ShowPersonal && df.Nrow() > 0 {
			for _, c := range d.Columns {
				if !c.Personal {
					continue
				}
				if _, ok := indexOf(df.Names(), c.Name); !ok {
					continue
				}
				masked := make([]string, df.Nrow())
				for i := range masked {
					masked[i] = "•••"
				}
				df = df.Mutate(series.New(masked, series.String, c.Name))
			}
		}
		h = fmt.Sprintf(`<p><small>%d sample rows of %s (TABLESAMPLE SYSTEM %.4g%%, capped at %d)</small></p>%s`,
			df.Nrow(), esc(d.Table.String()), fraction*100, o.Rows, frame.HTML(df))
		return nil
	})
	return h, err
}

func indexOf(names []string, name string) (int, bool) {
	for i, n := range names {
		if n == name {
			return i, true
		}
	}
	return -1, false
}
