// Command benchcache compares the cache file of helpers/frame with Apache Arrow IPC and Parquet files
// (github.com/apache/arrow-go) on the same 1,000,000 rows × 11 columns, side by side: file size, time to
// write, time to read back. It is a module of its own so that arrow-go stays out of replicalab's go.mod:
//
//	cd scripts/benchcache && go run .            # make bench-cache
//
// Every row ends at the same thing, the gota DataFrame frame builds (same column types: times and dates as
// float seconds; NULLs kept as gota's missing values plus a NULL mask per column that has any, as frame
// keeps them), so the rows are like for like:
//
//   - write (from the DataFrame): frame's row is Result.Store of the DataFrame (columns gathered from gota
//     element by element, written with a CRC-32 checksum to a temporary file renamed into place). The
//     Arrow IPC and Parquet rows gather the same DataFrame the same way (gota's public Element API, a
//     missing value counted as NULL as frame counts it) into an Arrow record (times as timestamp[us, UTC],
//     dates as date32), then write the file (no checksum of their own beyond what the format has).
//     In parentheses: the write alone, from Arrow arrays already built.
//   - re-read into the DataFrame: frame's row is LoadNamed (file read whole, checksum verified, columns
//     decoded in parallel into gota through internal/gotalayout). The Arrow IPC and Parquet rows read the
//     file whole, decode it into Arrow arrays, then fill the DataFrame through the same fill path
//     (internal/gotalayout.NewFrame and its Writers, columns in parallel, each string column's bytes copied
//     into one block of its own, NULL masks kept). The DataFrame each format gives is checked once, outside
//     the timings, to equal frame's value for value, NULL for NULL.
//   - re-read raw: the file into Arrow arrays only (what a tool reading Arrow would stop at). frame's file
//     has no such step: its reader decodes straight into gota.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/internal/gotalayout"
)

const rows = 1_000_000

// data is the benchmark's table as plain Go slices: the shape of BenchmarkLoad1M's query (ids, times,
// short text, a nullable id, JSON, addresses, dates, money, booleans).
type data struct {
	id, user, company, rep []int64
	userNull               []bool
	at, day, amount        []float64 // seconds since 1970; money
	kind, payload, ip      []string
	anon                   []bool
}

func generate() *data {
	d := &data{}
	kinds := []string{"login", "logout", "view_part", "create_rfq", "send_quote", "place_order"}
	t0 := float64(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	for i := 0; i < rows; i++ {
		d.id = append(d.id, int64(i+1))
		d.at = append(d.at, t0+float64(i)*37.25)
		d.kind = append(d.kind, kinds[i%len(kinds)])
		d.user = append(d.user, int64(i%5000))
		d.userNull = append(d.userNull, i%7 == 0)
		d.company = append(d.company, int64(i%400))
		d.payload = append(d.payload, fmt.Sprintf(`{"part_id": %d, "source": "search", "session": "s%06d"}`, i%90000, i%100000))
		d.ip = append(d.ip, fmt.Sprintf("10.%d.%d.%d", i%256, (i/256)%256, (i/65536)%256))
		d.day = append(d.day, t0+float64(i/86400)*86400)
		d.amount = append(d.amount, float64(i%100000)/100)
		d.anon = append(d.anon, i%7 == 0)
		d.rep = append(d.rep, int64(i%20+1))
	}
	return d
}

func (d *data) frame() dataframe.DataFrame {
	ints := func(v []int64) []int {
		out := make([]int, len(v))
		for i, x := range v {
			out[i] = int(x)
		}
		return out
	}
	user := series.New(ints(d.user), series.Int, "user_id")
	for i, null := range d.userNull {
		if null {
			user.Elem(i).Set(nil)
		}
	}
	return dataframe.New(series.New(ints(d.id), series.Int, "id"), series.New(d.at, series.Float, "occurred_at"),
		series.New(d.kind, series.String, "kind"), user, series.New(ints(d.company), series.Int, "company_id"),
		series.New(d.payload, series.String, "payload"), series.New(d.ip, series.String, "ip"),
		series.New(d.day, series.Float, "day"), series.New(d.amount, series.Float, "amount"),
		series.New(d.anon, series.Bool, "anonymous"), series.New(ints(d.rep), series.Int, "rep"))
}

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "occurred_at", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "kind", Type: arrow.BinaryTypes.String},
	{Name: "user_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "company_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "payload", Type: arrow.BinaryTypes.String},
	{Name: "ip", Type: arrow.BinaryTypes.String},
	{Name: "day", Type: arrow.FixedWidthTypes.Date32},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64},
	{Name: "anonymous", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "rep", Type: arrow.PrimitiveTypes.Int64},
}, nil)

