package kernelspec

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/replicalab/replicalab/internal/kernel"
	"github.com/replicalab/replicalab/internal/repo"
)

const usage = `usage: go run ./kernel <command> [flags]

commands:
  install     build the pinned tools and the kernel, write the "Go (replica)" kernelspec, warm the build cache
  status      show what is installed where, versions, and how to fix what is missing
  uninstall   remove the "Go (replica)" kernelspec (a user's own "gonb" kernelspec is never touched)
  serve       run the kernel (Jupyter starts it from kernel.json):
              serve --kernel CONNECTION_FILE --go_work=REPO --gonb=GONB [--gopls=GOPLS]

flags (install, status, uninstall):
  --data-dir DIR   Jupyter data directory to use (default: $JUPYTER_DATA_DIR, else the project's
                   .venv/share/jupyter when .venv exists, else ~/.local/share/jupyter)
  --repo DIR       repository root (default: found from the working directory)
install only:
  --no-warm        skip compiling helpers/ and their dependencies into the build cache
`

// Run is the kernel command: Run(ctx, os.Args[1:], ...) returns the exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, stderr)
	case "watchdog":
		// Started by serve; not for people.
		return kernel.RunWatchdog(stdin)
	}
	fs := flag.NewFlagSet("kernel "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "", "Jupyter data directory")
	repoFlag := fs.String("repo", "", "repository root")
	noWarm := fs.Bool("no-warm", false, "skip the build-cache warm up")
	switch cmd {
	case "install", "status", "uninstall":
	default:
		fmt.Fprintf(stderr, "kernel: unknown command %q (expected install, status, uninstall or serve)\n", cmd)
		return 2
	}
	if err := fs.Parse(rest); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "kernel %s: unexpected argument %q\n", cmd, fs.Arg(0))
		return 2
	}
	if cmd != "install" && *noWarm {
		fmt.Fprintf(stderr, "kernel %s: --no-warm only applies to install\n", cmd)
		return 2
	}
	repo, err := resolveRepo(*repoFlag)
	if err != nil {
		fmt.Fprintln(stderr, "kernel:", err)
		return 1
	}
	switch cmd {
	case "install":
		err = install(ctx, repo, *dataDir, !*noWarm, stdout)
	case "uninstall":
		err = uninstall(repo, *dataDir, stdout)
	case "status":
		var ok bool
		ok, err = status(ctx, repo, *dataDir, stdout)
		if err == nil && !ok {
			return 1
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "kernel:", err)
		return 1
	}
	return 0
}

// serve runs the kernel process.
func serve(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("kernel serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conn := fs.String("kernel", "", "connection file written by Jupyter")
	goWork := fs.String("go_work", "", "repository GoNB's cells compile against (absolute)")
	gonb := fs.String("gonb", "", "GoNB binary")
	gopls := fs.String("gopls", "", "gopls binary for completion while GoNB starts (default: next to GoNB, else PATH)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *conn == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: kernel serve --kernel CONNECTION_FILE --go_work=REPO --gonb=GONB [--gopls=GOPLS]")
		return 2
	}
	if *gopls == "" && *gonb != "" {
		if p := filepath.Join(filepath.Dir(*gonb), "gopls"); fileExists(p) {
			*gopls = p
		}
	}
	err := kernel.Serve(ctx, kernel.Options{ConnectionFile: *conn, GoNB: *gonb, GoWork: *goWork, Gopls: *gopls, Log: stderr})
	if err != nil {
		fmt.Fprintln(stderr, "kernel:", err)
		return 1
	}
	return 0
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func resolveRepo(flagRepo string) (string, error) {
	start := flagRepo
	if start == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		start = wd
	}
	abs, err := filepath.Abs(start)
	if err != nil {
		return "", err
	}
	return FindRepo(abs)
}

