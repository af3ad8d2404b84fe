package explore_test

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/helpers/explore"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// open connects to the shared test replica the way a notebook does.
func open(t testing.TB) (*pgtest.Cluster, *replica.Pool) {
	t.Helper()
	c := pgtest.Shared(t)
	var env []string
	for k, v := range c.Env() {
		env = append(env, k+"="+v)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFrom(dir, env)
	if err != nil {
		t.Fatal(err)
	}
	db, err := replica.Open(context.Background(), replica.WithConfig(cfg), replica.Quiet(), replica.NoInterruptHandler())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return c, db
}

// super connects as the superuser to the replica, an independent client for assertions.
func super(t testing.TB, c *pgtest.Cluster) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), c.ReplicaSuperuserURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestTablesSaysCountsAreEstimatesAndKnowsNeverAnalyzed(t *testing.T) {
	c, db := open(t)
	ctx := context.Background()
	ov, err := explore.Tables(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{}
	rows, _ := super(t, c).Query(ctx, "SELECT relname, reltuples FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'")
	for rows.Next() {
		var n string
		var r float64
		if err := rows.Scan(&n, &r); err != nil {
			t.Fatal(err)
		}
		want[n] = r
	}
	if len(ov.Tables) != len(want) || len(want) != 11 {
		t.Fatalf("want the 11 demo tables, got %d: %v", len(ov.Tables), ov.Tables)
	}
	if !ov.InReplica {
		t.Error("the overview should know it reads a replica")
	}
	for _, tb := range ov.Tables {
		r := want[tb.Name]
		switch {
		case r < 0 && (tb.Analyzed || tb.Estimate != -1 || !strings.Contains(tb.EstimateText(), "never analyzed")):
			t.Errorf("%s has reltuples -1: want never analyzed, got %+v (%q)", tb, tb, tb.EstimateText())
		case r >= 0 && (tb.Estimate != int64(math.Round(r)) || !strings.Contains(tb.EstimateText(), "estimate")):
			t.Errorf("%s: want estimate %.0f said to be an estimate, got %d (%q)", tb, r, tb.Estimate, tb.EstimateText())
		}
		if tb.Bytes <= 0 || tb.Comment == "" || !tb.Readable {
			t.Errorf("%s: want a size, the table's comment and SELECT, got %+v", tb, tb)
		}
	}
	audit, ok := ov.Find("audit_log")
	if !ok || audit.Analyzed {
		t.Errorf("audit_log: want listed and never analyzed, got %+v", audit)
	}
	h := ov.HTML()
	for _, s := range []string{"never analyzed (row count unknown)", "≈ 50,000 (estimate)", "not counts", "unknown on a replica", "onclick="} {
		if !strings.Contains(h, s) {
			t.Errorf("overview HTML: want %q in it", s)
		}
	}
	// Exploration output is marked for reports (which move it to their appendix), and the hints meant for
	// the analyst are marked as notebook-only (reports leave them out).
	for _, s := range []string{`data-replicalab-kind="explore" data-replicalab-explore="overview"`,
		`<span data-replicalab-notebook-only="true">; use explore.ExactCount for an exact count</span>`,
		`<span data-replicalab-notebook-only="true"> Click a header to sort.</span>`} {
		if !strings.Contains(h, s) {
			t.Errorf("overview HTML: want %q in it", s)
		}
	}
}

func TestDescribeMatchesPgStatsAndMasksPersonalValues(t *testing.T) {
	c, db := open(t)
	ctx := context.Background()
	plain, err := explore.Describe(ctx, db, "users", explore.ShowPersonal())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := super(t, c).Query(ctx, `SELECT attname, null_frac, n_distinct, coalesce(most_common_vals::text::text[], '{}'),
		coalesce(most_common_freqs, '{}'), coalesce(histogram_bounds::text::text[], '{}'), correlation
		FROM pg_stats WHERE schemaname = 'public' AND tablename = 'users'`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var name string
		var nf, nd float32
		var mcv, hist []string
		var freqs []float32
		var corr *float32
		if err := rows.Scan(&name, &nf, &nd, &mcv, &freqs, &hist, &corr); err != nil {
			t.Fatal(err)
		}
		n++
		col, ok := plain.Column(name)
		if !ok || col.Stats == nil {
			t.Errorf("%s: has statistics in pg_stats, missing from the profile", name)
			continue
		}
		s := col.Stats
		if float32(s.NullFrac) != nf || float32(s.NDistinct) != nd || strings.Join(s.MostCommon, "\x00") != strings.Join(mcv, "\x00") ||
			len(s.Freqs) != len(freqs) || strings.Join(s.Histogram, "\x00") != strings.Join(hist, "\x00") {
			t.Errorf("%s: profile differs from pg_stats: got null %v distinct %v mcv %d hist %d, pg_stats %v %v %d %d",
				name, s.NullFrac, s.NDistinct, len(s.MostCommon), len(s.Histogram), nf, nd, len(mcv), len(hist))
		}
		for i := range freqs {
			if float32(s.Freqs[i]) != freqs[i] {
				t.Errorf("%s: frequency %d: got %v, pg_stats %v", name, i, s.Freqs[i], freqs[i])
			}
		}
		if (corr == nil) != (s.Correlation == nil) || (corr != nil && float32(*s.Correlation) != *corr) {
			t.Errorf("%s: correlation differs from pg_stats", name)
		}
		// Negative n_distinct is a fraction of the rows: resolved against the estimate.
		if nd < 0 && s.Distinct != int64(math.Round(-float64(s.NDistinct)*float64(plain.Table.Estimate))) {
			t.Errorf("%s: n_distinct %v with %d rows: want %d distinct, got %d", name, nd, plain.Table.Estimate, int64(-float64(nd)*float64(plain.Table.Estimate)), s.Distinct)
		}
	}
	if n != len(plain.Columns) {
		t.Errorf("users has %d columns, pg_stats profiles %d", len(plain.Columns), n)
	}
	if id, _ := plain.Column("id"); !id.PrimaryKey || !strings.Contains(id.Stats.DistinctText(), "unique") {
		t.Errorf("users.id: want the primary key, unique, got %+v %q", id, id.Stats.DistinctText())
	}
	if cid, _ := plain.Column("company_id"); len(cid.References) != 1 || cid.References[0] != "public.companies(id)" {
		t.Errorf("users.company_id: want FK to public.companies(id), got %v", cid.References)
	}

	masked, err := explore.Describe(ctx, db, "public.users")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"full_name", "email"} {
		raw, _ := plain.Column(name)
		col, _ := masked.Column(name)
		if !col.Personal || (len(raw.Stats.MostCommon)+len(raw.Stats.Histogram) > 0 && !col.Stats.Masked) {
			t.Errorf("%s should be masked by default: %+v", name, col.Stats)
		}
		h := masked.HTML()
		for _, v := range append(raw.Stats.MostCommon, raw.Stats.Histogram...) {
			if strings.Contains(h, ">"+v+"<") || strings.Contains(h, v+" …") {
				t.Fatalf("%s value %q shown despite masking", name, v)
			}
		}
	}
	if loc, _ := masked.Column("locale"); loc.Stats.Masked || len(loc.Stats.MostCommon) == 0 || loc.Stats.MostCommon[0] == "•••" {
		t.Errorf("locale is not personal: its values should show, got %+v", loc.Stats)
	}
	h := masked.HTML()
	for _, s := range []string{"masked: personal column", "FK → public.companies(id)", "users_email_key", "<svg", "no table was read"} {
		if !strings.Contains(h, s) {
			t.Errorf("detail HTML: want %q", s)
		}
	}
}

