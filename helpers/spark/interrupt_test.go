package spark

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/internal/sparktest"
)

// sleepers counts the replica's queries of app still sleeping in pg_sleep.
func sleepers(t *testing.T, conn *pgx.Conn, app string) int64 {
	t.Helper()
	return count(t, conn, fmt.Sprintf("SELECT count(*) FROM pg_stat_activity WHERE application_name = '%s' AND query LIKE '%%pg_sleep%%' AND state = 'active'", app))
}

func waitFor(d time.Duration, f func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if f() {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return f()
}

// sleepyView reads slowly: half a second every 100 rows (a CASE fixes the order of evaluation), so a
// partition takes minutes, while Spark's schema probe (WHERE 1=0) reads no row and returns at once.
const sleepyView = "SELECT e.id FROM events e WHERE CASE WHEN e.id % 100 = 0 THEN pg_sleep(0.5) IS NOT NULL ELSE true END"

// partitionReads counts the replica's queries of app reading the sleepy view's partitions (Spark's
// schema probe, WHERE 1=0, excluded).
func partitionReads(t *testing.T, conn *pgx.Conn, app string) int64 {
	t.Helper()
	return count(t, conn, fmt.Sprintf("SELECT count(*) FROM pg_stat_activity WHERE application_name = '%s' AND query LIKE '%%pg_sleep%%' AND query NOT LIKE '%%1=0%%' AND state = 'active'", app))
}

// An interrupt stops a load whenever it lands: while the view registers (Spark probes its schema on the
// replica), or while the partitions read. The load returns ErrInterrupted at once, its queries leave the
// replica, and the session serves the next load.
func TestInterruptStopsSparkAndTheReplicaQueries(t *testing.T) {
	t.Parallel() // reads only what it creates or names; the counting tests run alone, first
	c, ports := cluster(t)
	ctx := ctxT(t)
	for _, when := range []struct {
		name    string
		started func(*testing.T, *pgx.Conn, string) int64
	}{{"as soon as the load shows on the replica", sleepers}, {"while the partitions read", partitionReads}} {
		t.Run(when.name, func(t *testing.T) {
			settings := env(t, c, ports[0])
			s, _ := open(t, settings)
			if err := s.QueryView("sleepy", sleepyView, Key("id"), BoundsOf("events"), Partitions(2)); err != nil {
				t.Fatal(err)
			}
			conn := super(t, c, ports[0])
			app := settings["REPLICALAB_APP_NAME"]
			done := make(chan error, 1)
			go func() {
				_, err := s.Load(ctx, "SELECT count(*) FROM sleepy", NoCache())
				done <- err
			}()
			if !waitFor(2*time.Minute, func() bool { return when.started(t, conn, app) > 0 }) {
				t.Fatal("the load's queries never started on the replica")
			}
			start := time.Now()
			s.Interrupt()
			select {
			case err := <-done:
				if !errors.Is(err, ErrInterrupted) {
					t.Errorf("an interrupted load should return ErrInterrupted, found %v", err)
				}
				t.Logf("interrupted after %.1f s: %v", time.Since(start).Seconds(), err)
			case <-time.After(30 * time.Second):
				t.Fatal("the load still runs 30 s after the interrupt")
			}
			if !waitFor(20*time.Second, func() bool { return sleepers(t, conn, app) == 0 }) {
				t.Errorf("the replica still runs %d of the read's queries 20 s after the interrupt", sleepers(t, conn, app))
			}
			res, err := s.Load(ctx, "SELECT 41 + 1 AS answer", NoCache())
			if err != nil {
				t.Fatalf("the load after an interrupt: %v", err)
			}
			if got := res.DataFrame.Col("answer").Records(); len(got) != 1 || got[0] != "42" {
				t.Errorf("the load after an interrupt: expected answer 42, found %v", got)
			}
		})
	}
}

// A cell interrupted from the notebook: GoNB sends SIGINT to the cell's program.
func TestSIGINTStopsTheSparkJobOnTheReplica(t *testing.T) {
	if os.Getenv("REPLICALAB_SPARK_CHILD") != "" {
		child()
		return
	}
	c, ports := cluster(t)
	srv := sparktest.Shared(t)
	settings := env(t, c, ports[0])
	conn := super(t, c, ports[0])
	app := settings["REPLICALAB_APP_NAME"]
	cmd := exec.Command(os.Args[0], "-test.run", "^TestSIGINTStopsTheSparkJobOnTheReplica$", "-test.count=1")
	cmd.Env = append(os.Environ(), "REPLICALAB_SPARK_CHILD=1", "SPARK_REMOTE="+srv.Remote()+"/;token="+srv.Token())
	for k, v := range settings {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	if !waitFor(2*time.Minute, func() bool { return sleepers(t, conn, app) > 0 }) {
		t.Fatalf("the child's partitions never started on the replica:\n%s", out.String())
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
			t.Errorf("the program should end by its SIGINT, as without the handler; it ended with %v\n%s", err, out.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("the program still runs 15 s after SIGINT:\n%s", out.String())
	}
	if !waitFor(20*time.Second, func() bool { return sleepers(t, conn, app) == 0 }) {
		t.Errorf("the replica still runs %d of the interrupted program's queries 20 s later (Spark kept the job)", sleepers(t, conn, app))
	}
}

// child runs a load that sleeps on the replica until it is interrupted.
func child() {
	ctx := context.Background()
	s, err := Open(ctx, Quiet())
	if err != nil {
		fmt.Println(err)
		os.Exit(3)
	}
	if err := s.QueryView("sleepy", sleepyView, Key("id"), BoundsOf("events"), Partitions(2)); err != nil {
		fmt.Println(err)
		os.Exit(3)
	}
	_, err = s.Load(ctx, "SELECT count(*) FROM sleepy", NoCache())
	fmt.Println("load returned:", err, strconv.Quote("unexpected"))
	time.Sleep(10 * time.Second)
	os.Exit(4)
}
