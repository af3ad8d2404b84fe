package spark

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/replicalab/replicalab/helpers/replica"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Interrupting a cell: GoNB sends SIGINT to the cell's program, and the program dying does not stop a
// Spark job (Spark Connect keeps a detached operation running for minutes, holding its JDBC connections
// to the replicas). So while a session is connected, SIGINT and SIGTERM make it ask Spark to interrupt
// every operation of the session (the Interrupt call of the Spark Connect protocol), through
// helpers/replica's interrupt handler, then the signal takes its course. Spark stops the tasks, which
// close their JDBC connections.

// ErrInterrupted is matched (errors.Is) by the error of a load stopped by Interrupt, InterruptAll or
// the program's interrupt handler.
var ErrInterrupted = errors.New("spark: interrupted: the load's Spark operations were stopped")

// A load is a few Spark operations in a row (registering views, the SQL command, the read of the
// result). An interrupt must stop the one running and keep the next from starting: every load carries a
// loadMark in its context, an interrupt marks the loads in flight, and the interceptors below refuse a
// marked load's next call to Spark.
type loadMark struct{ interrupted atomic.Bool }

type loadMarkKey struct{}

func markOf(ctx context.Context) *loadMark {
	m, _ := ctx.Value(loadMarkKey{}).(*loadMark)
	return m
}

func refused(ctx context.Context) error {
	if m := markOf(ctx); m != nil && m.interrupted.Load() {
		return status.Error(codes.Canceled, ErrInterrupted.Error())
	}
	return nil
}

// The interceptors record the Spark Connect session id of the requests (spark-connect-go chooses it and
// keeps it to itself), refuse the calls of an interrupted load, and keep the streams in flight (each an
// operation running on the server) until they end, so that an interrupt knows when Spark has stopped
// the ones it must.
func (b *builder) interceptors() []grpc.DialOption {
	note := func(req any) {
		if id := stringField(req, "session_id"); id != "" {
			b.mu.Lock()
			b.sessionID = id
			b.mu.Unlock()
		}
	}
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(checkUnary(note)),
		grpc.WithChainStreamInterceptor(b.trackStream(note)),
	}
}

// checkUnary is the interceptor of calls answered at once (configuration, analysis, interrupts).
func checkUnary(note func(any)) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if err := refused(ctx); err != nil {
			return err
		}
		note(req)
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// trackStream is the stream interceptor. The stream is kept before the load's mark is checked: an
// interrupt either marked the load before the check (the call is refused) or finds the stream among
// those it waits for.
func (b *builder) trackStream(note func(any)) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		sctx, cancel := context.WithCancelCause(ctx)
		t := &trackedStream{note: note, b: b, mark: markOf(ctx), cancel: cancel, done: make(chan struct{})}
		b.mu.Lock()
		if b.streams == nil {
			b.streams = map[*trackedStream]bool{}
		}
		b.streams[t] = true
		b.mu.Unlock()
		if err := refused(ctx); err != nil {
			t.end()
			return nil, err
		}
		s, err := streamer(sctx, desc, cc, method, opts...)
		if err != nil {
			t.end()
			return nil, err
		}
		t.ClientStream = s
		context.AfterFunc(sctx, t.end)
		return t, nil
	}
}

// stringField is the string field name of a protocol message, "" if it has none.
func stringField(msg any, name protoreflect.Name) string {
	m, ok := msg.(proto.Message)
	if !ok {
		return ""
	}
	f := m.ProtoReflect().Descriptor().Fields().ByName(name)
	if f == nil || f.Kind() != protoreflect.StringKind {
		return ""
	}
	return m.ProtoReflect().Get(f).String()
}

// trackedStream is a call to Spark that streams its answer (an operation): in flight until it ends.
type trackedStream struct {
	grpc.ClientStream
	note   func(any)
	b      *builder
	mark   *loadMark // the load it belongs to; nil when no load made it
	opID   atomic.Pointer[string]
	cancel context.CancelCauseFunc
	once   sync.Once
	done   chan struct{}
}

func (s *trackedStream) SendMsg(m any) error {
	s.note(m)
	if id := stringField(m, "operation_id"); id != "" {
		s.opID.Store(&id)
	}
	return s.ClientStream.SendMsg(m)
}

func (s *trackedStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err != nil {
		s.end()
	}
	return err
}

// end forgets the stream and releases its context.
func (s *trackedStream) end() {
	s.once.Do(func() {
		s.b.mu.Lock()
		delete(s.b.streams, s)
		s.b.mu.Unlock()
		close(s.done)
		s.cancel(nil)
	})
}

// interruptedStreams are the streams in flight of interrupted loads.
func (b *builder) interruptedStreams() []*trackedStream {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ts []*trackedStream
	for t := range b.streams {
		if t.mark != nil && t.mark.interrupted.Load() {
			ts = append(ts, t)
		}
	}
	return ts
}

// stop asks Spark to interrupt every operation of the session, then, every 250 ms, each operation of an
// interrupted load still in flight (one sent just before the interrupt may not have been registered on
// the server yet), until none is left. When ctx ends first, it cancels those calls on this side, so
// that their loads return, and says how many Spark may still be running.
func (b *builder) stop(ctx context.Context) error {
	err := b.interrupt(ctx, "")
	for {
		pending := b.interruptedStreams()
		if len(pending) == 0 {
			return err
		}
		round := time.NewTimer(250 * time.Millisecond)
	wait:
		for _, t := range pending {
			select {
			case <-t.done:
			case <-round.C:
				break wait
			case <-ctx.Done():
				break wait
			}
		}
		round.Stop()
		if ctx.Err() != nil {
			left := b.interruptedStreams()
			for _, t := range left {
				t.cancel(ErrInterrupted)
			}
			if len(left) == 0 {
				return err
			}
			return fmt.Errorf("spark: %d operation(s) still running when the interrupt gave up (cancelled here; Spark may finish them): %w", len(left), ctx.Err())
		}
		err = nil
		for _, t := range b.interruptedStreams() {
			if id := t.opID.Load(); id != nil {
				err = errors.Join(err, b.interrupt(ctx, *id))
			}
		}
	}
}

