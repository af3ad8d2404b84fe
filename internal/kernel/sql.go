package kernel

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/replicalab/replicalab/helpers/explore"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/jupyter"
	"github.com/replicalab/replicalab/internal/provenance"
	"github.com/replicalab/replicalab/internal/sqlcell"
)

// SQL cells and the kernel's line magics run in the kernel process, through the helpers' own code
// (frame for %%sql, explore for %tables, %describe and %sample) on the kernel's pool: nothing to compile,
// and the same tables, provenance lines, progress bars, cache and named results as in Go cells. What
// they show goes to the notebook through the kernel's display sink.

// catalogTTL is how long the catalog read for completion and suggestions is reused.
const catalogTTL = 5 * time.Minute

type sqlState struct {
	mu        sync.Mutex
	cancel    context.CancelFunc // the running SQL cell's, if any
	catalog   *sqlcell.Catalog
	catalogAt time.Time
	sink      *kernelSink
	once      sync.Once
}

// cancelSQL cancels the running SQL cell's query (on the server: the pool sends a cancel request).
func (k *Kernel) cancelSQL() {
	k.sql.mu.Lock()
	defer k.sql.mu.Unlock()
	if k.sql.cancel != nil {
		k.sql.cancel()
	}
}

// cellKind says who runs a cell.
type cellKind int

const (
	goCell    cellKind = iota // GoNB
	sqlCell                   // %%sql: the kernel, with frame
	magicCell                 // %tables, %describe, %sample: the kernel, with explore
)

func classify(code string) cellKind {
	if sqlcell.IsSQLCell(code) {
		return sqlCell
	}
	if _, ok := lineMagics(code); ok {
		return magicCell
	}
	return goCell
}

// kernelMagics are the line magics the kernel runs.
var kernelMagics = map[string]string{
	"%tables":   "%tables [schema ...]       the tables and views, with estimated rows and sizes (no table scanned)",
	"%describe": "%describe TABLE            a table's columns, keys, indexes and column profile (catalog and pg_stats)",
	"%sample":   "%sample TABLE [ROWS]       a few rows of a table, read from a handful of pages (TABLESAMPLE)",
	"%ledger":   "%ledger                    the load this notebook put on the replica: statements, rows, bytes, replica time",
}

// lineMagics returns the kernel line magics of a cell made only of them (and blank lines).
func lineMagics(code string) ([][]string, bool) {
	var out [][]string
	for _, l := range strings.Split(code, "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(l), "//gonb:"))
		if len(f) == 0 {
			continue
		}
		if _, ok := kernelMagics[f[0]]; !ok {
			return nil, false
		}
		out = append(out, f)
	}
	return out, len(out) > 0
}

// kernelSink shows what the helpers display during a SQL cell: display_data (or update_display_data
// for an output shown again under the same display id) on IOPub, with the cell's request as parent. The
// cell's result table is its execute_result.
type kernelSink struct {
	k          *Kernel
	mu         sync.Mutex
	parent     *jupyter.Message
	count      int
	seen       map[string]bool
	resultText *string
}

func (s *kernelSink) begin(parent *jupyter.Message, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.parent, s.count, s.seen, s.resultText = parent, count, map[string]bool{}, nil
}

func (s *kernelSink) end() (result *string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.parent = nil
	return s.resultText
}

func (s *kernelSink) Send(o display.Output) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.parent == nil {
		s.k.log.Printf("display outside a cell dropped: %.80q", o.Text)
		return
	}
	meta := o.Metadata
	if meta == nil {
		meta = map[string]any{}
	}
	content := map[string]any{"data": o.Bundle(), "metadata": meta, "transient": map[string]any{}}
	msgType := "display_data"
	switch {
	case o.ID != "":
		content["transient"] = map[string]any{"display_id": o.ID}
		if s.seen[o.ID] {
			msgType = "update_display_data"
		}
		s.seen[o.ID] = true
	case o.Kind == display.Result && s.resultText == nil:
		msgType = "execute_result"
		delete(content, "transient")
		content["execution_count"] = s.count
		text := o.Text
		s.resultText = &text
	}
	s.k.publish(s.parent, msgType, content)
}

func (s *kernelSink) Sync()          {}
func (s *kernelSink) Notebook() bool { return true }

// stopped is what display.Stop raises in the kernel: a helper asked to end "the cell's program", which
// here is the kernel, so the cell fails instead.
type stopped struct{ code int }

