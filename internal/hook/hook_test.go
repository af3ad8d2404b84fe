package hook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// hookBin is replicalab-hook built once for the package's tests: they
// install it in real repositories and let `git commit` run it.
var hookBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "replicalab-hook-test-")
	if err != nil {
		panic(err)
	}
	hookBin = filepath.Join(dir, "replicalab-hook")
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	build := exec.Command("go", "build", "-o", hookBin, "./scripts/hook")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building replicalab-hook: %v\n%s", err, out)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testRepo is a git repository in a temporary folder, isolated from the
// user's git configuration.
type testRepo struct {
	t   testing.TB
	dir string
	env []string
}

func newRepo(t testing.TB, install ...string) *testRepo {
	t.Helper()
	dir := t.TempDir()
	home := t.TempDir()
	env := append(os.Environ(),
		"HOME="+home, "GIT_CONFIG_GLOBAL="+filepath.Join(home, "gitconfig"), "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
		// libpq variables of the machine running the tests must not count.
		"PGPASSWORD=", "PGUSER=", "PGHOST=", "PGHOSTADDR=", "DATABASE_URL=",
	)
	r := &testRepo{t: t, dir: dir, env: env}
	r.git("init", "-q", "-b", "main")
	if install != nil { // newRepo(t, "") installs the hook, newRepo(t, "--strict") in strict mode
		args := []string{"install", "--binary", hookBin}
		for _, a := range install {
			if a != "" {
				args = append(args, a)
			}
		}
		r.run(0, hookBin, args...)
	}
	return r
}

// run runs a program in the repository and checks its exit code.
func (r *testRepo) run(wantCode int, name string, args ...string) (stdout, stderr string) {
	r.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = r.dir
	cmd.Env = r.env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatalf("%s %v: %v", name, args, err)
	}
	if code != wantCode {
		r.t.Fatalf("%s %s: exit %d, expected %d\nstdout: %s\nstderr: %s", name, strings.Join(args, " "), code, wantCode, o.String(), e.String())
	}
	return o.String(), e.String()
}

func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	out, _ := r.run(0, "git", args...)
	return out
}

// commit runs a real `git commit` (so git runs the installed hook) and
// returns the hook's messages.
func (r *testRepo) commit(wantCode int, msg string) string {
	r.t.Helper()
	_, stderr := r.run(wantCode, "git", "commit", "-q", "-m", msg)
	return stderr
}

func (r *testRepo) write(path string, data []byte) {
	r.t.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) read(path string) []byte {
	r.t.Helper()
	data, err := os.ReadFile(filepath.Join(r.dir, filepath.FromSlash(path)))
	if err != nil {
		r.t.Fatal(err)
	}
	return data
}

// show returns a blob of a revision ("HEAD:path") or of the index (":path").
func (r *testRepo) show(spec string) []byte {
	r.t.Helper()
	cmd := exec.Command("git", "cat-file", "blob", spec)
	cmd.Dir, cmd.Env = r.dir, r.env
	out, err := cmd.Output()
	if err != nil {
		r.t.Fatalf("git cat-file blob %s: %v", spec, err)
	}
	return out
}

func (r *testRepo) commits() int {
	r.t.Helper()
	cmd := exec.Command("git", "rev-list", "--count", "HEAD")
	cmd.Dir, cmd.Env = r.dir, r.env
	out, err := cmd.Output()
	if err != nil {
		return 0
	}
	var n int
	fmt.Sscan(string(out), &n)
	return n
}

func (r *testRepo) indexOID(path string) string {
	r.t.Helper()
	f := strings.Fields(r.git("ls-files", "-s", "--", path))
	if len(f) < 2 {
		r.t.Fatalf("%s is not in the index", path)
	}
	return f[1]
}

func corpusFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "nbclean", "testdata", "corpus", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// notebook builds a small GoNB notebook whose cells are given as
// (cell_type, source) pairs; code cells get an output and a count.
func notebook(cells ...[2]string) []byte {
	var cs []map[string]any
	for i, c := range cells {
		cell := map[string]any{"cell_type": c[0], "id": fmt.Sprintf("c%d-random", i), "metadata": map[string]any{}, "source": c[1]}
		if c[0] == "code" {
			cell["execution_count"] = i + 1
			cell["outputs"] = []any{map[string]any{"name": "stdout", "output_type": "stream", "text": "output of cell " + fmt.Sprint(i) + "\n"}}
		}
		cs = append(cs, cell)
	}
	nb := map[string]any{"cells": cs, "metadata": map[string]any{"kernelspec": map[string]any{"name": "gonb", "display_name": "Go (gonb)", "language": "go"}}, "nbformat": 4, "nbformat_minor": 5}
	out, _ := json.MarshalIndent(nb, "", "  ")
	return append(out, '\n')
}

func TestUnknownCommandIsNamed(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"frobnicate"}, nil, &out, &errb); code != 2 {
		t.Fatalf("exit %d, expected 2", code)
	}
	if !strings.Contains(errb.String(), `unknown command "frobnicate"`) {
		t.Errorf("stderr %q does not name the unknown command", errb.String())
	}
	if code := Run(context.Background(), nil, nil, &out, &errb); code != 2 {
		t.Errorf("no command: exit %d, expected 2", code)
	}
}

// try runs a program in the repository and returns its exit code and
// stderr, whatever they are.
func (r *testRepo) try(name string, args ...string) (int, string) {
	r.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = r.dir
	cmd.Env = r.env
	var e bytes.Buffer
	cmd.Stderr = &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), e.String()
	} else if err != nil {
		r.t.Fatalf("%s %v: %v", name, args, err)
	}
	return 0, e.String()
}
