package kernel

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/session"
)

// SessionEnv is the variable through which GoNB and every cell program learn the address of the
// notebook's replica session: a libpq keyword/value connection string.
const SessionEnv = session.Env

// sessionMaxConns is the pool's size: one backend for SQL cells, one for the proxy's clients.
const sessionMaxConns = 2

func (k *Kernel) sessionAddress() string {
	if k.replica == nil {
		return ""
	}
	return k.replica.Address()
}

// startSession opens the notebook's replica session in the kernel's private folder. Nothing reaches the
// replica until a SQL cell or a cell's program needs it.
func (k *Kernel) startSession() {
	s, err := session.New(k.dir, k.pool.connected, k.log)
	if err != nil {
		k.log.Printf("no replica session (cells open the replica themselves): %v", err)
		return
	}
	k.replica = s
}

// replicaHolder is the kernel's one pool to the replica. It is opened when first needed (settings from
// the environment and the .env found from the notebook's folder, read-only, no banner, no signal handler
// — the kernel handles interrupts — and never through a session), connects and verifies itself on
// first use, and is dropped after a failure to connect so that the next use reads the settings again
// (the user fixed .env).
type replicaHolder struct {
	mu sync.Mutex
	p  *replica.Pool
}

// get returns the pool, opened but maybe not connected (a cached SQL cell never connects).
func (h *replicaHolder) get(ctx context.Context) (*replica.Pool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.p != nil {
		return h.p, nil
	}
	// Load accounting: every byte the notebook costs the replica — SQL cells, magics and the Go cells'
	// traffic relayed by the session — crosses this pool's connections, so a ledger that meters the
	// pool's connections (replica.Open wraps them with internal/ledger's meter) counts the whole
	// notebook in one place; the session relays messages unchanged and keeps no count of its own (see
	// session.client.clientToServer and serverToClient for where a per-client count would go).
	p, err := replica.Open(ctx, replica.Direct(), replica.Quiet(), replica.NoInterruptHandler(), replica.MaxConns(sessionMaxConns))
	if err != nil {
		return nil, err
	}
	h.p = p
	return p, nil
}

// failed drops p if connecting through it failed.
func (h *replicaHolder) failed(p *replica.Pool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.p == p {
		h.p = nil
		go p.Close()
	}
}

// connected returns the pool connected and verified, for the session's clients.
func (h *replicaHolder) connected(ctx context.Context) (session.Replica, error) {
	p, err := h.get(ctx)
	if err != nil {
		return nil, err
	}
	if err := p.Connect(ctx); err != nil {
		h.failed(p)
		return nil, err
	}
	pg, err := p.Pgx(ctx)
	if err != nil {
		h.failed(p)
		return nil, err
	}
	return replicaPool{p, pg}, nil
}

// close closes the pool: no backend stays on the replica.
func (h *replicaHolder) close() {
	h.mu.Lock()
	p := h.p
	h.p = nil
	h.mu.Unlock()
	if p != nil {
		p.Close()
	}
}

// replicaPool adapts a connected replica.Pool to the session.
type replicaPool struct {
	p  *replica.Pool
	pg *pgxpool.Pool
}

func (r replicaPool) Pgx() *pgxpool.Pool { return r.pg }
func (r replicaPool) Target() string     { return r.p.Info().Target() }

// ResetSQL restores what helpers/replica sets with SET on each new connection (PostgreSQL 14+), which
// the proxy's DISCARD ALL between two clients resets.
func (r replicaPool) ResetSQL() []string {
	if v := r.p.Info().ServerVersion; majorVersion(v) >= 14 {
		return []string{"SET client_connection_check_interval = 1000"}
	}
	return nil
}

func majorVersion(v string) int {
	n, _ := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	return n
}
