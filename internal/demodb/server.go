package demodb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// server is one PostgreSQL instance of the cluster: the primary or a replica.
type server struct {
	Name    string // "primary", "replica", "replica2", ...
	Port    int
	DataDir string
}

func (s server) isPrimary() bool { return s.Name == "primary" }

func (s server) slot() string { return "replicalab_" + s.Name }

// configFile is included from postgresql.conf and rewritten at every start.
const configFile = "replicalab.conf"

// initialized reports whether initdb or pg_basebackup finished for s (we write configFile only then).
func (s server) initialized() bool {
	for _, f := range []string{"PG_VERSION", configFile} {
		if _, err := os.Stat(filepath.Join(s.DataDir, f)); err != nil {
			return false
		}
	}
	return true
}

// pid returns the postmaster's pid when s is running.
func (s server) pid() (int, bool) {
	data, err := os.ReadFile(filepath.Join(s.DataDir, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, processAlive(pid)
}

// processAlive reports whether pid is a live (not zombie) postgres process.
func processAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no /proc (macOS): trust kill(0)
	}
	// pid (comm) state ...
	s := string(stat)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open || closing+2 >= len(s) {
		return true
	}
	comm, st := s[open+1:closing], s[closing+2]
	return st != 'Z' && st != 'X' && strings.HasPrefix(comm, "postgres")
}

// pg runs one of the PostgreSQL programs as the server user and returns its output.
func (c *Cluster) pg(ctx context.Context, prog string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.st.BinDir, prog), args...)
	cmd.Dir = "/"
	cmd.Env = append(cleanEnv(), "HOME="+c.st.DataDir)
	if c.owner.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.owner.cred}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", prog, strings.Join(args, " "), err, lastLines(string(out), 8))
	}
	return string(out), nil
}

// cleanEnv is our environment without PG* variables, which would steer the PostgreSQL programs
// elsewhere, and without HOME (set per command).
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "HOME=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// portFree reports an error wrapping ErrPortInUse when something listens on port at 127.0.0.1.
func portFree(port int, what, flag string) error {
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("port %d on %s (for the %s) is not free: another program listens on it or recent connections still hold it (%w); choose another with %s",
			port, host, what, ErrPortInUse, flag)
	}
	return l.Close()
}

// FreePorts returns n distinct loopback ports that nothing listens on. It picks them below the
// kernel's ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range), so that outgoing
// connections cannot take them before a server binds them.
func FreePorts(n int) ([]int, error) {
	lo, hi := 20000, 32767
	if data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(data)); len(f) == 2 {
			if e, err := strconv.Atoi(f[0]); err == nil {
				hi = e - 1
			}
		}
	}
	var ports []int
	if hi-lo >= 1000 {
		seen := map[int]bool{}
		for tries := 0; len(ports) < n && tries < 200; tries++ {
			p := lo + rand.IntN(hi-lo+1)
			if seen[p] {
				continue
			}
			seen[p] = true
			if l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p))); err == nil {
				l.Close()
				ports = append(ports, p)
			}
		}
	}
	for len(ports) < n { // no room below the ephemeral range: let the kernel choose
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("finding a free port on %s: %w", host, err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !slices.Contains(ports, p) {
			ports = append(ports, p)
		}
	}
	return ports, nil
}

