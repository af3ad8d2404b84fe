package replica

import (
	"strings"
	"testing"
	"time"
)

// reading builds a lag sample ms milliseconds after t0.
func reading(ms int, received, replayed int64) lagSample {
	return lagSample{at: t0.Add(time.Duration(ms) * time.Millisecond), recovery: true, receiver: true,
		received: received, replayed: replayed, block: 8192, lastCommit: t0.Add(-time.Hour)}
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestJudgeLag(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ss       []lagSample
		final    bool
		done     bool
		how      string
		delay    time.Duration
		maxError time.Duration
	}{
		{"idle, an old commit", []lagSample{reading(0, 1000, 1000)}, false, true, LagCaughtUp, 0, 0},
		// A page boundary received and 24 bytes left: a record the primary is still writing.
		{"the start of a long record", []lagSample{reading(0, 9*16<<20, 9*16<<20-24)}, false, true, LagCaughtUp, 0, 0},
		{"behind: wait", []lagSample{reading(0, 10_000, 5_000)}, false, false, "", 0, 0},
		// At 30 ms the replica has replayed 11,000: the primary passed it between the readings at 0 ms
		// (10,000) and 10 ms (12,000), at 5 ms along the WAL; so 25 ms behind, ± 5 ms.
		{"measured", []lagSample{reading(0, 10_000, 5_000), reading(10, 12_000, 9_000), reading(30, 16_000, 11_000)},
			false, true, LagMeasured, 25 * time.Millisecond, 5 * time.Millisecond},
		// Never reached the first reading's position in 1 s; the primary writes 10,000 bytes/s and the
		// replica is 20,000 bytes behind the first reading: 2 s before it, 3 s in all.
		{"extrapolated", []lagSample{reading(0, 100_000, 80_000), reading(500, 105_000, 80_000), reading(1000, 110_000, 80_000)},
			true, true, LagExtrapolated, 3 * time.Second, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, done := judgeLag(tc.ss, tc.final)
			if done != tc.done {
				t.Fatalf("done = %v, want %v (%+v)", done, tc.done, l)
			}
			if !done {
				return
			}
			if !l.Known || l.How != tc.how || (l.Delay-tc.delay).Abs() > time.Millisecond || l.Error > tc.maxError {
				t.Errorf("lag %+v, want %s %v ± %v at most", l, tc.how, tc.delay, tc.maxError)
			}
		})
	}

	// Replay stuck with nothing new from the primary: only the age of the last commit bounds the lag.
	stuck := []lagSample{reading(0, 10_000, 5_000), reading(300, 10_000, 5_000)}
	l, _ := judgeLag(stuck, true)
	if !l.Known || l.How != LagLastCommit || l.Delay != time.Hour+300*time.Millisecond || !strings.HasPrefix(l.String(), "lag at most ") {
		t.Errorf("stuck replay: %+v %q", l, l)
	}
	// No commit replayed either: unknown, at least the time spent.
	stuck[1].lastCommit = time.Time{}
	if l, _ := judgeLag(stuck, true); l.Known || l.How != LagBehindWindow || l.Delay != 300*time.Millisecond {
		t.Errorf("stuck replay, no commit: %+v", l)
	}
	// No WAL receiver: the primary's position is unknown.
	gone := reading(0, 1000, 1000)
	gone.receiver = false
	if l, _ := judgeLag([]lagSample{gone}, false); l.Known || l.How != LagNotStreaming || l.String() != "lag "+LagNotStreaming {
		t.Errorf("no receiver: %+v %q", l, l)
	}
	// A primary.
	if l, _ := judgeLag([]lagSample{{recovery: false}}, false); l.Known || l.How != LagNotReplica || l.String() != "lag unknown" {
		t.Errorf("primary: %+v %q", l, l)
	}
}

func TestLagString(t *testing.T) {
	for _, tc := range []struct {
		l    Lag
		want string
	}{
		{Lag{Known: true, CaughtUp: true, How: LagCaughtUp}, "lag 0.0 s"},
		{Lag{Known: true, How: LagMeasured, Delay: 420 * time.Millisecond, Error: 10 * time.Millisecond, Bytes: 5000}, "lag 0.4 s (5 kB to replay)"},
		{Lag{Known: true, How: LagMeasured, Delay: 1200 * time.Millisecond, Error: 100 * time.Millisecond}, "lag 1.2 s ± 0.1 s"},
		{Lag{Known: true, How: LagExtrapolated, Delay: 12 * time.Second, Error: 11700 * time.Millisecond}, "lag ≈ 12.0 s (estimated, at least 0.3 s)"},
		{Lag{Known: true, How: LagExtrapolated, Delay: 12 * time.Second, Error: time.Second, Paused: true}, "lag ≈ 12.0 s (estimated, at least 11.0 s) (replay paused)"},
	} {
		if got := tc.l.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}
