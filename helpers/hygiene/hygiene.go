package hygiene

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/internal/child"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/secrets"
)

// Check is the outcome of one check: OK, or what is wrong and how to fix it.
type Check struct {
	OK   bool
	What string // what was checked (OK) or what is wrong (not OK)
	How  string // how to fix it
}

// String is "ok   what" or "FIX  what: how".
func (c Check) String() string {
	if c.OK {
		return "ok   " + c.What
	}
	return "FIX  " + c.What + ": " + c.How
}

// Checks are the outcomes of several checks.
type Checks []Check

// Failed counts the checks that need a fix.
func (cs Checks) Failed() int {
	n := 0
	for _, c := range cs {
		if !c.OK {
			n++
		}
	}
	return n
}

// Verdict is "all 4 checks pass" or "2 of 4 checks need a fix (see the FIX lines above)".
func (cs Checks) Verdict() string {
	if bad := cs.Failed(); bad > 0 {
		return fmt.Sprintf("%d of %d checks need a fix (see the FIX lines above)", bad, len(cs))
	}
	if len(cs) == 1 {
		return "the check passes"
	}
	return fmt.Sprintf("all %d checks pass", len(cs))
}

// String is one line per check, then the verdict when there are several.
func (cs Checks) String() string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.String() + "\n")
	}
	if len(cs) > 1 {
		b.WriteString(cs.Verdict() + "\n")
	}
	return b.String()
}

// HTML is a table of the checks, then the verdict when there are several.
func (cs Checks) HTML() string {
	var b strings.Builder
	b.WriteString(`<table class="replicalab-hygiene"><tbody>`)
	for _, c := range cs {
		if c.OK {
			fmt.Fprintf(&b, `<tr><td style="color:#1a7f37">ok</td><td style="text-align:left">%s</td></tr>`, html.EscapeString(c.What))
		} else {
			fmt.Fprintf(&b, `<tr><td style="color:#cf222e"><b>FIX</b></td><td style="text-align:left">%s: <code>%s</code></td></tr>`,
				html.EscapeString(c.What), html.EscapeString(c.How))
		}
	}
	b.WriteString(`</tbody></table>`)
	if len(cs) > 1 {
		fmt.Fprintf(&b, "<p>%s</p>", html.EscapeString(cs.Verdict()))
	}
	return b.String()
}

// Show shows the checks (a table in a notebook, lines elsewhere).
func (cs Checks) Show() {
	display.Show(display.Output{Kind: display.Result, Text: cs.String(), HTML: cs.HTML()})
}

// Repo is the root folder of a git repository.
type Repo string

// ErrNoRepository is returned by Find outside any git repository when REPLICALAB_REPO is not set.
var ErrNoRepository = errors.New("expected this notebook to be inside a git repository (or REPLICALAB_REPO to be set), found neither: run `git init` in the project folder")

// Find returns the git repository holding dir, else $REPLICALAB_REPO.
func Find(dir string) (Repo, error) {
	if top, err := git(dir, "rev-parse", "--show-toplevel"); err == nil && top != "" {
		return Repo(top), nil
	}
	if r := os.Getenv("REPLICALAB_REPO"); r != "" {
		return Repo(r), nil
	}
	return "", ErrNoRepository
}

// Here is Find from the working folder, for a notebook cell: without a repository it shows the
// message and stops the cell.
func Here() Repo {
	r, err := Find(".")
	if err != nil {
		display.Stop(err)
	}
	return r
}

// String is "checking the repository <folder>".
func (r Repo) String() string { return "checking the repository " + string(r) }

// HTML is String, escaped.
func (r Repo) HTML() string { return "<p>" + html.EscapeString(r.String()) + "</p>" }

// Show shows which repository the checks look at.
func (r Repo) Show() {
	display.Show(display.Output{Kind: display.Result, Text: r.String() + "\n", HTML: r.HTML()})
}

// All runs every check: Ignored, Hook, Tracked, then EnvFile.
func (r Repo) All() Checks {
	var all Checks
	all = append(all, r.Ignored()...)
	all = append(all, r.Hook()...)
	all = append(all, r.Tracked()...)
	return append(all, EnvFile()...)
}

// ignoredPaths must never be committed: the settings file and the data folder.
var ignoredPaths = []string{".env", "data/"}

