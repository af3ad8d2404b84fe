// Package repo finds the project's repository: the one rule every part of replicalab uses to
// decide where data/, reports/ and notebooks/ are.
//
// The repository is $REPLICALAB_REPO when it is set (the "Go (replica)" kernel sets it for every
// cell, whose working folder is wherever the notebook is), else the nearest folder at or above the
// starting folder that holds a go.mod file.
package repo

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EnvVar names the repository for programs that do not run inside it.
const EnvVar = "REPLICALAB_REPO"

// ErrNotFound is wrapped by Root when no repository can be found.
var ErrNotFound = errors.New("repo: no repository found")

// Root returns the repository: $REPLICALAB_REPO if set (it must be a folder), else the nearest
// folder at or above start (the working folder when start is "") that holds a go.mod. The path
// is absolute.
func Root(start string) (string, error) {
	if r := os.Getenv(EnvVar); r != "" {
		abs, err := filepath.Abs(r)
		if err != nil {
			return "", fmt.Errorf("repo: %s=%q: %w", EnvVar, r, err)
		}
		if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
			return "", fmt.Errorf("%w: %s=%q is not a folder", ErrNotFound, EnvVar, r)
		}
		return abs, nil
	}
	return Walk(start)
}

// Walk ignores $REPLICALAB_REPO: it returns the nearest folder at or above start (the working
// folder when start is "") holding a go.mod.
func Walk(start string) (string, error) {
	if start == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("repo: finding the working folder: %w", err)
		}
		start = wd
	}
	abs, err := filepath.Abs(start)
	if err != nil {
		return "", fmt.Errorf("repo: %q: %w", start, err)
	}
	for d := abs; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && !fi.IsDir() {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%w: %s is not set and no go.mod is in %s or above", ErrNotFound, EnvVar, abs)
		}
	}
}

// Module returns the module path the go.mod of dir declares.
func Module(dir string) (string, error) {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("repo: %s declares no module", filepath.Join(dir, "go.mod"))
}
