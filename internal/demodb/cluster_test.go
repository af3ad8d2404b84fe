package demodb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The tests share one small cluster (started by the first test that needs it, stopped by TestMain).
var testCluster struct {
	c       *Cluster
	dir     string
	envFile string
	log     bytes.Buffer
	err     error
	started bool
}

func TestMain(m *testing.M) {
	code := m.Run()
	if c := testCluster.c; c != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		if err := c.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the test cluster:", err)
			code = 1
		}
		cancel()
		os.RemoveAll(testCluster.dir)
	}
	os.Exit(code)
}

// cluster returns the shared test cluster, starting it on first use.
func cluster(t *testing.T) *Cluster {
	t.Helper()
	tc := &testCluster
	if !tc.started {
		tc.started = true
		tc.dir, tc.err = os.MkdirTemp("", "demodb-test-")
		if tc.err == nil {
			tc.err = os.Chmod(tc.dir, 0o755)
		}
		var ports []int
		if tc.err == nil {
			ports, tc.err = FreePorts(2)
		}
		if tc.err == nil {
			tc.envFile = filepath.Join(tc.dir, ".env")
			tc.c, tc.err = New(Options{Dir: filepath.Join(tc.dir, "demodb"), PrimaryPort: ports[0], ReplicaPort: ports[1], EnvFile: tc.envFile, Log: &tc.log})
		}
		if tc.err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			tc.err = tc.c.Start(ctx)
			cancel()
		}
	}
	if errors.Is(tc.err, ErrNoPostgres) {
		t.Skipf("PostgreSQL is not available: %v", tc.err)
	}
	if tc.err != nil {
		t.Fatalf("starting the test cluster: %v\n%s", tc.err, tc.log.String())
	}
	return tc.c
}

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

