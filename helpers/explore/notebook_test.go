package explore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/replicalab/replicalab/helpers/explore"
	"github.com/replicalab/replicalab/internal/display"
)

// TestNotebookStyle: the Show… calls run on the notebook's connection (replica.Default, from
// the environment), show what the explicit calls return, and stop the cell with the same error.
func TestNotebookStyle(t *testing.T) {
	c, db := open(t)
	for k, v := range c.Env() {
		t.Setenv(k, v)
	}
	t.Setenv("REPLICALAB_APP_NAME", "explore-notebook-test")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	rec := &display.Recorder{Rich: true}
	defer display.Use(rec)()
	ctx := context.Background()
	shown := func(f func()) string {
		before := len(rec.Outputs())
		f()
		var b strings.Builder
		for _, o := range rec.Outputs()[before:] {
			if o.Kind == display.Result {
				b.WriteString(o.HTML)
			}
		}
		return b.String()
	}

	ov, err := explore.Tables(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if got := shown(func() { explore.ShowTables() }); got != ov.HTML() {
		t.Errorf("ShowTables showed something else than Tables' HTML:\n%.300s\nwant\n%.300s", got, ov.HTML())
	}
	d, err := explore.Describe(ctx, db, "orders")
	if err != nil {
		t.Fatal(err)
	}
	if got := shown(func() { explore.ShowTable("orders") }); got != d.HTML() {
		t.Errorf("ShowTable differs from Describe's HTML")
	}
	g, err := explore.Relationships(ctx, db, explore.Around("orders", 1))
	if err != nil {
		t.Fatal(err)
	}
	if got := shown(func() { explore.ShowDiagram(explore.Around("orders", 1)) }); got != g.HTML() {
		t.Errorf("ShowDiagram differs from Relationships' HTML")
	}
	s, err := explore.SampleRows(ctx, db, "users", explore.Rows(5))
	if err != nil {
		t.Fatal(err)
	}
	if got := shown(func() { explore.ShowSample("users", explore.Rows(5)) }); got != s.HTML() || strings.Contains(got, "@") {
		t.Errorf("ShowSample differs from SampleRows' HTML, or shows e-mails")
	}
	n, err := explore.ExactCount(ctx, db, "orders")
	if err != nil {
		t.Fatal(err)
	}
	if got := shown(func() { explore.ShowCount("orders") }); got != n.HTML() || !strings.Contains(got, " rows (exact") {
		t.Errorf("ShowCount showed %q, want %q", got, n.HTML())
	}
	if got := shown(func() { explore.ShowPicker(explore.Initial("companies")) }); !strings.Contains(got, "public.companies") {
		t.Errorf("outside GoNB the picker should show the initial table's detail, showed %.200s", got)
	}

	// A table that does not exist: the same message as Describe's, and the cell stops.
	_, want := explore.Describe(ctx, db, "no_such_table")
	_, code, msg := display.CatchStop(func() { explore.ShowTable("no_such_table") })
	if code != 1 || strings.TrimSpace(msg) != want.Error() {
		t.Errorf("ShowTable of a missing table: status %d, printed %q; want 1 and %q", code, msg, want)
	}
}
