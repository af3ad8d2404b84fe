package replica

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
)

// Lag says how far the replica's data is behind its primary: how long ago the primary was where the
// replica now is. It is what the primary reports as pg_stat_replication.replay_lag, measured from the
// replica alone (an analyst's login cannot read the primary).
//
// # How it is measured
//
// A write-ahead log (WAL) position is a byte offset that only grows. The replica knows two: what it
// received from the primary (pg_last_wal_receive_lsn) and what it replayed, i.e. what its data shows
// (pg_last_wal_replay_lsn). WAL is streamed as soon as the primary writes it, so the received position at
// a moment is where the primary was then, give or take the network's transit time. Lag reads both
// positions with the replica's clock (clock_timestamp()) a few times over a short window:
//
//   - replayed ≥ received: the replica has everything the primary sent; the lag is 0 (CaughtUp). This is
//     what an idle primary looks like, however old its last commit.
//   - otherwise it waits (2 ms, then doubling, 50 ms at most) until the replayed position passes the
//     received position of an earlier reading: the primary wrote that WAL between two readings, so the
//     lag is known to within half their interval (Error), interpolated along the WAL between them. Under
//     commits, VACUUM and bulk loads on a healthy replica this takes a few milliseconds.
//   - if the replica is further behind than the window (up to 1 s; 250 ms when the lag is clearly
//     longer), the lag is extrapolated from the primary's WAL rate over the window: the WAL still to
//     replay divided by that rate, bounded below by the window and above by the age of the last replayed
//     commit (pg_last_xact_replay_timestamp: the primary was past it, so the data is at most that old).
//     Error is the spread between the rates of the window's two halves, within those bounds.
//
// The age of the last replayed commit alone is not a lag: an idle primary, VACUUM, a bulk load or a long
// transaction write WAL without committing, and that age then grows while the data is current. It is
// used only as the upper bound above (and as the estimate when nothing better is known; How says so).
//
// The error bound adds the network's transit time (milliseconds on a healthy stream) and, for the upper
// bound only, the clock difference between the primary and the replica. When the replica does not
// stream from a primary (disconnected, or restoring from an archive) the lag cannot be known: Known is
// false and How says why.
type Lag struct {
	Delay      time.Duration // how far behind the replica's data is; 0 when caught up
	Error      time.Duration // the true lag is within Delay ± Error (when Known)
	How        string        // how Delay was found, or why it is unknown: "caught up", "measured", "estimated from the WAL rate", ...
	Bytes      int64         // WAL received but not yet replayed
	CaughtUp   bool          // everything received was replayed
	Known      bool          // false when the lag cannot be measured (see How)
	Paused     bool          // replay is paused on the replica (pg_wal_replay_pause)
	LastReplay time.Time     // commit time of the last replayed transaction; zero if none
	Receiver   string        // WAL receiver status, "streaming" normally; "" when hidden (needs pg_read_all_stats) or absent
}

// Ways a Lag was found (Lag.How).
const (
	LagCaughtUp     = "caught up"
	LagMeasured     = "measured"
	LagExtrapolated = "estimated from the WAL rate"
	LagLastCommit   = "at most: the age of the last replayed commit"
	LagNotStreaming = "unknown: the replica is not receiving WAL from a primary"
	LagBehindWindow = "unknown: further behind than the measuring window, and no commit replayed"
	LagNotReplica   = "not a replica"
)

// String returns e.g. "lag 0.4 s", "lag 0.8 s ± 0.1 s (12345 kB to replay)", "lag ≈ 12.0 s (estimated, at
// least 0.3 s)" or "lag unknown: …".
func (l Lag) String() string {
	if !l.Known {
		if l.How != "" && l.How != LagNotReplica {
			return "lag " + l.How
		}
		return "lag unknown"
	}
	var s string
	switch l.How {
	case LagLastCommit:
		s = "lag at most " + seconds(l.Delay)
	case LagExtrapolated:
		s = fmt.Sprintf("lag ≈ %s (estimated, at least %s)", seconds(l.Delay), seconds(max(0, l.Delay-l.Error)))
	default:
		s = "lag " + seconds(l.Delay)
		if l.Error >= 50*time.Millisecond {
			s += " ± " + seconds(l.Error)
		}
	}
	if l.Bytes > 0 && !l.CaughtUp {
		s += fmt.Sprintf(" (%d kB to replay)", (l.Bytes+1023)/1024)
	}
	if l.Paused {
		s += " (replay paused)"
	}
	return s
}

