// Package session is a notebook's replica session: a PostgreSQL-protocol proxy on a unix socket in the
// kernel's private folder, through which the programs of Go cells reach the kernel's one verified,
// read-only pool to the replica (which the kernel's SQL cells use directly). The pool comes from an
// Opener when a client first needs it; the kernel owns it and closes it.
//
// A program connects with the libpq keyword/value string of Address (the kernel exports it as
// REPLICALAB_SESSION): no password, no TLS — the folder is the kernel user's alone (0700), the socket
// 0600, and on Linux the proxy also checks the peer's user id. For its whole connection the client gets
// one backend connection of the pool, taken when it connects:
//
//   - the startup replays the backend's ParameterStatus values (server_version, in_hot_standby,
//     default_transaction_read_only, TimeZone, ...) plus replicalab.target, the real
//     user@host:port/database (never a password), so a client knows what it reaches without a query;
//     of the client's own startup parameters, application_name, TimeZone, DateStyle and IntervalStyle
//     are set on the backend when they differ from its values (one statement; the reset between
//     clients undoes it), the others are ignored: read-only mode and timeouts are the kernel's;
//   - messages then pass through unchanged, both ways;
//   - a cancel request sent to the proxy with the key it gave is forwarded to the real backend;
//   - when the client leaves, a query still running is cancelled on the server (a program killed
//     mid-query leaves nothing running), and, if the client sent anything, the backend is rolled back
//     and reset (ROLLBACK when in a transaction, DISCARD ALL, then the pool's own session settings that
//     RESET ALL undid) before it returns to the pool; a backend that does not come back clean is closed;
//   - a second client at the same time gets the pool's other backend, or waits for one.
//
// When the replica cannot be opened (a broken .env, a server down), a client gets an ErrorResponse with
// SQLSTATE 08001 whose message is the opener's error (secret-free: replica's errors never hold a
// password); the helpers then open the replica directly, which reports the same error a program run
// outside the kernel would. A failure is remembered for a few seconds so that a cell does not wait for
// the same timeout twice.
package session

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Env is the variable through which the kernel gives cell programs the session's address.
const Env = "REPLICALAB_SESSION"

// TargetParameter is the ParameterStatus through which a client learns the real target.
const TargetParameter = "replicalab.target"

// Port is the port number in the socket's name (.s.PGSQL.<Port>), as libpq builds it.
const Port = 5432

// Replica is the pool the session hands out: replica.Pool satisfies it through a small adapter. Its
// owner (the kernel) closes it, after closing the session.
type Replica interface {
	// Pgx returns the pool of verified, read-only connections.
	Pgx() *pgxpool.Pool
	// Target is user@host:port/database.
	Target() string
	// ResetSQL lists statements that restore the pool's session settings after DISCARD ALL (which
	// runs RESET ALL), e.g. a SET made by the pool's AfterConnect. Settings sent in the startup packet
	// survive RESET ALL and need none.
	ResetSQL() []string
}

// Opener returns the replica's pool, connected and verified; the session calls it for each client,
// and the opener keeps the pool between calls (the kernel's one pool).
type Opener func(ctx context.Context) (Replica, error)

// failureMemory is how long an open failure is answered from memory.
const failureMemory = 5 * time.Second

// Session is the notebook's replica session.
type Session struct {
	dir  string
	ln   net.Listener
	open Opener
	log  *log.Logger

	mu        sync.Mutex
	openErr   error
	openErrAt time.Time
	closed    bool

	cmu     sync.Mutex
	clients map[uint32]*client

	wg sync.WaitGroup

	// Served counts client connections accepted (tests and benchmarks read it).
	Served atomic.Int64
}

// New listens on a unix socket in dir (which must be private to the user) and serves clients in the
// background. Nothing reaches the replica until a client connects or Pool is called.
func New(dir string, open Opener, lg *log.Logger) (*Session, error) {
	if lg == nil {
		lg = log.New(io.Discard, "", 0)
	}
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("session: %w", err)
	} else if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("session: folder %s is open to other users (mode %o), expected 0700", dir, fi.Mode().Perm())
	}
	path := filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(Port))
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("session: %w", err)
	}
	s := &Session{dir: dir, ln: ln, open: open, log: lg, clients: map[uint32]*client{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Address is the libpq keyword/value connection string of the session.
func (s *Session) Address() string {
	return fmt.Sprintf("host=%s port=%d sslmode=disable user=session dbname=session", quote(s.dir), Port)
}

// quote quotes a libpq keyword/value value when it needs it.
func quote(v string) string {
	if v != "" && !strings.ContainsAny(v, " '\\\t\n") {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// pool returns the replica's pool through the opener; a failure is remembered for a few seconds.
func (s *Session) pool(ctx context.Context) (Replica, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("session: closed")
	}
	if s.openErr != nil && time.Since(s.openErrAt) < failureMemory {
		return nil, s.openErr
	}
	r, err := s.open(ctx)
	if err != nil {
		s.openErr, s.openErrAt = err, time.Now()
		return nil, err
	}
	s.openErr = nil
	return r, nil
}

// CancelAll cancels on the server every query in flight through the proxy (a kernel interrupt).
func (s *Session) CancelAll() int {
	s.cmu.Lock()
	cs := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		cs = append(cs, c)
	}
	s.cmu.Unlock()
	n := 0
	for _, c := range cs {
		if c.cancel() {
			n++
		}
	}
	return n
}

// Close stops accepting clients and ends the connected ones (cancelling their queries); their backends
// return to the pool, which its owner then closes.
func (s *Session) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	_ = s.ln.Close()
	s.cmu.Lock()
	for _, c := range s.clients {
		c.kill()
	}
	s.cmu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.log.Printf("session: clients did not end within 5 s")
	}
}

