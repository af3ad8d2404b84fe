package replica_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/replicalab/replicalab/helpers/frame"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/pgtest"
)

// writeForms are the ways a statement (or a few, run one after the other
// on the same path) could write on a primary. advisory-lock is allowed by
// design: it writes nothing, and must not outlive its statement.
var writeForms = []struct {
	name  string
	stmts []string
}{
	{"insert", []string{"INSERT INTO wtest.t VALUES (1)"}},
	{"update", []string{"UPDATE wtest.t SET id = id + 1"}},
	{"delete", []string{"DELETE FROM wtest.t"}},
	{"insert-cte", []string{"WITH x AS (INSERT INTO wtest.t VALUES (2) RETURNING id) SELECT id FROM x"}},
	{"merge", []string{"MERGE INTO wtest.t USING (SELECT 3 AS id) s ON false WHEN NOT MATCHED THEN INSERT VALUES (s.id)"}},
	{"truncate", []string{"TRUNCATE wtest.t"}},
	{"create-table", []string{"CREATE TABLE wtest.new1 (x int)"}},
	{"create-temp-table", []string{"CREATE TEMP TABLE tt (x int)", "INSERT INTO tt VALUES (1)"}},
	{"drop-table", []string{"DROP TABLE wtest.keep"}},
	{"alter-table", []string{"ALTER TABLE wtest.t ADD COLUMN y int"}},
	{"create-index", []string{"CREATE INDEX ON wtest.t (id)"}},
	{"comment", []string{"COMMENT ON TABLE wtest.t IS 'changed'"}},
	{"grant", []string{"GRANT SELECT ON wtest.t TO PUBLIC"}},
	{"create-function", []string{"CREATE FUNCTION wtest.f2() RETURNS int LANGUAGE sql AS 'SELECT 1'"}},
	{"refresh-matview", []string{"REFRESH MATERIALIZED VIEW wtest.mv"}},
	{"copy-from-stdin", []string{"COPY wtest.t FROM STDIN"}},
	{"nextval", []string{"SELECT nextval('wtest.s')"}},
	{"setval", []string{"SELECT setval('wtest.s', 100)"}},
	{"writing-function", []string{"SELECT wtest.writer_fn()"}},
	{"do-insert", []string{"DO $$ BEGIN INSERT INTO wtest.t VALUES (13); END $$"}},
	{"do-commit-then-write", []string{"DO $$ BEGIN COMMIT; SET default_transaction_read_only = off; COMMIT; INSERT INTO wtest.t VALUES (14); COMMIT; END $$"}},
	{"call-procedure-with-commit", []string{"CALL wtest.writer_proc()"}},
	{"multi-commit-set-insert", []string{"COMMIT; SET default_transaction_read_only = off; INSERT INTO wtest.t VALUES (16)"}},
	{"multi-begin-read-write", []string{"BEGIN READ WRITE; INSERT INTO wtest.t VALUES (17); COMMIT"}},
	{"multi-rollback-insert", []string{"ROLLBACK; INSERT INTO wtest.t VALUES (18)"}},
	{"commit-then-insert", []string{"COMMIT", "INSERT INTO wtest.t VALUES (19)"}},
	{"end-then-insert", []string{"END", "SET default_transaction_read_only = off", "INSERT INTO wtest.t VALUES (20)"}},
	{"rollback-then-insert", []string{"ROLLBACK", "INSERT INTO wtest.t VALUES (21)"}},
	{"set-default-read-only-off", []string{"SET default_transaction_read_only = off", "INSERT INTO wtest.t VALUES (22)"}},
	{"set-session-characteristics", []string{"SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", "INSERT INTO wtest.t VALUES (23)"}},
	{"set-transaction-read-write", []string{"SET TRANSACTION READ WRITE", "INSERT INTO wtest.t VALUES (24)"}},
	{"set-config-function", []string{"SELECT set_config('default_transaction_read_only', 'off', false)", "INSERT INTO wtest.t VALUES (25)"}},
	{"start-transaction-read-write", []string{"START TRANSACTION READ WRITE", "INSERT INTO wtest.t VALUES (26)"}},
	{"alter-role-settings", []string{"ALTER ROLE CURRENT_USER SET default_transaction_read_only = off"}},
	{"prepare-execute", []string{"PREPARE w AS INSERT INTO wtest.t VALUES (27)", "EXECUTE w"}},
	{"cursor-with-hold", []string{"DECLARE c CURSOR WITH HOLD FOR SELECT id FROM wtest.t", "COMMIT", "INSERT INTO wtest.t VALUES (28)"}},
	{"prepare-transaction", []string{"PREPARE TRANSACTION 'w1'"}},
	{"large-object-from-bytea", []string{"SELECT lo_from_bytea(0, 'x'::bytea)"}},
	{"large-object-create", []string{"SELECT lo_create(0)"}},
	{"notify", []string{"NOTIFY wtest_chan, 'x'"}},
	{"pg-notify", []string{"SELECT pg_notify('wtest_chan', 'y')"}},
	{"listen", []string{"LISTEN wtest_other"}},
	{"select-for-update", []string{"SELECT id FROM wtest.t FOR UPDATE"}},
	{"vacuum", []string{"VACUUM wtest.t"}},
	{"advisory-lock", []string{"SELECT pg_advisory_lock(4242)"}},
}

