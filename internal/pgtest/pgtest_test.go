package pgtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func scalar[T any](t *testing.T, conn *pgx.Conn, sql string) T {
	t.Helper()
	var v T
	if err := conn.QueryRow(context.Background(), sql).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func TestSharedCluster(t *testing.T) {
	c := pgtest.Shared(t)
	if again := pgtest.Shared(t); again != c {
		t.Fatal("Shared: want the same cluster on every call")
	}
	if c.Database != "marketplace" || c.User != "analyst" || len(c.Password) < 16 || c.CAFile != "" {
		t.Errorf("unexpected cluster fields: %v", c)
	}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprint(*c), fmt.Sprintf("%+v", *c), fmt.Sprintf("%#v", c)} {
		if strings.Contains(s, c.Password) {
			t.Errorf("password printed in %q", s)
		}
	}

	replica := connect(t, c.ReplicaURL())
	if !scalar[bool](t, replica, "SELECT pg_is_in_recovery()") || scalar[string](t, replica, "SELECT current_user") != "analyst" {
		t.Error("ReplicaURL: want the analyst role on a server in recovery")
	}
	if scalar[int64](t, replica, "SELECT count(*) FROM events") != 50000 {
		t.Error("ReplicaURL: want the small dataset (50,000 events)")
	}
	if got := scalar[string](t, replica, "SHOW default_transaction_read_only"); got != "on" {
		t.Errorf("analyst sessions: want default_transaction_read_only on, got %s", got)
	}

	primary := connect(t, c.PrimaryLoginURL())
	if scalar[bool](t, primary, "SELECT pg_is_in_recovery()") {
		t.Error("PrimaryLoginURL: want the primary (not in recovery)")
	}
	if _, err := primary.Exec(context.Background(), "CREATE TABLE scratch (x int)"); err == nil {
		t.Error("PrimaryLoginURL: the analyst role must not write on the primary")
	}

	super := connect(t, c.SuperuserURL())
	if scalar[bool](t, super, "SELECT pg_is_in_recovery()") || !scalar[bool](t, super, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user") {
		t.Error("SuperuserURL: want a superuser on the primary")
	}
	replicaSuper := connect(t, c.ReplicaSuperuserURL())
	if !scalar[bool](t, replicaSuper, "SELECT pg_is_in_recovery()") {
		t.Error("ReplicaSuperuserURL: want the replica")
	}
	// pg_stat_statements counts the analyst's statements on the replica.
	if _, err := replica.Exec(context.Background(), "SELECT count(*) FROM parts WHERE category = 'Seals'"); err != nil {
		t.Fatal(err)
	}
	if n := scalar[int64](t, replicaSuper, "SELECT count(*) FROM pg_stat_statements WHERE query LIKE '%FROM parts WHERE category%'"); n == 0 {
		t.Error("pg_stat_statements on the replica: want the analyst's statement counted")
	}

	env := c.Env()
	want := map[string]string{"RDS_HOSTNAME": "127.0.0.1", "RDS_PORT": strconv.Itoa(c.ReplicaPort), "RDS_DB_NAME": "marketplace",
		"RDS_USERNAME": "analyst", "RDS_PASSWORD": c.Password}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("Env()[%s]: want %q, got %q", k, v, env[k])
		}
	}
	u, err := url.Parse(c.ReplicaURL())
	if err != nil || u.Port() != strconv.Itoa(c.ReplicaPort) || u.Query().Get("sslmode") != "disable" {
		t.Errorf("ReplicaURL: want port %d and sslmode=disable, got %v (%v)", c.ReplicaPort, u.Redacted(), err)
	}
}

