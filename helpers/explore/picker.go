package explore

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/comms"
	"github.com/janpfeifer/gonb/gonbui/dom"
)

// PickerOptions adjust Pick.
type PickerOptions struct {
	Overview OverviewOptions // which tables to offer
	Detail   DetailOptions   // how to describe the chosen one
	// Initial is the table shown first ("" : the first one listed).
	Initial string
	// Connect is how long to wait for the browser to answer before concluding that nobody is
	// looking (a headless run): the picker then leaves the initial detail and returns. Default 10 s.
	Connect time.Duration
	// Out receives the initial detail's HTML outside a notebook (nil: stdout).
	Out io.Writer
}

// pickJS wires the select box to GoNB's comm channel: every change sends the chosen table's
// name to the program (the browser also sends the initial value once connected).
const pickJS = `(() => {
  const el = document.getElementById(%q);
  // GoNB sets up its comm object asynchronously the first time a program uses comms: wait for it
  // (up to 20 s) rather than miss it; the select is marked data-connected once wired.
  const wire = (tries) => {
    const c = globalThis?.gonb_comm;
    if (!c) {
      if (tries > 0) { setTimeout(() => wire(tries - 1), 100); }
      else { console.error("replicalab: GoNB communication is not set up, the table picker cannot talk to the program."); }
      return;
    }
    const v = c.newSyncedVariable(%q, el.value);
    el.addEventListener("change", () => { el.setAttribute("value", el.value); v.set(el.value); });
    el.dataset.connected = "true";
  };
  wire(200);
})();`

// Pick shows a select box of the tables with, below it, the chosen table's detail, redrawn at
// every choice without editing code. It runs until ctx ends (give it a deadline, or interrupt the
// cell); then the last detail stays in the output. It returns the last table shown. If no
// browser answers within Connect (a headless run), it leaves the initial detail and returns.
//
// Outside a notebook it writes the initial detail to Out and returns.
//
// It uses GoNB's comms (the channel its widgets use) with its own select element rather than
// widgets.Select, whose Done blocks until a browser answers (forever in a headless run) and
// which does not escape option text.
func Pick(ctx context.Context, q Querier, o PickerOptions) (string, error) {
	ov, err := Tables(ctx, q, o.Overview)
	if err != nil {
		return "", err
	}
	if len(ov.Tables) == 0 {
		return "", fmt.Errorf("%w: expected at least one table to pick from, found none", ErrNoTable)
	}
	names := make([]string, len(ov.Tables))
	for i, t := range ov.Tables {
		names[i] = t.String()
	}
	current := names[0]
	if o.Initial != "" {
		t, ok := ov.Find(o.Initial)
		if !ok {
			return "", fmt.Errorf("%w: expected the initial table %q among the %d listed, found none", ErrNoTable, o.Initial, len(names))
		}
		current = t.String()
	}
	render := func(name string) string {
		d, err := Describe(ctx, q, name, o.Detail)
		if err != nil {
			return fmt.Sprintf(`<p style="color:#b00">%s</p>`, esc(err.Error()))
		}
		return d.HTML()
	}
	if !gonbui.IsNotebook {
		w := o.Out
		if w == nil {
			w = os.Stdout
		}
		fmt.Fprintln(w, render(current))
		return current, nil
	}
	if o.Connect <= 0 {
		o.Connect = 10 * time.Second
	}

	uid := gonbui.UniqueID()
	address, selectID, detailID := "/replicalab/explore/pick/"+uid, "replicalab_pick_"+uid, "replicalab_pick_detail_"+uid
	ch := comms.Listen[string](address).LatestOnly()
	defer ch.Close()

	var b strings.Builder
	fmt.Fprintf(&b, `<label>Table: <select id="%s" data-address="%s">`, esc(selectID), esc(address))
	for _, n := range names {
		sel := ""
		if n == current {
			sel = " selected"
		}
		fmt.Fprintf(&b, `<option value="%s"%s>%s</option>`, esc(n), sel, esc(n))
	}
	b.WriteString(`</select></label>`)
	gonbui.DisplayHTML(b.String())
	gonbui.UpdateHTML(detailID, render(current))
	dom.TransientJavascript(fmt.Sprintf(pickJS, selectID, address))
	gonbui.Sync()

	connected := false
	timer := time.NewTimer(o.Connect)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return current, nil
		case <-timer.C:
			if !connected {
				gonbui.DisplayHTML(fmt.Sprintf(`<p><small>No browser answered within %s (a headless run?): the picker stopped; `+
					`showing %s.</small></p>`, o.Connect, esc(current)))
				gonbui.Sync()
				return current, nil
			}
		case v, ok := <-ch.C:
			if !ok {
				return current, nil
			}
			connected = true
			if !slices.Contains(names, v) {
				continue // not one of ours: ignore rather than describe an arbitrary name
			}
			if v == current {
				continue
			}
			current = v
			gonbui.UpdateHTML(detailID, render(current))
			gonbui.Sync()
		}
	}
}