func seconds(d time.Duration) string {
	if d >= 100*time.Second {
		return fmt.Sprintf("%.0f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// The measuring window: readings go on while they can still find the lag exactly (the replica replays
// fast enough to reach the first reading's position within lagMaxWait), else stop after lagMinWait.
const (
	lagMinWait   = 250 * time.Millisecond
	lagMaxWait   = 3 * time.Second
	lagFirstStep = 2 * time.Millisecond
	lagMaxStep   = 50 * time.Millisecond
)

// lagSampleSQL reads the WAL positions (as byte offsets) and the replica's clock. Every function used is
// open to any login; pg_stat_wal_receiver shows a running receiver's pid to anyone, its status only with
// pg_read_all_stats.
const lagSampleSQL = `SELECT clock_timestamp(), pg_is_in_recovery(),
  pg_wal_lsn_diff(pg_last_wal_receive_lsn(), '0/0')::int8,
  pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::int8,
  pg_last_xact_replay_timestamp(),
  CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END,
  r.pid IS NOT NULL, r.status, current_setting('wal_block_size')::int8
FROM (SELECT 1) AS one LEFT JOIN pg_stat_wal_receiver AS r ON true`

// lagSample is one reading. Positions are -1 when unknown.
type lagSample struct {
	at         time.Time // the replica's clock
	recovery   bool
	received   int64
	replayed   int64
	lastCommit time.Time
	paused     bool
	receiver   bool
	status     string
	block      int64 // WAL page size
}

type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func readLagSample(ctx context.Context, q rowQuerier) (lagSample, error) {
	var (
		s                  lagSample
		received, replayed *int64
		last               *time.Time
		status             *string
	)
	if err := q.QueryRow(ctx, lagSampleSQL).Scan(&s.at, &s.recovery, &received, &replayed, &last, &s.paused, &s.receiver, &status, &s.block); err != nil {
		return s, err
	}
	s.received, s.replayed = -1, -1
	if received != nil {
		s.received = *received
	}
	if replayed != nil {
		s.replayed = *replayed
	}
	if last != nil {
		s.lastCommit = *last
	}
	if status != nil {
		s.status = *status
	}
	return s, nil
}

// measureLag takes readings on one connection until the lag is known (see [Lag]).
func measureLag(ctx context.Context, q rowQuerier) (Lag, error) {
	var samples []lagSample
	start := time.Now()
	step := lagFirstStep
	for {
		s, err := readLagSample(ctx, q)
		if err != nil {
			return Lag{}, err
		}
		samples = append(samples, s)
		elapsed := time.Since(start)
		if l, done := judgeLag(samples, false); done {
			return l, nil
		}
		if elapsed >= lagMaxWait || elapsed >= lagMinWait && !catchingUp(samples, lagMaxWait-elapsed) {
			l, _ := judgeLag(samples, true)
			return l, nil
		}
		t := time.NewTimer(step)
		select {
		case <-ctx.Done():
			t.Stop()
			return Lag{}, ctx.Err()
		case <-t.C:
		}
		step = min(2*step, lagMaxStep)
	}
}

// judgeLag works out the lag from the readings so far; done is false when waiting for more readings could
// tell more. With final, it gives its best answer.
func judgeLag(ss []lagSample, final bool) (Lag, bool) {
	k := ss[len(ss)-1]
	l := Lag{LastReplay: k.lastCommit, Receiver: k.status, Paused: k.paused}
	if !k.recovery {
		l.How = LagNotReplica
		return l, true
	}
	if k.received >= 0 && k.replayed >= 0 {
		l.Bytes = max(0, k.received-k.replayed)
	}
	if !k.receiver || k.received < 0 || k.replayed < 0 {
		l.How = LagNotStreaming
		return l, true
	}
	r := k.replayed
	if k.replayedAll(k) {
		l.Known, l.CaughtUp, l.How = true, true, LagCaughtUp
		return l, true
	}
	// The last reading j whose received position the replica has replayed since: the primary passed r
	// between readings j and j+1.
	for j := len(ss) - 2; j >= 0; j-- {
		if k.replayedAll(ss[j]) {
			a, b := ss[j], ss[j+1]
			frac := float64(r-a.received) / float64(b.received-a.received)
			at := a.at.Add(time.Duration(frac * float64(b.at.Sub(a.at))))
			l.Known, l.How = true, LagMeasured
			l.Delay = max(0, k.at.Sub(at))
			l.Error = b.at.Sub(a.at) / 2
			return l, true
		}
	}
	if !final {
		return l, false
	}
	return extrapolateLag(ss, l), true
}

// replayedAll reports whether s (a reading) has replayed all the WAL that reading a had received, as far
// as can be told: the primary sends whole WAL pages while it writes a long record, so a received position
// at a page boundary with less than a page left to replay is the start of a record still being written,
// which cannot be replayed yet.
func (s lagSample) replayedAll(a lagSample) bool {
	if s.replayed >= a.received {
		return true
	}
	return a.block > 0 && a.received%a.block == 0 && a.received-s.replayed < a.block
}

// catchingUp reports whether, at the rate it replays, the replica will have replayed what the first
// reading had received within left.
func catchingUp(ss []lagSample, left time.Duration) bool {
	first, k := ss[0], ss[len(ss)-1]
	d := k.at.Sub(first.at).Seconds()
	if d <= 0 || k.replayed <= first.replayed {
		return false
	}
	bps := float64(k.replayed-first.replayed) / d
	return time.Duration(float64(first.received-k.replayed)/bps*float64(time.Second)) <= left
}

// extrapolateLag estimates a lag longer than the readings span: the WAL left to replay at the primary's
// recent rate, within the bounds the readings and the last commit give.
func extrapolateLag(ss []lagSample, l Lag) Lag {
	first, k := ss[0], ss[len(ss)-1]
	lower := k.at.Sub(first.at) // the primary was past r before the first reading
	upper := time.Duration(-1)
	if !k.lastCommit.IsZero() && !k.lastCommit.After(k.at) {
		upper = max(lower, k.at.Sub(k.lastCommit))
	}
	rate := func(a, b lagSample) float64 { // bytes per second
		if d := b.at.Sub(a.at).Seconds(); d > 0 && b.received > a.received {
			return float64(b.received-a.received) / d
		}
		return 0
	}
	estimate := func(bps float64) time.Duration {
		behind := float64(first.received - k.replayed)
		return lower + time.Duration(behind/bps*float64(time.Second))
	}
	clamp := func(d time.Duration) time.Duration {
		if upper >= 0 && d > upper {
			return upper
		}
		return max(d, lower)
	}
	if bps := rate(first, k); bps > 0 {
		est := clamp(estimate(bps))
		spread := time.Duration(0)
		if mid := len(ss) / 2; mid > 0 && mid < len(ss)-1 {
			r1, r2 := rate(first, ss[mid]), rate(ss[mid], k)
			if r1 > 0 && r2 > 0 {
				e1, e2 := clamp(estimate(r1)), clamp(estimate(r2))
				spread = time.Duration(math.Abs(float64(e1-e2)) / 2)
			}
		}
		// The WAL left was written at a rate the readings did not see: the estimate is only sure of
		// the lower bound.
		l.Known, l.How, l.Delay = true, LagExtrapolated, est
		l.Error = max(spread, est-lower, lagMaxStep)
		return l
	}
	if upper >= 0 {
		l.Known, l.How, l.Delay, l.Error = true, LagLastCommit, upper, upper-lower
		return l
	}
	l.How, l.Delay = LagBehindWindow, lower
	return l
}
