package replica

import (
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/replicalab/replicalab/internal/provenance"
)

// Banner is the one-line summary Open shows, e.g.
//
//	replica analyst@db-replica:5432/marketplace · PostgreSQL 15.14 · read replica, lag 0.4 s, read-only · TLS
//
// On a primary opened with ALLOW_PRIMARY it is a warning instead.
func (p *Pool) Banner() string {
	i := p.info
	tls := "no TLS"
	if i.TLS {
		tls = "TLS"
	}
	if !i.InRecovery {
		return fmt.Sprintf("WARNING: PRIMARY DATABASE, NOT A REPLICA (ALLOW_PRIMARY is set): %s · PostgreSQL %s · "+
			"queries load the production primary; sessions are read-only by default, "+
			"writes are also up to the role's privileges · %s", i.Target(), i.ServerVersion, tls)
	}
	return fmt.Sprintf("replica %s · PostgreSQL %s · read replica, %s, read-only · %s", i.Target(), i.ServerVersion, i.Lag, tls)
}

// BannerHTML is Banner for a notebook: a compact line for a replica, a loud
// red box for a primary. Every value is HTML-escaped. The element carries the
// data's provenance as attributes (internal/provenance) so that a report
// exported from the notebook can say how fresh its data is.
func (p *Pool) BannerHTML() string {
	attrs := provenance.Attrs(provenance.Banner, provenance.Read{Source: p.info.Target(), At: p.info.CheckedAt,
		Lag: p.info.Lag.Delay, LagKnown: p.info.Lag.Known, Primary: !p.info.InRecovery})
	if !p.info.InRecovery {
		return `<div ` + attrs + ` style="border:3px solid #b00020;background:#fde7ea;color:#b00020;padding:8px;font-weight:bold">` +
			"⚠ " + html.EscapeString(p.Banner()) + `</div>`
	}
	return `<div ` + attrs + ` style="font-family:monospace;color:#1b5e20">` + html.EscapeString(p.Banner()) + `</div>`
}

// show displays the banner and warnings: as HTML in a notebook, else as
// lines on w.
func (p *Pool) show(w io.Writer, warnings []string) {
	if gonbui.IsNotebook {
		var b strings.Builder
		b.WriteString(p.BannerHTML())
		for _, warning := range warnings {
			b.WriteString(`<div style="color:#8a6d00">warning: ` + html.EscapeString(warning) + `</div>`)
		}
		gonbui.DisplayHTML(b.String())
		gonbui.Sync()
		return
	}
	w = p.out(w)
	fmt.Fprintln(w, p.Banner())
	for _, warning := range warnings {
		fmt.Fprintln(w, "warning: "+warning)
	}
}
