package replica

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// tracker holds the connections currently lent out by a pool, so that an
// interrupt can cancel what they are running.
type tracker struct {
	mu    sync.Mutex
	conns map[*pgconn.PgConn]struct{}
}

func newTracker() *tracker { return &tracker{conns: map[*pgconn.PgConn]struct{}{}} }

func (t *tracker) add(c *pgconn.PgConn) {
	t.mu.Lock()
	t.conns[c] = struct{}{}
	t.mu.Unlock()
}

func (t *tracker) remove(c *pgconn.PgConn) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
}

func (t *tracker) busy() []*pgconn.PgConn {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*pgconn.PgConn, 0, len(t.conns))
	for c := range t.conns {
		out = append(out, c)
	}
	return out
}

// cancelTimeout bounds the cancel requests sent on an interrupt; GoNB kills
// the cell 5 s after its SIGINT.
const cancelTimeout = 2 * time.Second

// The process-wide interrupt handler, active while at least one Pool that
// wants it is open or a hook is registered.
var interrupts struct {
	mu    sync.Mutex
	pools map[*Pool]struct{}
	hooks map[*func(context.Context)]struct{}
	ch    chan os.Signal
}

func register(p *Pool) {
	interrupts.mu.Lock()
	defer interrupts.mu.Unlock()
	if interrupts.pools == nil {
		interrupts.pools = map[*Pool]struct{}{}
	}
	interrupts.pools[p] = struct{}{}
	watchLocked()
}

// OnInterrupt adds f to what the interrupt handler does when the program gets
// SIGINT or SIGTERM, before the signal takes its course: f runs alongside the
// cancel requests, with a context that ends when the handler stops waiting
// (2 s). It returns the function that removes f. Packages that start work
// elsewhere use it to stop that work too (helpers/spark interrupts its Spark
// jobs): one handler for the whole program.
func OnInterrupt(f func(ctx context.Context)) (remove func()) {
	interrupts.mu.Lock()
	defer interrupts.mu.Unlock()
	if interrupts.hooks == nil {
		interrupts.hooks = map[*func(context.Context)]struct{}{}
	}
	key := &f
	interrupts.hooks[key] = struct{}{}
	watchLocked()
	return func() {
		interrupts.mu.Lock()
		defer interrupts.mu.Unlock()
		delete(interrupts.hooks, key)
		unwatchLocked()
	}
}

// watchLocked starts catching the signals if nothing does yet.
func watchLocked() {
	if interrupts.ch == nil {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		interrupts.ch = ch
		go handleInterrupt(ch)
	}
}

func unregister(p *Pool) {
	interrupts.mu.Lock()
	defer interrupts.mu.Unlock()
	delete(interrupts.pools, p)
	unwatchLocked()
}

// unwatchLocked stops catching the signals when nothing needs them any more.
func unwatchLocked() {
	if len(interrupts.pools) == 0 && len(interrupts.hooks) == 0 && interrupts.ch != nil {
		signal.Stop(interrupts.ch)
		close(interrupts.ch)
		interrupts.ch = nil
	}
}

// handleInterrupt waits for a signal, cancels every query in flight on the
// server, then stops catching and raises the signal again: with no other
// handler installed, the program ends as it would have without this package.
func handleInterrupt(ch chan os.Signal) {
	sig, ok := <-ch
	if !ok {
		return
	}
	interruptedAt.Store(time.Now().UnixNano())
	interrupts.mu.Lock()
	if interrupts.ch == ch {
		signal.Stop(ch) // a second Ctrl-C now ends the program at once
		interrupts.ch = nil
	}
	var hooks []func(context.Context)
	for f := range interrupts.hooks {
		hooks = append(hooks, *f)
	}
	interrupts.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), cancelTimeout)
	var wg sync.WaitGroup
	for _, f := range hooks {
		wg.Go(func() { f(ctx) })
	}
	CancelAll()
	wg.Wait()
	cancel()
	if self, err := os.FindProcess(os.Getpid()); err == nil {
		_ = self.Signal(sig)
	}
	reraisedOnce.Do(func() { close(reraised) })
}

var (
	// interruptedAt is when the handler last caught a signal (UnixNano), 0 if never.
	interruptedAt atomic.Int64
	// reraised is closed once the handler raised a signal again.
	reraised     = make(chan struct{})
	reraisedOnce sync.Once
)

// interruptGrace is how long a query cancelled by an interrupt waits for the
// re-raised signal to end the program before returning its error: without
// it, the cell's code would see "canceling statement due to user request"
// and run on (print, start the next query) in the instant before the signal
// lands. It only matters when another handler keeps the program alive.
const interruptGrace = 500 * time.Millisecond

// holdIfInterrupted delays a failed call's return while the program is being
// interrupted; see interruptGrace.
func holdIfInterrupted(err error) error {
	at := interruptedAt.Load()
	if err != nil && at != 0 && time.Since(time.Unix(0, at)) < cancelTimeout+interruptGrace {
		select {
		case <-reraised:
		case <-time.After(cancelTimeout):
		}
		time.Sleep(interruptGrace)
	}
	return err
}

// CancelAll asks the server to cancel every query running on any open Pool,
// and waits (at most 2 s) for the requests to be delivered. The interrupt
// handler calls it; programs that handle signals themselves can too.
func CancelAll() {
	interrupts.mu.Lock()
	var conns []*pgconn.PgConn
	for p := range interrupts.pools {
		conns = append(conns, p.track.busy()...)
	}
	interrupts.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), cancelTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() { _ = c.CancelRequest(ctx) })
	}
	wg.Wait()
}
