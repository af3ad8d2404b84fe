package hook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGlobalHooksPathLeftAlone: with core.hooksPath in the global git
// config (shared by every repository), install writes nothing there, sets
// core.hooksPath for this repository only, says so, and the shared hooks
// still run; uninstall undoes it.
func TestGlobalHooksPathLeftAlone(t *testing.T) {
	r := newRepo(t)
	shared := t.TempDir()
	os.WriteFile(filepath.Join(shared, "pre-commit"), []byte("#!/bin/sh\necho shared >> \"$(git rev-parse --show-toplevel)/shared-pre-commit-ran\"\n"), 0o755)
	os.WriteFile(filepath.Join(shared, "post-commit"), []byte("#!/bin/sh\necho shared >> \"$(git rev-parse --show-toplevel)/shared-post-commit-ran\"\n"), 0o755)
	r.git("config", "--global", "core.hooksPath", shared)
	before, _ := os.ReadDir(shared)

	out, _ := r.run(0, hookBin, "install", "--binary", hookBin)
	if !strings.Contains(out, "global git config") || !strings.Contains(out, "left it unchanged") || !strings.Contains(out, "this repository only") {
		t.Errorf("install should say what it did instead of writing into the shared folder:\n%s", out)
	}
	after, _ := os.ReadDir(shared)
	if len(after) != len(before) {
		t.Errorf("install wrote into the global core.hooksPath %s: %d files, was %d", shared, len(after), len(before))
	}
	if got := strings.TrimSpace(r.git("config", "--local", "core.hooksPath")); got != filepath.Join(r.dir, ".git", "hooks") {
		t.Errorf("local core.hooksPath = %q", got)
	}
	r.write("nb.ipynb", notebook([2]string{"code", "x := 1"}))
	r.git("add", "nb.ipynb")
	r.commit(0, "with both")
	if strings.Contains(string(r.show("HEAD:nb.ipynb")), "output of cell") {
		t.Error("our pre-commit hook did not run")
	}
	for _, f := range []string{"shared-pre-commit-ran", "shared-post-commit-ran"} {
		if _, err := os.Stat(filepath.Join(r.dir, f)); err != nil {
			t.Errorf("the shared hook did not run (%s)", f)
		}
	}
	r.run(0, hookBin, "uninstall")
	if out, _ := r.try("git", "config", "--local", "core.hooksPath"); out == 0 {
		t.Error("uninstall left the local core.hooksPath")
	}
	if _, err := os.Stat(filepath.Join(r.dir, ".git", "hooks", "post-commit")); err == nil {
		t.Error("uninstall left the forwarding post-commit script")
	}
}

// TestCommitMsgHookInstalled: install writes commit-msg beside pre-commit;
// a message with a secret is refused without showing it, a clean one passes.
func TestCommitMsgHookInstalled(t *testing.T) {
	r := newRepo(t, "")
	writeDotenv(r)
	if _, err := os.Stat(filepath.Join(r.dir, ".git", "hooks", "commit-msg")); err != nil {
		t.Fatalf("no commit-msg hook: %v", err)
	}
	r.write("a.txt", []byte("a\n"))
	r.git("add", "a.txt")
	code, msg := r.try("git", "commit", "-q", "-m", "connect with "+dotenvPassword)
	if code == 0 || !strings.Contains(msg, "its message contains 1 secret") {
		t.Errorf("a message with the .env password was not refused (exit %d):\n%s", code, msg)
	}
	noSecretIn(t, "the hook's messages", msg)
	// Comment lines and the diff of git commit -v are not part of the message.
	msgFile := filepath.Join(t.TempDir(), "msg")
	os.WriteFile(msgFile, []byte("Add a\n# "+dotenvPassword+"\n#"+scissors+"\n"+dotenvPassword+"\n"), 0o644)
	r.run(0, "git", "commit", "-q", "--cleanup=scissors", "-F", msgFile)
}

// TestPreCommitManifest: .pre-commit-hooks.yaml declares both hooks with a
// command this module builds and that accepts the arguments the framework
// passes (file names for pre-commit, the message file for commit-msg).
func TestPreCommitManifest(t *testing.T) {
	data := mustRead(t, filepath.Join("..", "..", ".pre-commit-hooks.yaml"))
	text := string(data)
	for _, want := range []string{"entry: hook pre-commit", "entry: hook commit-msg", "language: golang", "stages: [commit-msg]", "pass_filenames: true"} {
		if !strings.Contains(text, want) {
			t.Errorf(".pre-commit-hooks.yaml lacks %q", want)
		}
	}
	// "hook" is what `go install ./...` names scripts/hook.
	if _, err := os.Stat(filepath.Join("..", "..", "scripts", "hook", "main.go")); err != nil {
		t.Fatalf("the manifest's entry names scripts/hook: %v", err)
	}
	r := newRepo(t)
	writeDotenv(r)
	r.write("a.txt", []byte("a\n"))
	r.git("add", "a.txt", ".gitignore")
	r.run(0, hookBin, "pre-commit", "a.txt", ".gitignore")
	msg := filepath.Join(t.TempDir(), "COMMIT_EDITMSG")
	os.WriteFile(msg, []byte("token "+githubPAT+"\n"), 0o644)
	r.run(1, hookBin, "commit-msg", msg)
}
