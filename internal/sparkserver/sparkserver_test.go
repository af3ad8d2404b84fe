package sparkserver_test

import (
	"bufio"
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

	"github.com/apache/spark-connect-go/spark/sql"
	"github.com/replicalab/replicalab/internal/sparkserver"
	"github.com/replicalab/replicalab/internal/sparktest"
)

func TestMain(m *testing.M) { sparktest.Main(m) }

func TestFindInstallSaysHowToInstall(t *testing.T) {
	_, err := sparkserver.FindInstall(t.TempDir())
	if !errors.Is(err, sparkserver.ErrNotInstalled) || !strings.Contains(err.Error(), "make spark") {
		t.Errorf("expected ErrNotInstalled saying to run make spark, found %v", err)
	}
}

func TestFindSaysNothingRunsInAnEmptyFolder(t *testing.T) {
	if _, err := sparkserver.Find(t.TempDir()); !errors.Is(err, sparkserver.ErrNotRunning) {
		t.Errorf("expected ErrNotRunning, found %v", err)
	}
	// A record whose process is gone (or is another program) is not a running server.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "server.json"), []byte(fmt.Sprintf(`{"pid": %d, "port": 1}`, os.Getpid())), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sparkserver.Find(dir); !errors.Is(err, sparkserver.ErrNotRunning) {
		t.Errorf("a record naming another program: expected ErrNotRunning, found %v", err)
	}
}

func TestStartRefusesATakenPort(t *testing.T) {
	repo, err := sparkserver.Repo()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sparkserver.FindInstall(repo); err != nil {
		t.Skip(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = sparkserver.Start(context.Background(), sparkserver.Options{Dir: t.TempDir(), Port: port})
	if !errors.Is(err, sparkserver.ErrPortInUse) || !strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Errorf("expected ErrPortInUse naming port %d, found %v", port, err)
	}
}

// listening returns the addresses the process pid listens on (TCP, from /proc).
func listening(t *testing.T, pid int) []string {
	t.Helper()
	inodes := map[string]bool{}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, fd := range fds {
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	var out []string
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Scan()
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) > 9 && fields[3] == "0A" && inodes[fields[9]] { // 0A: LISTEN
				out = append(out, fields[1])
			}
		}
	}
	return out
}

func TestTheServerListensOnLoopbackOnlyAndWantsItsToken(t *testing.T) {
	srv := sparktest.Shared(t)
	addrs := listening(t, srv.PID)
	if len(addrs) == 0 {
		t.Fatalf("the server (pid %d) listens on nothing", srv.PID)
	}
	for _, a := range addrs {
		host := strings.Split(a, ":")[0]
		// 0100007F is 127.0.0.1; in tcp6, ::ffff:127.0.0.1 is 0000000000000000FFFF00000100007F.
		if host != "0100007F" && host != "0000000000000000FFFF00000100007F" {
			t.Errorf("the server listens on %s, not on loopback", a)
		}
	}
	ctx := context.Background()
	// (A wrong token is tried by helpers/spark's tests: this client sends tokens over TLS only.)
	for _, remote := range []string{srv.Remote()} {
		sess, err := sql.NewSessionBuilder().Remote(remote).Build(ctx)
		if err == nil {
			_, err = sess.Sql(ctx, "SELECT 1")
		}
		if err == nil || !strings.Contains(err.Error(), "authentication token") {
			t.Errorf("%s: expected the server to refuse the client, found %v", strings.ReplaceAll(remote, srv.Token(), "<token>"), err)
		}
	}
	log, err := os.ReadFile(srv.LogFile())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(log), srv.Token()) {
		t.Error("the server's log shows its token")
	}
	if s := fmt.Sprintf("%v %+v %#v", srv, srv, srv); strings.Contains(s, srv.Token()) {
		t.Error("printing the server shows its token")
	}
	if fi, err := os.Stat(filepath.Join(srv.Dir, "token")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the token file must be private (0600): %v %v", fi.Mode(), err)
	}
}

func TestRunUsage(t *testing.T) {
	var out, errs bytes.Buffer
	if code := sparkserver.Run(context.Background(), []string{"launch"}, &out, &errs); code != 2 || !strings.Contains(errs.String(), `unknown command "launch"`) {
		t.Errorf("an unknown command: code %d, %q", code, errs.String())
	}
	errs.Reset()
	dir := t.TempDir()
	if code := sparkserver.Run(context.Background(), []string{"status", "--dir", dir}, &out, &errs); code != 3 || !strings.Contains(out.String(), "not running") {
		t.Errorf("status of nothing: code %d, %q %q", code, out.String(), errs.String())
	}
	out.Reset()
	if code := sparkserver.Run(context.Background(), []string{"stop", "--dir", dir}, &out, &errs); code != 0 || !strings.Contains(out.String(), "not running") {
		t.Errorf("stop of nothing: code %d, %q", code, out.String())
	}
}
