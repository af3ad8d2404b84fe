package session

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgxpool"
)

// reported are the parameters PostgreSQL reports to clients (GUC_REPORT); the proxy replays the
// backend's values at a client's startup.
var reported = []string{
	"server_version", "server_encoding", "client_encoding", "application_name",
	"default_transaction_read_only", "in_hot_standby", "is_superuser", "session_authorization",
	"DateStyle", "IntervalStyle", "TimeZone", "integer_datetimes", "standard_conforming_strings",
	"search_path", "scram_iterations",
}

// client is one program's connection through the proxy, bound to one backend until it ends.
type client struct {
	s        *Session
	startup  map[string]string // the client's startup parameters
	conn     net.Conn
	fe       *pgproto3.Backend
	pc       *pgxpool.Conn
	target   string
	resetSQL []string
	pid      uint32
	secret   []byte

	mu       sync.Mutex // released and the cancel that must not outlive it
	released bool

	pending    atomic.Int32 // ReadyForQuery messages still to come
	clientGone atomic.Bool
	used       bool // the client sent something: the backend needs a reset
	txStatus   byte
	promoted   bool
}

// cancel sends a cancel request for the client's query in flight, if any.
func (c *client) cancel() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.released || c.pending.Load() <= 0 {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.pc.Conn().PgConn().CancelRequest(ctx); err != nil {
		c.s.log.Printf("session: cancel: %v", err)
		return false
	}
	return true
}

// kill ends the client's connection (kernel shutdown).
func (c *client) kill() { _ = c.conn.Close() }

func (c *client) run(ctx context.Context) {
	pg := c.pc.Conn().PgConn()
	clean := false
	defer func() { c.release(clean) }()
	if err := pg.SyncConn(ctx); err != nil {
		sendError(c.fe, "08006", "replicalab session: the replica connection is not usable: "+err.Error())
		return
	}
	server := pg.Conn()
	br := bufio.NewReaderSize(server, 64<<10)
	bw := bufio.NewWriterSize(server, 16<<10)
	values, err := c.applyStartup(br, bw, server)
	if err != nil {
		sendError(c.fe, "22023", "replicalab session: "+err.Error())
		clean = c.reset(br, bw, server) == nil
		return
	}
	c.fe.Send(&pgproto3.AuthenticationOk{})
	for _, name := range reported {
		v, ok := values[name]
		if !ok {
			v = pg.ParameterStatus(name)
		}
		if v != "" {
			c.fe.Send(&pgproto3.ParameterStatus{Name: name, Value: v})
		}
	}
	c.fe.Send(&pgproto3.ParameterStatus{Name: TargetParameter, Value: c.target})
	c.fe.Send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret})
	c.fe.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	if err := c.fe.Flush(); err != nil {
		clean = true // nothing was sent to the backend
		return
	}

	s2c := make(chan bool, 1)
	go func() { s2c <- c.serverToClient(br) }()

	c.clientToServer(bw)
	c.clientGone.Store(true)
	if c.pending.Load() > 0 {
		// The client left with a query running: a program killed mid-query. Stop it on the server; the
		// reader drains the backend up to its last ReadyForQuery and stops there.
		c.cancel()
	} else {
		// Nothing pending: the reader waits for a message that will not come. Unblock it.
		_ = server.SetReadDeadline(time.Now())
	}
	var drained bool
	select {
	case drained = <-s2c:
	case <-time.After(10 * time.Second):
		_ = server.SetReadDeadline(time.Now())
		<-s2c
	}
	_ = server.SetReadDeadline(time.Time{})
	if !drained || c.promoted {
		return
	}
	if !c.used {
		clean = true
		return
	}
	c.s.mu.Lock()
	closing := c.s.closed
	c.s.mu.Unlock()
	if closing {
		return
	}
	clean = c.reset(br, bw, server) == nil
}

// clientToServer relays the client's messages until it terminates (true) or goes away (false).
// Each Query, Sync and FunctionCall is counted before it leaves: the backend answers each with one
// ReadyForQuery. (Every statement a cell program sends passes here, decoded; with serverToClient, where
// each row ('D') and CommandComplete ('C') passes, this is where a per-client load count would go. The
// notebook's total is counted below the pool, on its connections: see internal/kernel's replicaHolder.)
func (c *client) clientToServer(bw *bufio.Writer) bool {
	var buf []byte
	for {
		msg, err := c.fe.Receive()
		if err != nil {
			return false
		}
		flush := true
		switch msg.(type) {
		case *pgproto3.Terminate:
			return true
		case *pgproto3.Query, *pgproto3.Sync, *pgproto3.FunctionCall:
			c.pending.Add(1)
		case *pgproto3.Parse, *pgproto3.Bind, *pgproto3.Describe, *pgproto3.Execute, *pgproto3.Close:
			flush = false // a Sync or a Flush follows
		}
		c.used = true
		if buf, err = msg.Encode(buf[:0]); err != nil {
			return false
		}
		if _, err := bw.Write(buf); err != nil {
			return false
		}
		if flush {
			if err := bw.Flush(); err != nil {
				return false
			}
		}
	}
}