// primaryFingerprint is what a write would change on the primary.
const primaryFingerprint = `SELECT (SELECT count(*) FROM wtest.t)::text || '/' || (SELECT string_agg(id::text, ',' ORDER BY id) FROM wtest.t) || '/' ||
 (SELECT count(*) FROM pg_class WHERE relnamespace = 'wtest'::regnamespace)::text || '/' ||
 (SELECT last_value FROM wtest.s)::text || '/' || (SELECT is_called FROM wtest.s)::text || '/' ||
 (SELECT count(*) FROM pg_largeobject_metadata)::text || '/' ||
 coalesce((SELECT array_to_string(rolconfig, ',') FROM pg_roles WHERE rolname = 'wtest_writer'), '') || '/' ||
 coalesce(obj_description('wtest.t'::regclass), '') || '/' || coalesce((SELECT relacl::text FROM pg_class WHERE oid = 'wtest.t'::regclass), '') || '/' ||
 (SELECT count(*) FROM pg_prepared_xacts)::text || '/' || (SELECT count(*) FROM pg_proc WHERE pronamespace = 'wtest'::regnamespace)::text || '/' ||
 (SELECT relispopulated FROM pg_class WHERE oid = 'wtest.mv'::regclass)::text || '/' || (SELECT count(*) FROM pg_attribute WHERE attrelid = 'wtest.t'::regclass AND attnum > 0)::text`

// setupWriter creates, on the primary, a schema the role wtest_writer may
// write everything in, and returns the config of a pool opened on the
// primary as that role with ALLOW_PRIMARY=1.
func setupWriter(t *testing.T, c *pgtest.Cluster) map[string]string {
	su := superuser(t, c.SuperuserURL())
	pw := "writer-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	for _, s := range []string{
		"DROP SCHEMA IF EXISTS wtest CASCADE",
		"DROP OWNED BY wtest_writer",
		"DROP ROLE IF EXISTS wtest_writer",
	} {
		su.Exec(context.Background(), s) // may not exist yet
	}
	for _, s := range []string{
		"CREATE ROLE wtest_writer LOGIN PASSWORD '" + pw + "'",
		"CREATE SCHEMA wtest AUTHORIZATION wtest_writer",
		"GRANT CONNECT, CREATE, TEMPORARY ON DATABASE " + c.Database + " TO wtest_writer",
		"SET ROLE wtest_writer",
		"CREATE TABLE wtest.t (id int)",
		"INSERT INTO wtest.t VALUES (100), (101)",
		"CREATE TABLE wtest.keep (x int)",
		"CREATE SEQUENCE wtest.s",
		"CREATE MATERIALIZED VIEW wtest.mv AS SELECT id FROM wtest.t WITH NO DATA",
		"CREATE FUNCTION wtest.writer_fn() RETURNS int LANGUAGE plpgsql AS $$ BEGIN INSERT INTO wtest.t VALUES (12); RETURN 1; END $$",
		"CREATE PROCEDURE wtest.writer_proc() LANGUAGE plpgsql AS $$ BEGIN COMMIT; SET default_transaction_read_only = off; INSERT INTO wtest.t VALUES (15); COMMIT; END $$",
		"RESET ROLE",
	} {
		mustExec(t, su, s)
	}
	// The demo's pg_hba.conf lets only its own login role in over TCP: let the writer in too.
	var hba string
	if err := su.QueryRow(context.Background(), "SHOW hba_file").Scan(&hba); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(hba); err != nil {
		t.Fatal(err)
	} else if !strings.Contains(string(data), "wtest_writer") {
		f, err := os.OpenFile(hba, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(f, "host all wtest_writer 127.0.0.1/32 scram-sha-256")
		f.Close()
		mustExec(t, su, "SELECT pg_reload_conf()")
		time.Sleep(200 * time.Millisecond)
	}
	env := c.Env()
	env["RDS_PORT"] = strconv.Itoa(c.PrimaryPort)
	env["RDS_USERNAME"] = "wtest_writer"
	env["RDS_PASSWORD"] = pw
	env["ALLOW_PRIMARY"] = "1"
	// The role can write: proven on a plain connection before the guarded ones try.
	u := fmt.Sprintf("postgres://wtest_writer:%s@127.0.0.1:%d/%s?sslmode=disable", url.QueryEscape(pw), c.PrimaryPort, c.Database)
	w, err := pgx.Connect(context.Background(), u)
	if err != nil {
		t.Fatalf("the writer role cannot connect: %v", err)
	}
	if _, err := w.Exec(context.Background(), "INSERT INTO wtest.t VALUES (102)"); err != nil {
		t.Fatalf("the writer role cannot write (the test would prove nothing): %v", err)
	}
	w.Close(context.Background())
	return env
}

