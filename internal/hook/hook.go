package hook

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/replicalab/replicalab/internal/atomicfile"
	"github.com/replicalab/replicalab/internal/nbclean"
)

const usage = `usage: replicalab-hook [-C DIR] COMMAND [ARGS]

Commands:
  install [--strict] [--binary PATH]
                 install the git pre-commit and commit-msg hooks in the repository of DIR (default:
                 the current folder), the notebook diff and merge drivers (this repository's git
                 config only) and their .gitattributes lines; copies this program to
                 <repo>/.tools/bin/replicalab-hook unless --binary names one. An existing hook of
                 another tool is kept and run first (<hook>.chained). A global core.hooksPath is
                 never written to: see the package documentation.
  uninstall      remove the hooks (restoring chained ones) and the diff and merge drivers
  pre-commit [--check] [--all] [--strict] [PATH...]
                 what git runs before a commit: clean the staged notebooks in the index (the
                 working copies keep their outputs), strip secrets from notebook cells and refuse
                 secrets elsewhere and .env files. --check changes nothing and exits 1 if anything
                 would be changed or refused (for CI); --all checks every file in the index instead
                 of the staged changes; PATHs limit the run to those files (pre-commit framework).
                 --strict (or git config replicalab.hook.strict true) refuses notebook secrets too.
  commit-msg FILE
                 what git runs on the commit message: refuse a message that holds a secret
  textconv FILE  print FILE cleaned (git diff's textconv driver for *.ipynb)
  merge BASE OURS THEIRS [MARKER_SIZE [PATH]]
                 git's merge driver for *.ipynb (install configures it): merges the notebooks cell
                 by cell with nbdime, leaves conflicts marked inside cells, never drops a cell
                 silently, and cleans the result as the pre-commit hook does. Exit 1: conflicts.
  clean FILE...  clean notebooks in place, like nbstripout FILE...
`

// Run is the replicalab-hook command; args exclude the program name. It
// returns the exit status: 0 success, 1 refused or dirty, 2 usage or
// operational error.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	dir := "."
	if len(args) >= 2 && args[0] == "-C" {
		dir, args = args[1], args[2:]
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "pre-commit":
		fs := newFlags("pre-commit", stderr)
		check := fs.Bool("check", false, "change nothing; exit 1 if anything would change or be refused")
		all := fs.Bool("all", false, "every file in the index, not only staged changes")
		strict := fs.Bool("strict", false, "refuse notebook secrets instead of stripping them")
		if fs.Parse(rest) != nil {
			return 2
		}
		return precommit(ctx, dir, checkOptions{check: *check, all: *all, strict: *strict, paths: fs.Args()}, stderr)
	case "commit-msg":
		if len(rest) != 1 {
			return usageError(stderr, "commit-msg expects the FILE holding the message (git passes it)")
		}
		return commitMsg(ctx, dir, rest[0], stderr)
	case "install":
		fs := newFlags("install", stderr)
		strict := fs.Bool("strict", false, "refuse notebook secrets instead of stripping them")
		binary := fs.String("binary", "", "use this hook binary instead of copying this program into .tools/bin")
		if fs.Parse(rest) != nil || fs.NArg() > 0 {
			return usageError(stderr, "install takes no arguments besides its flags")
		}
		if err := install(ctx, dir, *binary, *strict, stdout); err != nil {
			fmt.Fprintf(stderr, "replicalab-hook: install: %v\n", err)
			return 2
		}
		return 0
	case "uninstall":
		if err := uninstall(ctx, dir, stdout); err != nil {
			fmt.Fprintf(stderr, "replicalab-hook: uninstall: %v\n", err)
			return 2
		}
		return 0
	case "textconv":
		if len(rest) != 1 {
			return usageError(stderr, "textconv expects one FILE")
		}
		return textconv(rest[0], stdout, stderr)
	case "merge":
		return mergeNotebook(ctx, dir, rest, stderr)
	case "clean":
		if len(rest) == 0 {
			return usageError(stderr, "clean expects one or more FILEs")
		}
		return cleanFiles(rest, stderr)
	default:
		return usageError(stderr, fmt.Sprintf("unknown command %q (expected install, uninstall, pre-commit, commit-msg, textconv, merge, clean or help)", cmd))
	}
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func usageError(stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "replicalab-hook: %s\n\n%s", msg, usage)
	return 2
}

// textconv prints a notebook cleaned, for git diff. A notebook that cannot
// be cleaned is printed as it is, so that the diff still shows something.
func textconv(file string, stdout, stderr io.Writer) int {
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "replicalab-hook: textconv: %v\n", err)
		return 2
	}
	out, err := nbclean.Clean(data, nbclean.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "replicalab-hook: textconv: %s: %v (showing it unchanged)\n", file, err)
		out = data
	}
	if _, err := stdout.Write(out); err != nil {
		return 2
	}
	return 0
}

