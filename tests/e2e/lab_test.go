// Package e2e drives the whole flow the way a person does: `make lab` starts JupyterLab on a real demo
// replica, Debian's Chromium (through chromedp) opens a template, runs its cells on the "Go (replica)"
// kernel and checks what is on the screen; screenshots are saved under data/e2e/ (ignored by git).
//
// It needs what `make test` installs first (the .venv, the kernel, Chromium, PostgreSQL); run alone with
// `make test-e2e`. Without them it skips, unless REPLICALAB_REQUIRE_E2E=1 (make test sets it).
package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/replicalab/replicalab/internal/pgtest"
	"github.com/replicalab/replicalab/internal/report"
)

// lab is a running `make lab` and a browser on it.
type lab struct {
	t         *testing.T
	repo      string
	root      string // JupyterLab's root folder: a copy of notebooks/
	url       string // http://127.0.0.1:port
	token     string
	cluster   *pgtest.Cluster
	ctx       context.Context // browser context
	artifacts string
	timings   map[string]float64
	mu        sync.Mutex
	labLog    func() string // what make lab printed so far: JupyterLab's and the kernel's logs
}

var shared struct {
	once sync.Once
	lab  *lab
	err  error
	stop func()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.stop != nil {
		shared.stop()
	}
	os.Exit(code)
}

func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("REPLICALAB_REQUIRE_E2E") != "" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format+" (set REPLICALAB_REQUIRE_E2E=1 to make this a failure)", args...)
}

