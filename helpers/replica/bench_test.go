package replica_test

import (
	"context"
	"testing"

	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/pgtest"
)

// BenchmarkOpen times replica.Open against the test replica on loopback:
// resolve the settings, connect (password auth), verify recovery, set the
// session up, measure the lag, then close.
func BenchmarkOpen(b *testing.B) {
	c := pgtest.Shared(b)
	cfg := loadConfig(b, c.Env())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := replica.Open(ctx, replica.WithConfig(cfg), replica.Quiet(), replica.NoInterruptHandler())
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Connect(ctx); err != nil {
			b.Fatal(err)
		}
		p.Close()
	}
}

// BenchmarkLag times one lag measurement on an open pool.
func BenchmarkLag(b *testing.B) {
	c := pgtest.Shared(b)
	p, _ := openPool(b, loadConfig(b, c.Env()), replica.Quiet(), replica.NoInterruptHandler())
	ctx := context.Background()
	for b.Loop() {
		if _, err := p.Lag(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
