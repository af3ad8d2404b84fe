package demodb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// ErrNoPostgres is wrapped by FindBinaries (and so by Start) when the PostgreSQL server programs are
// missing and could not be installed.
var ErrNoPostgres = errors.New("postgresql server binaries not found")

// minMajor is the oldest PostgreSQL the dataset and the replica set-up need (core gen_random_uuid,
// pg_basebackup -R writing standby.signal).
const minMajor = 13

var requiredBinaries = []string{"initdb", "pg_ctl", "postgres", "pg_basebackup"}

// FindBinaries returns the folder holding initdb, pg_ctl, postgres and pg_basebackup together. It looks
// on PATH, then in `pg_config --bindir`, then in /usr/lib/postgresql/*/bin (highest version first).
// When none is found, it is root and the system is Debian, it runs `apt-get install -y postgresql`
// (and `apt-get update` first if that fails), telling log what it does. The error wraps ErrNoPostgres
// when the binaries stay missing.
func FindBinaries(ctx context.Context, log io.Writer) (string, error) {
	if log == nil {
		log = io.Discard
	}
	if dir, ok := findBinDir(ctx); ok {
		return checkVersion(ctx, dir)
	}
	if os.Geteuid() != 0 || !isDebian() {
		return "", fmt.Errorf("%w: looked on PATH, in pg_config --bindir and in /usr/lib/postgresql/*/bin for %s; "+
			"install PostgreSQL %d or newer (Debian/Ubuntu: sudo apt-get install postgresql; macOS: brew install postgresql@16) "+
			"or put its bin folder on PATH", ErrNoPostgres, strings.Join(requiredBinaries, ", "), minMajor)
	}
	// Test binaries of several packages may get here at once: one installs, the others wait for it.
	if f, err := os.OpenFile(filepath.Join(os.TempDir(), "replicalab-postgres-install.lock"), os.O_CREATE|os.O_RDWR, 0o600); err == nil {
		defer f.Close()
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if dir, ok := findBinDir(ctx); ok {
			return checkVersion(ctx, dir)
		}
	}
	if err := aptInstall(ctx, log); err != nil {
		return "", fmt.Errorf("%w: installing with apt-get failed: %w", ErrNoPostgres, err)
	}
	if dir, ok := findBinDir(ctx); ok {
		return checkVersion(ctx, dir)
	}
	return "", fmt.Errorf("%w: apt-get installed postgresql but %s are still missing", ErrNoPostgres, strings.Join(requiredBinaries, ", "))
}

func findBinDir(ctx context.Context) (string, bool) {
	var candidates []string
	for _, name := range requiredBinaries {
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		if r, err := filepath.EvalSymlinks(p); err == nil {
			candidates = append(candidates, filepath.Dir(r))
		}
		candidates = append(candidates, filepath.Dir(p))
	}
	if out, err := exec.CommandContext(ctx, "pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	candidates = append(candidates, debianBinDirs()...)
	for _, dir := range candidates {
		if hasAll(dir) {
			return dir, true
		}
	}
	return "", false
}

func hasAll(dir string) bool {
	if dir == "" {
		return false
	}
	for _, name := range requiredBinaries {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// debianBinDirs lists /usr/lib/postgresql/<version>/bin, highest version first.
func debianBinDirs() []string {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(p string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(p)), 64)
		return v
	}
	sort.Slice(matches, func(i, j int) bool { return version(matches[i]) > version(matches[j]) })
	return matches
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

func checkVersion(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, filepath.Join(dir, "postgres"), "--version").Output()
	if err != nil {
		return "", fmt.Errorf("running %s --version: %w", filepath.Join(dir, "postgres"), err)
	}
	m := versionRE.FindSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("reading the version of %s: expected \"postgres (PostgreSQL) N...\", found %q", dir, strings.TrimSpace(string(out)))
	}
	major, _ := strconv.Atoi(string(m[1]))
	if major < minMajor {
		return "", fmt.Errorf("%w: %s holds PostgreSQL %d, expected %d or newer", ErrNoPostgres, dir, major, minMajor)
	}
	return dir, nil
}

func isDebian() bool {
	_, err := os.Stat("/etc/debian_version")
	return err == nil
}

// aptInstall installs the Debian postgresql package without letting it create and start its own
// default cluster (only when the administrator has not configured that already).
func aptInstall(ctx context.Context, log io.Writer) error {
	const conf = "/etc/postgresql-common/createcluster.conf"
	if _, err := os.Stat(conf); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(conf), 0o755); err == nil {
			_ = os.WriteFile(conf, []byte("# Written by replicalab's demodb before installing postgresql: no default cluster.\ncreate_main_cluster = false\n"), 0o644)
		}
	}
	install := func() error {
		fmt.Fprintln(log, "PostgreSQL not found: running apt-get install -y postgresql (as root on Debian)")
		return runLogged(ctx, log, "apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "--no-install-recommends", "postgresql")
	}
	if err := install(); err == nil {
		return nil
	}
	fmt.Fprintln(log, "apt-get install failed: running apt-get update, then trying again")
	if err := runLogged(ctx, log, "apt-get", "-o", "DPkg::Lock::Timeout=300", "update"); err != nil {
		return err
	}
	return install()
}

func runLogged(ctx context.Context, log io.Writer, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	var tail bytes.Buffer
	cmd.Stdout = io.MultiWriter(log, &tail)
	cmd.Stderr = cmd.Stdout
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, lastLines(tail.String(), 5))
	}
	return nil
}

// lastLines returns the last n non-empty lines of s, joined by " | ".
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
