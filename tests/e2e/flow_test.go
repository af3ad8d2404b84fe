package e2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestFlow is one person's session, in order: open the first template, run it, make a mistake, wait on a
// long query and interrupt it, ask the editor for completion.
func TestFlow(t *testing.T) {
	l := startLab(t)

	t.Run("template runs top to bottom", func(t *testing.T) {
		l.t = t
		l.open("1.0-setup-read-replica.ipynb")
		start := time.Now()
		var ok bool
		if err := l.eval(`(async () => { const app = window.jupyterapp; app.shell.activateById(nbPanel().id);
			await app.commands.execute('notebook:run-all-cells'); return true; })()`, &ok); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := l.eval(`nbPanel().content.widgets.length`, &n); err != nil {
			t.Fatal(err)
		}
		last := l.cellOutput(n-2, 3*time.Minute) // the last code cell; a Markdown cell closes the notebook
		l.timing("run all cells of 1.0 on a fresh kernel (s)", time.Since(start))
		want := l.replicaCount(`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
		if !regexp.MustCompile(fmt.Sprintf(`public\s+%d\b`, want)).MatchString(last) {
			l.screenshot("1.0-last-cell-wrong")
			t.Fatalf("last cell shows %q, want %d public tables", last, want)
		}
		banner := l.cellOutput(1, time.Minute)
		for _, w := range []string{"read replica", "read-only", "lag"} {
			if !strings.Contains(banner, w) {
				t.Errorf("the connection banner lacks %q: %q", w, banner)
			}
		}
		if strings.Contains(banner+last, l.cluster.Password) {
			t.Errorf("the page shows the password")
		}
		l.screenshot("1-template-run")
	})

	t.Run("cell latencies", func(t *testing.T) {
		l.t = t
		start := time.Now()
		idx := l.runNewCell("%%\nfmt.Println(\"warm\")")
		if out := l.cellOutput(idx, time.Minute); !strings.Contains(out, "warm") {
			t.Fatalf("trivial cell output %q", out)
		}
		l.timing("warm trivial cell (s)", time.Since(start))
		start = time.Now()
		idx = l.runNewCell("%%\nreplica.Default().Show()")
		if out := l.cellOutput(idx, time.Minute); !strings.Contains(out, "read replica, lag") {
			t.Fatalf("helper cell output %q", out)
		}
		l.timing("warm cell using the helpers (s)", time.Since(start))
	})

	t.Run("a DataFrame as an HTML table and a chart inline", func(t *testing.T) {
		l.t = t
		idx := l.runNewCell("import (\n\t\"github.com/replicalab/replicalab/helpers/chart\"\n\t\"github.com/replicalab/replicalab/helpers/frame\"\n)\n\n%%\n" +
			"frame.SQL(\"SELECT status::text AS status, count(*) AS orders FROM orders GROUP BY 1 ORDER BY 1\", frame.NoCache()).Show()\n" +
			"chart.Bar(frame.SQL(\"SELECT status::text AS status FROM orders\", frame.NoCache(), frame.Quiet()).DataFrame, \"status\").Show()")
		out := l.cellOutput(idx, 2*time.Minute)
		statuses := l.replicaCount(`SELECT count(DISTINCT status) FROM orders`)
		var shape string
		js := fmt.Sprintf(`(() => { const c = nbPanel().content.widgets[%d], t = c.node.querySelector('.jp-OutputArea table');
			if (!t) return '';
			const heads = [...t.querySelectorAll('th')].map(th => th.innerText.trim()).join('|');
			const rows = t.querySelectorAll('tbody tr').length;
			const img = c.node.querySelector('.jp-OutputArea img, .jp-OutputArea svg');
			return JSON.stringify({heads, rows, chart: !!img, w: img ? img.getBoundingClientRect().width : 0}); })()`, idx)
		if err := l.eval(js, &shape); err != nil || shape == "" {
			l.screenshot("7-no-table")
			t.Fatalf("no HTML table in the output (%v): %q", err, out)
		}
		var got struct {
			Heads string
			Rows  int
			Chart bool
			W     float64
		}
		_ = json.Unmarshal([]byte(shape), &got)
		if !strings.Contains(got.Heads, "status") || !strings.Contains(got.Heads, "orders") || got.Rows != statuses {
			t.Errorf("table has headers %q and %d rows, want status/orders and %d rows", got.Heads, got.Rows, statuses)
		}
		if !got.Chart || got.W < 200 {
			t.Errorf("no inline chart (found %v, %.0f px wide)", got.Chart, got.W)
		}
		if !strings.Contains(out, fmt.Sprintf("%d rows × 2 columns", statuses)) {
			t.Errorf("the table's provenance line is missing: %q", out)
		}
		l.screenshotCell(idx, "7-dataframe-and-chart")
	})

	t.Run("a long load shows a progress bar that settles into a summary", func(t *testing.T) {
		l.t = t
		idx := l.addCell("%%\n" +
			"res := frame.SQL(\"SELECT g, pg_sleep(0.001) IS NULL AS slept FROM generate_series(1, 3000) AS g\", frame.NoCache(), frame.ProgressAfter(200*time.Millisecond))\n" +
			"fmt.Println(\"loaded\", res.Rows)")
		// The bar lives only while the rows arrive (a few seconds): the page itself notes it when it appears,
		// so that a slow poll on a busy machine cannot miss it.
		if err := l.eval(fmt.Sprintf(`(() => { const app = window.jupyterapp, nb = nbPanel().content, c = nb.widgets[%d];
			window.replicalabProgress = '';
			const note = () => { const p = c.node.querySelector('.jp-OutputArea progress');
				if (p && !window.replicalabProgress) window.replicalabProgress = p.parentElement.innerText; };
			new MutationObserver(note).observe(c.node, {childList: true, subtree: true, characterData: true, attributes: true});
			nb.activeCellIndex = %d; app.commands.execute('notebook:run-cell'); return true; })()`, idx, idx), new(bool)); err != nil {
			t.Fatal(err)
		}
		var during string
		js := `(() => window.replicalabProgress || '')()`
		if err := l.poll(time.Minute, js, &during); err != nil {
			l.screenshot("8-no-progress")
			t.Fatalf("no progress bar while the load ran: %v", err)
		}
		l.screenshotCell(idx, "8-progress-bar")
		if !strings.Contains(during, "rows/s") {
			t.Errorf("the progress bar says %q; want rows so far and rows/s", during)
		}
		out := l.cellOutput(idx, 2*time.Minute)
		var left bool
		_ = l.eval(fmt.Sprintf(`!!nbPanel().content.widgets[%d].node.querySelector('.jp-OutputArea progress')`, idx), &left)
		if left || !strings.Contains(out, "3,000 rows × 2 columns") || !strings.Contains(out, "loaded 3000") {
			t.Errorf("after the load: progress bar left=%v, output %q; want the summary line", left, out)
		}
	})

	t.Run("the explore picker reacts to a selection", func(t *testing.T) {
		l.t = t
		interrupt := chromedp.Click(chromedp.CSS(`jp-button[data-command="notebook:interrupt-kernel"], button[data-command="notebook:interrupt-kernel"]`))
		idx := l.runNewCell("import \"github.com/replicalab/replicalab/helpers/explore\"\n\n%%\n" +
			"explore.ShowPicker(explore.Initial(\"public.companies\"), explore.Connect(time.Minute))")
		// The picker runs until interrupted: stop it however this step ends, so the next steps run.
		defer func() {
			if err := l.run(30*time.Second, interrupt); err != nil {
				t.Errorf("interrupting the picker: %v", err)
			}
			l.cellOutput(idx, time.Minute)
		}()
		sel := fmt.Sprintf(`nbPanel().content.widgets[%d].node.querySelector('.jp-OutputArea select')`, idx)
		// Wait until the picker's script has wired the select box to the program, or said it could not.
		connected := func() string {
			var state string
			if err := l.poll(time.Minute, fmt.Sprintf(`(() => { const s = %s; return s && s.dataset.connected ? s.dataset.connected : ''; })()`, sel), &state); err != nil {
				l.screenshot("9-no-picker")
				t.Fatalf("the table picker did not appear: %v\nend of the lab's log:\n%s", err, l.logTail(40))
			}
			return state
		}
		if connected() == "failed" {
			// GoNB's channel gives up when the kernel's acknowledgement takes over 0.5 s; the picker then says
			// to run the cell again, which is what a user would do.
			var note string
			_ = l.eval(fmt.Sprintf(`nbPanel().content.widgets[%d].node.querySelector('.replicalab-picker-lost')?.innerText || ''`, idx), &note)
			t.Logf("the picker could not connect (%q); running the cell again, as it says", note)
			if err := l.run(30*time.Second, interrupt); err != nil {
				t.Fatal(err)
			}
			l.cellOutput(idx, time.Minute)
			time.Sleep(1500 * time.Millisecond) // GoNB checks a channel idle for over 1 s before reusing it
			if err := l.eval(fmt.Sprintf(`(() => { const app = window.jupyterapp, nb = nbPanel().content;
				nb.activeCellIndex = %d; app.commands.execute('notebook:run-cell'); return true; })()`, idx), new(bool)); err != nil {
				t.Fatal(err)
			}
			if state := connected(); state != "true" {
				l.screenshot("9-picker-not-connected")
				t.Fatalf("the picker could not connect twice (%s)\nend of the lab's log:\n%s", state, l.logTail(40))
			}
		}
		if err := l.eval(fmt.Sprintf(`(() => { const s = %s; s.value = 'public.orders'; s.dispatchEvent(new Event('change')); return true; })()`, sel), new(bool)); err != nil {
			t.Fatal(err)
		}
		var detail string
		if err := l.poll(time.Minute, fmt.Sprintf(`(() => { const t = nbPanel().content.widgets[%d].node.querySelector('.jp-OutputArea').innerText;
			return t.includes('order_number') && t.includes('shipping_address') ? t : ''; })()`, idx), &detail); err != nil {
			l.screenshot("9-picker-no-detail")
			t.Fatalf("choosing public.orders did not show its detail: %v\nend of the lab's log:\n%s", err, l.logTail(40))
		}
		l.screenshotCell(idx, "9-explore-picker")
	})

	t.Run("failing cell shows a clear error", func(t *testing.T) {
		l.t = t
		idx := l.runNewCell("%%\nfmt.Println(undefinedThing)")
		out := l.cellOutput(idx, time.Minute)
		if !strings.Contains(out, "undefined: undefinedThing") {
			l.screenshot("3-error-missing")
			t.Fatalf("the failing cell shows %q; want the compiler's message", out)
		}
		var errShown bool
		js := fmt.Sprintf(`!!nbPanel().content.widgets[%d].node.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], .jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]')`, idx)
		if err := l.eval(js, &errShown); err != nil || !errShown {
			t.Errorf("the error is not rendered as an error output (err=%v)", err)
		}
		l.screenshotCell(idx, "3-failing-cell")
	})

	t.Run("interrupt from the toolbar stops the query on the server", func(t *testing.T) {
		l.t = t
		active := `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'e2e-interrupt' AND state = 'active'`
		l.runNewCell("%%\nctx := context.Background()\n" +
			"db, err := replica.Open(ctx, replica.AppName(\"e2e-interrupt\"), replica.Quiet())\n" +
			"if err != nil { fmt.Println(err); return }\ndefer db.Close()\n" +
			"fmt.Println(\"sleeping on the server\")\n_, err = db.Exec(ctx, \"SELECT pg_sleep(60)\")\nfmt.Println(\"returned:\", err)")
		deadline := time.Now().Add(2 * time.Minute)
		for l.replicaCount(active) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the long query never reached the replica")
			}
			time.Sleep(100 * time.Millisecond)
		}
		l.screenshot("4-long-query-running")
		if err := l.run(30*time.Second, chromedp.Click(chromedp.CSS(`jp-button[data-command="notebook:interrupt-kernel"], button[data-command="notebook:interrupt-kernel"]`))); err != nil {
			l.screenshot("4-no-interrupt-button")
			t.Fatalf("clicking the toolbar's interrupt button: %v", err)
		}
		clicked := time.Now()
		for l.replicaCount(active) > 0 {
			if time.Since(clicked) > time.Second {
				t.Fatal("the query still runs on the replica 1 s after the interrupt")
			}
			time.Sleep(50 * time.Millisecond)
		}
		l.timing("interrupt click → query gone on the server (s)", time.Since(clicked))
	})

	t.Run("a %%sql cell shows its table without compiling and completes table names", func(t *testing.T) {
		l.t = t
		start := time.Now()
		idx := l.runNewCell("%%sql\nSELECT status::text AS status, count(*) AS orders FROM orders GROUP BY 1 ORDER BY 1")
		out := l.cellOutput(idx, time.Minute)
		l.timing("%%sql cell (s)", time.Since(start))
		statuses := l.replicaCount(`SELECT count(DISTINCT status) FROM orders`)
		var shape string
		js := fmt.Sprintf(`(() => { const c = nbPanel().content.widgets[%d], t = c.node.querySelector('.jp-OutputArea table');
			if (!t) return '';
			const heads = [...t.querySelectorAll('th')].map(th => th.innerText.trim()).join('|');
			return JSON.stringify({heads, rows: t.querySelectorAll('tbody tr').length,
				prompt: (c.node.querySelector('.jp-OutputPrompt') || {}).innerText || ''}); })()`, idx)
		if err := l.eval(js, &shape); err != nil || shape == "" {
			l.screenshot("8-no-sql-table")
			t.Fatalf("no HTML table under the %%%%sql cell (%v): %q", err, out)
		}
		var got struct {
			Heads, Prompt string
			Rows          int
		}
		_ = json.Unmarshal([]byte(shape), &got)
		if !strings.Contains(got.Heads, "status") || !strings.Contains(got.Heads, "orders") || got.Rows != statuses {
			t.Errorf("%%%%sql table has headers %q and %d rows, want status/orders and %d rows", got.Heads, got.Rows, statuses)
		}
		if !strings.Contains(out, fmt.Sprintf("%d rows × 2 columns", statuses)) {
			t.Errorf("the %%%%sql cell's provenance line is missing: %q", out)
		}
		l.screenshotCell(idx, "8-sql-cell")

		// Tab after "FROM ord" offers the replica's tables.
		idx = l.addCell("%%sql\nSELECT * FROM ord")
		place := fmt.Sprintf(`(() => { const app = window.jupyterapp, p = nbPanel(), c = p.content.widgets[%d];
			app.shell.activateById(p.id); p.content.activeCellIndex = %d; p.content.mode = 'edit';
			c.editor.focus(); c.editor.setCursorPosition(c.editor.getPositionAt(c.model.sharedModel.getSource().length));
			return true; })()`, idx, idx)
		var items string
		for items == "" && time.Since(start) < 2*time.Minute {
			var ok bool
			if err := l.eval(place, &ok); err != nil {
				t.Fatal(err)
			}
			if err := l.eval(`window.jupyterapp.commands.execute('completer:invoke-notebook').then(() => true)`, &ok); err != nil {
				t.Fatal(err)
			}
			_ = l.poll(6*time.Second, `(() => { const e = document.querySelector('.jp-Completer'); return e && !e.classList.contains('lm-mod-hidden') && e.innerText.trim() ? e.innerText : ''; })()`, &items)
		}
		l.screenshotCell(idx, "9-sql-completion")
		if !regexp.MustCompile(`\borders\b`).MatchString(items) || !strings.Contains(items, "order_items") {
			t.Fatalf("completion after FROM ord offered %q, want orders and order_items", items)
		}
		// Leave the editor (the completer closes with it) so the next step starts clean.
		var ok bool
		_ = l.eval(`window.jupyterapp.commands.execute('notebook:enter-command-mode').then(() => true)`, &ok)
	})

	t.Run("completion and contextual help from gopls", func(t *testing.T) {
		l.t = t
		// GoNB completes inside a cell's body (after %%) with the imports of the cells already run: the
		// template's first cell imported helpers/replica.
		idx := l.addCell("%%\nctx := context.Background()\ndb, err := replica.Ope")
		place := fmt.Sprintf(`(() => { const app = window.jupyterapp, p = nbPanel(), c = p.content.widgets[%d];
			app.shell.activateById(p.id); p.content.activeCellIndex = %d; p.content.mode = 'edit';
			c.editor.focus(); c.editor.setCursorPosition(c.editor.getPositionAt(c.model.sharedModel.getSource().length));
			return true; })()`, idx, idx)
		visible := func(sel string) string {
			return fmt.Sprintf(`(() => { const e = document.querySelector('%s'); return e && !e.classList.contains('lm-mod-hidden') && e.innerText.trim() ? e.innerText : ''; })()`, sel)
		}
		// gopls starts with the kernel and GoNB connects to it after a while: ask until it answers, as a
		// person pressing Tab again would.
		var items string
		start := time.Now()
		for items == "" && time.Since(start) < 90*time.Second {
			var ok bool
			if err := l.eval(place, &ok); err != nil {
				t.Fatal(err)
			}
			if err := l.eval(`window.jupyterapp.commands.execute('completer:invoke-notebook').then(() => true)`, &ok); err != nil {
				t.Fatal(err)
			}
			_ = l.poll(6*time.Second, visible(".jp-Completer"), &items)
		}
		l.timing("completion answered after (s)", time.Since(start))
		l.screenshotCell(idx, "5-completion")
		if !regexp.MustCompile(`\bOpen\b`).MatchString(items) {
			t.Fatalf("completion after replica.Ope offered %q, want Open", items)
		}
		// Accept the completion, as Enter would, then ask for the documentation of what was completed.
		var ok bool
		if err := l.eval(fmt.Sprintf(`(() => { const c = nbPanel().content.widgets[%d];
			c.model.sharedModel.setSource(c.model.sharedModel.getSource().replace(/replica\.Ope$/, 'replica.Open'));
			return true; })()`, idx), &ok); err != nil {
			t.Fatal(err)
		}
		var help string
		for help == "" && time.Since(start) < 2*time.Minute {
			if err := l.eval(place, &ok); err != nil {
				t.Fatal(err)
			}
			if err := l.eval(`window.jupyterapp.commands.execute('tooltip:launch-notebook').then(() => true)`, &ok); err != nil {
				t.Fatal(err)
			}
			_ = l.poll(6*time.Second, visible(".jp-Tooltip"), &help)
		}
		l.screenshotCell(idx, "6-contextual-help")
		if !strings.Contains(help, "func replica.Open") {
			t.Errorf("contextual help on replica.Ope shows %q, want the documentation of Open", help)
		}
	})
}
