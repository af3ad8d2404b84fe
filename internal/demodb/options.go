package demodb

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/replicalab/replicalab/internal/repo"
)

// Default ports, names and scales of the demo database.
const (
	DefaultPrimaryPort = 25432
	DefaultReplicaPort = 25433
	Database           = "marketplace"
	User               = "analyst"
	superuser          = "postgres"
	host               = "127.0.0.1"

	ScaleSmall  = 1.0   // events ≈ 50,000 rows: CI, a few seconds
	ScaleMedium = 10.0  // events ≈ 500,000 rows
	ScaleLarge  = 100.0 // events = 5,000,000 rows: benchmarks
)

// Options configure a Cluster. The zero value means: the default folder of the repository, the default
// ports, scale small, no TLS, and no env file written.
type Options struct {
	// Dir is the folder that holds the state file and, when the server user can reach it, the data.
	// Empty means DefaultDir().
	Dir string
	// PrimaryPort and ReplicaPort are TCP ports on 127.0.0.1; 0 means the recorded ones for an existing
	// cluster, else DefaultPrimaryPort and DefaultReplicaPort.
	PrimaryPort, ReplicaPort int
	// Scale multiplies the row counts (ScaleSmall, ScaleMedium, ScaleLarge or any positive number);
	// 0 means the recorded scale of an existing cluster, else ScaleSmall.
	Scale float64
	// TLS turns on SSL on every server with a certificate signed by a CA generated for the cluster.
	TLS bool
	// EnvFile, when set, is the .env file Start writes for the replica (mode 0600). Start refuses to
	// touch a file that lacks the REPLICALAB_DEMO=1 marker.
	EnvFile string
	// Log receives short progress lines; nil discards them.
	Log io.Writer
}

// ParseScale reads a scale: "small", "medium", "large" or a positive multiplier such as "0.5" or "25".
func ParseScale(s string) (float64, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "small", "":
		return ScaleSmall, nil
	case "medium":
		return ScaleMedium, nil
	case "large":
		return ScaleLarge, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 || f > 1000 {
		return 0, fmt.Errorf("scale: expected small, medium, large or a number in (0, 1000], found %q", s)
	}
	return f, nil
}

// ScaleName names a scale the way ParseScale reads it.
func ScaleName(f float64) string {
	switch f {
	case ScaleSmall:
		return "small"
	case ScaleMedium:
		return "medium"
	case ScaleLarge:
		return "large"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// RepoRoot returns the repository found from dir by internal/repo ($REPLICALAB_REPO, else the
// nearest folder at or above dir that holds a go.mod file).
func RepoRoot(dir string) (string, error) {
	root, err := repo.Root(dir)
	if err != nil {
		return "", fmt.Errorf("%w: run from inside the repository or pass --dir and --env-file", err)
	}
	return root, nil
}

// DefaultDir is <repository root>/data/demodb, the repository found from the working directory.
func DefaultDir() (string, error) {
	root, err := repoRootFromWD()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "data", "demodb"), nil
}

// DefaultEnvFile is <repository root>/.env, the repository found from the working directory.
func DefaultEnvFile() (string, error) {
	root, err := repoRootFromWD()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, ".env"), nil
}

func repoRootFromWD() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the working directory: %w", err)
	}
	return RepoRoot(wd)
}

// ErrPortInUse is wrapped by Start when a port it needs is taken by another program.
var ErrPortInUse = errors.New("port in use")