func count(t *testing.T, conn *pgx.Conn, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// TestCluster walks the shared cluster through its life; the subtests depend on their order.
func TestCluster(t *testing.T) {
	c := cluster(t)
	ctx := context.Background()

	t.Run("env file points at the replica only, mode 0600", func(t *testing.T) {
		fi, err := os.Stat(testCluster.envFile)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode: want 0600, got %o", fi.Mode().Perm())
		}
		data, _ := os.ReadFile(testCluster.envFile)
		text := string(data)
		for _, want := range []string{EnvMarker, "RDS_HOSTNAME=127.0.0.1", "RDS_PORT=" + strconv.Itoa(c.ReplicaPorts()[0]),
			"RDS_DB_NAME=marketplace", "RDS_USERNAME=analyst", "RDS_PASSWORD=" + c.Password()} {
			if !strings.Contains(text, want+"\n") {
				t.Errorf("env file lacks %q", want)
			}
		}
		if strings.Contains(text, strconv.Itoa(c.PrimaryPort())) {
			t.Errorf("env file mentions the primary's port %d:\n%s", c.PrimaryPort(), text)
		}
	})

	t.Run("the password stays out of descriptions and logs", func(t *testing.T) {
		pw := c.Password()
		if len(pw) < 16 {
			t.Fatalf("want a generated password of at least 16 characters, got %d", len(pw))
		}
		for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), testCluster.log.String()} {
			if strings.Contains(s, pw) {
				t.Errorf("password printed in %q", s)
			}
		}
		data, err := os.ReadFile(filepath.Join(c.DataDir(), "log", "primary.log"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), pw) {
			t.Error("password found in the primary's server log")
		}
	})

	t.Run("analyst logs into the replica with the password only", func(t *testing.T) {
		conn := connect(t, c.ReplicaURL())
		var inRecovery bool
		var user string
		if err := conn.QueryRow(ctx, "SELECT pg_is_in_recovery(), current_user").Scan(&inRecovery, &user); err != nil {
			t.Fatal(err)
		}
		if !inRecovery || user != "analyst" {
			t.Errorf("want analyst on a server in recovery, got %s (in recovery: %v)", user, inRecovery)
		}
		wrong := strings.Replace(c.ReplicaURL(), c.Password(), "wrong-password", 1)
		if _, err := pgx.Connect(ctx, wrong); err == nil || sqlState(err) != "28P01" {
			t.Errorf("wrong password: want SQLSTATE 28P01, got %v", err)
		}
		superTCP := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/marketplace?sslmode=disable", c.ReplicaPorts()[0])
		if _, err := pgx.Connect(ctx, superTCP); err == nil || sqlState(err) != "28000" {
			t.Errorf("superuser over TCP: want a pg_hba rejection (28000), got %v", err)
		}
	})

	t.Run("the replica refuses writes", func(t *testing.T) {
		for _, url := range []string{c.ReplicaURL(), c.ReplicaSuperuserURL()} {
			conn := connect(t, url)
			for _, stmt := range []string{
				"INSERT INTO audit_log (actor, action) VALUES ('test', 'write')",
				"CREATE TABLE scratch (x int)",
				"UPDATE companies SET name = name WHERE id = 1",
			} {
				_, err := conn.Exec(ctx, stmt)
				if sqlState(err) != "25006" || !strings.Contains(err.Error(), "read-only transaction") {
					t.Errorf("%s on the replica: want a read-only error (25006), got %v", stmt, err)
				}
			}
		}
	})

	t.Run("the analyst role cannot write on the primary either", func(t *testing.T) {
		conn := connect(t, c.PrimaryLoginURL())
		_, err := conn.Exec(ctx, "INSERT INTO audit_log (actor, action) VALUES ('test', 'write')")
		if sqlState(err) != "25006" {
			t.Errorf("insert with the role's default: want read-only (25006), got %v", err)
		}
		if _, err := conn.Exec(ctx, "SET default_transaction_read_only = off"); err != nil {
			t.Fatal(err)
		}
		for _, stmt := range []string{
			"INSERT INTO audit_log (actor, action) VALUES ('test', 'write')",
			"DELETE FROM events WHERE id = 1",
			"CREATE TABLE scratch (x int)",
			"CREATE TEMP TABLE scratch (x int)",
		} {
			if _, err := conn.Exec(ctx, stmt); sqlState(err) != "42501" {
				t.Errorf("%s as analyst on the primary: want permission denied (42501), got %v", stmt, err)
			}
		}
	})

	t.Run("status shows both servers and the replica in recovery", func(t *testing.T) {
		st, err := c.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Running() || len(st.Servers) != 2 {
			t.Fatalf("want 2 running servers, got %+v", st.Servers)
		}
		p, r := st.Servers[0], st.Servers[1]
		if p.InRecovery || !r.InRecovery || p.PID == 0 || r.PID == 0 || p.Port != c.PrimaryPort() || r.Port != c.ReplicaPorts()[0] {
			t.Errorf("want primary not in recovery and replica in recovery, got %+v / %+v", p, r)
		}
		if len(st.Replication) != 1 || st.Replication[0].State != "streaming" {
			t.Errorf("want one streaming replica in pg_stat_replication, got %+v", st.Replication)
		}
		tables := map[string]int64{}
		for _, tb := range st.Tables {
			tables[tb.Name] = tb.Rows
		}
		if tables["events"] != 50000 || tables["audit_log"] != -1 {
			t.Errorf("want 50,000 events estimated and audit_log never analyzed, got %v", tables)
		}
		if os.Geteuid() == 0 {
			data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.PID))
			if !strings.Contains(string(data), "\nUid:\t"+strconv.Itoa(c.owner.uid)+"\t") {
				t.Errorf("as root, want the postmaster to run as the postgres user (uid %d):\n%s", c.owner.uid, data)
			}
		}
		var out bytes.Buffer
		if code := Run(ctx, []string{"status", "--dir", c.Dir()}, nil, &out, &out); code != 0 {
			t.Fatalf("demodb status: want exit 0, got %d:\n%s", code, out.String())
		}
		for _, want := range []string{"primary", "replica", "streaming", "never analyzed", "marketplace"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("status output lacks %q:\n%s", want, out.String())
			}
		}
	})

	t.Run("start twice is harmless", func(t *testing.T) {
		pids := serverPIDs(c)
		before := count(t, connect(t, c.SuperuserURL()), "SELECT count(*) FROM events")
		var out bytes.Buffer
		code := Run(ctx, []string{"start", "--dir", c.Dir(), "--env-file", testCluster.envFile}, nil, &out, &out)
		if code != 0 || !strings.Contains(out.String(), "already running") {
			t.Fatalf("second start: want exit 0 saying already running, got %d:\n%s", code, out.String())
		}
		if got := serverPIDs(c); fmt.Sprint(got) != fmt.Sprint(pids) {
			t.Errorf("second start restarted servers: pids %v, then %v", pids, got)
		}
		if after := count(t, connect(t, c.SuperuserURL()), "SELECT count(*) FROM events"); after != before {
			t.Errorf("second start re-seeded: %d events, then %d", before, after)
		}
	})
}

