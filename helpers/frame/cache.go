package frame

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"
	"unsafe"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
	"github.com/replicalab/replicalab/internal/atomicfile"
	"github.com/replicalab/replicalab/internal/gotalayout"
	"github.com/replicalab/replicalab/internal/repo"
)

// The cache file format (version 2), little-endian:
//
//	"RLFRAME\n"                        8 bytes
//	meta length                        uint32, then the meta as JSON (cacheMeta)
//	per column, in order:
//	  NULL mask, if the column has NULLs   rows bytes, 0 or 1
//	  values: Int    rows × int64
//	          Float  rows × float64 bits
//	          Bool   rows bytes, 0 or 1
//	          String rows × uint32 lengths, then the bytes
//	trailer: length of everything above   uint64
//	         CRC-32C of everything above  uint32
//	         "END\n"                      4 bytes
//
// A file whose trailer, length, checksum or sections do not add up is
// corrupt: it is never half-used. Files are written to a temporary name and
// renamed, so a reader sees a whole file or none.

const (
	cacheMagic   = "RLFRAME\n"
	cacheEnd     = "END\n"
	cacheVersion = 2 // 2: columns carry their numeric scale
	trailerSize  = 16
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt is wrapped by the errors of readCache for a file that is not a
// whole, valid cache file.
var errCorrupt = errors.New("corrupt cache file")

type cacheMeta struct {
	Version   int           `json:"version"`
	Database  string        `json:"database"`
	SQL       string        `json:"sql"`
	FetchedAt time.Time     `json:"fetched_at"`
	CachedAt  time.Time     `json:"cached_at,omitzero"` // when the result was cached, if not when fetched (a computed result's data may be older)
	Elapsed   time.Duration `json:"elapsed_ns"`
	LagKnown  bool          `json:"lag_known"`
	Lag       time.Duration `json:"lag_ns"`
	Rows      int           `json:"rows"`
	Truncated bool          `json:"truncated"`
	Limit     int           `json:"limit"`
	Of        int64         `json:"of,omitempty"`       // see Result.Of
	OfExact   bool          `json:"of_exact,omitempty"` // see Result.OfExact
	Ordered   bool          `json:"ordered,omitempty"`  // see Result.Ordered
	Sample    string        `json:"sample,omitempty"`   // see Result.Sample
	Columns   []cacheColumn `json:"columns"`

	bodyLeft int64 // bytes after the metadata, while reading
}

type cacheColumn struct {
	Column
	HasNull bool `json:"has_null"`
}

// cacheKey names the file of a query: a hash of the database identity, the
// SQL, the arguments and the row limit.
func cacheKey(database, sql string, args []any, limit int) (string, error) {
	h := sha256.New()
	field := func(b []byte) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field([]byte(fmt.Sprintf("replicalab frame cache v%d", cacheVersion)))
	field([]byte(database))
	field([]byte(sql))
	field([]byte(fmt.Sprint(limit)))
	for i, a := range args {
		enc, err := canonicalArg(a)
		if err != nil {
			return "", fmt.Errorf("frame: argument $%d (%T) cannot be part of a cache key: %w; pass frame.NoCache()", i+1, a, err)
		}
		field([]byte(fmt.Sprintf("%T", a)))
		field(enc)
	}
	return hex.EncodeToString(h.Sum(nil)[:20]), nil
}

// canonicalArg encodes a query argument deterministically: JSON (which sorts
// map keys and follows pointers), floats in Go's shortest form (JSON refuses
// NaN and ±Inf).
func canonicalArg(a any) ([]byte, error) {
	switch v := a.(type) {
	case float64:
		return []byte(strconv.FormatFloat(v, 'g', -1, 64)), nil
	case float32:
		return []byte(strconv.FormatFloat(float64(v), 'g', -1, 32)), nil
	}
	return json.Marshal(a)
}

// cachePath is where the result of key lives under dir.
func cachePath(dir, key string) string { return filepath.Join(dir, "frames", key+".frame") }

// writeCache writes the columns to path atomically (internal/atomicfile): a
// temporary file (0600) in the same folder (0700), renamed into place. The
// file is not flushed to disk first: after a crash, a reader finds a file
// whose trailer or checksum does not add up, and fetches again.
func writeCache(path string, meta cacheMeta, cols []*column) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("frame: creating the cache folder: %w", err)
	}
	_ = os.Chmod(dir, 0o700) // frames/ is ours alone; folders MkdirAll creates are 0700 already
	removeStaleTemps(dir)
	meta.Version = cacheVersion
	meta.Columns = make([]cacheColumn, len(cols))
	for i, c := range cols {
		meta.Columns[i] = cacheColumn{Column: c.Column, HasNull: c.hasNull}
	}
	mj, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("frame: writing the cache: %w", err)
	}
	err = atomicfile.WriteFunc(path, 0o600, false, func(out io.Writer) error {
		w := &cacheWriter{bw: out, crc: crc32.New(crcTable)}
		w.write([]byte(cacheMagic))
		w.u32(uint32(len(mj)))
		w.write(mj)
		for _, c := range cols {
			w.column(c)
		}
		var trailer [trailerSize]byte
		binary.LittleEndian.PutUint64(trailer[0:], uint64(w.n))
		binary.LittleEndian.PutUint32(trailer[8:], w.crc.Sum32())
		copy(trailer[12:], cacheEnd)
		if w.err == nil {
			_, w.err = out.Write(trailer[:])
		}
		return w.err
	})
	if err != nil {
		return fmt.Errorf("frame: %w", err)
	}
	return nil
}