// interrupt asks Spark to interrupt the operation opID of the session, or every operation of it when
// opID is "".
func (b *builder) interrupt(ctx context.Context, opID string) error {
	b.mu.Lock()
	id, conn := b.sessionID, b.conn
	b.mu.Unlock()
	if id == "" || conn == nil {
		return nil // nothing was sent
	}
	reqType, err := protoregistry.GlobalTypes.FindMessageByName("spark.connect.InterruptRequest")
	if err != nil {
		return fmt.Errorf("spark: the Spark Connect protocol has no InterruptRequest: %w", err)
	}
	respType, err := protoregistry.GlobalTypes.FindMessageByName("spark.connect.InterruptResponse")
	if err != nil {
		return fmt.Errorf("spark: the Spark Connect protocol has no InterruptResponse: %w", err)
	}
	req := reqType.New()
	fields := req.Descriptor().Fields()
	req.Set(fields.ByName("session_id"), protoreflect.ValueOfString(id))
	uc := req.NewField(fields.ByName("user_context")).Message()
	uc.Set(uc.Descriptor().Fields().ByName("user_id"), protoreflect.ValueOfString(b.User()))
	req.Set(fields.ByName("user_context"), protoreflect.ValueOfMessage(uc))
	kind := protoreflect.Name("INTERRUPT_TYPE_ALL")
	if opID != "" {
		kind = "INTERRUPT_TYPE_OPERATION_ID"
		req.Set(fields.ByName("operation_id"), protoreflect.ValueOfString(opID))
	}
	v := fields.ByName("interrupt_type").Enum().Values().ByName(kind)
	if v == nil {
		return fmt.Errorf("spark: the Spark Connect protocol has no %s", kind)
	}
	req.Set(fields.ByName("interrupt_type"), protoreflect.ValueOfEnum(v.Number()))
	resp := respType.New().Interface()
	return conn.Invoke(ctx, "/spark.connect.SparkConnectService/Interrupt", req.Interface(), resp)
}

// The sessions connected to Spark, for InterruptAll: each registers with helpers/replica's interrupt
// handler (one handler for the program) once connected, until Close, and the handler calls it on SIGINT
// or SIGTERM alongside the replicas' cancel requests, then lets the signal take its course. (Before a
// session connects, its loads have sent nothing to Spark.)
var watched struct {
	mu       sync.Mutex
	sessions map[*Session]func() // the session → removes its interrupt hook
}

func watchInterrupts(s *Session) {
	watched.mu.Lock()
	defer watched.mu.Unlock()
	if watched.sessions == nil {
		watched.sessions = map[*Session]func(){}
	}
	if _, ok := watched.sessions[s]; !ok {
		watched.sessions[s] = replica.OnInterrupt(func(ctx context.Context) { _ = s.stop(ctx) })
	}
}

func unwatchInterrupts(s *Session) {
	watched.mu.Lock()
	defer watched.mu.Unlock()
	if remove, ok := watched.sessions[s]; ok {
		remove()
		delete(watched.sessions, s)
	}
}

// startLoad marks a load's context (see loadMark) and registers the load with the session; the load
// calls done when it returns, which also ends whatever calls it left unread.
func (s *Session) startLoad(ctx context.Context) (lctx context.Context, m *loadMark, done func()) {
	m = &loadMark{}
	s.imu.Lock()
	if s.loads == nil {
		s.loads = map[*loadMark]bool{}
	}
	s.loads[m] = true
	s.imu.Unlock()
	lctx, cancel := context.WithCancel(context.WithValue(ctx, loadMarkKey{}, m))
	return lctx, m, func() {
		cancel()
		s.imu.Lock()
		delete(s.loads, m)
		s.imu.Unlock()
	}
}

// stop marks the session's loads in flight as interrupted and stops their Spark operations.
func (s *Session) stop(ctx context.Context) error {
	s.imu.Lock()
	for m := range s.loads {
		m.interrupted.Store(true)
	}
	b := s.live
	s.imu.Unlock()
	if b == nil {
		return nil
	}
	return b.stop(ctx)
}

// InterruptAll interrupts the loads in flight of every session (their Spark operations stop, and they
// start no other) and cancels the replica queries in flight, waiting at most 2 s. The interrupt handler
// calls it; programs that handle signals themselves can too.
func InterruptAll() {
	watched.mu.Lock()
	var ss []*Session
	for s := range watched.sessions {
		ss = append(ss, s)
	}
	watched.mu.Unlock()
	interruptSessions(ss, 2*time.Second)
}

// Interrupt stops the loads in flight on this session, whichever goroutine runs them: their Spark
// operations stop, they start no other, and they return an error matching ErrInterrupted. It returns
// once Spark has stopped them, or after 10 s.
func (s *Session) Interrupt() {
	interruptSessions([]*Session{s}, 10*time.Second)
}

func interruptSessions(ss []*Session, limit time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var wg sync.WaitGroup
	for _, s := range ss {
		wg.Go(func() { _ = s.stop(ctx) })
	}
	wg.Go(replica.CancelAll)
	wg.Wait()
}
