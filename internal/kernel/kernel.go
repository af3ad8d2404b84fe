package kernel

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/replicalab/replicalab/internal/jupyter"
	"github.com/replicalab/replicalab/internal/ledger"
	"github.com/replicalab/replicalab/internal/session"
)

// debug turns on the kernel's detailed log (REPLICALAB_KERNEL_DEBUG=1).
var debug = os.Getenv("REPLICALAB_KERNEL_DEBUG") != ""

// Options configure Serve.
type Options struct {
	// ConnectionFile is the file Jupyter wrote for this kernel ({connection_file} in kernel.json).
	ConnectionFile string
	// GoNB is the GoNB binary that runs Go cells.
	GoNB string
	// GoWork is the repository GoNB's --go_work points at (absolute).
	GoWork string
	// Gopls is the gopls binary the kernel uses for completion before GoNB's is connected; "" looks it
	// up on PATH, and without one the kernel leaves completion to GoNB.
	Gopls string
	// Self is this executable, started again as the watchdog ("" = os.Executable()).
	Self string
	// Log receives the kernel's log (Jupyter shows the kernel's stderr in the server's console).
	Log io.Writer
}

// Kernel is a running "Go (replica)" kernel.
type Kernel struct {
	o       Options
	ci      jupyter.ConnectionInfo
	sock    *jupyter.Sockets
	session string // the kernel's session id in the headers it writes
	log     *log.Logger
	started time.Time
	dir     string // private folder (0700): GoNB's connection file and sockets, the replica session, gopls scratch module

	gonb       *gonb
	complete   *completer
	completeMu sync.Mutex
	watchdog   *watchdog
	replica    *session.Session // the notebook's replica session; nil if it could not start
	pool       replicaHolder    // the kernel's one pool to the replica: SQL cells, and the session's clients
	sql        sqlState         // SQL cells: the one running, the catalog for completion

	queue     chan queued   // execute requests, in order
	received  atomic.Uint64 // execute requests received so far; the sequence number of the last one
	execMu    sync.Mutex
	execCount int
	current   atomic.Pointer[execution] // the execution in progress, if any
	history   History
	memory    cellMemory // what the Go cells that ran declared, for completion

	stopOnce sync.Once
	stopping atomic.Bool
	done     chan struct{} // closed when the kernel has shut down
}

// Serve runs the kernel until it is shut down (shutdown_request, SIGTERM, or its parent's death).
func Serve(ctx context.Context, o Options) error {
	if o.Log == nil {
		o.Log = os.Stderr
	}
	ci, err := jupyter.ReadConnectionFile(o.ConnectionFile)
	if err != nil {
		return err
	}
	k := &Kernel{
		o:       o,
		ci:      ci,
		session: jupyter.NewMsgID(),
		log:     log.New(o.Log, "[replicalab kernel] ", log.LstdFlags),
		started: time.Now(),
		queue:   make(chan queued, 10000),
		done:    make(chan struct{}),
	}
	// The kernel reaches the replica itself; it must never go through a session of its own (or of a
	// kernel that started it).
	os.Unsetenv(session.Env)

	k.sock, err = jupyter.Bind(ctx, ci)
	if err != nil {
		return fmt.Errorf("kernel: bind the sockets of %s: %w", o.ConnectionFile, err)
	}
	k.publish(nil, "status", map[string]string{"execution_state": "starting"})

	if k.dir, err = os.MkdirTemp("", fmt.Sprintf("replicalab-kernel-%d-", os.Getpid())); err != nil {
		k.sock.Close()
		return fmt.Errorf("kernel: private folder: %w", err)
	}
	k.watchdog = startWatchdog(k.self(), k.dir, k.log)
	// The notebook's load ledger: the kernel's pool counts every exchange with the replica — SQL cells,
	// magics, and every Go cell's traffic through the session — into this file, which the cells' programs
	// (inheriting the variable through GoNB) read for replica.Ledger() and do not count again.
	os.Setenv(ledger.Env, filepath.Join(k.dir, "ledger.jsonl"))

	// Everything the handlers use exists before the first request is read (requests wait in the
	// sockets meanwhile); GoNB and gopls start in the background.
	k.startSession()
	k.gonb = startGoNB(k)
	k.complete = startCompleter(k)

	go jupyter.ServeHeartbeat(k.sock.HB)
	go k.loop(k.sock.Shell, k.onShell)
	go k.loop(k.sock.Control, k.onControl)
	go k.loop(k.sock.Stdin, k.onStdin)
	go k.runQueue()
	k.publish(nil, "status", map[string]string{"execution_state": "idle"})
	k.log.Printf("ready in %.2fs (GoNB %s starting)", time.Since(k.started).Seconds(), o.GoNB)

	k.watchSignalsAndParent()
	select {
	case <-ctx.Done():
		k.shutdown(nil, nil, false)
	case <-k.done:
	}
	<-k.done
	return nil
}

