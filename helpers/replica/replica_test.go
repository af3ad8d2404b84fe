package replica_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/pgtest"
)

func TestOpenVerifiesReplicaAndShowsBanner(t *testing.T) {
	c := pgtest.Shared(t)
	p, out := openPool(t, loadConfig(t, c.Env()))

	info := p.Info()
	if !info.InRecovery {
		t.Fatalf("Info().InRecovery = false on the replica")
	}
	target := fmt.Sprintf("%s@127.0.0.1:%d/%s", c.User, c.ReplicaPort, c.Database)
	banner := strings.TrimSpace(out.String())
	for _, want := range []string{target, "PostgreSQL 15", "read replica, lag ", " s, read-only"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner %q does not contain %q", banner, want)
		}
	}
	if strings.Count(banner, "\n") != 0 {
		t.Errorf("banner is not one line: %q", banner)
	}
	if html := p.HTML(); !strings.Contains(html, "read replica") || strings.Contains(html, "<script") {
		t.Errorf("BannerHTML() = %q", html)
	}
	// The banner carries the data's provenance for the report exporter.
	if html := p.HTML(); !strings.Contains(html, `data-replicalab-source="`+target+`"`) ||
		!strings.Contains(html, `data-replicalab-lag="`) {
		t.Errorf("BannerHTML() lacks provenance attributes: %q", html)
	}
	if age := time.Since(info.CheckedAt); info.CheckedAt.IsZero() || age < 0 || age > time.Minute {
		t.Errorf("Info().CheckedAt = %v, want the time of Open", info.CheckedAt)
	}
	assertNoSecret(t, c.Password, merge(shown(p), shown(p.Settings()), map[string]string{
		"banner": banner, "BannerHTML": p.HTML(), "Describe": p.Settings().Describe(), "Info": fmt.Sprintf("%+v", p.Info()),
	}))

	// The session carries the protections, whatever the server's defaults.
	ctx := context.Background()
	want := map[string]string{
		"default_transaction_read_only": "on", "transaction_read_only": "on", "statement_timeout": "5min",
		"lock_timeout": "5s", "idle_in_transaction_session_timeout": "1min", "client_connection_check_interval": "1s",
	}
	for name, value := range want {
		var got string
		if err := p.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != value {
			t.Errorf("%s = %q, want %q", name, got, value)
		}
	}
	var n int64
	if err := p.QueryRow(ctx, "SELECT count(*) FROM companies").Scan(&n); err != nil || n == 0 {
		t.Errorf("count(companies) = %d, %v; want rows from the demo data", n, err)
	}
	rows, _ := p.Query(ctx, "SELECT id FROM companies ORDER BY id LIMIT 3")
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) != 3 {
		t.Errorf("CollectRows over Pool.Query = %v, %v", ids, err)
	}
}

func TestApplicationNameAndTimeoutsConfigurable(t *testing.T) {
	c := pgtest.Shared(t)
	p, _ := openPool(t, loadConfig(t, c.Env(), "JPY_SESSION_NAME=notebooks/2.0-ab-orders.ipynb",
		"REPLICALAB_STATEMENT_TIMEOUT=300ms", "REPLICALAB_LOCK_TIMEOUT=1s"))
	ctx := context.Background()

	// The analyst's OS user and the notebook's name show where DBAs look.
	var name string
	admin := superuser(t, c.ReplicaSuperuserURL())
	err := admin.QueryRow(ctx, "SELECT application_name FROM pg_stat_activity WHERE usename = $1 AND application_name LIKE '%/2.0-ab-orders' LIMIT 1", c.User).Scan(&name)
	if want := "replicalab/" + osUser(t) + "/2.0-ab-orders"; err != nil || name != want {
		t.Errorf("application_name in pg_stat_activity = %q, %v; want %s", name, err, want)
	}

	// statement_timeout is enforced and explained.
	_, err = p.Exec(ctx, "SELECT pg_sleep(3)")
	var qe *replica.QueryError
	if !errors.As(err, &qe) || qe.Kind != replica.TimedOut || !strings.Contains(err.Error(), replica.KeyStatementTimeout) {
		t.Errorf("a query over the timeout gave %v, want a statement timeout naming %s", err, replica.KeyStatementTimeout)
	}
}

