package kernel

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/replicalab/replicalab/internal/jupyter"
)

// requestTimeout bounds a completion or hover: GoNB could not answer sooner anyway (its gopls connects
// 12 s after it starts), and on a loaded machine gopls' first answer, which waits for it to load the
// workspace, takes seconds.
const requestTimeout = 12 * time.Second

// completer is the kernel's own gopls, started with the kernel, on a scratch module wired like GoNB's
// (a go.work using it and the repository). It answers every Go completion and inspection: at once after
// the kernel starts (GoNB's client would wait 12 s before connecting to its gopls, blocking its queue),
// and while a cell runs (GoNB would answer only after the cell). The cell is composed the way GoNB
// composes it, with the imports and declarations of the Go cells that ran before. GoNB's own gopls is
// not started (see the package documentation). If gopls dies, the next request starts it again.
type completer struct {
	k       *Kernel
	gopls   string
	dir     string
	cmd     *exec.Cmd
	in      io.WriteCloser
	wmu     sync.Mutex
	pmu     sync.Mutex
	pending map[int64]chan rpcMessage
	nextID  int64
	ready   chan struct{}
	err     error
	docMu   sync.Mutex // one document, changed then queried, one request at a time
	version int
	stopped chan struct{}
	once    sync.Once
}

type rpcMessage struct {
	ID     *json.RawMessage `json:"id,omitempty"`
	Method string           `json:"method,omitempty"`
	Params json.RawMessage  `json:"params,omitempty"`
	Result json.RawMessage  `json:"result,omitempty"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// warmSource is the scratch module's first main.go: it makes gopls load the helpers at once.
func warmSource(goWork string) string {
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n")
	if goWork != "" {
		for _, p := range []string{"chart", "explore", "frame", "replica"} {
			if _, err := os.Stat(filepath.Join(goWork, "helpers", p)); err == nil {
				fmt.Fprintf(&b, "\t_ %q\n", "github.com/replicalab/replicalab/helpers/"+p)
			}
		}
	}
	b.WriteString(")\n\nfunc main() { fmt.Println(strings.ToUpper(\"\")) }\n")
	return b.String()
}

func startCompleter(k *Kernel) *completer {
	c := &completer{k: k, pending: map[int64]chan rpcMessage{}, ready: make(chan struct{}), stopped: make(chan struct{})}
	c.gopls = k.o.Gopls
	if c.gopls == "" {
		c.gopls, _ = exec.LookPath("gopls")
	}
	if c.gopls == "" {
		c.err = errors.New("no gopls: completion and inspection are unavailable (fix: go run ./kernel install)")
		k.log.Printf("%v", c.err)
		close(c.ready)
		return c
	}
	if err := c.start(c.gopls); err != nil {
		k.log.Printf("kernel completion unavailable: %v", err)
		c.err = err
		close(c.ready)
		return c
	}
	go c.initialize()
	return c
}

// revive starts a new gopls when the last one died (the kernel keeps running).
func (k *Kernel) revive() *completer {
	k.completeMu.Lock()
	defer k.completeMu.Unlock()
	if c := k.complete; c.cmd != nil && !c.alive() && !k.stopping.Load() {
		k.log.Printf("gopls exited: starting it again")
		k.complete = startCompleter(k)
	}
	return k.complete
}

func (c *completer) start(gopls string) error {
	c.dir = filepath.Join(c.k.dir, "gonb_complete")
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	files := map[string]string{"main.go": warmSource(c.k.o.GoWork)}
	if w := c.k.o.GoWork; w != "" {
		if v := goLine(filepath.Join(w, "go.mod")); v != "" {
			goVersion = v
		}
		files["go.mod"] = fmt.Sprintf("module gonb_complete\n\ngo %s\n\nreplace github.com/replicalab/replicalab => %s\n", goVersion, strconv.Quote(w))
		files["go.work"] = fmt.Sprintf("go %s\n\nuse (\n\t.\n\t%s\n)\n", goVersion, strconv.Quote(w))
	} else {
		files["go.mod"] = fmt.Sprintf("module gonb_complete\n\ngo %s\n", goVersion)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(c.dir, name), []byte(content), 0o600); err != nil {
			return err
		}
	}
	cmd := exec.Command(gopls, "serve")
	cmd.Dir = c.dir
	setChildAttrs(cmd, false)
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return err
	}
	c.cmd, c.in = cmd, in
	go c.read(bufio.NewReader(out))
	go func() { _ = cmd.Wait(); c.stop() }()
	return nil
}

// goLine returns the version of a go.mod's go directive.
func goLine(gomod string) string {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func (c *completer) uri() string {
	return (&url.URL{Scheme: "file", Path: filepath.Join(c.dir, "main.go")}).String()
}

func (c *completer) initialize() {
	defer close(c.ready)
	root := (&url.URL{Scheme: "file", Path: c.dir}).String()
	_, err := c.call("initialize", map[string]any{
		"processId":        os.Getpid(),
		"rootUri":          root,
		"workspaceFolders": []map[string]string{{"uri": root, "name": "gonb_complete"}},
		// Load only the packages the cell's file needs, not every package of the workspace's modules
		// (this repository's commands and tests): the first answer comes sooner.
		"initializationOptions": map[string]any{"expandWorkspaceToModule": false},
		"capabilities": map[string]any{
			"textDocument": map[string]any{
				"completion": map[string]any{"completionItem": map[string]any{"snippetSupport": false}},
				"hover":      map[string]any{"contentFormat": []string{"markdown", "plaintext"}},
			},
		},
	}, 60*time.Second)
	if err != nil {
		c.err = err
		c.k.log.Printf("kernel completion unavailable: gopls: %v", err)
		return
	}
	c.notify("initialized", map[string]any{})
	c.version = 1
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": c.uri(), "languageId": "go", "version": c.version, "text": warmSource(c.k.o.GoWork)}})
}

func (c *completer) write(m any) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := fmt.Fprintf(c.in, "Content-Length: %d\r\n\r\n", len(body)); err != nil {
		return err
	}
	_, err = c.in.Write(body)
	return err
}

func (c *completer) notify(method string, params any) {
	_ = c.write(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
}

func (c *completer) call(method string, params any, timeout time.Duration) (json.RawMessage, error) {
	c.pmu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan rpcMessage, 1)
	c.pending[id] = ch
	c.pmu.Unlock()
	defer func() {
		c.pmu.Lock()
		delete(c.pending, id)
		c.pmu.Unlock()
	}()
	if err := c.write(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params}); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, r.Error.Message)
		}
		return r.Result, nil
	case <-c.stopped:
		return nil, errors.New("gopls stopped")
	case <-time.After(timeout):
		return nil, fmt.Errorf("%s: no answer from gopls within %s", method, timeout)
	}
}

// read dispatches gopls' messages: responses to their callers; requests get an empty answer.
func (c *completer) read(r *bufio.Reader) {
	for {
		n := -1
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSpace(line)
			if line == "" {
				break
			}
			if v, ok := strings.CutPrefix(line, "Content-Length:"); ok {
				n, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		if n < 0 {
			return
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		var m rpcMessage
		if json.Unmarshal(body, &m) != nil {
			continue
		}
		switch {
		case m.ID != nil && m.Method != "":
			var result any
			if m.Method == "workspace/configuration" {
				var p struct {
					Items []json.RawMessage `json:"items"`
				}
				_ = json.Unmarshal(m.Params, &p)
				result = make([]any, len(p.Items))
			}
			_ = c.write(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": result})
		case m.ID != nil:
			id, err := strconv.ParseInt(string(bytes.Trim(*m.ID, `"`)), 10, 64)
			if err != nil {
				continue
			}
			c.pmu.Lock()
			ch := c.pending[id]
			c.pmu.Unlock()
			if ch != nil {
				ch <- m
			}
		}
	}
}

