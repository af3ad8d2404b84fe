package replica

import (
	"fmt"
	"html"
	"io"
	"strings"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
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
// data's provenance as attributes (see [ProvenanceAttrs]) so that a report
// exported from the notebook can say how fresh its data is.
func (p *Pool) BannerHTML() string {
	attrs := ProvenanceAttrs(p.info.Target(), p.info.CheckedAt, p.info.Lag, !p.info.InRecovery)
	if !p.info.InRecovery {
		return `<div ` + attrs + ` style="border:3px solid #b00020;background:#fde7ea;color:#b00020;padding:8px;font-weight:bold">` +
			"⚠ " + html.EscapeString(p.Banner()) + `</div>`
	}
	return `<div ` + attrs + ` style="font-family:monospace;color:#1b5e20">` + html.EscapeString(p.Banner()) + `</div>`
}

// ProvenanceAttrs returns the HTML attributes that mark an output as showing
// data read from source (user@host:port/db) at time at, with the replica's
// lag then: data-replicalab-source, data-replicalab-at (RFC 3339, UTC),
// data-replicalab-lag (seconds; absent when unknown) and
// data-replicalab-primary="true" for a primary. The report exporter
// (scripts/report) collects them into its header. Values are escaped.
func ProvenanceAttrs(source string, at time.Time, lag Lag, primary bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, `data-replicalab-source="%s" data-replicalab-at="%s"`,
		html.EscapeString(source), at.UTC().Format(time.RFC3339))
	if lag.Known {
		fmt.Fprintf(&b, ` data-replicalab-lag="%.3f"`, lag.Delay.Seconds())
	}
	if primary {
		b.WriteString(` data-replicalab-primary="true"`)
	}
	return b.String()
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