func (k *Kernel) self() string {
	if k.o.Self != "" {
		return k.o.Self
	}
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return exe
}

// loop receives messages from a client socket until it closes.
func (k *Kernel) loop(s *jupyter.Socket, handle func(*jupyter.Message, *jupyter.Socket)) {
	for {
		m, err, ok := s.Receive()
		if !ok {
			return
		}
		if err != nil {
			k.log.Printf("dropped a message: %v", err)
			continue
		}
		handle(m, s)
	}
}

// publish sends a message on IOPub; parent may be nil (kernel-wide status).
func (k *Kernel) publish(parent *jupyter.Message, msgType string, content any) {
	m, err := jupyter.Reply(parent, k.session, msgType, content)
	if err != nil {
		k.log.Printf("publish %s: %v", msgType, err)
		return
	}
	m.Identities = [][]byte{[]byte("kernel." + k.session + "." + msgType)}
	if err := k.sock.IOPub.Send(m); err != nil {
		k.log.Printf("publish %s: %v", msgType, err)
	}
}

// reply answers a request on the socket it came from.
func (k *Kernel) reply(s *jupyter.Socket, parent *jupyter.Message, msgType string, content any) {
	m, err := jupyter.Reply(parent, k.session, msgType, content)
	if err == nil {
		err = s.Send(m)
	}
	if err != nil {
		k.log.Printf("reply %s: %v", msgType, err)
	}
}

// answer replies to a request the kernel handles itself, between status busy and idle. While a cell runs
// the kernel is busy: the status stays as the cell set it.
func (k *Kernel) answer(s *jupyter.Socket, parent *jupyter.Message, msgType string, content any) {
	idle := k.current.Load() == nil
	if idle {
		k.publish(parent, "status", map[string]string{"execution_state": "busy"})
	}
	k.reply(s, parent, msgType, content)
	if idle {
		k.publish(parent, "status", map[string]string{"execution_state": "idle"})
	}
}

func (k *Kernel) onShell(m *jupyter.Message, s *jupyter.Socket) {
	if k.stopping.Load() && m.Header.MsgType != "kernel_info_request" {
		return
	}
	switch m.Header.MsgType {
	case "kernel_info_request":
		k.answer(s, m, "kernel_info_reply", k.kernelInfo())
	case "execute_request":
		k.queue <- queued{msg: m, seq: k.received.Add(1)}
	case "is_complete_request":
		var c struct {
			Code string `json:"code"`
		}
		_ = m.Content(&c)
		k.answer(s, m, "is_complete_reply", IsComplete(c.Code))
	case "history_request":
		var r HistoryRequest
		_ = m.Content(&r)
		k.answer(s, m, "history_reply", map[string]any{"status": "ok", "history": k.history.Query(r)})
	case "complete_request", "inspect_request":
		k.introspect(m, s)
	case "interrupt_request":
		k.interrupt(m, s)
	case "shutdown_request":
		k.shutdown(m, s, true)
	default:
		// comm_open, comm_msg, comm_close, comm_info_request and anything else: GoNB's business.
		k.gonb.forward(k.gonb.shellSocket, m, s)
	}
}

func (k *Kernel) onControl(m *jupyter.Message, s *jupyter.Socket) {
	switch m.Header.MsgType {
	case "interrupt_request":
		k.interrupt(m, s)
	case "shutdown_request":
		k.shutdown(m, s, true)
	case "kernel_info_request":
		k.reply(s, m, "kernel_info_reply", k.kernelInfo())
	default:
		if !k.stopping.Load() {
			k.gonb.forward(k.gonb.controlSocket, m, s)
		}
	}
}

// onStdin relays input replies to GoNB, which asked for them on behalf of a cell's program, held until
// GoNB has had time to listen for them (holdAnswer).
func (k *Kernel) onStdin(m *jupyter.Message, s *jupyter.Socket) {
	if k.stopping.Load() {
		return
	}
	if m.Header.MsgType == "input_reply" {
		k.gonb.holdAnswer()
	}
	k.gonb.forward(k.gonb.stdinSocket, m, s)
}

