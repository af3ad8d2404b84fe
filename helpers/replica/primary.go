package replica

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/replicalab/replicalab/internal/sqltext"
)

// On a primary opened with ALLOW_PRIMARY, the role may well be allowed to
// write, and default_transaction_read_only alone does not stop a statement
// that ends its own transaction (COMMIT inside DO or CALL, then SET
// default_transaction_read_only=off, then INSERT). So every connection of
// such a pool is guarded at the protocol level, whichever way it is used
// (Query, QueryRow, Exec, Begin, Pgx(), and the helpers built on them):
//
//   - when the pool hands out a connection it opens a READ ONLY transaction
//     and takes its snapshot at once ("BEGIN ISOLATION LEVEL REPEATABLE READ
//     READ ONLY; SELECT 1"), so that everything the caller sends runs inside
//     it: PostgreSQL then refuses COMMIT inside DO or CALL ("invalid
//     transaction termination"), SET TRANSACTION READ WRITE, nextval,
//     temporary tables, COPY FROM and every write;
//   - the caller cannot end that transaction: COMMIT, END and PREPARE
//     TRANSACTION are refused before they reach the server, a string of
//     several statements is refused (the simple protocol would run them one
//     after the other), and anything sent after the transaction ended (a
//     ROLLBACK, an error) is refused;
//   - when the connection comes back it is rolled back: large objects
//     created, NOTIFY and LISTEN, SET and SET SESSION CHARACTERISTICS, all
//     vanish with the transaction, and session advisory locks are released
//     (advisory locks are allowed: they write nothing and tools take them
//     to coordinate). A connection whose session state changed anyway
//     (default_transaction_read_only off) is destroyed, not reused.
//
// Writes through a server-side connection of its own (dblink, a foreign
// server) are outside what a client can guard: do not install such
// extensions for the role you use here.

// primaryBegin opens the guarding transaction; it is the only string of
// several statements the guard lets through.
const primaryBegin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1"

// primaryEnd ends it.
const primaryEnd = "ROLLBACK; SELECT pg_advisory_unlock_all()"

// ErrPrimaryGuard is wrapped by the errors of statements refused on a
// primary opened with ALLOW_PRIMARY.
var ErrPrimaryGuard = errors.New("refused on a primary: every statement runs in a read-only transaction that is rolled back")

// guardPrimary installs the guard on every connection pc makes.
func guardPrimary(pc *pgxpool.Config, s *Settings) {
	guards := &sync.Map{} // net.Conn -> *wireGuard
	cc := pc.ConnConfig
	cc.BuildFrontend = func(r io.Reader, w io.Writer) *pgproto3.Frontend {
		g := &wireGuard{r: r, w: w}
		if c, ok := w.(net.Conn); ok {
			guards.Store(c, g)
		}
		return pgproto3.NewFrontend(g.reader(), g)
	}
	guardOf := func(c *pgx.Conn) *wireGuard {
		if g, ok := guards.Load(c.PgConn().Conn()); ok {
			return g.(*wireGuard)
		}
		return nil
	}
	timeout := s.ConnectTimeout
	if timeout <= 0 {
		timeout = DefaultConnectTimeout
	}
	prepare := pc.PrepareConn
	pc.PrepareConn = func(ctx context.Context, c *pgx.Conn) (bool, error) {
		if prepare != nil {
			if ok, err := prepare(ctx, c); !ok || err != nil {
				return ok, err
			}
		}
		g := guardOf(c)
		if g == nil {
			return false, fmt.Errorf("replica: a connection to the primary has no guard")
		}
		if _, err := c.PgConn().Exec(ctx, primaryBegin).ReadAll(); err != nil {
			return false, err
		}
		g.arm(true)
		return true, nil
	}
	release := pc.AfterRelease
	pc.AfterRelease = func(c *pgx.Conn) bool {
		g := guardOf(c)
		if g == nil {
			return false
		}
		g.arm(false)
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if _, err := c.PgConn().Exec(ctx, primaryEnd).ReadAll(); err != nil {
			return false
		}
		if c.PgConn().ParameterStatus("default_transaction_read_only") != "on" || c.PgConn().TxStatus() != 'I' {
			return false
		}
		return release == nil || release(c)
	}
	before := pc.BeforeClose
	pc.BeforeClose = func(c *pgx.Conn) {
		guards.Delete(c.PgConn().Conn())
		if before != nil {
			before(c)
		}
	}
}

// wireGuard sits between pgconn and the connection: it reads the
// transaction status the server reports (ReadyForQuery) and refuses, while
// armed, the messages that would run outside the guarding transaction or
// end it.
type wireGuard struct {
	r io.Reader
	w io.Writer

	mu     sync.Mutex
	armed  bool
	status byte // the last ReadyForQuery status: 'I' idle, 'T' in a transaction, 'E' failed one

	// backend message parser state
	hdr  [5]byte
	nhdr int
	left int // bytes left in the current message's body
	typ  byte
}

func (g *wireGuard) arm(on bool) {
	g.mu.Lock()
	g.armed = on
	g.mu.Unlock()
}

type guardReader struct{ g *wireGuard }

func (g *wireGuard) reader() io.Reader { return guardReader{g} }

// Read passes the server's bytes through, noting the transaction status of
// every ReadyForQuery message.
func (gr guardReader) Read(p []byte) (int, error) {
	g := gr.g
	n, err := g.r.Read(p)
	g.mu.Lock()
	for b := p[:n]; len(b) > 0; {
		if g.left == 0 && g.nhdr < 5 {
			k := copy(g.hdr[g.nhdr:], b)
			g.nhdr += k
			b = b[k:]
			if g.nhdr == 5 {
				g.typ = g.hdr[0]
				g.left = int(binary.BigEndian.Uint32(g.hdr[1:])) - 4
				if g.left <= 0 {
					g.nhdr, g.left = 0, 0
				}
			}
			continue
		}
		if g.typ == 'Z' && g.left == 1 {
			g.status = b[0]
		}
		k := min(g.left, len(b))
		g.left -= k
		b = b[k:]
		if g.left == 0 {
			g.nhdr = 0
		}
	}
	g.mu.Unlock()
	return n, err
}

