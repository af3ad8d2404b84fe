package spark

import (
	"math"
	"strings"
	"testing"

	"github.com/apache/spark-connect-go/spark/sql/functions"
	"github.com/apache/spark-connect-go/spark/sql/types"
	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"github.com/replicalab/replicalab/helpers/frame"
)

// The same analysis as SQL on the replica: events per day and kind, and the median user-agent length.
const (
	dailySpark = `SELECT date_trunc('DAY', occurred_at) AS day, kind, count(*) AS n,
		percentile(length(user_agent), 0.5) AS median_ua, sum(company_id) AS companies
		FROM events GROUP BY 1, 2 ORDER BY 1, 2`
	dailyReplica = `SELECT date_trunc('day', occurred_at AT TIME ZONE 'UTC') AS day, kind, count(*) AS n,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY length(user_agent)) AS median_ua, sum(company_id)::bigint AS companies
		FROM events GROUP BY 1, 2 ORDER BY 1, 2`
)

// sameFrames fails unless a and b hold the same columns, gota types, missing values and values (floats
// within a relative 1e-9).
func sameFrames(t *testing.T, what string, a, b dataframe.DataFrame) {
	t.Helper()
	ar, ac := a.Dims()
	br, bc := b.Dims()
	if ar != br || ac != bc {
		t.Fatalf("%s: %d×%d vs %d×%d", what, ar, ac, br, bc)
	}
	if ar == 0 {
		t.Fatalf("%s: empty results compare equal but prove nothing", what)
	}
	for j, name := range a.Names() {
		if b.Names()[j] != name {
			t.Fatalf("%s: column %d is %q vs %q", what, j, name, b.Names()[j])
		}
		sa, sb := a.Col(name), b.Col(name)
		if sa.Type() != sb.Type() {
			t.Errorf("%s: column %q is %s vs %s", what, name, sa.Type(), sb.Type())
			continue
		}
		bad := 0
		for i := 0; i < ar; i++ {
			ea, eb := sa.Elem(i), sb.Elem(i)
			same := ea.IsNA() == eb.IsNA()
			if same && !ea.IsNA() {
				switch sa.Type() {
				case series.Float:
					x, y := ea.Float(), eb.Float()
					same = x == y || math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y))
				default:
					same = ea.String() == eb.String()
				}
			}
			if !same {
				if bad < 3 {
					t.Errorf("%s: row %d column %q: %v vs %v", what, i, name, ea, eb)
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: column %q differs in %d of %d rows", what, name, bad, ar)
		}
	}
}

