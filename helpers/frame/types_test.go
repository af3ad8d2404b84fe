package frame_test

import (
	"context"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/internal/display"
)

// everyType has one column per mapped PostgreSQL type; row 1 holds ordinary
// values, row 2 extremes and look-alikes of missing values ("NaN", "NA", ”),
// row 3 only NULLs, row 4 more edge cases.
const everyType = `SELECT * FROM (VALUES
 (1, 32767::int2, 2147483647::int4, 9223372036854775807::int8, 1.5::float4, 0.1::float8, 1234.56::numeric,
  'NA'::text, 'abc'::varchar(10), 'CA'::char(2), '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9'::uuid, 'paid'::order_status,
  '192.168.0.1'::inet, '10.0.0.0/8'::cidr, true, '2024-02-29'::date, '2024-02-29 12:34:56.123456'::timestamp,
  '2024-02-29 12:34:56.123456+00'::timestamptz, '23:59:59.999999'::time, '1 year 2 mons 3 days 04:05:06.5'::interval,
  '{"a": [1, 2]}'::json, '{"b": null}'::jsonb, '{a,NULL,"b c"}'::text[], '{1,2,NULL}'::int4[], '\xdeadbeef'::bytea, 26::oid),
 (2, '-32768'::int2, -2147483648, -9223372036854775808, 'NaN', '-Infinity', 'NaN',
  'NaN', '', 'x'::char(2), '00000000-0000-0000-0000-000000000000', 'refunded',
  '::1', '2001:db8::/32', false, 'infinity', '-infinity',
  '1970-01-01 00:00:00+00', '00:00:00', '-1 days -02:00:00',
  'null', '[]', '{}', '{}', '\x', '0'::oid),
 (3, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL),
 (4, '0', 0, 0, 'Infinity', 'NaN', '12345678901234567890.123',
  '<script>alert(1)</script>', 'héllo ✓', ' '::char(2), 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'pending',
  '10.1.2.3/24', '192.168.0.0/16', true, '1900-01-01', '2240-12-31 23:59:59.999999',
  '1700-01-01 00:00:00.000001+00', '12:00:00.5', '0',
  '"s"', '{"k": "<v>"}', '{"NULL"}', '{-1}', '\x00ff', '4294967295'::oid)
) AS t(row, i2, i4, i8, f4, f8, num, txt, vc, ch, u, st, ip, net, b, d, ts, tstz, tm, iv, j, jb, arr, iarr, raw, o)`

// want is what a user should find: per column, the gota type, the kind, the
// database type and the value of each row (nil: NULL; nan: float NaN).
var nan = math.NaN()

type wantCol struct {
	name   string
	series series.Type
	kind   frame.Kind
	pgType string
	rows   [4]any
}

func utc(y int, mo time.Month, d, h, mi, s, us int) float64 {
	return frame.Unix(time.Date(y, mo, d, h, mi, s, us*1000, time.UTC))
}

