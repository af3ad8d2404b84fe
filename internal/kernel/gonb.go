package kernel

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/replicalab/replicalab/internal/jupyter"
)

// gonb is the GoNB child process and the kernel's sockets to it.
type gonb struct {
	k       *Kernel
	cmd     *exec.Cmd
	ci      jupyter.ConnectionInfo
	started time.Time
	out     chan outgoing // requests for GoNB, sent in order once it is ready

	shell, control, stdin, iopub *jupyter.Socket

	ready   chan struct{} // closed once GoNB answers and its IOPub reaches the kernel, or it failed
	err     error         // why GoNB is unusable; set before ready closes
	exited  chan struct{}
	exitErr error

	mu     sync.Mutex
	routes map[string]route // request msg_id -> where its replies go

	asked atomic.Int64 // when the last input request was relayed to the client (UnixNano)
}

// answerHold is how long after relaying an input request the kernel holds the client's answer. GoNB
// (v0.11.4, internal/kernel PromptInput) notes where an answer goes only after it has sent the request;
// an answer arriving in between is dropped and the cell's program waits on its stdin forever. There is
// no signal that GoNB is ready, so this is a margin, not a guarantee: GoNB's two steps are microseconds
// apart unless its goroutine is paused (a busy machine), and people take seconds to type, so only
// programs that answer at once ever wait for it.
const answerHold = 500 * time.Millisecond

// holdAnswer waits until the answer to the last input request may go to GoNB (see answerHold).
func (g *gonb) holdAnswer() {
	if wait := time.Until(time.Unix(0, g.asked.Load()).Add(answerHold)); wait > 0 {
		time.Sleep(wait)
	}
}

// route remembers who asked: a client's identities and socket, or the kernel itself (internal).
type route struct {
	ids      [][]byte
	socket   *jupyter.Socket
	internal chan *jupyter.Message // non-nil: the kernel's own request to GoNB
}

// startGoNB launches GoNB with a connection file of its own in the kernel's private folder, and
// connects to it in the background; Go cells wait until it is ready.
func startGoNB(k *Kernel) *gonb {
	g := &gonb{k: k, ready: make(chan struct{}), exited: make(chan struct{}), routes: map[string]route{}, out: make(chan outgoing, 1024)}
	go g.send()
	if err := g.start(); err != nil {
		g.fail(err)
		close(g.exited)
		return g
	}
	go g.connect()
	return g
}

func (g *gonb) fail(err error) {
	g.err = errGoNB{err}
	g.k.log.Printf("%v", g.err)
	close(g.ready)
}

func (g *gonb) start() error {
	k := g.k
	if k.o.GoNB == "" {
		return errors.New("no GoNB binary configured")
	}
	if _, err := os.Stat(k.o.GoNB); err != nil {
		return fmt.Errorf("GoNB binary: %w", err)
	}
	ci := k.ci
	ci.Transport, ci.IP = "ipc", filepath.Join(k.dir, "gonb")
	ci.ShellPort, ci.ControlPort, ci.StdinPort, ci.IOPubPort, ci.HBPort = 1, 2, 3, 4, 5
	// GoNB reads Jupyter's kernel id from the file name; its widgets need it.
	id := kernelIDFromPath(k.o.ConnectionFile)
	if id == "" {
		id = jupyter.NewMsgID()
	}
	connFile := filepath.Join(k.dir, "kernel-"+id+".json")
	if err := jupyter.WriteConnectionFile(connFile, ci); err != nil {
		return err
	}
	args := []string{"--kernel", connFile}
	if k.o.GoWork != "" {
		args = append(args, "--go_work="+k.o.GoWork)
	}
	cmd := exec.Command(k.o.GoNB, args...)
	cmd.Env = gonbEnv(os.Environ(), k)
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	// GoNB leads a process session of its own: the watchdog finds everything it started there (cell
	// programs, gopls, go build) and kills it with the kernel. It also dies if the kernel dies.
	setChildAttrs(cmd, true)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", k.o.GoNB, err)
	}
	g.cmd, g.started = cmd, time.Now()
	k.watchdog.watchSession(cmd.Process.Pid)
	go g.relayLog(stderr)
	go func() {
		g.exitErr = cmd.Wait()
		close(g.exited)
	}()
	g.ci = ci
	return nil
}