func (d *data) record(mem memory.Allocator) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues(d.id, nil)
	ts := b.Field(1).(*array.TimestampBuilder)
	for _, s := range d.at {
		ts.Append(arrow.Timestamp(int64(s * 1e6)))
	}
	b.Field(2).(*array.StringBuilder).AppendValues(d.kind, nil)
	valid := make([]bool, rows)
	for i, null := range d.userNull {
		valid[i] = !null
	}
	b.Field(3).(*array.Int64Builder).AppendValues(d.user, valid)
	b.Field(4).(*array.Int64Builder).AppendValues(d.company, nil)
	b.Field(5).(*array.StringBuilder).AppendValues(d.payload, nil)
	b.Field(6).(*array.StringBuilder).AppendValues(d.ip, nil)
	days := b.Field(7).(*array.Date32Builder)
	for _, s := range d.day {
		days.Append(arrow.Date32(int32(s / 86400)))
	}
	b.Field(8).(*array.Float64Builder).AppendValues(d.amount, nil)
	b.Field(9).(*array.BooleanBuilder).AppendValues(d.anon, nil)
	b.Field(10).(*array.Int64Builder).AppendValues(d.rep, nil)
	return b.NewRecordBatch()
}

// columnTypes are the gota types frame gives the benchmark's columns (its cache file records them too):
// times and dates are float seconds since 1970, as frame decodes them.
var columnTypes = []series.Type{series.Int, series.Float, series.String, series.Int, series.Int, series.String,
	series.String, series.Float, series.Float, series.Bool, series.Int}

// toGota builds the DataFrame frame builds from its own cache file, from Arrow columns (each a list of
// chunks), through the same fill path frame's cache reader uses (internal/gotalayout: one allocation per
// column, values written into gota's element arrays, columns in parallel when gota's layout is the known
// one), and returns the NULL masks of the columns that have NULLs, as frame keeps them beside its frames.
// Like frame's reader, each string column's bytes are copied into one block of their own that the strings
// point into, so nothing keeps the file's or Arrow's buffers alive.
func toGota(cols [][]arrow.Array) (dataframe.DataFrame, map[string][]bool, error) {
	names := make([]string, len(cols))
	for i := range cols {
		names[i] = schema.Field(i).Name
	}
	df, ws := gotalayout.NewFrame(names, columnTypes, rows)
	masks := make([][]bool, len(cols))
	errs := make([]error, len(cols))
	fill := func(i int) { masks[i], errs[i] = fillColumn(ws[i], cols[i]) }
	if gotalayout.Fast() {
		gotalayout.Parallel(len(cols), fill)
	} else {
		for i := range cols {
			fill(i)
		}
	}
	var nulls map[string][]bool
	for i, m := range masks {
		if errs[i] != nil {
			return df, nil, fmt.Errorf("column %q: %w", names[i], errs[i])
		}
		if m != nil {
			if nulls == nil {
				nulls = map[string][]bool{}
			}
			nulls[names[i]] = m
		}
	}
	return df, nulls, nil
}

