package frame

import (
	"encoding/binary"
	"encoding/hex"
	"unsafe"
)

// Column storage while rows arrive. The number of rows is unknown until the
// end, so values go into chunks that never move (no copying on growth), and
// nothing stored holds a pointer: the garbage collector has nothing to scan
// in them, however many rows there are. Strings are lengths plus their bytes
// packed into large chunks; a string header pointing into a chunk is made
// only when the DataFrame is built.

// This package stores int8 values in Go ints: it needs 64-bit ints.
var _ [unsafe.Sizeof(int(0)) - 8]struct{}

const (
	firstChunk = 256     // elements in a vec's first chunk; chunks double up to maxChunk
	maxChunk   = 1 << 16 // elements
	firstBytes = 4 << 10 // bytes in a strvec's first chunk; chunks double up to maxBytes
	maxBytes   = 1 << 20
)

// vec is a growable sequence of T in chunks.
type vec[T any] struct {
	full [][]T
	cur  []T
	n    int
}

func (v *vec[T]) push(x T) {
	if len(v.cur) == cap(v.cur) {
		v.grow()
	}
	v.cur = append(v.cur, x)
	v.n++
}

func (v *vec[T]) grow() {
	size := firstChunk
	if v.cur != nil {
		v.full = append(v.full, v.cur)
		size = min(2*cap(v.cur), maxChunk)
	}
	v.cur = make([]T, 0, size)
}

// fill pushes n copies of x.
func (v *vec[T]) fill(x T, n int) {
	for i := 0; i < n; i++ {
		v.push(x)
	}
}

// chunks returns the chunks in order.
func (v *vec[T]) chunks() [][]T {
	if v.cur == nil {
		return v.full
	}
	return append(v.full[:len(v.full):len(v.full)], v.cur)
}

// flat returns the values as one slice.
func (v *vec[T]) flat() []T {
	if len(v.full) == 0 {
		return v.cur
	}
	out := make([]T, 0, v.n)
	for _, c := range v.chunks() {
		out = append(out, c...)
	}
	return out
}

// vecOf wraps a slice.
func vecOf[T any](s []T) vec[T] { return vec[T]{cur: s, n: len(s)} }

// strvec is a sequence of strings: their lengths, and their bytes one after
// the other in chunks. A string goes into the last chunk if it fits, else it
// starts a new chunk: so reading the lengths in order finds every string.
type strvec struct {
	lens vec[uint32]
	data [][]byte
}

func (s *strvec) push(b []byte) {
	s.lens.push(uint32(len(b)))
	if len(b) == 0 {
		return
	}
	last := len(s.data) - 1
	if last < 0 || cap(s.data[last])-len(s.data[last]) < len(b) {
		size := firstBytes
		if last >= 0 {
			size = min(2*cap(s.data[last]), maxBytes)
		}
		s.data = append(s.data, make([]byte, 0, max(size, len(b))))
		last++
	}
	s.data[last] = append(s.data[last], b...)
}

// pushUUID formats 16 bytes as xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.
func (s *strvec) pushUUID(b []byte) {
	var t [36]byte
	hex.Encode(t[0:8], b[0:4])
	t[8] = '-'
	hex.Encode(t[9:13], b[4:6])
	t[13] = '-'
	hex.Encode(t[14:18], b[6:8])
	t[18] = '-'
	hex.Encode(t[19:23], b[8:10])
	t[23] = '-'
	hex.Encode(t[24:36], b[10:16])
	s.push(t[:])
}

// strIter walks a strvec's strings in order.
type strIter struct {
	data       [][]byte
	chunk, off int
}

// next returns the following string, of length l, pointing into its chunk.
func (it *strIter) next(l uint32) string {
	if l == 0 {
		return ""
	}
	for it.off+int(l) > len(it.data[it.chunk]) {
		it.chunk, it.off = it.chunk+1, 0
	}
	s := unsafe.String(&it.data[it.chunk][it.off], int(l))
	it.off += int(l)
	return s
}

// nativeLittleEndian: the cache stores numbers little-endian, so on such
// machines (amd64, arm64) memory is written and read as it is.
var nativeLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// bytesOf views a slice of fixed-size values as its bytes.
func bytesOf[T int | float64 | uint32 | bool](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(s[0])))
}
