package ledger

import (
	"encoding/binary"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Meter wraps the network connection of one PostgreSQL session and counts,
// from the protocol messages that cross it, what the server did for its
// client: statements completed (CommandComplete) with the rows their
// command tags report, statements that failed (ErrorResponse) with the rows
// sent before, bytes received from the server, and the time the server was
// busy (from the first message sent while the session was idle to the
// ReadyForQuery that ends the exchange). Each exchange is added to the
// ledger when it ends, so a program that stops abruptly loses at most the
// one in flight.
//
// It reads the framing only (a type byte and a length), whatever sends the
// messages — pgx, the primary guard, a proxy forwarding a client's bytes —
// and however the bytes are split across reads and writes. It must sit where
// the protocol is in clear (after TLS): pgconn's AfterNetConnect.
type Meter struct {
	net.Conn
	l *Ledger

	mu         sync.Mutex
	in, out    framer // server → client, client → server
	started    bool   // the first ReadyForQuery was seen: startup is over
	pending    int    // Sync, Query and FunctionCall messages awaiting their ReadyForQuery
	busySince  time.Time
	rowsInFlux int64 // DataRows since the last statement ended
	rec        Record
	closed     bool
}

// NewMeter meters conn into l.
func NewMeter(conn net.Conn, l *Ledger) *Meter {
	m := &Meter{Conn: conn, l: l}
	m.out.untypedFirst = true // the startup message has no type byte
	return m
}

// NetConn returns the connection the meter reads and writes through (a
// *tls.Conn with TLS, else the TCP or unix socket).
func (m *Meter) NetConn() net.Conn { return m.Conn }

// now is the clock; tests move it.
var now = time.Now

// Read counts the server's bytes and messages.
func (m *Meter) Read(p []byte) (int, error) {
	n, err := m.Conn.Read(p)
	if n > 0 {
		m.mu.Lock()
		m.rec.Bytes += int64(n)
		m.in.feed(p[:n], m.received)
		m.mu.Unlock()
	}
	return n, err
}

// Write notes when the client starts an exchange.
func (m *Meter) Write(p []byte) (int, error) {
	m.mu.Lock()
	m.out.feed(p, m.sent)
	m.mu.Unlock()
	return m.Conn.Write(p)
}

// Close adds what is left (bytes of an exchange cut short) to the ledger.
func (m *Meter) Close() error {
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		if m.pending > 0 && !m.busySince.IsZero() {
			m.rec.Time += now().Sub(m.busySince)
		}
		m.flush()
	}
	m.mu.Unlock()
	return m.Conn.Close()
}

// sent sees the head of each client message (type, body length, the first
// bytes of the body).
func (m *Meter) sent(typ byte, _ []byte) {
	if typ == 0 || typ == 'X' { // startup, cancel or SSL request; Terminate
		return
	}
	if m.pending == 0 && m.busySince.IsZero() {
		m.busySince = now()
	}
	switch typ {
	case 'S', 'Q', 'F': // Sync, Query, FunctionCall: each is answered by a ReadyForQuery
		m.pending++
	}
}

// received sees the head of each server message.
func (m *Meter) received(typ byte, head []byte) {
	switch typ {
	case 'D': // DataRow
		m.rowsInFlux++
	case 'C': // CommandComplete
		// PREPARE and DEALLOCATE only name a statement (pg_stat_statements
		// leaves them out too); EXECUTE counts as the statement it runs.
		if !bookkeeping(head) {
			m.rec.Statements++
			m.rec.Rows += tagRows(head)
		}
		m.rowsInFlux = 0
	case 'E': // ErrorResponse
		if m.started {
			m.rec.Failed++
			m.rec.FailedRows += m.rowsInFlux
		}
		m.rowsInFlux = 0
	case 'Z': // ReadyForQuery
		m.started = true
		if m.pending > 0 {
			m.pending--
		}
		if m.pending == 0 {
			if !m.busySince.IsZero() {
				m.rec.Time += now().Sub(m.busySince)
				m.busySince = time.Time{}
			}
			m.flush()
		}
	}
}

func (m *Meter) flush() {
	if m.rec != (Record{}) {
		m.l.Add(m.rec)
		m.rec = Record{}
	}
}

func bookkeeping(tag []byte) bool {
	t := string(tag)
	return strings.HasPrefix(t, "PREPARE\x00") || strings.HasPrefix(t, "DEALLOCATE")
}

// tagRows reads the row count at the end of a command tag ("SELECT 42",
// "COPY 7", "INSERT 0 1"); tags without one ("SET", "EXPLAIN", "SHOW") count
// no rows, as pg_stat_statements counts them.
func tagRows(head []byte) int64 {
	tag := string(head)
	if i := strings.IndexByte(tag, 0); i >= 0 {
		tag = tag[:i]
	}
	sp := strings.LastIndexByte(tag, ' ')
	if sp < 0 {
		return 0
	}
	n, err := strconv.ParseInt(tag[sp+1:], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// framer splits a byte stream into protocol messages: a type byte, a
// 4-byte length that counts itself, the body. It hands the message type and
// up to headLen bytes of the body to a callback once those have arrived
// (the whole body when shorter).
type framer struct {
	untypedFirst bool // the first message has no type byte (the client's startup)
	typed        bool // past the first message
	hdr          [5]byte
	nhdr         int
	typ          byte
	left         int // body bytes still to come
	head         [headLen]byte
	nhead        int
	want         int // body bytes the callback wants to see
	told         bool
}

// headLen is how much of a body the callbacks look at: a command tag fits.
const headLen = 64

func (f *framer) feed(b []byte, seen func(typ byte, head []byte)) {
	for len(b) > 0 {
		if f.nhdr < f.hdrLen() {
			k := copy(f.hdr[f.nhdr:f.hdrLen()], b)
			f.nhdr += k
			b = b[k:]
			if f.nhdr < f.hdrLen() {
				return
			}
			f.start()
			if f.left == 0 {
				f.tell(seen)
				f.reset()
			}
			continue
		}
		k := min(f.left, len(b))
		if f.nhead < f.want {
			f.nhead += copy(f.head[f.nhead:f.want], b[:k])
		}
		f.left -= k
		b = b[k:]
		if f.nhead >= f.want {
			f.tell(seen)
		}
		if f.left == 0 {
			f.tell(seen)
			f.reset()
		}
	}
}

// hdrLen is 4 for the untyped first message, 5 after.
func (f *framer) hdrLen() int {
	if f.untypedFirst && !f.typed {
		return 4
	}
	return 5
}

func (f *framer) start() {
	var n int
	if f.hdrLen() == 4 {
		f.typ = 0
		n = int(binary.BigEndian.Uint32(f.hdr[:4]))
	} else {
		f.typ = f.hdr[0]
		n = int(binary.BigEndian.Uint32(f.hdr[1:5]))
	}
	f.left = max(n-4, 0)
	f.want = min(f.left, headLen)
	f.nhead, f.told = 0, false
}

func (f *framer) tell(seen func(byte, []byte)) {
	if !f.told {
		f.told = true
		seen(f.typ, f.head[:f.nhead])
	}
}

func (f *framer) reset() {
	f.nhdr, f.left, f.nhead, f.want, f.told = 0, 0, 0, 0, false
	f.typed = true
}
