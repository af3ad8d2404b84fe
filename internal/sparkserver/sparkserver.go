// Package sparkserver runs the project's local Apache Spark Connect server: the engine that
// helpers/spark uses when SPARK_REMOTE names no cluster.
//
// Spark comes from package registries only and is installed into the repository's .spark/ folder by
// scripts/spark-install.sh (make spark): Spark's jars, with the Spark Connect server, from the pyspark
// distribution on PyPI, and the PostgreSQL JDBC driver from Maven Central. Java 17+ comes from Debian.
// Nothing is downloaded when the server starts.
//
//	go run ./scripts/spark start     # make spark: starts it in the background, prints where
//	go run ./scripts/spark status
//	go run ./scripts/spark stop
//
// From Go:
//
//	srv, err := sparkserver.Start(ctx, sparkserver.Options{})  // or Find(dir) for a running one
//	remote, token := srv.Remote(), srv.Token()                 // sc://127.0.0.1:15002 and its bearer token
//
// # Safety
//
// The server listens on 127.0.0.1 only (Spark Connect's gRPC port, the Spark UI and the driver's own
// ports) and accepts only clients that present the random token written to <dir>/token (mode 0600):
// another user of the machine cannot run code in it. The token reaches the server through its
// environment (SPARK_CONNECT_AUTHENTICATE_TOKEN), never its command line or Spark's configuration, so
// the Spark UI does not show it.
//
// The server is started with Spark's redaction settings (see [RedactionConf]): option values whose key
// names a password, secret or token are masked in plans, and the text of every Spark Connect request is
// masked where it carries a password option, so a JDBC password sent by helpers/spark does not appear in
// the Spark UI, the server's log or an error.
//
// # Layout
//
// Dir (default <repository>/data/spark, git-ignored) holds server.json (pid, ports, start time), token,
// log/server.log, and the server's scratch folders (work/, tmp/, warehouse/).
package sparkserver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/replicalab/replicalab/internal/atomicfile"
	"github.com/replicalab/replicalab/internal/demodb"
	"github.com/replicalab/replicalab/internal/repo"
)

// DefaultPort is the gRPC port of `make spark`'s server: Spark Connect's usual port, below Linux's
// ephemeral port range.
const DefaultPort = 15002

// DefaultMemory is the driver's heap (in local mode the whole server's): enough for aggregations whose
// result is small, which is what the helpers bring back.
const DefaultMemory = "2g"

// Host is the only address the server listens on.
const Host = "127.0.0.1"

var (
	// ErrNotInstalled is returned when .spark/ holds no Spark: run make spark (or make spark-install).
	ErrNotInstalled = errors.New("spark is not installed")
	// ErrNotRunning is returned by Find when no server runs for the folder.
	ErrNotRunning = errors.New("no local Spark server is running")
	// ErrPortInUse is returned by Start when something else listens on the requested port.
	ErrPortInUse = errors.New("port in use")
)

// Install is a Spark installation made by scripts/spark-install.sh.
type Install struct {
	Home string // SPARK_HOME: bin/, jars/ (with the Spark Connect server and the JDBC driver), sbin/
}

// FindInstall returns the installation under <repo>/.spark, or an error wrapping ErrNotInstalled that
// says how to install it.
func FindInstall(repo string) (*Install, error) {
	home := filepath.Join(repo, ".spark", "home")
	if _, err := os.Stat(filepath.Join(home, "bin", "spark-submit")); err != nil {
		return nil, fmt.Errorf("%w in %s: run `make spark` (installs Spark from PyPI and the JDBC driver from Maven Central, then starts it) or set SPARK_REMOTE to a Spark Connect server",
			ErrNotInstalled, filepath.Join(repo, ".spark"))
	}
	return &Install{Home: home}, nil
}

