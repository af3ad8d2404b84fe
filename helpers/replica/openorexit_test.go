package replica

import (
	"context"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestOpenOrExitPrintsTheReasonAndExits(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now
	const pw = "exit-" + "Test-Passw0rd"
	for k, v := range map[string]string{"RDS_HOSTNAME": "127.0.0.1", "RDS_PORT": strconv.Itoa(port),
		"RDS_DB_NAME": "app", "RDS_USERNAME": "analyst", "RDS_PASSWORD": pw, "DATABASE_URL": ""} {
		t.Setenv(k, v)
	}
	t.Chdir(t.TempDir()) // no .env above

	code := -1
	exit = func(c int) { code = c; panic("exited") }
	defer func() { exit = os.Exit }()
	r, w, _ := os.Pipe()
	stderr := os.Stderr
	os.Stderr = w
	func() {
		defer func() { _ = recover() }()
		OpenOrExit(context.Background())
	}()
	os.Stderr = stderr
	w.Close()
	out, _ := io.ReadAll(r)
	if code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	if !strings.Contains(string(out), "RDS_PORT") || strings.Contains(string(out), pw) {
		t.Errorf("printed %q: want the variable to fix and no password", out)
	}
}
