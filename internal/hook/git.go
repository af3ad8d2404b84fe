package hook

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// repo runs git in one work tree. The environment is inherited, so inside a
// hook GIT_INDEX_FILE (the index git is about to commit, possibly a
// temporary one for `git commit -a` or `git commit <paths>`) is the one
// read and updated.
type repo struct {
	dir string // top level of the work tree
}

// git runs one git command and returns its stdout; the error carries git's
// stderr.
func (r *repo) git(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = r.dir
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}

// openRepo finds the top level of the work tree containing dir.
func openRepo(ctx context.Context, dir string) (*repo, error) {
	out, err := (&repo{dir: dir}).git(ctx, nil, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("expected to run inside a git work tree, found none at %q: %w", dir, err)
	}
	return &repo{dir: strings.TrimSpace(string(out))}, nil
}

// entry is one file of the index.
type entry struct {
	mode string // 100644, 100755, 120000 (symlink), 160000 (submodule)
	oid  string
	path string
}

func (e entry) regular() bool { return e.mode == "100644" || e.mode == "100755" }

// stagedEntries lists files added or modified in the index compared with
// HEAD (all of them before the first commit). Deletions need no check;
// renames show as additions.
func (r *repo) stagedEntries(ctx context.Context) ([]entry, error) {
	base := "HEAD"
	if _, err := r.git(ctx, nil, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"); err != nil {
		out, err := r.git(ctx, strings.NewReader(""), "hash-object", "-t", "tree", "--stdin")
		if err != nil {
			return nil, err
		}
		base = strings.TrimSpace(string(out))
	}
	out, err := r.git(ctx, nil, "diff-index", "--cached", "-z", "--no-renames", "--diff-filter=AMT", base)
	if err != nil {
		return nil, err
	}
	// :oldmode newmode oldoid newoid status NUL path NUL
	var es []entry
	fields := bytes.Split(out, []byte{0})
	for i := 0; i+1 < len(fields); i += 2 {
		meta := strings.Fields(strings.TrimPrefix(string(fields[i]), ":"))
		if len(meta) < 5 {
			return nil, fmt.Errorf("git diff-index: expected \":mode mode oid oid status\", found %q", fields[i])
		}
		es = append(es, entry{mode: meta[1], oid: meta[3], path: string(fields[i+1])})
	}
	return es, nil
}

// indexEntries lists the index entries of the given paths (all when none),
// and apart the paths a merge left unmerged.
func (r *repo) indexEntries(ctx context.Context, paths []string) ([]entry, []string, error) {
	args := []string{"ls-files", "-s", "-z", "--"}
	out, err := r.git(ctx, nil, append(args, paths...)...)
	if err != nil {
		return nil, nil, err
	}
	var es []entry
	var unmerged []string
	for _, rec := range bytes.Split(out, []byte{0}) {
		if len(rec) == 0 {
			continue
		}
		// mode oid stage TAB path
		meta, path, ok := bytes.Cut(rec, []byte{'\t'})
		f := strings.Fields(string(meta))
		if !ok || len(f) != 3 {
			return nil, nil, fmt.Errorf("git ls-files: expected \"mode oid stage<TAB>path\", found %q", rec)
		}
		if f[2] != "0" {
			if p := string(path); len(unmerged) == 0 || unmerged[len(unmerged)-1] != p {
				unmerged = append(unmerged, p)
			}
			continue
		}
		es = append(es, entry{mode: f[0], oid: f[1], path: string(path)})
	}
	return es, unmerged, nil
}

