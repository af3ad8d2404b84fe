package replica_test

import (
	"context"

	"strings"
	"sync"
	"testing"
	"time"

	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/demodb"
	"github.com/replicalab/replicalab/internal/pgtest"
)

// lagTolerance is how far the lag measured on the replica may be from the truth.
const lagTolerance = time.Second

// testLagWorkloads compares the lag measured on the replica with the truth (see pgtest.WALTimeline) while the
// primary is idle, bulk-loads, vacuums, runs a long transaction and commits: the workloads where the age
// of the last replayed commit overstates it.
func testLagWorkloads(t *testing.T, c *pgtest.Cluster) {
	ctx := context.Background()
	p, _ := openPool(t, loadConfig(t, c.Env()), replica.Quiet())
	primary := superuser(t, c.SuperuserURL())
	standby := superuser(t, c.ReplicaSuperuserURL())
	// The replica's name in the primary's pg_stat_replication is the application_name it connects with.
	var app string
	if err := standby.QueryRow(ctx, `SELECT substring(conninfo FROM 'application_name=([^ ]+)') FROM pg_stat_wal_receiver`).Scan(&app); err != nil || app == "" {
		t.Fatalf("the replica's application_name: %q, %v", app, err)
	}
	timeline := &pgtest.WALTimeline{}
	timelineConn := superuser(t, c.SuperuserURL())
	tctx, stopTimeline := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := timeline.Record(tctx, timelineConn); err != nil {
			t.Errorf("WAL timeline: %v", err)
		}
	})
	t.Cleanup(func() { stopTimeline(); wg.Wait() })
	replayLag := superuser(t, c.SuperuserURL())

	// compare measures while work runs and checks every reading against the truth. It returns how many
	// readings were behind (not caught up).
	compare := func(what string, work func() error) (behind int) {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- work() }()
		readings := 0
		var worst, maxTruth, maxLag, worstStat time.Duration
		hows := map[string]int{}
		check := func() {
			l, err := p.Lag(ctx)
			if err != nil {
				t.Fatalf("%s: Lag: %v", what, err)
			}
			var at time.Time
			var replayed int64
			if err := standby.QueryRow(ctx, "SELECT clock_timestamp(), pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::int8").Scan(&at, &replayed); err != nil {
				t.Fatal(err)
			}
			var stat *float64
			if err := replayLag.QueryRow(ctx, "SELECT extract(epoch FROM replay_lag)::float8 FROM pg_stat_replication WHERE application_name = $1", app).Scan(&stat); err != nil {
				t.Fatal(err)
			}
			readings++
			if !l.Known {
				t.Errorf("%s: lag unknown (%s) while streaming", what, l.How)
				return
			}
			if !l.CaughtUp {
				behind++
			}
			hows[l.How]++
			if l.Delay < 0 || l.Error < 0 {
				t.Errorf("%s: negative lag %+v", what, l)
			}
			if stat != nil {
				worstStat = max(worstStat, (l.Delay - time.Duration(*stat*float64(time.Second))).Abs())
			}
			want, ok := timeline.Lag(at, replayed)
			if !ok {
				return
			}
			diff := (l.Delay - want).Abs()
			worst, maxTruth, maxLag = max(worst, diff), max(maxTruth, want), max(maxLag, l.Delay)
			// What Lag promises depends on how it found the lag: a measured lag is the truth (to within the
			// tolerance), an estimate is within its error bound, and the age of the last commit is an upper
			// bound (used when replay does not move, e.g. paused).
			switch l.How {
			case replica.LagLastCommit:
				if want > l.Delay+lagTolerance {
					t.Errorf("%s: lag at most %v, the truth is %v: above the bound", what, l.Delay, want)
				}
			case replica.LagExtrapolated:
				if diff > l.Error+lagTolerance {
					t.Errorf("%s: lag %v ± %v (%s), the truth is %v: off by %v", what, l.Delay, l.Error, l.How, want, diff)
				}
			default:
				if diff > lagTolerance {
					t.Errorf("%s: lag %v (%s, ± %v), the truth is %v: off by %v", what, l.Delay, l.How, l.Error, want, diff)
				}
			}
		}
		for {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				check()
				t.Logf("%s: %d readings, %d behind (%v); largest lag %v, largest true lag %v, largest difference %v (%v from replay_lag)",
					what, readings, behind, hows, maxLag, maxTruth, worst, worstStat)
				return behind
			default:
				check()
				time.Sleep(50 * time.Millisecond)
			}
		}
	}

	// A table big enough that loading and vacuuming it take a few seconds of WAL.
	mustExec(t, primary, "DROP TABLE IF EXISTS lag_bulk")
	t.Cleanup(func() { _, _ = primary.Exec(context.Background(), "DROP TABLE IF EXISTS lag_bulk") })
	if err := c.WaitReplayed(ctx); err != nil {
		t.Fatal(err)
	}
	compare("bulk load", func() error {
		_, err := primary.Exec(ctx, "CREATE TABLE lag_bulk AS SELECT g AS id, md5(g::text) AS a, md5((g+1)::text) AS b FROM generate_series(1, 800000) AS g")
		return err
	})
	if err := c.WaitReplayed(ctx); err != nil {
		t.Fatal(err)
	}

	// Idle: the last commit grows old, the data is current.
	time.Sleep(3 * time.Second)
	idle, err := p.Lag(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !idle.Known || !idle.CaughtUp || idle.Delay != 0 || idle.How != replica.LagCaughtUp {
		t.Errorf("idle: lag %+v, want caught up", idle)
	}
	if age := time.Since(idle.LastReplay); age < 3*time.Second {
		t.Errorf("idle: the last commit is %v old: the case proves nothing", age)
	}

	// VACUUM (FREEZE) writes WAL for seconds without a commit.
	compare("VACUUM (FREEZE)", func() error {
		_, err := primary.Exec(ctx, "VACUUM (FREEZE, DISABLE_PAGE_SKIPPING) lag_bulk")
		return err
	})
	// A long transaction: WAL for seconds, one commit at the end.
	compare("long transaction", func() error {
		tx, err := primary.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		for i := 0; i < 2; i++ {
			if _, err := tx.Exec(ctx, "UPDATE lag_bulk SET a = md5(a) WHERE id % 3 = $1", i); err != nil {
				return err
			}
		}
		return tx.Commit(ctx)
	})
	// Replay paused for 3 s during a bulk load, then resumed: seconds behind, then catching up.
	// Its own connection: the readings use standby at the same time (a pgx.Conn serves one caller).
	control := superuser(t, c.ReplicaSuperuserURL())
	compare("replay paused, then resumed", func() error {
		if _, err := control.Exec(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
			return err
		}
		defer control.Exec(context.Background(), "SELECT pg_wal_replay_resume()")
		load := make(chan error, 1)
		go func() {
			_, err := primary.Exec(ctx, "INSERT INTO lag_bulk SELECT g, md5(g::text), md5(g::text) FROM generate_series(1, 600000) AS g")
			load <- err
		}()
		time.Sleep(3 * time.Second)
		if _, err := control.Exec(ctx, "SELECT pg_wal_replay_resume()"); err != nil {
			return err
		}
		if err := <-load; err != nil {
			return err
		}
		return c.WaitReplayed(ctx)
	})
	// Commits: the demo's traffic.
	compare("commits", func() error {
		_, err := c.Demo().Traffic(ctx, demodb.TrafficOptions{Rate: 200, Duration: 3 * time.Second})
		return err
	})
}

