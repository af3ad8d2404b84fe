package replica_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/pgtest"
)

// TestDatabaseURLWithRawReservedCharacters: a password with a raw '@', '/',
// '?' or '#' in DATABASE_URL is refused before anything is dialled or
// looked up, the error says how to percent-encode, and no fragment of the
// password appears in it. Encoded, the same password resolves.
func TestDatabaseURLWithRawReservedCharacters(t *testing.T) {
	for _, pw := range []string{"Zq@9k" + "Wv7m", "Zq9k/" + "Wv7m", "Zq9k#" + "Wv7m", "Zq9k?" + "Wv7m", "Zq@9k/" + "Wv#7m"} {
		cfg := loadConfig(t, nil, "DATABASE_URL=postgres://analyst:"+pw+"@replica.invalid:5432/app")
		_, err := replica.Resolve(cfg)
		var ce *replica.ConnectError
		if !errors.As(err, &ce) || ce.Problem != replica.ProblemConfig || !contains(ce.Vars, "DATABASE_URL") {
			t.Errorf("%d-char password with a reserved character: want a configuration error naming DATABASE_URL, got %v", len(pw), err)
			continue
		}
		msg := err.Error()
		for i := 0; i+3 <= len(pw); i++ {
			if strings.Contains(msg, pw[i:i+3]) {
				t.Errorf("the error shows a fragment of the password (%q): %s", pw[i:i+3], msg)
			}
		}
		for _, want := range []string{"%40", "%2F", "percent-encode", "RDS_PASSWORD"} {
			if !strings.Contains(strings.ToLower(msg), strings.ToLower(want)) {
				t.Errorf("the error should say %q: %s", want, msg)
			}
		}
	}
	if _, err := replica.Resolve(loadConfig(t, nil, "DATABASE_URL=postgres://analyst:"+"Zq%409k"+"%2FWv%237m"+"@replica.invalid:5432/app")); err != nil {
		t.Errorf("the encoded password was refused: %v", err)
	}
	// An '@' in the query string is not a password.
	if _, err := replica.Resolve(loadConfig(t, nil, "DATABASE_URL=postgres://analyst@replica.invalid:5432/app?application_name=a@b")); err != nil {
		t.Errorf("an @ in the query string was refused: %v", err)
	}
}

// TestPgxConfigHoldsNoPassword: the config and connection string pgx hands
// out with Pgx() do not show the password, and connections still log in.
func TestPgxConfigHoldsNoPassword(t *testing.T) {
	c := pgtest.Shared(t)
	for name, cfg := range map[string][]string{
		"RDS_*":        nil,
		"DATABASE_URL": {"DATABASE_URL=" + c.ReplicaURL()},
	} {
		t.Run(name, func(t *testing.T) {
			p, _ := openPool(t, loadConfig(t, c.Env(), cfg...), replica.Quiet(), replica.NoInterruptHandler())
			pc := mustPgx(p).Config()
			for what, s := range map[string]string{
				"ConnString": pc.ConnString(), "Config": fmt.Sprintf("%+v", *pc), "ConnConfig": fmt.Sprintf("%+v", *pc.ConnConfig),
				"ConnConfig.Password": pc.ConnConfig.Password,
			} {
				if strings.Contains(s, c.Password) {
					t.Errorf("%s shows the password", what)
				}
			}
			var one int
			if err := mustPgx(p).QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil {
				t.Errorf("connections through Pgx() no longer log in: %v", err)
			}
		})
	}
}