func TestDescribeSaysWhenThereAreNoStatistics(t *testing.T) {
	_, db := open(t)
	d, err := explore.Describe(context.Background(), db, "audit_log")
	if err != nil {
		t.Fatal(err)
	}
	if d.Table.Analyzed || !strings.Contains(d.HTML(), "never analyzed (row count unknown)") {
		t.Errorf("audit_log: want never analyzed, got %+v", d.Table)
	}
	for _, c := range d.Columns {
		if c.Stats != nil {
			t.Errorf("%s: want no statistics, got %+v", c.Name, c.Stats)
		}
	}
	if got := strings.Count(d.HTML(), "no statistics"); got != len(d.Columns) {
		t.Errorf("want every one of the %d columns to say it has no statistics, %d do", len(d.Columns), got)
	}
	_, err = explore.Describe(context.Background(), db, "no_such_table")
	if !errors.Is(err, explore.ErrNoTable) || !strings.Contains(err.Error(), `"no_such_table"`) {
		t.Errorf("want ErrNoTable naming the table, got %v", err)
	}
}

// statements returns the statements the analyst role ran on the replica since the last reset,
// with their number of calls.
func statements(t *testing.T, conn *pgx.Conn) map[string]int64 {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT query, calls FROM pg_stat_statements
		WHERE userid = 'analyst'::regrole AND dbid = (SELECT oid FROM pg_database WHERE datname = 'marketplace')`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for rows.Next() {
		var q string
		var n int64
		if err := rows.Scan(&q, &n); err != nil {
			t.Fatal(err)
		}
		out[q] += n
	}
	return out
}

func TestExploringSendsFewStatementsAndReadsNoTable(t *testing.T) {
	c, db := open(t)
	ctx := context.Background()
	su := super(t, c)
	reads := regexp.MustCompile(`(?i)\bFROM\s+("?public"?\.)?"?(orders|companies|users|events|audit_log)"?\b`)
	measure := func(fn func()) (total int64, scans []string) {
		if _, err := su.Exec(ctx, "SELECT pg_stat_statements_reset()"); err != nil {
			t.Fatal(err)
		}
		fn()
		for q, n := range statements(t, su) {
			if strings.Contains(q, "pg_stat_statements_reset") {
				continue
			}
			total += n
			if reads.MatchString(q) {
				scans = append(scans, q)
			}
		}
		return total, scans
	}
	// Warm the pool first: a new connection's own set-up statements would be counted otherwise.
	if _, err := explore.Describe(ctx, db, "orders"); err != nil {
		t.Fatal(err)
	}
	var detailStatements []int64
	for _, table := range []string{"orders", "audit_log", "companies"} { // 17, 6 and 14 columns
		total, scans := measure(func() {
			if _, err := explore.Describe(ctx, db, table); err != nil {
				t.Fatal(err)
			}
		})
		detailStatements = append(detailStatements, total)
		if len(scans) > 0 {
			t.Errorf("describing %s read the table: %v", table, scans)
		}
		if total > 9 {
			t.Errorf("describing %s sent %d statements: want at most 9 (catalog queries plus transaction control)", table, total)
		}
	}
	// Per-column queries would differ by the column counts (17, 6, 14); one statement of slack covers a
	// pool connection replaced between measures.
	if slices.Max(detailStatements)-slices.Min(detailStatements) > 1 {
		t.Errorf("statements per detail should not depend on the number of columns, got %v", detailStatements)
	}
	total, scans := measure(func() {
		if _, err := explore.Tables(ctx, db); err != nil {
			t.Fatal(err)
		}
		if _, err := explore.Relationships(ctx, db, explore.Schema("public"), explore.Inferred()); err != nil {
			t.Fatal(err)
		}
	})
	if len(scans) > 0 || total > 13 { // 1 + 3 catalog queries, each call: BEGIN, SELECT 1, set_config, COMMIT
		t.Errorf("overview and diagram: want at most 13 statements and no table read, got %d, reads %v", total, scans)
	}
	// The same measure sees a real scan: an exact count, which runs only when asked.
	_, scans = measure(func() {
		if _, err := explore.ExactCount(ctx, db, "orders"); err != nil {
			t.Fatal(err)
		}
	})
	// Its cost preview mentions the table too, but only plans it.
	scans = slices.DeleteFunc(scans, func(q string) bool { return strings.HasPrefix(q, "EXPLAIN ") })
	if len(scans) != 1 {
		t.Errorf("an exact count should show as one statement reading orders (its EXPLAIN aside), got %v", scans)
	}
}

func TestExactCountWarnsOnBigAndUnknownTables(t *testing.T) {
	c, db := open(t)
	ctx := context.Background()
	var want int64
	if err := super(t, c).QueryRow(ctx, "SELECT count(*) FROM orders").Scan(&want); err != nil {
		t.Fatal(err)
	}
	got, err := explore.ExactCount(ctx, db, "orders")
	if err != nil || got.Rows != want || got.Warning != "" {
		t.Errorf("orders: want %d rows without warning, got %+v %v", want, got, err)
	}
	got, err = explore.ExactCount(ctx, db, "orders", explore.Big(1000))
	if err != nil || !strings.Contains(got.Warning, "whole table") {
		t.Errorf("orders over a 1,000-row threshold: want a warning, got %+v %v", got, err)
	}
	got, err = explore.ExactCount(ctx, db, "audit_log")
	if err != nil || got.Rows == 0 || got.Estimate != -1 || !strings.Contains(got.String(), "never analyzed") {
		t.Errorf("audit_log: want rows, unknown estimate and a warning, got %+v %v", got, err)
	}
}

func TestDiagramHasEveryForeignKey(t *testing.T) {
	c, db := open(t)
	ctx := context.Background()
	var want []string
	rows, _ := super(t, c).Query(ctx, "SELECT conname FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace")
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		want = append(want, n)
	}
	sort.Strings(want)
	if len(want) < 15 {
		t.Fatalf("the demo schema should have its foreign keys, found %v", want)
	}
	g, err := explore.Relationships(ctx, db, explore.Schema("public"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range g.Edges {
		got = append(got, e.Name)
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") || len(g.Nodes) != 11 {
		t.Fatalf("want every foreign key %v over 11 tables, got %v over %d", want, got, len(g.Nodes))
	}
	edgeIDs := regexp.MustCompile(`<g id="fk:([^"]+)" class="edge"`)
	check := func(layout, svg string) {
		var ids []string
		for _, m := range edgeIDs.FindAllStringSubmatch(svg, -1) {
			ids = append(ids, m[1])
		}
		sort.Strings(ids)
		if strings.Join(ids, " ") != strings.Join(want, " ") {
			t.Errorf("%s SVG: want an edge per foreign key %v, got %v", layout, want, ids)
		}
	}
	check("built-in", g.LayeredSVG())
	if _, err := exec.LookPath("dot"); err != nil {
		t.Log("Graphviz dot not installed: only the built-in layout was checked")
	} else {
		svg, err := g.DotSVG(ctx)
		if err != nil {
			t.Fatal(err)
		}
		check("dot", svg)
	}

	near, err := explore.Relationships(ctx, db, explore.Around("payments", 2))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range near.Nodes {
		names = append(names, strings.TrimPrefix(n.Table, "public."))
	}
	// payments -> orders (1 hop) -> companies, suppliers, quotes, users, order_items (2 hops)
	if strings.Join(names, ",") != "companies,order_items,orders,payments,quotes,suppliers,users" {
		t.Errorf("2 hops around payments: got %v", names)
	}
}

