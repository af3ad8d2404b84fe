package kernel

import (
	"os"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"github.com/replicalab/replicalab/helpers/frame"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestIsComplete(t *testing.T) {
	cases := []struct {
		code, status string
	}{
		{"", "complete"},
		{`%%` + "\n" + `fmt.Println("x")`, "complete"},
		{"func f() int { return 1 }", "complete"},
		{"import \"strings\"\n%%\nx := strings.ToUpper(\"a\")\n_ = x", "complete"},
		{"func f() {", "incomplete"},
		{"x := []int{1,\n", "incomplete"},
		{"%%\nif true {\n\tfmt.Println(1)", "incomplete"},
		{"s := `multi\nline", "incomplete"},
		{"/* open comment", "incomplete"},
		{"x := 1 +", "incomplete"},
		{"x := a.\n", "incomplete"},
		{"!go version \\", "incomplete"},
		{"!go version", "complete"},
		{"%%\nx++", "complete"},
		{"fmt.Println(1))", "invalid"},
		{"}", "invalid"},
		{"x := \"unterminated\ny := 2", "invalid"},
		{"%%bash\necho (", "complete"},
		{"%%sql\nSELECT 1", "complete"},
		{"%%sql\nSELECT 1;", "complete"},
		{"%%sql", "incomplete"},
		{"%%sql\nSELECT (1", "incomplete"},
		{"%%sql\nSELECT 'it''s", "incomplete"},
		{"%%sql\nSELECT 'it''s'", "complete"},
		{"%%sql\nSELECT $$a", "incomplete"},
		{"%%sql\nSELECT $body$ x $body$", "complete"},
		{"%%sql\nSELECT $1::int", "complete"},
		{"%%sql\nSELECT 1 /* a /* nested */", "incomplete"},
		{"%%sql\nSELECT 1 -- (", "complete"},
		{"%%sql\nSELECT 1)", "invalid"},
	}
	for _, c := range cases {
		if got := IsComplete(c.code).Status; got != c.status {
			t.Errorf("IsComplete(%q) = %s, want %s", c.code, got, c.status)
		}
	}
	if got := IsComplete("func f() {\n\tif x {").Indent; got != "\t\t" {
		t.Errorf("indent = %q, want two tabs", got)
	}
}

func intp(i int) *int { return &i }

func TestHistory(t *testing.T) {
	var h History
	for i, code := range []string{"a := 1", "%%sql\nSELECT 1", "a := 1", "fmt.Println(a)"} {
		h.Add(i+1, code)
	}
	h.SetOutput(2, "1 row")
	tail := h.Query(HistoryRequest{HistAccessType: "tail", N: intp(2)})
	if len(tail) != 2 || tail[0].([]any)[1] != 3 || tail[1].([]any)[2] != "fmt.Println(a)" {
		t.Errorf("tail 2 = %v", tail)
	}
	withOut := h.Query(HistoryRequest{HistAccessType: "range", Session: intp(0), Start: intp(2), Stop: intp(3), Output: true})
	if len(withOut) != 1 {
		t.Fatalf("range [2,3) = %v", withOut)
	}
	pair := withOut[0].([]any)[2].([]any)
	if pair[0] != "%%sql\nSELECT 1" || pair[1] != "1 row" {
		t.Errorf("range with output = %v", withOut)
	}
	if got := h.Query(HistoryRequest{HistAccessType: "range", Session: intp(7), Start: intp(1)}); len(got) != 0 {
		t.Errorf("another session's range = %v, want nothing (history is kept for this session only)", got)
	}
	if got := h.Query(HistoryRequest{HistAccessType: "search", Pattern: strp("a := *")}); len(got) != 2 {
		t.Errorf("search = %v, want 2", got)
	}
	if got := h.Query(HistoryRequest{HistAccessType: "search", Pattern: strp("a := *"), Unique: true}); len(got) != 1 || got[0].([]any)[1] != 3 {
		t.Errorf("unique search = %v, want the latest only", got)
	}
	if got := h.Query(HistoryRequest{HistAccessType: "search", Pattern: strp("*SELECT*")}); len(got) != 1 {
		t.Errorf("search across a newline = %v", got)
	}
}

func strp(s string) *string { return &s }

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		p, s string
		ok   bool
	}{
		{"*", "", true}, {"a*", "abc", true}, {"*c", "abc", true}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"*github.com/x*", "import \"github.com/x/y\"", true}, {"abc", "abd", false}, {"*b*b*", "abab", true},
	} {
		if got := globMatch(c.p, c.s); got != c.ok {
			t.Errorf("globMatch(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

func TestComposeMapsCellLinesAndCursor(t *testing.T) {
	code := "import \"strings\"\n!echo hi\n%%\ns := strings.ToUpp"
	doc := compose(code, memory{})
	lines := strings.Split(doc.src, "\n")
	if lines[0] != "package main" || lines[2] != `import "strings"` || lines[3] != "" || lines[4] != "func main() {" || lines[5] != "s := strings.ToUpp" || lines[6] != "}" {
		t.Fatalf("composed:\n%s", doc.src)
	}
	cellLine, pos := doc.cursor(len([]rune(code)))
	if cellLine != 3 || pos.Line != 5 || pos.Character != len("s := strings.ToUpp") {
		t.Errorf("cursor at end: cell line %d, %+v", cellLine, pos)
	}
	if off := doc.cellOffset(3, len("s := strings.")); off != len([]rune(code))-len("ToUpp") {
		t.Errorf("cellOffset = %d", off)
	}
	// Non-ASCII: code points in Jupyter, UTF-16 units in LSP.
	doc = compose("%%\ns := \"😀é\" + x", memory{})
	_, pos = doc.cursor(len([]rune("%%\ns := \"😀é\" + x")))
	if pos.Character != len("s := \"")+2+1+len("\" + x") {
		t.Errorf("UTF-16 character = %d", pos.Character)
	}
}

func TestGoCellHintNamesPercentPercent(t *testing.T) {
	hint := goCellHint("import \"fmt\"\n\nfmt.Println(\"x\")")
	if !strings.Contains(hint, "%%") || !strings.Contains(hint, "line 3") {
		t.Errorf("hint = %q, want it to name %%%% and line 3", hint)
	}
	for _, ok := range []string{"%%\nfmt.Println(1)", "func f() {}", "func f() { x := }", "%%bash\necho 1"} {
		if h := goCellHint(ok); h != "" {
			t.Errorf("goCellHint(%q) = %q, want none", ok, h)
		}
	}
}

func TestGoNBEnvDropsAStaleSession(t *testing.T) {
	k := &Kernel{}
	env := gonbEnv([]string{"PATH=/bin", "GOFLAGS=-buildvcs=false", SessionEnv + "=host=/old"}, k)
	if strings.Join(env, "\n") != "PATH=/bin\nGOFLAGS=-buildvcs=false\nREPLICALAB_GONB_GOPLS=off" {
		t.Errorf("env = %q: want the environment unchanged but for the stale session address", env)
	}
}

func TestKernelIDFromPath(t *testing.T) {
	if got := kernelIDFromPath("/run/jupyter/kernel-1a2b3c4d-0000-1111-2222-333344445555.json"); got != "1a2b3c4d-0000-1111-2222-333344445555" {
		t.Errorf("id = %q", got)
	}
	if got := kernelIDFromPath("/tmp/tmpabc.json"); got != "" {
		t.Errorf("id = %q, want none", got)
	}
}

// The watchdog kills every process of a registered session and removes registered folders once its
// input closes, which is what happens when the kernel dies.
func TestWatchdogSweepsSessionAndFolder(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("session sweep by /proc is Linux's")
	}
	// A session leader with a child of its own, as GoNB and a cell program.
	leader := exec.Command("/bin/sh", "-c", "sleep 300 & wait")
	leader.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := leader.Start(); err != nil {
		t.Fatal(err)
	}
	go leader.Wait()
	sid := leader.Process.Pid
	deadline := time.Now().Add(5 * time.Second)
	for len(sessionMembers(sid)) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(sessionMembers(sid)); n < 2 {
		t.Fatalf("session %d has %d processes, want the shell and its sleep", sid, n)
	}
	dir := filepath.Join(t.TempDir(), "private")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	in := strings.NewReader("session " + strconv.Itoa(sid) + "\ndir " + dir + "\n")
	if code := RunWatchdog(in); code != 0 {
		t.Fatalf("watchdog exited %d", code)
	}
	if left := sessionMembers(sid); len(left) != 0 {
		t.Errorf("processes %v of session %d survived the sweep", left, sid)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("folder %s survived the sweep", dir)
	}
}

func TestComposeKeepsImportsOfEarlierCellsOnThePackageLine(t *testing.T) {
	var m cellMemory
	m.remember("import (\n\t\"github.com/replicalab/replicalab/helpers/replica\"\n\tpl \"gonum.org/v1/plot\"\n)\n%%\nfmt.Println(1)")
	m.remember("%%\nimport \"os\"") // after %%: not an import of the cell's declarations
	doc := compose("import \"strings\"\n%%\nreplica.Ope", m.get())
	first := strings.Split(doc.src, "\n")[0]
	if first != `package main; import ("github.com/replicalab/replicalab/helpers/replica"; pl "gonum.org/v1/plot")` {
		t.Errorf("package line = %q", first)
	}
	if got := strings.Split(doc.src, "\n")[composedOffset+2]; got != "replica.Ope" {
		t.Errorf("cell line 3 moved: file line %d is %q", composedOffset+2, got)
	}
	// A cell importing the same name itself wins.
	doc = compose("import replica \"example.com/other/replica\"\n%%\n", m.get())
	if strings.Contains(strings.Split(doc.src, "\n")[0], "helpers/replica") {
		t.Errorf("the remembered import shadows the cell's own: %q", strings.Split(doc.src, "\n")[0])
	}
}

func TestComposeKeepsDeclarationsOfEarlierCellsAfterTheCell(t *testing.T) {
	var m cellMemory
	m.remember("type point struct{ x, y int }\nfunc (p point) norm() int { return p.x*p.x + p.y*p.y }\nfunc double(x int) int { return 2 * x }\nvar limit = 10\n%%\nfmt.Println(double(limit))")
	m.remember("func double(x int) int { return x + x }") // redefined: the later one wins
	doc := compose("%%\nfmt.Println(dou", m.get())
	for _, want := range []string{"func double(x int) int { return x + x }", "type point struct{ x, y int }", "func (p point) norm() int", "var limit = 10"} {
		if !strings.Contains(doc.src, want) {
			t.Errorf("composed file lacks %q:\n%s", want, doc.src)
		}
	}
	if strings.Contains(doc.src, "return 2 * x") {
		t.Errorf("the replaced declaration is still there:\n%s", doc.src)
	}
	if lines := strings.Split(doc.src, "\n"); lines[composedOffset+1] != "fmt.Println(dou" {
		t.Errorf("the cell's line moved:\n%s", doc.src)
	}
	// The cell's own declaration of a name hides the remembered one.
	doc = compose("func double(s string) string { return s + s }\n%%\n", m.get())
	if strings.Contains(doc.src, "return x + x") {
		t.Errorf("a remembered declaration shadows the cell's own:\n%s", doc.src)
	}
}

func TestClassifyCells(t *testing.T) {
	for code, want := range map[string]cellKind{
		"%%sql\nSELECT 1":                      sqlCell,
		"%%sql orders --limit 5\nSELECT":       sqlCell,
		"%tables":                              magicCell,
		"%describe orders\n\n%sample orders 5": magicCell,
		"%tables\nfmt.Println(1)":              goCell,
		"%%\nfmt.Println(1)":                   goCell,
		"%%bash\necho hi":                      goCell,
		"%help":                                goCell,
	} {
		if got := classify(code); got != want {
			t.Errorf("classify(%q) = %d, want %d", code, got, want)
		}
	}
}

// {{name.column}} and {{name}} become parameters whose values are read from named results.
func TestBindNamedTurnsPlaceholdersIntoParameters(t *testing.T) {
	t.Setenv("REPLICALAB_CACHE_DIR", t.TempDir())
	t.Setenv("JPY_SESSION_NAME", "bind-test.ipynb")
	df := dataframe.New(series.New([]int{3, 5, 8}, series.Int, "id"), series.New([]string{"a", "b", "c"}, series.String, "code"))
	if err := frame.Of(df).Store("picked"); err != nil {
		t.Fatal(err)
	}
	one := dataframe.New(series.New([]float64{2.5}, series.Float, "cutoff"))
	if err := frame.Of(one).Store("limit"); err != nil {
		t.Fatal(err)
	}
	k := &Kernel{}
	sql, args, err := k.bindNamed("SELECT * FROM t WHERE id = ANY({{picked.id}}) AND code = ANY({{ picked.code }}) AND x > {{limit}} OR id = ANY({{picked.id}})")
	if err != nil {
		t.Fatal(err)
	}
	if sql != "SELECT * FROM t WHERE id = ANY($1) AND code = ANY($2) AND x > $3 OR id = ANY($1)" {
		t.Errorf("sql = %q", sql)
	}
	if len(args) != 3 {
		t.Fatalf("args = %v", args)
	}
	ids, ok := args[0].([]*int64)
	if !ok || len(ids) != 3 || *ids[2] != 8 {
		t.Errorf("ids = %#v", args[0])
	}
	if v, ok := args[2].(*float64); !ok || *v != 2.5 {
		t.Errorf("scalar = %#v", args[2])
	}
	for _, bad := range []struct{ sql, says string }{
		{"SELECT {{nothing.x}}", "nothing"},
		{"SELECT {{picked.nope}}", `no column "nope"`},
		{"SELECT {{picked}}", "one value"},
		{"SELECT $1, {{limit}}", "mixes $1"},
	} {
		if _, _, err := k.bindNamed(bad.sql); err == nil || !strings.Contains(err.Error(), bad.says) {
			t.Errorf("bindNamed(%q) = %v, want an error saying %q", bad.sql, err, bad.says)
		}
	}
}
