package demodb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/replicalab/replicalab/internal/numfmt"
)

// Cluster is a local PostgreSQL primary with one or more streaming hot-standby replicas, on loopback,
// holding the demo marketplace database. Its methods are safe for concurrent use.
type Cluster struct {
	mu       sync.Mutex
	dir      string
	opts     Options
	log      io.Writer
	owner    *osUser
	st       *state
	saved    bool // st is on disk
	password string
	seedTook time.Duration // how long the last seeding took (benchmarks)
}

// New prepares a Cluster for opts.Dir without touching anything: an existing cluster's recorded ports,
// scale and TLS are read from its state file. Explicit ports that differ from the recorded ones are an
// error (change ports with Reset).
func New(opts Options) (*Cluster, error) {
	dir := opts.Dir
	if dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("demo database folder %q: %w", opts.Dir, err)
	}
	owner, err := serverUser()
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, opts: opts, log: opts.Log, owner: owner}
	if c.log == nil {
		c.log = io.Discard
	}
	st, err := loadState(dir)
	if err != nil {
		return nil, err
	}
	if st != nil {
		c.st, c.saved = st, true
		// Ports are fixed once a server exists (the replica streams from the primary's port).
		created := c.servers()[0].initialized() || c.servers()[1].initialized()
		if opts.PrimaryPort != 0 && opts.PrimaryPort != st.PrimaryPort {
			if created {
				return nil, fmt.Errorf("the demo database in %q uses primary port %d, found a request for %d: omit --primary-port, or reset to change it",
					dir, st.PrimaryPort, opts.PrimaryPort)
			}
			st.PrimaryPort = opts.PrimaryPort
		}
		if opts.ReplicaPort != 0 && opts.ReplicaPort != st.Replicas[0].Port {
			if created {
				return nil, fmt.Errorf("the demo database in %q uses replica port %d, found a request for %d: omit --replica-port, or reset to change it",
					dir, st.Replicas[0].Port, opts.ReplicaPort)
			}
			st.Replicas[0].Port = opts.ReplicaPort
		}
		if st.PrimaryPort == st.Replicas[0].Port {
			return nil, fmt.Errorf("primary and replica ports: expected two different ports, found %d twice", st.PrimaryPort)
		}
		if data, err := os.ReadFile(filepath.Join(st.DataDir, passwordFile)); err == nil {
			c.password = strings.TrimSpace(string(data))
		}
		return c, nil
	}
	c.st = c.freshState()
	if c.st.PrimaryPort == c.st.Replicas[0].Port {
		return nil, fmt.Errorf("primary and replica ports: expected two different ports, found %d twice", c.st.PrimaryPort)
	}
	return c, nil
}

func (c *Cluster) freshState() *state {
	pp, rp := c.opts.PrimaryPort, c.opts.ReplicaPort
	if pp == 0 {
		pp = DefaultPrimaryPort
	}
	if rp == 0 {
		rp = DefaultReplicaPort
	}
	return &state{DataDir: c.dir, PrimaryPort: pp, Replicas: []replicaState{{Name: "replica", Port: rp}}, TLS: c.opts.TLS}
}

func (c *Cluster) logf(format string, args ...any) { fmt.Fprintf(c.log, format+"\n", args...) }

func (c *Cluster) servers() []server {
	out := []server{{Name: "primary", Port: c.st.PrimaryPort, DataDir: filepath.Join(c.st.DataDir, "primary")}}
	for _, r := range c.st.Replicas {
		out = append(out, server{Name: r.Name, Port: r.Port, DataDir: filepath.Join(c.st.DataDir, r.Name)})
	}
	return out
}

// lock takes an exclusive lock on the folder so that two demodb commands do not work on it at once.
func (c *Cluster) lock() (unlock func(), err error) {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %q: %w", c.dir, err)
	}
	f, err := os.OpenFile(filepath.Join(c.dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking %q: %w", c.dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another demodb command is working on %q (start, stop or reset): wait for it to finish", c.dir)
	}
	return func() { f.Close() }, nil
}

// Start brings the cluster up: on first use it runs initdb, creates the read-only role and the
// database, clones the replica with pg_basebackup, seeds the primary and runs ANALYZE; then it waits
// until every replica has replayed the primary's WAL and writes Options.EnvFile. Starting a running
// cluster only says so (and rewrites the env file). When Start fails it stops the servers it started.
func (c *Cluster) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	return c.start(ctx)
}