func TestInferredLinksAreDashedGuesses(t *testing.T) {
	_, db := open(t)
	g, err := explore.Relationships(context.Background(), db, explore.Schema("public"), explore.Inferred())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range g.Edges {
		if e.Inferred {
			t.Errorf("every *_id column of the demo has a foreign key: no inferred link expected, got %+v", e)
		}
	}
	// A schema without foreign keys: links come from names alone.
	g = &explore.Graph{Nodes: []explore.Node{{Table: "s.companies", Keys: []string{"id"}}, {Table: "s.categories", Keys: []string{"id"}}, {Table: "s.orders", Keys: []string{"id"}}}}
	g.Edges = append(g.Edges, explore.Edge{Name: "inferred:orders.buyer_company_id", From: "s.orders", To: "s.companies", Columns: []string{"buyer_company_id"}, RefColumns: []string{"id"}, Inferred: true})
	if dot := g.DOT(); !strings.Contains(dot, "style=dashed") {
		t.Errorf("inferred links should be dashed: %s", dot)
	}
}

func TestHTMLEscapesEverything(t *testing.T) {
	d := &explore.Detail{Table: explore.Table{Schema: "public", Name: "<b>x</b>", Kind: "table", Estimate: 1, Analyzed: true, Comment: `<script>alert(1)</script>`},
		Columns: []explore.Column{{Name: "a&b", Type: "text", Comment: "<img src=x>", Stats: &explore.Stats{MostCommon: []string{"<i>v</i>"}, Freqs: []float64{0.5}}}}}
	h := d.HTML()
	for _, bad := range []string{"<script>", "<img", "<i>v</i>", "<b>x</b>"} {
		if strings.Contains(h, bad) {
			t.Errorf("unescaped %q in %s", bad, h)
		}
	}
	ov := &explore.Overview{Tables: []explore.Table{d.Table}}
	if strings.Contains(ov.HTML(), "<script>") {
		t.Error("overview: comment not escaped")
	}
}

