package pgtest

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// WALTimeline records where a primary's WAL ended (pg_current_wal_flush_lsn: what it has written durably,
// every commit included, and may send) every 2 ms, on the primary's clock: the truth a replica's lag is
// measured against ("how long ago the primary was where the replica now is"). A flushed position at a WAL
// page boundary with less than a page left is the start of a record still being written, which no replica
// can replay yet. The primary's own pg_stat_replication.replay_lag is updated only when the replica
// reports, so it can be seconds stale in either direction.
type WALTimeline struct {
	mu    sync.Mutex
	at    []time.Time
	lsn   []int64
	block int64
}

// Record reads the primary's flushed WAL position on conn (a superuser connection to the primary, used by
// nothing else meanwhile) every 2 ms until ctx ends. It returns nil when ctx ends, else the query's error.
func (w *WALTimeline) Record(ctx context.Context, conn *pgx.Conn) error {
	var block int64
	if err := conn.QueryRow(ctx, "SELECT current_setting('wal_block_size')::int8").Scan(&block); err != nil {
		return err
	}
	w.mu.Lock()
	w.block = block
	w.mu.Unlock()
	for ctx.Err() == nil {
		var at time.Time
		var lsn int64
		if err := conn.QueryRow(ctx, "SELECT clock_timestamp(), pg_wal_lsn_diff(pg_current_wal_flush_lsn(), '0/0')::int8").Scan(&at, &lsn); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		w.mu.Lock()
		w.at, w.lsn = append(w.at, at), append(w.lsn, lsn)
		w.mu.Unlock()
		time.Sleep(2 * time.Millisecond)
	}
	return nil
}

// reached reports whether a replica that replayed up to replayed holds everything the primary had flushed
// at flushed.
func (w *WALTimeline) reached(flushed, replayed int64) bool {
	return replayed >= flushed || flushed%w.block == 0 && flushed-replayed < w.block
}

// Lag is the truth at time at (the replica's clock) for a replica that has replayed up to replayed (a byte
// offset, pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')): at minus the last time the primary's WAL
// ended at or before replayed. ok is false when the timeline does not reach back that far.
func (w *WALTimeline) Lag(at time.Time, replayed int64) (lag time.Duration, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.at) - 1; i >= 0; i-- {
		if w.at[i].After(at) {
			continue
		}
		if w.reached(w.lsn[i], replayed) {
			if i == len(w.at)-1 || !w.at[i+1].After(at) && w.reached(w.lsn[i+1], replayed) {
				return 0, true
			}
			return max(0, at.Sub(w.at[i])), true
		}
	}
	return 0, false
}
