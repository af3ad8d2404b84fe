package replica_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/helpers/replica"
)

const fakePassword = "Fake-pa55word-for-tests"

var rdsEnv = map[string]string{
	"RDS_HOSTNAME": "replica.example.internal", "RDS_PORT": "6543", "RDS_DB_NAME": "marketplace",
	"RDS_USERNAME": "analyst", "RDS_PASSWORD": fakePassword,
}

func source(t *testing.T, s *replica.Settings, name string) replica.Setting {
	t.Helper()
	for _, st := range s.Sources() {
		if st.Name == name {
			return st
		}
	}
	t.Fatalf("no %q in Sources()", name)
	return replica.Setting{}
}

func TestResolveFromRDSVariables(t *testing.T) {
	s, err := replica.Resolve(loadConfig(t, rdsEnv))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Target(), "analyst@replica.example.internal:6543/marketplace"; got != want {
		t.Errorf("Target() = %q, want %q", got, want)
	}
	if s.SSLMode != "prefer" || s.StatementTimeout != replica.DefaultStatementTimeout ||
		s.LockTimeout != replica.DefaultLockTimeout || s.IdleTxTimeout != replica.DefaultIdleTxTimeout ||
		s.ConnectTimeout != replica.DefaultConnectTimeout || s.MaxConns != replica.DefaultMaxConns || s.AllowPrimary {
		t.Errorf("defaults not applied: %+v", s.Sources())
	}
	for name, want := range map[string]string{
		"host": "RDS_HOSTNAME (environment)", "database": "RDS_DB_NAME (environment)", "password": "RDS_PASSWORD (environment)",
		"statement_timeout": "default", "default_transaction_read_only": "always",
	} {
		if got := source(t, s, name).From; got != want {
			t.Errorf("%s comes from %q, want %q", name, got, want)
		}
	}
	if got := source(t, s, "password").Value; got != "(set)" {
		t.Errorf("password value reported as %q, want (set)", got)
	}
	assertNoSecret(t, fakePassword, merge(shown(s), shown(*s), map[string]string{"Describe": s.Describe()}))
}