// TestKeepalivesOnConnections: every connection has TCP keepalives and a
// user timeout, so a dropped network is noticed well before statement_timeout.
func TestKeepalivesOnConnections(t *testing.T) {
	c := pgtest.Shared(t)
	p, _ := openPool(t, loadConfig(t, c.Env()), replica.Quiet(), replica.NoInterruptHandler())
	conn, err := mustPgx(p).Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	nc := conn.Conn().PgConn().Conn()
	if m, ok := nc.(interface{ NetConn() net.Conn }); ok {
		nc = m.NetConn() // under the ledger's meter
	}
	tcp, ok := nc.(*net.TCPConn)
	if !ok {
		t.Fatalf("expected a TCP connection, found %T", nc)
	}
	raw, err := tcp.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var keep, idle, user int
	raw.Control(func(fd uintptr) {
		keep, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_KEEPALIVE)
		idle, _ = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_KEEPIDLE)
		user, _ = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT)
	})
	if keep != 1 || idle <= 0 || user <= 0 {
		t.Errorf("keepalive=%d idle=%ds user timeout=%dms: expected keepalives and a user timeout", keep, idle, user)
	}
	if st := p.Settings().StatementTimeout; time.Duration(user)*time.Millisecond >= st || time.Duration(idle)*time.Second >= st {
		t.Errorf("the network checks (idle %ds, user timeout %dms) do not come before statement_timeout %v", idle, user, st)
	}
}

// freezeServer stops (SIGSTOP) every process of the PostgreSQL server
// listening behind superuserURL and returns a function that resumes them.
func freezeServer(t testing.TB, superuserURL string) (resume func()) {
	t.Helper()
	su := superuser(t, superuserURL)
	var dataDir string
	if err := su.QueryRow(context.Background(), "SHOW data_directory").Scan(&dataDir); err != nil {
		t.Fatal(err)
	}
	su.Close(context.Background())
	pidFile, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	postmaster, err := strconv.Atoi(strings.SplitN(string(pidFile), "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	pids := []int{postmaster}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(postmaster) {
			pids = append(pids, pid)
		}
	}
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGSTOP)
	}
	resumed := false
	resume = func() {
		if !resumed {
			resumed = true
			for _, pid := range pids {
				syscall.Kill(pid, syscall.SIGCONT)
			}
		}
	}
	t.Cleanup(resume)
	return resume
}

// frozenTimes is what a frozen replica costs: from the freeze to the error
// of a running query, to the error of verifying (Lag) and of opening (Check),
// and how long Close takes afterwards.
type frozenTimes struct {
	query, reverify, open, close   time.Duration
	queryErr, reverifyErr, openErr error
}

