package frame

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/go-gota/gota/series"
	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/internal/atomicfile"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/gotalayout"
)

// Named results.
//
// A result can be kept under a name for later cells of the same notebook:
// the kernel's `%%sql orders` cell stores its result as "orders", and a Go
// cell reads it back with frame.Named("orders"), from disk, without touching
// the replica. A Go cell can do the same with [Result.Store].
//
// A named result is a cache file (the format of every cached result) at
// <cache folder>/named/<notebook>/<name>.frame, where <notebook> is the
// notebook's file name without .ipynb (Jupyter gives it to the kernel, and
// so to the cells' programs, in JPY_SESSION_NAME; "default" without one), so
// two notebooks can both have an "orders". Storing replaces the file
// atomically; a stored result does not expire (it is what the cell that
// named it fetched, and says when).

// namePattern is what a result name may be: an identifier, as in SQL and Go.
var namePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// Store keeps the result under name for later cells of this notebook (see
// [Named]). The name is an identifier: letters, digits and _, not starting
// with a digit. [CacheDir] and [WithConfig] apply.
func (r *Result) Store(name string, opts ...Option) error {
	path, err := namedPath(name, collect(opts))
	if err != nil {
		return err
	}
	if r == nil || r.DataFrame.Err != nil {
		return fmt.Errorf("frame: storing %q: expected a loaded result, found none", name)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("frame: storing %q: %w", name, err)
	}
	// A loaded result's cache file holds the same bytes: link it (no copy). A
	// result made in Go ([Of], [Result.With]) is written out.
	if r.CacheFile != "" {
		if err := atomicfile.Link(r.CacheFile, path); err == nil {
			return nil
		}
	}
	cols, err := r.columnsForCache()
	if err != nil {
		return fmt.Errorf("frame: storing %q: %w", name, err)
	}
	meta := cacheMeta{Database: r.Database, SQL: r.SQL, FetchedAt: r.FetchedAt, Elapsed: r.Elapsed, LagKnown: r.LagKnown,
		Lag: r.Lag, Rows: r.Rows, Truncated: r.Truncated, Limit: r.Limit, Of: r.Of, OfExact: r.OfExact, Ordered: r.Ordered, Sample: r.Sample}
	if err := writeCache(path, meta, cols); err != nil {
		return fmt.Errorf("frame: storing %q: %w", name, err)
	}
	return nil
}

// Named returns the result stored under name in this notebook (by a `%%sql
// name` cell or [Result.Store]), read from disk: the replica is not
// contacted. It shows where the rows came from, like a cached load. On error
// (no such name, a damaged file) it shows the message and stops the cell.
//
//	%%
//	orders := frame.Named("orders")
//	orders.Summary().Show()
func Named(name string, opts ...Option) *Result {
	r, err := LoadNamed(name, opts...)
	if err != nil {
		display.Stop(err)
	}
	return r
}

// LoadNamed is [Named] for programs: it returns the error instead of
// stopping. A name never stored is an error matching fs.ErrNotExist.
func LoadNamed(name string, opts ...Option) (*Result, error) {
	s, err := collect(opts).resolve()
	if err != nil {
		return nil, err
	}
	path, err := namedPath(name, s.options)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	meta, df, nulls, err := readCache(path, func(cacheMeta) error { return nil })
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("frame: no result named %q in this notebook (looked for %s): run the cell that names it "+
			"(%%%%sql %s, or .Store(%q)) first: %w", name, path, name, name, fs.ErrNotExist)
	case errors.Is(err, errCorrupt):
		return nil, fmt.Errorf("frame: the result named %q is damaged (%v): run the cell that names it again", name,
			strings.TrimPrefix(err.Error(), errCorrupt.Error()+": "))
	case err != nil:
		return nil, fmt.Errorf("frame: reading the result named %q: %w", name, err)
	}
	r := &Result{DataFrame: df, Rows: meta.Rows, Truncated: meta.Truncated, Limit: meta.Limit, Source: FromCache,
		Database: meta.Database, SQL: meta.SQL, FetchedAt: meta.FetchedAt, Elapsed: time.Since(start),
		LagKnown: meta.LagKnown, Lag: meta.Lag, CacheFile: path, nulls: nulls, maxRows: s.maxRows,
		Of: meta.Of, OfExact: meta.OfExact, Ordered: meta.Ordered, Sample: meta.Sample}
	r.Columns = make([]Column, len(meta.Columns))
	for i, c := range meta.Columns {
		r.Columns[i] = c.Column
	}
	r.Warnings = r.columnWarnings()
	show(r, &s, nil)
	return r, nil
}

// namedPath is where the result called name lives.
func namedPath(name string, o options) (string, error) {
	if !namePattern.MatchString(name) {
		return "", fmt.Errorf("frame: expected a result name made of letters, digits and _ (not starting with a digit), found %q", name)
	}
	s, err := o.resolve()
	if err != nil {
		return "", err
	}
	if s.cacheDir == "" {
		return "", errors.New("frame: no cache folder for named results: set REPLICALAB_CACHE_DIR")
	}
	return filepath.Join(s.cacheDir, "named", notebookName(s.cfg), name+".frame"), nil
}

// notebookName is the notebook's file name without .ipynb, made safe as a
// folder name; "default" outside a notebook.
func notebookName(cfg *config.Config) string {
	nb := ""
	if cfg != nil {
		nb = cfg.GetOr("JPY_SESSION_NAME", "")
	} else {
		nb = os.Getenv("JPY_SESSION_NAME")
	}
	nb = strings.TrimSuffix(filepath.Base(nb), ".ipynb")
	nb = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r < ' ' {
			return '_'
		}
		return r
	}, nb)
	if nb == "" || nb == "." || nb == ".." || strings.HasPrefix(nb, ".") {
		return "default"
	}
	return nb
}

// columnsForCache rebuilds the columns of the cache format from the
// DataFrame, with the SQL NULL masks the Result keeps.
func (r *Result) columnsForCache() ([]*column, error) {
	n := r.DataFrame.Nrow()
	var cols []*column
	for i, s := range columns(r.DataFrame) {
		c := &column{Column: Column{Name: s.Name, Series: s.Type(), Kind: kindOfSeries(s.Type()), Type: string(s.Type())}}
		if i < len(r.Columns) && r.Columns[i].Name == s.Name && r.Columns[i].Series == s.Type() {
			c.Column = r.Columns[i]
		}
		mask := r.nulls[s.Name]
		for row := 0; row < n; row++ {
			e := s.Elem(row)
			null := false
			if e.IsNA() {
				if mask != nil {
					null = row < len(mask) && mask[row]
				} else {
					null = gotalayout.SQLNull(e)
				}
			}
			if null && !c.hasNull {
				c.hasNull = true
				c.null.fill(false, row)
			}
			if c.hasNull {
				c.null.push(null)
			}
			switch s.Type() {
			case series.Int:
				v, _ := e.Int()
				c.ints.push(v)
			case series.Float:
				f := e.Float()
				if e.IsNA() && !null {
					f = math.NaN()
				}
				c.floats.push(f)
			case series.Bool:
				v, _ := e.Bool()
				c.bools.push(v)
			default:
				v := ""
				if !null {
					v = e.String()
				}
				c.strs.push([]byte(v))
			}
		}
		cols = append(cols, c)
	}
	if len(cols) == 0 {
		return nil, errNoColumns
	}
	return cols, nil
}
