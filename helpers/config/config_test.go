package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/replicalab/replicalab/helpers/config"
)

const secretPassword = "s3cr3t-Pa55-xyzzy"

// writeFile writes name (relative to dir) with the given mode, making folders.
func writeFile(t *testing.T, dir, name, body string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // umask may have trimmed it
		t.Fatal(err)
	}
	return p
}

// noStrayDotEnv skips a test whose assertions assume no .env above the temp dir.
func noStrayDotEnv(t *testing.T, dir string) {
	t.Helper()
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".env")); err == nil {
			t.Skipf("a .env exists in %s, above the test's temp folder", d)
		}
		if filepath.Dir(d) == d {
			return
		}
	}
}

func TestPrecedenceEnvOverDotEnvOverDefault(t *testing.T) {
	dir := t.TempDir()
	envPath := writeFile(t, dir, ".env", "# demo\nRDS_HOSTNAME=from-file\nRDS_PORT=6000\nEMPTY_IN_ENV=file\n", 0o600)

	cfg, err := config.LoadFrom(dir, []string{"RDS_HOSTNAME=from-env", "EMPTY_IN_ENV=", "PATH=/bin"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.File() != envPath {
		t.Errorf("File() = %q, want %q", cfg.File(), envPath)
	}
	cases := []struct {
		key, want string
		src       string
	}{
		{"RDS_HOSTNAME", "from-env", "environment"},
		{"RDS_PORT", "6000", envPath + ":3"},
		{"EMPTY_IN_ENV", "", "environment"}, // set-but-empty still wins over .env
		{"NOT_ANYWHERE", "dflt", "default"},
	}
	for _, c := range cases {
		if got := cfg.GetOr(c.key, "dflt"); got != c.want {
			t.Errorf("GetOr(%s) = %q, want %q", c.key, got, c.want)
		}
		if got := cfg.Source(c.key).String(); got != c.src {
			t.Errorf("Source(%s) = %q, want %q", c.key, got, c.src)
		}
	}
}

func TestLoadDoesNotTouchProcessEnvironment(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, ".env", "REPLICALAB_TEST_ONLY_IN_FILE=file\nREPLICALAB_TEST_IN_BOTH=file\n", 0o600)
	t.Setenv("REPLICALAB_TEST_IN_BOTH", "process")
	t.Chdir(dir)

	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.GetOr("REPLICALAB_TEST_IN_BOTH", ""); got != "process" {
		t.Errorf("value = %q, want the process environment's %q", got, "process")
	}
	if got := cfg.GetOr("REPLICALAB_TEST_ONLY_IN_FILE", ""); got != "file" {
		t.Errorf("value = %q, want %q from .env", got, "file")
	}
	if v, ok := os.LookupEnv("REPLICALAB_TEST_ONLY_IN_FILE"); ok {
		t.Errorf("Load exported REPLICALAB_TEST_ONLY_IN_FILE=%q into the process environment", v)
	}
	if got := os.Getenv("REPLICALAB_TEST_IN_BOTH"); got != "process" {
		t.Errorf("process value changed to %q", got)
	}
}

func TestWalksUpToNearestDotEnv(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, ".env", "WHERE=root\nONLY_ROOT=yes\n", 0o600)
	nested := filepath.Join(root, "notebooks", "eda", "deep")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}

	cfg, err := config.LoadFrom(nested, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.GetOr("WHERE", ""); got != "root" {
		t.Errorf("from %s: WHERE = %q, want %q (the .env two levels up)", nested, got, "root")
	}

	// A nearer .env wins, and is used alone: decouple does not merge files.
	mid := writeFile(t, root, "notebooks/.env", "\n\nWHERE=notebooks\n", 0o600)
	cfg, err = config.LoadFrom(nested, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.GetOr("WHERE", ""); got != "notebooks" {
		t.Errorf("WHERE = %q, want %q from the nearer %s", got, "notebooks", mid)
	}
	if got := cfg.Source("WHERE").String(); got != mid+":3" {
		t.Errorf("Source(WHERE) = %q, want %q", got, mid+":3")
	}
	if cfg.Has("ONLY_ROOT") {
		t.Errorf("ONLY_ROOT from the farther .env leaked into the config")
	}
}

func TestTypedGetters(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, ".env", strings.Join([]string{
		"PORT=5433", "BAD_PORT=54x", "ON=yes", "OFF=Off", "BLANK=", "MAYBE=perhaps",
		"WAIT=1m30s", "ZERO=0", "NO_UNIT=30", "export EXPORTED=42",
	}, "\n"), 0o600)
	cfg, err := config.LoadFrom(dir, nil)
	if err != nil {
		t.Fatal(err)
	}

	if n, err := cfg.Int("PORT"); err != nil || n != 5433 {
		t.Errorf("Int(PORT) = %d, %v; want 5433", n, err)
	}
	if n, err := cfg.Int("EXPORTED"); err != nil || n != 42 {
		t.Errorf("Int(EXPORTED) = %d, %v; want 42", n, err)
	}
	if n, err := cfg.IntOr("NOPE", 7); err != nil || n != 7 {
		t.Errorf("IntOr(NOPE, 7) = %d, %v; want the default", n, err)
	}
	_, err = cfg.IntOr("BAD_PORT", 5432)
	var ce *config.CastError
	if !errors.As(err, &ce) || !errors.Is(err, config.ErrInvalid) {
		t.Fatalf("IntOr(BAD_PORT) error = %v, want a *CastError (a set but malformed key is not replaced by the default)", err)
	}
	for _, want := range []string{"BAD_PORT", "an integer", `"54x"`, cfg.File() + ":2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}

	bools := map[string]bool{"ON": true, "OFF": false, "BLANK": false}
	for k, want := range bools {
		if got, err := cfg.Bool(k); err != nil || got != want {
			t.Errorf("Bool(%s) = %v, %v; want %v", k, got, err, want)
		}
	}
	if _, err := cfg.Bool("MAYBE"); !errors.Is(err, config.ErrInvalid) {
		t.Errorf("Bool(MAYBE) error = %v, want ErrInvalid", err)
	}
	if got, err := cfg.BoolOr("ABSENT", true); err != nil || !got {
		t.Errorf("BoolOr(ABSENT, true) = %v, %v", got, err)
	}

	if d, err := cfg.Duration("WAIT"); err != nil || d != 90*time.Second {
		t.Errorf("Duration(WAIT) = %v, %v; want 1m30s", d, err)
	}
	if d, err := cfg.Duration("ZERO"); err != nil || d != 0 {
		t.Errorf("Duration(ZERO) = %v, %v; want 0", d, err)
	}
	if _, err := cfg.Duration("NO_UNIT"); err == nil || !strings.Contains(err.Error(), "with a unit") {
		t.Errorf("Duration(NO_UNIT) error = %v, want one asking for a unit", err)
	}
	if d, err := cfg.DurationOr("ABSENT", time.Second); err != nil || d != time.Second {
		t.Errorf("DurationOr(ABSENT) = %v, %v", d, err)
	}
}

func TestMissingKeyNamesKeyAndFix(t *testing.T) {
	dir := t.TempDir()
	envPath := writeFile(t, dir, ".env", "RDS_PASSWORD="+secretPassword+"\n", 0o600)
	cfg, err := config.LoadFrom(dir, []string{"OTHER=" + secretPassword})
	if err != nil {
		t.Fatal(err)
	}
	for _, get := range []func() error{
		func() error { _, err := cfg.Get("RDS_HOSTNAME"); return err },
		func() error { _, err := cfg.Int("RDS_HOSTNAME"); return err },
		func() error { _, err := cfg.Bool("RDS_HOSTNAME"); return err },
		func() error { _, err := cfg.Duration("RDS_HOSTNAME"); return err },
	} {
		err := get()
		var me *config.MissingError
		if !errors.As(err, &me) || !errors.Is(err, config.ErrMissing) {
			t.Fatalf("error = %v, want a *MissingError", err)
		}
		msg := err.Error()
		for _, want := range []string{"RDS_HOSTNAME", "add RDS_HOSTNAME=", envPath, ".env.example"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not mention %q", msg, want)
			}
		}
		if strings.Contains(msg, secretPassword) {
			t.Errorf("error shows a value: %q", msg)
		}
	}

	alt := cfg.Missing("RDS_HOSTNAME", "DATABASE_URL", "PGHOST").Error()
	if !strings.Contains(alt, "DATABASE_URL or PGHOST") {
		t.Errorf("error %q does not list the alternatives", alt)
	}
}

