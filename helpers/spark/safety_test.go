package spark

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/spark-connect-go/spark/sql/utils"
	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/internal/pgtest"
	"github.com/replicalab/replicalab/internal/sparkserver"
)

// jdbcView registers, in the session's Spark, a temporary view over replica table table through the
// exact JDBC options a read uses, changed by tweak: a data-source view (CREATE TEMPORARY VIEW ... USING
// jdbc), the kind Spark can INSERT into. Its SQL holds a password: use it only with a test role's.
func jdbcView(t *testing.T, s *Session, name, table string, r Replica, tweak func(map[string]string)) {
	t.Helper()
	ctx := ctxT(t)
	sp, err := s.Spark(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o := jdbcOptions(r, s.settings, "")
	o["dbtable"] = table
	tweak(o)
	var opts []string
	for k, v := range o {
		opts = append(opts, k+" '"+strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v)+"'")
	}
	if _, err := sp.Sql(ctx, "CREATE OR REPLACE TEMPORARY VIEW "+name+" USING org.apache.spark.sql.jdbc OPTIONS ("+strings.Join(opts, ", ")+")"); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, conn *pgx.Conn, sql string) int64 {
	t.Helper()
	var n int64
	if err := conn.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

const writerPassword = "writer-pw-for-tests"

// writer creates, once, a login role that may insert into companies on every server of c, over TCP.
var writerOnce sync.Once

func writer(t *testing.T, c *pgtest.Cluster, ports []int) {
	t.Helper()
	var err error
	writerOnce.Do(func() {
		ctx := context.Background()
		primary := super(t, c, c.PrimaryPort)
		for _, q := range []string{
			"CREATE ROLE spark_writer LOGIN PASSWORD '" + writerPassword + "'",
			"GRANT CONNECT ON DATABASE marketplace TO spark_writer",
			"CREATE TABLE spark_write_probe (id bigint PRIMARY KEY, note text)",
			"GRANT SELECT, INSERT ON spark_write_probe TO spark_writer",
		} {
			if _, err = primary.Exec(ctx, q); err != nil {
				return
			}
		}
		names := []string{"primary", "replica", "replica2"}
		for i, port := range append([]int{c.PrimaryPort}, ports...) {
			hba := filepath.Join(c.Demo().DataDir(), names[i], "pg_hba.conf")
			var f *os.File
			if f, err = os.OpenFile(hba, os.O_APPEND|os.O_WRONLY, 0); err != nil {
				return
			}
			_, err = f.WriteString("host all spark_writer 127.0.0.1/32 scram-sha-256\n")
			f.Close()
			if err != nil {
				return
			}
			if _, err = super(t, c, port).Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
				return
			}
		}
		err = c.WaitReplayed(ctx)
	})
	if err != nil {
		t.Fatalf("creating a role that may write: %v", err)
	}
}