func (c *completer) stop() {
	c.once.Do(func() {
		close(c.stopped)
		if c.cmd != nil && c.cmd.Process != nil {
			_ = c.in.Close()
			_ = c.cmd.Process.Kill()
		}
	})
}

func (c *completer) alive() bool {
	select {
	case <-c.stopped:
		return false
	default:
		return c.cmd != nil
	}
}

// position is a place in the composed main.go, as LSP counts it (UTF-16 units in the line).
type position struct {
	Line      int `json:"line"`
	Character int `json:"character"`
}

// composed is a cell rewritten as the main.go GoNB would build around it, line for line: the cell's
// line i is the file's line i+2.
type composed struct {
	src   string
	lines []string // the cell's lines
}

const composedOffset = 2 // "package main" and a blank line

// compose turns a Go cell into a Go file: lines before %% are declarations, lines after it the body of
// main; GoNB's % and ! lines become blank lines. mem holds what the cells run before declared (GoNB
// keeps it for later cells): their imports go on the package line and their declarations after the
// cell, so that the cell's lines keep their place.
func compose(code string, mem memory) composed {
	remembered := mem.imports
	lines := strings.Split(code, "\n")
	var b strings.Builder
	b.WriteString("package main")
	if len(remembered) > 0 {
		own := cellImports(code)
		var specs []string
		for name, spec := range remembered {
			if _, dup := own[name]; !dup {
				specs = append(specs, spec)
			}
		}
		sort.Strings(specs)
		if len(specs) > 0 {
			b.WriteString("; import (" + strings.Join(specs, "; ") + ")")
		}
	}
	b.WriteString("\n\n")
	inMain := false
	for _, l := range lines {
		t := strings.TrimPrefix(l, "//gonb:")
		switch {
		case !inMain && startsMain(t):
			b.WriteString("func main() {")
			inMain = true
		case isSpecialLine(l):
		default:
			b.WriteString(l)
		}
		b.WriteByte('\n')
	}
	if inMain {
		b.WriteString("}\n")
	}
	if len(mem.decls) > 0 {
		own := cellDecls(code)
		var names []string
		for name := range mem.decls {
			if _, dup := own[name]; !dup {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		seen := map[string]bool{}
		for _, name := range names {
			if d := mem.decls[name]; !seen[d] {
				seen[d] = true
				b.WriteString("\n" + d + "\n")
			}
		}
	}
	return composed{src: b.String(), lines: lines}
}

// cursor turns Jupyter's cursor_pos (unicode code points from the cell's start) into the cell's line
// and the LSP position in the composed file.
func (c composed) cursor(cursorPos int) (cellLine int, pos position) {
	remaining := cursorPos
	for i, l := range c.lines {
		n := len([]rune(l))
		if remaining <= n || i == len(c.lines)-1 {
			if remaining > n {
				remaining = n
			}
			prefix := string([]rune(l)[:remaining])
			return i, position{Line: i + composedOffset, Character: len(utf16.Encode([]rune(prefix)))}
		}
		remaining -= n + 1
	}
	return 0, position{Line: composedOffset}
}

// cellOffset turns a character (UTF-16) of a cell line back into a cursor_pos (code points).
func (c composed) cellOffset(cellLine, character int) int {
	off := 0
	for i := 0; i < cellLine && i < len(c.lines); i++ {
		off += len([]rune(c.lines[i])) + 1
	}
	if cellLine < len(c.lines) {
		units := utf16.Encode([]rune(c.lines[cellLine]))
		if character > len(units) {
			character = len(units)
		}
		off += len(utf16.Decode(units[:character]))
	}
	return off
}

func (c *completer) change(src string) {
	c.version++
	c.notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": c.uri(), "version": c.version},
		"contentChanges": []map[string]string{{"text": src}},
	})
}