// fillColumn writes one column's chunks with w, in runs of 8,192 values (as frame's reader does), then
// its NULLs; it returns the NULL mask, nil without NULLs.
func fillColumn(w gotalayout.Writer, chunks []arrow.Array) ([]bool, error) {
	const run = 8192
	var mask []bool
	at := 0
	for _, c := range chunks {
		n := c.Len()
		switch a := c.(type) {
		case *array.Int64:
			buf := make([]int, min(n, run))
			vals := a.Int64Values()
			for k := 0; k < n; k += len(buf) {
				v := buf[:min(len(buf), n-k)]
				for j := range v {
					v[j] = int(vals[k+j])
				}
				w.Ints(at+k, v)
			}
		case *array.Float64:
			w.Floats(at, a.Float64Values())
		case *array.Timestamp: // microseconds → float seconds
			buf := make([]float64, min(n, run))
			vals := a.TimestampValues()
			for k := 0; k < n; k += len(buf) {
				v := buf[:min(len(buf), n-k)]
				for j := range v {
					v[j] = float64(vals[k+j]) / 1e6
				}
				w.Floats(at+k, v)
			}
		case *array.Date32: // days → float seconds
			buf := make([]float64, min(n, run))
			vals := a.Date32Values()
			for k := 0; k < n; k += len(buf) {
				v := buf[:min(len(buf), n-k)]
				for j := range v {
					v[j] = float64(vals[k+j]) * 86400
				}
				w.Floats(at+k, v)
			}
		case *array.Boolean:
			buf := make([]bool, min(n, run))
			for k := 0; k < n; k += len(buf) {
				v := buf[:min(len(buf), n-k)]
				for j := range v {
					v[j] = a.Value(k + j)
				}
				w.Bools(at+k, v)
			}
		case *array.String:
			offs := a.ValueOffsets()
			blob := append([]byte(nil), a.ValueBytes()...)
			base := int(offs[0])
			buf := make([]string, min(n, run))
			for k := 0; k < n; k += len(buf) {
				v := buf[:min(len(buf), n-k)]
				for j := range v {
					lo, hi := int(offs[k+j])-base, int(offs[k+j+1])-base
					v[j] = ""
					if hi > lo {
						v[j] = unsafe.String(&blob[lo], hi-lo)
					}
				}
				w.Strings(at+k, v)
			}
		default:
			return nil, fmt.Errorf("unexpected Arrow type %s", c.DataType())
		}
		if c.NullN() > 0 {
			if mask == nil {
				mask = make([]bool, rows)
			}
			for r := 0; r < n; r++ {
				if c.IsNull(r) {
					mask[at+r] = true
					w.Null(at + r)
				}
			}
		}
		at += n
	}
	if at != rows {
		return nil, fmt.Errorf("expected %d rows, found %d", rows, at)
	}
	return mask, nil
}

// fromGota builds an Arrow record of the DataFrame the way frame's writer (Result.Store → columnsForCache)
// reads it: element by element through gota's public API, a missing value counted as NULL when
// gotalayout.SQLNull says so; float seconds become Arrow timestamps and dates, as frame's column kinds
// would say for a loaded frame.
func fromGota(df dataframe.DataFrame, mem memory.Allocator) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := 0; i < df.Ncol(); i++ {
		s := df.Col(schema.Field(i).Name)
		fb := b.Field(i)
		fb.Reserve(rows)
		for r := 0; r < rows; r++ {
			e := s.Elem(r)
			if e.IsNA() && gotalayout.SQLNull(e) {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.Int64Builder:
				v, _ := e.Int()
				fb.Append(int64(v))
			case *array.Float64Builder:
				fb.Append(e.Float())
			case *array.TimestampBuilder:
				fb.Append(arrow.Timestamp(int64(math.Round(e.Float() * 1e6))))
			case *array.Date32Builder:
				fb.Append(arrow.Date32(int32(math.Floor(e.Float() / 86400))))
			case *array.BooleanBuilder:
				v, _ := e.Bool()
				fb.Append(v)
			case *array.StringBuilder:
				fb.Append(e.String())
			}
		}
	}
	return b.NewRecordBatch()
}

// sameFrame checks, once per format and outside the timings, that a DataFrame built from it equals the one
// frame reads from its own cache file: names, types, every value, NULLs where frame has them.
func sameFrame(want dataframe.DataFrame, wantNulls map[string][]bool, got dataframe.DataFrame, gotNulls map[string][]bool) error {
	if fmt.Sprint(want.Names()) != fmt.Sprint(got.Names()) || fmt.Sprint(want.Types()) != fmt.Sprint(got.Types()) {
		return fmt.Errorf("columns %v %v, frame has %v %v", got.Names(), got.Types(), want.Names(), want.Types())
	}
	for _, name := range want.Names() {
		if fmt.Sprint(wantNulls[name]) != fmt.Sprint(gotNulls[name]) {
			return fmt.Errorf("column %q: NULL mask differs from frame's", name)
		}
		ws, gs := want.Col(name), got.Col(name)
		for r := 0; r < rows; r++ {
			we, ge := ws.Elem(r), gs.Elem(r)
			if we.IsNA() != ge.IsNA() || gotalayout.SQLNull(we) != gotalayout.SQLNull(ge) || (!we.IsNA() && we.String() != ge.String()) {
				return fmt.Errorf("column %q row %d: %v, frame has %v", name, r, ge, we)
			}
		}
	}
	return nil
}

