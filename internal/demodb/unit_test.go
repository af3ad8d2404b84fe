package demodb

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseScale(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
	}{
		{"small", 1}, {"", 1}, {"Medium", 10}, {"large", 100}, {"0.25", 0.25}, {"3", 3},
	} {
		got, err := ParseScale(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseScale(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"huge", "-1", "0", "NaN", "1e9"} {
		if _, err := ParseScale(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseScale(%q): want an error quoting the input, got %v", bad, err)
		}
	}
	if got := CountsFor(ScaleLarge).Events; got < 5_000_000 {
		t.Errorf("large scale: want at least 5,000,000 events, got %d", got)
	}
	if got := CountsFor(ScaleSmall).Events; got != 50_000 {
		t.Errorf("small scale: want 50,000 events, got %d", got)
	}
}

func TestParseLSN(t *testing.T) {
	got, err := ParseLSN("16/B374D848")
	if err != nil || got != 0x16<<32|0xB374D848 {
		t.Fatalf("ParseLSN = %x, %v", got, err)
	}
	if _, err := ParseLSN("nonsense"); err == nil {
		t.Fatal("ParseLSN(nonsense): want an error")
	}
}

func TestEnvFileRules(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	env := [][2]string{{"RDS_HOSTNAME", "127.0.0.1"}, {"RDS_PORT", "54321"}, {"RDS_PASSWORD", "s3cret"}}

	if err := writeEnvFile(path, env); err != nil {
		t.Fatalf("writing a new env file: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("env file mode: want 0600, got %o", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	for _, line := range []string{EnvMarker, "RDS_PORT=54321", "RDS_PASSWORD=s3cret"} {
		if !strings.Contains(string(data), line+"\n") {
			t.Errorf("env file lacks %q:\n%s", line, data)
		}
	}
	// A demo file is rewritten.
	env[1][1] = "60000"
	if err := writeEnvFile(path, env); err != nil {
		t.Fatalf("rewriting a demo env file: %v", err)
	}
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), "RDS_PORT=60000") {
		t.Errorf("demo env file was not rewritten:\n%s", data)
	}
	// The user's own file is never touched.
	own := "# my production replica\nRDS_HOSTNAME=replica.example.com\nRDS_PASSWORD=theirs\n"
	if err := os.WriteFile(path, []byte(own), 0o600); err != nil {
		t.Fatal(err)
	}
	err = writeEnvFile(path, env)
	if !errors.Is(err, ErrForeignEnvFile) || !strings.Contains(err.Error(), path) {
		t.Errorf("overwriting the user's env file: want ErrForeignEnvFile naming %s, got %v", path, err)
	}
	if data, _ := os.ReadFile(path); string(data) != own {
		t.Errorf("the user's env file changed:\n%s", data)
	}
	// A marker in a comment does not count.
	if err := os.WriteFile(path, []byte("# REPLICALAB_DEMO=1\nRDS_HOSTNAME=x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := checkEnvFile(path); !errors.Is(err, ErrForeignEnvFile) {
		t.Errorf("commented marker: want ErrForeignEnvFile, got %v", err)
	}
}

func TestStartRefusesForeignEnvFileBeforeAnything(t *testing.T) {
	dir := t.TempDir()
	envPath := filepath.Join(dir, ".env")
	own := "RDS_HOSTNAME=replica.example.com\n"
	if err := os.WriteFile(envPath, []byte(own), 0o644); err != nil {
		t.Fatal(err)
	}
	ports, err := FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{Dir: filepath.Join(dir, "demodb"), PrimaryPort: ports[0], ReplicaPort: ports[1], EnvFile: envPath})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Start(context.Background())
	if !errors.Is(err, ErrForeignEnvFile) || !strings.Contains(err.Error(), "not started") {
		t.Fatalf("want ErrForeignEnvFile saying the demo was not started, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "demodb", "primary")); !os.IsNotExist(err) {
		t.Errorf("want no primary created, found one (%v)", err)
	}
	if data, _ := os.ReadFile(envPath); string(data) != own {
		t.Errorf("the user's env file changed:\n%s", data)
	}
}

func TestCLIUsageErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		args    []string
		code    int
		message string
	}{
		{[]string{"launch"}, 2, `unknown command "launch"`},
		{[]string{}, 2, "usage:"},
		{[]string{"start", "--colour"}, 2, "-colour"},
		{[]string{"start", "--scale", "huge"}, 2, `"huge"`},
		{[]string{"traffic", "--rate", "fast"}, 2, `"fast"`},
		{[]string{"stop", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"status", "--dir", t.TempDir()}, 1, "no demo database"},
	} {
		var out, errOut bytes.Buffer
		code := Run(ctx, tc.args, strings.NewReader(""), &out, &errOut)
		if code != tc.code || !strings.Contains(errOut.String(), tc.message) {
			t.Errorf("demodb %v: want exit %d and stderr mentioning %q, got %d and %q", tc.args, tc.code, tc.message, code, errOut.String())
		}
	}
	var out bytes.Buffer
	if code := Run(ctx, []string{"help"}, nil, &out, &out); code != 0 || !strings.Contains(out.String(), "traffic") {
		t.Errorf("demodb help: want exit 0 and the command list, got %d and %q", code, out.String())
	}
}

func TestFallbackWhenServerUserCannotReachDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root runs the servers as another OS user")
	}
	private := t.TempDir() // mode 0700, owned by root: the postgres user cannot enter it
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(private, "demodb")
	c, err := New(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	c.log = &log
	if err := c.prepareDirs(); err != nil {
		t.Fatalf("prepareDirs: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(c.st.DataDir) }) // in case the test fails before Remove
	if strings.HasPrefix(c.st.DataDir, private) {
		t.Fatalf("want the data outside %s, got %s", private, c.st.DataDir)
	}
	if !c.owner.canUse(filepath.Join(c.st.DataDir, "log")) {
		t.Errorf("the postgres user cannot use the fallback %s", c.st.DataDir)
	}
	if !strings.Contains(log.String(), c.st.DataDir) {
		t.Errorf("want a note naming the fallback folder, got %q", log.String())
	}
	st, err := loadState(dir)
	if err != nil || st == nil || st.DataDir != c.st.DataDir {
		t.Errorf("want the fallback recorded in the state file, got %+v, %v", st, err)
	}
	fallback := c.st.DataDir
	if err := c.Remove(context.Background()); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	for _, p := range []string{fallback, dir} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("after Remove: want %s gone, got %v", p, err)
		}
	}
}

func TestRepoRootAndDefaults(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "notebooks", "deep")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := RepoRoot(sub)
	if err != nil || got != root {
		t.Fatalf("RepoRoot(%s) = %q, %v; want %q", sub, got, err, root)
	}
	t.Chdir(sub)
	if d, err := DefaultDir(); err != nil || d != filepath.Join(root, "data", "demodb") {
		t.Errorf("DefaultDir = %q, %v", d, err)
	}
	if f, err := DefaultEnvFile(); err != nil || f != filepath.Join(root, ".env") {
		t.Errorf("DefaultEnvFile = %q, %v", f, err)
	}
	if _, err := RepoRoot("/"); err == nil {
		t.Error("RepoRoot(/): want an error naming the missing go.mod")
	}
}
