package jupyter

import (
	"context"
	"sync"

	"github.com/go-zeromq/zmq4"
)

// Socket is a ZeroMQ socket whose sends are serialized (zmq4 sockets must not be written to from several
// goroutines at once) and whose receives yield parsed messages.
type Socket struct {
	Z      zmq4.Socket
	mu     sync.Mutex
	signer *Signer
}

// NewSocket wraps s; messages are signed and verified with signer.
func NewSocket(s zmq4.Socket, signer *Signer) *Socket { return &Socket{Z: s, signer: signer} }

// SendFrames sends raw frames as one multipart message.
func (s *Socket) SendFrames(frames [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Z.SendMulti(zmq4.NewMsgFrom(frames...))
}

// Send signs and sends m.
func (s *Socket) Send(m *Message) error { return s.SendFrames(s.signer.Frames(m)) }

// Receive waits for the next message and parses it. A message that does not parse (bad signature,
// missing delimiter) is returned as an error with ok still true, so the caller can log and go on;
// ok is false when the socket is closed.
func (s *Socket) Receive() (m *Message, err error, ok bool) {
	raw, rerr := s.Z.Recv()
	if rerr != nil {
		return nil, rerr, false
	}
	m, err = s.signer.Parse(raw.Frames)
	return m, err, true
}

// Bind creates the five kernel sockets of ci and listens on them.
func Bind(ctx context.Context, ci ConnectionInfo) (*Sockets, error) {
	signer := NewSigner(ci.Key)
	ss := &Sockets{
		Shell:   NewSocket(zmq4.NewRouter(ctx), signer),
		Control: NewSocket(zmq4.NewRouter(ctx), signer),
		Stdin:   NewSocket(zmq4.NewRouter(ctx), signer),
		IOPub:   NewSocket(zmq4.NewPub(ctx), signer),
		HB:      zmq4.NewRep(ctx),
		Signer:  signer,
	}
	for _, b := range []struct {
		s    zmq4.Socket
		port int
	}{{ss.Shell.Z, ci.ShellPort}, {ss.Control.Z, ci.ControlPort}, {ss.Stdin.Z, ci.StdinPort}, {ss.IOPub.Z, ci.IOPubPort}, {ss.HB, ci.HBPort}} {
		if err := b.s.Listen(ci.Endpoint(b.port)); err != nil {
			ss.Close()
			return nil, err
		}
	}
	return ss, nil
}

// Sockets are a kernel's five sockets.
type Sockets struct {
	Shell, Control, Stdin, IOPub *Socket
	HB                           zmq4.Socket
	Signer                       *Signer
}

// Close closes every socket.
func (ss *Sockets) Close() {
	for _, s := range []*Socket{ss.Shell, ss.Control, ss.Stdin, ss.IOPub} {
		if s != nil {
			_ = s.Z.Close()
		}
	}
	if ss.HB != nil {
		_ = ss.HB.Close()
	}
}

// ServeHeartbeat echoes every heartbeat ping until the socket closes.
func ServeHeartbeat(hb zmq4.Socket) {
	for {
		msg, err := hb.Recv()
		if err != nil {
			return
		}
		if err := hb.Send(msg); err != nil {
			return
		}
	}
}
