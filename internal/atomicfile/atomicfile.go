// Package atomicfile writes files so that a reader sees the old content or the new one, never
// a part: the content goes to a temporary file in the same folder, which is then renamed over
// the target. A failed write leaves the target as it was and no temporary file behind.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Write replaces path with data, with permissions perm, and flushes it to disk before the
// rename, so that even a crash leaves the old file or the new one.
func Write(path string, data []byte, perm os.FileMode) error {
	return WriteFunc(path, perm, true, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFunc replaces path with what fill writes (buffered), with permissions perm. With
// durable, the file is flushed to disk before the rename; without, a crash may leave an empty
// or partial file under the new name — fine for a cache whose reader checks what it reads, and
// much faster for large files.
func WriteFunc(path string, perm os.FileMode, durable bool, fill func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := fill(bw); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if durable {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if durable {
		if d, err := os.Open(dir); err == nil {
			_ = d.Sync() // the rename itself; not every file system can sync a folder
			d.Close()
		}
	}
	return nil
}

// Link makes path a hard link to src, replacing path atomically: a reader opens the old file or
// src, never a missing one. The temporary link is named like WriteFunc's temporary files.
func Link(src, path string) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	for i := 0; ; i++ {
		tmp := filepath.Join(dir, "."+base+".tmp-"+strconv.FormatInt(time.Now().UnixNano(), 36))
		err := os.Link(src, tmp)
		if errors.Is(err, fs.ErrExist) && i < 10 {
			continue
		}
		if err != nil {
			return fmt.Errorf("linking %s: %w", path, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("linking %s: %w", path, err)
		}
		return nil
	}
}

// IsTemp reports whether name (a base name) is a temporary file of WriteFunc, for folders that
// clean up after writers that died.
func IsTemp(name string) bool {
	if len(name) < 6 || name[0] != '.' {
		return false
	}
	for i := 1; i+5 <= len(name); i++ {
		if name[i:i+5] == ".tmp-" {
			return true
		}
	}
	return false
}
