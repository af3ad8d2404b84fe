package replica

import (
	"context"
	"fmt"
	"html"
	"strings"

	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/provenance"
)

// Banner is the one-line summary shown when the pool connects, e.g.
//
//	replica analyst@db-replica:5432/marketplace · PostgreSQL 15.14 · read replica, lag 0.4 s, read-only · TLS
//
// On a primary opened with ALLOW_PRIMARY it is a warning instead. Before the
// pool has connected it names the target and says so.
func (p *Pool) Banner() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.banner()
}

func (p *Pool) banner() string {
	if !p.connected {
		return fmt.Sprintf("replica %s · not connected yet", p.Target())
	}
	i := p.info
	tls := "no TLS"
	switch {
	case i.Session:
		tls = "through the notebook session"
	case i.TLS:
		tls = "TLS"
	}
	if !i.InRecovery {
		return fmt.Sprintf("WARNING: PRIMARY DATABASE, NOT A REPLICA (ALLOW_PRIMARY is set): %s · PostgreSQL %s · "+
			"queries load the production primary; sessions are read-only by default, "+
			"writes are also up to the role's privileges · %s", i.Target(), i.ServerVersion, tls)
	}
	return fmt.Sprintf("replica %s · PostgreSQL %s · read replica, %s, read-only · %s", i.Target(), i.ServerVersion, i.Lag, tls)
}

// HTML is the banner for a notebook, connecting first if needed: a compact
// line for a replica, a loud red box for a primary, the error in red when
// the pool cannot connect. Every value is HTML-escaped. The element carries
// the data's provenance as attributes (internal/provenance) so that a
// report exported from the notebook can say how fresh its data is.
func (p *Pool) HTML() string {
	if _, err := p.ready(context.Background()); err != nil {
		return `<div style="color:#b00020">` + html.EscapeString(err.Error()) + `</div>`
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bannerOutput().HTML
}

// Show connects if needed and shows the banner (HTML in a notebook, text
// elsewhere); when the pool cannot connect it shows why and stops the cell.
func (p *Pool) Show() {
	shown, err := p.ready(context.Background())
	if err != nil {
		display.Stop(err)
		return
	}
	if shown {
		return // connecting just showed it
	}
	p.mu.Lock()
	o := p.bannerOutput()
	p.mu.Unlock()
	display.Show(o)
}

// bannerOutput renders the banner and the configuration warnings; p.mu is held.
func (p *Pool) bannerOutput() display.Output {
	i := p.info
	warnings := append([]string(nil), p.warnings...)
	if p.viaNote != "" {
		warnings = append(warnings, p.viaNote)
	}
	text := p.banner()
	var h strings.Builder
	attrs := provenance.Attrs(provenance.Banner, provenance.Read{Source: i.Target(), At: i.CheckedAt,
		Lag: i.Lag.Delay, LagKnown: i.Lag.Known, Primary: !i.InRecovery})
	if !i.InRecovery {
		h.WriteString(`<div ` + attrs + ` style="border:3px solid #b00020;background:#fde7ea;color:#b00020;padding:8px;font-weight:bold">` +
			"⚠ " + html.EscapeString(text) + `</div>`)
	} else {
		h.WriteString(`<div ` + attrs + ` style="font-family:monospace;color:#1b5e20">` + html.EscapeString(text) + `</div>`)
	}
	for _, w := range warnings {
		text += "\nwarning: " + w
		h.WriteString(`<div style="color:#8a6d00">warning: ` + html.EscapeString(w) + `</div>`)
	}
	return display.Output{Kind: display.Status, Text: text, HTML: h.String()}
}