// removeStaleTemps deletes temporary files left by writers that died more
// than an hour ago (a live writer renames its file within seconds).
func removeStaleTemps(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !atomicfile.IsTemp(e.Name()) {
			continue
		}
		t := filepath.Join(dir, e.Name())
		if st, err := os.Stat(t); err == nil && time.Since(st.ModTime()) > time.Hour {
			_ = os.Remove(t)
		}
	}
}

type cacheWriter struct {
	bw      io.Writer
	crc     hash.Hash32
	n       int64
	err     error
	scratch [64 << 10]byte
}

func (w *cacheWriter) write(b []byte) {
	if w.err != nil || len(b) == 0 {
		return
	}
	w.crc.Write(b)
	w.n += int64(len(b))
	_, w.err = w.bw.Write(b)
}

func (w *cacheWriter) u32(v uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	w.write(b[:])
}

// u64s writes 8-byte values little-endian: memory as it is on little-endian
// machines, converted through the scratch buffer elsewhere.
func (w *cacheWriter) u64s(n int, raw []byte, at func(i int) uint64) {
	if nativeLittleEndian {
		w.write(raw)
		return
	}
	buf := w.scratch[:0]
	for i := 0; i < n; i++ {
		buf = binary.LittleEndian.AppendUint64(buf, at(i))
		if len(buf) == len(w.scratch) {
			w.write(buf)
			buf = w.scratch[:0]
		}
	}
	w.write(buf)
}

func (w *cacheWriter) column(c *column) {
	if c.hasNull {
		for _, chunk := range c.null.chunks() {
			w.write(bytesOf(chunk)) // a bool is one byte, 0 or 1
		}
	}
	switch c.Series {
	case series.Int:
		for _, chunk := range c.ints.chunks() {
			w.u64s(len(chunk), bytesOf(chunk), func(i int) uint64 { return uint64(int64(chunk[i])) })
		}
	case series.Float:
		for _, chunk := range c.floats.chunks() {
			w.u64s(len(chunk), bytesOf(chunk), func(i int) uint64 { return math.Float64bits(chunk[i]) })
		}
	case series.Bool:
		for _, chunk := range c.bools.chunks() {
			w.write(bytesOf(chunk))
		}
	default:
		for _, chunk := range c.strs.lens.chunks() {
			if nativeLittleEndian {
				w.write(bytesOf(chunk))
				continue
			}
			buf := w.scratch[:0]
			for _, l := range chunk {
				buf = binary.LittleEndian.AppendUint32(buf, l)
				if len(buf) == len(w.scratch) {
					w.write(buf)
					buf = w.scratch[:0]
				}
			}
			w.write(buf)
		}
		for _, data := range c.strs.data {
			w.write(data)
		}
	}
}

// readCache reads a cache file into a DataFrame, and the NULL masks of its
// columns that have NULLs. A missing file is an error matching
// fs.ErrNotExist; a damaged one wraps errCorrupt. The frame is returned only
// once the file's length and checksum are verified. check vets the metadata
// before any row is read; its error is returned as is.
//
// The file is read whole into memory, checked, then decoded column by column
// in parallel; each string column's bytes are copied into one block of their
// own that its strings point into, so the file's buffer is garbage once the
// frame is built. (Mapping the file instead, as an earlier version did, was
// measured at most 1.2 times faster on a 1,000,000 × 11 file, but left a
// mapping per cached frame for the life of the process — the kernel's, for
// SQL cells — and a program killed by SIGBUS if the file was truncated.)
func readCache(path string, check func(cacheMeta) error) (meta cacheMeta, df dataframe.DataFrame, nulls map[string][]bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return meta, df, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return meta, df, nil, err
	}
	if st.Size() < int64(len(cacheMagic)+4+trailerSize) {
		return meta, df, nil, corruptf("expected at least %d bytes, found %d", len(cacheMagic)+4+trailerSize, st.Size())
	}
	if int64(int(st.Size())) != st.Size() {
		return meta, df, nil, corruptf("expected a file this machine can hold in memory, found %d bytes", st.Size())
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return meta, df, nil, corruptf("reading it: %v", err)
	}
	return decodeCache(data, check)
}