func (c *Cluster) start(ctx context.Context) (err error) {
	began := time.Now()
	if c.opts.EnvFile != "" {
		if err := checkEnvFile(c.opts.EnvFile); err != nil {
			return err
		}
	}
	scale := c.opts.Scale
	if c.st.Seeded && scale != 0 && scale != c.st.Scale {
		return fmt.Errorf("the demo database in %q holds scale %s, found a request for scale %s: to re-seed run `reset --scale %s`",
			c.dir, ScaleName(c.st.Scale), ScaleName(scale), ScaleName(scale))
	}
	if scale == 0 {
		scale = c.st.Scale
	}
	if scale == 0 {
		scale = ScaleSmall
	}
	if c.saved && c.opts.TLS && !c.st.TLS {
		return fmt.Errorf("the demo database in %q was created without TLS: to turn it on run `reset --tls`", c.dir)
	}
	servers := c.servers()
	running := map[string]int{}
	for _, s := range servers {
		if pid, ok := s.pid(); ok {
			running[s.Name] = pid
		}
	}
	if len(running) == len(servers) && c.st.Seeded {
		c.logf("already running in %s:", c.dir)
		for _, s := range servers {
			c.logf("  %-8s %s:%d  pid %d", s.Name, host, s.Port, running[s.Name])
		}
		if err := c.waitReplayed(ctx); err != nil {
			return err
		}
		return c.writeEnv()
	}
	for _, s := range servers {
		if _, ok := running[s.Name]; ok {
			continue
		}
		what, flag := "replica", "--replica-port N"
		if s.isPrimary() {
			what, flag = "primary", "--primary-port N"
		} else if s.Name != "replica" {
			what, flag = s.Name, "reset"
		}
		if err := portFree(s.Port, what, flag); err != nil {
			return err
		}
	}
	bin, err := FindBinaries(ctx, c.log)
	if err != nil {
		return err
	}
	c.st.BinDir = bin
	if err := c.prepareDirs(); err != nil {
		return err
	}
	if c.password, err = loadOrCreatePassword(filepath.Join(c.st.DataDir, passwordFile)); err != nil {
		return err
	}
	servers = c.servers() // the data folder may have moved to a fallback

	var started []server
	defer func() {
		if err == nil || len(started) == 0 {
			return
		}
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		for i := len(started) - 1; i >= 0; i-- {
			_ = c.stopServer(stopCtx, started[i])
		}
		c.logf("start failed: stopped the servers it had started")
	}()

	primary := servers[0]
	if _, ok := running[primary.Name]; ok {
		c.logf("primary already running (pid %d)", running[primary.Name])
	} else {
		if !primary.initialized() {
			if err := c.initPrimary(ctx, primary); err != nil {
				return err
			}
		}
		if err := c.ensureTLS(); err != nil {
			return err
		}
		if err := c.writeConfig(primary); err != nil {
			return err
		}
		started = append(started, primary)
		if err := c.startServer(ctx, primary); err != nil {
			return err
		}
	}
	if !c.st.Seeded {
		if err := c.bootstrap(ctx, primary); err != nil {
			return err
		}
	}
	for _, r := range servers[1:] {
		if _, ok := running[r.Name]; ok {
			c.logf("%s already running (pid %d)", r.Name, running[r.Name])
			continue
		}
		if !r.initialized() {
			if err := c.cloneReplica(ctx, r); err != nil {
				return err
			}
		}
		if err := c.writeConfig(r); err != nil {
			return err
		}
		started = append(started, r)
		if err := c.startServer(ctx, r); err != nil {
			return err
		}
	}
	if !c.st.Seeded {
		rows, err := c.seedPrimary(ctx, primary, scale)
		if err != nil {
			return err
		}
		c.st.Seeded, c.st.Scale, c.st.SeedRows = true, scale, rows
		if err := saveState(c.dir, c.st); err != nil {
			return err
		}
	}
	t := time.Now()
	if err := c.waitReplayed(ctx); err != nil {
		return err
	}
	c.logf("replica caught up (%.1fs)", time.Since(t).Seconds())
	if err := c.writeEnv(); err != nil {
		return err
	}
	c.summary(time.Since(began))
	return nil
}