// FindRepo returns the repository found from dir by internal/repo
// ($REPLICALAB_REPO, else the nearest folder at or above dir holding a
// go.mod) and checks that its go.mod declares this module.
func FindRepo(dir string) (string, error) {
	root, err := repo.Root(dir)
	if err != nil {
		return "", fmt.Errorf("%w: run this from the replicalab repository", err)
	}
	if mod, err := repo.Module(root); err != nil || mod != ModulePath {
		return "", fmt.Errorf("the go.mod of %s declares %q, not %s: run this from the replicalab repository", root, mod, ModulePath)
	}
	return root, nil
}

// NewLayout fills a Layout for repo, choosing the data directory as documented.
func NewLayout(ctx context.Context, repo, flagDataDir string) (Layout, error) {
	goRoot, err := goEnv(ctx, repo, "GOROOT")
	if err != nil {
		return Layout{}, err
	}
	l := Layout{
		Repo:   repo,
		Tools:  filepath.Join(repo, ".tools", "bin"),
		Shim:   filepath.Join(repo, ".tools", "shim"),
		GoRoot: goRoot,
	}
	if c := DataDirCandidates(repo, flagDataDir); len(c) > 0 {
		l.DataDir = c[0].Dir
	} else {
		return l, errors.New("cannot tell where Jupyter reads kernelspecs: set JUPYTER_DATA_DIR or pass --data-dir")
	}
	return l, nil
}

// Install performs every install step for repo (see the package documentation).
func Install(ctx context.Context, l Layout, warm bool, out io.Writer) error {
	start := time.Now()
	fmt.Fprintf(out, "tools → %s\n", l.Tools)
	if err := EnsureTools(ctx, l.Repo, l.Tools, out); err != nil {
		return err
	}
	if err := BuildKernel(ctx, l.Repo, l.Tools, out); err != nil {
		return err
	}
	if err := WriteShim(l.Shim, l.GoRoot); err != nil {
		return err
	}
	if err := WriteGoplsShim(l.Shim, l.Tools); err != nil {
		return err
	}
	spec, err := NewSpec(l)
	if err != nil {
		return err
	}
	if err := WriteSpec(l, spec); err != nil {
		return err
	}
	fmt.Fprintf(out, "kernelspec %q (%s) → %s\n", Name, DisplayName, l.SpecDir())
	if warm {
		t := time.Now()
		pkgs, err := WarmPackages(ctx, l.Repo)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "warming the build cache: %d packages ...\n", len(pkgs))
		if err := Warm(ctx, l.Repo, pkgs); err != nil {
			return err
		}
		fmt.Fprintf(out, "  done in %.1fs\n", time.Since(t).Seconds())
	}
	fmt.Fprintf(out, "installed in %.1fs; JupyterLab started from the project's .venv lists %q.\n", time.Since(start).Seconds(), DisplayName)
	return nil
}

func install(ctx context.Context, repo, dataDir string, warm bool, out io.Writer) error {
	l, err := NewLayout(ctx, repo, dataDir)
	if err != nil {
		return err
	}
	return Install(ctx, l, warm, out)
}

func uninstall(repo, dataDir string, out io.Writer) error {
	removed := 0
	seen := map[string]bool{}
	for _, c := range DataDirCandidates(repo, dataDir) {
		if seen[c.Dir] {
			continue
		}
		seen[c.Dir] = true
		ok, err := RemoveSpec(c.Dir)
		if err != nil {
			return err
		}
		if ok {
			removed++
			fmt.Fprintf(out, "removed %s\n", filepath.Join(c.Dir, "kernels", Name))
		}
	}
	if removed == 0 {
		fmt.Fprintf(out, "no %q kernelspec installed; nothing to remove\n", Name)
	}
	fmt.Fprintf(out, "the tools in %s stay; delete that folder to remove them too\n", filepath.Join(repo, ".tools"))
	return nil
}