func TestAWriteThroughTheSparkPathFails(t *testing.T) {
	t.Parallel() // reads only what it creates or names; the counting tests run alone, first
	c, ports := cluster(t)
	ctx := ctxT(t)
	writer(t, c, ports)
	s, srv := open(t, env(t, c, ports[0]))
	rs, err := s.Replicas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	primary := super(t, c, c.PrimaryPort)
	rows := func() int64 { return count(t, primary, "SELECT count(*) FROM spark_write_probe") }
	asWriter := func(o map[string]string) { o["user"], o["password"] = "spark_writer", writerPassword }
	sp, _ := s.Spark(ctx)
	insert := func(view string) error {
		_, err := sp.Sql(ctx, "INSERT INTO "+view+" VALUES (1, 'written through Spark')")
		return err
	}

	// Through a replica, as a role that may insert: refused.
	jdbcView(t, s, "probe_replica", "spark_write_probe", rs[0], asWriter)
	if err := insert("probe_replica"); err == nil || !strings.Contains(err.Error(), "read-only transaction") {
		t.Errorf("inserting into a replica through Spark: expected PostgreSQL's read-only refusal, found %v", err)
	}

	// The connection settings alone refuse writes, on a server that would take them: the same role on
	// the primary, with only the standby checks relaxed so that the driver connects there.
	onPrimary := rs[0]
	onPrimary.cfg = onPrimary.cfg.Copy()
	onPrimary.cfg.Port = uint16(c.PrimaryPort)
	relaxed := func(o map[string]string) {
		asWriter(o)
		o["url"] = strings.Replace(o["url"], "targetServerType=secondary", "targetServerType=any", 1)
		delete(o, "sessionInitStatement")
	}
	jdbcView(t, s, "probe_primary", "spark_write_probe", onPrimary, relaxed)
	if err := insert("probe_primary"); err == nil || !strings.Contains(err.Error(), "read-only transaction") {
		t.Errorf("a role that may write, on the primary, through the Spark path's connection settings: expected a read-only refusal, found %v", err)
	}
	if n := rows(); n != 0 {
		t.Fatalf("spark_write_probe has %d rows after refused writes", n)
	}
	// Control: without the read-only settings the same write goes through, so the refusals above came
	// from those settings.
	jdbcView(t, s, "probe_writable", "spark_write_probe", onPrimary, func(o map[string]string) {
		relaxed(o)
		u, _ := url.Parse(strings.TrimPrefix(o["url"], "jdbc:"))
		q := u.Query()
		q.Del("readOnly")
		q.Del("readOnlyMode")
		q.Del("options")
		u.RawQuery = q.Encode()
		o["url"] = "jdbc:" + u.String()
	})
	if err := insert("probe_writable"); err != nil {
		t.Errorf("control write without the read-only settings: %v", err)
	}
	if n := rows(); n != 1 {
		t.Errorf("control write: expected 1 row, found %d", n)
	}
	if _, err := primary.Exec(ctx, "TRUNCATE spark_write_probe"); err != nil {
		t.Fatal(err)
	}
	// The writer's password, typed into Spark SQL, is masked like the reads' passwords.
	logText, _ := os.ReadFile(srv.LogFile())
	if strings.Contains(string(logText), writerPassword) {
		t.Errorf("a password written in Spark SQL OPTIONS appears in the server's log")
	}
	if ui := srv.UI(); ui != "" && strings.Contains(get(t, ui+"/connect/"), writerPassword) {
		t.Errorf("a password written in Spark SQL OPTIONS appears in the Spark UI's Connect tab")
	}
}

