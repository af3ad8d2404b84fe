// Package sparktest gives tests a real local Spark Connect server (see internal/sparkserver), one per
// test run: `make test` starts one for the whole run and names its folder in REPLICALAB_TEST_SPARK_DIR;
// without it, the first test of a test binary that asks starts one in a temporary folder, with the
// Spark UI on, and Main stops it (a watchdog does if the binary dies).
//
//	func TestMain(m *testing.M) { sparktest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		srv := sparktest.Shared(t) // skips when Spark is not installed (fails under make test)
//		... srv.Remote(), srv.Token(), srv.Dir, srv.LogFile(), srv.UI()
//	}
package sparktest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/replicalab/replicalab/internal/sparkserver"
)

// Cores is the test server's local[N]: more task slots than the default REPLICALAB_SPARK_MAX_CONNS, so
// that a test can tell the connection bound from Spark's own limit.
const Cores = 4

// EnvDir names the folder of a server started for the whole test run (make test sets it).
const EnvDir = "REPLICALAB_TEST_SPARK_DIR"

var shared struct {
	mu      sync.Mutex
	started bool
	own     bool
	s       *sparkserver.Server
	err     error
}

// Shared returns the test run's Spark server, waiting until it accepts clients. It skips the test when
// Spark is not installed (make spark-install), unless REPLICALAB_REQUIRE_SPARK is set (make test sets
// it), and fails it when the server cannot start.
func Shared(tb testing.TB) *sparkserver.Server {
	tb.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.started {
		shared.started = true
		ctx, cancel := context.WithTimeout(context.Background(), 7*time.Minute)
		shared.s, shared.own, shared.err = start(ctx)
		cancel()
	}
	if errors.Is(shared.err, sparkserver.ErrNotInstalled) && os.Getenv("REPLICALAB_REQUIRE_SPARK") == "" {
		tb.Skipf("Spark is not installed: %v", shared.err)
	}
	if shared.err != nil {
		tb.Fatalf("the test Spark server: %v", shared.err)
	}
	return shared.s
}

func start(ctx context.Context) (*sparkserver.Server, bool, error) {
	if dir := os.Getenv(EnvDir); dir != "" {
		// Started for the whole run (make test), perhaps still starting.
		deadline := time.Now().Add(30 * time.Second)
		for {
			s, err := sparkserver.Find(dir)
			if err == nil {
				return s, false, sparkserver.WaitReady(ctx, s)
			}
			if time.Now().After(deadline) {
				return nil, false, fmt.Errorf("%s=%s: %w", EnvDir, dir, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	dir, err := os.MkdirTemp("", "replicalab-sparktest-")
	if err != nil {
		return nil, false, err
	}
	s, err := sparkserver.Start(ctx, sparkserver.Options{Dir: dir, Port: -1, UI: true, Cores: Cores, StopWith: os.Getpid(), RemoveDir: true})
	if err != nil {
		os.RemoveAll(dir)
		return nil, false, err
	}
	return s, true, nil
}

// Main runs the tests, then stops the server if this binary started it, then runs the other clean-ups
// (e.g. pgtest.StopShared); a clean-up's non-zero result fails the run.
//
//	func TestMain(m *testing.M) { sparktest.Main(m, pgtest.StopShared) }
func Main(m *testing.M, cleanups ...func() int) {
	code := m.Run()
	for _, c := range cleanups {
		if rc := c(); code == 0 {
			code = rc
		}
	}
	shared.mu.Lock()
	s, own := shared.s, shared.own
	shared.mu.Unlock()
	if s != nil && own {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_ = s.Stop(ctx)
		cancel()
		_ = os.RemoveAll(s.Dir)
	}
	os.Exit(code)
}
