package replica

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Conn is one connection taken from a [Pool], for statements that must run
// on the same server session one after the other — the helpers' cost preview
// asks the planner about a query on the connection that then runs it, so the
// preview never opens a connection of its own. Its Query, QueryRow and Exec
// behave as the Pool's (read-only, explained errors, the client-side
// deadline). Release it when done; until then no other caller gets it (the
// notebook session has only one).
type Conn struct {
	p    *Pool
	c    *pgxpool.Conn
	once sync.Once
}

// Acquire connects if needed and takes one connection of the pool, waiting
// for one to be free.
func (p *Pool) Acquire(ctx context.Context) (*Conn, error) {
	pool, err := p.current(ctx)
	if err != nil {
		return nil, err
	}
	c, err := pool.Acquire(ctx)
	if err != nil {
		return nil, p.explain(ctx, err)
	}
	return &Conn{p: p, c: c}, nil
}

// Release gives the connection back to the pool; calling it again does
// nothing.
func (c *Conn) Release() { c.once.Do(c.c.Release) }

// Target is the pool's target, "user@host:port/database".
func (c *Conn) Target() string { return c.p.Target() }

// Query runs a query on this connection; see [Pool.Query].
func (c *Conn) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	ctx, cancel := c.p.guard(ctx)
	rows, err := c.c.Query(ctx, sql, args...)
	if err != nil {
		err = c.p.explain(ctx, err)
		cancel()
		return nil, err
	}
	return &guardedRows{Rows: rows, cancel: cancel, ctx: ctx, p: c.p}, nil
}

// QueryRow runs a query expected to return at most one row on this
// connection.
func (c *Conn) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	ctx, cancel := c.p.guard(ctx)
	return guardedRow{row: c.c.QueryRow(ctx, sql, args...), cancel: cancel, ctx: ctx, p: c.p}
}

// Exec runs one statement on this connection; see [Pool.Exec].
func (c *Conn) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	ctx, cancel := c.p.guard(ctx)
	defer cancel()
	if len(args) > 0 {
		tag, err := c.c.Exec(ctx, sql, args...)
		return tag, c.p.explain(ctx, err)
	}
	tag, err := c.c.Conn().PgConn().ExecParams(ctx, sql, nil, nil, nil, nil).Close()
	return tag, c.p.explain(ctx, err)
}