func TestAPrimaryInTheSettingsIsRefused(t *testing.T) {
	t.Parallel() // reads only what it creates or names; the counting tests run alone, first
	c, ports := cluster(t)
	ctx := ctxT(t)
	for _, hosts := range [][]int{{c.PrimaryPort}, {ports[0], c.PrimaryPort}} {
		settings := env(t, c, hosts...)
		settings["ALLOW_PRIMARY"] = "1" // the notebook's opt-in does not extend to Spark
		s, _ := open(t, settings)
		if err := s.Table("events"); err != nil {
			t.Fatal(err)
		}
		_, err := s.Load(ctx, "SELECT count(*) FROM events", NoCache())
		if !errors.Is(err, ErrPrimary) || !strings.Contains(err.Error(), "127.0.0.1:"+strconv.Itoa(c.PrimaryPort)+"/marketplace is a primary") {
			t.Errorf("hosts %v: expected ErrPrimary naming the primary, found %v", hosts, err)
		}
	}

	// Should a primary get past that check (promoted meanwhile), the JDBC driver itself refuses it.
	s, _ := open(t, env(t, c, ports[0]))
	rs, err := s.Replicas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	onPrimary := rs[0]
	cfg := onPrimary.cfg.Copy()
	cfg.Port = uint16(c.PrimaryPort)
	onPrimary.cfg = cfg
	sp, err := s.Spark(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rd := sp.Read().Format("jdbc").Option("dbtable", "events")
	for k, v := range jdbcOptions(onPrimary, s.settings, "") {
		rd = rd.Option(k, v)
	}
	df, err := rd.Load("")
	if err == nil {
		_, err = df.Count(ctx)
	}
	if err == nil || !strings.Contains(err.Error(), "is a primary, not a read replica") {
		t.Errorf("the Spark path's JDBC settings pointed at a primary: expected every connection to refuse it, found %v", err)
	}
}

// activity samples the connections of application app on a replica until stop is closed: the most
// open at once, and how many distinct backends there were.
func activity(conn *pgx.Conn, app string, exclude map[int32]bool, stop <-chan struct{}) (peak int, seen map[int32]bool) {
	seen = map[int32]bool{}
	for {
		rows, err := conn.Query(context.Background(), "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND backend_type = 'client backend'", app)
		if err == nil {
			n := 0
			for rows.Next() {
				var pid int32
				if rows.Scan(&pid) == nil && !exclude[pid] {
					n++
					seen[pid] = true
				}
			}
			rows.Close()
			peak = max(peak, n)
		}
		select {
		case <-stop:
			return peak, seen
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func pids(t *testing.T, conn *pgx.Conn, app string) map[int32]bool {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT pid FROM pg_stat_activity WHERE application_name = $1", app)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[int32]bool{}
	for rows.Next() {
		var pid int32
		_ = rows.Scan(&pid)
		m[pid] = true
	}
	return m
}

func TestTheConnectionBoundHoldsOnEachReplica(t *testing.T) {
	c, ports := cluster(t)
	ctx := ctxT(t)
	for _, v := range []struct {
		maxConns, partitions int
		replicas             []int
	}{
		{2, 8, ports[:1]}, // 8 slow partitions, 4 Spark task slots: at most 2 at once
		{3, 6, ports[:1]},
		{1, 4, ports},
	} {
		t.Run(fmt.Sprintf("max%d-of-%d-on-%d", v.maxConns, v.partitions, len(v.replicas)), func(t *testing.T) {
			settings := env(t, c, v.replicas...)
			settings[KeyMaxConns] = strconv.Itoa(v.maxConns)
			s, _ := open(t, settings)
			app := settings["REPLICALAB_APP_NAME"]
			// Each partition's query sleeps 50 ms every 500 rows, about half a second in all, so
			// partitions overlap (a CASE fixes the order of evaluation; the schema probe reads no row).
			if err := s.QueryView("slow", "SELECT e.id, e.kind FROM events e WHERE CASE WHEN e.id % 500 = 0 THEN pg_sleep(0.05) IS NOT NULL ELSE true END",
				Key("id"), BoundsOf("events"), Partitions(v.partitions)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Replicas(ctx); err != nil { // the planning pool connects before sampling starts
				t.Fatal(err)
			}
			if _, err := s.Plan(ctx, "slow"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Spark(ctx); err != nil {
				t.Fatal(err)
			}
			type result struct {
				peak int
				seen map[int32]bool
			}
			var wg sync.WaitGroup
			stop := make(chan struct{})
			results := make([]result, len(v.replicas))
			for i, port := range v.replicas {
				conn := super(t, c, port)
				exclude := pids(t, conn, app)
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i].peak, results[i].seen = activity(conn, app, exclude, stop)
				}()
			}
			r, err := s.Load(ctx, "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM slow", NoCache())
			close(stop)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			perReplica := v.partitions / len(v.replicas)
			for i, res := range results {
				t.Logf("replica %d: peak %d connections, %d backends", i, res.peak, len(res.seen))
				if res.peak > v.maxConns {
					t.Errorf("replica %d: %d connections at once, the bound is %d", i, res.peak, v.maxConns)
				}
				if res.peak < min(v.maxConns, perReplica) {
					t.Errorf("replica %d: at most %d connections at once: expected the reads to use the %d allowed", i, res.peak, v.maxConns)
				}
				if len(res.seen) < perReplica {
					t.Errorf("replica %d: %d backends for %d partitions: expected one per partition", i, len(res.seen), perReplica)
				}
			}
			n, _ := r.DataFrame.Col("n").Elem(0).Int()
			ids, _ := r.DataFrame.Col("ids").Elem(0).Int()
			want := count(t, super(t, c, ports[0]), "SELECT count(*) FROM events")
			if int64(n) != want || int64(ids) != want {
				t.Errorf("read %d rows (%d distinct ids) through the partitions; the table has %d", n, ids, want)
			}
		})
	}
}

func TestPartitionsSpreadAcrossTwoReplicas(t *testing.T) {
	c, ports := cluster(t)
	ctx := ctxT(t)
	s, _ := open(t, env(t, c, ports...))
	if err := s.Table("events", Partitions(4)); err != nil {
		t.Fatal(err)
	}
	plan, err := s.Plan(ctx, "events") // planning reads two index entries, not rows
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "over 2 replicas") {
		t.Fatalf("expected a plan over both replicas, found\n%s", plan)
	}
	conns := []*pgx.Conn{super(t, c, ports[0]), super(t, c, ports[1])}
	total := count(t, super(t, c, c.PrimaryPort), "SELECT count(*) FROM events")
	resetStatements(t, conns...)
	before := make([]int64, 2)
	for i, conn := range conns {
		before[i] = settled(func() int64 { return tuplesRead(t, conn, "events") })
	}
	r, err := s.Load(ctx, "SELECT kind, count(*) AS n FROM events GROUP BY kind", NoCache())
	if err != nil {
		t.Fatal(err)
	}
	for i, conn := range conns {
		read := settled(func() int64 { return tuplesRead(t, conn, "events") }) - before[i]
		// What each replica ran: its own key ranges, one statement per partition.
		// What each replica ran: its own partitions (the subquery alias names replica and partition),
		// one statement each, besides the schema probes (WHERE 1=0).
		rows, err := conn.Query(ctx, `SELECT query, calls FROM pg_stat_statements WHERE query LIKE '%FROM "public"."events"%'`)
		if err != nil {
			t.Fatal(err)
		}
		var calls int64
		probe := regexp.MustCompile(`WHERE \$\d+=\$\d+$`)
		for rows.Next() {
			var q string
			var n int64
			if err := rows.Scan(&q, &n); err != nil {
				t.Fatal(err)
			}
			if probe.MatchString(strings.TrimSpace(q)) {
				continue
			}
			calls += n
			if !strings.Contains(q, fmt.Sprintf(`"replicalab_events_%d_`, i)) {
				t.Errorf("replica %d ran another replica's partition: %s", i, q)
			}
		}
		rows.Close()
		t.Logf("replica %d (port %d): %d partition statements, %d events rows read", i, ports[i], calls, read)
		if calls != 2 {
			t.Errorf("replica %d ran %d partition statements: expected 2 of the 4", i, calls)
		}
		if read < total/4 || read > total*3/4 {
			t.Errorf("replica %d read %d of the %d events rows: expected about half", i, read, total)
		}
	}
	var n int64
	for i := 0; i < r.Rows; i++ {
		v, _ := r.DataFrame.Col("n").Elem(i).Int()
		n += int64(v)
	}
	if n != total {
		t.Errorf("the counts add up to %d; the table has %d (a range read twice or missed)", n, total)
	}
}

// get fetches a page of the Spark UI.
func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestThePasswordStaysOutOfPlansLogsUIAndErrors(t *testing.T) {
	t.Parallel() // reads only what it creates or names; the counting tests run alone, first
	c, ports := cluster(t)
	ctx := ctxT(t)
	settings := env(t, c, ports...)
	s, srv := open(t, settings)
	if srv.UI() == "" {
		t.Skip("the shared Spark server runs without its UI")
	}
	password := c.Password
	var seen []string // everything a person could read
	look := func(what, text string) {
		seen = append(seen, what+": "+text)
	}
	if err := s.Table("events", Partitions(4)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, "SELECT kind, count(*) FROM events GROUP BY kind", NoCache()); err != nil {
		t.Fatal(err)
	}
	df, err := s.View(ctx, "events")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []utils.ExplainMode{utils.ExplainModeSimple, utils.ExplainModeExtended, utils.ExplainModeCodegen, utils.ExplainModeCost, utils.ExplainModeFormatted} {
		plan, err := df.Explain(ctx, mode)
		if err != nil {
			t.Fatal(err)
		}
		look(fmt.Sprintf("plan %d", mode), plan)
	}
	// Errors: a failing query on the replica, a statement timeout, a wrong password.
	if err := s.QueryView("broken", "SELECT no_such_column FROM events"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Load(ctx, "SELECT * FROM broken", NoCache())
	if err == nil {
		t.Error("a query with an unknown column: expected an error")
	} else {
		look("error", err.Error())
	}
	slow := env(t, c, ports[0])
	slow["REPLICALAB_STATEMENT_TIMEOUT"] = "100ms"
	s2, _ := open(t, slow)
	if err := s2.QueryView("sleepy", "SELECT pg_sleep(2) AS z"); err != nil {
		t.Fatal(err)
	}
	if _, err = s2.Load(ctx, "SELECT * FROM sleepy", NoCache()); err == nil || !strings.Contains(err.Error(), "statement timeout") {
		t.Errorf("a statement over REPLICALAB_STATEMENT_TIMEOUT: expected a timeout, found %v", err)
	} else {
		look("error", err.Error())
	}
	rs, err := s.Replicas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = func() (any, error) {
		sp, _ := s.Spark(ctx)
		o := jdbcOptions(rs[0], s.settings, "")
		rd := sp.Read().Format("jdbc").Option("dbtable", "events")
		for k, v := range o {
			if k == "password" {
				v = password + "-wrong"
			}
			rd = rd.Option(k, v)
		}
		d, err := rd.Load("")
		if err != nil {
			return nil, err
		}
		return d.Count(ctx)
	}()
	if err == nil {
		t.Error("a wrong password: expected an error")
	} else {
		look("error", err.Error())
	}

	// What Spark shows and logs.
	ui := srv.UI()
	for _, page := range []string{"/jobs/", "/stages/", "/SQL/", "/connect/", "/environment/", "/executors/", "/api/v1/applications"} {
		look(page, get(t, ui+page))
	}
	apps := get(t, ui+"/api/v1/applications")
	app := regexp.MustCompile(`"id"\s*:\s*"([^"]+)"`).FindStringSubmatch(apps)
	if app == nil {
		t.Fatalf("no application in %s", apps)
	}
	sqlList := get(t, ui+"/api/v1/applications/"+app[1]+"/sql?details=true&planDescription=true&length=1000")
	look("sql api", sqlList)
	look("environment api", get(t, ui+"/api/v1/applications/"+app[1]+"/environment"))
	for _, id := range regexp.MustCompile(`"id"\s*:\s*(\d+)`).FindAllStringSubmatch(sqlList, -1) {
		look("sql execution "+id[1], get(t, ui+"/SQL/execution/?id="+id[1]))
	}
	connect := get(t, ui+"/connect/")
	for _, m := range regexp.MustCompile(`href="([^"]*connect/session/\?id=[^"]+)"`).FindAllStringSubmatch(connect, -1) {
		link := strings.ReplaceAll(m[1], "&amp;", "&")
		if !strings.HasPrefix(link, "http") {
			link = ui + "/" + strings.TrimPrefix(link, "/")
		}
		look("connect session", get(t, link))
	}
	logText, err := os.ReadFile(srv.LogFile())
	if err != nil {
		t.Fatal(err)
	}
	look("server log", string(logText))

	all := strings.Join(seen, "\n")
	for _, secret := range []struct{ name, value string }{{"the password", password}, {"the server's token", srv.Token()}} {
		if i := strings.Index(all, secret.value); i >= 0 {
			start := max(0, i-300)
			t.Errorf("%s appears in what Spark shows:\n…%s…", secret.name, strings.ReplaceAll(all[start:min(len(all), i+50)], secret.value, "<HERE>"))
		}
	}
	// The checks looked at the right things: the requests are in the UI, masked.
	if !strings.Contains(connect, "jdbc") || !strings.Contains(all, "redacted") {
		t.Errorf("expected the Connect tab to list the JDBC reads with their password masked")
	}
	if !strings.Contains(all, `"public"."events"`) && !strings.Contains(all, "JDBCRelation") {
		t.Errorf("expected the plans to show the JDBC relation")
	}
	_ = sparkserver.Host
}
