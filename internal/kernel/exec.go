package kernel

import (
	"encoding/json"
	"fmt"
	"go/parser"
	"go/scanner"
	"go/token"
	"maps"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/replicalab/replicalab/internal/jupyter"
)

// executeRequest is the content of an execute_request.
type executeRequest struct {
	Code         string `json:"code"`
	Silent       bool   `json:"silent"`
	StoreHistory *bool  `json:"store_history"`
	StopOnError  *bool  `json:"stop_on_error"`
}

// queued is an execute request waiting its turn, numbered in the order it arrived.
type queued struct {
	msg *jupyter.Message
	seq uint64
}

// execution is the cell being run.
type execution struct {
	msg   *jupyter.Message
	code  string
	count int  // execution count shown in the notebook
	store bool // counted and kept in history
	reply chan *jupyter.Message
	idle  chan *jupyter.Message
	// seenBeforeReply is the sequence number of the last execute request received before this cell's
	// reply went out: requests up to it were sent by a client that did not yet know the cell failed.
	seenBeforeReply uint64

	goCell      bool          // run by GoNB (else by the kernel: SQL and the kernel's % commands)
	done        chan struct{} // closed when the cell has ended
	interrupted atomic.Bool   // an interrupt arrived while the cell ran
	interrupts  chan struct{} // one pending interrupt for the Go cell's stopper (see gonb.stopCell)
	stopper     sync.Once
	signalled   atomic.Bool // the stopper sent SIGINT to one of the Go cell's processes
}

// interruptedName is the error name of a cell stopped by an interrupt, SQL or Go.
const interruptedName = "Interrupted"

// goInterrupted is what an interrupted Go cell that failed reports, in place of GoNB's account of the
// step the interrupt stopped ("failed to run go build ...: signal: interrupt").
const goInterrupted = "interrupted: the cell was stopped"

// stoppedByInterrupt reports whether a failed Go cell's error is the interrupt's doing: the kernel stopped
// one of its processes. (A cell that failed on its own before that keeps its own error.)
func (e *execution) stoppedByInterrupt() bool { return e.goCell && e.signalled.Load() }

// interruptedError is the content of an interrupted Go cell's error, in its error message and reply.
func interruptedError() map[string]any {
	return map[string]any{"ename": interruptedName, "evalue": goInterrupted, "traceback": []string{goInterrupted}}
}

func (e *execution) gonbReply(m *jupyter.Message) {
	select {
	case e.reply <- m:
	default:
	}
}

func (e *execution) gonbIdle(m *jupyter.Message) {
	select {
	case e.idle <- m:
	default:
	}
}

// runQueue runs cells one at a time in the order they arrived. When a cell fails and its client asked
// for stop_on_error (JupyterLab's "run all" does), the cells queued behind it are answered "aborted", as
// IPython does: only those that arrived before the failing cell's reply went out. A cell the user runs
// after seeing the error runs, however quickly it follows. (A request the client sent before the error
// but that the kernel had not yet read from its socket runs too, as with IPython.)
func (k *Kernel) runQueue() {
	var abortUpTo uint64
	for q := range k.queue {
		if q.seq <= abortUpTo {
			k.abort(q.msg)
			continue
		}
		var req executeRequest
		_ = q.msg.Content(&req)
		status, e := k.execute(q.msg, req)
		if status == "error" && (req.StopOnError == nil || *req.StopOnError) && e != nil {
			abortUpTo = e.seenBeforeReply
		}
	}
}

// abort answers a cell queued behind a failed one with status "aborted".
func (k *Kernel) abort(m *jupyter.Message) {
	k.publish(m, "status", map[string]string{"execution_state": "busy"})
	k.reply(k.sock.Shell, m, "execute_reply", map[string]any{"status": "aborted"})
	k.publish(m, "status", map[string]string{"execution_state": "idle"})
}

// replyExecute sends a cell's execute_reply, noting which requests had arrived before it went out.
func (k *Kernel) replyExecute(e *execution, send func()) {
	e.seenBeforeReply = k.received.Load()
	send()
}

// execute runs one cell and returns the status of its reply ("ok", "error", "aborted") and the
// execution (nil if the kernel is stopping and the cell did not run).
func (k *Kernel) execute(m *jupyter.Message, req executeRequest) (string, *execution) {
	if k.stopping.Load() {
		return "aborted", nil
	}
	e := &execution{msg: m, code: req.Code, reply: make(chan *jupyter.Message, 1), idle: make(chan *jupyter.Message, 1),
		done: make(chan struct{}), interrupts: make(chan struct{}, 1)}
	defer close(e.done)
	e.store = !req.Silent && (req.StoreHistory == nil || *req.StoreHistory)
	k.execMu.Lock()
	if e.store {
		k.execCount++
		k.history.Add(k.execCount, req.Code)
	}
	e.count = k.execCount
	k.execMu.Unlock()

	kind := classify(req.Code)
	e.goCell = kind == goCell
	k.current.Store(e)
	defer k.current.Store(nil)
	if !e.goCell {
		return k.executeKernelCell(e, kind), e
	}
	return k.executeGo(e), e
}