func TestMissingKeyWithoutDotEnv(t *testing.T) {
	dir := t.TempDir()
	noStrayDotEnv(t, dir)
	cfg, err := config.LoadFrom(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.File() != "" {
		t.Fatalf("File() = %q, want none", cfg.File())
	}
	_, err = cfg.Get("RDS_DB_NAME")
	msg := fmt.Sprint(err)
	for _, want := range []string{"RDS_DB_NAME", "no .env found in " + dir, ".env.example"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
}

func TestSecretValuesNotShown(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, ".env", "RDS_PASSWORD="+secretPassword+"\nAPI_TOKEN="+secretPassword+"\nDATABASE_URL=postgres://a:"+secretPassword+"@h/db\n", 0o600)
	cfg, err := config.LoadFrom(dir, []string{"PGPASSWORD=" + secretPassword})
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, k := range []string{"RDS_PASSWORD", "API_TOKEN", "DATABASE_URL", "PGPASSWORD"} {
		_, err := cfg.Int(k)
		if !errors.Is(err, config.ErrInvalid) {
			t.Fatalf("Int(%s) error = %v, want ErrInvalid", k, err)
		}
		shown = append(shown, err.Error())
	}
	shown = append(shown, fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprint(cfg.Warnings()), fmt.Sprint(cfg.Keys()))
	for _, s := range shown {
		if strings.Contains(s, secretPassword) {
			t.Errorf("a secret value is shown in %q", s)
		}
	}
}

func TestSyntaxErrorNamesFileAndLine(t *testing.T) {
	cases := []struct {
		name, body string
		line       int
		reason     string
	}{
		{"no equals sign", "A=1\n# fine\nRDS_PASSWORD=" + secretPassword + "\nJUSTAWORD\nB=2\n", 4, `no "="`},
		{"bad character in name", "A=1\nRDS_PASSWORD=" + secretPassword + "\n\nMY-KEY=3\n", 4, `unexpected character "-"`},
		{"unterminated quote after a multi-line value",
			"CERT=\"line one\nline two\"\nRDS_PASSWORD='" + secretPassword + "\nB=2\n", 3, "not closed"},
		{"windows line endings", "A=1\r\nB=2\r\nC!D=3\r\n", 3, `unexpected character`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeFile(t, dir, ".env", c.body, 0o600)
			_, err := config.LoadFrom(dir, nil)
			var se *config.SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, config.ErrSyntax) {
				t.Fatalf("error = %v, want a *SyntaxError", err)
			}
			if se.File != p || se.Line != c.line {
				t.Errorf("position = %s:%d, want %s:%d", se.File, se.Line, p, c.line)
			}
			msg := err.Error()
			if !strings.Contains(msg, fmt.Sprintf("%s:%d", p, c.line)) || !strings.Contains(msg, c.reason) {
				t.Errorf("error %q does not say %s:%d and %q", msg, p, c.line, c.reason)
			}
			if strings.Contains(msg, secretPassword) {
				t.Errorf("error quotes the file's content: %q", msg)
			}
		})
	}
}

