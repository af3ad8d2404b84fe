// Command benchcache compares the cache file of helpers/frame with Apache Arrow IPC and Parquet files
// (github.com/apache/arrow-go) on the same 1,000,000 rows × 11 columns, side by side: file size, time to
// write, time to read back. It is a module of its own so that arrow-go stays out of replicalab's go.mod:
//
//	cd scripts/benchcache && go run .            # make bench-cache
//
// What each row measures:
//
//   - frame cache: frame's own format, written by Result.Store and read back into a gota DataFrame by
//     frame.LoadNamed (the path of a cached load: file read, checked, decoded into gota in parallel).
//   - Arrow IPC / Parquet: written from Arrow arrays built from the same values, read back into Arrow
//     arrays ("read"), then into Go slices of the values ("read + to Go"): what frame would still have to do
//     before building gota's elements.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

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

// toGo copies a record's values into Go slices, as a reader would before building gota's elements.
func toGo(cols []arrow.Array) int {
	n := 0
	for _, c := range cols {
		switch a := c.(type) {
		case *array.Int64:
			v := append([]int64(nil), a.Int64Values()...)
			n += len(v)
		case *array.Float64:
			v := append([]float64(nil), a.Float64Values()...)
			n += len(v)
		case *array.Timestamp:
			v := make([]float64, a.Len())
			for i, t := range a.TimestampValues() {
				v[i] = float64(t) / 1e6
			}
			n += len(v)
		case *array.Date32:
			v := make([]float64, a.Len())
			for i, t := range a.Date32Values() {
				v[i] = float64(t) * 86400
			}
			n += len(v)
		case *array.String:
			v := make([]string, a.Len())
			for i := range v {
				v[i] = a.Value(i)
			}
			n += len(v)
		case *array.Boolean:
			v := make([]bool, a.Len())
			for i := range v {
				v[i] = a.Value(i)
			}
			n += len(v)
		}
	}
	return n
}

type result struct {
	format             string
	size               int64
	write, read, toGo  []time.Duration
	readNote, toGoNote string
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

	results := []*result{measureFrame(dir, df, *runs)}
	results = append(results, measureIPC(dir, rec, mem, *runs)...)
	results = append(results, measureParquet(ctx, dir, rec, mem, *runs)...)

	fmt.Printf("%d rows × 11 columns; median of %d runs\n\n", rows, *runs)
	fmt.Println("| format | size | write | re-read | re-read, values in Go |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for _, r := range results {
		togo := "same"
		if len(r.toGo) > 0 {
			togo = fmt.Sprintf("%.3f s", median(r.toGo).Seconds())
		}
		fmt.Printf("| %s | %.1f MB | %.3f s | %.3f s (%s) | %s |\n", r.format, float64(r.size)/1e6,
			median(r.write).Seconds(), median(r.read).Seconds(), r.readNote, togo)
	}
}

// measureFrame writes and reads frame's own cache file, through its public API.
func measureFrame(dir string, df dataframe.DataFrame, runs int) *result {
	ours := &result{format: "frame cache (hand-written, checksummed)", readNote: "into a gota DataFrame", toGoNote: "(included)"}
	named := frame.Of(df)
	opts := []frame.Option{frame.CacheDir(dir), frame.Quiet()}
	for i := 0; i < runs; i++ {
		t, err := timed(func() error { return named.Store("bench", opts...) })
		check(err)
		ours.write = append(ours.write, t)
		t, err = timed(func() error {
			r, err := frame.LoadNamed("bench", opts...)
			if err == nil && r.DataFrame.Nrow() != rows {
				err = fmt.Errorf("read back %d rows", r.DataFrame.Nrow())
			}
			return err
		})
		check(err)
		ours.read = append(ours.read, t)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "named", "*", "bench.frame")); len(m) == 1 {
		st, _ := os.Stat(m[0])
		ours.size = st.Size()
	}
	return ours
}

// measureIPC writes and reads Arrow IPC files, uncompressed and compressed.
func measureIPC(dir string, rec arrow.RecordBatch, mem memory.Allocator, runs int) []*result {
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
		res := &result{format: f.name, readNote: "into Arrow arrays", toGoNote: "+ values into Go slices"}
		results = append(results, res)
		path := filepath.Join(dir, "bench.arrow")
		for i := 0; i < runs; i++ {
			t, err := timed(func() error {
				out, err := os.Create(path)
				if err != nil {
					return err
				}
				w, err := ipc.NewFileWriter(out, append([]ipc.Option{ipc.WithSchema(schema), ipc.WithAllocator(mem)}, f.opts...)...)
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
			})
			check(err)
			res.write = append(res.write, t)
			var cols []arrow.Array
			var r *ipc.FileReader
			t, err = timed(func() error {
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
				cols = rb.Columns()
				return nil
			})
			check(err)
			res.read = append(res.read, t)
			tg, _ := timed(func() error { toGo(cols); return nil })
			res.toGo = append(res.toGo, t+tg)
			r.Close()
		}
		st, _ := os.Stat(path)
		res.size = st.Size()
	}

	return results
}

// measureParquet writes and reads Parquet files with three codecs.
func measureParquet(ctx context.Context, dir string, rec arrow.RecordBatch, mem memory.Allocator, runs int) []*result {
	var results []*result
	tbl := array.NewTableFromRecords(schema, []arrow.RecordBatch{rec})
	defer tbl.Release()
	for _, codec := range []struct {
		name string
		c    compress.Compression
	}{{"Parquet, uncompressed", compress.Codecs.Uncompressed}, {"Parquet, Snappy", compress.Codecs.Snappy}, {"Parquet, zstd", compress.Codecs.Zstd}} {
		res := &result{format: codec.name, readNote: "into Arrow arrays", toGoNote: "+ values into Go slices"}
		results = append(results, res)
		path := filepath.Join(dir, "bench.parquet")
		props := parquet.NewWriterProperties(parquet.WithCompression(codec.c), parquet.WithAllocator(mem))
		for i := 0; i < runs; i++ {
			t, err := timed(func() error {
				out, err := os.Create(path)
				if err != nil {
					return err
				}
				defer out.Close() // WriteTable closes it when it succeeds
				return pqarrow.WriteTable(tbl, out, rows, props, pqarrow.DefaultWriterProps())
			})
			check(err)
			res.write = append(res.write, t)
			var got arrow.Table
			t, err = timed(func() error {
				raw, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				got, err = pqarrow.ReadTable(ctx, bytes.NewReader(raw), parquet.NewReaderProperties(mem),
					pqarrow.ArrowReadProperties{Parallel: true, BatchSize: rows}, mem)
				return err
			})
			check(err)
			res.read = append(res.read, t)
			var cols []arrow.Array
			for i := 0; i < int(got.NumCols()); i++ {
				cols = append(cols, got.Column(i).Data().Chunks()...)
			}
			tg, _ := timed(func() error { toGo(cols); return nil })
			res.toGo = append(res.toGo, t+tg)
			got.Release()
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
