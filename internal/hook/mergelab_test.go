package hook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/replicalab/replicalab/internal/report"
)

// conflictEverywhere is a merge with every kind of conflict at once: the
// same line, cells added at the same place, a cell's tags and the
// notebook's metadata.
var conflictEverywhere = scenario{name: "conflicts of every kind", nb: "6.0-partial-results.ipynb",
	ours: func(n *nbDoc) {
		n.setLine(n.code(3), 0, "// ours")
		n.tag(n.code(5), "hide")
		n.insert(n.md(2), newCell("code", "%%\nfmt.Println(\"ours\")"))
		n.meta()["authors"] = []any{map[string]any{"name": "Ana"}}
	},
	theirs: func(n *nbDoc) {
		n.setLine(n.code(3), 0, "// theirs")
		n.tag(n.code(5), "appendix")
		n.insert(n.md(2), newCell("markdown", "## Theirs\n\nA new section."))
		n.meta()["authors"] = []any{map[string]any{"name": "Bo"}}
	},
}

// TestConflictedNotebookOpensInJupyterLab opens a conflicted merge result
// in JupyterLab (the project's .venv): its contents API loads it as a valid
// notebook, nbdime's extension in the lab diffs it against git HEAD, and in
// Chromium every cell shows, markers included, with no error dialog.
func TestConflictedNotebookOpensInJupyterLab(t *testing.T) {
	jupyter := venvBin(t, "jupyter")
	o := runScenario(t, "replicalab", conflictEverywhere, t.TempDir(), true)
	if o.result != "conflicted" {
		t.Fatalf("expected a conflict, found %s:\n%s", o.result, o.hookOutput)
	}
	r := o.repo
	lab := startJupyterLab(t, jupyter, r)

	// The contents API: JupyterLab's server reads and validates the file.
	var model struct {
		Type    string `json:"type"`
		Message string `json:"message"`
		Content struct {
			Cells []map[string]any `json:"cells"`
		} `json:"content"`
	}
	lab.getJSON(t, "/api/contents/"+o.path+"?content=1&type=notebook", &model)
	if model.Type != "notebook" || len(model.Content.Cells) != o.merged {
		t.Fatalf("JupyterLab loaded type %q with %d cells, expected a notebook of %d cells", model.Type, len(model.Content.Cells), o.merged)
	}
	if model.Message != "" {
		t.Errorf("JupyterLab says the notebook is not valid: %s", model.Message)
	}
	var markers int
	for _, c := range model.Content.Cells {
		src, _ := c["source"].(string)
		if strings.Contains(src, "<<<<<<< local") {
			markers++
		}
	}
	if markers < 4 {
		for i, c := range model.Content.Cells {
			t.Logf("%d %v", i, c["source"])
		}
		t.Errorf("expected the 4 conflicts marked in cells as JupyterLab shows them, found %d", markers)
	}

	// nbdime's extension in the lab: the notebook against git HEAD.
	var diff struct {
		Base map[string]any `json:"base"`
		Diff []any          `json:"diff"`
	}
	lab.postJSON(t, "/nbdime/api/diff", map[string]string{"base": "git:" + o.path}, &diff)
	if diff.Base == nil || len(diff.Diff) == 0 {
		t.Errorf("nbdime's git diff in JupyterLab found no change against HEAD: %v", diff)
	}

	chromium, err := report.Chromium()
	if err != nil {
		if os.Getenv("REPLICALAB_REQUIRE_CHROMIUM") != "" {
			t.Fatal(err)
		}
		t.Skipf("no Chromium (%v): the notebook was checked through JupyterLab's API only", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.WindowSize(1400, 1600), chromedp.Flag("disable-gpu", true))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	ctx, cancel := context.WithTimeout(bctx, 3*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(lab.url+"/lab/tree/"+o.path+"?token="+lab.token),
		chromedp.WaitVisible(chromedp.CSS(`.jp-Notebook .jp-Cell`)),
	); err != nil {
		t.Fatalf("opening the notebook in JupyterLab: %v", err)
	}
	var cells int
	var text string
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		cells, _ = chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.jp-Notebook .jp-Cell').length`))
		text, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.jp-Notebook').innerText`))
		if cells == o.merged && strings.Contains(text, "<<<<<<< local") {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if cells != o.merged {
		t.Errorf("JupyterLab shows %d cells, the merged notebook has %d", cells, o.merged)
	}
	if !strings.Contains(text, "<<<<<<< local") || !strings.Contains(text, ">>>>>>> remote") {
		t.Errorf("the conflict markers are not visible in the cells:\n%.2000s", text)
	}
	dialogs, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('.jp-Dialog')).map(d => d.innerText).join(' | ')`))
	if strings.Contains(dialogs, "File Load Error") || strings.Contains(strings.ToLower(dialogs), "invalid") {
		t.Errorf("JupyterLab shows an error dialog: %s", dialogs)
	}
	// Screenshots for people (data/e2e/): the top, and the conflicts further down.
	_, _ = chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { for (const d of document.querySelectorAll('.jp-Dialog button.jp-mod-reject')) d.click(); return true; })()`))
	for i, name := range []string{"merge-conflict-top", "merge-conflict-cells"} {
		if i == 1 {
			_, _ = chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const c = Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell')).find(c => c.innerText.includes('=======')); if (c) c.scrollIntoView({block: 'center'}); return true; })()`))
			time.Sleep(500 * time.Millisecond)
		}
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			dir := filepath.Join(repoRoot(), "data", "e2e")
			if os.MkdirAll(dir, 0o755) == nil {
				_ = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
			}
		}
	}
}