// Complete answers a complete_request for a Go cell.
func (c *completer) Complete(code string, cursorPos int) (map[string]any, error) {
	<-c.ready
	if c.err != nil {
		return nil, c.err
	}
	doc := compose(code, c.k.memory.get())
	cellLine, pos := doc.cursor(cursorPos)
	reply := map[string]any{"status": "ok", "matches": []string{}, "cursor_start": cursorPos, "cursor_end": cursorPos, "metadata": map[string]any{}}
	if isSpecialLine(doc.lines[cellLine]) {
		return reply, nil
	}
	c.docMu.Lock()
	defer c.docMu.Unlock()
	c.change(doc.src)
	raw, err := c.call("textDocument/completion", map[string]any{
		"textDocument": map[string]string{"uri": c.uri()},
		"position":     pos,
	}, requestTimeout)
	if err != nil {
		return nil, err
	}
	type edit struct {
		Range struct {
			Start, End position
		} `json:"range"`
		NewText string `json:"newText"`
	}
	type item struct {
		Label    string `json:"label"`
		TextEdit *edit  `json:"textEdit"`
	}
	var list struct {
		Items []item `json:"items"`
	}
	if json.Unmarshal(raw, &list) != nil {
		var items []item
		_ = json.Unmarshal(raw, &items)
		list.Items = items
	}
	start := -1
	var matches []string
	seen := map[string]bool{}
	for _, it := range list.Items {
		e := it.TextEdit
		if e == nil || e.Range.Start.Line != pos.Line || e.Range.End != pos || seen[e.NewText] {
			continue
		}
		seen[e.NewText] = true
		if start >= 0 && e.Range.Start.Character != start {
			continue // Jupyter replaces one span for all matches
		}
		start = e.Range.Start.Character
		matches = append(matches, e.NewText)
	}
	if start >= 0 {
		reply["cursor_start"] = doc.cellOffset(cellLine, start)
		reply["matches"] = matches
	}
	return reply, nil
}

