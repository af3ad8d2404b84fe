package kernelspec

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Tool is a program the kernel needs, built from a pinned module version.
type Tool struct {
	Name    string // binary name in <repo>/.tools/bin
	Package string // package path to build
	Module  string // module holding Package
	Version string // pinned version; empty means "the version go.mod pins" (gonb, a tool dependency)
}

// Tools are the kernel's programs. goimports and gopls are pinned here: gopls@latest needs a newer Go than
// the project's, and both are development tools the module itself does not import.
var Tools = []Tool{
	{Name: "gonb", Package: "github.com/janpfeifer/gonb", Module: "github.com/janpfeifer/gonb"},
	{Name: "goimports", Package: "golang.org/x/tools/cmd/goimports", Module: "golang.org/x/tools", Version: "v0.52.0"},
	{Name: "gopls", Package: "golang.org/x/tools/gopls", Module: "golang.org/x/tools/gopls", Version: "v0.23.0"},
}

// ToolState is what is found for a tool on disk.
type ToolState struct {
	Tool
	Path      string
	Want      string // the pinned version
	Found     string // version recorded in the binary, "" when missing
	GoVersion string // Go version that built the binary
	Current   bool   // present, at Want, built by the Go in use
}

// goEnv returns `go env KEY`.
func goEnv(ctx context.Context, dir, key string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", key)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("kernelspec: `go env %s`: %w (is Go installed and on PATH?)", key, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// pinnedVersion resolves the version a tool should have: its own pin, or go.mod's for gonb.
func pinnedVersion(ctx context.Context, repo string, t Tool) (string, error) {
	if t.Version != "" {
		return t.Version, nil
	}
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Version}}", t.Module)
	cmd.Dir = repo
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("kernelspec: go.mod does not pin %s (expected a `tool %s` line): %w: %s",
			t.Module, t.Package, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// binaryInfo reads the Go version and main module version recorded in a Go binary (`go version -m`).
func binaryInfo(ctx context.Context, path, module string) (goVersion, modVersion string) {
	out, err := exec.CommandContext(ctx, "go", "version", "-m", path).Output()
	if err != nil {
		return "", ""
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first {
			// "<path>: go1.26.8"
			if i := strings.LastIndex(line, ": "); i >= 0 {
				goVersion = strings.TrimSpace(line[i+2:])
			}
			first = false
			continue
		}
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "mod" && f[1] == module {
			modVersion = f[2]
		}
	}
	return goVersion, modVersion
}

// InspectTools reports the state of every tool under toolsDir.
func InspectTools(ctx context.Context, repo, toolsDir string) ([]ToolState, error) {
	goVersion, err := goEnv(ctx, repo, "GOVERSION")
	if err != nil {
		return nil, err
	}
	var states []ToolState
	for _, t := range Tools {
		want, err := pinnedVersion(ctx, repo, t)
		if err != nil {
			return nil, err
		}
		st := ToolState{Tool: t, Path: filepath.Join(toolsDir, t.Name), Want: want}
		if _, err := os.Stat(st.Path); err == nil {
			st.GoVersion, st.Found = binaryInfo(ctx, st.Path, t.Module)
		}
		st.Current = st.Found == want && st.GoVersion == goVersion
		states = append(states, st)
	}
	return states, nil
}

// EnsureTools builds every tool that is missing or not at its pinned version, printing one line per tool.
func EnsureTools(ctx context.Context, repo, toolsDir string, out io.Writer) error {
	states, err := InspectTools(ctx, repo, toolsDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(toolsDir, 0o755); err != nil {
		return fmt.Errorf("kernelspec: create %s: %w", toolsDir, err)
	}
	for _, st := range states {
		if st.Current {
			fmt.Fprintf(out, "  %-10s %s (up to date)\n", st.Name, st.Want)
			continue
		}
		fmt.Fprintf(out, "  %-10s building %s@%s ...\n", st.Name, st.Package, st.Want)
		var cmd *exec.Cmd
		if st.Tool.Version == "" {
			// A tool dependency of this module: build it at go.mod's version.
			cmd = exec.CommandContext(ctx, "go", "build", "-o", st.Path, st.Package)
			cmd.Dir = repo
		} else {
			cmd = exec.CommandContext(ctx, "go", "install", st.Package+"@"+st.Want)
			cmd.Dir = os.TempDir() // outside the module: `go install pkg@version` ignores go.mod anyway
			cmd.Env = append(os.Environ(), "GOBIN="+toolsDir, "GOFLAGS=")
		}
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("kernelspec: building %s@%s failed: %w\n%s", st.Package, st.Want, err, buf.String())
		}
	}
	return nil
}

// shimScript answers GoNB's argument-less `go get` (its auto-get) in a GoNB temporary module and hands
// every other invocation to the real go. See the package documentation for why.
const shimScript = `#!/bin/sh
# Written by 'go run ./kernel install' (replicalab). GoNB runs a bare 'go get' before each cell build to
# fetch missing modules at @latest. The Go workspace already resolves every import to the versions pinned
# in the project's go.mod, so that one call is answered here and all others go to the real toolchain.
if [ "$1" = get ] && { [ $# -eq 1 ] || { [ $# -eq 2 ] && [ "$2" = -t ]; }; } && [ -f go.work ]; then
  case "${PWD##*/}" in gonb_*) exit 0 ;; esac
fi
exec %s "$@"
`

// WriteShim writes the `go` shim into shimDir, pointing at the go binary under goRoot.
func WriteShim(shimDir, goRoot string) error {
	if err := os.MkdirAll(shimDir, 0o755); err != nil {
		return fmt.Errorf("kernelspec: create %s: %w", shimDir, err)
	}
	realGo := filepath.Join(goRoot, "bin", "go")
	if _, err := os.Stat(realGo); err != nil {
		return fmt.Errorf("kernelspec: expected the go binary at %s: %w", realGo, err)
	}
	script := fmt.Sprintf(shimScript, shellQuote(realGo))
	return writeFileAtomic(filepath.Join(shimDir, "go"), []byte(script), 0o755)
}

// shellQuote quotes s for POSIX sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// BuildKernel builds the kernel process (this repository's ./kernel) into toolsDir. The go command skips
// the link when the binary is already up to date, so every install runs it.
func BuildKernel(ctx context.Context, repo, toolsDir string, out io.Writer) error {
	target := filepath.Join(toolsDir, KernelBinary)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", target, "./kernel")
	cmd.Dir = repo
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("kernelspec: building the kernel (go build ./kernel) failed: %w\n%s", err, buf.String())
	}
	fmt.Fprintf(out, "  %-10s built from ./kernel\n", KernelBinary)
	return nil
}

// goplsShimScript stands in for gopls when GoNB starts it under the kernel: the kernel answers completion
// with a gopls of its own, and GoNB's would load the whole workspace a second time for nothing.
const goplsShimScript = `#!/bin/sh
# Written by 'go run ./kernel install' (replicalab). The "Go (replica)" kernel answers completion with a
# gopls of its own; GoNB, its child, starts one more ('gopls -listen ...') that would load the whole
# workspace again. Under the kernel (REPLICALAB_GONB_GOPLS=off) that one ends at once; every other call
# is gopls.
if [ "$REPLICALAB_GONB_GOPLS" = off ] && [ "$1" = -listen ]; then exit 0; fi
exec %s "$@"
`

// WriteGoplsShim writes the gopls stand-in into shimDir, pointing at the gopls in toolsDir.
func WriteGoplsShim(shimDir, toolsDir string) error {
	if err := os.MkdirAll(shimDir, 0o755); err != nil {
		return fmt.Errorf("kernelspec: create %s: %w", shimDir, err)
	}
	script := fmt.Sprintf(goplsShimScript, shellQuote(filepath.Join(toolsDir, "gopls")))
	return writeFileAtomic(filepath.Join(shimDir, "gopls"), []byte(script), 0o755)
}
