package secrets

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fake credentials, cut in two so that this file itself holds no secret a
// scanner (ours included) would refuse.
var (
	envPassword = "Tr0ub4dor" + "&3-horse" // with characters that URL encoding changes
	envHost     = "analytics-replica.c9" + "xq2mz.eu-west-1.rds.amazonaws.com"
	envUser     = "analyst_" + "readonly"
	envToken    = "tok_" + "9f8e7d6c5b4a3f2e1d0c"
	awsKey      = "AKIA" + "Z5MX3QHW7RTBNP4K"
	githubPAT   = "ghp_" + "4Xk9Qz2Lm8Nv3Bt7Rw1Yp6Hs0Jd5Fc2Ga9Ke"
	slackToken  = "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
	stripeKey   = "sk_" + "live_51HqZ2eKx8Wm4Pn7Rt3Vy9Bc6"
	privateKey  = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi+zPq8Lm2c5Xk7Ww0HsCEb7uKs\nq1f9G3yHnT0mYd8Vw4Xe2Lr6Zs5Ba7Nc1Qp3Jk9Uv0Xt2Ym4Ao6Ze8Rd1Wf3Hg5\n-----END RSA " + "PRIVATE KEY-----"
	dsnPassword = "n0t-in-dotenv" + "-Qw7"
)

func writeEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	env := strings.Join([]string{
		"# the replica",
		"RDS_HOSTNAME=" + envHost,
		"RDS_PORT=5432",
		"RDS_DB_NAME=app",
		"export RDS_USERNAME='" + envUser + "'",
		`RDS_PASSWORD="` + envPassword + `"`,
		"API_TOKEN=" + envToken + " # inline comment",
		"PGSSLMODE=verify-full",
		"DEBUG=true",
		"LOG_DIR=notebooks-output",
		"",
	}, "\n")
	p := filepath.Join(dir, ".env")
	if err := os.WriteFile(p, []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func newTestScanner(t *testing.T) *Scanner {
	t.Helper()
	s, err := NewScanner(writeEnv(t), Options{})
	if err != nil {
		t.Fatalf("NewScanner: %v", err)
	}
	return s
}

// secretCorpus: every line holds one secret that must be found. want is the
// expected rule prefix and what the placeholder names.
var secretCorpus = []struct {
	name, text, rule, secret string
}{
	{"env password literal", `pw := "` + envPassword + `"`, "env:RDS_PASSWORD", envPassword},
	{"env password query-escaped", `u := "postgres://app:` + "Tr0ub4dor%263-horse@db/x\"", "env:RDS_PASSWORD", "Tr0ub4dor%263-horse"},
	{"env password in libpq string", `conn := "host=db user=app password='` + envPassword + `' dbname=x"`, "env:RDS_PASSWORD", envPassword},
	{"env password python repr", "pw = '" + envPassword + "'", "env:RDS_PASSWORD", envPassword},
	{"env host", `-- connect to ` + envHost, "env:RDS_HOSTNAME", envHost},
	{"env host upper case", `HOST = "` + strings.ToUpper(envHost) + `"`, "env:RDS_HOSTNAME", strings.ToUpper(envHost)},
	{"env user", `SELECT * FROM pg_stat_activity WHERE usename = '` + envUser + `';`, "env:RDS_USERNAME", envUser},
	{"env token with inline comment in .env", `curl -H "Authorization: ` + envToken + `"`, "env:API_TOKEN", envToken},
	{"postgres URL", `db := "postgres://bob:` + dsnPassword + `@10.0.0.5:5432/shop"`, RulePostgresURL, dsnPassword},
	{"postgresql URL", `engine = create_engine("postgresql://bob:` + dsnPassword + `@db/shop")`, RulePostgresURL, dsnPassword},
	{"libpq keyword string", `psql "host=db.internal port=5432 user=bob password=` + dsnPassword + ` dbname=shop"`, RuleLibpqPassword, dsnPassword},
	{"gonb %env", `%env PGPASSWORD ` + dsnPassword, RuleEnvMagic, dsnPassword},
	{"ipython %env with =", `%env PGPASSWORD=` + dsnPassword, RuleEnvMagic, dsnPassword},
	{"shell PGPASSWORD", `!PGPASSWORD=` + dsnPassword + ` psql -h db -c 'select 1'`, RulePGPASSWORD, dsnPassword},
	{"os.Setenv PGPASSWORD", `os.Setenv("PGPASSWORD", "` + dsnPassword + `")`, RulePGPASSWORD, dsnPassword},
	{"os.environ PGPASSWORD", `os.environ["PGPASSWORD"] = "` + dsnPassword + `"`, RulePGPASSWORD, dsnPassword},
	{"aws access key", `aws_access_key_id = ` + awsKey, "gitleaks:", awsKey},
	{"github token", `token := "` + githubPAT + `"`, "gitleaks:", githubPAT},
	{"slack token", `SLACK=` + slackToken, "gitleaks:", slackToken},
	{"stripe key", `stripe.Key = "` + stripeKey + `"`, "gitleaks:", stripeKey},
	{"private key", privateKey, "gitleaks:private-key", ""},
}

func TestFindsEverySecret(t *testing.T) {
	s := newTestScanner(t)
	for _, c := range secretCorpus {
		t.Run(c.name, func(t *testing.T) {
			text := "package x\n\n" + c.text + "\n"
			fs := s.Scan("x.go", []byte(text))
			if len(fs) == 0 {
				t.Fatalf("no finding in %q, expected rule %s", c.text, c.rule)
			}
			f := fs[0]
			if !strings.HasPrefix(f.Rule, c.rule) {
				t.Errorf("rule %q, expected %q", f.Rule, c.rule)
			}
			if f.File != "x.go" || f.Line != 3 {
				t.Errorf("location %s:%d, expected x.go:3", f.File, f.Line)
			}
			if c.secret != "" {
				if got := text[f.Start:f.End]; got != c.secret {
					t.Errorf("range holds %q, expected the secret %q", got, c.secret)
				}
				if strings.Contains(f.Redacted, c.secret) || strings.Contains(f.String(), c.secret) {
					t.Errorf("the excerpt shows the secret: %q", f.Redacted)
				}
			}
			if strings.Contains(fmt.Sprintf("%v %+v %#v", f, f, s), envPassword) {
				t.Error("fmt output of a finding or the scanner shows a secret")
			}
			red := string(Redact([]byte(text), fs))
			if c.secret != "" && strings.Contains(red, c.secret) {
				t.Errorf("Redact left the secret in: %q", red)
			}
			if !strings.Contains(red, "<secret:") {
				t.Errorf("Redact put no placeholder: %q", red)
			}
			// The redacted text is clean: placeholders do not trigger rules.
			if again := s.Scan("x.go", []byte(red)); len(again) > 0 {
				t.Errorf("the redacted text still has findings: %v", again)
			}
		})
	}
}

// cleanCorpus must pass: look-alikes, placeholders, trivial .env values,
// base64 images and notebook cell ids.
var cleanCorpus = map[string]string{
	"dsn without password":     `db := "postgres://` + "analyst" + `@localhost:5432/app?sslmode=disable"`,
	"dsn with env placeholder": `url := "postgres://app:${PGPASSWORD}@db/app"` + "\n" + `u2 := "postgresql://app:$PGPASSWORD@db/app"`,
	"dsn printf":               `dsn := fmt.Sprintf("postgres://%s:%s@%s/%s", user, pw, host, db)`,
	"pgx redacted":             `// failed to connect to "host=db user=app password=xxxxx database=app"`,
	"doc placeholder":          "DATABASE_URL=postgres://analyst:PASSWORD@my-replica.example.com:5432/app\n" + `conn := "host=db user=app password=<password>"`,
	"function call":            `conn, err := connect(host=h, password=pw)` + "\n" + `pg.connect(host="db", user="u", password=os.environ["PGPASSWORD"])`,
	"env from variable":        "%env PGPASSWORD $PGPASSWORD\n%env PGHOST=localhost\nexport PGPASSWORD=\"$(cat ~/.secret)\"",
	"trivial env values":       "port := 5432 // RDS_PORT\nmode := \"verify-full\"\nif debug == \"true\" {}\ndb := \"app\"\nout := \"notebooks-output\"",
	"config helper":            `pw, err := cfg.Get("RDS_PASSWORD")` + "\n" + `host := cfg.GetOr("RDS_HOSTNAME", "localhost")`,
	"placeholder from hook":    `url := "postgres://app:<secret:RDS_PASSWORD>@<secret:RDS_HOSTNAME>/app"`,
	"markdown image":           "![chart](data:image/png;base64," + strings.Repeat("iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAK0lEQVR4nGNgQAX/", 40) + ")",
	"cell ids":                 `{"id": "9f1c2b7e", "cell_type": "code"}` + "\n" + `{"id": "a3f9e2c1-7b4d-4e8a-9c6f-2d1b0e8f7a65"}`,
	"concatenated env":         `env = append(env, "PGPASSWORD="+settings["RDS_PASSWORD"], "X="+y)`,
	"sql":                      "select usename, client_addr from pg_stat_replication;\nselect pg_is_in_recovery();",
}

func TestCleanCorpusPasses(t *testing.T) {
	s := newTestScanner(t)
	for name, text := range cleanCorpus {
		t.Run(name, func(t *testing.T) {
			if fs := s.Scan("x.txt", []byte(text)); len(fs) > 0 {
				t.Errorf("false positive in %q: %v", text, fs)
			}
		})
	}
}

// TestBinarySearchedForKnownValues: binary data is searched for the .env
// values (a pickle, an image), never shown; a binary without them passes.
func TestBinarySearchedForKnownValues(t *testing.T) {
	s := newTestScanner(t)
	data := append([]byte{0x89, 'P', 'N', 'G', 0, 0}, []byte(envPassword)...)
	fs := s.Scan("x.png", data)
	if len(fs) != 1 || fs[0].Variable != "RDS_PASSWORD" || fs[0].Encoding != "binary" {
		t.Fatalf("expected RDS_PASSWORD in the binary, found %v", fs)
	}
	if strings.Contains(fs[0].String(), envPassword) || !strings.Contains(fs[0].String(), "at byte 6") {
		t.Errorf("finding %q should give the offset and not the value", fs[0])
	}
	if fs := s.Scan("y.png", []byte{0x89, 'P', 'N', 'G', 0, 0, 1, 2, 3}); len(fs) != 0 {
		t.Errorf("a clean binary was flagged: %v", fs)
	}
}

func TestDatabaseURLParts(t *testing.T) {
	s, err := NewScanner("", Options{Values: map[string]string{"DATABASE_URL": "postgres://" + envUser + ":" + dsnPassword + "@" + envHost + "/app"}})
	if err != nil {
		t.Fatal(err)
	}
	text := "the password alone: " + dsnPassword + "\n"
	fs := s.Scan("notes.md", []byte(text))
	if len(fs) != 1 || fs[0].Variable != "DATABASE_URL" || text[fs[0].Start:fs[0].End] != dsnPassword {
		t.Fatalf("expected the password inside DATABASE_URL to be found alone, got %v", fs)
	}
	if got := fs[0].Placeholder(); got != "<secret:DATABASE_URL>" {
		t.Errorf("placeholder %q, expected <secret:DATABASE_URL>", got)
	}
}

func TestEnvParseErrorHidesContents(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(p, []byte("RDS_PASSWORD=\"unterminated "+envPassword+"\n"), 0o600)
	_, err := NewScanner(p, Options{})
	if err == nil {
		t.Skip("godotenv accepted the line; nothing to check")
	}
	if strings.Contains(err.Error(), envPassword) || !strings.Contains(err.Error(), p) {
		t.Errorf("error %q should name the file and not quote it", err)
	}
}

func TestMissingEnvFileIsFine(t *testing.T) {
	s, err := NewScanner(filepath.Join(t.TempDir(), ".env"), Options{})
	if err != nil || s.EnvValues() != 0 {
		t.Fatalf("NewScanner(missing .env) = %v, %v; expected an empty scanner", s, err)
	}
}

func TestDemoEnvContributesOnlyItsPassword(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	pw := "demo-" + "Gener4ted-Pw"
	if err := os.WriteFile(env, []byte("REPLICALAB_DEMO=1\nRDS_HOSTNAME=demo-replica.local\nRDS_USERNAME=analyst\nRDS_PASSWORD="+pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sc, err := NewScanner(env, Options{NoGitleaks: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.Scan("doc.md", []byte("the demo role analyst on demo-replica.local\n")); len(got) != 0 {
		t.Errorf("the demo's public names were flagged: %v", got)
	}
	if got := sc.Scan("cell.go", []byte(`pw := "`+pw+`"`+"\n")); len(got) != 1 || got[0].Variable != "RDS_PASSWORD" {
		t.Errorf("the demo's password was not flagged: %v", got)
	}
}

// TestSecretsBesideAndInsideLargeImages: the patterns skip long base64 runs (the images of notebooks and
// reports), and what is around or inside them is still found: a connection string on the image's line, a
// password written into the encoded text, a generic token after it.
func TestSecretsBesideAndInsideLargeImages(t *testing.T) {
	s := newTestScanner(t)
	img := make([]byte, 6000)
	for i := range img {
		img[i] = byte(i*7 + i/13)
	}
	blob := base64.StdEncoding.EncodeToString(img)
	withPw := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("log line of a plot library\n", 200) + "pw " + envPassword + "\n"))
	for name, text := range map[string]string{
		"libpq after an image": `<img src="data:image/png;base64,` + blob + `"> host=db.internal user=x password=Zq7` + `vB2mXw9 dbname=app`,
		"known value inside":   `<img src="data:text/plain;base64,` + withPw + `">`,
		"PGPASSWORD before":    `PGPASSWORD=Kd8` + `sLw3Qe psql; <img src="data:image/png;base64,` + blob + `">`,
	} {
		if fs := s.Scan("report.html", []byte(text)); len(fs) == 0 {
			t.Errorf("%s: nothing found", name)
		}
	}
	if fs := s.Scan("report.html", []byte(`<img src="data:image/png;base64,`+blob+`">`)); len(fs) != 0 {
		t.Errorf("a clean image was flagged: %v", fs)
	}
}
