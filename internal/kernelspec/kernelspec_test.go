package kernelspec

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	repo, err := FindRepo(wd)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

func TestNewSpecRefusesRelativeRepo(t *testing.T) {
	_, err := NewSpec(Layout{Repo: "relative/path", Tools: "/x", Shim: "/y"})
	if err == nil || !strings.Contains(err.Error(), `"relative/path"`) || !strings.Contains(err.Error(), "absolute") {
		t.Fatalf("want an error naming the relative path and asking for an absolute one, got %v", err)
	}
}

func TestNewSpecWiresGoWorkAndPath(t *testing.T) {
	l := Layout{Repo: "/r", Tools: "/r/.tools/bin", Shim: "/r/.tools/shim", GoRoot: "/go"}
	s, err := NewSpec(l)
	if err != nil {
		t.Fatal(err)
	}
	// The kernel's own front starts GoNB as its child.
	if s.Argv[0] != "/r/.tools/bin/replicalab-kernel" || s.Argv[1] != "serve" || !contains(s.Argv, "--go_work=/r") ||
		!contains(s.Argv, "{connection_file}") || !contains(s.Argv, "--gonb=/r/.tools/bin/gonb") {
		t.Errorf("argv = %q", s.Argv)
	}
	if s.DisplayName != "Go (replica)" {
		t.Errorf("display name = %q", s.DisplayName)
	}
	if got, want := s.Env["PATH"], "/r/.tools/shim:/r/.tools/bin:/go/bin:${PATH}"; got != want {
		t.Errorf("PATH = %q, want %q (shim first, then tools, then Go)", got, want)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// install runs the real command against a throwaway Jupyter data directory.
func runInstall(t *testing.T, dataDir string) string {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"install", "--no-warm", "--data-dir", dataDir}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("install exited %d: %s%s", code, out.String(), errb.String())
	}
	return out.String()
}

func TestInstallWritesOurSpecAndLeavesGonbAlone(t *testing.T) {
	data := t.TempDir()
	gonbDir := filepath.Join(data, "kernels", "gonb")
	if err := os.MkdirAll(gonbDir, 0o755); err != nil {
		t.Fatal(err)
	}
	userSpec := []byte(`{"argv":["/home/u/gonb","--kernel","{connection_file}"],"display_name":"Go (gonb)","language":"go"}`)
	if err := os.WriteFile(filepath.Join(gonbDir, "kernel.json"), userSpec, 0o644); err != nil {
		t.Fatal(err)
	}
	const secret = "s3cr3t-Pa55word-in-env"
	t.Setenv("RDS_PASSWORD", secret)
	t.Setenv("PGPASSWORD", secret)
	t.Setenv("DATABASE_URL", "postgres://analyst:"+secret+"@db.example.com/prod")

	runInstall(t, data)

	repo := repoRoot(t)
	spec, err := ReadSpec(data, Name)
	if err != nil {
		t.Fatal(err)
	}
	if !contains(spec.Argv, "--go_work="+repo) {
		t.Errorf("argv %q lacks --go_work=%s", spec.Argv, repo)
	}
	if _, err := os.Stat(spec.Argv[0]); err != nil {
		t.Errorf("kernel binary %s: %v", spec.Argv[0], err)
	}
	raw, _ := os.ReadFile(filepath.Join(data, "kernels", Name, "kernel.json"))
	if bytes.Contains(raw, []byte(secret)) {
		t.Fatalf("kernel.json holds a secret from the environment:\n%s", raw)
	}
	got, _ := os.ReadFile(filepath.Join(gonbDir, "kernel.json"))
	if !bytes.Equal(got, userSpec) {
		t.Errorf("the user's gonb kernelspec changed:\n%s", got)
	}

	var out bytes.Buffer
	if code := Run(context.Background(), []string{"uninstall", "--data-dir", data}, nil, &out, &out); code != 0 {
		t.Fatalf("uninstall exited %d: %s", code, out.String())
	}
	if _, err := os.Stat(filepath.Join(data, "kernels", Name)); !os.IsNotExist(err) {
		t.Errorf("our kernelspec is still there after uninstall (%v)", err)
	}
	if got, _ := os.ReadFile(filepath.Join(gonbDir, "kernel.json")); !bytes.Equal(got, userSpec) {
		t.Errorf("uninstall touched the user's gonb kernelspec")
	}
}