// gonbEnv is the kernel's environment for GoNB, with the replica session's address for the cells'
// programs, and the word for the gopls stand-in (see internal/kernelspec) that GoNB needs no gopls of its
// own: the kernel answers completion.
func gonbEnv(env []string, k *Kernel) []string {
	out := make([]string, 0, len(env)+2)
	for _, e := range env {
		if !strings.HasPrefix(e, SessionEnv+"=") && !strings.HasPrefix(e, "REPLICALAB_GONB_GOPLS=") {
			out = append(out, e)
		}
	}
	out = append(out, "REPLICALAB_GONB_GOPLS=off")
	if s := k.sessionAddress(); s != "" {
		out = append(out, SessionEnv+"="+s)
	}
	return out
}

// cellBuildFlags are the flags GoNB adds to each cell's go build: no symbol table and no DWARF, which is
// most of what the linker writes for a helper-importing cell. They are set with GoNB's own %goflags
// when it starts, so they reach the cell builds only: not gopls (whose cache is keyed by GOFLAGS), not
// the cells' programs, not the go commands a cell runs itself.
var cellBuildFlags = []string{"-ldflags=-s"}

// setBuildFlags sends %goflags to GoNB, unless the user's GOFLAGS already chose link flags.
func (g *gonb) setBuildFlags() {
	if strings.Contains(os.Getenv("GOFLAGS"), "-ldflags") {
		return
	}
	req, err := jupyter.Reply(nil, g.k.session, "execute_request", map[string]any{
		"code": "%goflags " + strings.Join(cellBuildFlags, " "), "silent": true, "store_history": false,
		"user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": false,
	})
	if err != nil {
		return
	}
	replies := make(chan *jupyter.Message, 1)
	g.mu.Lock()
	g.routes[req.Header.MsgID] = route{internal: replies}
	g.mu.Unlock()
	// Its outputs on IOPub are dropped while the route exists: keep it a moment after the reply.
	defer time.AfterFunc(5*time.Second, func() { g.dropRoute(req.Header.MsgID) })
	if err := g.shell.Send(req); err != nil {
		g.k.log.Printf("GoNB build flags: %v", err)
		return
	}
	select {
	case r := <-replies:
		if !strings.Contains(string(r.RawContent), `"ok"`) {
			g.k.log.Printf("GoNB refused the build flags: %s", r.RawContent)
		}
	case <-time.After(30 * time.Second):
		g.k.log.Printf("GoNB did not confirm the build flags")
	case <-g.exited:
	}
}

// relayLog passes GoNB's errors to the kernel's log; its informational lines (many per cell) are
// dropped unless REPLICALAB_KERNEL_DEBUG is set.
func (g *gonb) relayLog(r io.Reader) {
	debug := os.Getenv("REPLICALAB_KERNEL_DEBUG") != ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		// GoNB removes its temporary module when it shuts down cleanly; the watchdog removes it otherwise.
		if _, after, ok := strings.Cut(line, "tmp Go code in \""); ok {
			if dir, _, ok := strings.Cut(after, "\""); ok && strings.HasPrefix(filepath.Base(dir), "gonb_") && filepath.IsAbs(dir) {
				g.k.watchdog.watchDir(dir)
			}
		}
		// GoNB logs a sample line of each severity at start ("Info message", "Error message"), and an
		// error when its gopls (the stand-in, see internal/kernelspec) does not answer: expected here.
		sample := strings.HasSuffix(line, " Error message") || strings.Contains(line, "failed to connect, stopping it")
		if debug || (strings.HasPrefix(line, "E") || strings.HasPrefix(line, "F")) && !sample {
			g.k.log.Printf("gonb: %s", line)
		}
	}
}

