package pgtest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/internal/pgtest"
)

// A test that reads the shared replica as the read-only role. The package's TestMain calls
// pgtest.Main(m) so that the shared cluster stops at the end.
func ExampleShared() {
	_ = func(t *testing.T) {
		c := pgtest.Shared(t)
		conn, err := pgx.Connect(context.Background(), c.ReplicaURL())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var n int
		if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM companies WHERE deleted_at IS NULL").Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
}

// A private TLS cluster for a test that needs verify-full.
func ExampleStart() {
	ctx := context.Background()
	c, err := pgtest.Start(ctx, pgtest.Options{TLS: true, Scale: "0.1"})
	if errors.Is(err, pgtest.ErrUnavailable) {
		return // t.Skip(err) in a test
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Stop(ctx)
	fmt.Println(c.CAFile != "") // ReplicaURL uses sslmode=verify-full with this CA
}