func TestReadOnlyEvenOnAWritableConnection(t *testing.T) {
	c := pgtest.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.SuperuserURL()) // the primary, as superuser: writable
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	ov, err := explore.Tables(ctx, conn, explore.Schemas("public"))
	if err != nil || ov.InReplica || len(ov.Tables) != 11 {
		t.Fatalf("overview on the primary: %v %v", ov, err)
	}
	var ro, timeout string
	tx, _ := conn.Begin(ctx)
	defer tx.Rollback(ctx)
	// The same transaction set-up explore uses, observed from inside.
	_ = tx.QueryRow(ctx, "SELECT set_config('transaction_read_only', 'on', true), set_config('statement_timeout', '5000', true)").Scan(&ro, &timeout)
	if _, err := tx.Exec(ctx, "CREATE TEMP TABLE x (i int)"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("want writes refused in explore's transactions, got %v", err)
	}
}

func TestSampleRowsAreCappedAndMasked(t *testing.T) {
	_, db := open(t)
	s, err := explore.SampleRows(context.Background(), db, "users", explore.Rows(5))
	if err != nil {
		t.Fatal(err)
	}
	h := s.HTML()
	if n := sampleCount(t, h); n < 1 || n > 5 {
		t.Errorf("want 1 to 5 sample rows, got %d:\n%s", n, h)
	}
	if strings.Contains(h, "@") {
		t.Errorf("e-mails should be masked in sample rows:\n%s", h)
	}
	if !strings.Contains(h, "TABLESAMPLE") {
		t.Errorf("the sample should say how it was drawn:\n%s", h)
	}
}

// SYSTEM sampling picks whole pages; on small tables a small fraction used to pick none.
func TestSampleRowsNeverEmptyOnSmallTables(t *testing.T) {
	_, db := open(t)
	for _, table := range []string{"orders", "companies", "order_items", "payments", "suppliers"} {
		s, err := explore.SampleRows(context.Background(), db, table, explore.Rows(5))
		if err != nil {
			t.Fatal(err)
		}
		h := s.HTML()
		if n := sampleCount(t, h); n < 1 || n > 5 {
			t.Errorf("%s: want 1 to 5 sample rows, got %d", table, n)
		}
	}
}

// sampleCount reads the number of rows of a sample: its header and its table body must agree.
func sampleCount(t *testing.T, h string) int {
	t.Helper()
	m := regexp.MustCompile(`(\d+) sample rows of`).FindStringSubmatch(h)
	if m == nil {
		t.Fatalf("no sample header in %q", h)
	}
	n, _ := strconv.Atoi(m[1])
	body := h[strings.Index(h, "<tbody>")+1:]
	if rows := strings.Count(body, "<tr"); strings.Contains(h, "<tbody>") && rows != n {
		t.Errorf("the header says %d rows, the table has %d", n, rows)
	}
	return n
}