// syncBuffer collects a server's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// labServer is a JupyterLab server started for one test.
type labServer struct {
	url, token string
}

func freeTCPPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startJupyterLab serves the repository's folder on 127.0.0.1 with a token,
// as make lab does, until the test ends.
func startJupyterLab(t testing.TB, jupyter string, r *testRepo) *labServer {
	t.Helper()
	port := freeTCPPort(t)
	token := fmt.Sprintf("t%d", time.Now().UnixNano())
	args := []string{"lab", "--no-browser", "--ServerApp.ip=127.0.0.1", fmt.Sprintf("--ServerApp.port=%d", port),
		"--ServerApp.port_retries=0", "--IdentityProvider.token=" + token, "--ServerApp.root_dir=" + r.dir}
	if os.Getuid() == 0 {
		args = append(args, "--allow-root")
	}
	cmd := exec.Command(jupyter, args...)
	cmd.Dir = r.dir
	cmd.Env = append(r.env, "JUPYTER_RUNTIME_DIR="+t.TempDir())
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	s := &labServer{url: fmt.Sprintf("http://127.0.0.1:%d", port), token: token}
	// JupyterLab starts in seconds; on a machine shared by many test runs
	// it has been seen to take minutes.
	deadline := time.Now().Add(6 * time.Minute)
	for {
		resp, err := http.Get(s.url + "/api/status?token=" + token)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("JupyterLab never answered on %s: %v\n%s", s.url, err, lastLines(log.String(), 40))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func (s *labServer) do(t testing.TB, method, path string, body any, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "token "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %s\n%.2000s", method, path, resp.Status, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatalf("%s %s: %v\n%.2000s", method, path, err, data)
	}
}

func (s *labServer) getJSON(t testing.TB, path string, out any) { s.do(t, "GET", path, nil, out) }
func (s *labServer) postJSON(t testing.TB, path string, body, out any) {
	s.do(t, "POST", path, body, out)
}

// TestNbdiffWebOnLoopback runs make nbdiff on a notebook changed in the
// working copy: nbdime's web diff answers on 127.0.0.1 and on no other
// address of the machine.
func TestNbdiffWebOnLoopback(t *testing.T) {
	venvBin(t, "nbdiff-web")
	make, err := exec.LookPath("make")
	if err != nil {
		t.Skip("no make")
	}
	r := newMergeRepo(t, "replicalab", "5.0-start-simple.ipynb")
	nb := filepath.Join(r.dir, "notebooks", "5.0-start-simple.ipynb")
	doc, _ := decodeJSON(r.read("notebooks/5.0-start-simple.ipynb"))
	n := &nbDoc{t: t, doc: doc}
	n.insert(1, newCell("markdown", "A line only the working copy has."))
	data, _ := marshalJSON(doc)
	r.write("notebooks/5.0-start-simple.ipynb", data)

	port := freeTCPPort(t)
	cmd := exec.Command(make, "--no-print-directory", "-C", repoRoot(), "nbdiff", "NB="+nb,
		fmt.Sprintf("NBDIFF_ARGS=--port %d --browser no-such-browser", port))
	cmd.Env = r.env
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		cmd.Wait()
	}()
	url := fmt.Sprintf("http://127.0.0.1:%d/difftool", port)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	deadline := time.Now().Add(2 * time.Minute)
	var page string
	for {
		resp, err := client.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				page = string(b)
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("make nbdiff never served %s: %v\n%s", url, err, log.String())
		}
		time.Sleep(250 * time.Millisecond)
	}
	if !strings.Contains(page, `"remote": "notebooks/5.0-start-simple.ipynb"`) {
		t.Errorf("the page at %s is not nbdime's diff of the notebook:\n%.1000s", url, page)
	}
	// What the page asks for: the diff of HEAD against the working copy.
	req, _ := http.NewRequest("POST", fmt.Sprintf("http://127.0.0.1:%d/api/diff", port), strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	for _, c := range jar.Cookies(req.URL) {
		if c.Name == "_xsrf" {
			req.Header.Set("X-XSRFToken", c.Value)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "A line only the working copy has.") {
		t.Errorf("the web diff does not show the working copy's new cell: %s\n%.1000s", resp.Status, body)
	}
	if !strings.Contains(log.String(), fmt.Sprintf("127.0.0.1:%d", port)) {
		t.Errorf("make nbdiff does not print the URL to open:\n%s", log.String())
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(ipn.IP.String(), fmt.Sprint(port)), 2*time.Second); err == nil {
			c.Close()
			t.Errorf("the web diff also answers on %s", ipn.IP)
		}
	}
}