// Inspect answers an inspect_request for a Go cell with gopls' hover text.
func (c *completer) Inspect(code string, cursorPos int) (map[string]any, error) {
	<-c.ready
	if c.err != nil {
		return nil, c.err
	}
	doc := compose(code, c.k.memory.get())
	cellLine, pos := doc.cursor(cursorPos)
	reply := map[string]any{"status": "ok", "found": false, "data": map[string]any{}, "metadata": map[string]any{}}
	if isSpecialLine(doc.lines[cellLine]) {
		return reply, nil
	}
	// At the end of an identifier (where the cursor usually is), ask about its last character.
	line := utf16.Encode([]rune(doc.lines[cellLine]))
	if pos.Character > 0 && (pos.Character >= len(line) || !isIdentUnit(line[pos.Character])) {
		pos.Character--
	}
	c.docMu.Lock()
	defer c.docMu.Unlock()
	c.change(doc.src)
	raw, err := c.call("textDocument/hover", map[string]any{
		"textDocument": map[string]string{"uri": c.uri()},
		"position":     pos,
	}, requestTimeout)
	if err != nil {
		return nil, err
	}
	var hover struct {
		Contents struct {
			Kind  string `json:"kind"`
			Value string `json:"value"`
		} `json:"contents"`
	}
	if json.Unmarshal(raw, &hover) == nil && hover.Contents.Value != "" {
		reply["found"] = true
		reply["data"] = map[string]any{"text/markdown": hover.Contents.Value, "text/plain": hover.Contents.Value}
	}
	return reply, nil
}

func isIdentUnit(u uint16) bool {
	return u == '_' || u >= '0' && u <= '9' || u >= 'a' && u <= 'z' || u >= 'A' && u <= 'Z' || u >= 0x80
}

// introspect answers a complete_request or inspect_request for a Go cell with the kernel's gopls, at
// once and concurrently with a running cell. GoNB's help on its special commands (% and ! lines, cell
// magics) comes from GoNB, which needs no gopls for it.
func (k *Kernel) introspect(m *jupyter.Message, s *jupyter.Socket) {
	var req struct {
		Code      string `json:"code"`
		CursorPos int    `json:"cursor_pos"`
	}
	_ = m.Content(&req)
	if classify(req.Code) != goCell || magicPrefix(req.Code) {
		k.introspectSQL(m, s, req.Code, req.CursorPos)
		return
	}
	if m.Header.MsgType == "inspect_request" && onGoNBCommand(req.Code, req.CursorPos) {
		k.gonb.forward(k.gonb.shellSocket, m, s)
		return
	}
	go func() {
		c := k.revive()
		var reply map[string]any
		var err error
		replyType := "complete_reply"
		if m.Header.MsgType == "inspect_request" {
			replyType = "inspect_reply"
			reply, err = c.Inspect(req.Code, req.CursorPos)
		} else {
			reply, err = c.Complete(req.Code, req.CursorPos)
		}
		if err != nil {
			k.log.Printf("%s: %v", m.Header.MsgType, err)
			if replyType == "complete_reply" {
				reply = map[string]any{"status": "ok", "matches": []string{}, "cursor_start": req.CursorPos, "cursor_end": req.CursorPos, "metadata": map[string]any{}}
			} else {
				reply = map[string]any{"status": "ok", "found": false, "data": map[string]any{}, "metadata": map[string]any{}}
			}
		}
		k.answer(s, m, replyType, reply)
	}()
}