type result struct {
	format             string
	size               int64
	write, writeRaw    []time.Duration // from the DataFrame; from Arrow arrays already built
	intoFrame, readRaw []time.Duration // file → the DataFrame frame builds; file → Arrow arrays
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func timed(f func() error) (time.Duration, error) {
	start := time.Now()
	err := f()
	return time.Since(start), err
}

// reference is the DataFrame frame reads back from its own cache file, and its NULL masks: every other
// format's DataFrame is checked against it.
type reference struct {
	df    dataframe.DataFrame
	nulls map[string][]bool
}

func main() {
	runs := flag.Int("runs", 3, "measurements per format and step (the median is shown)")
	flag.Parse()
	dir, err := os.MkdirTemp("", "benchcache-")
	check(err)
	defer os.RemoveAll(dir)
	ctx := context.Background()
	mem := memory.NewGoAllocator()

	fmt.Fprintf(os.Stderr, "generating %d rows × 11 columns...\n", rows)
	d := generate()
	df := d.frame()
	rec := d.record(mem)
	defer rec.Release()

	ours, ref := measureFrame(dir, df, *runs)
	results := []*result{ours}
	results = append(results, measureIPC(dir, df, rec, ref, mem, *runs)...)
	results = append(results, measureParquet(ctx, dir, df, rec, ref, mem, *runs)...)

	layout := "gota's element arrays written directly (internal/gotalayout fast path)"
	if !gotalayout.Fast() {
		layout = "gota's public Element.Set (internal/gotalayout fallback: gota's layout is not the known one)"
	}
	fmt.Printf("%d rows × 11 columns; median of %d runs; GOMAXPROCS %d; DataFrames filled through %s\n\n",
		rows, *runs, runtime.GOMAXPROCS(0), layout)
	fmt.Println("| format | size | write (from the DataFrame) | re-read into the DataFrame | re-read raw |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for _, r := range results {
		write := fmt.Sprintf("%.3f s", median(r.write).Seconds())
		raw := "— (frame reads only into gota)"
		if len(r.writeRaw) > 0 {
			write += fmt.Sprintf(" (from Arrow arrays: %.3f s)", median(r.writeRaw).Seconds())
			raw = fmt.Sprintf("%.3f s (Arrow arrays)", median(r.readRaw).Seconds())
		}
		fmt.Printf("| %s | %.1f MB | %s | %.3f s | %s |\n", r.format, float64(r.size)/1e6, write,
			median(r.intoFrame).Seconds(), raw)
	}
}

// measureFrame writes and reads frame's own cache file, through its public API: Result.Store of a
// DataFrame made in Go (columns gathered from gota element by element, written with a checksum,
// atomically), LoadNamed (file read, checked, decoded into gota through internal/gotalayout).
func measureFrame(dir string, df dataframe.DataFrame, runs int) (*result, reference) {
	ours := &result{format: "frame cache (hand-written, checksummed)"}
	named := frame.Of(df)
	opts := []frame.Option{frame.CacheDir(dir), frame.Quiet()}
	var last *frame.Result
	for i := 0; i < runs; i++ {
		t, err := timed(func() error { return named.Store("bench", opts...) })
		check(err)
		ours.write = append(ours.write, t)
		last = nil
		runtime.GC()
		t, err = timed(func() error {
			r, err := frame.LoadNamed("bench", opts...)
			if err == nil && r.DataFrame.Nrow() != rows {
				err = fmt.Errorf("read back %d rows", r.DataFrame.Nrow())
			}
			last = r
			return err
		})
		check(err)
		ours.intoFrame = append(ours.intoFrame, t)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "named", "*", "bench.frame")); len(m) == 1 {
		st, _ := os.Stat(m[0])
		ours.size = st.Size()
	}
	ref := reference{df: last.DataFrame}
	for _, name := range last.DataFrame.Names() {
		var mask []bool
		for r := 0; r < rows; r++ {
			if last.IsNull(name, r) {
				if mask == nil {
					mask = make([]bool, rows)
				}
				mask[r] = true
			}
		}
		if mask != nil {
			if ref.nulls == nil {
				ref.nulls = map[string][]bool{}
			}
			ref.nulls[name] = mask
		}
	}
	return ours, ref
}

// writeIPC writes rec as an Arrow IPC file.
func writeIPC(path string, rec arrow.RecordBatch, mem memory.Allocator, opts []ipc.Option) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	w, err := ipc.NewFileWriter(out, append([]ipc.Option{ipc.WithSchema(schema), ipc.WithAllocator(mem)}, opts...)...)
	if err != nil {
		return err
	}
	if err := w.Write(rec); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return out.Close()
}

