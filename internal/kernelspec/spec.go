package kernelspec

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/replicalab/replicalab/internal/atomicfile"
)

// Name is the kernelspec's folder name; DisplayName is what JupyterLab's launcher shows.
const (
	// KernelBinary is the kernel process (./kernel built into the tools folder): the Jupyter front that
	// runs GoNB as a child.
	KernelBinary = "replicalab-kernel"
	Name         = "replicalab"
	DisplayName  = "Go (replica)"
	// ModulePath is this repository's module; the kernel's --go_work points at its root.
	ModulePath = "github.com/replicalab/replicalab"
)

// Spec is the content of kernel.json (the fields Jupyter reads, plus our metadata).
type Spec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env"`
	Metadata      map[string]any    `json:"metadata,omitempty"`
}

// Layout says where everything of an installation lives.
type Layout struct {
	Repo    string // repository root: the folder holding go.mod
	Tools   string // <repo>/.tools/bin: gonb, goimports, gopls
	Shim    string // <repo>/.tools/shim: the `go` shim, first on the kernel's PATH
	GoRoot  string // the Go toolchain the tools were built with
	DataDir string // Jupyter data directory; the kernelspec is DataDir/kernels/replicalab
}

// SpecDir is the folder holding kernel.json.
func (l Layout) SpecDir() string { return filepath.Join(l.DataDir, "kernels", Name) }

// NewSpec builds the kernel.json content for l. It refuses a relative repository path: GoNB dies at
// start when --go_work is relative.
func NewSpec(l Layout) (Spec, error) {
	if !filepath.IsAbs(l.Repo) {
		return Spec{}, fmt.Errorf("kernelspec: --go_work needs an absolute path, found %q", l.Repo)
	}
	if strings.ContainsRune(l.Repo, ',') {
		// GoNB splits --go_work on commas.
		return Spec{}, fmt.Errorf("kernelspec: repository path %q contains a comma, which GoNB's --go_work cannot take", l.Repo)
	}
	path := []string{l.Shim, l.Tools}
	if l.GoRoot != "" {
		path = append(path, filepath.Join(l.GoRoot, "bin"))
	}
	return Spec{
		Argv: []string{
			filepath.Join(l.Tools, KernelBinary),
			"serve",
			"--kernel", "{connection_file}",
			"--go_work=" + l.Repo,
			"--gonb=" + filepath.Join(l.Tools, "gonb"),
		},
		DisplayName:   DisplayName,
		Language:      "go",
		InterruptMode: "message",
		Env: map[string]string{
			// jupyter_client substitutes ${PATH} from the server's environment at kernel start.
			"PATH": strings.Join(path, string(os.PathListSeparator)) + string(os.PathListSeparator) + "${PATH}",
			// Never let `go` fetch another toolchain behind the user's back.
			"GOTOOLCHAIN": "local",
			// Lets helpers find the repository (data/, reports/) from any notebook folder.
			"REPLICALAB_REPO": l.Repo,
		},
		Metadata: map[string]any{
			"replicalab": map[string]any{"go_work": l.Repo, "tools": l.Tools},
		},
	}, nil
}

// WriteSpec writes kernel.json and the logo into l.SpecDir(), replacing an earlier install of ours.
func WriteSpec(l Layout, s Spec) error {
	dir := l.SpecDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("kernelspec: create %s: %w", dir, err)
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("kernelspec: encode kernel.json: %w", err)
	}
	data = append(data, '\n')
	if err := writeFileAtomic(filepath.Join(dir, "kernel.json"), data, 0o644); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, "logo-svg.svg"), []byte(logoSVG), 0o644)
}

// ReadSpec reads the kernel.json of the kernelspec named name under dataDir.
func ReadSpec(dataDir, name string) (Spec, error) {
	var s Spec
	p := filepath.Join(dataDir, "kernels", name, "kernel.json")
	data, err := os.ReadFile(p)
	if err != nil {
		return s, fmt.Errorf("kernelspec: read %s: %w", p, err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("kernelspec: %s is not valid JSON: %w", p, err)
	}
	return s, nil
}

// RemoveSpec deletes our kernelspec folder under dataDir. It reports whether one was there.
func RemoveSpec(dataDir string) (bool, error) {
	dir := filepath.Join(dataDir, "kernels", Name)
	if _, err := os.Stat(filepath.Join(dir, "kernel.json")); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return true, fmt.Errorf("kernelspec: remove %s: %w", dir, err)
	}
	return true, nil
}

// DataDirCandidates lists, in precedence order, the Jupyter data directories install may pick for repo,
// with the reason for each. The first one is where install writes; --data-dir (flagDir) excludes the others.
func DataDirCandidates(repo, flagDir string) []Candidate {
	if flagDir != "" {
		// An explicit folder is the only one considered: install, status and uninstall touch nothing else.
		return []Candidate{{flagDir, "--data-dir"}}
	}
	var out []Candidate
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		out = append(out, Candidate{d, "$JUPYTER_DATA_DIR"})
	}
	if _, err := os.Stat(filepath.Join(repo, ".venv", "bin", "python")); err == nil {
		out = append(out, Candidate{filepath.Join(repo, ".venv", "share", "jupyter"), "the project's .venv (sys.prefix)"})
	}
	if d := userDataDir(); d != "" {
		out = append(out, Candidate{d, "the user's Jupyter data directory"})
	}
	return out
}

// Candidate is a Jupyter data directory and why it is considered.
type Candidate struct {
	Dir, Why string
}

func userDataDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	if runtime.GOOS == "darwin" {
		return filepath.Join(home, "Library", "Jupyter")
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "jupyter")
	}
	return filepath.Join(home, ".local", "share", "jupyter")
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := atomicfile.Write(path, data, mode); err != nil {
		return fmt.Errorf("kernelspec: %w", err)
	}
	return nil
}

// logoSVG is the launcher icon: a replica (two stacked cylinders) in Go's cyan.
const logoSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
<rect width="64" height="64" rx="10" fill="#00ADD8"/>
<g fill="none" stroke="#fff" stroke-width="3">
<ellipse cx="26" cy="16" rx="14" ry="5"/><path d="M12 16v14c0 3 6 5 14 5s14-2 14-5V16"/>
<ellipse cx="38" cy="36" rx="14" ry="5" fill="#00ADD8"/><path d="M24 36v14c0 3 6 5 14 5s14-2 14-5V36"/>
</g></svg>
`