func TestUnreadableDotEnv(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ".env")
	if err := os.Mkdir(p, 0o700); err != nil { // a folder named .env cannot be read as a file
		t.Fatal(err)
	}
	_, err := config.LoadFrom(dir, nil)
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("error = %v, want one naming %s", err, p)
	}
}

func TestWarnsWhenOthersCanReadPassword(t *testing.T) {
	cases := []struct {
		name  string
		body  string
		mode  os.FileMode
		warns bool
	}{
		{"world-readable password", "RDS_HOSTNAME=h\nRDS_PASSWORD=" + secretPassword + "\n", 0o644, true},
		{"group-readable url", "DATABASE_URL=postgres://u:" + secretPassword + "@h/d\n", 0o640, true},
		{"private password", "RDS_PASSWORD=" + secretPassword + "\n", 0o600, false},
		{"readable without secrets", "RDS_HOSTNAME=h\nRDS_PORT=5432\n", 0o644, false},
		{"readable, empty password", "RDS_PASSWORD=\n", 0o644, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeFile(t, dir, ".env", c.body, c.mode)
			cfg, err := config.LoadFrom(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			w := cfg.Warnings()
			if got := len(w) > 0; got != c.warns {
				t.Fatalf("warnings = %q, want a warning: %v", w, c.warns)
			}
			if c.warns {
				if !strings.Contains(w[0], p) || !strings.Contains(w[0], "chmod 600") {
					t.Errorf("warning %q does not name %s and the fix", w[0], p)
				}
				if strings.Contains(w[0], secretPassword) {
					t.Errorf("warning shows the secret: %q", w[0])
				}
			}
		})
	}
}

func TestIsSecret(t *testing.T) {
	for k, want := range map[string]bool{
		"RDS_PASSWORD": true, "PGPASSWORD": true, "DATABASE_URL": true, "AWS_SECRET_ACCESS_KEY": true,
		"GITHUB_TOKEN": true, "api_key": true, "RDS_HOSTNAME": false, "RDS_PORT": false, "PGSSLMODE": false,
		"SPARK_REMOTE": true, "PG_DSN": true, "DSN": true, "MONGO_URI": true, "PGPASSFILE": true, "RDS_USERNAME": false,
		"REPLICALAB_MAX_ROWS": false, "SPARK_REMOTE_HOST": false, "OAUTH_CLIENT": true,
	} {
		if got := config.IsSecret(k); got != want {
			t.Errorf("IsSecret(%q) = %v, want %v", k, got, want)
		}
	}
}
