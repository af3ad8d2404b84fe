package spark

import (
	"math"
	"testing"
	"time"

	"github.com/go-gota/gota/series"
	"github.com/replicalab/replicalab/helpers/frame"
)

// Spark's types come back as helpers/frame maps PostgreSQL's: the same kinds and gota types, NULL as
// missing, NaN told apart from NULL, times as seconds since 1970 UTC, arrays in PostgreSQL's text form.
func TestSparkTypesMapLikeFrame(t *testing.T) {
	t.Parallel() // reads only what it creates or names; the counting tests run alone, first
	c, ports := cluster(t)
	ctx := ctxT(t)
	s, _ := open(t, env(t, c, ports[0]))
	r, err := s.Load(ctx, `SELECT * FROM VALUES
		(CAST(1 AS TINYINT), CAST(2 AS SMALLINT), 3, CAST(4 AS BIGINT), CAST(1.5 AS FLOAT), CAST(2.25 AS DOUBLE),
		 CAST(12345.67 AS DECIMAL(12,2)), CAST('12345678901234567890.123' AS DECIMAL(38,3)), true, 'NaN', X'00FF',
		 TIMESTAMP '2026-01-02 03:04:05.123456', DATE '2026-01-02', TIMESTAMP_NTZ '2026-01-02 03:04:05',
		 array(1, NULL, 3), array('a', 'b c', NULL), map('k', 1), named_struct('x', 1, 'y', 'z'),
		 INTERVAL '1 02:03:04' DAY TO SECOND, CAST(NULL AS BIGINT), CAST('NaN' AS DOUBLE)),
		(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 7, 1.0)
		AS t(i8, i16, i32, i64, f32, f64, dec, bigdec, b, s, bin, ts, d, ntz, arr, sarr, m, st, dt, nul, nan)`, NoCache())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name string
		kind frame.Kind
		typ  string
		val  any // row 0
	}{
		{"i8", frame.Integer, "tinyint", 1}, {"i16", frame.Integer, "smallint", 2}, {"i32", frame.Integer, "int", 3},
		{"i64", frame.Integer, "bigint", 4}, {"f32", frame.Float, "float", 1.5}, {"f64", frame.Float, "double", 2.25},
		{"dec", frame.Numeric, "decimal(12,2)", 12345.67}, {"bigdec", frame.Numeric, "decimal(38,3)", 12345678901234567890.123},
		{"b", frame.Boolean, "boolean", true}, {"s", frame.Text, "string", "NaN"}, {"bin", frame.Text, "binary", `\x00ff`},
		{"ts", frame.Timestamp, "timestamp", frame.Unix(time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC))},
		{"d", frame.Date, "date", frame.Unix(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))},
		{"ntz", frame.Timestamp, "timestamp_ntz", frame.Unix(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))},
		{"arr", frame.Array, "array<int>", "{1,NULL,3}"}, {"sarr", frame.Array, "array<string>", `{a,"b c",NULL}`},
		{"m", frame.JSON, "map<string,int>", `[{"key":"k","value":1}]`}, {"st", frame.JSON, "struct", `{"x":1,"y":"z"}`},
		{"dt", frame.Interval, "interval day to second", 93784.0},
		{"nul", frame.Integer, "bigint", nil}, {"nan", frame.Float, "double", math.NaN()},
	}
	if r.Rows != 2 || len(r.Columns) != len(want) {
		t.Fatalf("expected 2 rows × %d columns, found %d × %d", len(want), r.Rows, len(r.Columns))
	}
	for i, w := range want {
		col := r.Columns[i]
		if col.Name != w.name || col.Kind != w.kind || col.Type != w.typ || col.Series != w.kind.SeriesType() {
			t.Errorf("column %d: %s %s (%s, gota %s), expected %s %s (%s)", i, col.Name, col.Type, col.Kind, col.Series, w.name, w.typ, w.kind)
			continue
		}
		e := r.DataFrame.Col(w.name).Elem(0)
		switch v := w.val.(type) {
		case nil:
			if !e.IsNA() || col.Nulls != 1 {
				t.Errorf("%s: expected NULL (missing) in row 0, found %v (nulls %d)", w.name, e, col.Nulls)
			}
		case int:
			if got, _ := e.Int(); got != v || e.IsNA() {
				t.Errorf("%s: expected %d, found %v", w.name, v, e)
			}
		case float64:
			if math.IsNaN(v) {
				if !e.IsNA() || col.NaNs != 1 || col.Nulls != 0 {
					t.Errorf("%s: expected NaN (missing, counted as NaN not NULL), found %v (nans %d, nulls %d)", w.name, e, col.NaNs, col.Nulls)
				}
			} else if got := e.Float(); got != v {
				t.Errorf("%s: expected %v, found %v", w.name, v, got)
			}
		case bool:
			if got, _ := e.Bool(); got != v {
				t.Errorf("%s: expected %v, found %v", w.name, v, e)
			}
		case string:
			if e.IsNA() || e.String() != v {
				t.Errorf("%s: expected %q, found %q", w.name, v, e.String())
			}
		}
		if w.name != "nul" && w.name != "nan" && (!r.DataFrame.Col(w.name).Elem(1).IsNA() || col.Nulls != 1) {
			t.Errorf("%s: expected NULL in row 1, found %v (nulls %d)", w.name, r.DataFrame.Col(w.name).Elem(1), col.Nulls)
		}
	}
	if c, _ := r.Column("bigdec"); c.Inexact != 1 || c.Example != "12345678901234567890.123" {
		t.Errorf("a decimal beyond float64's precision: expected it counted as inexact with its exact text, found %+v", c)
	}
	if c, _ := r.Column("dec"); c.Inexact != 0 {
		t.Errorf("decimal(12,2) fits a float64: expected no inexact value, found %d", c.Inexact)
	}
	if got := r.DataFrame.Col("i64").Type(); got != series.Int {
		t.Errorf("bigint: expected gota Int, found %s", got)
	}
}
