package chart

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-gota/gota/dataframe"
	"github.com/jackc/pgx/v5"

	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/atomicfile"
	"github.com/replicalab/replicalab/internal/provenance"
)

// Every chart knows where its numbers came from: the query behind the DataFrame it was drawn from (loaded
// by helpers/frame), or the queries a SQL chart ran on the server, with their arguments, rows, fetch time
// and the replica's lag. Show puts that record into the notebook output (for exported reports), HTML onto
// the image, and Save beside the figure as <name>.json.

// lineageOf is the record of the rows behind a chart drawn from df; nothing for a DataFrame that
// helpers/frame did not load (or one derived from it).
func (c *Chart) from(df dataframe.DataFrame) *Chart {
	if c != nil {
		c.frame = &df
		// Rows cut at the load's row limit, or sampled, are said so on the chart: "n = 1,000,000 of
		// ≈5,000,000 rows, cut by the row limit".
		if l, ok := provenance.FrameSource(df); ok && c.Plot != nil {
			relabel(c.Plot, l.NoteOf())
		}
	}
	return c
}

// sources returns the lineage of the chart's numbers.
func (c *Chart) sources() []provenance.Lineage {
	if c.frame != nil {
		if l, ok := provenance.FrameLineage(*c.frame); ok {
			return []provenance.Lineage{l}
		}
	}
	return c.queries
}

// record is what the chart says about itself.
func (c *Chart) record() provenance.Record {
	rec := provenance.Record{Kind: provenance.Figure, Sources: c.sources(), Name: c.name}
	if c.Plot != nil {
		rec.Title = strings.TrimSpace(c.Plot.Title.Text)
		rec.Note = c.Stats().Note
	}
	if rec.Sources == nil {
		rec.Sources = []provenance.Lineage{}
	}
	return rec
}

// writeSidecar writes the chart's record beside its files as <dir>/<base>.json.
func (c *Chart) writeSidecar(dir, base string, files []string) (string, error) {
	rec := c.record()
	rec.Name = base
	type sidecar struct {
		provenance.Record
		Files []string `json:"files"`
	}
	sc := sidecar{Record: rec}
	for _, f := range files {
		sc.Files = append(sc.Files, filepath.Base(f))
	}
	data, err := json.MarshalIndent(sc, "", "  ")
	if err != nil {
		return "", fmt.Errorf("chart: save: %w", err)
	}
	path := filepath.Join(dir, base+".json")
	if err := atomicfile.Write(path, append(data, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("chart: save: %w", err)
	}
	return path, nil
}

// recorder runs a SQL chart's queries and records each: SQL, arguments, the rows returned (summarised
// for make report VERIFY=1) and when.
type recorder struct {
	q       Querier
	origin  Querier // what the caller gave (the pool q was taken from): it measures the lag
	mu      sync.Mutex
	queries []*recorded
}

type recorded struct {
	l   provenance.Lineage
	sum *provenance.Summarizer
}

func newRecorder(q Querier) *recorder { return &recorder{q: q, origin: q} }

// Query runs sql and records it, unless it reads no data (the LIMIT 0 query that learns a column's type).
func (r *recorder) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	at := time.Now()
	rows, err := r.q.Query(ctx, sql, args...)
	if err != nil || strings.HasSuffix(strings.TrimSpace(sql), " LIMIT 0") {
		return rows, err
	}
	fields := rows.FieldDescriptions()
	names := make([]string, len(fields))
	kinds := make([]provenance.ColumnKind, len(fields))
	for i, f := range fields {
		names[i], kinds[i] = f.Name, provenance.KindOfType(f.DataTypeOID)
	}
	rec := &recorded{l: provenance.NewLineage(sql, args, 0, provenance.Read{At: at}), sum: provenance.NewSummarizer(names, kinds)}
	r.mu.Lock()
	r.queries = append(r.queries, rec)
	r.mu.Unlock()
	return &recordingRows{Rows: rows, rec: rec}, nil
}

// recordingRows summarises each row as the chart reads it.
type recordingRows struct {
	pgx.Rows
	rec *recorded
}

func (r *recordingRows) Next() bool {
	if !r.Rows.Next() {
		return false
	}
	if vals, err := r.Rows.Values(); err == nil {
		r.rec.sum.Add(vals)
	}
	return true
}

// lineage returns the recorded queries, with the replica's lag measured once, now, when q can say it.
func (r *recorder) lineage(ctx context.Context) []provenance.Lineage {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.queries) == 0 {
		return nil
	}
	var read provenance.Read
	if lq, ok := r.origin.(interface {
		Lag(context.Context) (replica.Lag, error)
	}); ok {
		if lag, err := lq.Lag(ctx); err == nil && lag.Known {
			read.Lag, read.LagKnown = lag.Delay, true
		}
	}
	if iq, ok := r.origin.(interface{ Info() replica.Info }); ok {
		read.Primary = !iq.Info().InRecovery && iq.Info().ServerVersion != ""
	}
	out := make([]provenance.Lineage, len(r.queries))
	for i, q := range r.queries {
		l := q.l
		l.Numbers = q.sum.Numbers()
		l.Rows = l.Numbers.Total
		if read.LagKnown {
			s := float64(read.Lag.Milliseconds()) / 1000
			l.LagSeconds = &s
		}
		l.Primary = read.Primary
		out[i] = l
	}
	return out
}