// testLagUnknown: a replica that lost its primary does not claim to be current.
func testLagUnknown(t *testing.T, c *pgtest.Cluster) {
	ctx := context.Background()
	standby := superuser(t, c.ReplicaSuperuserURL())
	p, _ := openPool(t, loadConfig(t, c.Env()), replica.Quiet())
	var conninfo string
	if err := standby.QueryRow(ctx, "SHOW primary_conninfo").Scan(&conninfo); err != nil {
		t.Fatal(err)
	}
	mustExec(t, standby, "ALTER SYSTEM SET primary_conninfo = ''")
	mustExec(t, standby, "SELECT pg_reload_conf()")
	t.Cleanup(func() {
		mustExec(t, standby, "ALTER SYSTEM SET primary_conninfo = "+quoteLiteral(conninfo))
		mustExec(t, standby, "SELECT pg_reload_conf()")
		if err := c.WaitReplayed(context.Background()); err != nil {
			t.Error(err)
		}
	})
	var l replica.Lag
	eventually(t, 20*time.Second, "the replica stops streaming", func() bool {
		var err error
		l, err = p.Lag(ctx)
		return err == nil && !l.Known
	})
	if l.How != replica.LagNotStreaming || l.String() != "lag "+replica.LagNotStreaming {
		t.Errorf("without a primary: %+v, String %q", l, l.String())
	}
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
