package report

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/helpers/replica"

	"github.com/replicalab/replicalab/internal/numfmt"
	"github.com/replicalab/replicalab/internal/provenance"
)

// Verification is what make report VERIFY=1 found when it ran the queries behind the figures and tables
// again.
type Verification struct {
	At        time.Time
	Tolerance float64 // relative: a number may move by this share of itself
	Checks    []Check // one per source, in the order the notebook shows them
}

// Check is the verdict on one figure or table.
type Check struct {
	Drift      []provenance.Drift // the numbers that moved by more than the tolerance
	Err        string             // why a query could not be run again
	Unrecorded bool               // nothing to compare: no query, or no numbers recorded with it
}

func (c Check) String() string {
	switch {
	case c.Err != "":
		return "could not be checked: " + c.Err
	case c.Unrecorded:
		return "not checked: no query or numbers were recorded with it"
	case len(c.Drift) == 0:
		return "unchanged: the query gives the same numbers today"
	}
	var parts []string
	for i, d := range c.Drift {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(c.Drift)-5))
			break
		}
		parts = append(parts, d.String())
	}
	return "CHANGED since it was made: " + strings.Join(parts, "; ")
}

func (c Check) class() string {
	switch {
	case c.Err != "" || len(c.Drift) > 0:
		return "drift"
	case c.Unrecorded:
		return "unchecked"
	}
	return "unchanged"
}

// Changed reports whether the check found numbers that moved.
func (c Check) Changed() bool { return len(c.Drift) > 0 }

// summary is the header's line about the check.
func (v *Verification) summary(sources []*Source) string {
	var changed, failed []string
	checked := 0
	for i, s := range sources {
		if i >= len(v.Checks) {
			break
		}
		c := v.Checks[i]
		switch {
		case c.Err != "":
			failed = append(failed, s.Label())
		case c.Unrecorded:
		case len(c.Drift) > 0:
			changed = append(changed, s.Label())
			checked++
		default:
			checked++
		}
	}
	at := v.At.UTC().Format("2006-01-02 15:04 UTC")
	s := fmt.Sprintf("%s: %s checked against the replica", at, numfmt.Count(checked, "figure or table", "figures and tables"))
	switch {
	case len(changed) > 0:
		s += fmt.Sprintf("; the numbers of %s changed by more than %s", strings.Join(changed, ", "), percent(v.Tolerance))
	case checked > 0:
		s += fmt.Sprintf(", all unchanged (tolerance %s)", percent(v.Tolerance))
	}
	if len(failed) > 0 {
		s += "; could not check " + strings.Join(failed, ", ")
	}
	return s
}

// verify runs the queries behind the sources again on the replica (the .env's, or the environment's) and
// compares their numbers with the recorded ones. A query recorded twice is run once.
func verify(ctx context.Context, o ExportOptions, sources []*Source) (*Verification, error) {
	tol := o.Tolerance
	if tol <= 0 {
		tol = provenance.DefaultTolerance
	}
	v := &Verification{At: time.Now(), Tolerance: tol, Checks: make([]Check, len(sources))}
	anything := false
	for _, s := range sources {
		for _, l := range s.Record.Sources {
			anything = anything || l.Numbers != nil && l.Engine == ""
		}
	}
	if !anything {
		for i := range v.Checks {
			v.Checks[i].Unrecorded = true
		}
		return v, nil
	}
	cfg, err := config.LoadFrom(o.Repo, os.Environ())
	if err != nil {
		return nil, fmt.Errorf("report: VERIFY reads the replica's settings: %w", err)
	}
	pool, err := replica.Open(ctx, replica.WithConfig(cfg), replica.Quiet(), replica.NoInterruptHandler(),
		replica.AppName("replicalab report verify"), replica.Direct())
	if err == nil {
		if err = pool.Connect(ctx); err != nil {
			pool.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("report: VERIFY runs the queries again on the replica: %w", err)
	}
	defer pool.Close()
	type outcome struct {
		n   *provenance.Numbers
		err error
	}
	done := map[string]outcome{}
	for i, s := range sources {
		c := &v.Checks[i]
		recorded := 0
		for _, l := range s.Record.Sources {
			if l.Numbers == nil || l.Engine != "" { // computed elsewhere (Spark): its query is not the replica's SQL
				continue
			}
			recorded++
			key, _ := json.Marshal([]any{l.SQL, l.Args})
			out, ok := done[string(key)]
			if !ok {
				out.n, out.err = rerun(ctx, pool, l)
				done[string(key)] = out
			}
			if out.err != nil {
				c.Err = out.err.Error()
				continue
			}
			c.Drift = append(c.Drift, provenance.Compare(l.Numbers, out.n, tol)...)
		}
		c.Unrecorded = recorded == 0
	}
	return v, nil
}

// rerun runs a recorded query with its arguments and summarises its result as the writer did.
func rerun(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, l provenance.Lineage) (*provenance.Numbers, error) {
	args, err := provenance.DecodeArgs(l.Args)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, l.SQL, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	fields := rows.FieldDescriptions()
	names := make([]string, len(fields))
	kinds := make([]provenance.ColumnKind, len(fields))
	for i, f := range fields {
		names[i], kinds[i] = f.Name, provenance.KindOfType(f.DataTypeOID)
	}
	s := provenance.NewSummarizer(names, kinds)
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		s.Add(vals)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return s.Numbers(), nil
}