// cleanFiles rewrites notebooks in place when cleaning changes them.
func cleanFiles(files []string, stderr io.Writer) int {
	code := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err == nil {
			var out []byte
			if out, err = nbclean.Clean(data, nbclean.Options{}); err == nil && !bytes.Equal(out, data) {
				err = writeFileAtomic(f, out)
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "replicalab-hook: clean %s: %v\n", f, err)
			code = 1
		}
	}
	return code
}

// writeFileAtomic replaces path with data, keeping its permissions (0644 for a new file).
func writeFileAtomic(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	return atomicfile.Write(path, data, mode)
}

// ---- install ----

const (
	hookMarker = "# replicalab-hook:"
	attrLine   = "*.ipynb diff=ipynb"
)

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (r *repo) hooksDir(ctx context.Context) (string, error) {
	out, err := r.git(ctx, nil, "rev-parse", "--git-path", "hooks")
	if err != nil {
		return "", err
	}
	p := strings.TrimSpace(string(out))
	if !filepath.IsAbs(p) {
		p = filepath.Join(r.dir, p)
	}
	return p, nil
}

func install(ctx context.Context, dir, binary string, strict bool, stdout io.Writer) error {
	r, err := openRepo(ctx, dir)
	if err != nil {
		return err
	}
	if binary == "" {
		// Into the git folder every work tree of the repository shares, as the hooks and the git config
		// that call it are: a hook pointing into one linked work tree breaks when that tree is removed.
		common, err := r.commonDir(ctx)
		if err != nil {
			return err
		}
		if binary, err = copySelf(filepath.Join(common, "replicalab", "replicalab-hook")); err != nil {
			return err
		}
	} else if binary, err = filepath.Abs(binary); err != nil {
		return err
	}
	hooks, note, err := r.installDir(ctx)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(hooks, 0o755); err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintln(stdout, note)
	}
	for _, name := range hookNames {
		if err := writeHook(hooks, name, binary, stdout); err != nil {
			return err
		}
	}
	if _, err := r.git(ctx, nil, "config", "diff.ipynb.textconv", shellQuote(binary)+" textconv"); err != nil {
		return err
	}
	cfg, err := r.config(ctx, `^replicalab\.hook\.`)
	if err != nil {
		return err
	}
	if strict || len(cfg[ConfigStrict]) == 0 {
		if _, err := r.git(ctx, nil, "config", ConfigStrict, fmt.Sprint(strict)); err != nil {
			return err
		}
	}
	added, err := ensureAttributes(filepath.Join(r.dir, ".gitattributes"), attrLine, "# git diff shows notebooks without outputs (driver installed by make hooks)")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "installed the pre-commit and commit-msg hooks in %s -> %s\n", hooks, binary)
	fmt.Fprintf(stdout, "git diff shows notebooks cleaned (diff.ipynb.textconv)")
	if added {
		fmt.Fprintf(stdout, "; added %q to .gitattributes (commit it)", attrLine)
	}
	fmt.Fprintln(stdout)
	if err := installMerge(ctx, r, binary, stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "notebook secrets are %s (git config %s %v)\n", map[bool]string{false: "stripped", true: "refused"}[strict || gitBool(cfg[ConfigStrict])], ConfigStrict, strict || gitBool(cfg[ConfigStrict]))
	return nil
}

// copySelf copies the running program to target, unless it is target.
func copySelf(target string) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	if a, err := filepath.EvalSymlinks(self); err == nil {
		self = a
	}
	if t, err := filepath.EvalSymlinks(target); err == nil && t == self {
		return target, nil
	}
	data, err := os.ReadFile(self)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return "", err
	}
	if err := writeFileAtomic(target, data); err != nil {
		return "", err
	}
	return target, os.Chmod(target, 0o755)
}

// ensureAttributes adds line (after its comment) to a .gitattributes file
// that lacks it.
func ensureAttributes(path, line, comment string) (bool, error) {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Join(strings.Fields(l), " ") == line {
			return false, nil
		}
	}
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
		data = append(data, '\n')
	}
	data = append(data, comment+"\n"+line+"\n"...)
	return true, os.WriteFile(path, data, 0o644)
}

func uninstall(ctx context.Context, dir string, stdout io.Writer) error {
	r, err := openRepo(ctx, dir)
	if err != nil {
		return err
	}
	hooks, err := r.hooksDir(ctx)
	if err != nil {
		return err
	}
	removed := false
	for _, name := range hookNames {
		if _, err := os.Stat(filepath.Join(hooks, name)); err == nil {
			removed = true
		}
		if err := removeHook(hooks, name, stdout); err != nil {
			return err
		}
	}
	r.removeForwarders(ctx, hooks)
	if removed {
		fmt.Fprintln(stdout, "removed the replicalab pre-commit and commit-msg hooks")
	} else {
		fmt.Fprintln(stdout, "no pre-commit hook installed")
	}
	_, _ = r.git(ctx, nil, "config", "--unset", "diff.ipynb.textconv")
	uninstallMerge(ctx, r)
	return nil
}
