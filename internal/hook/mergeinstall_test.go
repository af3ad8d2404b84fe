package hook

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMergeDriverOnlyInThisRepository installs the hooks with HOME (and so
// the global git config, ~/.gitconfig and ~/.config/git/config) in a
// temporary folder: the global files are byte for byte what they were, the
// driver is configured in the repository's own .git/config, another
// repository of the same user merges notebooks as before, a worktree of the
// repository (.git is a file there) uses the driver, and uninstall removes
// it.
func TestMergeDriverOnlyInThisRepository(t *testing.T) {
	venvBin(t, "nbmerge")
	home := t.TempDir()
	global := filepath.Join(home, ".gitconfig")
	xdg := filepath.Join(home, ".config", "git", "config")
	globalText := []byte("[user]\n\tname = Ana\n\temail = ana@example.com\n[merge]\n\tconflictstyle = diff3\n")
	os.MkdirAll(filepath.Dir(xdg), 0o755)
	if err := os.WriteFile(global, globalText, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(xdg, []byte("[core]\n\tautocrlf = input\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func() []string {
		var e []string
		for _, kv := range os.Environ() {
			if k, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(k, "GIT_") && k != "HOME" && k != "XDG_CONFIG_HOME" {
				e = append(e, kv)
			}
		}
		return append(e, "HOME="+home, "GIT_CONFIG_NOSYSTEM=1")
	}()
	repo := func() *testRepo {
		r := &testRepo{t: t, dir: t.TempDir(), env: env}
		r.git("init", "-q", "-b", "main")
		return r
	}
	r, other := repo(), repo()
	venv := filepath.Dir(filepath.Dir(venvBin(t, "nbmerge")))
	os.Symlink(venv, filepath.Join(r.dir, ".venv"))
	r.write(".git/info/exclude", []byte(".venv\n"))

	out, _ := r.run(0, hookBin, "install", "--binary", hookBin)
	if !strings.Contains(out, "merge.ipynb.driver") || !strings.Contains(out, filepath.Join(".venv", "bin", "nbmerge")) {
		t.Errorf("install does not say that it set up the merge driver with the .venv's nbdime:\n%s", out)
	}
	if got, _ := os.ReadFile(global); !bytes.Equal(got, globalText) {
		t.Errorf("install changed the global ~/.gitconfig:\n%s", got)
	}
	if got, _ := os.ReadFile(xdg); string(got) != "[core]\n\tautocrlf = input\n" {
		t.Errorf("install changed ~/.config/git/config:\n%s", got)
	}
	origin := r.git("config", "--show-origin", "--get", "merge.ipynb.driver")
	if !strings.HasPrefix(origin, "file:.git/config\t") || !strings.Contains(origin, hookBin+"' merge %O %A %B %L %P") {
		t.Errorf("merge.ipynb.driver should come from the repository's .git/config, found %q", origin)
	}
	if code, _ := r.try("git", "config", "--global", "--get-regexp", `^merge\.ipynb\.|^diff\.ipynb\.`); code == 0 {
		t.Error("a notebook driver is in the global git config")
	}
	if code, _ := other.try("git", "config", "--get", "merge.ipynb.driver"); code == 0 {
		t.Error("another repository of the same user sees the merge driver")
	}
	if attr := string(r.read(".gitattributes")); !strings.Contains(attr, "*.ipynb merge=ipynb") {
		t.Errorf(".gitattributes lacks the merge line:\n%s", attr)
	}
	r.run(0, hookBin, "install", "--binary", hookBin) // idempotent
	if n := strings.Count(string(r.read(".gitattributes")), "*.ipynb merge=ipynb"); n != 1 {
		t.Errorf("installing twice wrote the merge line %d times", n)
	}

	// A merge in a worktree of the repository goes through the driver.
	nb := notebook([2]string{"markdown", "# Title"}, [2]string{"code", "x := 1"}, [2]string{"code", "y := 2"})
	r.write("nb.ipynb", nb)
	r.git("add", "-A")
	r.commit(0, "base")
	wt := filepath.Join(t.TempDir(), "wt")
	r.git("worktree", "add", "-q", "-b", "theirs", wt)
	w := &testRepo{t: t, dir: wt, env: env}
	if st, err := os.Lstat(filepath.Join(wt, ".git")); err != nil || st.IsDir() {
		t.Fatalf("expected .git to be a file in the worktree: %v", err)
	}
	os.Symlink(venv, filepath.Join(wt, ".venv"))
	w.write("nb.ipynb", mustClean(t, notebook([2]string{"markdown", "# Title"}, [2]string{"code", "x := 1"}, [2]string{"code", "y := 3 // theirs"})))
	w.git("commit", "-qam", "theirs")
	w.git("checkout", "-q", "-b", "ours", "main")
	w.write("nb.ipynb", mustClean(t, notebook([2]string{"markdown", "# Title"}, [2]string{"code", "x := 0 // ours"}, [2]string{"code", "y := 2"})))
	w.git("commit", "-qam", "ours")
	_, msg := w.run(0, "git", "merge", "--no-edit", "theirs")
	if !strings.Contains(msg, "merged cell by cell") {
		t.Errorf("the merge in the worktree did not go through the driver:\n%s", msg)
	}
	merged := string(w.read("nb.ipynb"))
	if !strings.Contains(merged, "ours") || !strings.Contains(merged, "theirs") {
		t.Errorf("the merge in the worktree lost a side:\n%s", merged)
	}

	r.run(0, hookBin, "uninstall")
	if code, _ := r.try("git", "config", "--get", "merge.ipynb.driver"); code == 0 {
		t.Error("uninstall left the merge driver")
	}
	if got, _ := os.ReadFile(global); !bytes.Equal(got, globalText) {
		t.Errorf("uninstall changed the global ~/.gitconfig:\n%s", got)
	}
}

// TestMergeWithoutNbdimeKeepsOurVersion: with no nbdime to run, the driver
// leaves our version as it was and stops the merge with a conflict that
// says what to do, instead of merging the JSON as text.
func TestMergeWithoutNbdimeKeepsOurVersion(t *testing.T) {
	r := newRepo(t, "")
	r.env = append(r.env, "PATH="+filepath.Dir(lookPath(t, "git")))
	base := mustClean(t, notebook([2]string{"code", "x := 1"}))
	r.write("nb.ipynb", base)
	r.git("add", "-A")
	r.commit(0, "base")
	r.git("checkout", "-q", "-b", "theirs")
	r.write("nb.ipynb", mustClean(t, notebook([2]string{"code", "x := 2"})))
	r.git("commit", "-qam", "theirs")
	r.git("checkout", "-q", "main")
	ours := mustClean(t, notebook([2]string{"code", "x := 3"}))
	r.write("nb.ipynb", ours)
	r.git("commit", "-qam", "ours")
	_, msg := r.run(1, "git", "merge", "--no-edit", "theirs")
	if !strings.Contains(msg, "nbmerge") || !strings.Contains(msg, "make venv") {
		t.Errorf("the driver does not say that nbdime is missing and how to install it:\n%s", msg)
	}
	if got := r.read("nb.ipynb"); !bytes.Equal(got, ours) {
		t.Errorf("our version was changed:\n%s", got)
	}
}

func lookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skip(err)
	}
	return p
}
