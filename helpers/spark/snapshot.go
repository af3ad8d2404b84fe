package spark

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/spark-connect-go/spark/sql"
	"github.com/replicalab/replicalab/internal/atomicfile"
	"github.com/replicalab/replicalab/internal/numfmt"
)

// snapshotMeta records a snapshot: which view definition it holds, read from which replicas when, and
// where Spark wrote it. It lives in <local dir>/snapshots/<view>-<hash>.json, written after the data.
type snapshotMeta struct {
	View       string        `json:"view"`
	Definition string        `json:"definition"`
	Target     string        `json:"target"` // user@hosts/database the rows were read from
	Path       string        `json:"path"`   // what Spark wrote: a folder of Parquet files
	TakenAt    time.Time     `json:"taken_at"`
	Rows       int64         `json:"rows"`
	Elapsed    time.Duration `json:"elapsed_ns"`
	LagKnown   bool          `json:"lag_known"`
	Lag        time.Duration `json:"lag_ns"` // the largest lag among the replicas read
	Read       string        `json:"read"`   // how it was read, e.g. "8 partitions on id over 2 replicas"

	file string
}

// String is "of events taken 2026-11-30 10:03 UTC (5,000,000 rows, replica lag 0.0 s)".
func (m *snapshotMeta) String() string {
	lag := "replica lag unknown"
	if m.LagKnown {
		lag = fmt.Sprintf("replica lag %.1f s", m.Lag.Seconds())
	}
	return fmt.Sprintf("of %s taken %s (%s rows, %s)", m.View, m.TakenAt.UTC().Format("2006-01-02 15:04 UTC"), numfmt.Int(m.Rows), lag)
}

// Snapshot describes a view's snapshot (Session.Snapshots).
type SnapshotInfo struct {
	View    string
	Path    string
	TakenAt time.Time
	Rows    int64
	Elapsed time.Duration
	Read    string
}

func (s *Session) metaDir() string { return filepath.Join(s.localDir, "snapshots") }

func (s *Session) metaFile(v *view) string {
	return filepath.Join(s.metaDir(), v.Name+"-"+hashOf(s.Target()+"\n"+v.definition())+".json")
}

// findSnapshot returns the snapshot of v's current definition, or nil when there is none (or its data
// is gone).
func (s *Session) findSnapshot(v *view) (*snapshotMeta, error) {
	file := s.metaFile(v)
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("spark: reading snapshot record %s: %w", file, err)
	}
	m := &snapshotMeta{file: file}
	if err := json.Unmarshal(data, m); err != nil || m.Definition != v.definition() || m.Target != s.Target() {
		return nil, nil // damaged or another definition: take a new one
	}
	if local(m.Path) {
		if _, err := os.Stat(filepath.Join(m.Path, "_SUCCESS")); err != nil {
			return nil, nil
		}
	}
	return m, nil
}

// takeSnapshot writes df (v read from the replicas) to Parquet once, then records it.
func (s *Session) takeSnapshot(ctx context.Context, sp sql.SparkSession, v *view, df sql.DataFrame, rs []Replica) (*snapshotMeta, error) {
	if s.snapshotDir == "" {
		return nil, fmt.Errorf("spark: view %q asks for a snapshot, but %s is not set: with SPARK_REMOTE, name a folder the cluster can write and read (e.g. s3a://bucket/replicalab)", v.Name, KeySnapshotDir)
	}
	old, _ := s.findSnapshot(v)
	start := time.Now().UTC()
	path := strings.TrimRight(s.snapshotDir, "/") + "/" + v.Name + "-" + hashOf(s.Target()+"\n"+v.definition()) + "-" + start.Format("20060102T150405.000000000")
	if local(path) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("spark: %w", err)
		}
	}
	s.say(fmt.Sprintf("taking a snapshot of %s (%s) into %s…", v.Name, v.readFrom, path))
	if err := df.Writer().Mode("errorifexists").Format("parquet").Save(ctx, path); err != nil {
		return nil, s.explain(fmt.Errorf("spark: writing the snapshot of %q to %s: %w", v.Name, path, err))
	}
	m := &snapshotMeta{View: v.Name, Definition: v.definition(), Target: s.Target(), Path: path, TakenAt: start,
		Elapsed: time.Since(start), Read: v.readFrom, file: s.metaFile(v)}
	for _, r := range rs {
		if r.LagKnown {
			m.LagKnown = true
			m.Lag = max(m.Lag, r.Lag)
		}
	}
	if back, err := sp.Read().Format("parquet").Load(path); err == nil {
		if n, err := back.Count(ctx); err == nil { // Parquet footers: no data read
			m.Rows = n
		}
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.metaDir(), 0o700); err != nil {
		return nil, fmt.Errorf("spark: %w", err)
	}
	if err := atomicfile.Write(m.file, append(data, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("spark: recording the snapshot: %w", err)
	}
	if old != nil && old.Path != path && local(old.Path) {
		_ = os.RemoveAll(old.Path)
	}
	s.say(fmt.Sprintf("snapshot %s written in %.1f s", m, m.Elapsed.Seconds()))
	return m, nil
}

// local reports whether a snapshot path is a folder of this machine (not s3a://, hdfs://...).
func local(path string) bool {
	return !strings.Contains(path, "://") || strings.HasPrefix(path, "file://")
}
