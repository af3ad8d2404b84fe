package replica

import (
	"context"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/ledger"
)

// meter counts what the replica does on every connection pc makes into the
// session's ledger. A pool through the notebook session is not metered: the
// kernel counts its connections, the proxied ones included.
func meter(pc *pgxpool.Config, l *ledger.Ledger) {
	after := pc.ConnConfig.AfterNetConnect
	pc.ConnConfig.AfterNetConnect = func(ctx context.Context, cfg *pgconn.Config, conn net.Conn) (net.Conn, error) {
		if after != nil {
			var err error
			if conn, err = after(ctx, cfg, conn); err != nil {
				return nil, err
			}
		}
		return ledger.NewMeter(conn, l), nil
	}
}

// netConn is the connection under the ledger's meter.
func netConn(c net.Conn) net.Conn {
	if m, ok := c.(*ledger.Meter); ok {
		return m.NetConn()
	}
	return c
}

// Load is the load ledger: what the replica did for this notebook session
// (or, outside a notebook, this program), counted from the protocol messages
// of every connection the helpers opened — the same statements and rows
// pg_stat_statements counts on the replica.
type Load struct {
	Statements  int64         // statements the replica completed (the helpers' own bookkeeping included)
	Rows        int64         // rows those returned, as pg_stat_statements counts them
	Failed      int64         // statements that ended in an error, loads stopped at the row limit among them
	FailedRows  int64         // rows received from those before they ended
	Bytes       int64         // bytes received from the replica
	ReplicaTime time.Duration // time the replica spent answering (network included)
	Since       time.Time     // the first statement; zero if none
	Scope       string        // "this notebook session" or "this program"
	Note        string        // why the figures may be incomplete, "" normally

	t ledger.Totals
}

// Ledger returns the load ledger of this notebook session: statements, rows
// returned, bytes received and replica time, for every cell so far (the
// kernel's session, or GoNB's folder for the kernel, keeps it across cells;
// outside a notebook it covers this program). It reads the figures; it sends
// nothing to the replica.
//
//	%%
//	replica.Ledger().Show() // Load on the replica (this notebook session, since 10:03): 12 statements, ...
//
// Shown, it also gives exported reports their appendix line, e.g. "this
// analysis read 41,233 rows from the replica in 12 statements, 3.1 s of
// replica time, 4.2 MB received" (each load's provenance line carries it
// too, so the last one counts).
func Ledger() Load {
	t := ledger.ForEnv().Totals()
	return Load{Statements: t.Statements, Rows: t.Rows, Failed: t.Failed, FailedRows: t.FailedRows, Bytes: t.Bytes,
		ReplicaTime: t.Time, Since: t.Since, Scope: t.Scope, Note: t.Note, t: t}
}

// String is the ledger in one sentence, as reports write it.
func (l Load) String() string { return l.t.Sentence() }

// Text is the ledger's figures as text.
func (l Load) Text() string { return l.t.Text() }

// HTML is the ledger's figures as a small table, marked for exported
// reports.
func (l Load) HTML() string { return l.t.HTML() }

// Show displays the ledger (a table in a notebook, text elsewhere).
func (l Load) Show() {
	display.Show(display.Output{Kind: display.Result, HTML: l.HTML(), Text: l.Text()})
}