// measureIPC writes and reads Arrow IPC files, uncompressed and compressed.
func measureIPC(dir string, df dataframe.DataFrame, rec arrow.RecordBatch, ref reference, mem memory.Allocator, runs int) []*result {
	var results []*result
	ipcFormats := []struct {
		name string
		opts []ipc.Option
	}{
		{"Arrow IPC file, uncompressed", nil},
		{"Arrow IPC file, LZ4", []ipc.Option{ipc.WithLZ4()}},
		{"Arrow IPC file, zstd", []ipc.Option{ipc.WithZstd()}},
	}
	for _, f := range ipcFormats {
		res := &result{format: f.name}
		results = append(results, res)
		path := filepath.Join(dir, "bench.arrow")
		for i := 0; i < runs; i++ {
			t, err := timed(func() error { return writeIPC(path, rec, mem, f.opts) })
			check(err)
			res.writeRaw = append(res.writeRaw, t)
			t, err = timed(func() error {
				r := fromGota(df, mem)
				defer r.Release()
				return writeIPC(path, r, mem, f.opts)
			})
			check(err)
			res.write = append(res.write, t)

			runtime.GC()
			var cols [][]arrow.Array
			var r *ipc.FileReader
			tRaw, err := timed(func() error {
				raw, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				if r, err = ipc.NewFileReader(bytes.NewReader(raw), ipc.WithAllocator(mem)); err != nil {
					return err
				}
				rb, err := r.RecordBatch(0)
				if err != nil {
					return err
				}
				for _, c := range rb.Columns() {
					cols = append(cols, []arrow.Array{c})
				}
				return nil
			})
			check(err)
			res.readRaw = append(res.readRaw, tRaw)
			var got dataframe.DataFrame
			var nulls map[string][]bool
			tFill, err := timed(func() (err error) { got, nulls, err = toGota(cols); return err })
			check(err)
			res.intoFrame = append(res.intoFrame, tRaw+tFill)
			r.Close()
			if i == 0 {
				check(sameFrame(ref.df, ref.nulls, got, nulls))
			}
		}
		st, _ := os.Stat(path)
		res.size = st.Size()
	}
	return results
}

// writeParquet writes tbl as a Parquet file.
func writeParquet(path string, tbl arrow.Table, props *parquet.WriterProperties) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close() // WriteTable closes it when it succeeds
	return pqarrow.WriteTable(tbl, out, rows, props, pqarrow.DefaultWriterProps())
}

// measureParquet writes and reads Parquet files with three codecs.
func measureParquet(ctx context.Context, dir string, df dataframe.DataFrame, rec arrow.RecordBatch, ref reference, mem memory.Allocator, runs int) []*result {
	var results []*result
	tbl := array.NewTableFromRecords(schema, []arrow.RecordBatch{rec})
	defer tbl.Release()
	for _, codec := range []struct {
		name string
		c    compress.Compression
	}{{"Parquet, uncompressed", compress.Codecs.Uncompressed}, {"Parquet, Snappy", compress.Codecs.Snappy}, {"Parquet, zstd", compress.Codecs.Zstd}} {
		res := &result{format: codec.name}
		results = append(results, res)
		path := filepath.Join(dir, "bench.parquet")
		props := parquet.NewWriterProperties(parquet.WithCompression(codec.c), parquet.WithAllocator(mem))
		for i := 0; i < runs; i++ {
			t, err := timed(func() error { return writeParquet(path, tbl, props) })
			check(err)
			res.writeRaw = append(res.writeRaw, t)
			t, err = timed(func() error {
				r := fromGota(df, mem)
				defer r.Release()
				t := array.NewTableFromRecords(schema, []arrow.RecordBatch{r})
				defer t.Release()
				return writeParquet(path, t, props)
			})
			check(err)
			res.write = append(res.write, t)

			runtime.GC()
			var tbl arrow.Table
			tRaw, err := timed(func() error {
				raw, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				tbl, err = pqarrow.ReadTable(ctx, bytes.NewReader(raw), parquet.NewReaderProperties(mem),
					pqarrow.ArrowReadProperties{Parallel: true, BatchSize: rows}, mem)
				return err
			})
			check(err)
			res.readRaw = append(res.readRaw, tRaw)
			var cols [][]arrow.Array
			for i := 0; i < int(tbl.NumCols()); i++ {
				cols = append(cols, tbl.Column(i).Data().Chunks())
			}
			var got dataframe.DataFrame
			var nulls map[string][]bool
			tFill, err := timed(func() (err error) { got, nulls, err = toGota(cols); return err })
			check(err)
			res.intoFrame = append(res.intoFrame, tRaw+tFill)
			tbl.Release()
			if i == 0 {
				check(sameFrame(ref.df, ref.nulls, got, nulls))
			}
		}
		st, _ := os.Stat(path)
		res.size = st.Size()
	}
	return results
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcache:", err)
		os.Exit(1)
	}
}