func serverPIDs(c *Cluster) []int {
	var pids []int
	for _, s := range c.servers() {
		pid, _ := s.pid()
		pids = append(pids, pid)
	}
	return pids
}

// TestDataset checks the quirks an analyst meets, reading the replica as the analyst role.
func TestDataset(t *testing.T) {
	c := cluster(t)
	conn := connect(t, c.ReplicaURL())
	n := CountsFor(ScaleSmall)
	for _, tc := range []struct {
		what string
		sql  string
		min  int64
	}{
		{"companies", "SELECT count(*) FROM companies", int64(n.Companies)},
		{"users (plus duplicate sign-ups)", "SELECT count(*) FROM users", int64(n.Users) + 1},
		{"events", "SELECT count(*) FROM events", int64(n.Events)},
		{"quotes", "SELECT count(*) FROM quotes", int64(n.RFQs)},
		{"order items", "SELECT count(*) FROM order_items", int64(n.Orders)},
		{"payments", "SELECT count(*) FROM payments", int64(n.Orders) / 2},
		{"soft-deleted companies", "SELECT count(*) FROM companies WHERE deleted_at IS NOT NULL", 1},
		{"soft-deleted users", "SELECT count(*) FROM users WHERE deleted_at IS NOT NULL", 10},
		{"soft-deleted parts", "SELECT count(*) FROM parts WHERE deleted_at IS NOT NULL", 10},
		{"test companies", "SELECT count(*) FROM companies WHERE is_test AND name LIKE 'QA Test Company %'", 1},
		{"qa+ test accounts", "SELECT count(*) FROM users WHERE is_test AND email LIKE 'qa+%@example.com'", 10},
		{"e-mails duplicated only by case", "SELECT count(*) FROM (SELECT lower(email) FROM users GROUP BY 1 HAVING count(DISTINCT email) > 1) d", 5},
		{"users who never logged in (NULL)", "SELECT count(*) FROM users WHERE last_login_at IS NULL", 50},
		{"suppliers without rating (NULL)", "SELECT count(*) FROM suppliers WHERE rating IS NULL", 5},
		{"suppliers with no certification ({}) and unknown (NULL)", "SELECT count(DISTINCT coalesce(cardinality(certifications), -1) = -1) FROM suppliers WHERE certifications IS NULL OR cardinality(certifications) = 0", 2},
		{"RFQs without need_by date", "SELECT count(*) FROM rfqs WHERE need_by IS NULL", 50},
		{"anonymous events", "SELECT count(*) FROM events WHERE user_id IS NULL", 100},
		{"IPv6 and IPv4 addresses", "SELECT count(DISTINCT family(ip)) FROM events", 2},
		{"time zones", "SELECT count(DISTINCT tz) FROM companies", 8},
		{"companies with SSO settings (jsonb)", "SELECT count(*) FROM companies WHERE settings ? 'sso'", 1},
		{"page views with a path (jsonb)", "SELECT count(*) FROM events WHERE kind = 'page_view' AND payload ? 'path'", 1000},
		{"order statuses (enum)", "SELECT count(DISTINCT status) FROM orders", 5},
		{"RFQ statuses", "SELECT count(DISTINCT status) FROM rfqs", 4},
		{"capabilities arrays", "SELECT count(*) FROM suppliers WHERE cardinality(capabilities) >= 1", int64(n.Companies) / 5},
		{"lead times (interval)", "SELECT count(*) FROM quotes WHERE lead_time >= interval '5 days'", int64(n.RFQs)},
		{"version-4 UUIDs", "SELECT count(*) FROM rfqs WHERE substr(id::text, 15, 1) = '4'", int64(n.RFQs)},
		{"currencies", "SELECT count(DISTINCT currency) FROM orders", 5},
		{"tables with comments", "SELECT count(*) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public' AND c.relkind = 'r' AND obj_description(c.oid, 'pg_class') IS NOT NULL", 11},
		{"foreign keys", "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace", 15},
	} {
		if got := count(t, conn, tc.sql); got < tc.min {
			t.Errorf("%s: want at least %d, got %d (%s)", tc.what, tc.min, got, tc.sql)
		}
	}
	// Things that must not happen in a consistent dataset.
	for _, tc := range []struct{ what, sql string }{
		{"orders totals that are not subtotal + shipping", "SELECT count(*) FROM orders WHERE total <> subtotal + coalesce(shipping, 0)"},
		{"order lines that do not add up to the subtotal", "SELECT count(*) FROM orders o WHERE subtotal <> (SELECT sum(line_total) FROM order_items i WHERE i.order_id = o.id)"},
		{"RFQs posted before the buyer signed up", "SELECT count(*) FROM rfqs r JOIN companies c ON c.id = r.buyer_company_id WHERE r.created_at < c.created_at"},
		{"events before the user signed up", "SELECT count(*) FROM events e JOIN users u ON u.id = e.user_id WHERE e.occurred_at < u.created_at"},
		{"shipped orders without shipped_at", "SELECT count(*) FROM orders WHERE status = 'shipped' AND shipped_at IS NULL"},
		{"timestamps in the future of the data", "SELECT count(*) FROM events WHERE occurred_at > timestamptz '2026-07-01'"},
	} {
		if got := count(t, conn, tc.sql); got != 0 {
			t.Errorf("%s: want none, got %d", tc.what, got)
		}
	}
	// audit_log was created after ANALYZE: its statistics are missing on the replica too.
	if got := count(t, conn, "SELECT reltuples::bigint FROM pg_class WHERE oid = 'audit_log'::regclass"); got != -1 {
		t.Errorf("audit_log reltuples: want -1 (never analyzed), got %d", got)
	}
	if got := count(t, conn, "SELECT count(*) FROM audit_log"); got == 0 {
		t.Error("audit_log: want a few rows, got none")
	}
}

