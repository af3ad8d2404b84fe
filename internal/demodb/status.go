package demodb

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/replicalab/replicalab/internal/numfmt"

	"github.com/jackc/pgx/v5"
)

// ParseLSN reads a WAL location such as "16/B374D848" into a byte position.
func ParseLSN(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return 0, fmt.Errorf("lsn: expected X/Y in hex, found %q", s)
	}
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("lsn: expected X/Y in hex, found %q", s)
	}
	return h<<32 | l, nil
}

// WaitReplayed waits until every running replica has replayed the primary's WAL up to the primary's
// current position (taken when it is called). Without a deadline on ctx it gives up after 15 minutes.
func (c *Cluster) WaitReplayed(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.saved {
		return fmt.Errorf("waiting for replay: expected a started cluster in %q, found none", c.dir)
	}
	return c.waitReplayed(ctx)
}

func (c *Cluster) waitReplayed(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 15*time.Minute)
		defer cancel()
	}
	servers := c.servers()
	p, err := c.superConn(ctx, servers[0], "postgres")
	if err != nil {
		return err
	}
	var target string
	err = p.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&target)
	p.Close(context.WithoutCancel(ctx))
	if err != nil {
		return fmt.Errorf("reading the primary's WAL position: %w", err)
	}
	want, err := ParseLSN(target)
	if err != nil {
		return err
	}
	for _, r := range servers[1:] {
		if err := c.waitReplica(ctx, r, target, want); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) waitReplica(ctx context.Context, r server, target string, want uint64) error {
	conn, err := c.superConn(ctx, r, "postgres")
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	delay := 2 * time.Millisecond
	for {
		var replay *string
		if err := conn.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn()::text").Scan(&replay); err != nil {
			return fmt.Errorf("waiting for the %s to replay up to %s: %w", r.Name, target, err)
		}
		if replay != nil {
			if got, err := ParseLSN(*replay); err == nil && got >= want {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			found := "nothing"
			if replay != nil {
				found = *replay
			}
			return fmt.Errorf("waiting for the %s to replay the primary's WAL: expected %s, found %s replayed: %w", r.Name, target, found, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(delay*2, 100*time.Millisecond)
	}
}

// Status is a snapshot of the cluster for `demodb status`.
type Status struct {
	Dir, DataDir string
	Scale        float64
	TLS          bool
	Servers      []ServerStatus
	Replication  []ReplicationStatus // pg_stat_replication on the primary
	Databases    []DatabaseSize
	Tables       []TableEstimate // public tables of the demo database
}

// ServerStatus describes one server. The WAL and lag fields are set for running replicas.
type ServerStatus struct {
	Name       string
	Port       int
	PID        int
	Running    bool
	InRecovery bool
	Error      string // why it could not be queried, if it could not

	ReceiveLSN, ReplayLSN string
	// LagBytes is the primary's current WAL position minus what the replica replayed.
	LagBytes int64
	// LagSeconds is how far behind the replica's data is, as the primary measures it
	// (pg_stat_replication.replay_lag: 0 when idle and caught up).
	LagSeconds float64
}

// ReplicationStatus is one row of pg_stat_replication on the primary.
type ReplicationStatus struct {
	ApplicationName string
	State           string
	SentLSN         string
	ReplayLSN       string
	SyncState       string
	ReplayLag       *float64 // seconds; nil when caught up and idle
}

// DatabaseSize is the size of one database on the primary.
type DatabaseSize struct {
	Name  string
	Bytes int64
}

// TableEstimate is the planner's row estimate of a table; Rows is -1 for a table never analyzed.
type TableEstimate struct {
	Name string
	Rows int64
}

// Running reports whether every server is running.
func (s *Status) Running() bool {
	for _, sv := range s.Servers {
		if !sv.Running {
			return false
		}
	}
	return len(s.Servers) > 0
}

// Status queries every server. A stopped cluster is not an error: see Status.Running.
func (c *Cluster) Status(ctx context.Context) (*Status, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.saved {
		return nil, fmt.Errorf("no demo database in %q (start one with: go run ./scripts/demodb start)", c.dir)
	}
	st := &Status{Dir: c.dir, DataDir: c.st.DataDir, Scale: c.st.Scale, TLS: c.st.TLS}
	servers := c.servers()
	var primaryLSN *string
	for i, s := range servers {
		ss := ServerStatus{Name: s.Name, Port: s.Port}
		ss.PID, ss.Running = s.pid()
		if ss.Running {
			if err := c.queryServer(ctx, s, &ss, st, &primaryLSN); err != nil {
				ss.Error = err.Error()
			}
		}
		for _, r := range st.Replication {
			if i > 0 && r.ApplicationName == s.Name && r.ReplayLag != nil {
				ss.LagSeconds = *r.ReplayLag
			}
		}
		if i > 0 && ss.Running && primaryLSN != nil && ss.ReplayLSN != "" {
			p, err1 := ParseLSN(*primaryLSN)
			r, err2 := ParseLSN(ss.ReplayLSN)
			if err1 == nil && err2 == nil && p > r {
				ss.LagBytes = int64(p - r)
			}
		}
		st.Servers = append(st.Servers, ss)
	}
	return st, nil
}

func (c *Cluster) queryServer(ctx context.Context, s server, ss *ServerStatus, st *Status, primaryLSN **string) error {
	conn, err := c.superConn(ctx, s, Database)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&ss.InRecovery); err != nil {
		return err
	}
	if !ss.InRecovery {
		if s.isPrimary() {
			var lsn string
			if err := conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn); err != nil {
				return err
			}
			*primaryLSN = &lsn
			if err := c.queryPrimary(ctx, conn, st); err != nil {
				return err
			}
		}
		return nil
	}
	var receive, replay *string
	err = conn.QueryRow(ctx, `SELECT pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text`).Scan(&receive, &replay)
	if err != nil {
		return err
	}
	if receive != nil {
		ss.ReceiveLSN = *receive
	}
	if replay != nil {
		ss.ReplayLSN = *replay
	}
	return nil
}

