package replica_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/helpers/replica"
)

// The main path of a notebook cell: open the replica (settings from the
// environment and .env), which verifies it and shows a one-line banner, then
// query it.
func ExampleOpen() {
	ctx := context.Background()
	db, err := replica.Open(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // names user@host:port/db, the problem and the variable to fix
		return
	}
	defer db.Close()

	rows, _ := db.Query(ctx, "SELECT name FROM companies ORDER BY id LIMIT $1", 5)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // a recovery conflict or timeout says what to do
		return
	}
	fmt.Println(names)
}

// Where each connection setting comes from, without the password: what
// `make lab` prints to check a user's .env.
func ExampleResolve() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, ".env"), nil, 0o600) // an empty .env: nothing from the parent folders
	cfg, _ := config.LoadFrom(dir, []string{
		"DATABASE_URL=postgres://analyst@db-replica.internal/marketplace?sslmode=disable",
		"RDS_HOSTNAME=ignored-because-DATABASE_URL-sets-the-host",
		"RDS_PASSWORD=s3cret",
		"REPLICALAB_STATEMENT_TIMEOUT=10m",
		"REPLICALAB_APP_NAME=1.0-jqp-orders",
	})
	s, err := replica.Resolve(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Target())
	for _, st := range s.Sources()[:8] {
		fmt.Printf("%s = %s (%s)\n", st.Name, st.Value, st.From)
	}
	// Output:
	// analyst@db-replica.internal:5432/marketplace
	// host = db-replica.internal (DATABASE_URL (environment))
	// port = 5432 (default)
	// database = marketplace (DATABASE_URL (environment))
	// user = analyst (DATABASE_URL (environment))
	// password = (set) (RDS_PASSWORD (environment))
	// sslmode = disable (DATABASE_URL (environment))
	// connect_timeout = 10s (default)
	// application_name = 1.0-jqp-orders (REPLICALAB_APP_NAME (environment))
}

// Check is what `make lab` runs on a user's .env: a failure names the
// variable to fix.
func ExampleCheck() {
	err := replica.Check(context.Background())
	var ce *replica.ConnectError
	if errors.As(err, &ce) {
		fmt.Printf("%s: fix %s\n", ce.Problem, ce.Var())
	}
}

// The load this notebook session put on the replica, counted from the
// protocol: in a notebook a small table, elsewhere a line of text.
func ExampleLedger() {
	replica.Ledger().Show()
	fmt.Println(replica.Ledger()) // the sentence exported reports end with
	// Prints, e.g.:
	//   load on the replica (this notebook session): 12 statements, 41,233 rows returned, 4.2 MB received, 3.1 s of replica time
	//   this analysis read 41,233 rows from the replica in 12 statements, 3.1 s of replica time, 4.2 MB received
}