// installSink makes the kernel's sink the helpers' display for the kernel's life.
func (k *Kernel) installSink() *kernelSink {
	k.sql.once.Do(func() {
		k.sql.sink = &kernelSink{k: k}
		display.Use(k.sql.sink)
		display.Exit = func(code int) { panic(stopped{code}) }
	})
	return k.sql.sink
}

// sqlFailure is a failed SQL cell: what the error message shows.
type sqlFailure struct {
	ename, evalue string
	traceback     []string
}

// executeKernelCell runs a SQL or line-magic cell: busy, the input, the outputs, the reply, idle.
func (k *Kernel) executeKernelCell(e *execution, kind cellKind) string {
	if debug {
		defer func(t time.Time) { k.log.Printf("kernel cell ran in %v", time.Since(t)) }(time.Now())
	}
	sink := k.installSink()
	k.publish(e.msg, "status", map[string]string{"execution_state": "busy"})
	k.publish(e.msg, "execute_input", map[string]any{"code": e.code, "execution_count": e.count})

	ctx, cancel := context.WithCancel(context.Background())
	k.sql.mu.Lock()
	k.sql.cancel = cancel
	k.sql.mu.Unlock()
	sink.begin(e.msg, e.count)
	var fail *sqlFailure
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(stopped); !ok {
					panic(r)
				}
				fail = &sqlFailure{ename: "Error", evalue: "the cell stopped (see the message above)"}
			}
		}()
		if kind == sqlCell {
			fail = k.runSQL(ctx, e)
		} else {
			fail = k.runMagics(ctx, e)
		}
	}()
	result := sink.end()
	k.sql.mu.Lock()
	k.sql.cancel = nil
	k.sql.mu.Unlock()
	interrupted := ctx.Err() != nil
	cancel()
	if fail != nil && interrupted {
		fail = &sqlFailure{ename: interruptedName, evalue: "interrupted: the query was cancelled on the replica"}
	}
	if result != nil && e.store {
		k.history.SetOutput(e.count, *result)
	}
	reply := map[string]any{"status": "ok", "user_expressions": map[string]any{}}
	if fail != nil {
		if fail.traceback == nil {
			fail.traceback = []string{fail.evalue}
		}
		k.publish(e.msg, "error", map[string]any{"ename": fail.ename, "evalue": fail.evalue, "traceback": fail.traceback})
		reply = map[string]any{"status": "error", "ename": fail.ename, "evalue": fail.evalue, "traceback": fail.traceback}
	}
	if e.store {
		reply["execution_count"] = e.count
	}
	k.replyExecute(e, func() { k.reply(k.sock.Shell, e.msg, "execute_reply", reply) })
	k.publish(e.msg, "status", map[string]string{"execution_state": "idle"})
	return reply["status"].(string)
}

// runSQL runs a %%sql cell with frame.Load on the kernel's pool.
func (k *Kernel) runSQL(ctx context.Context, e *execution) *sqlFailure {
	first, body, _ := strings.Cut(e.code, "\n")
	magic, err := sqlcell.ParseMagic(first)
	if err != nil {
		return &sqlFailure{ename: "UsageError", evalue: err.Error()}
	}
	if strings.TrimSpace(body) == "" {
		return &sqlFailure{ename: "UsageError", evalue: "this %%sql cell has no query: write it on the lines below " + strings.TrimSpace(first)}
	}
	var args []any
	body, args, err = k.bindNamed(body)
	if err != nil {
		return &sqlFailure{ename: "UsageError", evalue: err.Error()}
	}
	p, err := k.pool.get(ctx)
	if err != nil {
		return explained(err)
	}
	var opts []frame.Option
	if magic.Limit > 0 {
		opts = append(opts, frame.Limit(magic.Limit))
	}
	if magic.Refresh {
		opts = append(opts, frame.Refresh())
	}
	if magic.TTL > 0 {
		opts = append(opts, frame.TTL(magic.TTL))
	}
	if magic.AnyCost {
		opts = append(opts, frame.AnyCost())
	}
	if len(args) > 0 {
		opts = append(opts, frame.Args(args...))
	}
	res, err := frame.Load(ctx, p, body, opts...)
	if err != nil {
		return k.queryFailure(ctx, p, body, err)
	}
	if magic.Name != "" {
		if err := res.Store(magic.Name); err != nil {
			k.publish(e.msg, "stream", map[string]string{"name": "stderr", "text": "warning: the result was not kept: " + err.Error() + "\n"})
		} else {
			display.Send(display.Output{Kind: display.Status, Text: fmt.Sprintf("kept as %s: frame.Named(%q) in a Go cell, {{%s.column}} in a %%%%sql cell", magic.Name, magic.Name, magic.Name),
				HTML: fmt.Sprintf(`<div `+provenance.NotebookOnly+` style="font-family:monospace;color:var(--jp-ui-font-color2,#666)">kept as <b>%s</b>: <code>frame.Named(%q)</code> in a Go cell, <code>{{%s.column}}</code> in a %%%%sql cell</div>`, magic.Name, magic.Name, magic.Name)})
		}
	}
	res.Show()
	return nil
}