var everyTypeWant = []wantCol{
	{"row", series.Int, frame.Integer, "int4", [4]any{1, 2, 3, 4}},
	{"i2", series.Int, frame.Integer, "int2", [4]any{32767, -32768, nil, 0}},
	{"i4", series.Int, frame.Integer, "int4", [4]any{2147483647, -2147483648, nil, 0}},
	{"i8", series.Int, frame.Integer, "int8", [4]any{math.MaxInt64, math.MinInt64, nil, 0}},
	{"f4", series.Float, frame.Float, "float4", [4]any{1.5, nan, nil, math.Inf(1)}},
	{"f8", series.Float, frame.Float, "float8", [4]any{0.1, math.Inf(-1), nil, nan}},
	{"num", series.Float, frame.Numeric, "numeric", [4]any{1234.56, nan, nil, 12345678901234567890.123}},
	{"txt", series.String, frame.Text, "text", [4]any{"NA", "NaN", nil, "<script>alert(1)</script>"}},
	{"vc", series.String, frame.Text, "varchar", [4]any{"abc", "", nil, "héllo ✓"}},
	{"ch", series.String, frame.Text, "bpchar", [4]any{"CA", "x ", nil, "  "}},
	{"u", series.String, frame.Text, "uuid", [4]any{"0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", "00000000-0000-0000-0000-000000000000", nil, "ffffffff-ffff-ffff-ffff-ffffffffffff"}},
	{"st", series.String, frame.Text, "order_status", [4]any{"paid", "refunded", nil, "pending"}},
	{"ip", series.String, frame.Text, "inet", [4]any{"192.168.0.1", "::1", nil, "10.1.2.3/24"}},
	{"net", series.String, frame.Text, "cidr", [4]any{"10.0.0.0/8", "2001:db8::/32", nil, "192.168.0.0/16"}},
	{"b", series.Bool, frame.Boolean, "bool", [4]any{true, false, nil, true}},
	{"d", series.Float, frame.Date, "date", [4]any{utc(2024, 2, 29, 0, 0, 0, 0), math.Inf(1), nil, utc(1900, 1, 1, 0, 0, 0, 0)}},
	{"ts", series.Float, frame.Timestamp, "timestamp", [4]any{utc(2024, 2, 29, 12, 34, 56, 123456), math.Inf(-1), nil, utc(2240, 12, 31, 23, 59, 59, 999999)}},
	{"tstz", series.Float, frame.Timestamp, "timestamptz", [4]any{utc(2024, 2, 29, 12, 34, 56, 123456), 0.0, nil, utc(1700, 1, 1, 0, 0, 0, 1)}},
	{"tm", series.Float, frame.TimeOfDay, "time", [4]any{86399.999999, 0.0, nil, 43200.5}},
	// 1 year = 365.25 days, 2 months = 60 days, as EXTRACT(epoch FROM interval) counts them.
	{"iv", series.Float, frame.Interval, "interval", [4]any{(365.25+60+3)*86400 + 4*3600 + 5*60 + 6.5, -(86400.0 + 7200), nil, 0.0}},
	{"j", series.String, frame.JSON, "json", [4]any{`{"a": [1, 2]}`, "null", nil, `"s"`}},
	{"jb", series.String, frame.JSON, "jsonb", [4]any{`{"b": null}`, "[]", nil, `{"k": "<v>"}`}},
	{"arr", series.String, frame.Array, "text[]", [4]any{`{a,NULL,"b c"}`, "{}", nil, `{"NULL"}`}},
	{"iarr", series.String, frame.Array, "int4[]", [4]any{"{1,2,NULL}", "{}", nil, "{-1}"}},
	{"raw", series.String, frame.Text, "bytea", [4]any{`\xdeadbeef`, `\x`, nil, `\x00ff`}},
	{"o", series.Int, frame.Integer, "oid", [4]any{26, 0, nil, 4294967295}},
}

// TestEveryTypeRoundTrip loads every mapped type with NULLs from the real
// replica and checks each value as a user would read it from gota, then the
// same through the cache, and through gota's public API path.
func TestEveryTypeRoundTrip(t *testing.T) {
	e := newEnv(t)
	fetched := e.load(everyType)
	if fetched.Source != frame.FromDatabase {
		t.Fatalf("first load: expected source %q, found %q", frame.FromDatabase, fetched.Source)
	}
	checkEveryType(t, "fetched", fetched)

	cached := e.load(everyType)
	if cached.Source != frame.FromCache {
		t.Fatalf("second load: expected source %q, found %q", frame.FromCache, cached.Source)
	}
	checkEveryType(t, "cached", cached)
	defer frame.UseSlowGota()()
	slow := e.load(everyType, frame.NoCache())
	checkEveryType(t, "public gota API", slow)
	slowCached := e.load(everyType)
	checkEveryType(t, "cached, public gota API", slowCached)
}

