package hygiene

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/replicalab/replicalab/internal/display"
)

func run(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=T", "-c", "user.email=t@example.com"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func lines(cs Checks) string { return cs.String() }

// A careless repository: every check fails, each with the command that fixes it.
func TestACarelessRepositoryGetsAFixForEachCheck(t *testing.T) {
	repo := t.TempDir()
	run(t, repo, "init", "-q")
	must(t, os.WriteFile(filepath.Join(repo, ".gitignore"), []byte("*.log\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(repo, ".env"), []byte("RDS_HOSTNAME=db.example.invalid\n"), 0o644))
	must(t, os.Chmod(filepath.Join(repo, ".env"), 0o644))
	must(t, os.WriteFile(filepath.Join(repo, "prod.env"), []byte("X=1\n"), 0o600))
	run(t, repo, "add", ".gitignore", ".env", "prod.env")
	run(t, repo, "commit", "-q", "-m", "settings")
	sub := filepath.Join(repo, "notebooks")
	must(t, os.Mkdir(sub, 0o755))
	t.Chdir(sub)
	t.Setenv("REPLICALAB_REPO", "/elsewhere") // the git repository wins

	r, err := Find(".")
	if err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(repo)
	if string(r) != real {
		t.Fatalf("Find = %q, want %q", r, real)
	}
	all := r.All()
	text := all.String()
	env := filepath.Join(real, ".env")
	for _, want := range []string{
		`FIX  .env is not ignored by git: add a line "/.env" to ` + real + "/.gitignore",
		`FIX  data/ is not ignored by git: add a line "/data/" to ` + real + "/.gitignore",
		"FIX  the pre-commit hook is not installed",
		`FIX  .env is tracked by git: git rm --cached ".env", commit, and change the password it holds`,
		`FIX  prod.env is tracked by git`,
		"FIX  a .env file is in the history (commit ",
		"FIX  " + env + " has mode 0644: others can read the password: chmod 600 " + env,
		"7 of 7 checks need a fix (see the FIX lines above)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
	if strings.Contains("\n"+text, "\nok ") || all.Failed() != 7 {
		t.Errorf("%d failed:\n%s", all.Failed(), text)
	}
	if h := all.HTML(); !strings.Contains(h, "<b>FIX</b>") || !strings.Contains(h, "&#34;/.env&#34;") {
		t.Errorf("HTML: %s", h)
	}
}

// A tidy repository: every check passes; the hook is found through core.hooksPath.
func TestATidyRepositoryPasses(t *testing.T) {
	repo := t.TempDir()
	run(t, repo, "init", "-q")
	must(t, os.WriteFile(filepath.Join(repo, ".gitignore"), []byte("/.env\n/data/\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(repo, ".env.example"), []byte("RDS_HOSTNAME=\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(repo, ".env"), []byte("RDS_HOSTNAME=db.example.invalid\n"), 0o600))
	run(t, repo, "add", ".gitignore", ".env.example")
	run(t, repo, "commit", "-q", "-m", "start")
	must(t, os.MkdirAll(filepath.Join(repo, "hooks"), 0o755))
	must(t, os.WriteFile(filepath.Join(repo, "hooks", "pre-commit"), []byte("#!/bin/sh\nexec replicalab-hook pre-commit\n"), 0o755))
	run(t, repo, "config", "core.hooksPath", "hooks")
	t.Chdir(repo)
	rec := &display.Recorder{}
	defer display.Use(rec)()
	Here().Show()
	all := Here().All()
	all.Show()
	text := rec.Text()
	for _, want := range []string{"checking the repository ", "ok   .env is ignored by git", "ok   data/ is ignored by git",
		"ok   the pre-commit hook is installed (hooks/pre-commit)", "ok   no .env file is tracked by git",
		"ok   no .env file was ever committed", "is readable by you alone (mode 0600)", "all 6 checks pass"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
	must(t, os.Chmod(filepath.Join(repo, "hooks", "pre-commit"), 0o644))
	if got := lines(Here().Hook()); !strings.HasPrefix(got, "FIX  ") || !strings.Contains(got, "is not executable, so git skips it: chmod +x ") {
		t.Errorf("a hook that cannot run: %s", got)
	}
}

// Outside any repository, a notebook cell stops with the message that says what to do.
func TestNoRepositoryStopsTheCell(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("REPLICALAB_REPO", "")
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(t.TempDir()))
	if _, err := Find("."); err != ErrNoRepository {
		t.Fatalf("Find: %v", err)
	}
	stopped, code, msg := display.CatchStop(func() { Here() })
	if !stopped || code != 1 || !strings.Contains(msg, "run `git init` in the project folder") {
		t.Errorf("stopped %v, code %d, %q", stopped, code, msg)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