// placeholder is {{name.column}} (a column of a named result, as an array) or {{name}} (a named result
// of one value).
var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*|"[^"]+"))?\s*\}\}`)

// bindNamed turns {{...}} placeholders into query parameters ($n) whose values come from named results
// (read from disk, never from the replica). The values travel as parameters: nothing is pasted into the
// SQL text.
func (k *Kernel) bindNamed(sql string) (string, []any, error) {
	if !strings.Contains(sql, "{{") {
		return sql, nil, nil
	}
	if n := maxParam(sql); n > 0 {
		return "", nil, fmt.Errorf("this query mixes $%d with {{...}}: use one or the other", n)
	}
	var args []any
	index := map[string]int{}
	var ferr error
	out := placeholder.ReplaceAllStringFunc(sql, func(m string) string {
		g := placeholder.FindStringSubmatch(m)
		key := g[1] + "." + g[2]
		if i, ok := index[key]; ok {
			return "$" + strconv.Itoa(i)
		}
		res, err := frame.LoadNamed(g[1], frame.Quiet())
		if err != nil {
			ferr = err
			return m
		}
		v, err := namedValue(res, g[1], strings.Trim(g[2], `"`))
		if err != nil {
			ferr = err
			return m
		}
		args = append(args, v)
		index[key] = len(args)
		return "$" + strconv.Itoa(len(args))
	})
	if ferr != nil {
		return "", nil, ferr
	}
	if strings.Contains(out, "{{") {
		return "", nil, errors.New("a {{...}} in this query is not {{name}} or {{name.column}} of a kept result")
	}
	return out, args, nil
}

func maxParam(sql string) int {
	n := 0
	for _, m := range regexp.MustCompile(`\$(\d+)`).FindAllStringSubmatch(sql, -1) {
		if v, _ := strconv.Atoi(m[1]); v > n {
			n = v
		}
	}
	return n
}

// namedValue is a named result's column as a typed array (NULLs kept), or its one value.
func namedValue(res *frame.Result, name, col string) (any, error) {
	df := res.DataFrame
	scalar := col == ""
	if scalar {
		if df.Nrow() != 1 || df.Ncol() != 1 {
			return nil, fmt.Errorf("{{%s}} needs a result of one value, %s has %d rows × %d columns: name a column, {{%s.column}}", name, name, df.Nrow(), df.Ncol(), name)
		}
		col = df.Names()[0]
	}
	c, ok := res.Column(col)
	if !ok {
		return nil, fmt.Errorf("%s has no column %q (its columns: %s)", name, col, strings.Join(df.Names(), ", "))
	}
	s := df.Col(col)
	n := s.Len()
	null := func(i int) bool { return res.IsNull(col, i) }
	var out any
	switch c.Kind {
	case frame.Integer:
		out = column(n, null, func(i int) int64 { v, _ := s.Elem(i).Int(); return int64(v) })
	case frame.Float, frame.Numeric, frame.TimeOfDay:
		out = column(n, null, func(i int) float64 { return s.Elem(i).Float() })
	case frame.Boolean:
		out = column(n, null, func(i int) bool { v, _ := s.Elem(i).Bool(); return v })
	case frame.Timestamp, frame.Date:
		out = column(n, null, func(i int) time.Time {
			return time.Unix(0, int64(s.Elem(i).Float()*float64(time.Second))).UTC()
		})
	case frame.Interval:
		out = column(n, null, func(i int) time.Duration { return time.Duration(s.Elem(i).Float() * float64(time.Second)) })
	default:
		out = column(n, null, func(i int) string { return s.Elem(i).String() })
	}
	if scalar {
		return first(out), nil
	}
	return out, nil
}

// column builds a []*T of n values, nil where null.
func column[T any](n int, null func(int) bool, value func(int) T) []*T {
	out := make([]*T, n)
	for i := range out {
		if !null(i) {
			v := value(i)
			out[i] = &v
		}
	}
	return out
}

// first returns the one element of a []*T as a *T (nil for NULL).
func first(slice any) any {
	switch v := slice.(type) {
	case []*int64:
		return v[0]
	case []*float64:
		return v[0]
	case []*bool:
		return v[0]
	case []*time.Time:
		return v[0]
	case []*time.Duration:
		return v[0]
	case []*string:
		return v[0]
	}
	return nil
}