// executeGo hands a Go cell to GoNB and relays the outcome; GoNB publishes busy, the input, the outputs
// and the reply; the kernel sets its own execution count and holds GoNB's final idle until it has
// added what it adds (a hint under a common mistake).
func (k *Kernel) executeGo(e *execution) string {
	if err := k.gonb.waitReady(); err != nil {
		return k.fail(e, "GoNBUnavailable", err.Error(), nil)
	}
	if e.interrupted.Load() { // while GoNB started: the cell never reaches it
		return k.fail(e, interruptedName, goInterrupted, nil)
	}
	k.gonb.forward(k.gonb.shellSocket, e.msg, k.sock.Shell)
	var reply, idle *jupyter.Message
	status := "error"
	for reply == nil || idle == nil {
		select {
		case reply = <-e.reply:
			status = k.relayExecuteReply(e, reply)
		case idle = <-e.idle:
		case <-k.gonb.exited:
			k.gonb.dropRoute(e.msg.Header.MsgID)
			if k.stopping.Load() {
				return "aborted"
			}
			return k.fail(e, "GoNBExited", fmt.Sprintf("the Go runtime (GoNB) exited while running this cell (%v); the kernel restarts", k.gonb.exitErr), nil)
		}
	}
	k.gonb.dropRoute(e.msg.Header.MsgID)
	idle.Identities = [][]byte{[]byte("kernel." + k.session + ".status")}
	if err := k.sock.IOPub.SendFrames(k.sock.Signer.Frames(idle)); err != nil {
		k.log.Printf("relay idle: %v", err)
	}
	return status
}

// relayExecuteReply passes GoNB's execute_reply to the client with the kernel's execution count, after
// a hint when the cell failed for a reason the kernel recognises.
func (k *Kernel) relayExecuteReply(e *execution, r *jupyter.Message) string {
	var content map[string]any
	if err := json.Unmarshal(r.RawContent, &content); err != nil {
		content = map[string]any{"status": "error"}
	}
	status, _ := content["status"].(string)
	if e.store {
		content["execution_count"] = e.count
	} else {
		delete(content, "execution_count")
	}
	if status == "ok" {
		k.memory.remember(e.code)
	}
	if status == "error" && e.stoppedByInterrupt() {
		maps.Copy(content, interruptedError())
	} else if status == "error" {
		if hint := goCellHint(e.code); hint != "" {
			k.publish(e.msg, "stream", map[string]string{"name": "stderr", "text": hint})
		}
	}
	_ = r.SetContent(content)
	r.Identities = e.msg.Identities
	k.replyExecute(e, func() {
		if err := k.sock.Shell.SendFrames(k.sock.Signer.Frames(r)); err != nil {
			k.log.Printf("relay execute_reply: %v", err)
		}
	})
	return status
}

// fail ends a cell the kernel could not run: busy, the input, the error, the reply, idle.
func (k *Kernel) fail(e *execution, ename, evalue string, traceback []string) string {
	if traceback == nil {
		traceback = []string{evalue}
	}
	k.publish(e.msg, "status", map[string]string{"execution_state": "busy"})
	k.publish(e.msg, "execute_input", map[string]any{"code": e.code, "execution_count": e.count})
	k.publish(e.msg, "error", map[string]any{"ename": ename, "evalue": evalue, "traceback": traceback})
	reply := map[string]any{"status": "error", "ename": ename, "evalue": evalue, "traceback": traceback}
	if e.store {
		reply["execution_count"] = e.count
	}
	k.replyExecute(e, func() { k.reply(k.sock.Shell, e.msg, "execute_reply", reply) })
	k.publish(e.msg, "status", map[string]string{"execution_state": "idle"})
	return "error"
}

// goCellHint explains the most common mistake with GoNB cells: statements written without the %% line
// that starts main's body. It returns "" when the cell has some other problem.
func goCellHint(code string) string {
	lines := strings.Split(code, "\n")
	if cellMagic(lines) != "" {
		return ""
	}
	src := make([]string, len(lines))
	for i, l := range lines {
		t := strings.TrimPrefix(l, "//gonb:")
		if startsMain(t) {
			return ""
		}
		if !isSpecialLine(l) {
			src[i] = l
		}
	}
	_, err := parser.ParseFile(token.NewFileSet(), "cell.go", "package main\n"+strings.Join(src, "\n"), parser.AllErrors)
	var list scanner.ErrorList
	if err == nil || !asErrorList(err, &list) || len(list) == 0 {
		return ""
	}
	for _, e := range list {
		if strings.Contains(e.Msg, "expected declaration") || strings.Contains(e.Msg, "non-declaration statement") {
			line := e.Pos.Line - 1 // the "package main" line added above
			return fmt.Sprintf("hint: line %d is a statement, and a Go cell runs statements only after a line holding just %%%% "+
				"(the body of main). Put %%%% on a line before it; imports, types and functions stay above %%%%.\n", line)
		}
	}
	return ""
}

// startsMain reports whether a line opens GoNB's main body: "%%" (alone or followed by a space) or %main.
func startsMain(l string) bool {
	return strings.HasPrefix(l, "%main") || strings.HasPrefix(l, "%exec") ||
		strings.HasPrefix(l, "%%") && (len(l) == 2 || l[2] == ' ' || l[2] == '\t')
}

func asErrorList(err error, list *scanner.ErrorList) bool {
	l, ok := err.(scanner.ErrorList)
	if ok {
		*list = l
	}
	return ok
}
