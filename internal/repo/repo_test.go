package repo

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRootPrefersTheEnvironmentThenWalksUpToGoMod(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(root, "notebooks", "deep")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvVar, "")
	if got, err := Root(deep); err != nil || got != root {
		t.Errorf("Root(%s) = %q, %v; want %s", deep, got, err, root)
	}
	t.Chdir(deep)
	if got, err := Root(""); err != nil || got != root {
		t.Errorf("Root from the working folder = %q, %v", got, err)
	}
	if m, err := Module(root); err != nil || m != "example.com/x" {
		t.Errorf("Module = %q, %v", m, err)
	}
	other := t.TempDir()
	t.Setenv(EnvVar, other)
	if got, err := Root(deep); err != nil || got != other {
		t.Errorf("with %s set: %q, %v", EnvVar, got, err)
	}
	t.Setenv(EnvVar, filepath.Join(other, "missing"))
	if _, err := Root(deep); !errors.Is(err, ErrNotFound) {
		t.Errorf("a missing %s: %v, want ErrNotFound", EnvVar, err)
	}
	t.Setenv(EnvVar, "")
	if _, err := Root(other); !errors.Is(err, ErrNotFound) {
		t.Errorf("no go.mod above: %v", err)
	}
}