// onGoNBCommand reports whether the cursor is on a GoNB special line or in a GoNB cell magic (%%bash...).
func onGoNBCommand(code string, cursorPos int) bool {
	lines := strings.Split(code, "\n")
	if c := cellMagic(lines); c != "" {
		return true
	}
	line, _ := compose(code, memory{}).cursor(cursorPos)
	return line < len(lines) && isSpecialLine(lines[line])
}

// memory is what the Go cells that ran declared, as GoNB keeps it for the cells after them: their
// imports (by the name a cell uses) and their top-level declarations (by name; a method as Type.Method),
// as source text. A later cell's declaration of a name replaces the earlier one, as in GoNB.
type memory struct {
	imports map[string]string
	decls   map[string]string
}

type cellMemory struct {
	mu  sync.Mutex
	mem memory
}

func (m *cellMemory) get() memory {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := memory{imports: map[string]string{}, decls: map[string]string{}}
	for k, v := range m.mem.imports {
		out.imports[k] = v
	}
	for k, v := range m.mem.decls {
		out.decls[k] = v
	}
	return out
}

// remember records what a cell that ran without error declared.
func (m *cellMemory) remember(code string) {
	imports, decls := cellImports(code), cellDecls(code)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mem.imports == nil {
		m.mem = memory{imports: map[string]string{}, decls: map[string]string{}}
	}
	for name, spec := range imports {
		m.mem.imports[name] = spec
	}
	for name, d := range decls {
		m.mem.decls[name] = d
	}
}

// declarationLines returns the cell's lines above its %% line (special lines blanked).
func declarationLines(code string) []string {
	var decl []string
	for _, l := range strings.Split(code, "\n") {
		t := strings.TrimPrefix(l, "//gonb:")
		if startsMain(t) {
			break
		}
		if isSpecialLine(l) {
			l = ""
		}
		decl = append(decl, l)
	}
	return decl
}

// cellDecls returns the source of the cell's top-level declarations (not imports), by name.
func cellDecls(code string) map[string]string {
	src := "package main\n" + strings.Join(declarationLines(code), "\n")
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "cell.go", src, parser.SkipObjectResolution)
	if err != nil || f == nil {
		return nil
	}
	text := func(n ast.Node) string {
		return src[fset.Position(n.Pos()).Offset:fset.Position(n.End()).Offset]
	}
	out := map[string]string{}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			name := d.Name.Name
			if name == "main" || name == "init" {
				continue
			}
			if d.Recv != nil && len(d.Recv.List) > 0 {
				name = recvName(d.Recv.List[0].Type) + "." + name
			}
			out[name] = text(d)
		case *ast.GenDecl:
			if d.Tok == token.IMPORT {
				continue
			}
			for _, spec := range d.Specs {
				switch sp := spec.(type) {
				case *ast.TypeSpec:
					out[sp.Name.Name] = text(d)
				case *ast.ValueSpec:
					for _, n := range sp.Names {
						if n.Name != "_" {
							out[n.Name] = text(d)
						}
					}
				}
			}
		}
	}
	return out
}

func recvName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return recvName(t.X)
	case *ast.IndexExpr:
		return recvName(t.X)
	case *ast.IndexListExpr:
		return recvName(t.X)
	case *ast.Ident:
		return t.Name
	}
	return "?"
}

// cellImports returns the import specs above a cell's %% line, by the name the cell uses them under.
func cellImports(code string) map[string]string {
	f, err := parser.ParseFile(token.NewFileSet(), "cell.go", "package main\n"+strings.Join(declarationLines(code), "\n"), parser.ImportsOnly)
	if err != nil && f == nil {
		return nil
	}
	out := map[string]string{}
	for _, spec := range f.Imports {
		p, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			continue
		}
		name := path.Base(p)
		text := spec.Path.Value
		if spec.Name != nil {
			name = spec.Name.Name
			text = spec.Name.Name + " " + text
		}
		if name == "_" || name == "." {
			continue
		}
		out[name] = text
	}
	return out
}

// magicPrefix reports whether code is the start of a kernel line magic being typed ("%des").
func magicPrefix(code string) bool {
	if strings.ContainsAny(code, " \n") || !strings.HasPrefix(code, "%") || strings.HasPrefix(code, "%%") {
		return false
	}
	for name := range kernelMagics {
		if strings.HasPrefix(name, code) {
			return true
		}
	}
	return false
}