// TestSameScaleSameData seeds a second database on the primary and compares every table.
func TestSameScaleSameData(t *testing.T) {
	c := cluster(t)
	ctx := context.Background()
	super := connect(t, c.SuperuserURL())
	if _, err := super.Exec(ctx, "DROP DATABASE IF EXISTS marketplace_copy"); err != nil {
		t.Fatal(err)
	}
	if _, err := super.Exec(ctx, "CREATE DATABASE marketplace_copy"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { super.Exec(context.Background(), "DROP DATABASE IF EXISTS marketplace_copy") })
	copyURL := strings.Replace(c.SuperuserURL(), "/marketplace?", "/marketplace_copy?", 1)
	cp := connect(t, copyURL)
	if _, err := seedDatabase(ctx, cp, ScaleSmall, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	// Traffic (another test) may have written to the original since: compare what traffic never
	// changes. It inserts rows stamped now() (after the data's anchor) and updates users.last_login_at
	// and orders' status columns.
	queries := map[string]string{
		"companies":   "SELECT t::text FROM companies t ORDER BY id",
		"users":       "SELECT concat_ws(',', id, company_id, email, full_name, job_title, phone, locale, is_test, created_at, deleted_at) FROM users ORDER BY id",
		"suppliers":   "SELECT t::text FROM suppliers t ORDER BY id",
		"parts":       "SELECT t::text FROM parts t ORDER BY id",
		"rfqs":        "SELECT t::text FROM rfqs t WHERE created_at < '2026-07-01' ORDER BY id",
		"quotes":      "SELECT t::text FROM quotes t WHERE created_at < '2026-07-01' ORDER BY id",
		"orders":      "SELECT concat_ws(',', id, order_number, buyer_company_id, supplier_id, quote_id, placed_by, currency, subtotal, shipping, total, shipping_address, placed_at) FROM orders WHERE placed_at < '2026-07-01' ORDER BY id",
		"order_items": "SELECT t::text FROM order_items t JOIN orders o ON o.id = t.order_id WHERE o.placed_at < '2026-07-01' ORDER BY t.id",
		"payments":    "SELECT t::text FROM payments t WHERE created_at < '2026-07-01' ORDER BY id",
		"events":      "SELECT t::text FROM events t WHERE occurred_at < '2026-07-01' ORDER BY id",
	}
	hashes := func(conn *pgx.Conn) map[string]string {
		out := map[string]string{}
		for tb, q := range queries {
			var h string
			if err := conn.QueryRow(ctx, "SELECT md5(string_agg(r, '|')) || ':' || count(*) FROM ("+q+") AS x(r)").Scan(&h); err != nil {
				t.Fatalf("%s: %v", tb, err)
			}
			out[tb] = h
		}
		return out
	}
	a, b := hashes(connect(t, c.SuperuserURL())), hashes(cp)
	for tb, h := range a {
		if strings.HasSuffix(h, ":0") {
			t.Errorf("%s: no rows to compare", tb)
		}
		if b[tb] != h {
			t.Errorf("%s differs between two seeds at the same scale: %s vs %s", tb, h, b[tb])
		}
	}
}

// TestTrafficReachesReplica runs the traffic generator and watches rows appear on the replica.
func TestTrafficReachesReplica(t *testing.T) {
	c := cluster(t)
	ctx := context.Background()
	replica := connect(t, c.ReplicaURL())
	q := "SELECT count(*) FROM events WHERE occurred_at > timestamptz '2026-07-01'"
	before := count(t, replica, q)
	var out bytes.Buffer
	stats, err := c.Traffic(ctx, TrafficOptions{Rate: 100, Duration: 2500 * time.Millisecond, Out: &out})
	if err != nil {
		t.Fatalf("traffic: %v\n%s", err, out.String())
	}
	if stats.Ops == 0 || stats.Rows < stats.Ops {
		t.Fatalf("want operations writing at least a row each, got %+v", stats)
	}
	if !strings.Contains(out.String(), "replica lag") {
		t.Errorf("want per-second lines with the replica lag, got:\n%s", out.String())
	}
	if err := c.WaitReplayed(ctx); err != nil {
		t.Fatal(err)
	}
	after := count(t, replica, q)
	if after <= before {
		t.Errorf("want new events on the replica after traffic, got %d then %d", before, after)
	}
	if got := count(t, replica, "SELECT count(*) FROM orders WHERE placed_at > timestamptz '2026-07-01'"); got == 0 {
		t.Error("want new orders on the replica after traffic, got none")
	}
}

// TestStopAndPortInUse runs last: it stops the shared cluster, shows that a busy port stops a start
// without leaving anything running, and that a start afterwards brings it back unseeded-again.
func TestStopAndPortInUse(t *testing.T) {
	c := cluster(t)
	ctx := context.Background()
	pids := serverPIDs(c)
	var out bytes.Buffer
	if code := Run(ctx, []string{"stop", "--dir", c.Dir()}, nil, &out, &out); code != 0 {
		t.Fatalf("demodb stop: want exit 0, got %d:\n%s", code, out.String())
	}
	for i, s := range c.servers() {
		if _, running := s.pid(); running || processAlive(pids[i]) {
			t.Errorf("%s still running after stop (pid %d)", s.Name, pids[i])
		}
		if _, err := os.Stat(filepath.Join(s.DataDir, "postmaster.pid")); !os.IsNotExist(err) {
			t.Errorf("%s: postmaster.pid left behind (%v)", s.Name, err)
		}
	}
	if code := Run(ctx, []string{"stop", "--dir", c.Dir()}, nil, &out, &out); code != 0 {
		t.Errorf("stopping a stopped cluster: want exit 0, got %d", code)
	}
	out.Reset()
	if code := Run(ctx, []string{"status", "--dir", c.Dir()}, nil, &out, &out); code != 1 || !strings.Contains(out.String(), "stopped") {
		t.Errorf("status of a stopped cluster: want exit 1 showing stopped servers, got %d:\n%s", code, out.String())
	}

	// Something else takes the replica's port: start must fail naming it, and leave nothing running.
	port := c.ReplicaPorts()[0]
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("occupying port %d: %v", port, err)
	}
	out.Reset()
	code := Run(ctx, []string{"start", "--dir", c.Dir(), "--env-file", testCluster.envFile}, nil, &out, &out)
	l.Close()
	if code != 1 || !strings.Contains(out.String(), strconv.Itoa(port)) || !strings.Contains(out.String(), "--replica-port") {
		t.Errorf("start with the replica port taken: want exit 1 naming port %d and --replica-port, got %d:\n%s", port, code, out.String())
	}
	for _, s := range c.servers() {
		if pid, running := s.pid(); running {
			t.Errorf("%s left running (pid %d) after a failed start", s.Name, pid)
		}
	}

	// A fresh cluster on a taken port fails the same way before creating anything.
	l, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	fresh, err := New(Options{Dir: filepath.Join(t.TempDir(), "demodb"), PrimaryPort: taken, ReplicaPort: port})
	if err != nil {
		t.Fatal(err)
	}
	err = fresh.Start(ctx)
	if !errors.Is(err, ErrPortInUse) || !strings.Contains(err.Error(), strconv.Itoa(taken)) || !strings.Contains(err.Error(), "--primary-port") {
		t.Errorf("fresh start on a taken port: want ErrPortInUse naming %d and --primary-port, got %v", taken, err)
	}

	// With the port free again, start brings the same data back.
	if err := c.Start(ctx); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if got := count(t, connect(t, c.ReplicaURL()), "SELECT count(*) FROM companies"); got != int64(CountsFor(ScaleSmall).Companies) {
		t.Errorf("after restart: want the %d seeded companies, got %d", CountsFor(ScaleSmall).Companies, got)
	}

	// Reset re-creates everything at another scale, with a new password in the env file.
	oldPassword := c.Password()
	out.Reset()
	if code := Run(ctx, []string{"reset", "--dir", c.Dir(), "--scale", "0.2", "--env-file", testCluster.envFile}, nil, &out, &out); code != 0 {
		t.Fatalf("demodb reset --scale 0.2: want exit 0, got %d:\n%s", code, out.String())
	}
	c2, err := New(Options{Dir: c.Dir()})
	if err != nil {
		t.Fatal(err)
	}
	testCluster.c = c2 // TestMain stops this one
	if c2.Password() == oldPassword || c2.Scale() != 0.2 {
		t.Errorf("after reset: want a new password and scale 0.2, got scale %v (password changed: %v)", c2.Scale(), c2.Password() != oldPassword)
	}
	if got := count(t, connect(t, c2.ReplicaURL()), "SELECT count(*) FROM companies"); got != int64(CountsFor(0.2).Companies) {
		t.Errorf("after reset: want %d companies, got %d", CountsFor(0.2).Companies, got)
	}
	if data, _ := os.ReadFile(testCluster.envFile); !strings.Contains(string(data), "RDS_PASSWORD="+c2.Password()+"\n") {
		t.Error("after reset: the env file does not hold the new password")
	}
}