func TestPrimaryRefused(t *testing.T) {
	c := pgtest.Shared(t)
	cfg := loadConfig(t, c.Env(), "RDS_PORT="+strconv.Itoa(c.PrimaryPort))
	out := capture(t)
	err := openErr(context.Background(), replica.WithConfig(cfg))
	if !errors.Is(err, replica.ErrPrimary) {
		t.Fatalf("opening the primary gave %v, want ErrPrimary", err)
	}
	var ce *replica.ConnectError
	if !errors.As(err, &ce) || ce.Problem != replica.ProblemPrimary || !contains(ce.Vars, "ALLOW_PRIMARY") || !contains(ce.Vars, "RDS_PORT") {
		t.Errorf("error %v does not point at RDS_PORT and ALLOW_PRIMARY", err)
	}
	for _, want := range []string{"primary", "pg_is_in_recovery() is false", "ALLOW_PRIMARY=1", fmt.Sprintf("127.0.0.1:%d", c.PrimaryPort)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if out.Len() != 0 {
		t.Errorf("a refused open displayed %q", out.String())
	}
	assertNoSecret(t, c.Password, map[string]string{"error": err.Error(), "%+v": fmt.Sprintf("%+v", err)})
	if err := replica.Check(context.Background(), replica.WithConfig(cfg)); !errors.Is(err, replica.ErrPrimary) {
		t.Errorf("Check on the primary = %v, want ErrPrimary", err)
	}
}

func TestPrimaryOptInWarns(t *testing.T) {
	c := pgtest.Shared(t)
	p, out := openPool(t, loadConfig(t, c.Env(), "RDS_PORT="+strconv.Itoa(c.PrimaryPort), "ALLOW_PRIMARY=1"))
	if p.Info().InRecovery {
		t.Fatal("Info().InRecovery = true on the primary")
	}
	for _, text := range []string{out.String(), p.HTML()} {
		if !strings.Contains(text, "PRIMARY") || !strings.Contains(text, "NOT A REPLICA") {
			t.Errorf("no loud warning in %q", text)
		}
	}
	if !strings.Contains(p.HTML(), "border:3px solid") {
		t.Errorf("BannerHTML for a primary is not a warning box: %q", p.HTML())
	}
	if !strings.Contains(p.String(), "PRIMARY") {
		t.Errorf("String() = %q does not say PRIMARY", p.String())
	}
}

// snapshot is what the write attempts could have changed on the primary.
type snapshot struct {
	probeRows, probeSum, seq int64
	newTable, events         int64
}

func takeSnapshot(t *testing.T, admin *pgx.Conn) snapshot {
	t.Helper()
	var s snapshot
	err := admin.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM replicalab_probe), (SELECT coalesce(sum(id), 0) + coalesce(sum(length(note)), 0) FROM replicalab_probe),
		(SELECT last_value FROM replicalab_probe_id_seq), (SELECT count(*) FROM pg_class WHERE relname = 'replicalab_new'), (SELECT count(*) FROM events)`).
		Scan(&s.probeRows, &s.probeSum, &s.seq, &s.newTable, &s.events)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWritesFailAndPrimaryUnchanged(t *testing.T) {
	c := pgtest.Shared(t)
	ctx := context.Background()
	admin := superuser(t, c.SuperuserURL())
	// A table the role may write to, so only read-only-ness can stop the writes.
	for _, sql := range []string{
		"CREATE TABLE replicalab_probe (id serial PRIMARY KEY, note text)",
		"INSERT INTO replicalab_probe (note) VALUES ('a'), ('b')",
		"GRANT ALL ON replicalab_probe TO " + c.User,
		"GRANT ALL ON SEQUENCE replicalab_probe_id_seq TO " + c.User,
		"GRANT CREATE ON SCHEMA public TO " + c.User,
		`CREATE FUNCTION replicalab_probe_write() RETURNS int LANGUAGE sql SECURITY DEFINER
		   AS 'INSERT INTO replicalab_probe (note) VALUES (''from a function'') RETURNING id'`,
	} {
		mustExec(t, admin, sql)
	}
	t.Cleanup(func() {
		for _, sql := range []string{"DROP FUNCTION IF EXISTS replicalab_probe_write()", "DROP TABLE IF EXISTS replicalab_probe, replicalab_new",
			"REVOKE CREATE ON SCHEMA public FROM " + c.User} {
			mustExec(t, admin, sql)
		}
	})
	if err := c.WaitReplayed(ctx); err != nil {
		t.Fatal(err)
	}
	before := takeSnapshot(t, admin)

	attempts := []struct {
		name string
		run  func(p *replica.Pool) error
	}{
		{"INSERT", func(p *replica.Pool) error {
			_, err := p.Exec(ctx, "INSERT INTO replicalab_probe (note) VALUES ('x')")
			return err
		}},
		{"INSERT with arguments", func(p *replica.Pool) error {
			_, err := p.Exec(ctx, "INSERT INTO replicalab_probe (note) VALUES ($1)", "x")
			return err
		}},
		{"UPDATE", func(p *replica.Pool) error {
			_, err := p.Exec(ctx, "UPDATE replicalab_probe SET note = 'changed'")
			return err
		}},
		{"DELETE", func(p *replica.Pool) error { _, err := p.Exec(ctx, "DELETE FROM replicalab_probe"); return err }},
		{"CREATE TABLE", func(p *replica.Pool) error { _, err := p.Exec(ctx, "CREATE TABLE replicalab_new (x int)"); return err }},
		{"COPY FROM", func(p *replica.Pool) error {
			conn, err := pgxPool(t, p).Acquire(ctx)
			if err != nil {
				return err
			}
			defer conn.Release()
			_, err = conn.Conn().PgConn().CopyFrom(ctx, strings.NewReader("copied\n"), "COPY replicalab_probe (note) FROM STDIN")
			return err
		}},
		{"pgx CopyFrom", func(p *replica.Pool) error {
			_, err := pgxPool(t, p).CopyFrom(ctx, pgx.Identifier{"replicalab_probe"}, []string{"note"}, pgx.CopyFromRows([][]any{{"copied"}}))
			return err
		}},
		{"nextval", func(p *replica.Pool) error {
			var n int64
			return p.QueryRow(ctx, "SELECT nextval('replicalab_probe_id_seq')").Scan(&n)
		}},
		{"a function that writes", func(p *replica.Pool) error {
			var n int64
			return p.QueryRow(ctx, "SELECT replicalab_probe_write()").Scan(&n)
		}},
		{"SET default_transaction_read_only=off, then INSERT", func(p *replica.Pool) error {
			if _, err := p.Exec(ctx, "SET default_transaction_read_only = off"); err != nil {
				return fmt.Errorf("the SET itself failed, unexpectedly: %w", err)
			}
			_, err := p.Exec(ctx, "INSERT INTO replicalab_probe (note) VALUES ('after set')")
			return err
		}},
		{"the same through Pgx()", func(p *replica.Pool) error {
			if _, err := pgxPool(t, p).Exec(ctx, "SET default_transaction_read_only = off"); err != nil {
				return fmt.Errorf("the SET itself failed, unexpectedly: %w", err)
			}
			_, err := pgxPool(t, p).Exec(ctx, "INSERT INTO replicalab_probe (note) VALUES ('after set')")
			return err
		}},
		{"SET and INSERT in one string", func(p *replica.Pool) error {
			_, err := p.Exec(ctx, "SET default_transaction_read_only = off; INSERT INTO replicalab_probe (note) VALUES ('x')")
			return err
		}},
		{"SET TRANSACTION READ WRITE in Begin", func(p *replica.Pool) error {
			tx, err := p.Begin(ctx)
			if err != nil {
				return fmt.Errorf("Begin failed, unexpectedly: %w", err)
			}
			defer tx.Rollback(ctx)
			if _, err := tx.Exec(ctx, "SET TRANSACTION READ WRITE"); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, "INSERT INTO replicalab_probe (note) VALUES ('x')")
			if err == nil {
				err = tx.Commit(ctx)
			}
			return err
		}},
	}

	for _, target := range []struct {
		name string
		cfg  []string
	}{
		{"replica", nil},
		{"primary with ALLOW_PRIMARY", []string{"RDS_PORT=" + strconv.Itoa(c.PrimaryPort), "ALLOW_PRIMARY=1"}},
	} {
		t.Run(target.name, func(t *testing.T) {
			p, _ := openPool(t, loadConfig(t, c.Env(), target.cfg...), replica.Quiet())
			for _, a := range attempts {
				err := a.run(p)
				if err == nil {
					t.Errorf("%s succeeded, want it refused", a.name)
					continue
				}
				if strings.Contains(err.Error(), "unexpectedly") {
					t.Errorf("%s: %v", a.name, err)
				}
				// Refused for being read-only, not for lack of privileges.
				var pgErr *pgconn.PgError
				if errors.As(err, &pgErr) && pgErr.Code == "42501" {
					t.Errorf("%s was refused for privileges, want read-only: %v", a.name, err)
				}
			}
			// The pool still works after all that.
			var one int
			if err := p.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
				t.Errorf("query after the write attempts: %v", err)
			}
		})
	}
	if after := takeSnapshot(t, admin); after != before {
		t.Errorf("the primary changed: before %+v, after %+v", before, after)
	}
}

// freePort returns a loopback port with nothing listening.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}

func TestConnectErrorsNameTheVariable(t *testing.T) {
	c := pgtest.Shared(t)
	wrongPassword := "Wrong-pa55word-" + strconv.Itoa(os.Getpid())
	cases := []struct {
		name      string
		overrides []string
		problem   replica.Problem
		variable  string
	}{
		{"wrong password", []string{"RDS_PASSWORD=" + wrongPassword}, replica.ProblemAuth, "RDS_USERNAME"},
		{"wrong user", []string{"RDS_USERNAME=nobody_here"}, replica.ProblemAuth, "RDS_USERNAME"},
		{"unknown database", []string{"RDS_DB_NAME=no_such_db"}, replica.ProblemDatabase, "RDS_DB_NAME"},
		{"closed port", []string{"RDS_PORT=" + strconv.Itoa(freePort(t))}, replica.ProblemRefused, "RDS_PORT"},
		{"wrong host", []string{"RDS_HOSTNAME=no-such-host.invalid", "REPLICALAB_CONNECT_TIMEOUT=3s"}, "", "RDS_HOSTNAME"},
		{"silent server", []string{"RDS_PORT=" + strconv.Itoa(silentServer(t)), "REPLICALAB_CONNECT_TIMEOUT=1s"}, replica.ProblemTimeout, "RDS_HOSTNAME"},
		{"TLS required, server without TLS", []string{"RDS_SSLMODE=require"}, replica.ProblemTLS, "RDS_SSLMODE"},
		{"bad sslmode", []string{"RDS_SSLMODE=sometimes"}, replica.ProblemConfig, "RDS_SSLMODE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cfg := loadConfig(t, c.Env(), tc.overrides...)
			err := replica.Check(ctx, replica.WithConfig(cfg))
			if ctx.Err() != nil {
				t.Fatalf("Check hung until the test's deadline: %v", err)
			}
			var ce *replica.ConnectError
			if !errors.As(err, &ce) {
				t.Fatalf("Check = %v, want a *ConnectError", err)
			}
			if tc.problem != "" && ce.Problem != tc.problem {
				t.Errorf("problem = %q, want %q (%v)", ce.Problem, tc.problem, err)
			}
			if ce.Var() != tc.variable {
				t.Errorf("Var() = %q (Vars %q), want %q (%v)", ce.Var(), ce.Vars, tc.variable, err)
			}
			msg := err.Error()
			if tc.problem != replica.ProblemConfig && (!strings.Contains(msg, ce.Target) || !strings.Contains(ce.Target, "@")) {
				t.Errorf("error %q does not name user@host:port/db", msg)
			}
			if !strings.Contains(msg, string(ce.Problem)) {
				t.Errorf("error %q does not state the problem %q", msg, ce.Problem)
			}
			// Nothing a notebook would display holds either password.
			out := capture(t)
			gotErr := openErr(ctx, replica.WithConfig(cfg), replica.NoInterruptHandler())
			texts := map[string]string{"Check error": msg, "%+v": fmt.Sprintf("%+v", err), "%#v": fmt.Sprintf("%#v", err),
				"Open error": fmt.Sprint(gotErr), "displayed": out.String()}
			assertNoSecret(t, c.Password, texts)
			assertNoSecret(t, wrongPassword, texts)
			if out.Len() != 0 {
				t.Errorf("a failed Open displayed %q", out.String())
			}
		})
	}
}

func TestContextCancelStopsQueryOnServer(t *testing.T) {
	c := pgtest.Shared(t)
	p, _ := openPool(t, loadConfig(t, c.Env(), "REPLICALAB_APP_NAME=ctx-cancel-test"), replica.Quiet())
	admin := superuser(t, c.ReplicaSuperuserURL())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := p.Exec(ctx, "SELECT pg_sleep(60)"); done <- err }()
	active := func() bool {
		var n int
		_ = admin.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = 'ctx-cancel-test' AND state = 'active' AND query LIKE '%pg_sleep(60)%'`).Scan(&n)
		return n > 0
	}
	eventually(t, 10*time.Second, "pg_sleep(60) running on the replica", active)
	cancel()
	eventually(t, time.Second, "the query stopped on the server after its context was cancelled", func() bool { return !active() })
	if err := <-done; err == nil {
		t.Error("the cancelled query returned no error")
	}
}