// freezeRun freezes the replica of c while a query runs on it, with a
// statement timeout of 3 s and a connect timeout of 2 s.
func freezeRun(t testing.TB, c *pgtest.Cluster) frozenTimes {
	cfg := loadConfig(t, c.Env(), "REPLICALAB_STATEMENT_TIMEOUT=3s", "REPLICALAB_CONNECT_TIMEOUT=2s")
	ctx := context.Background()
	p, err := replica.Open(ctx, replica.WithConfig(cfg), replica.Quiet(), replica.NoInterruptHandler())
	if err == nil {
		err = p.Connect(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	var ft frozenTimes
	done := make(chan error, 1)
	go func() {
		var v any
		done <- p.QueryRow(ctx, "SELECT pg_sleep(60)").Scan(&v)
	}()
	su := superuser(t, c.ReplicaSuperuserURL())
	eventually(t, 10*time.Second, "the query runs on the replica", func() bool {
		var n int
		su.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%'").Scan(&n)
		return n == 1
	})
	su.Close(ctx)
	resume := freezeServer(t, c.ReplicaSuperuserURL())
	start := time.Now()
	select {
	case ft.queryErr = <-done:
		ft.query = time.Since(start)
	case <-time.After(60 * time.Second):
		t.Fatal("the query on the frozen replica still hangs after 60 s")
	}
	start = time.Now()
	_, ft.reverifyErr = p.Lag(ctx)
	ft.reverify = time.Since(start)
	start = time.Now()
	ft.openErr = replica.Check(ctx, replica.WithConfig(cfg))
	ft.open = time.Since(start)
	start = time.Now()
	p.Close()
	ft.close = time.Since(start)
	resume()
	return ft
}

// TestFrozenReplica: a replica frozen with SIGSTOP during a query. The
// query fails with an error saying the server stopped answering and what to
// check; verifying and opening fail as a timeout; Close returns; after
// SIGCONT a new pool works.
func TestFrozenReplica(t *testing.T) {
	if os.Getuid() != 0 && os.Getenv("REPLICALAB_REQUIRE_PG") == "" {
		// pgtest runs the servers as the postgres user when we are root; we can signal them then.
		t.Log("not root: signalling the servers may fail")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := pgtest.Start(ctx, pgtest.Options{})
	if errors.Is(err, pgtest.ErrUnavailable) && os.Getenv("REPLICALAB_REQUIRE_PG") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	ft := freezeRun(t, c)

	var qe *replica.QueryError
	if !errors.As(ft.queryErr, &qe) || qe.Kind != replica.NotAnswering {
		t.Errorf("the running query: want a QueryError \"server not answering\", got %v", ft.queryErr)
	} else {
		for _, want := range []string{"statement_timeout (3s)", "pg_isready -h 127.0.0.1 -p " + strconv.Itoa(c.ReplicaPort), "network", "next query reconnects"} {
			if !strings.Contains(ft.queryErr.Error(), want) {
				t.Errorf("the error should say %q: %v", want, ft.queryErr)
			}
		}
	}
	for what, err := range map[string]error{"Lag (re-verify)": ft.reverifyErr, "Check (open)": ft.openErr} {
		var ce *replica.ConnectError
		var qe *replica.QueryError
		switch {
		case errors.As(err, &ce) && ce.Problem == replica.ProblemTimeout:
		case errors.As(err, &qe) && (qe.Kind == replica.NotAnswering || qe.Kind == replica.CannotConnect):
		case err != nil && errors.Is(err, context.DeadlineExceeded):
			t.Errorf("%s on the frozen replica: a bare deadline error: %v", what, err)
		default:
			t.Errorf("%s on the frozen replica: want a timeout, got %v", what, err)
		}
	}
	if ft.close > 10*time.Second {
		t.Errorf("Close blocked for %v", ft.close)
	}
	t.Logf("frozen replica: running query failed after %v, re-verify after %v, open after %v, Close took %v (statement_timeout 3s, connect timeout 2s)",
		ft.query.Round(10*time.Millisecond), ft.reverify.Round(10*time.Millisecond), ft.open.Round(10*time.Millisecond), ft.close.Round(time.Millisecond))

	// Resumed, the replica serves a new pool.
	p, _ := openPool(t, loadConfig(t, c.Env()), replica.Quiet(), replica.NoInterruptHandler())
	var one int
	if err := p.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Errorf("after SIGCONT: %v", err)
	}
}

// BenchmarkFrozenReplica measures, for a replica frozen with SIGSTOP during
// a query (statement_timeout 3 s, connect timeout 2 s): the time from the
// freeze to the running query's error, to a re-verify's (Lag) and an open's
// (Check) errors, and how long Close takes.
func BenchmarkFrozenReplica(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := pgtest.Start(ctx, pgtest.Options{})
	if errors.Is(err, pgtest.ErrUnavailable) && os.Getenv("REPLICALAB_REQUIRE_PG") == "" {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop(context.Background())
	var sum frozenTimes
	for i := 0; i < b.N; i++ {
		ft := freezeRun(b, c)
		sum.query += ft.query
		sum.reverify += ft.reverify
		sum.open += ft.open
		sum.close += ft.close
	}
	n := float64(b.N)
	b.ReportMetric(sum.query.Seconds()/n, "s-query-error")
	b.ReportMetric(sum.reverify.Seconds()/n, "s-reverify-error")
	b.ReportMetric(sum.open.Seconds()/n, "s-open-error")
	b.ReportMetric(float64(sum.close.Milliseconds())/n, "ms-close")
}
