package kernel

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/session"
)

// SessionEnv is the variable through which GoNB and every cell program learn the address of the
// notebook's replica session: a libpq keyword/value connection string.
const SessionEnv = session.Env

// sessionMaxConns is the session pool's size: one backend for SQL cells, one for the proxy's clients.
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
	s, err := session.New(k.dir, openReplica, k.log)
	if err != nil {
		k.log.Printf("no replica session (cells open the replica themselves): %v", err)
		return
	}
	k.replica = s
}

// openReplica opens the kernel's pool the way a notebook would (settings from the environment and the
// .env found from the notebook's folder), connects and verifies it now, read-only, without a banner,
// without a signal handler (the kernel handles interrupts itself) and never through a session.
func openReplica(ctx context.Context) (session.Replica, error) {
	p, err := replica.Open(ctx, replica.Direct(), replica.Quiet(), replica.NoInterruptHandler(), replica.MaxConns(sessionMaxConns))
	if err != nil {
		return nil, err
	}
	if err := p.Connect(ctx); err != nil {
		p.Close()
		return nil, err
	}
	pg, err := p.Pgx(ctx)
	if err != nil {
		p.Close()
		return nil, err
	}
	return replicaPool{p, pg}, nil
}

// replicaPool adapts a replica.Pool to the session.
type replicaPool struct {
	p  *replica.Pool
	pg *pgxpool.Pool
}

func (r replicaPool) Pgx() *pgxpool.Pool { return r.pg }
func (r replicaPool) Target() string     { return r.p.Info().Target() }
func (r replicaPool) Close()             { r.p.Close() }

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