func (s *Session) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		if err := checkPeer(conn); err != nil {
			s.log.Printf("session: refused a connection: %v", err)
			conn.Close()
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(conn)
		}()
	}
}

// serve runs one client connection from startup to the end.
func (s *Session) serve(conn net.Conn) {
	defer conn.Close()
	fe := pgproto3.NewBackend(conn, conn)
	var startup *pgproto3.StartupMessage
	for startup == nil {
		_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		msg, err := fe.ReceiveStartupMessage()
		if err != nil {
			return
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest, *pgproto3.GSSEncRequest:
			// The socket is private: no encryption to negotiate.
			if _, err := conn.Write([]byte{'N'}); err != nil {
				return
			}
		case *pgproto3.CancelRequest:
			s.cancelByKey(m.ProcessID, m.SecretKey)
			return
		case *pgproto3.StartupMessage:
			startup = m
		default:
			return
		}
	}
	_ = conn.SetReadDeadline(time.Time{})
	s.Served.Add(1)
	if startup.Parameters["replication"] != "" {
		sendError(fe, "0A000", "replicalab session: replication connections are not supported")
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := s.pool(ctx)
	if err != nil {
		sendError(fe, "08001", "replicalab session: cannot open the replica: "+err.Error())
		return
	}
	pc, err := r.Pgx().Acquire(ctx)
	if err != nil {
		sendError(fe, "08001", "replicalab session: no connection to the replica: "+err.Error())
		return
	}
	// The kernel's own queries (SQL cells, magics) prepare statements on this backend under pgx's cache
	// names, which a client's pgx would choose too ("prepared statement ... already exists"). Drop them,
	// and the kernel's cache of them, before the client gets the backend; the reset after the client
	// (DISCARD ALL) drops the client's.
	if err := pc.Conn().DeallocateAll(ctx); err != nil {
		pc.Release()
		sendError(fe, "08001", "replicalab session: no connection to the replica: "+err.Error())
		return
	}
	c := &client{s: s, conn: conn, fe: fe, pc: pc, target: r.Target(), resetSQL: r.ResetSQL(), startup: startup.Parameters}
	if !s.register(c, startup.ProtocolVersion) {
		pc.Release()
		sendError(fe, "57P01", "replicalab session: the kernel is shutting down")
		return
	}
	defer s.unregister(c)
	c.run(ctx)
}

func sendError(fe *pgproto3.Backend, code, msg string) {
	fe.Send(&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: code, Message: msg})
	_ = fe.Flush()
}

// register gives c a cancel key the client will use to cancel its queries.
func (s *Session) register(c *client, protocol uint32) bool {
	n := 4
	if protocol == pgproto3.ProtocolVersion32 {
		n = 32
	}
	c.secret = make([]byte, n)
	_, _ = rand.Read(c.secret)
	s.cmu.Lock()
	defer s.cmu.Unlock()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return false
	}
	for {
		var b [4]byte
		_, _ = rand.Read(b[:])
		c.pid = binary.BigEndian.Uint32(b[:]) &^ (1 << 31)
		if _, taken := s.clients[c.pid]; !taken && c.pid != 0 {
			break
		}
	}
	s.clients[c.pid] = c
	return true
}

func (s *Session) unregister(c *client) {
	s.cmu.Lock()
	delete(s.clients, c.pid)
	s.cmu.Unlock()
}

func (s *Session) cancelByKey(pid uint32, secret []byte) {
	s.cmu.Lock()
	c := s.clients[pid]
	s.cmu.Unlock()
	if c == nil || subtle.ConstantTimeCompare(c.secret, secret) != 1 {
		return
	}
	c.cancel()
}

// readMsg reads one backend message header; bodies are copied by the caller.
func readHeader(r *bufio.Reader) (byte, int, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, 0, err
	}
	n := int(binary.BigEndian.Uint32(h[1:])) - 4
	if n < 0 {
		return 0, 0, fmt.Errorf("session: bad message length %d", n+4)
	}
	return h[0], n, nil
}