// prepareDirs decides where the servers' data lives (falling back to a folder the server user can
// reach), creates the folders we need and records the state.
func (c *Cluster) prepareDirs() error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("creating %q: %w", c.dir, err)
	}
	if !c.saved {
		data := c.dir
		probe := filepath.Join(data, "log")
		if err := c.owner.mkdirOwned(probe, 0o700); err != nil {
			return err
		}
		if !c.owner.canUse(probe) {
			_ = os.Remove(probe)
			base := "/var/tmp"
			if fi, err := os.Stat(base); err != nil || !fi.IsDir() {
				base = os.TempDir()
			}
			data = filepath.Join(base, "replicalab-"+shortHash(c.dir))
			if err := os.MkdirAll(data, 0o755); err != nil {
				return fmt.Errorf("creating %q: %w", data, err)
			}
			if err := os.Chmod(data, 0o755); err != nil {
				return err
			}
			if err := c.owner.mkdirOwned(filepath.Join(data, "log"), 0o700); err != nil {
				return err
			}
			if !c.owner.canUse(filepath.Join(data, "log")) {
				return fmt.Errorf("the %s user can reach neither %q nor %q: give it access (chmod o+x on the parents) or pass --dir", c.owner.name, c.dir, data)
			}
			c.logf("note: the %s user cannot reach %s, so the servers' data lives in %s (recorded in %s)",
				c.owner.name, c.dir, data, filepath.Join(c.dir, stateFile))
		}
		c.st.DataDir = data
		c.st.SocketDir = filepath.Join(data, "run")
		// A unix socket path must fit in 107 bytes.
		if len(c.st.SocketDir)+len("/.s.PGSQL.65535.lock") > 100 {
			c.st.SocketDir = filepath.Join("/tmp", "replicalab-"+shortHash(data))
		}
	}
	for _, d := range []string{filepath.Join(c.st.DataDir, "log"), c.st.SocketDir} {
		if err := c.owner.mkdirOwned(d, 0o700); err != nil {
			return err
		}
	}
	if err := saveState(c.dir, c.st); err != nil {
		return err
	}
	c.saved = true
	return nil
}

func (c *Cluster) ensureTLS() error {
	if !c.st.TLS {
		return nil
	}
	dir := filepath.Join(c.st.DataDir, "tls")
	if _, err := os.Stat(filepath.Join(dir, serverKeyFile)); err == nil {
		return nil
	}
	if err := c.owner.mkdirOwned(dir, 0o755); err != nil {
		return err
	}
	c.logf("tls: generating a CA and a server certificate for 127.0.0.1 and localhost")
	return writeTLS(dir, c.owner)
}

func (c *Cluster) writeEnv() error {
	if c.opts.EnvFile == "" {
		return nil
	}
	var env [][2]string
	for _, k := range envKeys {
		if v, ok := c.env()[k]; ok {
			env = append(env, [2]string{k, v})
		}
	}
	if err := writeEnvFile(c.opts.EnvFile, env); err != nil {
		return err
	}
	c.logf("wrote %s (the replica only, mode 0600)", c.opts.EnvFile)
	return nil
}

func (c *Cluster) summary(took time.Duration) {
	c.logf("demo database ready in %.1fs (scale %s, %s rows seeded):", took.Seconds(), ScaleName(c.st.Scale), numfmt.Int(c.st.SeedRows))
	for _, s := range c.servers() {
		pid, _ := s.pid()
		note := "read-only hot standby: notebooks connect here"
		if s.isPrimary() {
			note = "takes the writes; never in the env file"
		}
		c.logf("  %-8s %s:%d  pid %-7d %s", s.Name, host, s.Port, pid, note)
	}
	c.logf("  login    %s (read-only role); its password is in the env file", User)
	c.logf("  data     %s", c.st.DataDir)
	c.logf("stop with: go run ./scripts/demodb stop")
}

// Stop stops the replicas, then the primary (fast shutdown), and waits until none is running.
// Stopping a stopped cluster does nothing.
func (c *Cluster) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.saved {
		return nil
	}
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	return c.stop(ctx)
}