// connect dials GoNB's sockets and waits until it answers a kernel_info_request and its IOPub messages
// arrive (so that no output of the first cell is lost).
func (g *gonb) connect() {
	ctx := context.Background()
	ci := g.ci
	signer := g.k.sock.Signer
	// The shell and stdin sockets share one identity: GoNB sends input requests to the identity that
	// sent the execute request, on its stdin socket.
	idb := make([]byte, 8)
	_, _ = rand.Read(idb)
	id := zmq4.SocketIdentity("kernel-" + hex.EncodeToString(idb))
	opts := []zmq4.Option{zmq4.WithID(id), zmq4.WithDialerRetry(50 * time.Millisecond), zmq4.WithDialerMaxRetries(600)}
	g.shell = jupyter.NewSocket(zmq4.NewDealer(ctx, opts...), signer)
	g.stdin = jupyter.NewSocket(zmq4.NewDealer(ctx, opts...), signer)
	g.control = jupyter.NewSocket(zmq4.NewDealer(ctx, zmq4.WithDialerRetry(50*time.Millisecond), zmq4.WithDialerMaxRetries(600)), signer)
	g.iopub = jupyter.NewSocket(zmq4.NewSub(ctx, zmq4.WithDialerRetry(50*time.Millisecond), zmq4.WithDialerMaxRetries(600)), signer)
	for _, d := range []struct {
		s    *jupyter.Socket
		port int
	}{{g.shell, ci.ShellPort}, {g.control, ci.ControlPort}, {g.stdin, ci.StdinPort}, {g.iopub, ci.IOPubPort}} {
		select {
		case <-g.exited:
			g.fail(fmt.Errorf("GoNB exited at start (%v); run the kernel with REPLICALAB_KERNEL_DEBUG=1 to see its log", g.exitErr))
			return
		default:
		}
		if err := d.s.Z.Dial(ci.Endpoint(d.port)); err != nil {
			g.fail(fmt.Errorf("connect to GoNB: %w", err))
			return
		}
	}
	if err := g.iopub.Z.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		g.fail(err)
		return
	}
	go g.loop(g.shell, g.onReply)
	go g.loop(g.control, g.onReply)
	go g.loop(g.stdin, g.onStdin)
	iopubSeen := make(chan struct{}, 1)
	go g.loop(g.iopub, func(m *jupyter.Message) { g.onIOPub(m, iopubSeen) })

	// Probe until GoNB answers and its IOPub is flowing (subscriptions travel asynchronously).
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		probe, _ := jupyter.Reply(nil, g.k.session, "kernel_info_request", map[string]any{})
		replies := make(chan *jupyter.Message, 1)
		g.mu.Lock()
		g.routes[probe.Header.MsgID] = route{internal: replies}
		g.mu.Unlock()
		id := probe.Header.MsgID
		time.AfterFunc(time.Minute, func() { g.dropRoute(id) })
		if os.Getenv("REPLICALAB_KERNEL_DEBUG") != "" {
			g.k.log.Printf("probe GoNB %s", probe.Header.MsgID)
		}
		if err := g.shell.Send(probe); err != nil {
			g.fail(fmt.Errorf("talk to GoNB: %w", err))
			return
		}
		select {
		case <-replies:
			if os.Getenv("REPLICALAB_KERNEL_DEBUG") != "" {
				g.k.log.Printf("probe answered")
			}
			select {
			case <-iopubSeen:
				g.setBuildFlags()
				g.k.log.Printf("GoNB ready in %.2fs", time.Since(g.started).Seconds())
				close(g.ready)
				return
			case <-time.After(500 * time.Millisecond):
			}
		case <-g.exited:
			g.fail(fmt.Errorf("GoNB exited at start (%v); run the kernel with REPLICALAB_KERNEL_DEBUG=1 to see its log", g.exitErr))
			return
		case <-time.After(time.Second):
			if os.Getenv("REPLICALAB_KERNEL_DEBUG") != "" {
				g.k.log.Printf("probe unanswered")
			}
		}
	}
	g.fail(errors.New("GoNB did not answer within 2 minutes"))
}

