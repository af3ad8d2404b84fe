package ledger

import (
	"encoding/binary"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/replicalab/replicalab/internal/provenance"
)

// msg builds a protocol message: a type byte (0: none, as the startup), a
// length, the body.
func msg(typ byte, body string) []byte {
	var b []byte
	if typ != 0 {
		b = append(b, typ)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(body)+4))
	return append(b, body...)
}

// script is a net.Conn whose reads return the server's bytes in the chunks
// given, and whose writes are kept.
type script struct {
	net.Conn
	chunks [][]byte
	wrote  []byte
}

func (s *script) Read(p []byte) (int, error) {
	c := s.chunks[0]
	n := copy(p, c)
	if n == len(c) {
		s.chunks = s.chunks[1:]
	} else {
		s.chunks[0] = c[n:]
	}
	return n, nil
}

func (s *script) Write(p []byte) (int, error) { s.wrote = append(s.wrote, p...); return len(p), nil }
func (s *script) Close() error                { return nil }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// TestMeterCountsExchanges: statements, their rows, errors with the rows
// before them, bytes and busy time, from messages however they are split.
func TestMeterCountsExchanges(t *testing.T) {
	clock := time.Unix(1_000_000, 0)
	now = func() time.Time { return clock }
	defer func() { now = time.Now }()

	startup := cat(msg('R', "\x00\x00\x00\x00"), msg('S', "server_version\x0015\x00"), msg('K', "12345678"), msg('Z', "I"))
	// Extended protocol: Parse/Describe/Sync, then Bind/Execute/Sync with 3 rows.
	prepared := cat(msg('1', ""), msg('t', "\x00\x00"), msg('T', "\x00\x00"), msg('Z', "I"))
	select3 := cat(msg('2', ""), msg('D', "a"), msg('D', "b"), msg('D', "c"), msg('C', "SELECT 3\x00"), msg('Z', "I"))
	// Cancelled after 2 rows.
	cancelled := cat(msg('2', ""), msg('D', "a"), msg('D', "b"), msg('E', "SERROR\x00C57014\x00\x00"), msg('Z', "I"))
	// Simple protocol, two statements: SET (no rows) and a SHOW (a row, but its tag counts none).
	simple := cat(msg('C', "SET\x00"), msg('T', "x"), msg('D', "15"), msg('C', "SHOW\x00"), msg('Z', "I"))
	server := cat(startup, prepared, select3, cancelled, simple)

	for _, size := range []int{1, 3, 7, len(server)} {
		var chunks [][]byte
		for b := server; len(b) > 0; {
			k := min(size, len(b))
			chunks = append(chunks, b[:k])
			b = b[k:]
		}
		conn := &script{chunks: chunks}
		l := &Ledger{}
		m := NewMeter(conn, l)
		read := func(until int) {
			for got := 0; got < until; {
				n, _ := m.Read(make([]byte, min(5, until-got)))
				got += n
			}
		}
		m.Write(msg(0, "\x00\x03\x00\x00user\x00analyst\x00\x00"))
		read(len(startup))
		if l.mem != (Record{Bytes: int64(len(startup))}) {
			t.Fatalf("chunks of %d: the startup is no statement, only bytes; got %+v", size, l.mem)
		}
		m.Write(cat(msg('P', "\x00SELECT\x00\x00\x00"), msg('D', "S\x00"), msg('S', "")))
		clock = clock.Add(time.Millisecond)
		read(len(prepared))
		m.Write(cat(msg('B', "x"), msg('E', "\x00\x00\x00\x00\x00")))
		m.Write(msg('S', "")) // a Sync in a write of its own
		clock = clock.Add(10 * time.Millisecond)
		read(len(select3))
		m.Write(cat(msg('B', "x"), msg('E', "\x00\x00\x00\x00\x00"), msg('S', "")))
		clock = clock.Add(100 * time.Millisecond)
		read(len(cancelled))
		m.Write(msg('Q', "SET x = 1; SHOW server_version\x00"))
		clock = clock.Add(time.Second)
		read(len(simple))
		m.Write(msg('X', ""))
		m.Close()
		want := Record{Statements: 3, Rows: 3, Failed: 1, FailedRows: 2, Bytes: int64(len(server)), Time: 1111 * time.Millisecond}
		got := l.mem
		if got != want {
			t.Errorf("chunks of %d: got %+v, want %+v", size, got, want)
		}
	}
}

// TestLedgerFileIsShared: two processes' ledgers on one file add up; a
// damaged line is skipped and said.
func TestLedgerFileIsShared(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "ledger.jsonl")
	a, b := &Ledger{path: path}, &Ledger{path: path}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); a.Add(Record{Statements: 1, Rows: 10, Bytes: 100, Time: time.Millisecond}) }()
		go func() { defer wg.Done(); b.Add(Record{Statements: 2, Failed: 1, FailedRows: 5, Bytes: 1}) }()
	}
	wg.Wait()
	tot := At(path).Totals()
	want := Record{Statements: 150, Rows: 500, Failed: 50, FailedRows: 250, Bytes: 5050, Time: 50 * time.Millisecond}
	if tot.Record != want || tot.Scope != "this notebook session" || tot.Since.IsZero() || tot.Note != "" {
		t.Fatalf("got %+v, want %+v over the notebook session", tot, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the ledger file should be private (0600): %v %v", fi.Mode(), err)
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("{not json\n")
	f.Close()
	if tot := At(path).Totals(); tot.Statements != 150 || !strings.Contains(tot.Note, "1 line") {
		t.Errorf("a damaged line: want it skipped and said, got %+v", tot)
	}
}

func TestSentence(t *testing.T) {
	tot := Totals{Record: Record{Statements: 12, Rows: 41_233, Bytes: 4_400_000, Time: 3100 * time.Millisecond}, Scope: "this notebook session"}
	want := "this analysis read 41,233 rows from the replica in 12 statements, 3.1 s of replica time, 4.2 MB received"
	if got := tot.Sentence(); got != want {
		t.Errorf("Sentence() = %q, want %q", got, want)
	}
	tot.Failed, tot.FailedRows = 1, 1_000_000
	if got := tot.Sentence(); !strings.Contains(got, "1,041,233 rows") || !strings.Contains(got, "13 statements") || !strings.Contains(got, "(1 stopped early or failed)") {
		t.Errorf("with a cancelled load: %q", got)
	}
	if got := (Totals{}).Sentence(); got != "this analysis sent no statement to the replica" {
		t.Errorf("empty: %q", got)
	}
	h := tot.HTML()
	if !strings.Contains(h, provenance.NoteAttrs("ledger", tot.Sentence())) || !strings.Contains(h, "rows returned") {
		t.Errorf("HTML should show the figures and carry the report's note: %s", h)
	}
}
