package replica_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/demodb"
	"github.com/replicalab/replicalab/internal/pgtest"
)

// TestOwnCluster runs the tests that stop replicas, add one, pause replay or
// change the replica's settings on a cluster of their own, with TLS on.
func TestOwnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own cluster")
	}
	ctx := context.Background()
	c, err := pgtest.Start(ctx, pgtest.Options{TLS: true, Scale: "0.1"})
	if errors.Is(err, pgtest.ErrUnavailable) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})

	t.Run("TLS verify-full", func(t *testing.T) { testTLS(t, c) })
	t.Run("multi-host standby", func(t *testing.T) { testMultiHost(t, c) })
	t.Run("replica stopped mid-session", func(t *testing.T) { testReplicaStopped(t, c) })
	t.Run("lag", func(t *testing.T) { testLag(t, c) })
	t.Run("lag under workloads", func(t *testing.T) { testLagWorkloads(t, c) })
	t.Run("lag without a primary", func(t *testing.T) { testLagUnknown(t, c) })
	t.Run("recovery conflict", func(t *testing.T) { testRecoveryConflict(t, c) })
}

func testTLS(t *testing.T, c *pgtest.Cluster) {
	env := c.Env()
	if env["RDS_SSLMODE"] != "verify-full" || env["RDS_SSLROOTCERT"] == "" {
		t.Fatalf("the TLS cluster's settings lack verify-full and a CA: %v", env["RDS_SSLMODE"])
	}
	p, out := openPool(t, loadConfig(t, env))
	if !p.Info().TLS || !strings.Contains(out.String(), "· TLS") {
		t.Errorf("Info().TLS = %v, banner %q; want a TLS connection", p.Info().TLS, out.String())
	}

	// A CA that did not sign the server's certificate is refused, and said so.
	err := replica.Check(context.Background(), replica.WithConfig(loadConfig(t, env, "RDS_SSLROOTCERT="+writeCA(t))))
	var ce *replica.ConnectError
	if !errors.As(err, &ce) || ce.Problem != replica.ProblemTLS || ce.Var() != "RDS_SSLROOTCERT" {
		t.Errorf("wrong CA: Check = %v, want a TLS problem naming RDS_SSLROOTCERT", err)
	}
	assertNoSecret(t, c.Password, map[string]string{"error": fmt.Sprint(err)})

	// The server insists on TLS: sslmode=disable is refused, and said so.
	err = replica.Check(context.Background(), replica.WithConfig(loadConfig(t, env, "RDS_SSLMODE=disable", "-RDS_SSLROOTCERT")))
	if !errors.As(err, &ce) || ce.Problem != replica.ProblemTLS || ce.Var() != "RDS_SSLMODE" {
		t.Errorf("sslmode=disable against a TLS-only server: Check = %v, want a TLS problem naming RDS_SSLMODE", err)
	}
}

// multiHostURL lists the given ports on 127.0.0.1 in one DATABASE_URL.
func multiHostURL(c *pgtest.Cluster, tsa string, ports ...int) string {
	var hosts []string
	for _, p := range ports {
		hosts = append(hosts, "127.0.0.1:"+strconv.Itoa(p))
	}
	q := url.Values{"sslmode": {"verify-full"}, "sslrootcert": {c.CAFile}}
	if tsa != "" {
		q.Set("target_session_attrs", tsa)
	}
	return fmt.Sprintf("postgres://%s:%s@%s/%s?%s", c.User, url.QueryEscape(c.Password), strings.Join(hosts, ","), c.Database, q.Encode())
}

