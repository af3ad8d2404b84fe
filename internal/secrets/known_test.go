package secrets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKnownValuesResolvesLikeTheHelpers: .env files in sub folders and
// above the work tree, .env.* files, the environment's connection
// variables and the .pgpass file a .env points to are all known; values are
// never in String().
func TestKnownValuesResolvesLikeTheHelpers(t *testing.T) {
	top := t.TempDir()
	root := filepath.Join(top, "project")
	pass := filepath.Join(top, "custom.pgpass")
	write := func(p, s string) {
		t.Helper()
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	vals := map[string]string{
		"above":   "above-root-" + "Pw1",
		"nested":  "nested-" + "Pw2",
		"local":   "dot-env-local-" + "Pw3",
		"env":     "from-environment-" + "Pw4",
		"pgpass":  "pgpass-entry-" + "Pw5",
		"urlpw":   "raw@slash/" + "Pw6",
		"skipped": "in-a-venv-" + "Pw7",
	}
	write(filepath.Join(top, ".env"), "RDS_PASSWORD="+vals["above"]+"\n")
	write(filepath.Join(root, "notebooks", "deep", ".env"), "RDS_PASSWORD="+vals["nested"]+"\nPGPASSFILE="+pass+"\n")
	write(filepath.Join(root, ".env.local"), "API_TOKEN="+vals["local"]+"\n")
	write(filepath.Join(root, ".venv", ".env"), "RDS_PASSWORD="+vals["skipped"]+"\n")
	write(pass, "db:5432:*:reader:"+vals["pgpass"]+"\n")
	t.Setenv("RDS_PASSWORD", vals["env"])
	t.Setenv("DATABASE_URL", "postgresql://u:"+vals["urlpw"]+"@h.internal/app")
	t.Setenv("HOME", t.TempDir())

	known, files, err := KnownValues(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Errorf("expected 3 settings files (nested .env, .env.local, the .env above), found %v", files)
	}
	sc, err := NewScanner("", Options{Known: known, NoGitleaks: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range vals {
		fs := sc.Scan("x.txt", []byte("value: "+v+"\n"))
		if (len(fs) > 0) == (name == "skipped") {
			t.Errorf("%s: found=%v", name, len(fs) > 0)
		}
	}
	// A Spark Connect token, in .env or in the environment, is known alone: it is what leaks.
	for _, where := range []string{"env", "environment"} {
		tok := "spark-" + where + "-Tk8" + "x2Q9z"
		remote := "sc://spark.internal:443/;use_ssl=true;token=" + tok
		dir := filepath.Join(top, "spark-"+where)
		if where == "env" {
			write(filepath.Join(dir, ".env"), "SPARK_REMOTE="+remote+"\n")
		} else {
			os.MkdirAll(dir, 0o755)
			t.Setenv("SPARK_REMOTE", remote)
		}
		known, _, err := KnownValues(dir)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := NewScanner("", Options{Known: known, NoGitleaks: true})
		if err != nil {
			t.Fatal(err)
		}
		if fs := sc.Scan("x.txt", []byte("Authorization: Bearer "+tok+"\n")); len(fs) == 0 || fs[0].Rule != "env:SPARK_REMOTE (token)" {
			t.Errorf("the token of SPARK_REMOTE (%s) is not found alone: %v", where, fs)
		}
		// Without its token the address still names a private host, like DATABASE_URL's host.
		if fs := sc.Scan("x.txt", []byte("remote: sc://spark.internal:443/;use_ssl=true\n")); len(fs) != 1 || fs[0].Rule != "env:SPARK_REMOTE (host)" {
			t.Errorf("the address without its token (%s): want its host found, got %v", where, fs)
		}
	}
	// DATABASE_URL's password with a raw '@' and '/' is known alone too.
	if fs := sc.Scan("x.txt", []byte("pw "+vals["urlpw"]+"\n")); len(fs) != 1 || fs[0].Variable != "DATABASE_URL" {
		t.Errorf("the raw-@ password of DATABASE_URL: %v", fs)
	}
	for _, k := range known {
		for _, v := range vals {
			if strings.Contains(k.String(), v) || strings.Contains(sc.String(), v) {
				t.Errorf("String shows a value: %s", k)
			}
		}
	}
}
