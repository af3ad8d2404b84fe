// Package pgtest gives tests a real PostgreSQL primary with a streaming read replica, seeded with the
// demo marketplace (see internal/demodb), on free loopback ports in a temporary folder.
//
// Most packages share one cluster per test binary:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		c := pgtest.Shared(t) // skips the test when PostgreSQL is absent and cannot be installed
//		conn, err := pgx.Connect(ctx, c.ReplicaURL()) // read-only role "analyst" on the replica
//		...
//	}
//
// Tests that stop the replica, add replicas, need TLS or another scale start their own:
//
//	c, err := pgtest.Start(ctx, pgtest.Options{TLS: true, Scale: "0.1"})
//	if errors.Is(err, pgtest.ErrUnavailable) { t.Skip(err) }
//	defer c.Stop(ctx)
//
// URLs: ReplicaURL and PrimaryLoginURL log the read-only role in over TCP with its password;
// SuperuserURL and ReplicaSuperuserURL reach the superuser through the private unix socket, for
// set-up and assertions only (e.g. reading pg_stat_statements on the replica). Env returns the
// RDS_* settings for t.Setenv. Fields and String never print the password.
//
// A small cluster starts in about 5 seconds (initdb, pg_basebackup, seeding 80,000 rows, ANALYZE).
// Each cluster has a watchdog process that stops its servers and removes its folder if the test
// binary dies without Stop (a panic or a -timeout). Set REPLICALAB_PGTEST_VERBOSE=1 to see the
// progress lines on stderr.
package pgtest