// TestPrivateTLSCluster starts a tiny TLS cluster and exercises the replica controls.
func TestPrivateTLSCluster(t *testing.T) {
	ctx := context.Background()
	c, err := pgtest.Start(ctx, pgtest.Options{Scale: "0.05", TLS: true})
	if errors.Is(err, pgtest.ErrUnavailable) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			c.Stop(context.Background())
		}
	})

	t.Run("verify-full with the CA", func(t *testing.T) {
		if _, err := os.Stat(c.CAFile); err != nil {
			t.Fatalf("CAFile: %v", err)
		}
		u, _ := url.Parse(c.ReplicaURL())
		if u.Query().Get("sslmode") != "verify-full" || u.Query().Get("sslrootcert") != c.CAFile {
			t.Errorf("ReplicaURL: want sslmode=verify-full with the CA, got %s", u.Redacted())
		}
		conn := connect(t, c.ReplicaURL())
		if !scalar[bool](t, conn, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") {
			t.Error("want an SSL session")
		}
		// The certificate names localhost too.
		u.Host = "localhost:" + strconv.Itoa(c.ReplicaPort)
		connect(t, u.String())
		// Without the CA the certificate cannot be verified; without TLS the server refuses.
		q := u.Query()
		q.Del("sslrootcert")
		q.Set("sslrootcert", filepath.Join(t.TempDir(), "missing.crt"))
		u.RawQuery = q.Encode()
		if _, err := pgx.Connect(ctx, u.String()); err == nil {
			t.Error("verify-full without the right CA: want an error")
		}
		q.Set("sslmode", "disable")
		q.Del("sslrootcert")
		u.RawQuery = q.Encode()
		if _, err := pgx.Connect(ctx, u.String()); err == nil {
			t.Error("sslmode=disable on a TLS cluster: want the server to refuse")
		}
		if env := c.Env(); env["RDS_SSLMODE"] != "verify-full" || env["RDS_SSLROOTCERT"] != c.CAFile {
			t.Errorf("Env under TLS: want RDS_SSLMODE=verify-full and RDS_SSLROOTCERT, got %v", env["RDS_SSLMODE"])
		}
	})

	t.Run("a stopped replica catches up when started", func(t *testing.T) {
		super := connect(t, c.SuperuserURL())
		if err := c.StopReplica(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := pgx.Connect(ctx, c.ReplicaURL()); err == nil {
			t.Error("want the stopped replica to refuse connections")
		}
		if _, err := super.Exec(ctx, "INSERT INTO audit_log (actor, action) VALUES ('pgtest', 'while the replica was down')"); err != nil {
			t.Fatal(err)
		}
		if err := c.StartReplica(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.WaitReplayed(ctx); err != nil {
			t.Fatal(err)
		}
		replica := connect(t, c.ReplicaURL())
		if n := scalar[int64](t, replica, "SELECT count(*) FROM audit_log WHERE actor = 'pgtest'"); n != 1 {
			t.Errorf("want the row written while the replica was down, got %d", n)
		}
	})

	t.Run("a second replica streams too", func(t *testing.T) {
		port, err := c.AddReplica(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if port == c.ReplicaPort || port == c.PrimaryPort {
			t.Fatalf("AddReplica: want a new port, got %d", port)
		}
		super := connect(t, c.SuperuserURL())
		if _, err := super.Exec(ctx, "INSERT INTO audit_log (actor, action) VALUES ('pgtest', 'two replicas')"); err != nil {
			t.Fatal(err)
		}
		if err := c.WaitReplayed(ctx); err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(c.ReplicaURL())
		u.Host = "127.0.0.1:" + strconv.Itoa(port)
		second := connect(t, u.String())
		if n := scalar[int64](t, second, "SELECT count(*) FROM audit_log WHERE action = 'two replicas'"); n != 1 {
			t.Errorf("second replica: want the new row, got %d", n)
		}
		if n := scalar[int64](t, super, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"); n != 2 {
			t.Errorf("want 2 streaming replicas, got %d", n)
		}
	})

	t.Run("stop removes everything", func(t *testing.T) {
		dir := c.Dir
		if err := c.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		stopped = true
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("want %s removed, got %v", dir, err)
		}
		if _, err := pgx.Connect(ctx, c.SuperuserURL()); err == nil {
			t.Error("want no server after Stop")
		}
	})
}

// TestWatchdog starts a cluster in a child process that exits without stopping it: the watchdog must
// stop the servers and remove the folder.
func TestWatchdog(t *testing.T) {
	if os.Getenv("PGTEST_WATCHDOG_CHILD") == "1" {
		c, err := pgtest.Start(context.Background(), pgtest.Options{Scale: "0.05"})
		if err != nil {
			fmt.Println("ERROR", err)
			os.Exit(3)
		}
		data, _ := os.ReadFile(filepath.Join(c.Demo().DataDir(), "primary", "postmaster.pid"))
		fmt.Println("DIR", c.Dir, strings.SplitN(string(data), "\n", 2)[0])
		os.Exit(0) // no Stop
	}
	if testing.Short() {
		t.Skip("starts a cluster in a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWatchdog$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PGTEST_WATCHDOG_CHILD=1")
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 3 && strings.Contains(string(out), pgtest.ErrUnavailable.Error()) {
		t.Skip(string(out))
	}
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var dir string
	var pid int
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "DIR" {
			dir = f[1]
			pid, _ = strconv.Atoi(f[2])
		}
	}
	if dir == "" || pid == 0 {
		t.Fatalf("child did not report its folder and primary pid:\n%s", out)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("watchdog: want %s removed within a minute, got %v", dir, err)
	}
	if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil && strings.HasPrefix(string(comm), "postgres") {
		t.Errorf("watchdog: the primary (pid %d) is still running", pid)
	}
}
