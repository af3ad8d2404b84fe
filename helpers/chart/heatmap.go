package chart

import (
	"context"
	"fmt"
	"math"

	"github.com/replicalab/replicalab/internal/numfmt"

	"github.com/go-gota/gota/dataframe"
	"github.com/jackc/pgx/v5"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// defaultGrid is the cells per axis of a heat map: 40 × 40 cells, at most
// 1,600 rows from the server (about 50 kB).
const defaultGrid = 40

// Heatmap draws how many rows fall in each cell of a grid over the numeric
// columns x and y of df — a scatter that stays readable at any number of
// rows: the darker the cell, the more rows. Bins sets the cells per axis
// (default 40), over the range of each column. Rows where x or y is NULL,
// NaN or Inf are dropped and counted. It is the twin of [ScatterSQL], which
// computes the same grid on the server. Options: Bins.
func Heatmap(df dataframe.DataFrame, x, y string, opts ...Option) *Chart {
	p, err := heatmapPlot(df, x, y, opts...)
	return newChart(p, err, opts).from(df)
}

// ScatterQuery draws the two numeric columns query returns (x, then y) the
// way [Heatmap] does, counted on the server: a first pass finds the range
// of each column, a second counts the rows of each cell (width_bucket on
// both), so at most Bins × Bins rows cross the network — a scatter of 50
// million rows without loading one. Options: Args, Bins (cells per axis,
// default 40), AnyCost.
func ScatterQuery(ctx context.Context, q Querier, query string, opts ...Option) *Chart {
	return sqlChart(ctx, q, "ScatterSQL", query, opts, func(s *session) (*plot.Plot, error) {
		return scatterSQLPlot(ctx, s, query, opts...)
	})
}

func heatmapPlot(df dataframe.DataFrame, x, y string, opts ...Option) (*plot.Plot, error) {
	o, err := apply("Heatmap", opts, "Bins")
	if err != nil {
		return nil, err
	}
	if err := checkGrid("Heatmap", o); err != nil {
		return nil, err
	}
	xc, err := numeric(df, x)
	if err != nil {
		return nil, fmt.Errorf("chart: Heatmap: %w", err)
	}
	yc, err := numeric(df, y)
	if err != nil {
		return nil, fmt.Errorf("chart: Heatmap: %w", err)
	}
	g := gridOf(xc, yc, o)
	return drawHeatmap(xc.name, yc.name, g, "")
}

// grid is a heat map's cells: counts[i][j] rows in x bin i, y bin j.
type grid struct {
	xb, yb bins
	counts map[[2]int]float64
	stats  Stats
}

// gridOf counts the finite pairs of x and y into cells, as the server does.
func gridOf(xc, yc column, o *options) grid {
	xs, ys, _, d := pairs(xc, yc)
	g := grid{counts: map[[2]int]float64{}, stats: Stats{Rows: xc.len(), N: len(xs), Dropped: d}}
	if len(xs) == 0 {
		return g
	}
	n := gridSize(o)
	xlo, xhi := minMax(xs)
	ylo, yhi := minMax(ys)
	g.xb, g.yb = chooseBinsK(xlo, xhi, n, 0, false), chooseBinsK(ylo, yhi, n, 0, false)
	for i := range xs {
		g.counts[[2]int{g.xb.index(xs[i]), g.yb.index(ys[i])}]++
	}
	return g
}

func gridSize(o *options) int {
	if o.bins > 0 {
		return o.bins
	}
	return defaultGrid
}

// maxGrid is the most cells per axis a heat map takes.
const maxGrid = 200

func checkGrid(fn string, o *options) error {
	if o.bins > maxGrid {
		return fmt.Errorf("chart: %s: Bins: expected 1 to %d cells per axis, found %d", fn, maxGrid, o.bins)
	}
	return nil
}

func scatterSQLPlot(ctx context.Context, q Querier, query string, opts ...Option) (*plot.Plot, error) {
	const fn = "ScatterSQL"
	o, err := apply(fn, opts, "Args", "Bins", "AnyCost")
	if err != nil {
		return nil, err
	}
	if err := checkGrid(fn, o); err != nil {
		return nil, err
	}
	cols, err := describeColumns(ctx, q, fn, query, o.args, 2, 2)
	if err != nil {
		return nil, err
	}
	for _, c := range cols {
		if !numericOID(c.oid) {
			return nil, fmt.Errorf("%w: chart: %s: column %q is %s, expected a number", ErrColumn, fn, c.name, typeName(c.oid))
		}
	}
	g, err := gridSQL(ctx, q, query, o)
	if err != nil {
		return nil, fmt.Errorf("chart: %s: cells of %q and %q: %w", fn, cols[0].name, cols[1].name, err)
	}
	return drawHeatmap(cols[0].name, cols[1].name, g, "counted on the server")
}

// pairsSQL is the query's two columns as x and y (float8; x through the
// expression x of the query's first column, named x) with why a row is
// dropped: 0 kept, 1 NULL, 2 NaN, 3 Inf — x's reason first, as pairs does.
// OFFSET 0 keeps the planner from pulling the inner select up into the
// outer ones, which would compute x and y (an extract(epoch ...) into
// numeric, say) once per reference — a dozen times per row: at 5M rows a
// third of the replica's CPU time, parallel workers included.
func pairsSQL(query, x string) string {
	kind := func(v string) string {
		return "CASE WHEN " + v + " IS NULL THEN 1 WHEN " + v + " = 'NaN' THEN 2 WHEN " + v + " = 'Infinity' OR " + v + " = '-Infinity' THEN 3 ELSE 0 END"
	}
	return "(SELECT x, y, CASE WHEN " + kind("x") + " <> 0 THEN " + kind("x") + " ELSE " + kind("y") + " END AS drop FROM " +
		"(SELECT (" + x + ")::float8 AS x, (y)::float8 AS y FROM " + wrap(query) + "(x, y) OFFSET 0) AS chart_xy) AS chart_pairs"
}

// pairRange is the first pass over pairs: the rows, why some are dropped,
// and the range of the kept ones.
type pairRange struct {
	stats              Stats
	xlo, xhi, ylo, yhi float64
}

func pairRangeSQL(ctx context.Context, q Querier, pairs string, args []any) (pairRange, error) {
	rows, err := q.Query(ctx, `SELECT count(*), count(*) FILTER (WHERE drop = 1), count(*) FILTER (WHERE drop = 2),
		count(*) FILTER (WHERE drop = 3), min(x) FILTER (WHERE drop = 0), max(x) FILTER (WHERE drop = 0),
		min(y) FILTER (WHERE drop = 0), max(y) FILTER (WHERE drop = 0) FROM `+pairs, args...)
	if err != nil {
		return pairRange{}, err
	}
	var r pairRange
	var total, nulls, nans, infs int64
	var xlo, xhi, ylo, yhi *float64
	if _, err := pgx.ForEachRow(rows, []any{&total, &nulls, &nans, &infs, &xlo, &xhi, &ylo, &yhi}, func() error { return nil }); err != nil {
		return r, err
	}
	r.stats = Stats{Rows: int(total), Dropped: Dropped{NULL: int(nulls), NaN: int(nans), Inf: int(infs)}}
	r.stats.N = r.stats.Rows - r.stats.Dropped.Total()
	if xlo != nil {
		r.xlo, r.xhi, r.ylo, r.yhi = *xlo, *xhi, *ylo, *yhi
	}
	return r, nil
}

// gridSQL counts the cells on the server: the range first, then one
// width_bucket per axis over the same edges Go would use.
func gridSQL(ctx context.Context, q Querier, query string, o *options) (grid, error) {
	pairs := pairsSQL(query, "x")
	r, err := pairRangeSQL(ctx, q, pairs, o.args)
	if err != nil {
		return grid{}, err
	}
	g := grid{counts: map[[2]int]float64{}, stats: r.stats}
	if r.stats.N == 0 {
		return g, nil
	}
	n := gridSize(o)
	g.xb, g.yb = chooseBinsK(r.xlo, r.xhi, n, 0, false), chooseBinsK(r.ylo, r.yhi, n, 0, false)
	ph := placeholders{args: append([]any(nil), o.args...)}
	rows, err := q.Query(ctx, "SELECT width_bucket(x, "+ph.add(g.xb.edges())+"::float8[]), width_bucket(y, "+ph.add(g.yb.edges())+
		"::float8[]), count(*) FROM "+pairs+" WHERE drop = 0 GROUP BY 1, 2", ph.args...)
	if err != nil {
		return g, err
	}
	var i, j int32
	var c int64
	kept := 0
	_, err = pgx.ForEachRow(rows, []any{&i, &j, &c}, func() error {
		// width_bucket: 1..n inside, 0 below the first edge, n+1 from the last; clamped as bins.index clamps.
		cell := [2]int{max(0, min(int(i)-1, g.xb.n-1)), max(0, min(int(j)-1, g.yb.n-1))}
		g.counts[cell] += float64(c)
		kept += int(c)
		return nil
	})
	// Rows may have come or gone between the two passes: the cells count what the second saw.
	g.stats.N = kept
	return g, err
}

func drawHeatmap(xname, yname string, g grid, note string) (*plot.Plot, error) {
	title := yname + " vs " + xname
	if g.stats.N == 0 {
		return noData(title, "heat map of "+quote(yname)+" vs "+quote(xname), g.stats)
	}
	p := newPlot(title, xname, yname, true, true)
	most := 0.0
	for _, c := range g.counts {
		most = math.Max(most, c)
	}
	p.Add(&cells{g: g, most: most})
	extra := []string{fmt.Sprintf("%d × %d cells, darker: more rows (up to %s in one)", g.xb.n, g.yb.n, numfmt.Int(int(most)))}
	if note != "" {
		extra = append(extra, note)
	}
	return finish(p, g.stats, extra...), nil
}

// cells draws a heat map's non-empty cells, shaded by the logarithm of
// their count (one row is still visible next to a million).
type cells struct {
	g    grid
	most float64
}

// Plot implements plot.Plotter.
func (h *cells) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	base := colour(0)
	for cell, n := range h.g.counts {
		if n <= 0 {
			continue
		}
		share := 1.0
		if h.most > 1 {
			share = math.Log1p(n) / math.Log1p(h.most)
		}
		alpha := uint8(0x22 + share*(0xff-0x22))
		rect := vg.Rectangle{
			Min: vg.Point{X: trX(h.g.xb.edge(cell[0])), Y: trY(h.g.yb.edge(cell[1]))},
			Max: vg.Point{X: trX(h.g.xb.edge(cell[0] + 1)), Y: trY(h.g.yb.edge(cell[1] + 1))},
		}
		c.FillPolygon(withAlpha(base, alpha), c.ClipPolygonXY(rectPoints(rect)))
	}
}

// DataRange implements plot.DataRanger.
func (h *cells) DataRange() (xmin, xmax, ymin, ymax float64) {
	return h.g.xb.edge(0), h.g.xb.end, h.g.yb.edge(0), h.g.yb.end
}
