package kernelspec

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// commonImports are packages notebooks import directly besides helpers/; each is compiled during the warm
// up when go.mod provides it.
var commonImports = []string{
	"github.com/janpfeifer/gonb/gonbui",
	"github.com/jackc/pgx/v5",
	"github.com/jackc/pgx/v5/pgxpool",
	"github.com/go-gota/gota/dataframe",
	"github.com/go-gota/gota/series",
	"gonum.org/v1/plot",
	"gonum.org/v1/plot/plotter",
	"gonum.org/v1/plot/vg",
}

// WarmPackages lists what the warm up compiles: every package under helpers/ and the common imports that
// go.mod provides.
func WarmPackages(ctx context.Context, repo string) ([]string, error) {
	args := append([]string{"list", "-e", "-f", "{{if not .Error}}{{.ImportPath}}{{end}}", ModulePath + "/helpers/..."}, commonImports...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = repo
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && len(out) == 0 {
		// `go list` of a pattern that matches nothing (no helpers/ yet) is not an error worth stopping for.
		if !strings.Contains(stderr.String(), "matched no packages") {
			return nil, fmt.Errorf("kernelspec: listing packages to warm up: %w: %s", err, strings.TrimSpace(stderr.String()))
		}
	}
	seen := map[string]bool{}
	var pkgs []string
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || seen[line] || strings.Contains(line, "/internal/") {
			continue
		}
		seen[line] = true
		pkgs = append(pkgs, line)
	}
	sort.Strings(pkgs)
	return pkgs, nil
}

// Warm compiles pkgs the way GoNB compiles a cell — a throwaway module named gonb_*, a go.work that uses it
// and the repository, a replace rule for this module — so that the Go build cache holds every package a
// notebook is likely to import. Returns the temporary folder's build output on failure.
func Warm(ctx context.Context, repo string, pkgs []string) error {
	dir, err := os.MkdirTemp("", "gonb_warm")
	if err != nil {
		return fmt.Errorf("kernelspec: warm up: %w", err)
	}
	defer os.RemoveAll(dir)
	// GoNB names its module after the folder; the shim keys on the gonb_ prefix too.
	mod := "gonb_" + strings.TrimPrefix(filepath.Base(dir), "gonb_warm")
	var main strings.Builder
	main.WriteString("package main\n\nimport (\n")
	for _, p := range pkgs {
		fmt.Fprintf(&main, "\t_ %q\n", p)
	}
	main.WriteString(")\n\nfunc main() {}\n")
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(main.String()), 0o644); err != nil {
		return fmt.Errorf("kernelspec: warm up: %w", err)
	}
	for _, args := range [][]string{
		{"mod", "init", mod},
		{"mod", "edit", "-replace", ModulePath + "=" + repo},
		{"work", "init"},
		{"work", "use", ".", repo},
		{"build", "-o", filepath.Join(dir, "warm"), "."},
	} {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("kernelspec: warm up `go %s` failed: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}
