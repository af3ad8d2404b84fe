package spark

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// These tests drive the interceptors' bookkeeping with a stand-in for the gRPC transport; what Spark does
// with an interrupt is tested against the real server in interrupt_test.go.

// heldStream answers nothing until released (io.EOF) or its context ends.
type heldStream struct {
	ctx     context.Context
	release chan struct{}
}

func (h *heldStream) Header() (metadata.MD, error) { return nil, nil }
func (h *heldStream) Trailer() metadata.MD         { return nil }
func (h *heldStream) CloseSend() error             { return nil }
func (h *heldStream) Context() context.Context     { return h.ctx }
func (h *heldStream) SendMsg(any) error            { return nil }
func (h *heldStream) RecvMsg(any) error {
	select {
	case <-h.release:
		return io.EOF
	case <-h.ctx.Done():
		return h.ctx.Err()
	}
}

// openStream opens a stream through the session's interceptor as a load's call would; held is nil when
// the call was refused before reaching the transport.
func openStream(t *testing.T, b *builder, ctx context.Context) (grpc.ClientStream, *heldStream, error) {
	t.Helper()
	var held *heldStream
	streamer := func(ctx context.Context, _ *grpc.StreamDesc, _ *grpc.ClientConn, _ string, _ ...grpc.CallOption) (grpc.ClientStream, error) {
		held = &heldStream{ctx: ctx, release: make(chan struct{})}
		return held, nil
	}
	cs, err := b.trackStream(func(any) {})(ctx, &grpc.StreamDesc{ServerStreams: true}, nil, "/spark.connect.SparkConnectService/ExecutePlan", streamer)
	if cs != nil {
		go func() {
			for cs.RecvMsg(nil) == nil {
			}
		}()
	}
	return cs, held, err
}

// loadInFlight is a session with one load whose call to Spark is in flight (held until released).
func loadInFlight(t *testing.T) (*Session, *builder, *heldStream) {
	t.Helper()
	s, b := newUnitSession()
	lctx, _, done := s.startLoad(context.Background())
	t.Cleanup(done)
	_, held, err := openStream(t, b, lctx)
	if err != nil {
		t.Fatal(err)
	}
	return s, b, held
}

func newUnitSession() (*Session, *builder) {
	b := &builder{r: &remote{}}
	s := &Session{}
	s.live = b
	return s, b
}

func TestAnInterruptedLoadStartsNoOtherCallToSpark(t *testing.T) {
	s, b := newUnitSession()
	lctx, mark, done := s.startLoad(context.Background())
	defer done()
	if err := s.stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !mark.interrupted.Load() {
		t.Fatal("the load in flight was not marked as interrupted")
	}
	_, held, err := openStream(t, b, lctx)
	if held != nil || status.Code(err) != codes.Canceled || !strings.Contains(err.Error(), ErrInterrupted.Error()) {
		t.Errorf("the next call of an interrupted load: expected it refused (Canceled, %q) before reaching Spark, found reached=%v err=%v", ErrInterrupted, held != nil, err)
	}
	invoked := false
	invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error {
		invoked = true
		return nil
	}
	if err := checkUnary(func(any) {})(lctx, "/spark.connect.SparkConnectService/AnalyzePlan", nil, nil, nil, invoker); invoked || status.Code(err) != codes.Canceled {
		t.Errorf("a unary call of an interrupted load: expected it refused (Canceled) before reaching Spark, found reached=%v err=%v", invoked, err)
	}
	// A load that starts after the interrupt is not affected.
	later, _, doneLater := s.startLoad(context.Background())
	defer doneLater()
	if _, held, err := openStream(t, b, later); err != nil || held == nil {
		t.Errorf("a load started after the interrupt: expected its call to go through, found %v", err)
	} else {
		close(held.release)
	}
	if n := len(b.interruptedStreams()); n != 0 {
		t.Errorf("expected no interrupted stream left, found %d", n)
	}
}

func TestAnInterruptWaitsUntilTheInterruptedLoadsCallsEnd(t *testing.T) {
	s, b, held := loadInFlight(t)
	// Another load's call, never interrupted, is not waited for.
	other, _, doneOther := s.startLoad(context.Background())
	_, otherHeld, err := openStream(t, b, other)
	if err != nil {
		t.Fatal(err)
	}
	s.imu.Lock()
	delete(s.loads, markOf(other)) // as if it started after the interrupt
	s.imu.Unlock()
	defer func() { close(otherHeld.release); doneOther() }()

	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped <- s.stop(ctx)
	}()
	select {
	case err := <-stopped:
		t.Fatalf("the interrupt returned (%v) while the interrupted load's operation was still in flight", err)
	case <-time.After(600 * time.Millisecond):
	}
	close(held.release) // Spark ends the operation
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("expected the interrupt to succeed once the operation ended, found %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the interrupt did not return after the operation ended")
	}
}

func TestAnInterruptThatRunsOutOfTimeCancelsTheCallsItWaitedFor(t *testing.T) {
	s, _, held := loadInFlight(t)
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	err := s.stop(ctx)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "1 operation(s) still running") {
		t.Errorf("expected the interrupt to say 1 operation still ran when it gave up, found %v", err)
	}
	select {
	case <-held.ctx.Done():
		if !errors.Is(context.Cause(held.ctx), ErrInterrupted) {
			t.Errorf("the call was cancelled with %v, expected ErrInterrupted", context.Cause(held.ctx))
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the call the interrupt gave up on was not cancelled on this side: its load would not return")
	}
}

func TestALoadsCallsAreForgottenWhenItReturns(t *testing.T) {
	s, b := newUnitSession()
	lctx, _, done := s.startLoad(context.Background())
	if _, _, err := openStream(t, b, lctx); err != nil { // left unread, as a client that returned early would
		t.Fatal(err)
	}
	done()
	deadline := time.Now().Add(2 * time.Second)
	for {
		b.mu.Lock()
		n := len(b.streams)
		b.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d stream(s) still kept after their load returned", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.imu.Lock()
	defer s.imu.Unlock()
	if len(s.loads) != 0 {
		t.Errorf("%d load(s) still registered after returning", len(s.loads))
	}
}