// writePaths run a form's statements one after the other through one way
// of using the pool.
var writePaths = []struct {
	name string
	run  func(ctx context.Context, p *replica.Pool, stmts []string) error
}{
	{"Pool.Exec", func(ctx context.Context, p *replica.Pool, stmts []string) error {
		var errs []error
		for _, s := range stmts {
			_, err := p.Exec(ctx, s)
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}},
	{"Pool.Query", func(ctx context.Context, p *replica.Pool, stmts []string) error {
		var errs []error
		for _, s := range stmts {
			rows, err := p.Query(ctx, s)
			if err == nil {
				for rows.Next() {
				}
				rows.Close()
				err = rows.Err()
			}
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}},
	{"Pool.QueryRow", func(ctx context.Context, p *replica.Pool, stmts []string) error {
		var errs []error
		for _, s := range stmts {
			var v any
			err := p.QueryRow(ctx, s).Scan(&v)
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}},
	{"Begin/Tx", func(ctx context.Context, p *replica.Pool, stmts []string) error {
		tx, err := p.Begin(ctx)
		if err != nil {
			return err
		}
		var errs []error
		for _, s := range stmts {
			_, err := tx.Exec(ctx, s)
			errs = append(errs, err)
			if r, err := tx.Query(ctx, s); err == nil {
				r.Close()
			}
		}
		errs = append(errs, tx.Commit(ctx))
		return errors.Join(errs...)
	}},
	{"Pgx().Exec", func(ctx context.Context, p *replica.Pool, stmts []string) error {
		var errs []error
		for _, s := range stmts {
			_, err := mustPgx(p).Exec(ctx, s) // the simple protocol: several statements in one string
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}},
	{"Pgx() connection", func(ctx context.Context, p *replica.Pool, stmts []string) error {
		c, err := mustPgx(p).Acquire(ctx)
		if err != nil {
			return err
		}
		defer c.Release()
		var errs []error
		for _, s := range stmts {
			_, err := c.Exec(ctx, s)
			errs = append(errs, err)
		}
		if tx, err := c.Begin(ctx); err == nil {
			tx.Exec(ctx, stmts[len(stmts)-1])
			errs = append(errs, tx.Commit(ctx))
		}
		return errors.Join(errs...)
	}},
	{"Pgx().CopyFrom", func(ctx context.Context, p *replica.Pool, stmts []string) error {
		_, err := mustPgx(p).CopyFrom(ctx, pgx.Identifier{"wtest", "t"}, []string{"id"}, pgx.CopyFromRows([][]any{{int32(99)}}))
		return err
	}},
	{"frame.Load", func(ctx context.Context, p *replica.Pool, stmts []string) error {
		var errs []error
		for _, s := range stmts {
			_, err := frame.Load(ctx, p, s, frame.NoCache())
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}},
}

// TestPrimaryOptInWritesNothing runs every write form through every path
// of a pool opened on a primary with ALLOW_PRIMARY=1, as a role that may
// write: nothing changes on the primary, no notification is delivered, no
// lock outlives its statement.
func TestPrimaryOptInWritesNothing(t *testing.T) {
	c := pgtest.Shared(t)
	env := setupWriter(t, c)
	su := superuser(t, c.SuperuserURL())
	ctx := context.Background()
	var before string
	if err := su.QueryRow(ctx, primaryFingerprint).Scan(&before); err != nil {
		t.Fatal(err)
	}
	listener := superuser(t, c.SuperuserURL())
	mustExec(t, listener, "LISTEN wtest_chan")

	p, _ := openPool(t, loadConfig(t, env), replica.Quiet(), replica.NoInterruptHandler())
	if len(writeForms) < 36 {
		t.Fatalf("expected at least 36 write forms, found %d", len(writeForms))
	}
	attempted := map[string]int{}
	succeeded := map[string][]string{}
	var mu sync.Mutex
	for _, path := range writePaths {
		for _, form := range writeForms {
			if path.name == "Pgx().CopyFrom" && form.name != "copy-from-stdin" {
				continue
			}
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			err := path.run(cctx, p, form.stmts)
			cancel()
			var now string
			if err := su.QueryRow(ctx, primaryFingerprint).Scan(&now); err != nil {
				t.Fatal(err)
			}
			changed := now != before
			// A delivered notification is a write too.
			nctx, ncancel := context.WithTimeout(ctx, 50*time.Millisecond)
			_, nerr := listener.WaitForNotification(nctx)
			ncancel()
			notified := nerr == nil
			var locks int
			su.QueryRow(ctx, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").Scan(&locks)
			mu.Lock()
			attempted[path.name]++
			if changed || notified || locks > 0 {
				succeeded[path.name] = append(succeeded[path.name], form.name)
				t.Errorf("%s via %s changed the primary (changed=%v notified=%v advisory locks=%d; error: %v)", form.name, path.name, changed, notified, locks, err)
				before = now
			}
			mu.Unlock()
			_ = err // most forms fail loudly; what counts is that none changed the primary
		}
	}
	// The pool still works afterwards, and it is still read-only.
	var one int
	if err := p.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Errorf("the pool no longer answers: %v", err)
	}
	var lines []string
	total := 0
	for _, path := range writePaths {
		lines = append(lines, fmt.Sprintf("%s %d/%d", path.name, attempted[path.name], len(succeeded[path.name])))
		total += len(succeeded[path.name])
	}
	t.Logf("write forms on a primary with ALLOW_PRIMARY=1, attempted/succeeded per path: %s (%d forms; %d succeeded)", strings.Join(lines, ", "), len(writeForms), total)
}

// TestPrimaryGuardMessages: what a refused statement says, and that a COMMIT
// inside DO is refused by PostgreSQL itself.
func TestPrimaryGuardMessages(t *testing.T) {
	c := pgtest.Shared(t)
	env := setupWriter(t, c)
	p, _ := openPool(t, loadConfig(t, env), replica.Quiet(), replica.NoInterruptHandler())
	ctx := context.Background()
	refused := func(err error, want string) {
		t.Helper()
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "25006" || !strings.Contains(pe.Message, replica.ErrPrimaryGuard.Error()) || !strings.Contains(pe.Message, want) {
			t.Errorf("want a refusal (25006) saying %q, got %v", want, err)
		}
	}
	_, err := mustPgx(p).Exec(ctx, "COMMIT; INSERT INTO wtest.t VALUES (1)")
	refused(err, "2 statements")
	_, err = p.Exec(ctx, "DO $$ BEGIN COMMIT; END $$")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "2D000" {
		t.Errorf("COMMIT inside DO: want invalid transaction termination (2D000), got %v", err)
	}
	_, err = p.Exec(ctx, "COMMIT")
	refused(err, "COMMIT would end it")
	conn, err := mustPgx(p).Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn.Exec(ctx, "ROLLBACK")
	_, err = conn.Exec(ctx, "SELECT 1")
	refused(err, "the transaction was ended")
	conn.Release()
	// Reads work, in every path, and Begin gives one snapshot.
	tx, err := p.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM wtest.t").Scan(&n); err != nil || n == 0 {
		t.Errorf("read in a Tx: %d, %v", n, err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Errorf("Commit of a read-only Tx: %v", err)
	}
}
