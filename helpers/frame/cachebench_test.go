package frame

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// syntheticColumns makes n rows of 11 columns shaped like the benchmark query of
// BenchmarkLoad1M (ids, times, short text, a nullable id, JSON, addresses, dates, money,
// booleans), without a database: for benchmarks of the cache format alone.
func syntheticColumns(n int) []*column {
	mk := func(name string, k Kind) *column {
		return &column{Column: Column{Name: name, Kind: k, Series: k.SeriesType(), Type: name}}
	}
	id, at, kind, user, company := mk("id", Integer), mk("occurred_at", Timestamp), mk("kind", Text), mk("user_id", Integer), mk("company_id", Integer)
	payload, ip, day, amount, anon, rep := mk("payload", JSON), mk("ip", Text), mk("day", Date), mk("amount", Numeric), mk("anonymous", Boolean), mk("rep", Integer)
	kinds := []string{"login", "logout", "view_part", "create_rfq", "send_quote", "place_order"}
	t0 := float64(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	for i := 0; i < n; i++ {
		id.ints.push(i + 1)
		at.floats.push(t0 + float64(i)*37.25)
		kind.strs.push([]byte(kinds[i%len(kinds)]))
		if i%7 == 0 {
			user.addNull()
		} else {
			user.ints.push(i % 5000)
			if user.hasNull {
				user.null.push(false)
			}
			user.n++
		}
		company.ints.push(i % 400)
		payload.strs.push([]byte(fmt.Sprintf(`{"part_id": %d, "source": "search", "session": "s%06d"}`, i%90000, i%100000)))
		ip.strs.push([]byte(fmt.Sprintf("10.%d.%d.%d", i%256, (i/256)%256, (i/65536)%256)))
		day.floats.push(t0 + float64(i/86400)*86400)
		amount.floats.push(float64(i%100000) / 100)
		anon.bools.push(i%7 == 0)
		rep.ints.push(i%20 + 1)
	}
	cols := []*column{id, at, kind, user, company, payload, ip, day, amount, anon, rep}
	for _, c := range cols {
		c.n = n
	}
	return cols
}

// BenchmarkCacheRead1M writes a 1,000,000 × 11 cache file and reads it back into a DataFrame:
// the format's own cost, without a database.
func BenchmarkCacheRead1M(b *testing.B) {
	const n = 1_000_000
	path := filepath.Join(b.TempDir(), "bench.frame")
	cols := syntheticColumns(n)
	if err := writeCache(path, cacheMeta{Rows: n, Database: "bench"}, cols); err != nil {
		b.Fatal(err)
	}
	b.Run("write", func(b *testing.B) {
		for b.Loop() {
			if err := writeCache(path, cacheMeta{Rows: n, Database: "bench"}, cols); err != nil {
				b.Fatal(err)
			}
		}
		if st, err := os.Stat(path); err == nil {
			b.ReportMetric(float64(st.Size())/1e6, "MB")
		}
	})
	b.Run("read", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, df, _, err := readCache(path, func(cacheMeta) error { return nil }); err != nil || df.Nrow() != n {
				b.Fatal(err)
			}
		}
	})
}
