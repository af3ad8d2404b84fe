package report

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/replicalab/replicalab/internal/pgtest"
	"github.com/replicalab/replicalab/internal/provenance"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// recorded runs a query on the replica as a helper would when it draws a figure, and returns the figure's
// record with the numbers it saw.
func recorded(t *testing.T, c *pgtest.Cluster, title, sql string, args ...any) provenance.Record {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.ReplicaURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	n, err := rerun(ctx, conn, provenance.Lineage{SQL: sql, Args: provenance.EncodeArgs(args)})
	if err != nil {
		t.Fatal(err)
	}
	l := provenance.NewLineage(sql, args, n.Total, provenance.Read{At: time.Now(), LagKnown: true})
	l.Numbers = n
	return provenance.Record{Kind: provenance.Figure, Title: title, Sources: []provenance.Lineage{l}}
}

func recordOut(rec provenance.Record) map[string]any {
	return map[string]any{"output_type": "display_data",
		"data":     map[string]any{"image/svg+xml": `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>`, "text/plain": rec.Title},
		"metadata": map[string]any{provenance.MetadataKey: rec}}
}

func TestVerifyFlagsFiguresWhoseNumbersChangedOnThePrimary(t *testing.T) {
	c := pgtest.Shared(t)
	for k, v := range c.Env() {
		t.Setenv(k, v)
	}
	repo := repoWithEnv(t)
	byStatus := recorded(t, c, "Orders per status", "SELECT status::text AS status, count(*) AS orders FROM orders WHERE currency = $1 GROUP BY 1 ORDER BY 1", "EUR")
	companies := recorded(t, c, "Companies", "SELECT count(*) AS companies FROM companies")
	big := recorded(t, c, "All order items", "SELECT id, quantity, unit_price FROM order_items")
	if !big.Sources[0].Numbers.Partial {
		t.Fatalf("order_items should be a large result (%d rows)", big.Sources[0].Numbers.Total)
	}
	nbPath := writeNotebook(t, repo, md("# Verified"),
		code("", []map[string]any{recordOut(byStatus)}), code("", []map[string]any{recordOut(companies)}), code("", []map[string]any{recordOut(big)}))
	verified := func() (*Result, string) {
		t.Helper()
		res, err := Export(context.Background(), ExportOptions{Notebook: nbPath, Repo: repo, Verify: true}, &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		return res, string(must(os.ReadFile(res.HTMLPath)))
	}

	// Unchanged data: nothing is flagged.
	res, h := verified()
	for _, s := range res.Sources {
		if s.Check == nil || s.Check.Changed() || s.Check.Err != "" || s.Check.Unrecorded {
			t.Errorf("%s: %v", s.Label(), s.Check)
		}
	}
	if !strings.Contains(h, "3 figures and tables checked against the replica, all unchanged (tolerance 0.5 %)") || strings.Contains(h, "⚠") {
		t.Errorf("header after an unchanged run: %s", h[strings.Index(h, "<dt>Checked"):strings.Index(h, "</header>")])
	}

	// A write on the primary: two paid EUR orders are cancelled, the replica replays it.
	ctx := context.Background()
	su, err := pgx.Connect(ctx, c.SuperuserURL())
	if err != nil {
		t.Fatal(err)
	}
	defer su.Close(ctx)
	restore := func() {
		if _, err := su.Exec(ctx, `UPDATE orders SET status = 'paid' WHERE id IN (SELECT id FROM orders WHERE status = 'cancelled' AND currency = 'EUR' AND cancelled_reason = 'verify-test')`); err != nil {
			t.Error(err)
		}
		if _, err := su.Exec(ctx, `UPDATE orders SET cancelled_reason = NULL WHERE cancelled_reason = 'verify-test'`); err != nil {
			t.Error(err)
		}
		_ = c.WaitReplayed(ctx)
	}
	tag, err := su.Exec(ctx, `UPDATE orders SET status = 'cancelled', cancelled_reason = 'verify-test' WHERE id IN (SELECT id FROM orders WHERE status = 'paid' AND currency = 'EUR' ORDER BY id LIMIT 2)`)
	if err != nil || tag.RowsAffected() != 2 {
		t.Fatalf("write on the primary: %v (%v)", err, tag)
	}
	defer restore()
	if err := c.WaitReplayed(ctx); err != nil {
		t.Fatal(err)
	}
	res, h = verified()
	s := res.Sources[0]
	if s.Check == nil || !s.Check.Changed() {
		t.Fatalf("Figure 1 not flagged after the write: %v", s.Check)
	}
	for _, want := range []string{"orders in row cancelled", "orders in row paid"} {
		if !strings.Contains(s.Check.String(), want) {
			t.Errorf("Figure 1's check does not name %q: %s", want, s.Check)
		}
	}
	if res.Sources[1].Check.Changed() {
		t.Errorf("Figure 2 (companies) flagged: %s", res.Sources[1].Check)
	}
	for _, want := range []string{"the numbers of Figure 1 changed by more than 0.5 %", `<span class="drift"> ⚠ The numbers behind this figure have changed`, "CHANGED since it was made"} {
		if !strings.Contains(h, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	// A tolerance wide enough lets the change pass.
	wide, err := Export(context.Background(), ExportOptions{Notebook: nbPath, Repo: repo, Verify: true, Tolerance: 0.9}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if wide.Sources[0].Check.Changed() {
		t.Errorf("flagged within a 90 %% tolerance: %s", wide.Sources[0].Check)
	}
}