func repoRoot(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startLab starts the shared lab once for the test binary.
func startLab(t *testing.T) *lab {
	t.Helper()
	repo := repoRoot(t)
	if _, err := os.Stat(filepath.Join(repo, ".venv", "bin", "jupyter")); err != nil {
		skipOrFail(t, "no .venv/bin/jupyter: run make venv kernel")
	}
	chromium, err := report.Chromium()
	if err != nil {
		skipOrFail(t, "%v", err)
	}
	shared.once.Do(func() { shared.lab, shared.err = launch(t, repo, chromium) })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	shared.lab.t = t
	return shared.lab
}

func launch(t *testing.T, repo, chromium string) (*lab, error) {
	ctx := context.Background()
	cluster, err := pgtest.Start(ctx, pgtest.Options{})
	if err != nil {
		return nil, fmt.Errorf("starting the test replica: %w", err)
	}
	stops := []func(){func() { cluster.Stop(context.Background()) }}
	shared.stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}

	base, err := os.MkdirTemp("", "replicalab-e2e")
	if err != nil {
		return nil, err
	}
	stops = append(stops, func() { os.RemoveAll(base) })
	root := filepath.Join(base, "notebooks")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	// JupyterLab works on copies: saving (or autosave) must not write outputs into the templates.
	entries, _ := filepath.Glob(filepath.Join(repo, "notebooks", "*"))
	for _, src := range entries {
		data, err := os.ReadFile(src)
		if err != nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(root, filepath.Base(src)), data, 0o644); err != nil {
			return nil, err
		}
	}
	// The user's-own-replica path of make lab: a .env of theirs (not the demo's marker), checked, never
	// replaced by the demo. The kernels get the same settings through the environment.
	envFile := filepath.Join(base, ".env")
	var envText strings.Builder
	for k, v := range cluster.Env() {
		fmt.Fprintf(&envText, "%s=%s\n", k, v)
	}
	if err := os.WriteFile(envFile, []byte(envText.String()), 0o600); err != nil {
		return nil, err
	}
	port := freePort(t)
	env := []string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "RDS_") || strings.HasPrefix(k, "PG") || k == "DATABASE_URL" {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range cluster.Env() {
		env = append(env, k+"="+v)
	}
	env = append(env,
		"REPLICALAB_ENV_FILE="+envFile,
		"LAB_OPEN_BROWSER=False",
		"LAB_ROOT="+root,
		fmt.Sprintf("LAB_ARGS=--no-browser --port=%d --ServerApp.port_retries=0 --LabApp.expose_app_in_browser=True", port),
	)
	cmd := exec.Command("make", "--no-print-directory", "lab")
	cmd.Dir = repo
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stops = append(stops, func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	urlRE := regexp.MustCompile(fmt.Sprintf(`http://127\.0\.0\.1:%d/lab\?token=(\w+)`, port))
	found := make(chan string, 1)
	exited := make(chan struct{})
	var logMu sync.Mutex
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			logMu.Lock()
			log.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if m := urlRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		close(exited)
	}()
	var token string
	select {
	case token = <-found:
	case <-exited:
		logMu.Lock()
		defer logMu.Unlock()
		return nil, fmt.Errorf("make lab ended without serving JupyterLab:\n%s", log.String())
	case <-time.After(10 * time.Minute):
		logMu.Lock()
		defer logMu.Unlock()
		return nil, fmt.Errorf("make lab printed no URL in 10 minutes:\n%s", log.String())
	}
	l := &lab{repo: repo, root: root, url: fmt.Sprintf("http://127.0.0.1:%d", port), token: token,
		cluster: cluster, timings: map[string]float64{}}
	l.timings["make lab → JupyterLab URL (s)"] = time.Since(started).Seconds()
	for i := 0; ; i++ {
		resp, err := http.Get(l.url + "/api/status?token=" + token)
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 100 {
			return nil, fmt.Errorf("JupyterLab at %s never answered: %w", l.url, err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	l.artifacts = filepath.Join(repo, "data", "e2e")
	if err := os.MkdirAll(l.artifacts, 0o755); err != nil {
		return nil, err
	}
	l.labLog = func() string {
		logMu.Lock()
		defer logMu.Unlock()
		return log.String()
	}
	// The lab's own output (JupyterLab's and the kernel's logs) goes with the screenshots.
	stops = append(stops, func() {
		logMu.Lock()
		defer logMu.Unlock()
		_ = os.WriteFile(filepath.Join(l.artifacts, "lab.log"), []byte(log.String()), 0o600)
	})
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.WindowSize(1400, 1000),
		chromedp.Flag("disable-gpu", true))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	stops = append(stops, func() { bcancel(); acancel() })
	if err := chromedp.Do(bctx); err != nil {
		return nil, fmt.Errorf("starting %s: %w", chromium, err)
	}
	l.ctx = bctx
	return l, nil
}

// run executes chromedp actions with a timeout.
func (l *lab) run(timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(l.ctx, timeout)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// nbPanelJS defines nbPanel(): the notebook panel open in JupyterLab's main area (found without relying on
// keyboard focus, which a headless browser does not give the page).
const nbPanelJS = `window.nbPanel = window.nbPanel || (() => {
	if (!window.jupyterapp) return null;
	for (const w of window.jupyterapp.shell.widgets('main')) { if (w.content && w.sessionContext) return w; }
	return null;
});`

// evalJS evaluates JavaScript in the page, awaiting a promise, and decodes its value.
func evalJS[T any](l *lab, js string) (T, error) {
	ctx, cancel := context.WithTimeout(l.ctx, 2*time.Minute)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](nbPanelJS+"\n"+js, chromedp.EvalAwaitPromise))
}

// eval is evalJS into a pointer.
func (l *lab) eval(js string, out any) error {
	switch o := out.(type) {
	case *string:
		v, err := evalJS[string](l, js)
		*o = v
		return err
	case *int:
		v, err := evalJS[int](l, js)
		*o = v
		return err
	case *bool:
		v, err := evalJS[bool](l, js)
		*o = v
		return err
	}
	return fmt.Errorf("eval: unsupported result type %T", out)
}

// open opens a notebook of the lab's root and waits until its kernel is idle.
func (l *lab) open(name string) {
	l.t.Helper()
	start := time.Now()
	if err := l.run(2*time.Minute,
		chromedp.Navigate(l.url+"/lab/tree/"+name+"?token="+l.token),
		chromedp.WaitVisible(chromedp.CSS(`.jp-Notebook`)),
	); err != nil {
		l.screenshot("open-failed")
		l.t.Fatalf("opening %s: %v", name, err)
	}
	var kernel string
	if err := l.poll(2*time.Minute, `(() => { const w = nbPanel(); if (!w) return '';
		const sc = w.sessionContext, k = sc.session && sc.session.kernel;
		// The kernel publishes its status from the start: JupyterLab shows it idle before any cell runs.
		return sc.isReady && k && k.status === 'idle' ? sc.kernelDisplayName : ''; })()`, &kernel); err != nil {
		var diag string
		_ = l.eval(`(() => { const w = nbPanel(); if (!w) return 'no notebook panel';
			const sc = w.sessionContext, k = sc.session && sc.session.kernel;
			return JSON.stringify({ready: sc.isReady, display: sc.kernelDisplayStatus, name: sc.kernelDisplayName, kernel: k ? k.status : null}); })()`, &diag)
		l.screenshot("kernel-not-idle")
		l.t.Fatalf("the kernel of %s never became idle: %v (%s)", name, err, diag)
	}
	if kernel != "Go (replica)" {
		l.t.Fatalf("%s opened with kernel %q, want \"Go (replica)\"", name, kernel)
	}
	l.timing("open notebook until kernel idle (s)", time.Since(start))
}

// poll evaluates js until it returns a non-empty string (decoded into out).
func (l *lab) poll(timeout time.Duration, js string, out *string) error {
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		var v string
		if err = l.eval(js, &v); err == nil && v != "" {
			*out = v
			return nil
		}
		time.Sleep(150 * time.Millisecond)
	}
	if err == nil {
		err = fmt.Errorf("timed out after %s", timeout)
	}
	return err
}