// buildSleeper builds testdata/sleeper, a stand-in for a notebook cell.
func buildSleeper(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sleeper")
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/sleeper")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/sleeper: %v\n%s", err, out)
	}
	return bin
}

func TestInterruptCancelsQueryOnServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	c := pgtest.Shared(t)
	bin := buildSleeper(t)
	admin := superuser(t, c.ReplicaSuperuserURL())

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			app := "interrupt-test-" + strconv.Itoa(int(sig))
			cmd := exec.Command(bin)
			cmd.Dir = t.TempDir() // no .env there: the environment carries the settings
			if err := os.WriteFile(filepath.Join(cmd.Dir, ".env"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd.Env = append(os.Environ(), "REPLICALAB_APP_NAME="+app)
			for k, v := range c.Env() {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			t.Cleanup(func() { _ = cmd.Process.Kill() })

			backends := func(state string) int {
				var n int
				_ = admin.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
					WHERE application_name = $1 AND ($2 = '' OR state = $2 AND query LIKE '%pg_sleep(60)%')`, app, state).Scan(&n)
				return n
			}
			eventually(t, 20*time.Second, "pg_sleep(60) running on the replica", func() bool { return backends("active") > 0 })

			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			limit := time.Second // the bound for an interrupt
			if sig == syscall.SIGKILL {
				// Nothing can cancel; the server notices the dead client at its next
				// client_connection_check_interval (1 s) check.
				limit = 5 * time.Second
			}
			took := eventually(t, limit, "the backend gone from pg_stat_activity", func() bool { return backends("") == 0 })
			t.Logf("%v: backend gone after %v", sig, took)

			select {
			case err := <-waited:
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != sig {
					t.Errorf("the program ended with %v, want death by %v (output: %s)", err, sig, out.String())
				}
			case <-time.After(5 * time.Second):
				t.Errorf("the program is still running 5 s after %v (output: %s)", sig, out.String())
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestOpenWarnsAboutReadableDotEnv(t *testing.T) {
	c := pgtest.Shared(t)
	dir := t.TempDir()
	var body strings.Builder
	for _, k := range []string{"RDS_HOSTNAME", "RDS_PORT", "RDS_DB_NAME", "RDS_USERNAME", "RDS_PASSWORD"} {
		fmt.Fprintf(&body, "%s='%s'\n", k, c.Env()[k])
	}
	envFile := filepath.Join(dir, ".env")
	if err := os.WriteFile(envFile, []byte(body.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(envFile, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(dir)) // Open with no Config reads .env from the working folder
	out := capture(t)
	p, err := replica.Open(context.Background(), replica.NoInterruptHandler())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	shownText := out.String()
	if !strings.Contains(shownText, "warning: ") || !strings.Contains(shownText, envFile) || !strings.Contains(shownText, "chmod 600") {
		t.Errorf("Open displayed %q, want a warning about %s with the fix", shownText, envFile)
	}
	if got := p.Settings().Sources()[4].From; got != "RDS_PASSWORD ("+envFile+":5)" {
		t.Errorf("password from %q", got)
	}
	assertNoSecret(t, c.Password, map[string]string{"displayed": shownText})
}

// pgxPool is p.Pgx, failing the test on error.
func pgxPool(t testing.TB, p *replica.Pool) *pgxpool.Pool {
	t.Helper()
	pool, err := p.Pgx(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return pool
}

// mustPgx is p.Pgx for a pool that is connected already.
func mustPgx(p *replica.Pool) *pgxpool.Pool {
	pool, err := p.Pgx(context.Background())
	if err != nil {
		panic(err)
	}
	return pool
}

// osUser is the user running the tests, as the OS names it.
func osUser(t testing.TB) string {
	u, err := user.Current()
	if err != nil || u.Username == "" {
		t.Fatalf("the OS user running the tests: %v", err)
	}
	return u.Username
}