func TestJupyterDataDirIsHonoured(t *testing.T) {
	data := t.TempDir()
	t.Setenv("JUPYTER_DATA_DIR", data)
	l, err := NewLayout(context.Background(), repoRoot(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if l.DataDir != data {
		t.Fatalf("data dir = %s, want $JUPYTER_DATA_DIR %s", l.DataDir, data)
	}
}

func TestStatusSaysWhatIsMissingAndHowToFix(t *testing.T) {
	data := t.TempDir()
	t.Setenv("JUPYTER_DATA_DIR", "")
	var out bytes.Buffer
	code := Run(context.Background(), []string{"status", "--data-dir", data}, nil, &out, &out)
	if code == 0 {
		t.Fatalf("status exited 0 with no kernelspec installed:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "not in "+filepath.Join(data, "kernels", Name)) || !strings.Contains(out.String(), "fix: go run ./kernel install") {
		t.Errorf("status does not say where the spec is missing and how to fix it:\n%s", out.String())
	}

	runInstall(t, data)
	out.Reset()
	if code := Run(context.Background(), []string{"status", "--data-dir", data}, nil, &out, &out); code != 0 {
		t.Fatalf("status after install exited %d:\n%s", code, out.String())
	}
	for _, want := range []string{"gonb", "goimports", "gopls", "status      ready"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
}

func TestStatusFlagsASpecForAnotherRepository(t *testing.T) {
	data := t.TempDir()
	runInstall(t, data)
	p := filepath.Join(data, "kernels", Name, "kernel.json")
	raw, _ := os.ReadFile(p)
	raw = bytes.ReplaceAll(raw, []byte("--go_work="+repoRoot(t)), []byte("--go_work=/elsewhere"))
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if code := Run(context.Background(), []string{"status", "--data-dir", data}, nil, &out, &out); code == 0 {
		t.Fatalf("status accepted a kernelspec pointing elsewhere:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "points at /elsewhere") {
		t.Errorf("status does not name the wrong --go_work:\n%s", out.String())
	}
}

func TestUnknownCommandIsNamed(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"instal"}, nil, &out, &errb); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(errb.String(), `"instal"`) {
		t.Errorf("error does not name the command: %q", errb.String())
	}
}

// The shim must answer only GoNB's bare `go get` in a gonb_* module and hand everything else to go.
func TestShimAnswersOnlyGoNBAutoGet(t *testing.T) {
	fakeRoot := t.TempDir()
	marker := filepath.Join(t.TempDir(), "called")
	if err := os.MkdirAll(filepath.Join(fakeRoot, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	fakeGo := "#!/bin/sh\necho \"$@\" >> '" + marker + "'\n"
	if err := os.WriteFile(filepath.Join(fakeRoot, "bin", "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	shimDir := t.TempDir()
	if err := WriteShim(shimDir, fakeRoot); err != nil {
		t.Fatal(err)
	}
	gonbDir := filepath.Join(t.TempDir(), "gonb_1234abcd")
	otherDir := t.TempDir()
	for _, d := range []string{gonbDir, otherDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "go.work"), []byte("go 1.26\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		dir       string
		args      []string
		delegated bool
	}{
		{gonbDir, []string{"get"}, false},
		{gonbDir, []string{"get", "-t"}, false},
		{gonbDir, []string{"get", "example.com/x@v1.0.0"}, true},
		{gonbDir, []string{"build", "-o", "x"}, true},
		{otherDir, []string{"get"}, true},
	}
	for _, c := range cases {
		os.Remove(marker)
		cmd := exec.Command(filepath.Join(shimDir, "go"), c.args...)
		cmd.Dir = c.dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("shim %v in %s: %v: %s", c.args, c.dir, err, out)
		}
		got, _ := os.ReadFile(marker)
		if delegated := len(got) > 0; delegated != c.delegated {
			t.Errorf("go %v in %s: delegated=%v, want %v", c.args, filepath.Base(c.dir), delegated, c.delegated)
		} else if delegated && strings.TrimSpace(string(got)) != strings.Join(c.args, " ") {
			t.Errorf("go %v: real go got %q", c.args, got)
		}
	}
}

func TestExplicitDataDirExcludesEveryOtherPlace(t *testing.T) {
	t.Setenv("JUPYTER_DATA_DIR", t.TempDir())
	got := DataDirCandidates(repoRoot(t), "/only/here")
	if len(got) != 1 || got[0].Dir != "/only/here" {
		t.Fatalf("candidates = %+v, want only /only/here", got)
	}
}

// The gopls stand-in ends GoNB's own gopls under the kernel and is gopls everywhere else.
func TestGoplsShimStandsInOnlyForGoNBUnderTheKernel(t *testing.T) {
	tools := t.TempDir()
	marker := filepath.Join(t.TempDir(), "called")
	fake := "#!/bin/sh\necho \"$@\" >> '" + marker + "'\n"
	if err := os.WriteFile(filepath.Join(tools, "gopls"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	shim := t.TempDir()
	if err := WriteGoplsShim(shim, tools); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		env       string
		args      []string
		delegated bool
	}{
		{"REPLICALAB_GONB_GOPLS=off", []string{"-listen", "unix;/tmp/x"}, false},
		{"REPLICALAB_GONB_GOPLS=off", []string{"version"}, true},
		{"", []string{"-listen", "unix;/tmp/x"}, true},
	} {
		os.Remove(marker)
		cmd := exec.Command(filepath.Join(shim, "gopls"), c.args...)
		cmd.Env = append(os.Environ(), c.env)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gopls %v (%s): %v: %s", c.args, c.env, err, out)
		}
		got, _ := os.ReadFile(marker)
		if delegated := len(got) > 0; delegated != c.delegated {
			t.Errorf("gopls %v with %q: delegated=%v, want %v", c.args, c.env, delegated, c.delegated)
		}
	}
}