func testMultiHost(t *testing.T, c *pgtest.Cluster) {
	ctx := context.Background()
	second, err := c.AddReplica(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first := c.ReplicaPort
	connectedTo := func(tsa string) string {
		t.Helper()
		p, _ := openPool(t, loadConfig(t, nil, "DATABASE_URL="+multiHostURL(c, tsa, c.PrimaryPort, first, second)), replica.Quiet())
		if !p.Info().InRecovery {
			t.Errorf("target_session_attrs=%q: connected to a primary", tsa)
		}
		host := p.Info().Host
		p.Close()
		return host
	}
	firstHost, secondHost := "127.0.0.1:"+strconv.Itoa(first), "127.0.0.1:"+strconv.Itoa(second)
	for _, tsa := range []string{"standby", "prefer-standby", ""} {
		if got := connectedTo(tsa); got != firstHost {
			t.Errorf("target_session_attrs=%q with primary,replica1,replica2: connected to %s, want the first replica %s", tsa, got, firstHost)
		}
	}

	if err := c.StopReplica(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.StartReplica(context.Background()); err != nil {
			t.Error(err)
		}
	})
	for _, tsa := range []string{"standby", "prefer-standby"} {
		if got := connectedTo(tsa); got != secondHost {
			t.Errorf("target_session_attrs=%q with replica1 down: connected to %s, want the second replica %s", tsa, got, secondHost)
		}
	}
	// Only the primary left (both replicas listed are down or absent): refused.
	err = replica.Check(ctx, replica.WithConfig(loadConfig(t, nil, "DATABASE_URL="+multiHostURL(c, "prefer-standby", c.PrimaryPort, first))))
	if !errors.Is(err, replica.ErrPrimary) {
		t.Errorf("prefer-standby with only the primary up: Check = %v, want ErrPrimary", err)
	}
	assertNoSecret(t, c.Password, map[string]string{"error": fmt.Sprint(err)})
}

func testReplicaStopped(t *testing.T, c *pgtest.Cluster) {
	ctx := context.Background()
	p, _ := openPool(t, loadConfig(t, c.Env(), "REPLICALAB_CONNECT_TIMEOUT=5s"), replica.Quiet())
	count := func(ctx context.Context) error {
		var n int64
		return p.QueryRow(ctx, "SELECT count(*) FROM companies").Scan(&n)
	}
	if err := count(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.StopReplica(ctx); err != nil {
		t.Fatal(err)
	}
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			_ = c.StartReplica(context.Background())
		}
	})

	for i := range 2 { // the broken connection, then a new connection attempt
		qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := count(qctx)
		hung := qctx.Err() != nil
		cancel()
		if err == nil || hung {
			t.Fatalf("query %d with the replica down: err = %v, hung = %v; want an error before the deadline", i+1, err, hung)
		}
		var qe *replica.QueryError
		if !errors.As(err, &qe) || (qe.Kind != replica.ConnectionLost && qe.Kind != replica.CannotConnect) {
			t.Errorf("query %d: %v is not explained as a lost connection", i+1, err)
		}
		t.Logf("query %d with the replica down: %v", i+1, err)
		assertNoSecret(t, c.Password, map[string]string{"error": err.Error()})
	}

	if err := c.StartReplica(ctx); err != nil {
		t.Fatal(err)
	}
	restarted = true
	if err := count(ctx); err != nil {
		t.Errorf("the first query after the replica restarted: %v", err)
	}
}