// status prints the installation's state and reports whether everything needed is in place.
func status(ctx context.Context, repo, dataDir string, out io.Writer) (bool, error) {
	l, err := NewLayout(ctx, repo, dataDir)
	if err != nil {
		return false, err
	}
	ok := true
	goVersion, _ := goEnv(ctx, repo, "GOVERSION")
	fmt.Fprintf(out, "repository  %s\n", repo)
	fmt.Fprintf(out, "go          %s (%s)\n", goVersion, l.GoRoot)
	states, err := InspectTools(ctx, repo, l.Tools)
	if err != nil {
		return false, err
	}
	fmt.Fprintf(out, "tools       %s\n", l.Tools)
	for _, st := range states {
		switch {
		case st.Current:
			fmt.Fprintf(out, "  %-10s %s  ok\n", st.Name, st.Found)
		case st.Found == "":
			ok = false
			fmt.Fprintf(out, "  %-10s missing (want %s)  fix: go run ./kernel install\n", st.Name, st.Want)
		default:
			ok = false
			fmt.Fprintf(out, "  %-10s %s built by %s, want %s built by %s  fix: go run ./kernel install\n",
				st.Name, st.Found, st.GoVersion, st.Want, goVersion)
		}
	}
	if kb := filepath.Join(l.Tools, KernelBinary); !fileExists(kb) {
		ok = false
		fmt.Fprintf(out, "  %-10s missing: %s  fix: go run ./kernel install\n", KernelBinary, kb)
	} else {
		fmt.Fprintf(out, "  %-10s %s  ok (rebuilt from this repository by every install)\n", KernelBinary, kb)
	}
	if _, err := os.Stat(filepath.Join(l.Shim, "go")); err != nil {
		ok = false
		fmt.Fprintf(out, "shim        missing: %s  fix: go run ./kernel install\n", filepath.Join(l.Shim, "go"))
	} else {
		fmt.Fprintf(out, "shim        %s  ok\n", filepath.Join(l.Shim, "go"))
	}
	found := false
	for i, c := range DataDirCandidates(repo, dataDir) {
		spec, err := ReadSpec(c.Dir, Name)
		if err != nil {
			if i == 0 {
				fmt.Fprintf(out, "kernelspec  not in %s (%s)\n", filepath.Join(c.Dir, "kernels", Name), c.Why)
			}
			continue
		}
		found = true
		problem := checkSpec(spec, repo)
		if problem == "" {
			fmt.Fprintf(out, "kernelspec  %s (%s)  ok: %q, --go_work=%s\n", filepath.Join(c.Dir, "kernels", Name), c.Why, spec.DisplayName, repo)
		} else {
			ok = false
			fmt.Fprintf(out, "kernelspec  %s (%s)  broken: %s  fix: go run ./kernel install\n", filepath.Join(c.Dir, "kernels", Name), c.Why, problem)
		}
		if _, err := os.Stat(filepath.Join(c.Dir, "kernels", "gonb", "kernel.json")); err == nil {
			fmt.Fprintf(out, "            a separate \"gonb\" kernelspec exists in %s; it is left alone\n", c.Dir)
		}
	}
	if !found {
		ok = false
		fmt.Fprintln(out, "            fix: go run ./kernel install (or make lab)")
	}
	if ok {
		fmt.Fprintln(out, "status      ready")
	} else {
		fmt.Fprintln(out, "status      incomplete")
	}
	return ok, nil
}

// checkSpec says what is wrong with an installed spec, or "" when it is usable for repo.
func checkSpec(s Spec, repo string) string {
	if len(s.Argv) == 0 {
		return "empty argv"
	}
	if _, err := os.Stat(s.Argv[0]); err != nil {
		return fmt.Sprintf("kernel binary %s is missing", s.Argv[0])
	}
	if filepath.Base(s.Argv[0]) != KernelBinary {
		return fmt.Sprintf("it starts %s, not the replicalab kernel (an install from before the kernel had a front)", s.Argv[0])
	}
	for _, a := range s.Argv[1:] {
		if g, ok := strings.CutPrefix(a, "--gonb="); ok && !fileExists(g) {
			return fmt.Sprintf("GoNB binary %s is missing", g)
		}
	}
	want := "--go_work=" + repo
	for _, a := range s.Argv[1:] {
		if a == want {
			return ""
		}
		if strings.HasPrefix(a, "--go_work=") {
			return fmt.Sprintf("it points at %s, not this repository", strings.TrimPrefix(a, "--go_work="))
		}
	}
	return "no --go_work argument"
}