func TestLoadEqualsTheSameSQLOnTheReplica(t *testing.T) {
	t.Parallel() // reads only what it creates or names; the counting tests run alone, first
	c, ports := cluster(t)
	ctx := ctxT(t)
	s, _ := open(t, env(t, c, ports...))
	if err := s.Table("events", Partitions(4)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx, dailySpark)
	if err != nil {
		t.Fatal(err)
	}
	want, err := frame.Load(ctx, c.Open(t), dailyReplica, frame.NoCache(), frame.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	sameFrames(t, "Spark SQL vs the replica", got.DataFrame, want.DataFrame)
	for _, col := range got.Columns {
		w, _ := want.Column(col.Name)
		if col.Kind != w.Kind {
			t.Errorf("column %q: kind %s from Spark, %s from the replica", col.Name, col.Kind, w.Kind)
		}
	}
	if c, _ := got.Column("median_ua"); c.Nulls == 0 {
		t.Errorf("some kinds have no user agent at all: expected NULL medians, found none (%+v)", c)
	}
}

func TestDataFrameAPIEqualsTheSameSQLOnTheReplica(t *testing.T) {
	t.Parallel() // reads only what it creates or names; the counting tests run alone, first
	c, ports := cluster(t)
	ctx := ctxT(t)
	s, _ := open(t, env(t, c, ports...))
	if err := s.Table("events"); err != nil {
		t.Fatal(err)
	}
	events, err := s.View(ctx, "events")
	if err != nil {
		t.Fatal(err)
	}
	agg, err := events.GroupBy(functions.DateTrunc("DAY", functions.Col("occurred_at")).Alias("day"), functions.Col("kind")).
		Agg(ctx, functions.Count(functions.Lit(types.Int64(1))).Alias("n"),
			functions.Expr("percentile(length(user_agent), 0.5)").Alias("median_ua"),
			functions.Sum(functions.Col("company_id")).Alias("companies"))
	if err != nil {
		t.Fatal(err)
	}
	sorted, err := agg.OrderBy(ctx, functions.Col("day").Asc(), functions.Col("kind").Asc())
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Collect(ctx, sorted)
	if err != nil {
		t.Fatal(err)
	}
	want, err := frame.Load(ctx, c.Open(t), dailyReplica, frame.NoCache(), frame.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	sameFrames(t, "DataFrame API vs the replica", got.DataFrame, want.DataFrame)
}

func TestPlanSplitsOnTheKeyWithoutScanning(t *testing.T) {
	c, ports := cluster(t)
	ctx := ctxT(t)
	for _, v := range []struct {
		table string
		opts  []Option
		want  []string
	}{
		// The primary key, its bounds from its index: min and max are two index lookups.
		{"events", nil, []string{"4 partitions on id (bounds from the index) over 2 replicas", "2 at once"}},
		// Only a BRIN index: min and max would scan, so the bounds come from pg_stats.
		{"events", []Option{Key("occurred_at"), Partitions(3)}, []string{"3 partitions on occurred_at (bounds from pg_stats) over 2 replicas"}},
		{"orders", []Option{Partitions(6), Key("placed_at")}, []string{"6 partitions on placed_at (bounds from the index)", "over 2 replicas", "3 partition(s), 2 at once"}},
		{"orders", []Option{Key("delivered_on"), Partitions(2), Bounds("2025-01-01", "2026-06-30")}, []string{"2 partitions on delivered_on (bounds from spark.Bounds)", "delivered_on < 2025-10-01"}},
		{"orders", []Option{Partitions(1)}, []string{"1 partition:", "reads every row in 1 partition(s), 1 at once"}},
	} {
		s, _ := open(t, env(t, c, ports...), MaxConns(2))
		if err := s.Table(v.table, v.opts...); err != nil {
			t.Fatal(err)
		}
		conn := super(t, c, ports[0])
		scans := func() (n int64) {
			if err := conn.QueryRow(ctx, "SELECT seq_scan + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = $1", v.table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := scans()
		plan, err := s.Plan(ctx, v.table)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range v.want {
			if !strings.Contains(plan, w) {
				t.Errorf("plan of %s %v: expected %q in\n%s", v.table, v.opts, w, plan)
			}
		}
		if after := scans(); after-before > 2 {
			t.Errorf("planning %s scanned it on the replica: %d scans (at most 2 index lookups expected)", v.table, after-before)
		}
	}
}

func TestPlanRefusesWhatWouldNeedAScanOrCannotSplit(t *testing.T) {
	c, ports := cluster(t)
	ctx := ctxT(t)
	for _, v := range []struct {
		table, view string
		opts        []Option
		want        string
	}{
		// Never analyzed and no index on "at": only a scan could find its range.
		{"audit_log", "audit_log", []Option{Key("at")}, "without scanning it: no index starts with that column and pg_stats has no statistics"},
		{"payments", "payments", nil, "expected an integer, date or timestamp partition key, found \"public\".\"payments\".\"id\" of type uuid"},
		{"payments", "payments", []Option{Key("amount")}, "of type numeric(12,2)"},
		{"payments", "payments", []Option{Key("nosuchcolumn")}, `found "nosuchcolumn", which it does not have`},
		{"nosuchtable", "nosuchtable", nil, "does not exist on the replica"},
	} {
		s, _ := open(t, env(t, c, ports[0]))
		if err := s.Table(v.table, v.opts...); err != nil {
			t.Fatal(err)
		}
		_, err := s.Plan(ctx, v.view)
		if err == nil || !strings.Contains(err.Error(), v.want) {
			t.Errorf("%s %v: expected an error with %q, found %v", v.table, v.opts, v.want, err)
		}
	}
	s, _ := open(t, env(t, c, ports[0]))
	if _, err := s.Plan(ctx, "unregistered"); err == nil || !strings.Contains(err.Error(), "registered view") {
		t.Errorf("an unregistered view: expected a clear error, found %v", err)
	}
	if err := s.QueryView("recent", "SELECT * FROM orders WHERE placed_at > now() - interval '30 days'", Partitions(4)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Plan(ctx, "recent"); err == nil || !strings.Contains(err.Error(), "a query is split on a key") {
		t.Errorf("a query split without a key: expected a clear error, found %v", err)
	}
	for _, bad := range []struct {
		name string
		err  error
	}{
		{"1bad", s.Table("x", Partitions(-1))},
		{"lo only", s.QueryView("q", "SELECT 1", Key("id"), Bounds(1, nil))},
		{"bounds without key", s.QueryView("q2", "SELECT 1 AS id", Bounds(1, 2))},
		{"bad view name", s.QueryView("no spaces", "SELECT 1")},
		{"empty query", s.QueryView("empty", " ; ")},
	} {
		if bad.err == nil {
			t.Errorf("%s: expected an error", bad.name)
		}
	}
}