// serverToClient relays the backend's messages to the client; once the client is gone it drains the
// backend until its last ReadyForQuery. It reports whether it stopped between two messages with
// nothing pending (the backend is then in a known state).
func (c *client) serverToClient(br *bufio.Reader) bool {
	cw := bufio.NewWriterSize(c.conn, 64<<10)
	body := make([]byte, 0, 256)
	for {
		if c.clientGone.Load() && c.pending.Load() <= 0 {
			return true
		}
		var h [5]byte
		n, err := io.ReadFull(br, h[:])
		if err != nil {
			return n == 0 && isTimeout(err) && c.clientGone.Load() && c.pending.Load() <= 0
		}
		size := int(uint32(h[1])<<24|uint32(h[2])<<16|uint32(h[3])<<8|uint32(h[4])) - 4
		if size < 0 {
			return false
		}
		gone := c.clientGone.Load()
		switch h[0] {
		case 'Z', 'S': // ReadyForQuery and ParameterStatus are small: read them to track the session
			if cap(body) < size {
				body = make([]byte, size)
			}
			body = body[:size]
			if _, err := io.ReadFull(br, body); err != nil {
				return false
			}
			if h[0] == 'Z' && size == 1 {
				c.txStatus = body[0]
				c.pending.Add(-1)
			}
			if h[0] == 'S' {
				name, value := parameterStatus(body)
				if name == "in_hot_standby" && value == "off" {
					c.promoted = true // the replica became a primary: never reuse this backend
				}
			}
			if !gone {
				cw.Write(h[:])
				cw.Write(body)
			}
		default:
			if gone {
				if _, err := br.Discard(size); err != nil {
					return false
				}
			} else {
				cw.Write(h[:])
				if _, err := io.CopyN(cw, br, int64(size)); err != nil {
					return false
				}
			}
		}
		if !gone && br.Buffered() == 0 {
			if err := cw.Flush(); err != nil {
				// The client is gone; keep draining the backend.
				c.clientGone.Store(true)
				_ = c.conn.Close()
			}
		}
	}
}

func parameterStatus(body []byte) (string, string) {
	for i, b := range body {
		if b == 0 {
			rest := body[i+1:]
			for j, b2 := range rest {
				if b2 == 0 {
					return string(body[:i]), string(rest[:j])
				}
			}
		}
	}
	return "", ""
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// reset returns the backend to the state the pool gave it in: no transaction, no prepared statement,
// cursor, temporary table, advisory lock or changed setting of the client left.
func (c *client) reset(br *bufio.Reader, bw *bufio.Writer, server net.Conn) error {
	var stmts []string
	if c.txStatus != 'I' {
		stmts = append(stmts, "ROLLBACK")
	}
	stmts = append(stmts, "DISCARD ALL")
	stmts = append(stmts, c.resetSQL...)
	_ = server.SetDeadline(time.Now().Add(10 * time.Second))
	defer server.SetDeadline(time.Time{})
	var buf []byte
	for _, q := range stmts {
		var err error
		if buf, err = (&pgproto3.Query{String: q}).Encode(buf[:0]); err != nil {
			return err
		}
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	var failed error
	for ready := 0; ready < len(stmts); {
		typ, n, err := readHeader(br)
		if err != nil {
			return err
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(br, body); err != nil {
			return err
		}
		switch typ {
		case 'Z':
			ready++
			if len(body) == 1 && body[0] != 'I' {
				failed = errors.New("session: backend still in a transaction after reset")
			}
		case 'E':
			var e pgproto3.ErrorResponse
			_ = e.Decode(body)
			failed = errors.New("session: reset: " + e.Message)
		case 'S':
			if name, value := parameterStatus(body); name == "in_hot_standby" && value == "off" {
				failed = errors.New("session: the replica was promoted")
			}
		}
	}
	if failed != nil {
		c.s.log.Printf("%v", failed)
		return failed
	}
	if br.Buffered() > 0 {
		return errors.New("session: unexpected data after reset")
	}
	return nil
}

// release gives the backend back to the pool when it is clean, or closes it.
func (c *client) release(clean bool) {
	c.mu.Lock()
	c.released = true
	c.mu.Unlock()
	if !clean {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = c.pc.Conn().Close(ctx)
		cancel()
	}
	c.pc.Release()
}

// honoured are the startup parameters a client may set for itself: what it calls itself in
// pg_stat_activity, and how times are shown. Everything else (read-only mode, timeouts) is the session's.
var honoured = map[string]string{"application_name": "application_name", "timezone": "TimeZone", "datestyle": "DateStyle", "intervalstyle": "IntervalStyle"}

// applyStartup sets on the backend the honoured parameters whose value the client asks to differ (one
// statement, only then), and returns the values the backend reports afterwards.
func (c *client) applyStartup(br *bufio.Reader, bw *bufio.Writer, server net.Conn) (map[string]string, error) {
	pg := c.pc.Conn().PgConn()
	var sets []string
	for key, v := range c.startup {
		name, ok := honoured[strings.ToLower(key)]
		if !ok || v == pg.ParameterStatus(name) {
			continue
		}
		if strings.ContainsRune(v, 0) {
			return nil, fmt.Errorf("startup parameter %s holds a NUL byte", name)
		}
		sets = append(sets, "SET "+name+" = '"+strings.ReplaceAll(v, "'", "''")+"'")
	}
	values := map[string]string{}
	if len(sets) == 0 {
		return values, nil
	}
	sort.Strings(sets)
	c.used = true
	_ = server.SetDeadline(time.Now().Add(10 * time.Second))
	defer server.SetDeadline(time.Time{})
	buf, err := (&pgproto3.Query{String: strings.Join(sets, "; ")}).Encode(nil)
	if err != nil {
		return nil, err
	}
	if _, err := bw.Write(buf); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	var failed error
	for {
		typ, n, err := readHeader(br)
		if err != nil {
			return nil, err
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(br, body); err != nil {
			return nil, err
		}
		switch typ {
		case 'S':
			name, value := parameterStatus(body)
			values[name] = value
		case 'E':
			var e pgproto3.ErrorResponse
			_ = e.Decode(body)
			failed = errors.New(e.Message)
		case 'Z':
			if len(body) == 1 {
				c.txStatus = body[0]
			}
			return values, failed
		}
	}
}
