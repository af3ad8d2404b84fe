package explore

import (
	"context"
	"errors"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/internal/display"
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

// show displays a result: its HTML in a notebook, its text elsewhere.
func show(h, text string) {
	display.Show(display.Output{Kind: display.Result, HTML: h, Text: text})
}

// textGrid aligns rows of cells in columns two spaces apart; the columns listed in right are
// right-aligned.
func textGrid(rows [][]string, right ...int) string {
	var width []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				line.WriteString("  ")
			}
			if slices.Contains(right, i) {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	return b.String()
}

var esc = html.EscapeString

// quoteIdent quotes an identifier for SQL ("a""b").
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// qualified returns schema.table quoted for SQL.
func qualified(schema, table string) string { return quoteIdent(schema) + "." + quoteIdent(table) }
