package report

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/replicalab/replicalab/helpers/chart"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/pgtest"
)

// VERIFY on what the helpers themselves record: tables loaded by frame (every kind of column: text, enum,
// char, boolean, integers, numeric, float, timestamptz, date, json, uuid-like text, NULLs), a chart of a
// loaded DataFrame, and SQL charts. Unchanged data gives no drift — so the numbers frame keeps and those of a
// plain pgx read of the same query agree for every type — and a write on the primary is flagged.
func TestVerifyWhatTheHelpersRecorded(t *testing.T) {
	c := pgtest.Shared(t)
	for k, v := range c.Env() {
		t.Setenv(k, v)
	}
	repo := repoWithEnv(t)
	t.Setenv("REPLICALAB_REPO", repo)
	ctx := context.Background()
	db, err := replica.Open(ctx, replica.Quiet(), replica.NoInterruptHandler())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	load := func(sql string, args ...any) *frame.Result {
		t.Helper()
		r, err := frame.Load(ctx, db, sql, frame.Args(args...), frame.NoCache(), frame.Quiet())
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	kinds := load(`SELECT o.id, o.order_number, o.status, o.currency, o.subtotal, o.total::float8 AS total_f, o.placed_at,
		o.delivered_on, o.shipping_address, buyer.is_test, md5(o.id::text)::uuid AS ref
		FROM orders o JOIN companies buyer ON buyer.id = o.buyer_company_id WHERE o.placed_at < $1 ORDER BY o.id LIMIT 300`,
		time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	perStatus := load("SELECT status::text AS status, count(*) AS orders, sum(total) AS total FROM orders WHERE currency = $1 GROUP BY 1 ORDER BY 1", "EUR")
	all := load("SELECT id, status, currency, total, placed_at FROM orders")
	bar := chart.Bar(all.DataFrame, "status", chart.Title("Orders per status"))
	hist := chart.HistogramQuery(ctx, db, "SELECT total FROM orders WHERE currency = $1", chart.Args("EUR"), chart.Title("EUR totals"))
	months := chart.TimeCountsQuery(ctx, db, "SELECT placed_at FROM orders", chart.Every(chart.Month), chart.Title("Orders per month"))
	for _, ch := range []*chart.Chart{bar, hist, months} {
		if ch.Err != nil {
			t.Fatal(ch.Err)
		}
	}
	html := func(h string) []map[string]any { return []map[string]any{display(map[string]any{"text/html": h})} }
	nbPath := writeNotebook(t, repo, md("# Verified by the helpers' records"),
		code("", html(kinds.HTML())), code("", html(perStatus.HTML())), code("", html(perStatus.Summary().HTML())),
		code("", html(bar.HTML())), code("", html(hist.HTML())), code("", html(months.HTML())))
	verified := func() *Result {
		t.Helper()
		res, err := Export(ctx, ExportOptions{Notebook: nbPath, Repo: repo, Verify: true}, &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Sources) != 6 {
			t.Fatalf("%d figures and tables in the report, want 6", len(res.Sources))
		}
		return res
	}
	res := verified()
	for _, s := range res.Sources {
		if s.Check == nil || s.Check.Changed() || s.Check.Err != "" || s.Check.Unrecorded {
			t.Errorf("%s (%s) on unchanged data: %v", s.Label(), s.Title, s.Check)
		}
	}

	// Two EUR orders are cancelled on the primary; the replica replays it.
	su, err := pgx.Connect(ctx, c.SuperuserURL())
	if err != nil {
		t.Fatal(err)
	}
	defer su.Close(ctx)
	if _, err := su.Exec(ctx, `UPDATE orders SET status = 'cancelled', cancelled_reason = 'verify-helpers'
		WHERE id IN (SELECT id FROM orders WHERE status = 'paid' AND currency = 'EUR' ORDER BY id DESC LIMIT 2)`); err != nil {
		t.Fatal(err)
	}
	defer func() {
		// cancelled_reason marks the rows this test changed: they were paid.
		if _, err := su.Exec(ctx, `UPDATE orders SET status = 'paid', cancelled_reason = NULL WHERE cancelled_reason = 'verify-helpers'`); err != nil {
			t.Error(err)
		}
		_ = c.WaitReplayed(ctx)
	}()
	if err := c.WaitReplayed(ctx); err != nil {
		t.Fatal(err)
	}
	res = verified()
	changed := map[string]bool{}
	for _, s := range res.Sources {
		if s.Check.Err != "" {
			t.Errorf("%s: %s", s.Label(), s.Check.Err)
		}
		changed[s.Label()] = s.Check.Changed()
	}
	// Table 2 counts orders per status (and its summary, Table 3, describes it); Figure 1 counts all orders
	// per status. The histogram of totals and the orders per month do not move; the first 300 orders of
	// before June 2025 may or may not hold the two.
	for label, want := range map[string]bool{"Table 2": true, "Table 3": true, "Figure 1": true, "Figure 2": false, "Figure 3": false} {
		if changed[label] != want {
			t.Errorf("%s changed = %v, want %v", label, changed[label], want)
		}
	}
	out, _ := os.ReadFile(res.HTMLPath)
	if !strings.Contains(string(out), "rows with status = cancelled") && !strings.Contains(string(out), "in row cancelled") {
		t.Errorf("the report does not say which numbers moved")
	}
}
