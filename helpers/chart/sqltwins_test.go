package chart

import (
	"context"
	"math"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
)

// The server-side charts against their client-side twins on the same rows:
// counts exactly equal; quartiles within quantileTolerance (the server's
// percentile_cont interpolates as Go does; the tolerance only allows for
// the last bit of floating-point rounding).
const quantileTolerance = 1e-12

// fetchTexts reads one column as text (NULL marked), as a DataFrame's
// categorical column holds it.
func fetchTexts(t *testing.T, q Querier, sql string, args ...any) column {
	t.Helper()
	rows, err := q.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	c := column{name: "v"}
	var v *string
	_, err = pgx.ForEachRow(rows, []any{&v}, func() error {
		if v == nil {
			c.texts = append(c.texts, "")
			c.null = append(c.null, true)
		} else {
			c.texts = append(c.texts, *v)
			c.null = append(c.null, false)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBarSQLAgreesWithGo(t *testing.T) {
	db := openReplica(t)
	ctx := context.Background()
	for _, c := range []struct {
		name, query string
		opts        []Option
	}{
		{"order statuses", "SELECT status FROM orders", nil},
		{"events by kind, top 3", "SELECT kind FROM events", []Option{Top(3)}},
		{"user e-mail domains (many values, NULLs)", "SELECT NULLIF(split_part(email, '@', 2), 'example.com') FROM users", []Option{Top(5)}},
		{"with args", "SELECT currency FROM orders WHERE status = $1", []Option{Args("shipped")}},
		{"ties, byte order", "SELECT unnest(ARRAY['b', 'B', 'a', 'é', 'e', 'a', 'B', NULL])", []Option{Top(2)}},
		{"only NULLs", "SELECT NULL::text FROM generate_series(1, 3)", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, err := apply("test", c.opts, "Args", "Top")
			if err != nil {
				t.Fatal(err)
			}
			kept, other, hasOther, distinct, s, err := barSQL(ctx, db, c.query, o)
			if err != nil {
				t.Fatal(err)
			}
			col := fetchTexts(t, db, "SELECT (v)::text FROM ("+c.query+") s(v)", o.args...)
			ts, dropped := countCategories(col)
			gk, gother, ghas := topN(ts, o.top)
			gN := 0
			for _, x := range ts {
				gN += int(x.n)
			}
			if len(gk) == 0 {
				gk = nil
			}
			if !reflect.DeepEqual(kept, gk) || other != gother || hasOther != ghas || distinct != len(ts) {
				t.Errorf("server: %v, other %v (%v), %d distinct\n    Go: %v, other %v (%v), %d distinct", kept, other, hasOther, distinct, gk, gother, ghas, len(ts))
			}
			if s.N != gN || s.Dropped != dropped || s.Rows != col.len() {
				t.Errorf("stats: server %+v, Go N %d dropped %+v over %d rows", s, gN, dropped, col.len())
			}
		})
	}
}

func TestBoxSQLAgreesWithGo(t *testing.T) {
	db := openReplica(t)
	ctx := context.Background()
	for _, c := range []struct {
		name, query string
		opts        []Option
	}{
		{"order totals", "SELECT total FROM orders", nil},
		{"order totals by status", "SELECT total, status FROM orders", nil},
		{"payments by method, top 2", "SELECT amount, method FROM payments", []Option{Top(2)}},
		{"quantities by line, NULL groups", "SELECT quantity, NULLIF(line_no, 1) FROM order_items", []Option{Top(4)}},
		{"NaN, Inf, NULL", "SELECT v, g FROM (VALUES (1.5::float8, 'a'), (NULL, 'a'), ('NaN', 'b'), ('Infinity', 'b'), (2.5, 'b'), (100, 'a'), (3, 'a'), (4, 'a')) t(v, g)", nil},
		{"with args", "SELECT total FROM orders WHERE currency = $1", []Option{Args("EUR")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, err := apply("test", c.opts, "Args", "Top")
			if err != nil {
				t.Fatal(err)
			}
			cols, err := describeColumns(ctx, db, "test", c.query, o.args, 1, 2)
			if err != nil {
				t.Fatal(err)
			}
			grouped := len(cols) == 2
			server, err := boxSQL(ctx, db, c.query, grouped, o)
			if err != nil {
				t.Fatal(err)
			}
			// The same in Go, as Box computes it from a DataFrame.
			alias := "s(v)"
			if grouped {
				alias = "s(v, g)"
			}
			vals := fetchFloats(t, db, "SELECT (v)::float8 FROM ("+c.query+") "+alias, o.args...)
			var names []string
			var data [][]float64
			var s Stats
			hasOther := false
			if !grouped {
				vs, d := finite(vals)
				s = Stats{Rows: vals.len(), N: len(vs), Dropped: d}
				names, data = []string{"v"}, [][]float64{vs}
			} else {
				g := fetchTexts(t, db, "SELECT (g)::text FROM ("+c.query+") "+alias, o.args...)
				s = Stats{Rows: vals.len()}
				groups := map[string][]float64{}
				var labels []string
				for r := range vals.nums {
					if !s.Dropped.count(vals.nums[r], vals.isNull(r)) {
						continue
					}
					label := "(NULL)"
					if !g.isNull(r) {
						label = g.texts[r]
					}
					labels = append(labels, label)
					groups[label] = append(groups[label], vals.nums[r])
				}
				s.N = len(labels)
				ts, _ := countCategories(column{texts: labels})
				kept, other, has := topN(ts, o.top)
				for _, k := range kept {
					names = append(names, k.label)
					data = append(data, groups[k.label])
				}
				if has {
					var pooled []float64
					for _, k := range ts[len(kept):] {
						pooled = append(pooled, groups[k.label]...)
					}
					names, data = append(names, other.label), append(data, pooled)
					s.Other, hasOther = int(other.n), true
				}
			}
			if server.stats != s || server.hasOther != hasOther {
				t.Errorf("stats: server %+v (other %v), Go %+v (other %v)", server.stats, server.hasOther, s, hasOther)
			}
			if grouped && !reflect.DeepEqual(server.names, names) {
				t.Errorf("boxes: server %q, Go %q", server.names, names)
			}
			if len(server.boxes) != len(data) {
				t.Fatalf("%d boxes on the server, %d in Go", len(server.boxes), len(data))
			}
			for i, vs := range data {
				want, got := newBox(0, vs, nil), server.boxes[i]
				for _, q := range []struct {
					name      string
					got, want float64
				}{{"q1", got.q1, want.q1}, {"median", got.median, want.median}, {"q3", got.q3, want.q3}} {
					if math.Abs(q.got-q.want) > quantileTolerance*math.Max(1, math.Abs(q.want)) {
						t.Errorf("box %d %s: server %v, Go %v", i, q.name, q.got, q.want)
					}
				}
				if got.lo != want.lo || got.hi != want.hi || got.min != want.min || got.max != want.max || got.outliers != want.outliers {
					t.Errorf("box %d: server whiskers %v..%v, range %v..%v, %d outliers; Go %v..%v, %v..%v, %d",
						i, got.lo, got.hi, got.min, got.max, got.outliers, want.lo, want.hi, want.min, want.max, want.outliers)
				}
				if !reflect.DeepEqual(got.out, want.out) && !(len(got.out) == 0 && len(want.out) == 0) {
					t.Errorf("box %d: %d outliers drawn on the server, %d in Go, or different ones", i, len(got.out), len(want.out))
				}
			}
			if server.stats.N == 0 {
				t.Error("no values: the comparison proves nothing")
			}
		})
	}
}

// fetchPairs reads two float columns, NULL marked.
func fetchPairs(t *testing.T, q Querier, sql string, args ...any) (column, column) {
	t.Helper()
	rows, err := q.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	x, y := column{name: "x"}, column{name: "y"}
	var a, b *float64
	add := func(c *column, v *float64) {
		if v == nil {
			c.nums, c.null = append(c.nums, math.NaN()), append(c.null, true)
		} else {
			c.nums, c.null = append(c.nums, *v), append(c.null, false)
		}
	}
	_, err = pgx.ForEachRow(rows, []any{&a, &b}, func() error { add(&x, a); add(&y, b); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return x, y
}

func TestScatterSQLAgreesWithHeatmap(t *testing.T) {
	db := openReplica(t)
	ctx := context.Background()
	for _, c := range []struct {
		name, query string
		opts        []Option
	}{
		{"order total vs shipping", "SELECT total, shipping FROM orders", nil},
		{"events: id vs kind length, 25 cells", "SELECT id, length(kind) FROM events", []Option{Bins(25)}},
		{"NULL, NaN, Inf", "SELECT x, y FROM (VALUES (1::float8, 2::float8), (NULL, 'NaN'), ('NaN', NULL), (2, 'Infinity'), (3, 4), (3, 4), (0, 0)) t(x, y)", []Option{Bins(3)}},
		{"with args", "SELECT quantity, unit_price FROM order_items WHERE quantity > $1", []Option{Args(2)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, err := apply("test", c.opts, "Args", "Bins")
			if err != nil {
				t.Fatal(err)
			}
			server, err := gridSQL(ctx, db, c.query, o)
			if err != nil {
				t.Fatal(err)
			}
			x, y := fetchPairs(t, db, "SELECT (x)::float8, (y)::float8 FROM ("+c.query+") s(x, y)", o.args...)
			local := gridOf(x, y, o)
			if server.xb != local.xb || server.yb != local.yb {
				t.Errorf("cells: server %+v × %+v, Go %+v × %+v", server.xb, server.yb, local.xb, local.yb)
			}
			if !reflect.DeepEqual(server.counts, local.counts) || server.stats != local.stats {
				t.Errorf("counts differ: server %d cells %+v, Go %d cells %+v", len(server.counts), server.stats, len(local.counts), local.stats)
			}
			if server.stats.N == 0 {
				t.Error("no values: the comparison proves nothing")
			}
		})
	}
}

func TestLineSQLAgreesWithLine(t *testing.T) {
	db := openReplica(t)
	ctx := context.Background()
	for _, c := range []struct {
		name, query string
		isTime      bool
		opts        []Option
	}{
		{"few points, as they are", "SELECT id, total FROM orders WHERE id <= 300", false, nil},
		{"averaged over 50 slices", "SELECT id, total FROM orders", false, []Option{MaxPoints(50)}},
		{"events over time, 200 slices", "SELECT occurred_at, id % 97 FROM events", true, []Option{MaxPoints(200)}},
		{"NULL, NaN, Inf dropped", "SELECT x, y FROM (VALUES (1::float8, 2::float8), (NULL, 1), (2, 'NaN'), (3, 4), (4, 'Infinity'), (5, 1)) t(x, y)", false, []Option{MaxPoints(2)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			allowed := []string{"Args", "MaxPoints"}
			o, err := apply("test", c.opts, allowed...)
			if err != nil {
				t.Fatal(err)
			}
			if !o.set["MaxPoints"] {
				o.maxPoints = defaultSQLPoints
			}
			x := "x"
			if c.isTime {
				x = "extract(epoch FROM x)"
			}
			ph := placeholders{args: append([]any(nil), o.args...)}
			server, s, averaged, err := lineSQL(ctx, db, c.query, x, &ph, o)
			if err != nil {
				t.Fatal(err)
			}
			// Go: the same rows as Line reads them, sorted by x, averaged over the same slices when more than MaxPoints.
			xc, yc := fetchPairs(t, db, "SELECT ("+x+")::float8, (y)::float8 FROM ("+c.query+") s(x, y)", o.args...)
			xs, ys, _, d := pairs(xc, yc)
			sortXY(xs, ys)
			local := points{xs: xs, ys: ys}
			if len(xs) > o.maxPoints {
				local = meanSlices(local, chooseBinsK(xs[0], xs[len(xs)-1], o.maxPoints, 0, false))
			}
			if averaged != (len(xs) > o.maxPoints) || s.N != len(xs) || s.Dropped != d || s.Rows != xc.len() {
				t.Errorf("server: averaged %v, %+v; Go: %d points of %d rows, dropped %+v", averaged, s, len(xs), xc.len(), d)
			}
			if len(server.xs) != len(local.xs) {
				t.Fatalf("%d points from the server, %d in Go", len(server.xs), len(local.xs))
			}
			near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
			for i := range local.xs {
				// Means may differ in the last bits (another order of summing); extremes are exact.
				if !near(server.xs[i], local.xs[i]) || !near(server.ys[i], local.ys[i]) {
					t.Fatalf("point %d: server (%v, %v), Go (%v, %v)", i, server.xs[i], server.ys[i], local.xs[i], local.ys[i])
				}
				if local.lo != nil && (server.lo[i] != local.lo[i] || server.hi[i] != local.hi[i]) {
					t.Fatalf("band %d: server %v..%v, Go %v..%v", i, server.lo[i], server.hi[i], local.lo[i], local.hi[i])
				}
			}
			if s.N == 0 {
				t.Error("no values: the comparison proves nothing")
			}
		})
	}
}