// Jars lists the installation's jars whose name starts with prefix (e.g. "postgresql-").
func (in *Install) Jars(prefix string) []string {
	m, _ := filepath.Glob(filepath.Join(in.Home, "jars", prefix+"*.jar"))
	return m
}

// Options configure Start. The zero value starts `make spark`'s server: <repo>/data/spark, port 15002,
// no UI, every core, 2 GB.
type Options struct {
	// Dir holds the server's state, token, log and scratch folders; "" means <repo>/data/spark.
	Dir string
	// Repo is the repository whose .spark/ holds the installation; "" means the one around the working
	// folder (REPLICALAB_REPO when set).
	Repo string
	// Port is the Spark Connect port on 127.0.0.1; 0 means DefaultPort, -1 a free port.
	Port int
	// UI starts the Spark UI on a free loopback port (Server.UIPort).
	UI bool
	// Cores is the number of tasks run at once (local[N]); 0 means one per CPU.
	Cores int
	// Memory is the driver's heap, e.g. "2g"; "" means DefaultMemory.
	Memory string
	// StopWith, when non-zero, is a process id: a watchdog stops the server (and, with RemoveDir,
	// deletes Dir) as soon as that process has exited. Tests pass os.Getpid().
	StopWith  int
	RemoveDir bool
	// Wait, when false, returns as soon as the server process is launched; Find and WaitReady then tell
	// when it accepts clients. Start waits by default (see NoWait).
	NoWait bool
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// Server is a running (or starting) local Spark Connect server.
type Server struct {
	Dir       string    `json:"-"`
	PID       int       `json:"pid"`
	Port      int       `json:"port"`
	UIPort    int       `json:"ui_port,omitempty"`
	Cores     int       `json:"cores"`
	Memory    string    `json:"memory"`
	Home      string    `json:"spark_home"`
	StartedAt time.Time `json:"started_at"`
	token     string
}

// Remote is the server's Spark Connect address, without the token: sc://127.0.0.1:<port>.
func (s *Server) Remote() string { return fmt.Sprintf("sc://%s:%d", Host, s.Port) }

// Token is the bearer token the server expects from its clients.
func (s *Server) Token() string { return s.token }

// UI is the Spark UI's address, or "" when it is off.
func (s *Server) UI() string {
	if s.UIPort == 0 {
		return ""
	}
	return fmt.Sprintf("http://%s:%d", Host, s.UIPort)
}

// LogFile is the server's log (Spark's own log lines, stdout and stderr).
func (s *Server) LogFile() string { return filepath.Join(s.Dir, "log", "server.log") }

// String describes the server without its token.
func (s *Server) String() string {
	ui := "UI off"
	if s.UIPort != 0 {
		ui = "UI " + s.UI()
	}
	return fmt.Sprintf("Spark Connect %s (pid %d, local[%d], %s, %s; log %s)", s.Remote(), s.PID, s.Cores, s.Memory, ui, s.LogFile())
}

// GoString keeps %#v from printing the token.
func (s *Server) GoString() string { return s.String() }

// DefaultDir is <repository>/data/spark.
func DefaultDir(repo string) string { return filepath.Join(repo, "data", "spark") }

// Repo returns the repository root found by internal/repo from the working folder (REPLICALAB_REPO
// when set, else the folder with go.mod at or above it).
func Repo() (string, error) {
	return repo.Root("")
}

// RedactionConf are the Spark settings that keep a JDBC password out of what Spark shows and logs:
//
//   - spark.redaction.regex: option and configuration values whose key matches are masked (in plans,
//     the UI's environment page, event logs); Spark's default, stated so that it holds on any cluster;
//   - spark.sql.redaction.options.regex: also masks the JDBC URL (it may carry a password);
//   - spark.sql.redaction.string.regex: masks matching text in plan strings and in the text of Spark
//     Connect requests that the UI's Connect tab and the server's log show: a "password" option as
//     protobuf text prints it (key: "password" value: "..."), and password=... inside a URL.
//
// The last two are session settings: helpers/spark sets them on every session, so a remote cluster
// gets them too.
var RedactionConf = map[string]string{
	"spark.redaction.regex":             `(?i)secret|password|token|access[.]?key`,
	"spark.sql.redaction.options.regex": `(?i)url|password`,
	"spark.sql.redaction.string.regex":  StringRedactionRegex,
}

// StringRedactionRegex matches a password in Spark Connect request text (protobuf text format: key:
// "password" value: "..."), in URLs and option lists (password=...), and in Spark SQL OPTIONS written
// by hand (password 'x', as the request text escapes it too). helpers/spark never puts a password in
// SQL text; the last form is a safety net for SQL users write themselves.
const StringRedactionRegex = `(?i)(key:\s*"[^"]*(password|secret|token)[^"]*"\s*value:\s*"(?:[^"\\]|\\.)*")` +
	`|((password|secret|token)=[^&;\s"]*)` +
	`|((password|secret|token)\s*\\?'(?:[^'\\]|\\[^'])*\\?')`

// Start launches a local Spark Connect server in the background and, unless NoWait, waits until it
// accepts clients (a cold start takes 15-30 s). A server already running for the folder is returned as
// is. The server outlives the calling program: Stop ends it (or the watchdog, with StopWith).
func Start(ctx context.Context, o Options) (*Server, error) {
	repo := o.Repo
	if repo == "" {
		r, err := Repo()
		if err != nil {
			return nil, fmt.Errorf("sparkserver: %w", err)
		}
		repo = r
	}
	in, err := FindInstall(repo)
	if err != nil {
		return nil, fmt.Errorf("sparkserver: %w", err)
	}
	if len(in.Jars("postgresql-")) == 0 {
		return nil, fmt.Errorf("sparkserver: %w: no PostgreSQL JDBC driver in %s: run `make spark-install`", ErrNotInstalled, filepath.Join(in.Home, "jars"))
	}
	dir := o.Dir
	if dir == "" {
		dir = DefaultDir(repo)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, fmt.Errorf("sparkserver: %w", err)
	}
	for _, sub := range []string{"log", "work", "tmp", "conf"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("sparkserver: %w", err)
		}
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sparkserver: %w", err)
	}
	unlock, err := lock(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if s, err := find(dir); err == nil {
		if !o.NoWait {
			return s, WaitReady(ctx, s)
		}
		return s, nil
	}

	port := o.Port
	switch {
	case port == 0:
		port = DefaultPort
	case port < 0:
		ports, err := demodb.FreePorts(1)
		if err != nil {
			return nil, fmt.Errorf("sparkserver: %w", err)
		}
		port = ports[0]
	}
	if l, err := net.Listen("tcp", net.JoinHostPort(Host, strconv.Itoa(port))); err != nil {
		return nil, fmt.Errorf("sparkserver: %w: %s:%d is taken by another program; choose another port (--port, or SPARK_REMOTE for a server of your own)", ErrPortInUse, Host, port)
	} else {
		l.Close()
	}
	uiPort := 0
	if o.UI {
		ports, err := demodb.FreePorts(1)
		if err != nil {
			return nil, fmt.Errorf("sparkserver: %w", err)
		}
		uiPort = ports[0]
	}
	cores := o.Cores
	if cores <= 0 {
		cores = runtime.NumCPU()
	}
	mem := o.Memory
	if mem == "" {
		mem = DefaultMemory
	}
	token, err := newToken()
	if err != nil {
		return nil, fmt.Errorf("sparkserver: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(token+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("sparkserver: %w", err)
	}

	args := []string{
		"--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
		"--name", "replicalab Spark Connect",
		"--master", fmt.Sprintf("local[%d]", cores),
		"--driver-memory", mem,
		"--jars", strings.Join(in.Jars("postgresql-"), ","),
	}
	conf := map[string]string{
		"spark.connect.grpc.binding.address": Host,
		"spark.connect.grpc.binding.port":    strconv.Itoa(port),
		"spark.connect.grpc.port.maxRetries": "0",
		"spark.driver.bindAddress":           Host,
		"spark.driver.host":                  Host,
		"spark.ui.enabled":                   strconv.FormatBool(o.UI),
		"spark.ui.showConsoleProgress":       "false",
		"spark.sql.warehouse.dir":            filepath.Join(dir, "warehouse"),
		"spark.local.dir":                    filepath.Join(dir, "tmp"),
		"spark.eventLog.enabled":             "false",
		"spark.sql.session.timeZone":         "UTC",
		// A notebook's results are small: a few shuffle partitions per core, not Spark's 200.
		"spark.sql.shuffle.partitions":  strconv.Itoa(2 * cores),
		"spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
	}
	if o.UI {
		conf["spark.ui.port"] = strconv.Itoa(uiPort)
		conf["spark.port.maxRetries"] = "0"
	}
	for k, v := range RedactionConf {
		conf[k] = v
	}
	for _, k := range slices.Sorted(maps.Keys(conf)) {
		args = append(args, "--conf", k+"="+conf[k])
	}

	logPath := filepath.Join(dir, "log", "server.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sparkserver: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(filepath.Join(in.Home, "bin", "spark-submit"), args...)
	cmd.Dir = filepath.Join(dir, "work")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(filteredEnv(),
		"SPARK_HOME="+in.Home,
		"SPARK_CONF_DIR="+filepath.Join(dir, "conf"),
		"SPARK_LOCAL_IP="+Host,
		"SPARK_NO_DAEMONIZE=1",
		"SPARK_CONNECT_AUTHENTICATE_TOKEN="+token,
	)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	logLine(o.Log, "starting Spark Connect on %s:%d (local[%d], %s; log %s)", Host, port, cores, mem, logPath)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("sparkserver: starting %s: %w", cmd.Path, err)
	}
	s := &Server{Dir: dir, PID: cmd.Process.Pid, Port: port, UIPort: uiPort, Cores: cores, Memory: mem, Home: in.Home,
		StartedAt: time.Now().UTC(), token: token}
	go func() { _ = cmd.Wait() }() // reap it if it dies while this program runs
	if err := writeState(s); err != nil {
		_ = kill(s.PID)
		return nil, err
	}
	if o.StopWith != 0 {
		if err := watchdog(o.StopWith, s, o.RemoveDir); err != nil {
			_ = kill(s.PID)
			return nil, err
		}
	}
	if o.NoWait {
		return s, nil
	}
	start := time.Now()
	if err := WaitReady(ctx, s); err != nil {
		_ = kill(s.PID)
		return nil, err
	}
	logLine(o.Log, "Spark Connect ready on %s in %.1f s", s.Remote(), time.Since(start).Seconds())
	return s, nil
}

// WaitReady waits until s accepts connections on its port, or its process died (the error then quotes
// the end of its log), or ctx ends (six minutes at most: a cold start on a busy machine is slow).
func WaitReady(ctx context.Context, s *Server) error {
	ctx, cancel := context.WithTimeout(ctx, 6*time.Minute)
	defer cancel()
	for {
		if !alive(s.PID) {
			return fmt.Errorf("sparkserver: the Spark server (pid %d) exited while starting; the end of %s:\n%s", s.PID, s.LogFile(), tail(s.LogFile(), 15))
		}
		if s.Ready() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sparkserver: the Spark server (pid %d) did not open port %d in time (%w); the end of %s:\n%s", s.PID, s.Port, ctx.Err(), s.LogFile(), tail(s.LogFile(), 15))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Ready reports whether the server accepts connections on its port.
func (s *Server) Ready() bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort(Host, strconv.Itoa(s.Port)), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// Find returns the server recorded in dir if its process is still a running Spark Connect server
// (it may still be starting: see WaitReady), else an error wrapping ErrNotRunning.
func Find(dir string) (*Server, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return find(dir)
}

func find(dir string) (*Server, error) {
	data, err := os.ReadFile(filepath.Join(dir, "server.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", ErrNotRunning, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("sparkserver: %w", err)
	}
	s := &Server{Dir: dir}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("sparkserver: %s is damaged (%v): remove it and start again", filepath.Join(dir, "server.json"), err)
	}
	if !isSparkServer(s.PID) {
		return nil, fmt.Errorf("%w in %s (the server recorded there, pid %d, has exited)", ErrNotRunning, dir, s.PID)
	}
	tok, err := os.ReadFile(filepath.Join(dir, "token"))
	if err != nil {
		return nil, fmt.Errorf("sparkserver: reading the server's token: %w", err)
	}
	s.token = strings.TrimSpace(string(tok))
	return s, nil
}

// Stop ends the server (SIGTERM, then SIGKILL after 20 s) and forgets it.
func (s *Server) Stop(ctx context.Context) error {
	if isSparkServer(s.PID) {
		_ = syscall.Kill(s.PID, syscall.SIGTERM)
		deadline := time.Now().Add(20 * time.Second)
		for alive(s.PID) && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(100 * time.Millisecond)
		}
		if alive(s.PID) {
			_ = kill(s.PID)
		}
	}
	if err := os.Remove(filepath.Join(s.Dir, "server.json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sparkserver: %w", err)
	}
	return nil
}

func writeState(s *Server) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(s.Dir, "server.json"), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("sparkserver: %w", err)
	}
	return nil
}

// lock serializes starts for one folder across processes (two notebook cells starting Spark at once).
func lock(ctx context.Context, dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sparkserver: %w", err)
	}
	for {
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
			return func() { f.Close() }, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("sparkserver: waiting for another program starting Spark in %s: %w", dir, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// watchdog launches a detached shell that waits for process parent to exit, then stops the server and,
// with remove, deletes its folder.
func watchdog(parent int, s *Server, remove bool) error {
	script := `parent=$1; pid=$2; dir=$3; remove=$4
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
if tr '\0' ' ' < /proc/$pid/cmdline 2>/dev/null | grep -q SparkConnectServer; then
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null
fi
rm -f "$dir/server.json"
[ "$remove" = 1 ] && rm -rf "$dir"
exit 0`
	rm := "0"
	if remove {
		rm = "1"
	}
	cmd := exec.Command("/bin/sh", "-c", script, "sparkserver-watchdog", strconv.Itoa(parent), strconv.Itoa(s.PID), s.Dir, rm)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("sparkserver: starting the watchdog: %w", err)
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	// A zombie (exited, not yet reaped) is not alive.
	if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if i := bytes.LastIndexByte(st, ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
			return false
		}
	}
	return true
}

// isSparkServer reports whether pid is alive and is a Spark Connect server (not a reused pid).
func isSparkServer(pid int) bool {
	if !alive(pid) {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return runtime.GOOS != "linux" // no /proc: trust the pid
	}
	// While spark-submit's shell wrapper has not yet exec'd Java, the command line names spark-submit.
	return bytes.Contains(cmdline, []byte("SparkConnectServer"))
}

func kill(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

func newToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// filteredEnv is this process's environment without what would change how Spark starts or leak into it:
// another SPARK_HOME or configuration, and the project's database settings.
func filteredEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "SPARK_"), strings.HasPrefix(k, "PYSPARK_"), k == "HADOOP_CONF_DIR", k == "YARN_CONF_DIR",
			strings.HasPrefix(k, "RDS_"), strings.HasPrefix(k, "PG"), k == "DATABASE_URL":
			continue
		}
		env = append(env, kv)
	}
	return env
}

func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return "(no log)"
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return "  " + strings.Join(lines, "\n  ")
}

func logLine(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}