func testLag(t *testing.T, c *pgtest.Cluster) {
	ctx := context.Background()
	p, _ := openPool(t, loadConfig(t, c.Env()), replica.Quiet())
	admin := superuser(t, c.ReplicaSuperuserURL())
	primary := superuser(t, c.SuperuserURL())
	mustExec(t, primary, "CREATE TABLE lag_probe (x int)") // one commit to replay
	mustExec(t, primary, "DROP TABLE lag_probe")
	if err := c.WaitReplayed(ctx); err != nil {
		t.Fatal(err)
	}

	// Idle: caught up, so zero, even though the last replayed commit is old.
	time.Sleep(1500 * time.Millisecond)
	idle, err := p.Lag(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !idle.Known || !idle.CaughtUp || idle.Delay != 0 || idle.Bytes != 0 {
		t.Errorf("idle lag = %+v, want caught up and zero", idle)
	}
	if age := time.Since(idle.LastReplay); idle.LastReplay.IsZero() || age < time.Second {
		t.Errorf("last replayed commit %v ago: the idle check proves nothing", age)
	}

	// Under traffic: always reported, never negative.
	traffic := func(d time.Duration) (stop func()) {
		tctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := c.Demo().Traffic(tctx, demodb.TrafficOptions{Rate: 100, Duration: d}); err != nil {
				t.Errorf("traffic: %v", err)
			}
		})
		return func() { cancel(); wg.Wait() }
	}
	stop := traffic(1500 * time.Millisecond)
	for i := 0; i < 12; i++ {
		l, err := p.Lag(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !l.Known || l.Delay < 0 || l.Bytes < 0 {
			t.Errorf("lag under traffic = %+v, want a known, non-negative lag", l)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()

	// Replay paused while the primary writes: the lag must grow above zero.
	mustExec(t, admin, "SELECT pg_wal_replay_pause()")
	resumed := false
	t.Cleanup(func() {
		if !resumed {
			_, _ = admin.Exec(context.Background(), "SELECT pg_wal_replay_resume()")
		}
	})
	stop = traffic(0)
	var behind replica.Lag
	eventually(t, 10*time.Second, "the lag grows while replay is paused", func() bool {
		behind, err = p.Lag(ctx)
		return err == nil && behind.Known && behind.Bytes > 0 && behind.Delay > 0 && !behind.CaughtUp
	})
	stop()
	if s := behind.String(); !strings.HasPrefix(s, "lag ") || !strings.Contains(s, "kB to replay") {
		t.Errorf("Lag.String() = %q", s)
	}
	mustExec(t, admin, "SELECT pg_wal_replay_resume()")
	resumed = true
	if err := c.WaitReplayed(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := p.Lag(ctx)
	if err != nil || !after.CaughtUp || after.Delay != 0 {
		t.Errorf("lag after replay resumed = %+v, %v; want caught up", after, err)
	}
}

func testRecoveryConflict(t *testing.T, c *pgtest.Cluster) {
	ctx := context.Background()
	standby := superuser(t, c.ReplicaSuperuserURL())
	mustExec(t, standby, "ALTER SYSTEM SET max_standby_streaming_delay = 0")
	mustExec(t, standby, "SELECT pg_reload_conf()")
	t.Cleanup(func() {
		mustExec(t, standby, "ALTER SYSTEM RESET max_standby_streaming_delay")
		mustExec(t, standby, "SELECT pg_reload_conf()")
	})
	primary := superuser(t, c.SuperuserURL())
	mustExec(t, primary, "CREATE TABLE conflict_probe AS SELECT g AS id FROM generate_series(1, 1000) g")
	mustExec(t, primary, "GRANT SELECT ON conflict_probe TO "+c.User)
	t.Cleanup(func() { mustExec(t, primary, "DROP TABLE IF EXISTS conflict_probe") })
	if err := c.WaitReplayed(ctx); err != nil {
		t.Fatal(err)
	}

	p, _ := openPool(t, loadConfig(t, c.Env(), "REPLICALAB_APP_NAME=conflict-test"), replica.Quiet())
	done := make(chan error, 1)
	go func() {
		var n int64
		var slept bool
		done <- p.QueryRow(ctx, "SELECT (SELECT count(*) FROM conflict_probe), pg_sleep(20) IS NULL").Scan(&n, &slept)
	}()
	eventually(t, 10*time.Second, "the long query running on the replica", func() bool {
		var n int
		_ = standby.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'conflict-test' AND state = 'active'").Scan(&n)
		return n > 0
	})
	mustExec(t, primary, "DELETE FROM conflict_probe")
	mustExec(t, primary, "VACUUM conflict_probe")

	select {
	case err := <-done:
		if !errors.Is(err, replica.ErrRecoveryConflict) || !replica.IsRecoveryConflict(err) {
			t.Fatalf("query error = %v, want a recovery conflict", err)
		}
		for _, want := range []string{"retry", "hot_standby_feedback", "conflict with recovery"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the replica did not cancel the conflicting query")
	}
}