// Ignored checks that git ignores .env and data/ (whether or not they exist yet).
func (r Repo) Ignored() Checks {
	var out Checks
	for _, p := range ignoredPaths {
		_, err := git(string(r), "check-ignore", "-q", "--no-index", p)
		var ee *exec.ExitError
		switch {
		case err == nil:
			out = append(out, Check{OK: true, What: p + " is ignored by git"})
		case errors.As(err, &ee) && ee.ExitCode() == 1:
			out = append(out, Check{What: p + " is not ignored by git",
				How: fmt.Sprintf("add a line %q to %s", "/"+p, filepath.Join(string(r), ".gitignore"))})
		default:
			out = append(out, Check{What: fmt.Sprintf("cannot ask git about %s (%v)", p, err), How: "check that git is installed and this is a git repository"})
		}
	}
	return out
}

// Hook checks that replicalab's pre-commit hook is where git looks for it (core.hooksPath
// included) and executable.
func (r Repo) Hook() Checks {
	rel, err := git(string(r), "rev-parse", "--git-path", "hooks/pre-commit")
	if err != nil {
		return Checks{{What: fmt.Sprintf("cannot find the hooks folder (%v)", err), How: "check that this is a git repository"}}
	}
	path := rel
	if !filepath.IsAbs(path) {
		path = filepath.Join(string(r), rel)
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return Checks{{What: "the pre-commit hook is not installed (no " + path + ")", How: "run `make hooks` in " + string(r)}}
	case err != nil:
		return Checks{{What: fmt.Sprintf("cannot read the pre-commit hook: %v", err), How: "check the file's permissions"}}
	case !bytes.Contains(data, []byte("replicalab-hook")):
		return Checks{{What: path + " is another pre-commit hook, not replicalab's",
			How: "run `make hooks` (it keeps the existing hook and runs it first)"}}
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o111 == 0 {
		return Checks{{What: path + " is not executable, so git skips it", How: "chmod +x " + path}}
	}
	return Checks{{OK: true, What: "the pre-commit hook is installed (" + rel + ")"}}
}

// Tracked checks that no settings file is tracked by git, nor was ever added in its history.
func (r Repo) Tracked() Checks {
	var out Checks
	files, err := git(string(r), "ls-files", "-z")
	if err != nil {
		return Checks{{What: fmt.Sprintf("cannot list tracked files (%v)", err), How: "check that this is a git repository"}}
	}
	tracked := 0
	for _, f := range strings.Split(files, "\x00") {
		if f != "" && secrets.IsEnvFile(f) {
			tracked++
			out = append(out, Check{What: f + " is tracked by git",
				How: fmt.Sprintf("git rm --cached %q, commit, and change the password it holds", f)})
		}
	}
	if tracked == 0 {
		out = append(out, Check{OK: true, What: "no .env file is tracked by git"})
	}
	hist, err := git(string(r), "log", "--all", "--format=commit %h", "--name-only", "--diff-filter=A")
	if err != nil {
		return append(out, Check{What: fmt.Sprintf("cannot read the history (%v)", err), How: "check that this is a git repository"})
	}
	var added []string
	var commit string
	for _, line := range strings.Split(hist, "\n") {
		if h, ok := strings.CutPrefix(line, "commit "); ok {
			commit = h
		} else if line != "" && secrets.IsEnvFile(line) {
			added = append(added, "commit "+commit+" added "+line)
		}
	}
	if len(added) > 0 {
		return append(out, Check{What: "a .env file is in the history (" + strings.Join(added, "; ") + ")",
			How: "change the passwords it held; rewriting history (git filter-repo) does not reach existing clones"})
	}
	return append(out, Check{OK: true, What: "no .env file was ever committed"})
}

// EnvFile checks that the .env the helpers read (found walking up from the working folder) is
// readable by its owner alone. Without one, the settings come from the environment: fine.
func EnvFile() Checks {
	cfg, err := config.Load()
	if err != nil {
		return Checks{{What: fmt.Sprintf("the settings cannot be read: %v", err), How: "fix the line named above in .env"}}
	}
	path := cfg.File()
	if path == "" {
		return Checks{{OK: true, What: "no .env file: settings come from the environment"}}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return Checks{{What: fmt.Sprintf("cannot read %s: %v", path, err), How: "check the file's permissions"}}
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return Checks{{What: fmt.Sprintf("%s has mode %04o: others can read the password", path, perm), How: "chmod 600 " + path}}
	}
	return Checks{{OK: true, What: fmt.Sprintf("%s is readable by you alone (mode %04o)", path, fi.Mode().Perm())}}
}

// git runs git in dir and returns its output without the final newline; a failure carries
// git's message.
func git(dir string, args ...string) (string, error) {
	cmd := child.Command(context.Background(), "git", append([]string{"-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimRight(string(out), "\n"), nil
}
