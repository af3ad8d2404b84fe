package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// Session is a stand-in for the notebook session the "Go (replica)" kernel serves to cell
// programs (see helpers/replica): a PostgreSQL-protocol proxy on a private unix socket that
// hands each client, in turn, ONE backend connection to the replica it opened itself, with a
// password; clients log in without one. At a client's startup it replays the backend's
// ParameterStatus values plus replicalab.target = user@127.0.0.1:<port>/<database>; between
// clients it rolls back and runs DISCARD ALL. It is small on purpose (no cancel forwarding, no
// COPY): enough to test the helpers' side of the protocol against a real server.
type Session struct {
	DSN     string // REPLICALAB_SESSION: host=<dir> port=<n> sslmode=disable user=session dbname=session
	Target  string // what replicalab.target says
	Clients atomic.Int64
	// Startup holds the parameters of the last client's startup message, and Password what it
	// sent when asked for one ("" : nothing, or an empty password).
	mu       sync.Mutex
	startup  map[string]string
	password *string

	backend *pgconn.PgConn
	l       net.Listener
	dir     string
	refuse  bool
}

// Startup returns the last client's startup parameters and the password it sent when asked
// (nil: it was not asked, or sent none).
func (s *Session) Startup() (map[string]string, *string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startup, s.password
}

// BackendPID is the process id of the session's one backend on the replica.
func (s *Session) BackendPID() uint32 { return s.backend.PID() }

// StartSession starts a session stand-in on c's replica, stopped when the test ends. With
// refuse, it asks every client for a password and then refuses it (a session whose kernel
// could not open the replica), without opening a backend.
func (c *Cluster) StartSession(tb testing.TB, refuse bool) *Session {
	tb.Helper()
	dir, err := os.MkdirTemp("", "rls-") // short: unix socket paths are limited to ~100 bytes
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	const port = 5432
	l, err := net.Listen("unix", filepath.Join(dir, fmt.Sprintf(".s.PGSQL.%d", port)))
	if err != nil {
		tb.Fatal(err)
	}
	s := &Session{
		DSN:    fmt.Sprintf("host=%s port=%d sslmode=disable user=session dbname=session", dir, port),
		Target: fmt.Sprintf("%s@127.0.0.1:%d/%s", c.User, c.ReplicaPort, c.Database),
		l:      l, dir: dir, refuse: refuse,
	}
	if !refuse {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cfg, err := pgconn.ParseConfig(c.ReplicaURL())
		if err != nil {
			tb.Fatal(err)
		}
		cfg.RuntimeParams["application_name"] = "replicalab-session"
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
		if s.backend, err = pgconn.ConnectConfig(ctx, cfg); err != nil {
			tb.Fatalf("session stand-in: connecting to the replica: %v", err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			s.serve(conn) // one client at a time, as the kernel's proxy lends its one backend
		}
	}()
	tb.Cleanup(func() {
		l.Close()
		<-done
		if s.backend != nil {
			_ = s.backend.Close(context.Background())
		}
	})
	return s
}

func (s *Session) serve(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Minute))
	be := pgproto3.NewBackend(conn, conn)
	msg, err := be.ReceiveStartupMessage()
	if err != nil {
		return
	}
	startup, ok := msg.(*pgproto3.StartupMessage)
	if !ok { // a cancel request, SSL or GSS negotiation: not served here
		return
	}
	s.Clients.Add(1)
	s.mu.Lock()
	s.startup, s.password = startup.Parameters, nil
	s.mu.Unlock()
	if s.refuse {
		be.Send(&pgproto3.AuthenticationCleartextPassword{})
		if be.Flush() != nil {
			return
		}
		if err := be.SetAuthType(pgproto3.AuthTypeCleartextPassword); err != nil {
			return
		}
		if m, err := be.Receive(); err == nil {
			if pm, ok := m.(*pgproto3.PasswordMessage); ok {
				s.mu.Lock()
				s.password = &pm.Password
				s.mu.Unlock()
			}
		}
		be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "28000", Message: "the notebook session could not open the replica"})
		_ = be.Flush()
		return
	}
	be.Send(&pgproto3.AuthenticationOk{})
	for _, name := range []string{"server_version", "server_encoding", "client_encoding", "DateStyle", "IntervalStyle",
		"TimeZone", "integer_datetimes", "standard_conforming_strings", "in_hot_standby", "default_transaction_read_only"} {
		if v := s.backend.ParameterStatus(name); v != "" {
			be.Send(&pgproto3.ParameterStatus{Name: name, Value: v})
		}
	}
	be.Send(&pgproto3.ParameterStatus{Name: "replicalab.target", Value: s.Target})
	be.Send(&pgproto3.BackendKeyData{ProcessID: 1, SecretKey: []byte{0, 0, 0, 1}})
	be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	if be.Flush() != nil {
		return
	}
	fe := s.backend.Frontend()
	defer s.reset()
	for {
		m, err := be.Receive()
		if err != nil {
			return
		}
		switch m.(type) {
		case *pgproto3.Terminate:
			return
		case *pgproto3.Sync, *pgproto3.Query:
			fe.Send(m)
			if err := fe.Flush(); err != nil {
				return
			}
			if !relay(fe, be) {
				return
			}
		default:
			fe.Send(m)
		}
	}
}

// relay passes the backend's answers to the client up to ReadyForQuery.
func relay(fe *pgproto3.Frontend, be *pgproto3.Backend) bool {
	for {
		m, err := fe.Receive()
		if err != nil {
			return false
		}
		be.Send(m)
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			return be.Flush() == nil
		}
	}
}

// reset leaves the backend as the next client should find it.
func (s *Session) reset() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, sql := range []string{"ROLLBACK", "DISCARD ALL"} {
		if _, err := s.backend.Exec(ctx, sql).ReadAll(); err != nil {
			return // a broken backend fails the next client, which then falls back
		}
	}
}