func checkEveryType(t *testing.T, how string, r *frame.Result) {
	t.Helper()
	df := r.DataFrame
	if nr, nc := df.Dims(); nr != 4 || nc != len(everyTypeWant) {
		t.Fatalf("%s: expected 4 rows × %d columns, found %d × %d", how, len(everyTypeWant), nr, nc)
	}
	for i, w := range everyTypeWant {
		c := r.Columns[i]
		if c.Name != w.name || c.Series != w.series || c.Kind != w.kind || c.Type != w.pgType {
			t.Errorf("%s: column %d: expected %s %s/%s/%s, found %s %s/%s/%s", how, i, w.name, w.series, w.kind, w.pgType,
				c.Name, c.Series, c.Kind, c.Type)
			continue
		}
		if got := df.Types()[i]; got != w.series {
			t.Errorf("%s: column %s: expected gota type %s, found %s", how, w.name, w.series, got)
		}
		for row, want := range w.rows {
			el := df.Elem(row, i)
			switch want := want.(type) {
			case nil:
				if !el.IsNA() || !r.IsNull(w.name, row) {
					t.Errorf("%s: %s row %d: expected NULL (missing, IsNull), found %v (IsNA %v, IsNull %v)", how, w.name, row+1, el, el.IsNA(), r.IsNull(w.name, row))
				}
				continue
			case float64:
				if math.IsNaN(want) {
					if !el.IsNA() || r.IsNull(w.name, row) {
						t.Errorf("%s: %s row %d: expected NaN (missing in gota, not NULL), found %v (IsNA %v, IsNull %v)", how, w.name, row+1, el, el.IsNA(), r.IsNull(w.name, row))
					}
					continue
				}
			}
			if el.IsNA() || r.IsNull(w.name, row) {
				t.Errorf("%s: %s row %d: expected %v, found a missing value", how, w.name, row+1, want)
				continue
			}
			switch want := want.(type) {
			case int:
				if got, err := el.Int(); err != nil || got != want {
					t.Errorf("%s: %s row %d: expected %d, found %d (%v)", how, w.name, row+1, want, got, err)
				}
			case float64:
				if got := el.Float(); got != want {
					t.Errorf("%s: %s row %d: expected %v, found %v", how, w.name, row+1, want, got)
				}
			case string:
				if got := el.String(); got != want {
					t.Errorf("%s: %s row %d: expected %q, found %q", how, w.name, row+1, want, got)
				}
			case bool:
				if got, err := el.Bool(); err != nil || got != want {
					t.Errorf("%s: %s row %d: expected %v, found %v (%v)", how, w.name, row+1, want, got, err)
				}
			}
		}
	}
	num, _ := r.Column("num")
	if num.Inexact != 1 || num.NaNs != 1 || num.Nulls != 1 || !strings.Contains(num.Example, "12345678901234567890.123") {
		t.Errorf("%s: numeric column: expected 1 inexact value (12345678901234567890.123), 1 NaN, 1 NULL; found %+v", how, num)
	}
	if !strings.Contains(strings.Join(r.Warnings, "\n"), `column "num": 1 numeric values do not fit a float64 exactly`) {
		t.Errorf("%s: expected a warning about the inexact numeric, found %q", how, r.Warnings)
	}
	// The time helpers give back the instants.
	tstz, err := r.Times("tstz")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2024, 2, 29, 12, 34, 56, 123456000, time.UTC); !tstz[0].Equal(want) || !tstz[1].Equal(time.Unix(0, 0)) || !tstz[2].IsZero() {
		t.Errorf("%s: Times(tstz): expected %v, 1970-01-01, zero; found %v", how, want, tstz[:3])
	}
	// The documented exact range: 1698 to 2242.
	if old := frame.Times(df.Col("tstz"))[3]; !old.Equal(time.Date(1700, 1, 1, 0, 0, 0, 1000, time.UTC)) {
		t.Errorf("%s: Times(tstz)[3]: expected 1700-01-01 00:00:00.000001, found %v", how, old)
	}
	if ts := frame.Times(df.Col("ts")); !ts[1].IsZero() || !ts[3].Equal(time.Date(2240, 12, 31, 23, 59, 59, 999999000, time.UTC)) {
		t.Errorf("%s: Times(ts): expected zero for -infinity and 2240-12-31 23:59:59.999999, found %v", how, ts)
	}
	iv, ok := frame.Durations(df.Col("iv"))
	if want := (365*24+6+60*24+3*24+4)*time.Hour + 5*time.Minute + 6500*time.Millisecond; iv[0] != want || !ok[0] || ok[2] || iv[1] != -26*time.Hour {
		t.Errorf("%s: Durations(iv): expected %v, -26h, missing; found %v %v", how, want, iv, ok)
	}
	if _, err := r.Times("txt"); err == nil || !strings.Contains(err.Error(), `column "txt": expected a timestamp or date column, found text`) {
		t.Errorf("%s: Times on a text column: expected an error saying so, found %v", how, err)
	}
}

