package demodb

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/joho/godotenv"
	"github.com/replicalab/replicalab/internal/atomicfile"
)

// EnvMarker is the line that marks an env file as written by demodb (and so safe to overwrite).
const EnvMarker = "REPLICALAB_DEMO=1"

// ErrForeignEnvFile is wrapped by Start when the env file exists without the EnvMarker line: it holds
// the user's own settings, which win over the demo.
var ErrForeignEnvFile = errors.New("env file holds your own settings")

// checkEnvFile returns nil when path is absent or was written by demodb.
func checkEnvFile(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the env file %q: %w", path, err)
	}
	if vars, err := godotenv.Unmarshal(string(data)); err == nil && vars["REPLICALAB_DEMO"] == "1" {
		return nil
	}
	return fmt.Errorf("refusing to overwrite %q: %w (it has no %s line); the demo database was not started. "+
		"Keep it to use your own replica, or remove it (or pass --env-file PATH) to use the demo", path, ErrForeignEnvFile, EnvMarker)
}

// writeEnvFile writes the replica's settings to path (mode 0600) after checking it is ours to write.
func writeEnvFile(path string, env [][2]string) error {
	if err := checkEnvFile(path); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("# Written by scripts/demodb: the local demo read replica. Replace this file to use your own replica.\n")
	b.WriteString(EnvMarker + "\n")
	for _, kv := range env {
		b.WriteString(kv[0] + "=" + kv[1] + "\n")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing the env file: %w", err)
	}
	if err := atomicfile.Write(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("writing the env file: %w", err)
	}
	return nil
}