// runMagics runs %tables, %describe and %sample lines with explore, and %ledger.
func (k *Kernel) runMagics(ctx context.Context, e *execution) *sqlFailure {
	lines, _ := lineMagics(e.code)
	var p *replica.Pool
	for _, f := range lines {
		if f[0] == "%ledger" {
			// The ledger file the kernel's pool (SQL cells and the session's clients: every Go cell)
			// writes; reading it sends nothing to the replica.
			if len(f) > 1 {
				return &sqlFailure{ename: "UsageError", evalue: fmt.Sprintf("%%ledger takes nothing, found %q", strings.Join(f[1:], " "))}
			}
			replica.Ledger().Show()
			continue
		}
		if p == nil {
			var err error
			if p, err = k.pool.get(ctx); err != nil {
				return explained(err)
			}
		}
		switch f[0] {
		case "%tables":
			var opts []explore.Option
			if len(f) > 1 {
				opts = append(opts, explore.Schemas(f[1:]...))
			}
			o, err := explore.Tables(ctx, p, opts...)
			if err != nil {
				return k.queryFailure(ctx, p, "", err)
			}
			o.Show()
		case "%describe", "%sample":
			if len(f) < 2 {
				return &sqlFailure{ename: "UsageError", evalue: "expected " + kernelMagics[f[0]]}
			}
			table := f[1]
			if f[0] == "%describe" {
				if len(f) > 2 {
					return &sqlFailure{ename: "UsageError", evalue: fmt.Sprintf("%%describe takes one table, found %q", strings.Join(f[1:], " "))}
				}
				d, err := explore.Describe(ctx, p, table)
				if err != nil {
					return k.tableFailure(ctx, p, table, err)
				}
				d.Show()
				continue
			}
			var opts []explore.Option
			if len(f) > 2 {
				n, err := strconv.Atoi(f[2])
				if err != nil || n < 1 || len(f) > 3 {
					return &sqlFailure{ename: "UsageError", evalue: fmt.Sprintf("expected %s, found %q", kernelMagics["%sample"], strings.Join(f, " "))}
				}
				opts = append(opts, explore.Rows(n))
			}
			s, err := explore.SampleRows(ctx, p, table, opts...)
			if err != nil {
				return k.tableFailure(ctx, p, table, err)
			}
			s.Show()
		}
	}
	return nil
}

// explained is a failure from the replica helpers, whose messages say what to fix (never a password).
func explained(err error) *sqlFailure {
	msg := strings.TrimRight(err.Error(), "\n")
	first, _, _ := strings.Cut(msg, "\n")
	return &sqlFailure{ename: "Error", evalue: first, traceback: strings.Split(msg, "\n")}
}

// queryFailure explains a failed query as psql would: PostgreSQL's message, a caret under the place it
// names, its detail and hint, and for a missing relation the closest table names.
func (k *Kernel) queryFailure(ctx context.Context, p *replica.Pool, sql string, err error) *sqlFailure {
	if ctx.Err() != nil {
		return &sqlFailure{ename: interruptedName, evalue: "interrupted: the query was cancelled on the replica"}
	}
	var ce *replica.ConnectError
	if errors.As(err, &ce) {
		k.pool.failed(p) // read the settings again next time
		return explained(err)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return explained(err)
	}
	lines := []string{"ERROR:  " + pgErr.Message}
	if pgErr.Position > 0 && sql != "" {
		if c := sqlcell.Caret(sql, int(pgErr.Position)); c != "" {
			lines = append(lines, strings.Split(c, "\n")...)
		}
	}
	if pgErr.Detail != "" {
		lines = append(lines, "DETAIL:  "+pgErr.Detail)
	}
	hint := pgErr.Hint
	if pgErr.Code == "42P01" { // undefined_table
		if m := regexp.MustCompile(`relation "([^"]+)" does not exist`).FindStringSubmatch(pgErr.Message); m != nil {
			hint = k.suggestTables(ctx, p, m[1])
		}
	}
	if hint != "" {
		lines = append(lines, "HINT:  "+hint)
	}
	var qe *replica.QueryError
	if errors.As(err, &qe) && qe.Hint != "" {
		lines = append(lines, qe.Hint)
	}
	return &sqlFailure{ename: "SQLError", evalue: pgErr.Message, traceback: lines}
}