func (c *Cluster) stop(ctx context.Context) error {
	servers := c.servers()
	var errs []error
	for i := len(servers) - 1; i >= 0; i-- {
		if err := c.stopServer(ctx, servers[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Reset stops the cluster, deletes its data and starts it again, re-seeded at Options.Scale (or the
// scale it had). Ports and TLS are kept unless Options ask for others.
func (c *Cluster) Reset(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if c.opts.EnvFile != "" {
		if err := checkEnvFile(c.opts.EnvFile); err != nil {
			return err // before deleting anything
		}
	}
	old := c.st
	if c.saved {
		if err := c.stop(ctx); err != nil {
			return err
		}
		c.logf("reset: deleting the demo data in %s", old.DataDir)
		if err := c.removeData(); err != nil {
			return err
		}
	}
	c.st, c.saved, c.password = c.freshState(), false, ""
	if c.opts.PrimaryPort == 0 {
		c.st.PrimaryPort = old.PrimaryPort
	}
	if c.opts.ReplicaPort == 0 {
		c.st.Replicas[0].Port = old.Replicas[0].Port
	}
	c.st.TLS = c.opts.TLS || old.TLS
	if c.opts.Scale == 0 {
		c.st.Scale = old.Scale
	}
	return c.start(ctx)
}

// Remove stops the cluster and deletes its data, including a fallback data folder outside Dir, and
// the state file. Dir itself goes too when nothing else is left in it.
func (c *Cluster) Remove(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.saved {
		return nil
	}
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	if err := c.stop(ctx); err != nil {
		unlock()
		return err
	}
	err = c.removeData()
	unlock()
	if err != nil {
		return err
	}
	c.saved, c.password = false, ""
	c.st = c.freshState()
	_ = os.Remove(filepath.Join(c.dir, ".lock"))
	_ = os.Remove(c.dir) // only when empty
	return nil
}

// removeData deletes what demodb created (and nothing else) in the data folder and the state file.
func (c *Cluster) removeData() error {
	names := []string{"primary", "log", "run", "tls", passwordFile}
	for _, r := range c.st.Replicas {
		names = append(names, r.Name)
	}
	for _, n := range names {
		if err := os.RemoveAll(filepath.Join(c.st.DataDir, n)); err != nil {
			return fmt.Errorf("reset: deleting %q: %w", filepath.Join(c.st.DataDir, n), err)
		}
	}
	if c.st.SocketDir != filepath.Join(c.st.DataDir, "run") {
		_ = os.RemoveAll(c.st.SocketDir)
	}
	if c.st.DataDir != c.dir {
		_ = os.Remove(c.st.DataDir) // only when empty
	}
	if err := os.Remove(filepath.Join(c.dir, stateFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reset: deleting the state file: %w", err)
	}
	return nil
}

// AddReplica clones one more streaming replica from the running primary, starts it on a free port and
// returns that port.
func (c *Cluster) AddReplica(ctx context.Context) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.saved {
		return 0, errors.New("adding a replica: expected a started cluster, found none (call Start first)")
	}
	unlock, err := c.lock()
	if err != nil {
		return 0, err
	}
	defer unlock()
	if _, ok := c.servers()[0].pid(); !ok {
		return 0, errors.New("adding a replica: expected the primary to be running, found it stopped")
	}
	ports, err := FreePorts(1)
	if err != nil {
		return 0, err
	}
	port := ports[0]
	name := "replica" + strconv.Itoa(len(c.st.Replicas)+1)
	r := server{Name: name, Port: port, DataDir: filepath.Join(c.st.DataDir, name)}
	if err := c.cloneReplica(ctx, r); err != nil {
		return 0, err
	}
	if err := c.startServer(ctx, r); err != nil {
		_ = c.stopServer(context.WithoutCancel(ctx), r)
		return 0, err
	}
	c.st.Replicas = append(c.st.Replicas, replicaState{Name: name, Port: port})
	if err := saveState(c.dir, c.st); err != nil {
		return 0, err
	}
	return port, nil
}

// StopReplica stops the first replica (fast shutdown); the primary keeps its WAL for it in a slot.
func (c *Cluster) StopReplica(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.saved {
		return nil
	}
	return c.stopServer(ctx, c.servers()[1])
}

// StartReplica starts the first replica again; it catches up from its replication slot.
func (c *Cluster) StartReplica(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.saved {
		return errors.New("starting the replica: expected a started cluster, found none (call Start first)")
	}
	r := c.servers()[1]
	if _, ok := r.pid(); ok {
		return nil
	}
	if err := portFree(r.Port, "replica", "--replica-port N"); err != nil {
		return err
	}
	if err := c.writeConfig(r); err != nil {
		return err
	}
	return c.startServer(ctx, r)
}

// Dir is the folder holding the state file (and usually the data).
func (c *Cluster) Dir() string { return c.dir }

// DataDir is where the servers' folders live: Dir, or a fallback the server user can reach.
func (c *Cluster) DataDir() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.DataDir
}

// PrimaryPort is the primary's TCP port on 127.0.0.1.
func (c *Cluster) PrimaryPort() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.PrimaryPort
}

// ReplicaPorts are the replicas' TCP ports on 127.0.0.1, the first replica first.
func (c *Cluster) ReplicaPorts() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ports []int
	for _, r := range c.st.Replicas {
		ports = append(ports, r.Port)
	}
	return ports
}

// Scale is the scale the cluster was seeded at (0 before it was).
func (c *Cluster) Scale() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.Scale
}

// Password is the read-only role's password ("" before the first Start).
func (c *Cluster) Password() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.password
}

