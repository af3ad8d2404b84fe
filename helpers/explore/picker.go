package explore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/comms"
	"github.com/janpfeifer/gonb/gonbui/dom"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/provenance"
)

// pickJS wires the select box to GoNB's comm channel: every change sends the chosen table's
// name to the program (the browser also sends the initial value once connected). The select is
// marked data-connected="true" once GoNB's channel is up. GoNB's channel gives up if the kernel has
// not acknowledged it within 0.5 s (a busy machine): then the select is marked "failed", disabled,
// and a note below it says to run the cell again, instead of a picker that silently does nothing.
const pickJS = `(() => {
  const el = document.getElementById(%q);
  // GoNB sets up its comm object asynchronously the first time a program uses comms: wait for it
  // (up to 20 s) rather than miss it.
  const lost = (why) => {
    el.dataset.connected = "failed";
    el.disabled = true;
    const note = document.createElement("p");
    note.className = "replicalab-picker-lost";
    note.style.color = "#b00";
    note.textContent = "The table picker could not reach its program (" + why + "): run the cell again.";
    el.closest("label").after(note);
  };
  const wire = (tries) => {
    const c = globalThis?.gonb_comm;
    if (!c) {
      if (tries > 0) { setTimeout(() => wire(tries - 1), 100); }
      else { lost("GoNB communication is not set up"); }
      return;
    }
    const v = c.newSyncedVariable(%q, el.value);
    el.addEventListener("change", () => { el.setAttribute("value", el.value); v.set(el.value); });
    // _is_connected is GoNB's (v0.11.4) promise of an open channel.
    Promise.resolve(c._is_connected).then(
      () => { el.dataset.connected = "true"; },
      (err) => lost(err?.message || String(err)));
  };
  wire(200);
})();`

// Pick shows a select box of the tables with, below it, the chosen table's detail, redrawn at
// every choice without editing code. It runs until ctx ends (give it a deadline, or interrupt the
// cell); then the last detail stays in the output. It returns the last table shown. If no
// browser answers within Connect (a headless run), it leaves the initial detail and returns.
//
// Outside a GoNB cell it shows the initial detail and returns. Options: Initial, Connect, and
// those of Tables (which tables to offer) and Describe (how to describe them).
//
// It uses GoNB's comms (the channel its widgets use) with its own select element rather than
// widgets.Select, whose Done blocks until a browser answers (forever in a headless run) and
// which does not escape option text.
func Pick(ctx context.Context, q Querier, opts ...Option) (string, error) {
	o := collect(opts)
	ov, err := tables(ctx, q, o)
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
	if o.initial != "" {
		t, ok := ov.Find(o.initial)
		if !ok {
			return "", fmt.Errorf("%w: expected the initial table %q among the %d listed, found none", ErrNoTable, o.initial, len(names))
		}
		current = t.String()
	}
	detail := func(name string) (*Detail, string) {
		d, err := describe(ctx, q, name, o)
		if err != nil {
			return nil, fmt.Sprintf(`<p style="color:#b00">%s</p>`, esc(err.Error()))
		}
		return d, d.HTML()
	}
	if !gonbui.IsNotebook {
		d, h := detail(current)
		if d == nil {
			return current, errors.New(h)
		}
		d.Show()
		return current, nil
	}
	render := func(name string) string { _, h := detail(name); return h }
	if o.connect <= 0 {
		o.connect = 10 * time.Second
	}

	uid := gonbui.UniqueId()
	address, selectID, detailID := "/replicalab/explore/pick/"+uid, "replicalab_pick_"+uid, "replicalab_pick_detail_"+uid
	ch := comms.Listen[string](address).LatestOnly()
	defer ch.Close()

	var b strings.Builder
	// The select box works only in a live notebook: reports keep the detail below it (exploration) and drop it.
	fmt.Fprintf(&b, `<label `+provenance.ExploreAttrs("picker")+` `+provenance.NotebookOnly+`>Table: <select id="%s" data-address="%s">`, esc(selectID), esc(address))
	for _, n := range names {
		sel := ""
		if n == current {
			sel = " selected"
		}
		fmt.Fprintf(&b, `<option value="%s"%s>%s</option>`, esc(n), sel, esc(n))
	}
	b.WriteString(`</select></label>`)
	display.Send(display.Output{Kind: display.Result, HTML: b.String(), Text: "Table: " + current})
	display.Send(display.Output{ID: detailID, Kind: display.Result, HTML: render(current)})
	dom.TransientJavascript(fmt.Sprintf(pickJS, selectID, address))
	display.Sync()

	connected := false
	timer := time.NewTimer(o.connect)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return current, nil
		case <-timer.C:
			if !connected {
				display.Show(display.Output{Kind: display.Status, HTML: fmt.Sprintf(`<p><small>No browser answered within %s `+
					`(a headless run?): the picker stopped; showing %s.</small></p>`, o.connect, esc(current)),
					Text: fmt.Sprintf("No browser answered within %s: the picker stopped; showing %s.", o.connect, current)})
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
			display.Show(display.Output{ID: detailID, Kind: display.Result, HTML: render(current)})
		}
	}
}

// ShowPicker is [Pick] for a notebook cell, on the notebook's connection; an error is shown and
// stops the cell. Interrupt the cell to stop the picker.
//
//	%%
//	explore.ShowPicker(explore.Initial("orders"))
func ShowPicker(opts ...Option) string {
	t, err := Pick(context.Background(), replica.Default(), opts...)
	if err != nil {
		display.Stop(err)
	}
	return t
}