func (g *gonb) loop(s *jupyter.Socket, handle func(*jupyter.Message)) {
	for {
		m, err, ok := s.Receive()
		if !ok {
			return
		}
		if err != nil {
			g.k.log.Printf("dropped a message from GoNB: %v", err)
			continue
		}
		handle(m)
	}
}

// waitReady waits until GoNB can take requests; it returns why it cannot.
func (g *gonb) waitReady() error {
	<-g.ready
	return g.err
}

type outgoing struct {
	socket func() *jupyter.Socket // GoNB's socket, known once connected
	msg    *jupyter.Message
	route  route
}

// forward passes a client's request to GoNB once GoNB is ready, and remembers where replies go.
// Requests keep their order.
func (g *gonb) forward(s func() *jupyter.Socket, m *jupyter.Message, from *jupyter.Socket) {
	g.out <- outgoing{socket: s, msg: m, route: route{ids: m.Identities, socket: from}}
}

func (g *gonb) shellSocket() *jupyter.Socket   { return g.shell }
func (g *gonb) controlSocket() *jupyter.Socket { return g.control }
func (g *gonb) stdinSocket() *jupyter.Socket   { return g.stdin }

// send delivers forwarded requests in order.
func (g *gonb) send() {
	<-g.ready
	for o := range g.out {
		if g.err != nil {
			continue
		}
		m := o.msg
		if strings.HasSuffix(m.Header.MsgType, "_request") {
			g.mu.Lock()
			g.routes[m.Header.MsgID] = o.route
			g.mu.Unlock()
		}
		fwd := *m
		fwd.Identities = nil
		if err := o.socket().SendFrames(g.k.sock.Signer.Frames(&fwd)); err != nil {
			g.k.log.Printf("forward %s to GoNB: %v", m.Header.MsgType, err)
		}
	}
}

func (g *gonb) routeOf(parent string, keep bool) (route, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r, ok := g.routes[parent]
	if ok && !keep {
		delete(g.routes, parent)
	}
	return r, ok
}

func (g *gonb) dropRoute(parent string) {
	g.mu.Lock()
	delete(g.routes, parent)
	g.mu.Unlock()
}

// onReply routes a reply from GoNB's shell or control socket.
func (g *gonb) onReply(m *jupyter.Message) {
	// Execute requests keep their route until the execution ends (input requests use it).
	r, ok := g.routeOf(m.Parent.MsgID, true)
	if !ok {
		return
	}
	if m.Header.MsgType != "execute_reply" && r.internal == nil {
		g.dropRoute(m.Parent.MsgID) // execute requests keep theirs until the execution ends (input requests)
	}
	if r.internal != nil {
		select {
		case r.internal <- m:
		default:
		}
		return
	}
	if m.Header.MsgType == "execute_reply" {
		if e := g.k.current.Load(); e != nil && e.msg.Header.MsgID == m.Parent.MsgID {
			e.gonbReply(m)
			return
		}
	}
	m.Identities = r.ids
	if err := r.socket.SendFrames(g.k.sock.Signer.Frames(m)); err != nil {
		g.k.log.Printf("relay %s: %v", m.Header.MsgType, err)
	}
}

// onStdin relays GoNB's input requests to the client that sent the execute request.
func (g *gonb) onStdin(m *jupyter.Message) {
	r, ok := g.routeOf(m.Parent.MsgID, true)
	if os.Getenv("REPLICALAB_KERNEL_DEBUG") != "" {
		g.k.log.Printf("GoNB stdin %s (parent %s, routed %v)", m.Header.MsgType, m.Parent.MsgID, ok)
	}
	if !ok || r.internal != nil {
		return
	}
	m.Identities = r.ids
	g.asked.Store(time.Now().UnixNano())
	if err := g.k.sock.Stdin.SendFrames(g.k.sock.Signer.Frames(m)); err != nil {
		g.k.log.Printf("relay input_request: %v", err)
	}
}