// tableFailure explains a failed %describe or %sample: a table not found gets the closest names.
func (k *Kernel) tableFailure(ctx context.Context, p *replica.Pool, table string, err error) *sqlFailure {
	f := k.queryFailure(ctx, p, "", err)
	if f.ename == interruptedName {
		return f
	}
	msg := strings.ToLower(err.Error())
	if errors.Is(err, explore.ErrNoTable) || strings.Contains(msg, "not found") || strings.Contains(msg, "does not exist") {
		if hint := k.suggestTables(ctx, p, table); hint != "" {
			f.traceback = append(f.traceback, "HINT:  "+hint+" (%tables lists the tables)")
		}
	}
	return f
}

// suggestTables names the catalog's tables closest to name.
func (k *Kernel) suggestTables(ctx context.Context, p *replica.Pool, name string) string {
	cat, err := k.catalog(ctx, p)
	if err != nil {
		return ""
	}
	near := sqlcell.Closest(name, cat.QualifiedNames())
	switch len(near) {
	case 0:
		return "no table has a name close to " + strconv.Quote(name)
	case 1:
		return "did you mean " + near[0] + "?"
	}
	return "did you mean " + strings.Join(near[:len(near)-1], ", ") + " or " + near[len(near)-1] + "?"
}

// catalog returns the tables and columns for completion and suggestions (one query, kept a few minutes).
func (k *Kernel) catalog(ctx context.Context, p *replica.Pool) (*sqlcell.Catalog, error) {
	k.sql.mu.Lock()
	if k.sql.catalog != nil && time.Since(k.sql.catalogAt) < catalogTTL {
		c := k.sql.catalog
		k.sql.mu.Unlock()
		return c, nil
	}
	k.sql.mu.Unlock()
	if p == nil {
		var err error
		if p, err = k.pool.get(ctx); err != nil {
			return nil, err
		}
	}
	cat, err := sqlcell.LoadCatalog(ctx, func(ctx context.Context, sql string) (sqlcell.Rows, error) { return p.Query(ctx, sql) })
	if err != nil {
		return nil, err
	}
	k.sql.mu.Lock()
	k.sql.catalog, k.sql.catalogAt = cat, time.Now()
	k.sql.mu.Unlock()
	return cat, nil
}

// introspectSQL answers completion and inspection in SQL and line-magic cells from the catalog.
func (k *Kernel) introspectSQL(m *jupyter.Message, s *jupyter.Socket, code string, cursorPos int) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cat, err := k.catalog(ctx, nil)
		if err != nil {
			k.log.Printf("catalog for %s: %v", m.Header.MsgType, err)
			cat = &sqlcell.Catalog{}
		}
		if m.Header.MsgType == "complete_request" {
			matches, start := cat.Complete(code, cursorPos)
			if matches == nil {
				matches = []string{}
			}
			if lines := strings.Split(code, "\n"); len(lines) == 1 && strings.HasPrefix(code, "%") && !strings.Contains(code, " ") {
				for name := range kernelMagics {
					if strings.HasPrefix(name, code) {
						matches, start = append(matches, name), 0
					}
				}
			}
			k.answer(s, m, "complete_reply", map[string]any{"status": "ok", "matches": matches, "cursor_start": start, "cursor_end": cursorPos, "metadata": map[string]any{}})
			return
		}
		k.answer(s, m, "inspect_reply", inspectTable(cat, code, cursorPos))
	}()
}

// inspectTable shows the columns of the table named at the cursor.
func inspectTable(cat *sqlcell.Catalog, code string, cursorPos int) map[string]any {
	reply := map[string]any{"status": "ok", "found": false, "data": map[string]any{}, "metadata": map[string]any{}}
	runes := []rune(code)
	if cursorPos > len(runes) {
		cursorPos = len(runes)
	}
	isWord := func(r rune) bool {
		return r == '_' || r == '.' || r == '"' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r >= 0x80
	}
	a, b := cursorPos, cursorPos
	for a > 0 && isWord(runes[a-1]) {
		a--
	}
	for b < len(runes) && isWord(runes[b]) {
		b++
	}
	word := strings.Trim(string(runes[a:b]), ".")
	for _, t := range cat.Tables {
		name := t.Name
		if t.Schema != "public" {
			name = t.Schema + "." + t.Name
		}
		if strings.EqualFold(strings.Trim(word, `"`), name) || strings.EqualFold(strings.Trim(word, `"`), t.Schema+"."+t.Name) {
			text := fmt.Sprintf("%s.%s: %s\n\n%%describe %s shows its types, keys and profile", t.Schema, t.Name, strings.Join(t.Columns, ", "), name)
			reply["found"] = true
			reply["data"] = map[string]any{"text/plain": text}
			break
		}
	}
	return reply
}