// logTail is the end of the lab's log (at most n lines), for a failure message.
func (l *lab) logTail(n int) string {
	lines := strings.Split(strings.TrimRight(l.labLog(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// runNewCell appends a code cell with src below the last one, runs it through JupyterLab's own command
// and returns the cell's index.
func (l *lab) runNewCell(src string) int { l.t.Helper(); return l.insertCell(src, true) }

// addCell appends a code cell with src without running it, and returns its index.
func (l *lab) addCell(src string) int { l.t.Helper(); return l.insertCell(src, false) }

func (l *lab) insertCell(src string, run bool) int {
	l.t.Helper()
	js := fmt.Sprintf(`(async () => {
		const app = window.jupyterapp, panel = nbPanel(), nb = panel.content;
		app.shell.activateById(panel.id);
		nb.activeCellIndex = nb.widgets.length - 1;
		await app.commands.execute('notebook:insert-cell-below');
		await app.commands.execute('notebook:change-cell-to-code');
		nb.activeCell.model.sharedModel.setSource(%s);
		if (%t) app.commands.execute('notebook:run-cell');
		return nb.activeCellIndex;
	})()`, jsString(src), run)
	var idx int
	if err := l.eval(js, &idx); err != nil {
		l.t.Fatalf("adding a cell: %v", err)
	}
	return idx
}

// cellOutput waits until cell idx has finished running (its execution count is set and the kernel is
// idle) and returns the text of its output area.
func (l *lab) cellOutput(idx int, timeout time.Duration) string {
	l.t.Helper()
	js := fmt.Sprintf(`(() => { const w = nbPanel(), c = w.content.widgets[%d];
		if (!c || c.model.executionCount === null || w.sessionContext.kernelDisplayStatus !== 'idle') return '';
		return JSON.stringify({text: c.node.querySelector('.jp-OutputArea') ? c.node.querySelector('.jp-OutputArea').innerText : ''}); })()`, idx)
	var raw string
	if err := l.poll(timeout, js, &raw); err != nil {
		l.screenshot(fmt.Sprintf("cell-%d-timeout", idx))
		l.t.Fatalf("cell %d did not finish: %v", idx, err)
	}
	var v struct{ Text string }
	_ = json.Unmarshal([]byte(raw), &v)
	return v.Text
}

// screenshotCell scrolls cell idx into view, then takes a screenshot.
func (l *lab) screenshotCell(idx int, name string) string {
	var ok bool
	_ = l.eval(fmt.Sprintf(`(() => { const c = nbPanel().content.widgets[%d]; c.node.scrollIntoView({block: 'start'}); return true; })()`, idx), &ok)
	time.Sleep(300 * time.Millisecond)
	return l.screenshot(name)
}

// screenshot saves the page as data/e2e/<name>.png.
func (l *lab) screenshot(name string) string {
	ctx, cancel := context.WithTimeout(l.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		l.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	p := filepath.Join(l.artifacts, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		l.t.Logf("screenshot %s: %v", name, err)
	}
	return p
}

func (l *lab) timing(name string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.timings[name] = d.Seconds()
	data, _ := json.MarshalIndent(l.timings, "", "  ")
	_ = os.WriteFile(filepath.Join(l.artifacts, "timings.json"), data, 0o644)
	l.t.Logf("%s: %.2f", name, d.Seconds())
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// replicaQuery runs a query as the superuser on the test replica (assertions only).
func (l *lab) replicaCount(sql string) int {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, l.cluster.ReplicaSuperuserURL())
	if err != nil {
		l.t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
		l.t.Fatal(err)
	}
	return n
}