// CAFile is the CA certificate that signed the servers' certificate, or "" without TLS.
func (c *Cluster) CAFile() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.caFile()
}

func (c *Cluster) caFile() string {
	if !c.st.TLS {
		return ""
	}
	return filepath.Join(c.st.DataDir, "tls", caCertFile)
}

// String describes the cluster without its password.
func (c *Cluster) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ports []string
	for _, r := range c.st.Replicas {
		ports = append(ports, strconv.Itoa(r.Port))
	}
	return fmt.Sprintf("demodb cluster in %s (primary %s:%d, replicas %s, user %s, password redacted)",
		c.dir, host, c.st.PrimaryPort, strings.Join(ports, ","), User)
}

// GoString keeps %#v from printing the password.
func (c *Cluster) GoString() string { return c.String() }

func (c *Cluster) loginURL(port int) string {
	q := url.Values{}
	if c.st.TLS {
		q.Set("sslmode", "verify-full")
		q.Set("sslrootcert", c.caFile())
	} else {
		q.Set("sslmode", "disable")
	}
	u := url.URL{Scheme: "postgres", User: url.UserPassword(User, c.password), Host: host + ":" + strconv.Itoa(port), Path: "/" + Database, RawQuery: q.Encode()}
	return u.String()
}

func (c *Cluster) socketURL(port int) string {
	q := url.Values{"host": {c.st.SocketDir}, "port": {strconv.Itoa(port)}, "sslmode": {"disable"}}
	u := url.URL{Scheme: "postgres", User: url.User(superuser), Path: "/" + Database, RawQuery: q.Encode()}
	return u.String()
}

// ReplicaURL connects the read-only role to the first replica over TCP (sslmode=verify-full with the
// CA under TLS, else sslmode=disable). It holds the password: do not print it.
func (c *Cluster) ReplicaURL() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loginURL(c.st.Replicas[0].Port)
}

// PrimaryLoginURL is ReplicaURL pointed at the primary, for testing that tools refuse a primary.
func (c *Cluster) PrimaryLoginURL() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loginURL(c.st.PrimaryPort)
}

// SuperuserURL connects as the superuser to the primary through the private unix socket. It works
// only for the servers' OS user and root; use it for test set-up and assertions.
func (c *Cluster) SuperuserURL() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.socketURL(c.st.PrimaryPort)
}

// ReplicaSuperuserURL connects as the superuser to the first replica through its unix socket (to read
// pg_stat_statements or pg_stat_activity there).
func (c *Cluster) ReplicaSuperuserURL() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.socketURL(c.st.Replicas[0].Port)
}

// SuperuserURLAt connects as the superuser to the server (primary or replica) listening on port, through
// its unix socket: for counting what each replica of a multi-replica cluster saw.
func (c *Cluster) SuperuserURLAt(port int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.socketURL(port)
}

// LoginURLAt is ReplicaURL pointed at the server listening on port (another replica, or the primary).
// It holds the password: do not print it.
func (c *Cluster) LoginURLAt(port int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loginURL(port)
}

// envKeys are written to the env file in this order.
var envKeys = []string{"RDS_HOSTNAME", "RDS_PORT", "RDS_DB_NAME", "RDS_USERNAME", "RDS_PASSWORD", "RDS_SSLMODE", "RDS_SSLROOTCERT"}

// Env returns the settings of the first replica as the project's configuration reads them:
// RDS_HOSTNAME, RDS_PORT, RDS_DB_NAME, RDS_USERNAME, RDS_PASSWORD, plus RDS_SSLMODE=verify-full and
// RDS_SSLROOTCERT under TLS.
func (c *Cluster) Env() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.env()
}

func (c *Cluster) env() map[string]string {
	env := map[string]string{
		"RDS_HOSTNAME": host,
		"RDS_PORT":     strconv.Itoa(c.st.Replicas[0].Port),
		"RDS_DB_NAME":  Database,
		"RDS_USERNAME": User,
		"RDS_PASSWORD": c.password,
	}
	if c.st.TLS {
		env["RDS_SSLMODE"] = "verify-full"
		env["RDS_SSLROOTCERT"] = c.caFile()
	}
	return env
}