func (k *Kernel) kernelInfo() map[string]any {
	return map[string]any{
		"status":                 "ok",
		"protocol_version":       jupyter.ProtocolVersion,
		"implementation":         "replicalab",
		"implementation_version": "1",
		"language_info": map[string]any{
			"name":               "go",
			"version":            strings.TrimPrefix(runtime.Version(), "go"),
			"mimetype":           "text/x-go",
			"file_extension":     ".go",
			"pygments_lexer":     "go",
			"codemirror_mode":    "go",
			"nbconvert_exporter": "",
		},
		"banner": "Go (replica): Go cells run by GoNB, one read-only replica session per notebook",
		"help_links": []map[string]string{
			{"text": "replicalab README", "url": "https://github.com/replicalab/replicalab#readme"},
			{"text": "GoNB", "url": "https://github.com/janpfeifer/gonb"},
		},
	}
}

// interrupt answers an interrupt request: a Go cell is stopped at whatever step it is (gonb.stopCell),
// and every query in flight through the notebook's session is cancelled on the server.
func (k *Kernel) interrupt(m *jupyter.Message, s *jupyter.Socket) {
	if m != nil {
		k.reply(s, m, "interrupt_reply", map[string]string{"status": "ok"})
	}
	if k.stopping.Load() {
		return
	}
	k.gonb.interrupt()
	k.cancelSQL()
	if k.replica != nil {
		if n := k.replica.CancelAll(); n > 0 {
			k.log.Printf("interrupt: cancelled %d query(ies) on the replica", n)
		}
	}
}

// watchSignalsAndParent shuts the kernel down on SIGTERM or SIGHUP and when the process that started it
// (Jupyter's server, JPY_PARENT_PID) is gone; SIGINT interrupts the running cell.
func (k *Kernel) watchSignalsAndParent() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP, os.Interrupt)
	go func() {
		for sig := range sigs {
			if sig == os.Interrupt {
				k.interrupt(nil, nil)
				continue
			}
			k.log.Printf("%v: shutting down", sig)
			k.shutdown(nil, nil, false)
			return
		}
	}()
	ppid := os.Getppid()
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-k.done:
				return
			case <-t.C:
				if os.Getppid() != ppid {
					k.log.Printf("the process that started the kernel is gone: shutting down")
					k.shutdown(nil, nil, false)
					return
				}
			}
		}
	}()
}

// shutdown stops everything the kernel started and ends Serve. m is the shutdown_request, if any.
func (k *Kernel) shutdown(m *jupyter.Message, s *jupyter.Socket, fromRequest bool) {
	k.stopOnce.Do(func() {
		k.stopping.Store(true)
		restart := false
		if m != nil {
			var c struct {
				Restart bool `json:"restart"`
			}
			_ = m.Content(&c)
			restart = c.Restart
		}
		start := time.Now()
		k.gonb.stop(3 * time.Second)
		k.complete.stop()
		k.watchdog.sweep()
		k.cancelSQL()
		if k.replica != nil {
			k.replica.Close() // ends the clients still connected, cancelling their queries
		}
		k.pool.close() // no backend stays on the replica
		if m != nil {
			content := map[string]any{"status": "ok", "restart": restart}
			k.reply(s, m, "shutdown_reply", content)
			k.publish(m, "shutdown_reply", content)
		}
		k.log.Printf("shut down in %.2fs", time.Since(start).Seconds())
		// Let the replies leave before the sockets close.
		time.Sleep(50 * time.Millisecond)
		k.sock.Close()
		os.RemoveAll(k.dir)
		k.watchdog.close()
		close(k.done)
	})
}

// kernelIDFromPath returns the id Jupyter gave the kernel, as it appears in the connection file's name
// (kernel-<id>.json); GoNB's widgets use it to reach the kernel through Jupyter's server.
func kernelIDFromPath(p string) string {
	if m := regexp.MustCompile(`kernel-([0-9a-f-]+)\.json$`).FindStringSubmatch(filepath.Base(p)); m != nil {
		return m[1]
	}
	return ""
}

// errGoNB says why Go cells cannot run.
type errGoNB struct{ err error }

func (e errGoNB) Error() string {
	return "Go cells are unavailable: GoNB did not start: " + e.err.Error() + " (fix: go run ./kernel install, then restart the kernel)"
}

func (e errGoNB) Unwrap() error { return e.err }