// worktreeBlob returns the working copy of e when it is exactly the staged
// blob (same git object id), which saves inflating it from the object store.
func (r *repo) worktreeBlob(e entry) ([]byte, bool) {
	p := filepath.Join(r.dir, filepath.FromSlash(e.path))
	st, err := os.Lstat(p)
	if err != nil || !st.Mode().IsRegular() {
		return nil, false
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	var h hash.Hash
	switch len(e.oid) {
	case 40:
		h = sha1.New()
	case 64:
		h = sha256.New()
	default:
		return nil, false
	}
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	if hex.EncodeToString(h.Sum(nil)) != e.oid {
		return nil, false
	}
	return data, true
}

// readBlobs streams the contents of the blobs to fn through `git cat-file
// --batch`, split over up to `procs` processes (inflating is git's
// bottleneck), so fn is called concurrently. fn owns the slice it is given.
func (r *repo) readBlobs(ctx context.Context, oids []string, procs int, fn func(i int, data []byte) error) error {
	procs = max(1, min(procs, len(oids)))
	errs := make([]error, procs)
	var wg sync.WaitGroup
	for p := range procs {
		lo, hi := p*len(oids)/procs, (p+1)*len(oids)/procs
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[p] = r.readBlobsOnce(ctx, oids[lo:hi], func(i int, data []byte) error { return fn(lo+i, data) })
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (r *repo) readBlobsOnce(ctx context.Context, oids []string, fn func(i int, data []byte) error) error {
	if len(oids) == 0 {
		return nil
	}
	cmd := exec.CommandContext(ctx, "git", "cat-file", "--batch")
	cmd.Dir = r.dir
	var errb bytes.Buffer
	cmd.Stderr = &errb
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("git cat-file: %w", err)
	}
	go func() {
		w := bufio.NewWriter(in)
		for _, o := range oids {
			w.WriteString(o + "\n")
		}
		w.Flush()
		in.Close()
	}()
	br := bufio.NewReaderSize(outPipe, 1<<16)
	var readErr error
	for i, o := range oids {
		hdr, err := br.ReadString('\n')
		if err != nil {
			readErr = fmt.Errorf("git cat-file: reading the header of %s: %w", o, err)
			break
		}
		f := strings.Fields(hdr)
		if len(f) != 3 || f[1] != "blob" {
			readErr = fmt.Errorf("git cat-file: expected \"%s blob <size>\", found %q", o, strings.TrimSpace(hdr))
			break
		}
		n, err := strconv.Atoi(f[2])
		if err != nil {
			readErr = fmt.Errorf("git cat-file: bad size in %q", strings.TrimSpace(hdr))
			break
		}
		data := make([]byte, n+1) // + the newline after the contents
		if _, err := io.ReadFull(br, data); err != nil {
			readErr = fmt.Errorf("git cat-file: reading %s: %w", o, err)
			break
		}
		if err := fn(i, data[:n]); err != nil {
			readErr = err
			break
		}
	}
	if readErr != nil {
		_ = cmd.Process.Kill()
	}
	werr := cmd.Wait()
	if readErr != nil {
		return readErr
	}
	if werr != nil {
		return fmt.Errorf("git cat-file: %w: %s", werr, strings.TrimSpace(errb.String()))
	}
	return nil
}

// writeBlobs stores contents as blobs, as is (no clean filter), and returns
// their ids, with one `git hash-object` for all of them.
func (r *repo) writeBlobs(ctx context.Context, contents [][]byte) ([]string, error) {
	if len(contents) == 0 {
		return nil, nil
	}
	tmp, err := os.MkdirTemp("", "replicalab-hook-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	var paths strings.Builder
	for i, c := range contents {
		p := filepath.Join(tmp, strconv.Itoa(i))
		if err := os.WriteFile(p, c, 0o600); err != nil {
			return nil, err
		}
		paths.WriteString(p + "\n")
	}
	out, err := r.git(ctx, strings.NewReader(paths.String()), "hash-object", "-w", "--no-filters", "--stdin-paths")
	if err != nil {
		return nil, err
	}
	oids := strings.Fields(string(out))
	if len(oids) != len(contents) {
		return nil, fmt.Errorf("git hash-object: expected %d object ids, found %d", len(contents), len(oids))
	}
	return oids, nil
}

// updateIndex points index entries at new blobs, keeping their modes.
func (r *repo) updateIndex(ctx context.Context, es []entry) error {
	if len(es) == 0 {
		return nil
	}
	var b bytes.Buffer
	for _, e := range es {
		fmt.Fprintf(&b, "%s %s\t%s\x00", e.mode, e.oid, e.path)
	}
	_, err := r.git(ctx, &b, "update-index", "-z", "--index-info")
	return err
}

// config reads the git configuration keys under the given prefixes.
func (r *repo) config(ctx context.Context, regexp string) (map[string][]string, error) {
	out, err := r.git(ctx, nil, "config", "-z", "--get-regexp", regexp)
	var ee *exec.ExitError
	if err != nil && errors.As(err, &ee) && ee.ExitCode() == 1 {
		return map[string][]string{}, nil // no such key
	}
	if err != nil {
		return nil, err
	}
	m := map[string][]string{}
	for _, rec := range bytes.Split(out, []byte{0}) {
		if len(rec) == 0 {
			continue
		}
		k, v, _ := strings.Cut(string(rec), "\n")
		m[strings.ToLower(k)] = append(m[strings.ToLower(k)], v)
	}
	return m, nil
}

// gitBool reads a git boolean value ("true", "yes", "on", "1", or a key
// given without a value).
func gitBool(vals []string) bool {
	if len(vals) == 0 {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(vals[len(vals)-1])) {
	case "", "true", "yes", "on", "1":
		return true
	}
	return false
}