func (c *Cluster) queryPrimary(ctx context.Context, conn *pgx.Conn, st *Status) error {
	rows, err := conn.Query(ctx, `SELECT coalesce(application_name, ''), coalesce(state, ''), coalesce(sent_lsn::text, ''),
		coalesce(replay_lsn::text, ''), coalesce(sync_state, ''), extract(epoch FROM replay_lag)::float8
		FROM pg_stat_replication ORDER BY application_name`)
	if err != nil {
		return err
	}
	st.Replication, err = pgx.CollectRows(rows, pgx.RowToStructByPos[ReplicationStatus])
	if err != nil {
		return err
	}
	rows, err = conn.Query(ctx, "SELECT datname, pg_database_size(oid) FROM pg_database WHERE datallowconn ORDER BY datname")
	if err != nil {
		return err
	}
	st.Databases, err = pgx.CollectRows(rows, pgx.RowToStructByPos[DatabaseSize])
	if err != nil {
		return err
	}
	rows, err = conn.Query(ctx, `SELECT c.relname, c.reltuples::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`)
	if err != nil {
		return err
	}
	st.Tables, err = pgx.CollectRows(rows, pgx.RowToStructByPos[TableEstimate])
	return err
}

// WriteText prints the status for people.
func (s *Status) WriteText(w io.Writer) error {
	tls := ""
	if s.TLS {
		tls = ", TLS"
	}
	fmt.Fprintf(w, "demo database in %s (scale %s%s)\n", s.Dir, ScaleName(s.Scale), tls)
	if s.DataDir != s.Dir {
		fmt.Fprintf(w, "data in %s\n", s.DataDir)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "server\taddress\tpid\tstate\tin recovery\treplayed\tlag")
	for _, sv := range s.Servers {
		state, pid, rec, replayed, lag := "stopped", "-", "-", "-", "-"
		if sv.Running {
			state, pid, rec = "running", strconv.Itoa(sv.PID), "no"
			if sv.InRecovery {
				rec = "yes"
				replayed = sv.ReplayLSN
				lag = fmt.Sprintf("%s B, %.3f s", numfmt.Int(sv.LagBytes), sv.LagSeconds)
			}
			if sv.Error != "" {
				state = "running (query failed: " + sv.Error + ")"
			}
		}
		fmt.Fprintf(tw, "%s\t%s:%d\t%s\t%s\t%s\t%s\t%s\n", sv.Name, host, sv.Port, pid, state, rec, replayed, lag)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.Replication) > 0 {
		fmt.Fprintln(w, "\nreplication (pg_stat_replication on the primary):")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  replica\tstate\tsent\treplayed\tsync")
		for _, r := range s.Replication {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", r.ApplicationName, r.State, r.SentLSN, r.ReplayLSN, r.SyncState)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(s.Databases) > 0 {
		fmt.Fprintln(w, "\ndatabases:")
		for _, d := range s.Databases {
			fmt.Fprintf(w, "  %-12s %s\n", d.Name, numfmt.Bytes(d.Bytes))
		}
	}
	if len(s.Tables) > 0 {
		fmt.Fprintf(w, "\ntables of %s (estimated rows):\n", Database)
		for _, t := range s.Tables {
			n := numfmt.Int(t.Rows)
			if t.Rows < 0 {
				n = "never analyzed"
			}
			fmt.Fprintf(w, "  %-12s %15s\n", t.Name, n)
		}
	}
	return nil
}
