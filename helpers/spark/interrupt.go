package spark

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/replicalab/replicalab/helpers/replica"
	"google.golang.org/grpc"
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

// sessionIDs records the Spark Connect session id of every request sent on a connection:
// spark-connect-go chooses it and keeps it to itself.
func (b *builder) interceptors() []grpc.DialOption {
	note := func(req any) {
		if m, ok := req.(proto.Message); ok {
			f := m.ProtoReflect().Descriptor().Fields().ByName("session_id")
			if f != nil && f.Kind() == protoreflect.StringKind {
				if id := m.ProtoReflect().Get(f).String(); id != "" {
					b.mu.Lock()
					b.sessionID = id
					b.mu.Unlock()
				}
			}
		}
	}
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			note(req)
			return invoker(ctx, method, req, reply, cc, opts...)
		}),
		grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			s, err := streamer(ctx, desc, cc, method, opts...)
			if err != nil {
				return s, err
			}
			return &notingStream{ClientStream: s, note: note}, nil
		}),
	}
}

type notingStream struct {
	grpc.ClientStream
	note func(any)
}

func (s *notingStream) SendMsg(m any) error {
	s.note(m)
	return s.ClientStream.SendMsg(m)
}

// interruptAll asks Spark to interrupt every running operation of the session.
func (b *builder) interruptAll(ctx context.Context) error {
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
	all := fields.ByName("interrupt_type").Enum().Values().ByName("INTERRUPT_TYPE_ALL")
	if all == nil {
		return errors.New("spark: the Spark Connect protocol has no INTERRUPT_TYPE_ALL")
	}
	req.Set(fields.ByName("interrupt_type"), protoreflect.ValueOfEnum(all.Number()))
	resp := respType.New().Interface()
	return conn.Invoke(ctx, "/spark.connect.SparkConnectService/Interrupt", req.Interface(), resp)
}

// The sessions connected to Spark, for InterruptAll; each also registers with helpers/replica's
// interrupt handler (one handler for the program), which calls it on SIGINT or SIGTERM alongside the
// replicas' cancel requests, then lets the signal take its course.
var connected struct {
	mu       sync.Mutex
	builders map[*builder]func() // the builder → removes its interrupt hook
}

func watchInterrupts(b *builder) {
	connected.mu.Lock()
	defer connected.mu.Unlock()
	if connected.builders == nil {
		connected.builders = map[*builder]func(){}
	}
	if _, ok := connected.builders[b]; !ok {
		connected.builders[b] = replica.OnInterrupt(func(ctx context.Context) { _ = b.interruptAll(ctx) })
	}
}

func unwatchInterrupts(b *builder) {
	connected.mu.Lock()
	defer connected.mu.Unlock()
	if remove, ok := connected.builders[b]; ok {
		remove()
		delete(connected.builders, b)
	}
}

// InterruptAll interrupts the Spark operations of every connected session and cancels the replica
// queries in flight, waiting at most 2 s. The interrupt handler calls it; programs that handle signals
// themselves can too.
func InterruptAll() {
	connected.mu.Lock()
	var bs []*builder
	for b := range connected.builders {
		bs = append(bs, b)
	}
	connected.mu.Unlock()
	interruptBuilders(bs)
}

// Interrupt asks Spark to stop every running operation of this session (other goroutines' loads then
// fail), waiting at most 2 s.
func (s *Session) Interrupt() {
	s.mu.Lock()
	b := s.conn
	s.mu.Unlock()
	if b != nil {
		interruptBuilders([]*builder{b})
	}
}

func interruptBuilders(bs []*builder) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, b := range bs {
		wg.Go(func() { _ = b.interruptAll(ctx) })
	}
	wg.Go(replica.CancelAll)
	wg.Wait()
}
