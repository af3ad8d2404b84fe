package e2e

import (
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
		if !strings.Contains(last, fmt.Sprintf("schema public: %d tables", want)) {
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
		idx = l.runNewCell("%%\nctx := context.Background()\ndb := replica.OpenOrExit(ctx)\ndefer db.Close()\nlag, _ := db.Lag(ctx)\nfmt.Println(\"lag now:\", lag)")
		if out := l.cellOutput(idx, time.Minute); !strings.Contains(out, "lag now: lag") {
			t.Fatalf("helper cell output %q", out)
		}
		l.timing("warm cell using the helpers (s)", time.Since(start))
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
		l.screenshot("3-failing-cell")
	})

	t.Run("interrupt from the toolbar stops the query on the server", func(t *testing.T) {
		l.t = t
		active := `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'e2e-interrupt' AND state = 'active'`
		l.runNewCell("%%\nctx := context.Background()\n" +
			"db, err := replica.OpenWith(ctx, replica.Options{AppName: \"e2e-interrupt\", Quiet: true})\n" +
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
		l.screenshot("5-completion")
		if !regexp.MustCompile(`\bOpen\b`).MatchString(items) {
			t.Fatalf("completion after replica.Ope offered %q, want Open / OpenWith", items)
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
		l.screenshot("6-contextual-help")
		if !strings.Contains(help, "func replica.Open") {
			t.Errorf("contextual help on replica.Ope shows %q, want the documentation of Open", help)
		}
	})
}

// addCell appends a code cell with src without running it, and returns its index.
func (l *lab) addCell(src string) int {
	l.t.Helper()
	js := fmt.Sprintf(`(async () => {
		const app = window.jupyterapp, panel = nbPanel(), nb = panel.content;
		app.shell.activateById(panel.id);
		nb.activeCellIndex = nb.widgets.length - 1;
		await app.commands.execute('notebook:insert-cell-below');
		await app.commands.execute('notebook:change-cell-to-code');
		nb.activeCell.model.sharedModel.setSource(%s);
		return nb.activeCellIndex;
	})()`, jsString(src))
	var idx int
	if err := l.eval(js, &idx); err != nil {
		l.t.Fatalf("adding a cell: %v", err)
	}
	return idx
}