// TestNoValueLostAtVolume compares 20,000 rows of every numeric, boolean,
// time and text-like type, with NULLs and NaNs, against the server's own
// conversions of the same rows (to float8, int8 and text), read with pgx:
// an independent decoder.
func TestNoValueLostAtVolume(t *testing.T) {
	e := newEnv(t)
	const from = ` FROM (SELECT g,
	  CASE WHEN g % 7 = 0 THEN NULL ELSE (hashint8extended(g, 1) % 32768)::int2 END AS i2,
	  CASE WHEN g % 11 = 0 THEN NULL ELSE hashint4(g::int4) END AS i4,
	  CASE WHEN g % 13 = 0 THEN NULL ELSE hashint8extended(g, 2) END AS i8,
	  CASE WHEN g % 5 = 0 THEN NULL WHEN g % 17 = 0 THEN 'NaN'::float8 ELSE hashint8extended(g, 3)::float8 / 7e12 END AS f8,
	  CASE WHEN g % 23 = 0 THEN NULL ELSE hashint4(g::int4 + 9)::float4 / 3 END AS f4,
	  CASE WHEN g % 3 = 0 THEN NULL WHEN g % 29 = 0 THEN 'NaN'::numeric
	       ELSE (hashint8extended(g, 4) % 100000000000)::numeric / 100 END AS num,
	  CASE WHEN g % 31 = 0 THEN NULL ELSE hashint8extended(g, 5)::numeric * 1000 / 7 END AS wide,
	  CASE WHEN g % 4 = 0 THEN NULL ELSE g % 3 = 0 END AS b,
	  CASE WHEN g % 9 = 0 THEN NULL WHEN g % 10 = 0 THEN 'NaN' WHEN g % 12 = 0 THEN 'NA' ELSE md5(g::text) END AS txt,
	  CASE WHEN g % 8 = 0 THEN NULL ELSE timestamptz '2000-01-01 00:00:00+00' + (hashint8extended(g, 6) % 3000000000000000) * interval '1 microsecond' END AS tstz,
	  timestamp '1990-06-15 00:00:00' + (hashint8extended(g, 7) % 1000000000000000) * interval '1 microsecond' AS ts,
	  CASE WHEN g % 6 = 0 THEN NULL ELSE date '2000-01-01' + (hashint4(g::int4 + 1) % 200000) END AS d,
	  time '00:00' + (abs(hashint8extended(g, 8)) % 86400000000) * interval '1 microsecond' AS tm,
	  make_interval(0, (hashint4(g::int4 + 2) % 40)::int4, 0, (hashint4(g::int4 + 3) % 1000)::int4) + (hashint8extended(g, 9) % 100000000000) * interval '1 microsecond' AS iv,
	  md5(g::text)::uuid AS u,
	  ('10.' || g % 256 || '.' || g / 256 % 256 || '.1/' || 8 + g % 25)::inet AS ip,
	  jsonb_build_object('g', g, 's', md5(g::text), 'a', ARRAY[g, -g]) AS jb,
	  ARRAY[g::text, NULL, 'x y'] AS arr,
	  (ARRAY['pending','paid','shipped','cancelled','refunded'])[1 + g % 5]::order_status AS st
	FROM generate_series(1, 20000) g) x ORDER BY g`
	r := e.load("SELECT i2, i4, i8, f8, f4, num, wide, b, txt, tstz, ts, d, tm, iv, u, ip, jb, arr, st" + from)
	df := r.DataFrame

	ctx := context.Background()
	rows, err := e.db.Query(ctx, `SELECT i2::int8, i4::int8, i8, f8, f4::float8, num::float8, wide::float8, b, txt,
		extract(epoch FROM tstz)::float8, extract(epoch FROM ts)::float8, extract(epoch FROM d)::float8,
		extract(epoch FROM tm)::float8, extract(epoch FROM iv)::float8,
		format('%s', u), format('%s', ip), format('%s', jb), format('%s', arr), format('%s', st), tstz`+from)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	ints := []string{"i2", "i4", "i8"}
	floats := []string{"f8", "f4", "num", "wide", "tstz", "ts", "d", "tm", "iv"}
	texts := []string{"txt", "u", "ip", "jb", "arr", "st"}
	n, nulls, nans := 0, 0, 0
	cols := map[string]series.Series{}
	for _, name := range df.Names() {
		cols[name] = df.Col(name)
	}
	tstzTimes := frame.Times(cols["tstz"])
	for rows.Next() {
		var (
			iv   [3]*int64
			fv   [9]*float64
			b    *bool
			tv   [6]*string
			when *time.Time
		)
		if err := rows.Scan(&iv[0], &iv[1], &iv[2], &fv[0], &fv[1], &fv[2], &fv[3], &b, &tv[0],
			&fv[4], &fv[5], &fv[6], &fv[7], &fv[8], &tv[1], &tv[2], &tv[3], &tv[4], &tv[5], &when); err != nil {
			t.Fatal(err)
		}
		check := func(name string, isNull bool, same func(series.Element) bool, want func() any) {
			el := cols[name].Elem(n)
			if isNull {
				nulls++
				if !el.IsNA() || !r.IsNull(name, n) {
					t.Fatalf("%s row %d: expected NULL, found %v", name, n+1, el)
				}
				return
			}
			if r.IsNull(name, n) || !same(el) {
				t.Fatalf("%s row %d: expected %v, found %v (IsNull %v)", name, n+1, want(), el, r.IsNull(name, n))
			}
		}
		for k, name := range ints {
			v := iv[k]
			check(name, v == nil, func(el series.Element) bool {
				got, err := el.Int()
				return err == nil && !el.IsNA() && int64(got) == *v
			}, func() any { return *v })
		}
		for k, name := range floats {
			v := fv[k]
			check(name, v == nil, func(el series.Element) bool {
				if math.IsNaN(*v) {
					nans++
					return el.IsNA()
				}
				return !el.IsNA() && el.Float() == *v
			}, func() any { return *v })
		}
		check("b", b == nil, func(el series.Element) bool { got, err := el.Bool(); return err == nil && !el.IsNA() && got == *b }, func() any { return *b })
		for k, name := range texts {
			v := tv[k]
			check(name, v == nil, func(el series.Element) bool { return !el.IsNA() && el.String() == *v }, func() any { return *v })
		}
		if when != nil {
			if got := tstzTimes[n]; !got.Equal(*when) {
				t.Fatalf("tstz row %d: Times gives %v, pgx %v", n+1, got, *when)
			}
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 20000 || df.Nrow() != n {
		t.Fatalf("expected 20000 rows from both, found %d and %d", n, df.Nrow())
	}
	if nulls == 0 || nans == 0 {
		t.Fatalf("the data should hold NULLs and NaNs, found %d and %d", nulls, nans)
	}
	wide, _ := r.Column("wide")
	t.Logf("%d values compared; %d NULLs, %d NaNs; %d wide numerics flagged inexact", n*20, nulls, nans, wide.Inexact)
	if wide.Inexact == 0 {
		t.Errorf("numerics with 20+ significant digits should be flagged inexact, found none flagged")
	}
}

// TestGotaLayoutVerified makes sure the fast path is the one in use with the
// pinned gota: if this fails, gota changed and loads got slower (still right).
func TestGotaLayoutVerified(t *testing.T) {
	if !frame.FastGota() {
		t.Fatal("gota's internal layout differs from the one this package mirrors: the slow path is in use")
	}
}

// TestFastAndSlowPathsAgree checks the two ways of filling gota on a frame
// with every gota type, missing values and look-alikes.
func TestFastAndSlowPathsAgree(t *testing.T) {
	e := newEnv(t)
	fast := e.load(everyType, frame.NoCache()).DataFrame
	restore := frame.UseSlowGota()
	slow := e.load(everyType, frame.NoCache()).DataFrame
	restore()
	sameFrame(t, fast, slow)
}

func sameFrame(t *testing.T, a, b dataframe.DataFrame) {
	t.Helper()
	if ar, ac := a.Dims(); ar != b.Nrow() || ac != b.Ncol() {
		t.Fatalf("expected %d × %d, found %d × %d", ar, ac, b.Nrow(), b.Ncol())
	}
	for c, name := range a.Names() {
		if b.Names()[c] != name || a.Types()[c] != b.Types()[c] {
			t.Fatalf("column %d: expected %s %s, found %s %s", c, name, a.Types()[c], b.Names()[c], b.Types()[c])
		}
		for r := 0; r < a.Nrow(); r++ {
			x, y := a.Elem(r, c), b.Elem(r, c)
			if x.IsNA() != y.IsNA() || (!x.IsNA() && x.String() != y.String()) {
				t.Fatalf("%s row %d: expected %v (NA %v), found %v (NA %v)", name, r, x, x.IsNA(), y, y.IsNA())
			}
		}
	}
}

// TestSlowPathWarnsOnceAndKeepsNullApartFromNaN: when gota's layout is not the known one, the
// program is told once, and results still tell NULL from NaN, loaded or read from the cache.
func TestSlowPathWarnsOnceAndKeepsNullApartFromNaN(t *testing.T) {
	e := newEnv(t)
	defer frame.UseSlowGota()()
	rec := &display.Recorder{}
	defer display.Use(rec)()
	fetched := e.load(everyType)
	cached := e.load(everyType)
	if cached.Source != frame.FromCache {
		t.Fatalf("second load: %s", cached.Source)
	}
	warnings := 0
	for _, o := range rec.Outputs() {
		if strings.Contains(o.Text, "gota's internal layout is not the one") {
			warnings++
		}
	}
	if warnings != 1 {
		t.Errorf("the fallback warned %d times, want once:\n%s", warnings, rec.Text())
	}
	for _, r := range []*frame.Result{fetched, cached} {
		// f8 holds 0.1, -Inf, NULL, NaN; num holds 1234.56, NaN, NULL, ...
		if !r.IsNull("f8", 2) || r.IsNull("f8", 3) || !r.IsNull("num", 2) || r.IsNull("num", 1) {
			t.Errorf("%s: NULL and NaN mixed up on the public-API path", r.Source)
		}
		cells := regexp.MustCompile(`<td class="null"[^>]*>(NULL|NaN)</td>`).FindAllStringSubmatch(r.HTML(), -1)
		var shown []string
		for _, c := range cells {
			shown = append(shown, c[1])
		}
		if !strings.Contains(strings.Join(shown, " "), "NaN") || !strings.Contains(strings.Join(shown, " "), "NULL") {
			t.Errorf("%s: the table shows %v, want NULL and NaN apart", r.Source, shown)
		}
	}
}
