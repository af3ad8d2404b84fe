package hook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// hookNames are the git hooks install writes: pre-commit cleans and scans
// what is staged, commit-msg scans the message.
var hookNames = []string{"pre-commit", "commit-msg"}

// ConfigOwnHooksPath records that install set core.hooksPath for this
// repository (because a global one was set), so that uninstall unsets it.
const ConfigOwnHooksPath = "replicalab.hook.ownhookspath"

// installDir decides where the hooks go. A core.hooksPath set for this
// repository (or none) is used as git would. A core.hooksPath from the
// global or system configuration is shared by every repository of the
// user: it is left alone, the hooks go into this repository's own hooks
// folder and core.hooksPath is set to it for this repository only, and the
// shared folder's hooks keep running (ours call its pre-commit and
// commit-msg first; the others get a small script that runs them). note
// says what was done, for the user.
func (r *repo) installDir(ctx context.Context) (dir, note string, err error) {
	out, err := r.git(ctx, nil, "config", "--show-scope", "--get", "core.hooksPath")
	scope, shared, _ := strings.Cut(strings.TrimSpace(string(out)), "\t")
	if err != nil || scope == "local" || scope == "worktree" || shared == "" {
		dir, err = r.hooksDir(ctx)
		return dir, "", err
	}
	gitDir, err := r.commonDir(ctx)
	if err != nil {
		return "", "", err
	}
	dir = filepath.Join(gitDir, "hooks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	if strings.HasPrefix(shared, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			shared = filepath.Join(home, shared[2:])
		}
	}
	if !filepath.IsAbs(shared) {
		shared = filepath.Join(r.dir, shared)
	}
	// The shared hooks keep running: ours chain to them, the others are forwarded.
	entries, _ := os.ReadDir(shared)
	var forwarded []string
	for _, e := range entries {
		src := filepath.Join(shared, e.Name())
		if st, err := os.Stat(src); err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 == 0 || strings.Contains(e.Name(), ".") {
			continue
		}
		name := e.Name()
		for _, h := range hookNames {
			if name == h {
				name = h + chainedSuffix
			}
		}
		dst := filepath.Join(dir, name)
		if old, err := os.ReadFile(dst); err == nil && !bytes.Contains(old, []byte(hookMarker)) {
			continue // a hook of this repository's own: kept
		}
		script := "#!/bin/sh\n" + hookMarker + " forwards to the hook shared by your repositories (global core.hooksPath)\nexec " + shellQuote(src) + " \"$@\"\n"
		if err := os.WriteFile(dst, []byte(script), 0o755); err != nil {
			return "", "", err
		}
		forwarded = append(forwarded, e.Name())
	}
	if _, err := r.git(ctx, nil, "config", "--local", "core.hooksPath", dir); err != nil {
		return "", "", err
	}
	if _, err := r.git(ctx, nil, "config", "--local", ConfigOwnHooksPath, "true"); err != nil {
		return "", "", err
	}
	note = fmt.Sprintf("core.hooksPath is set in your %s git config to %s, which your other repositories share: left it unchanged.\n"+
		"  Installed into %s instead and set core.hooksPath to it for this repository only (git config --local).", scope, shared, dir)
	if len(forwarded) > 0 {
		note += fmt.Sprintf("\n  The shared hooks still run here: %s.", strings.Join(forwarded, ", "))
	}
	return dir, note, nil
}

const chainedSuffix = ".chained"

// hookScriptFor is the script git runs for hook name: the hook of another
// tool kept as <name>.chained first, then replicalab-hook.
func hookScriptFor(binary, name string) string {
	return `#!/bin/sh
` + hookMarker + ` installed by "make hooks" (go run ./scripts/hook install); remove with "replicalab-hook uninstall".
# Commits notebooks without outputs and refuses secrets: see internal/hook in replicalab.
here=$(dirname "$0")
if [ -x "$here/` + name + chainedSuffix + `" ]; then
	"$here/` + name + chainedSuffix + `" "$@" || exit $?
fi
bin=` + shellQuote(binary) + `
if [ ! -x "$bin" ]; then
	echo "replicalab-hook: $bin is missing: run 'make hooks' to build it again" >&2
	exit 1
fi
exec "$bin" ` + name + ` "$@"
`
}

// writeHook installs hook name in dir, keeping another tool's hook as
// <name>.chained (it runs first).
func writeHook(dir, name, binary string, stdout io.Writer) error {
	hookPath := filepath.Join(dir, name)
	if old, err := os.ReadFile(hookPath); err == nil && !bytes.Contains(old, []byte(hookMarker)) {
		chained := filepath.Join(dir, name+chainedSuffix)
		if _, err := os.Stat(chained); err == nil {
			return fmt.Errorf("expected no %s next to a foreign %s hook, found both in %s: merge them by hand", name+chainedSuffix, name, dir)
		}
		if err := os.Rename(hookPath, chained); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "kept your existing %s hook as %s; it runs first\n", name, chained)
	}
	if err := os.WriteFile(hookPath, []byte(hookScriptFor(binary, name)), 0o755); err != nil {
		return err
	}
	return os.Chmod(hookPath, 0o755)
}

// removeHook removes hook name from dir if it is ours, restoring a chained
// one.
func removeHook(dir, name string, stdout io.Writer) error {
	hookPath := filepath.Join(dir, name)
	old, err := os.ReadFile(hookPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !bytes.Contains(old, []byte(hookMarker)):
		return fmt.Errorf("expected our hook in %s, found another tool's: left it alone", hookPath)
	}
	if err := os.Remove(hookPath); err != nil {
		return err
	}
	chained := filepath.Join(dir, name+chainedSuffix)
	if c, err := os.ReadFile(chained); err == nil {
		if bytes.Contains(c, []byte(hookMarker)) {
			return os.Remove(chained) // our forwarder to a shared hook
		}
		if err := os.Rename(chained, hookPath); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "restored the previous %s hook %s\n", name, hookPath)
	}
	return nil
}

// removeForwarders removes the scripts install wrote to run shared hooks,
// and unsets the core.hooksPath it set.
func (r *repo) removeForwarders(ctx context.Context, dir string) {
	cfg, err := r.config(ctx, `^replicalab\.hook\.ownhookspath$`)
	if err != nil || !gitBool(cfg[strings.ToLower(ConfigOwnHooksPath)]) {
		return
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte("global core.hooksPath")) && bytes.Contains(b, []byte(hookMarker)) {
			os.Remove(p)
		}
	}
	_, _ = r.git(ctx, nil, "config", "--local", "--unset", "core.hooksPath")
	_, _ = r.git(ctx, nil, "config", "--local", "--unset", ConfigOwnHooksPath)
}

// commonDir is the git folder shared by every work tree of the repository
// (.git in a plain clone; the main clone's .git for a linked work tree).
func (r *repo) commonDir(ctx context.Context) (string, error) {
	out, err := r.git(ctx, nil, "rev-parse", "--git-common-dir")
	if err != nil {
		return "", err
	}
	dir := strings.TrimSpace(string(out))
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(r.dir, dir)
	}
	return dir, nil
}