// section is where one column's parts are in a cache file.
type section struct{ null, values, lens, blob []byte }

// decodeCache checks and decodes a whole cache file held in data.
func decodeCache(data []byte, check func(cacheMeta) error) (meta cacheMeta, df dataframe.DataFrame, nulls map[string][]bool, err error) {
	body, meta, names, types, err := parseHeader(data, check)
	if err != nil {
		return meta, df, nil, err
	}
	// Checksum the file while the DataFrame's memory is allocated.
	sum := make(chan uint32, 1)
	go func() { sum <- crc32.Checksum(body, crcTable) }()
	n := meta.Rows
	df, ws := gotalayout.NewFrame(names, types, n)
	size := len(data)
	if want, got := binary.LittleEndian.Uint32(data[size-trailerSize+8:]), <-sum; want != got {
		return meta, dataframe.DataFrame{}, nil, corruptf("checksum mismatch: expected %08x, found %08x", want, got)
	}
	secs, err := locateSections(body, len(body)-int(meta.bodyLeft), meta, types)
	if err != nil {
		return meta, dataframe.DataFrame{}, nil, err
	}
	masks := make([][]bool, len(secs))
	decode := func(i int) { masks[i] = decodeColumn(ws[i], types[i], secs[i], n) }
	if gotalayout.Fast() {
		gotalayout.Parallel(len(secs), decode)
	} else {
		for i := range secs {
			decode(i)
		}
	}
	for i, mask := range masks {
		if mask != nil {
			if nulls == nil {
				nulls = map[string][]bool{}
			}
			nulls[names[i]] = mask
		}
	}
	return meta, df, nulls, nil
}

// parseHeader checks the trailer and the magic, reads the metadata and
// returns the part the checksum covers.
func parseHeader(data []byte, check func(cacheMeta) error) (body []byte, meta cacheMeta, names []string, types []series.Type, err error) {
	size := int64(len(data))
	bodyLen, err := trailerOK(data[size-trailerSize:], size)
	if err != nil {
		return nil, meta, nil, nil, err
	}
	body = data[:bodyLen]
	if string(body[:len(cacheMagic)]) != cacheMagic {
		return nil, meta, nil, nil, corruptf("expected the %q header, found none", cacheMagic[:7])
	}
	off := len(cacheMagic)
	ml := int(binary.LittleEndian.Uint32(body[off:]))
	off += 4
	if ml < 0 || ml > len(body)-off {
		return nil, meta, nil, nil, corruptf("expected %d bytes of metadata, found %d", ml, len(body)-off)
	}
	left := int64(len(body) - off - ml)
	meta, names, types, err = parseMeta(body[off:off+ml], left, check)
	meta.bodyLeft = left
	return body, meta, names, types, err
}

// locateSections finds every column's parts in body, from off on.
func locateSections(body []byte, off int, meta cacheMeta, types []series.Type) ([]section, error) {
	n := meta.Rows
	var err error
	take := func(k int) []byte {
		if err != nil {
			return nil
		}
		if k < 0 || k > len(body)-off {
			err = corruptf("expected %d more bytes, found %d", k, len(body)-off)
			return nil
		}
		b := body[off : off+k]
		off += k
		return b
	}
	secs := make([]section, len(meta.Columns))
	for i, mc := range meta.Columns {
		sec := &secs[i]
		if mc.HasNull {
			sec.null = take(n)
		}
		switch types[i] {
		case series.Int, series.Float:
			sec.values = take(8 * n)
		case series.Bool:
			sec.values = take(n)
		default:
			sec.lens = take(4 * n)
			var total int
			for k := 0; k < len(sec.lens); k += 4 {
				total += int(binary.LittleEndian.Uint32(sec.lens[k:]))
			}
			sec.blob = take(total)
		}
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", mc.Name, err)
		}
	}
	if off != len(body) {
		return nil, corruptf("expected the data to end %d bytes earlier", len(body)-off)
	}
	return secs, nil
}