// Write checks each message pgconn sends (pgconn writes whole messages).
// A statement that would escape the guarding transaction is not sent: it is
// replaced by one that makes the server raise the reason (SQLSTATE 25006,
// read_only_sql_transaction), so the caller gets an ordinary error, the
// transaction is aborted (nothing else runs in it) and the connection stays
// in step with the server.
func (g *wireGuard) Write(p []byte) (int, error) {
	g.mu.Lock()
	armed, status := g.armed, g.status
	g.mu.Unlock()
	if !armed {
		return g.w.Write(p)
	}
	out, changed := guardMessages(p, status)
	if !changed {
		return g.w.Write(p)
	}
	if _, err := g.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// refusal is the statement sent instead of a refused one.
func refusal(reason string) string {
	msg := strings.ReplaceAll("replica: "+ErrPrimaryGuard.Error()+": "+reason, "'", "''")
	return "DO $replicalab$ BEGIN RAISE EXCEPTION USING MESSAGE = '" + msg + "', ERRCODE = '25006'; END $replicalab$"
}

// guardMessages returns the buffer of frontend messages with every refused
// statement replaced by its refusal.
func guardMessages(p []byte, status byte) ([]byte, bool) {
	var out []byte
	changed := false
	for len(p) >= 5 {
		typ := p[0]
		n := int(binary.BigEndian.Uint32(p[1:5]))
		if n < 4 || 1+n > len(p) {
			break // not a whole message: passed on as it is
		}
		msg, body := p[:1+n], p[5:1+n]
		p = p[1+n:]
		var sql, name string
		var rest []byte
		switch typ {
		case 'Q':
			sql = cString(body)
		case 'P':
			if i := indexZero(body); i >= 0 {
				name = string(body[:i])
				sql = cString(body[i+1:])
				rest = body[i+1+len(sql)+1:]
			}
		default:
			out = append(out, msg...)
			continue
		}
		reason := checkStatement(sql, status)
		if reason == "" {
			out = append(out, msg...)
			continue
		}
		changed = true
		var nb []byte
		if typ == 'P' {
			nb = append(append([]byte(name), 0), refusal(reason)...)
			nb = append(append(nb, 0), rest...)
		} else {
			nb = append([]byte(refusal(reason)), 0)
		}
		out = append(out, typ)
		out = binary.BigEndian.AppendUint32(out, uint32(len(nb)+4))
		out = append(out, nb...)
	}
	out = append(out, p...)
	return out, changed
}

// checkStatement says why sql must not run on the guarded connection, or "".
func checkStatement(sql string, status byte) string {
	if status == 'I' {
		return "the transaction was ended (by ROLLBACK), so nothing more runs on this connection: release it and start again"
	}
	stmts := sqltext.Split(sql)
	if len(stmts) > 1 && sql != primaryBegin {
		return fmt.Sprintf("a string holding %d statements (send them one at a time)", len(stmts))
	}
	for _, st := range stmts {
		if w := sqltext.LeadingWords(st, 2); endsTransaction(w) {
			return strings.ToUpper(strings.Join(w, " ")) + " would end it (use Rollback, or release the connection)"
		}
	}
	return ""
}

func endsTransaction(w []string) bool {
	if len(w) == 0 {
		return false
	}
	switch w[0] {
	case "commit", "end":
		return true
	case "prepare":
		return len(w) > 1 && w[1] == "transaction"
	}
	return false
}

func indexZero(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

func cString(b []byte) string {
	if i := indexZero(b); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// primaryTx is the Tx that Begin returns on a primary: the guarding
// transaction itself (the connection is already inside it). Commit and
// Rollback both end it by rolling back, when the connection goes back to
// the pool: a read-only transaction has nothing to keep, and large objects
// or notifications must not be kept.
type primaryTx struct {
	pgx.Tx // a pgx transaction on the connection, begun without a BEGIN
	conn   *pgxpool.Conn
	once   sync.Once
}

func (p *Pool) beginPrimary(ctx context.Context) (pgx.Tx, error) {
	c, err := p.pool.Acquire(ctx)
	if err != nil {
		return nil, Explain(err)
	}
	// The connection is inside the guarding transaction: a pgx Tx over it needs no BEGIN.
	tx, err := c.Conn().BeginTx(ctx, pgx.TxOptions{BeginQuery: "SELECT 1"})
	if err != nil {
		c.Release()
		return nil, Explain(err)
	}
	return &primaryTx{Tx: tx, conn: c}, nil
}

func (t *primaryTx) end() {
	t.once.Do(func() { t.conn.Release() })
}

// Commit ends the transaction; on a primary that is a rollback.
func (t *primaryTx) Commit(ctx context.Context) error { t.end(); return nil }

// Rollback ends the transaction.
func (t *primaryTx) Rollback(ctx context.Context) error { t.end(); return nil }

// Exec runs one statement with the extended protocol, as Pool.Exec does.
func (t *primaryTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if len(args) > 0 {
		tag, err := t.Tx.Exec(ctx, sql, args...)
		return tag, Explain(err)
	}
	tag, err := t.conn.Conn().PgConn().ExecParams(ctx, sql, nil, nil, nil, nil).Close()
	return tag, Explain(err)
}