func quoteConf(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// writeConfig (re)writes the settings we own for s: configFile and pg_hba.conf.
func (c *Cluster) writeConfig(s server) error {
	lines := []string{
		"# Written by replicalab's demodb at every start: edits here are lost.",
		"# Use ALTER SYSTEM (postgresql.auto.conf) for settings of your own.",
		fmt.Sprintf("port = %d", s.Port),
		"listen_addresses = " + quoteConf(host),
		"unix_socket_directories = " + quoteConf(c.st.SocketDir),
		"unix_socket_permissions = 0700",
		"cluster_name = " + quoteConf("replicalab-"+s.Name),
		"wal_level = replica",
		"max_wal_senders = 10",
		"max_replication_slots = 10",
		"max_slot_wal_keep_size = '4GB'",
		"wal_keep_size = '128MB'",
		"max_wal_size = '2GB'",
		"hot_standby = on",
		"shared_preload_libraries = 'pg_stat_statements'",
		"track_io_timing = off",
		"password_encryption = 'scram-sha-256'",
		"max_connections = 50",
		"timezone = 'UTC'",
		"log_timezone = 'UTC'",
		"log_line_prefix = '%m [%p] %q%u@%d '",
	}
	if c.st.TLS {
		tlsDir := filepath.Join(c.st.DataDir, "tls")
		lines = append(lines,
			"ssl = on",
			"ssl_cert_file = "+quoteConf(filepath.Join(tlsDir, serverCertFile)),
			"ssl_key_file = "+quoteConf(filepath.Join(tlsDir, serverKeyFile)),
			"ssl_min_protocol_version = 'TLSv1.2'")
	} else {
		lines = append(lines, "ssl = off")
	}
	if err := c.writeOwned(filepath.Join(s.DataDir, configFile), strings.Join(lines, "\n")+"\n"); err != nil {
		return err
	}
	tcp := fmt.Sprintf("host     all          %-9s %s/32   scram-sha-256", User, host)
	if c.st.TLS {
		tcp = fmt.Sprintf("hostssl  all          %-9s %s/32   scram-sha-256\nhostnossl all         all       %s/32   reject", User, host, host)
	}
	hba := strings.Join([]string{
		"# Written by replicalab's demodb at every start: edits here are lost.",
		"# TYPE   DATABASE     USER      ADDRESS          METHOD",
		"# The superuser and replication: only through the private unix-socket folder (mode 0700).",
		"local    all          all                        trust",
		"local    replication  all                        trust",
		"# The read-only demo login, over TCP on loopback only, with its password (SCRAM).",
		tcp,
	}, "\n") + "\n"
	return c.writeOwned(filepath.Join(s.DataDir, "pg_hba.conf"), hba)
}

// writeOwned writes a file (0600) that the server user owns.
func (c *Cluster) writeOwned(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	return c.owner.chown(path)
}

func (c *Cluster) logFile(s server) string { return filepath.Join(c.st.DataDir, "log", s.Name+".log") }

// initPrimary runs initdb and hooks configFile into postgresql.conf.
func (c *Cluster) initPrimary(ctx context.Context, s server) error {
	if err := c.freshDataDir(s); err != nil {
		return err
	}
	c.logf("initdb: creating the primary in %s", s.DataDir)
	args := []string{"-D", s.DataDir, "-U", superuser, "--auth=trust", "-E", "UTF8"}
	if _, err := c.pg(ctx, "initdb", append(args, "--locale=C.UTF-8")...); err != nil {
		// Systems without the C.UTF-8 locale: plain C still stores UTF-8.
		if err2 := c.freshDataDir(s); err2 != nil {
			return err2
		}
		if _, err2 := c.pg(ctx, "initdb", append(args, "--locale=C")...); err2 != nil {
			return fmt.Errorf("initdb for the primary: %w", err)
		}
	}
	f, err := os.OpenFile(filepath.Join(s.DataDir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("hooking %s into postgresql.conf: %w", configFile, err)
	}
	_, err = fmt.Fprintf(f, "\n# replicalab: ports, sockets, replication and TLS settings, rewritten at every start.\ninclude_if_exists = '%s'\n", configFile)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("hooking %s into postgresql.conf: %w", configFile, err)
	}
	return c.writeConfig(s)
}

// freshDataDir empties s.DataDir (a half-made one from an interrupted run) and gives it to the server user.
func (c *Cluster) freshDataDir(s server) error {
	if err := os.RemoveAll(s.DataDir); err != nil {
		return fmt.Errorf("clearing %q: %w", s.DataDir, err)
	}
	return c.owner.mkdirOwned(s.DataDir, 0o700)
}

// cloneReplica makes s a streaming hot standby of the primary with pg_basebackup -R -X stream and
// a replication slot of its own.
func (c *Cluster) cloneReplica(ctx context.Context, s server) error {
	primary := c.servers()[0]
	if err := c.dropSlot(ctx, primary, s.slot()); err != nil {
		return err
	}
	if err := c.freshDataDir(s); err != nil {
		return err
	}
	c.logf("pg_basebackup: cloning the primary into %s (streaming, slot %s)", s.Name, s.slot())
	conn := fmt.Sprintf("host=%s port=%d user=%s application_name=%s", quoteConninfo(c.st.SocketDir), primary.Port, superuser, s.Name)
	if _, err := c.pg(ctx, "pg_basebackup", "-D", s.DataDir, "-d", conn, "-R", "-X", "stream", "-c", "fast", "-C", "-S", s.slot()); err != nil {
		return fmt.Errorf("cloning the %s: %w", s.Name, err)
	}
	return c.writeConfig(s)
}

func quoteConninfo(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

func (c *Cluster) dropSlot(ctx context.Context, primary server, slot string) error {
	conn, err := c.superConn(ctx, primary, "postgres")
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", slot)
	if err != nil {
		return fmt.Errorf("dropping the stale replication slot %q: %w", slot, err)
	}
	return nil
}

// startServer starts s with pg_ctl and waits until it accepts connections.
func (c *Cluster) startServer(ctx context.Context, s server) error {
	role := "read-write primary"
	if !s.isPrimary() {
		role = "read-only hot standby"
	}
	c.logf("starting %s on %s:%d (%s)", s.Name, host, s.Port, role)
	if _, err := c.pg(ctx, "pg_ctl", "-D", s.DataDir, "-l", c.logFile(s), "-w", "-t", "600", "start"); err != nil {
		return fmt.Errorf("starting the %s (log: %s): %w", s.Name, c.logFile(s), err)
	}
	return nil
}

// stopServer stops s (fast mode) and waits until its postmaster is gone. Stopping a stopped server
// does nothing.
func (c *Cluster) stopServer(ctx context.Context, s server) error {
	pid, ok := s.pid()
	if !ok {
		return nil
	}
	c.logf("stopping %s (pid %d)", s.Name, pid)
	_, err := c.pg(ctx, "pg_ctl", "-D", s.DataDir, "-m", "fast", "-w", "-t", "120", "stop")
	if err == nil && !processAlive(pid) {
		return nil
	}
	// pg_ctl missing or failing: SIGINT is a fast shutdown, SIGQUIT an immediate one.
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGQUIT} {
		_ = syscall.Kill(pid, sig)
		deadline := time.Now().Add(30 * time.Second)
		for processAlive(pid) && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
		}
		if !processAlive(pid) {
			return nil
		}
	}
	if err == nil {
		err = ctx.Err()
	}
	return fmt.Errorf("stopping the %s (pid %d): expected it to exit, found it still running: %w", s.Name, pid, err)
}

// superConn connects as the superuser through the private socket. Our own queries are kept out of
// pg_stat_statements.
func (c *Cluster) superConn(ctx context.Context, s server, database string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		return nil, err
	}
	cfg.Host = c.st.SocketDir
	cfg.Port = uint16(s.Port)
	cfg.User = superuser
	cfg.Password = ""
	cfg.Database = database
	cfg.TLSConfig = nil
	cfg.Fallbacks = nil
	cfg.ConnectTimeout = 10 * time.Second
	cfg.RuntimeParams = map[string]string{
		"application_name":         "replicalab-demodb",
		"pg_stat_statements.track": "none",
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to the %s as %s through %s: %w", s.Name, superuser, c.st.SocketDir, err)
	}
	return conn, nil
}