// decodeColumn writes one column's values and NULLs with w, and returns its
// NULL mask (nil without NULLs). Strings point into a copy of the column's
// bytes, not into the file's buffer.
func decodeColumn(w gotalayout.Writer, t series.Type, sec section, n int) []bool {
	switch t {
	case series.Int:
		decodeRuns(sec.values, 8, func(at int, v []int, b []byte) {
			for k := range v {
				v[k] = int(int64(binary.LittleEndian.Uint64(b[8*k:])))
			}
			w.Ints(at, v)
		})
	case series.Float:
		decodeRuns(sec.values, 8, func(at int, v []float64, b []byte) {
			for k := range v {
				v[k] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*k:]))
			}
			w.Floats(at, v)
		})
	case series.Bool:
		decodeRuns(sec.values, 1, func(at int, v []bool, b []byte) {
			for k := range v {
				v[k] = b[k] != 0
			}
			w.Bools(at, v)
		})
	default:
		blob := append([]byte(nil), sec.blob...)
		pos := 0
		decodeRuns(sec.lens, 4, func(at int, v []string, b []byte) {
			for k := range v {
				l := int(binary.LittleEndian.Uint32(b[4*k:]))
				v[k] = ""
				if l > 0 {
					v[k] = unsafe.String(&blob[pos], l)
				}
				pos += l
			}
			w.Strings(at, v)
		})
	}
	if sec.null == nil {
		return nil
	}
	mask := make([]bool, n)
	for r, x := range sec.null {
		if x != 0 {
			mask[r] = true
			w.Null(r)
		}
	}
	return mask
}

// decodeRuns hands raw (values of size bytes each) to put in runs of 8,192,
// with a reusable slice to decode them into.
func decodeRuns[T any](raw []byte, size int, put func(at int, v []T, b []byte)) {
	n := len(raw) / size
	buf := make([]T, min(n, 8192))
	for at := 0; at < n; at += len(buf) {
		k := min(len(buf), n-at)
		put(at, buf[:k], raw[at*size:(at+k)*size])
	}
}

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errCorrupt, fmt.Sprintf(format, args...))
}

// trailerOK checks the trailer and returns the length of what it covers.
func trailerOK(trailer []byte, size int64) (body int64, err error) {
	if string(trailer[12:]) != cacheEnd {
		return 0, corruptf("expected the end marker, found none (truncated file?)")
	}
	body = size - trailerSize
	if want := binary.LittleEndian.Uint64(trailer); want != uint64(body) {
		return 0, corruptf("expected %d bytes, found %d", want, body)
	}
	return body, nil
}

// parseMeta reads the metadata, checks it against itself and against the
// bytes left (so that nothing is allocated for rows that are not there),
// and returns the columns' names and gota types.
func parseMeta(mj []byte, left int64, check func(cacheMeta) error) (meta cacheMeta, names []string, types []series.Type, err error) {
	if err := json.Unmarshal(mj, &meta); err != nil {
		return meta, nil, nil, corruptf("metadata: %v", err)
	}
	if meta.Version != cacheVersion {
		return meta, nil, nil, corruptf("expected format version %d, found %d", cacheVersion, meta.Version)
	}
	if err := check(meta); err != nil {
		return meta, nil, nil, err
	}
	n := meta.Rows
	if n < 0 || int64(n) > left || len(meta.Columns) == 0 {
		return meta, nil, nil, corruptf("expected a row count and columns, found %d rows and %d columns", n, len(meta.Columns))
	}
	names = make([]string, len(meta.Columns))
	types = make([]series.Type, len(meta.Columns))
	need := int64(0)
	for i, mc := range meta.Columns {
		names[i], types[i] = mc.Name, mc.Kind.SeriesType()
		if types[i] != mc.Series {
			return meta, nil, nil, corruptf("column %q: expected gota type %s for kind %s, found %s", mc.Name, types[i], mc.Kind, mc.Series)
		}
		per := map[series.Type]int64{series.Int: 8, series.Float: 8, series.Bool: 1, series.String: 4}[mc.Series]
		if mc.HasNull {
			per++
		}
		need += per * int64(n)
	}
	if fixed := gotaNames(names); fmt.Sprint(fixed) != fmt.Sprint(names) {
		return meta, nil, nil, corruptf("expected unique column names, found %q", names)
	}
	if need > left {
		return meta, nil, nil, corruptf("expected at least %d bytes for %d rows, found %d", need, n, left)
	}
	return meta, names, types, nil
}

// defaultCacheDir picks the cache folder: <repo>/data/cache, the repository
// found by internal/repo (REPLICALAB_REPO, set by the kernel, else the
// nearest folder above the working folder holding go.mod); else the user's
// cache folder.
func defaultCacheDir() string {
	if root, err := repo.Root(""); err == nil {
		return filepath.Join(root, "data", "cache")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "replicalab")
	}
	return ""
}