func TestResolvePrecedence(t *testing.T) {
	// DATABASE_URL beats RDS_* which beats PG*, setting by setting.
	ca := writeCA(t)
	cfg := loadConfig(t, rdsEnv,
		"DATABASE_URL=postgres://url_user@url-host:7000/url_db?sslmode=disable",
		"PGHOST=pg-host", "PGSSLROOTCERT="+ca, "PGAPPNAME=from-pg", "RDS_PORT=6543")
	s, err := replica.Resolve(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Target(), "url_user@url-host:7000/url_db"; got != want {
		t.Errorf("Target() = %q, want %q (DATABASE_URL wins)", got, want)
	}
	cases := map[string][2]string{
		"host":             {"url-host", "DATABASE_URL (environment)"},
		"port":             {"7000", "DATABASE_URL (environment)"},
		"sslmode":          {"disable", "DATABASE_URL (environment)"},
		"password":         {"(set)", "RDS_PASSWORD (environment)"}, // the URL has none
		"sslrootcert":      {ca, "PGSSLROOTCERT (environment)"},
		"application_name": {"from-pg", "PGAPPNAME (environment)"},
	}
	for name, want := range cases {
		if st := source(t, s, name); st.Value != want[0] || st.From != want[1] {
			t.Errorf("%s = %q from %q, want %q from %q", name, st.Value, st.From, want[0], want[1])
		}
	}
	if s.Var("host") != "DATABASE_URL" || s.Var("password") != "RDS_PASSWORD" {
		t.Errorf("Var(host) = %q, Var(password) = %q", s.Var("host"), s.Var("password"))
	}

	// Without DATABASE_URL, RDS_* wins over PG*, and PG* fills the gaps.
	s, err = replica.Resolve(loadConfig(t, rdsEnv, "-RDS_USERNAME", "PGUSER=pg_user", "PGHOST=pg-host"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Target(), "pg_user@replica.example.internal:6543/marketplace"; got != want {
		t.Errorf("Target() = %q, want %q", got, want)
	}
	if got := source(t, s, "user").From; got != "PGUSER (environment)" {
		t.Errorf("user from %q", got)
	}
}

func TestResolveDotEnvLineAndEnvironmentOverride(t *testing.T) {
	dir := t.TempDir()
	body := "RDS_HOSTNAME=from-file\nRDS_PORT=5433\nRDS_DB_NAME=marketplace\nRDS_USERNAME=analyst\nRDS_PASSWORD='" + fakePassword + "'\n"
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFrom(dir, []string{"RDS_HOSTNAME=from-env"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := replica.Resolve(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Target(), "analyst@from-env:5433/marketplace"; got != want {
		t.Errorf("Target() = %q, want %q", got, want)
	}
	if got, want := source(t, s, "password").From, "RDS_PASSWORD ("+filepath.Join(dir, ".env")+":5)"; got != want {
		t.Errorf("password from %q, want %q", got, want)
	}
}

func TestResolveKeywordValueAndMultiHostURL(t *testing.T) {
	s, err := replica.Resolve(loadConfig(t, nil,
		"DATABASE_URL=host=h1,h2 port=5433,5434 dbname=db user=u password='"+fakePassword+"' target_session_attrs=standby"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Target(), "u@h1:5433,h2:5434/db"; got != want {
		t.Errorf("Target() = %q, want %q", got, want)
	}
	if got := source(t, s, "target_session_attrs").From; got != "DATABASE_URL (environment)" {
		t.Errorf("target_session_attrs from %q", got)
	}

	s, err = replica.Resolve(loadConfig(t, nil,
		"DATABASE_URL=postgresql://u:"+fakePassword+"@h1:5433,h2:5434/db?target_session_attrs=prefer-standby&sslmode=disable"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Target(), "u@h1:5433,h2:5434/db"; got != want {
		t.Errorf("Target() = %q, want %q", got, want)
	}
	assertNoSecret(t, fakePassword, merge(shown(s), map[string]string{"Describe": s.Describe()}))
}

func TestResolvePgpass(t *testing.T) {
	dir := t.TempDir()
	pgpass := filepath.Join(dir, "pgpass")
	if err := os.WriteFile(pgpass, []byte("replica.example.internal:6543:marketplace:analyst:"+fakePassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := replica.Resolve(loadConfig(t, rdsEnv, "-RDS_PASSWORD", "PGPASSFILE="+pgpass))
	if err != nil {
		t.Fatal(err)
	}
	if st := source(t, s, "password"); st.Value != "(set)" || st.From != ".pgpass ("+pgpass+")" {
		t.Errorf("password = %q from %q, want (set) from .pgpass (%s)", st.Value, st.From, pgpass)
	}
	s, err = replica.Resolve(loadConfig(t, rdsEnv, "-RDS_PASSWORD", "PGPASSFILE="+filepath.Join(dir, "none")))
	if err != nil {
		t.Fatal(err)
	}
	if got := source(t, s, "password").Value; got != "(none)" {
		t.Errorf("password = %q without any source, want (none)", got)
	}
}

func TestResolveSessionSettings(t *testing.T) {
	s, err := replica.Resolve(loadConfig(t, rdsEnv, "REPLICALAB_STATEMENT_TIMEOUT=30m", "REPLICALAB_LOCK_TIMEOUT=2s",
		"REPLICALAB_IDLE_TX_TIMEOUT=0", "REPLICALAB_CONNECT_TIMEOUT=3s", "REPLICALAB_MAX_CONNS=5", "ALLOW_PRIMARY=1",
		"REPLICALAB_APP_NAME=eda-01", "JPY_SESSION_NAME=/home/me/notebooks/ignored.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	if s.StatementTimeout != 30*time.Minute || s.LockTimeout != 2*time.Second || s.IdleTxTimeout != 0 ||
		s.ConnectTimeout != 3*time.Second || s.MaxConns != 5 || !s.AllowPrimary || s.AppName != "eda-01" {
		t.Errorf("settings not applied: %s", s.Describe())
	}

	s, err = replica.Resolve(loadConfig(t, rdsEnv, "JPY_SESSION_NAME=/home/me/notebooks/1.0-jqp-eda.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "replicalab/" + osUser(t) + "/1.0-jqp-eda"; s.AppName != want {
		t.Errorf("AppName = %q, want %q: the OS user and the notebook", s.AppName, want)
	}
}

func TestResolveErrorsNameTheVariable(t *testing.T) {
	cases := []struct {
		name      string
		overrides []string
		variable  string
		says      string
	}{
		{"no host", []string{"-RDS_HOSTNAME"}, "RDS_HOSTNAME", "add RDS_HOSTNAME="},
		{"no database", []string{"-RDS_DB_NAME"}, "RDS_DB_NAME", "DATABASE_URL or PGDATABASE"},
		{"bad sslmode", []string{"RDS_SSLMODE=bogus"}, "RDS_SSLMODE", "sslmode"},
		{"bad port", []string{"RDS_PORT=54x"}, "RDS_PORT", "port"},
		{"missing CA file", []string{"RDS_SSLMODE=verify-full", "RDS_SSLROOTCERT=/nonexistent/ca.pem"}, "RDS_SSLROOTCERT", "/nonexistent/ca.pem"},
		{"bad timeout", []string{"REPLICALAB_STATEMENT_TIMEOUT=5"}, "REPLICALAB_STATEMENT_TIMEOUT", "with a unit"},
		{"bad allow", []string{"ALLOW_PRIMARY=maybe"}, "ALLOW_PRIMARY", "boolean"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := replica.Resolve(loadConfig(t, rdsEnv, c.overrides...))
			var ce *replica.ConnectError
			if !errors.As(err, &ce) {
				t.Fatalf("error = %v, want a *ConnectError", err)
			}
			if ce.Problem != replica.ProblemConfig || ce.Var() != c.variable {
				t.Errorf("problem %q naming %q, want %q naming %q (error: %v)", ce.Problem, ce.Var(), replica.ProblemConfig, c.variable, err)
			}
			if !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %q does not say %q", err, c.says)
			}
			assertNoSecret(t, fakePassword, map[string]string{"error": err.Error()})
		})
	}
	_, err := replica.Resolve(loadConfig(t, rdsEnv, "-RDS_USERNAME"))
	if !errors.Is(err, config.ErrMissing) {
		t.Errorf("a missing user gives %v, want errors.Is(err, config.ErrMissing)", err)
	}
}

func TestResolveRedactsMalformedURL(t *testing.T) {
	_, err := replica.Resolve(loadConfig(t, nil, "DATABASE_URL=postgres://u:"+fakePassword+"@h:notaport/db"))
	if err == nil {
		t.Fatal("a malformed DATABASE_URL was accepted")
	}
	var ce *replica.ConnectError
	if !errors.As(err, &ce) || ce.Var() != "DATABASE_URL" {
		t.Errorf("error %v does not blame DATABASE_URL", err)
	}
	assertNoSecret(t, fakePassword, map[string]string{"error": err.Error(), "%+v": strings.Join([]string{err.Error()}, "")})
}

// TestLoginHandsOverThePasswordWithoutPrintingIt: Login gives another driver the resolved password,
// and no fmt verb shows it.
func TestLoginHandsOverThePasswordWithoutPrintingIt(t *testing.T) {
	const pw = fakePassword
	for name, env := range map[string][]string{
		"RDS_PASSWORD": {"RDS_HOSTNAME=db.example", "RDS_DB_NAME=app", "RDS_USERNAME=analyst", "RDS_PASSWORD=" + pw},
		"DATABASE_URL": {"DATABASE_URL=postgres://analyst:" + pw + "@db.example/app"},
	} {
		cfg, err := config.LoadFrom(t.TempDir(), env)
		if err != nil {
			t.Fatal(err)
		}
		s, err := replica.Resolve(cfg)
		if err != nil {
			t.Fatal(err)
		}
		l := s.Login()
		if l.User != "analyst" || l.Password != pw {
			t.Errorf("%s: Login() = user %q, password of %d bytes; expected analyst and the password", name, l.User, len(l.Password))
		}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			if out := fmt.Sprintf(verb, l); strings.Contains(out, pw) {
				t.Errorf("%s: %s of the Login shows the password: %s", name, verb, out)
			}
		}
	}
}