// onIOPub relays GoNB's broadcasts: outputs, statuses, comm messages. The kernel's own probes stay
// private; the execution count of execute_input is the kernel's; an interrupted cell's error says it
// was interrupted; the idle that ends a Go cell is held by the execution (it may add a hint first).
func (g *gonb) onIOPub(m *jupyter.Message, seen chan struct{}) {
	select {
	case seen <- struct{}{}:
	default:
	}
	if r, ok := g.routeOf(m.Parent.MsgID, true); ok && r.internal != nil {
		return // the kernel's own request: its requester drops the route when done
	}
	if e := g.k.current.Load(); e != nil && e.msg.Header.MsgID == m.Parent.MsgID {
		switch m.Header.MsgType {
		case "execute_input":
			_ = m.SetContent(map[string]any{"code": e.code, "execution_count": e.count})
		case "error":
			if e.stoppedByInterrupt() {
				_ = m.SetContent(interruptedError())
			}
		case "status":
			var st struct {
				State string `json:"execution_state"`
			}
			_ = m.Content(&st)
			if st.State == "idle" {
				e.gonbIdle(m)
				return
			}
		}
	}
	m.Identities = [][]byte{[]byte("kernel." + g.k.session + "." + m.Header.MsgType)}
	if err := g.k.sock.IOPub.SendFrames(g.k.sock.Signer.Frames(m)); err != nil {
		g.k.log.Printf("relay %s: %v", m.Header.MsgType, err)
	}
}

// interrupt stops the running Go cell, whatever step it is at (see stopCell).
func (g *gonb) interrupt() {
	e := g.k.current.Load()
	if e == nil || !e.goCell || g.cmd == nil || g.cmd.Process == nil {
		return
	}
	e.interrupted.Store(true)
	started := false
	e.stopper.Do(func() {
		started = true
		go g.stopCell(e)
	})
	if !started {
		select {
		case e.interrupts <- struct{}{}:
		default:
		}
	}
}

// stopCell stops an interrupted Go cell. GoNB (v0.11.4) handles an interrupt only by signalling a program
// it has already started: an interrupt that arrives while it composes the program, runs goimports, go
// get or go build, or between those steps, is lost, and the program then runs in full. So the kernel
// does not pass interrupts to GoNB: it stops the processes below GoNB itself (stopTree) until the cell
// ends. GoNB then reports what became of the cell: a stopped build or program fails it; a stopped shell
// command prints "signal: interrupt" and the cell goes on, as in a shell.
func (g *gonb) stopCell(e *execution) {
	// Before GoNB is ready its children are its own set-up (go mod init, ...), not the cell's: the cell
	// is sent to GoNB only once it is ready, and not at all if the interrupt came first (executeGo).
	select {
	case <-g.ready:
	case <-e.done:
		return
	}
	if g.err != nil {
		return
	}
	if n := stopTree(g.cmd.Process.Pid, e.done, e.interrupts, func() { e.signalled.Store(true) }); n > 0 {
		g.k.log.Printf("interrupt: stopped %d process(es) of the Go cell", n)
	}
}

// stop asks GoNB to shut down (it stops its gopls and removes its temporary module) and waits up to
// grace for it to exit; the watchdog's sweep then kills whatever is left in its session.
func (g *gonb) stop(grace time.Duration) {
	if g.cmd == nil {
		return
	}
	select {
	case <-g.ready:
		if g.err == nil {
			req, err := jupyter.Reply(nil, g.k.session, "shutdown_request", map[string]any{"restart": false})
			if err == nil {
				g.mu.Lock()
				g.routes[req.Header.MsgID] = route{internal: make(chan *jupyter.Message, 1)}
				g.mu.Unlock()
				_ = g.control.Send(req)
			}
		}
	default:
	}
	select {
	case <-g.exited:
	case <-time.After(grace):
		_ = g.cmd.Process.Kill()
		<-g.exited
	}
	for _, s := range []*jupyter.Socket{g.shell, g.control, g.stdin, g.iopub} {
		if s != nil {
			_ = s.Z.Close()
		}
	}
}
