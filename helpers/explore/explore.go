package explore

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/janpfeifer/gonb/gonbui"
)

// Querier is what explore needs from a connection: a transaction. *replica.Pool, *pgx.Conn,
// *pgxpool.Pool and pgx.Tx all satisfy it. Every explore call runs in one transaction made
// read-only, with a short statement timeout, whatever the connection's defaults.
type Querier interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// DefaultTimeout is the statement timeout of catalog reads (overview, detail, diagram, sample).
const DefaultTimeout = 5 * time.Second

// ErrNoTable is matched (errors.Is) when a table name does not resolve to a table or view.
var ErrNoTable = errors.New("explore: no such table")

// readOnly runs fn in a transaction made read-only with the given statement timeout (0: the
// default), then commits it (a read-only commit writes nothing).
func readOnly(ctx context.Context, q Querier, timeout time.Duration, fn func(pgx.Tx) error) error {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	tx, err := q.Begin(ctx)
	if err != nil {
		return fmt.Errorf("explore: opening a read-only transaction: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after Commit
	ms := fmt.Sprint(timeout.Milliseconds())
	var ro, st string
	if err := tx.QueryRow(ctx, "SELECT set_config('transaction_read_only', 'on', true), set_config('statement_timeout', $1, true)",
		ms).Scan(&ro, &st); err != nil {
		return fmt.Errorf("explore: making the transaction read-only with statement_timeout %s: %w", timeout, err)
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("explore: ending the read-only transaction: %w", err)
	}
	return nil
}

// show displays h in the notebook, or writes it (as HTML) to w when not in a notebook and w is
// not nil.
func show(w io.Writer, h string) {
	if gonbui.IsNotebook {
		gonbui.DisplayHTML(h)
		gonbui.Sync()
		return
	}
	if w == nil {
		w = os.Stdout
	}
	fmt.Fprintln(w, h)
}

var esc = html.EscapeString

// quoteIdent quotes an identifier for SQL ("a""b").
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// qualified returns schema.table quoted for SQL.
func qualified(schema, table string) string { return quoteIdent(schema) + "." + quoteIdent(table) }

// humanBytes writes 13680640 as "13 MB".
func humanBytes(n int64) string {
	if n < 0 {
		return "?"
	}
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	f, i := float64(n), 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 || f >= 10 {
		return fmt.Sprintf("%.0f %s", f, units[i])
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}
