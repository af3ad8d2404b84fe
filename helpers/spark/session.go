package spark

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/apache/spark-connect-go/spark/sql"
	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/sparkserver"
)

// Session is a Spark Connect session that reads the read replicas in parallel. Open makes one without
// any I/O; it connects to Spark and verifies the replicas when a load first needs them, so a load
// answered from the cache touches neither. Its methods are safe for concurrent use.
type Session struct {
	cfg         *config.Config
	settings    *replica.Settings
	sslrootcert string
	remote      *remote // nil: the local server
	localDir    string
	maxConns    int
	snapshotDir string
	repo        string
	quiet       bool
	noStart     bool

	mu       sync.Mutex
	views    []*view
	spark    sql.SparkSession
	conn     *builder
	server   *sparkserver.Server
	pool     *replica.Pool
	replicas []Replica
	password string
	closed   bool

	imu   sync.Mutex // guards what an interrupt needs, never held across I/O (mu is, while views register)
	live  *builder   // the connection to Spark, once made
	loads map[*loadMark]bool
}

// Open prepares a session from the settings (environment, then .env, then defaults): the replicas from
// DATABASE_URL, RDS_* or PG* (every host listed is read from; each must be a read replica), the Spark
// server from SPARK_REMOTE or else the local one (started when it does not run; make spark installs
// it), REPLICALAB_SPARK_MAX_CONNS. It does no I/O: a bad setting is reported here, an unreachable server
// by the first load.
func Open(ctx context.Context, opts ...Option) (*Session, error) {
	o := collect(opts)
	cfg := o.cfg
	if cfg == nil {
		var err error
		if cfg, err = config.Load(); err != nil {
			return nil, fmt.Errorf("spark: reading settings: %w", err)
		}
	}
	settings, err := replica.Resolve(cfg)
	if err != nil {
		return nil, fmt.Errorf("spark: %w", err)
	}
	s := &Session{cfg: cfg, settings: settings, quiet: o.quiet, noStart: o.noStart}
	for _, st := range settings.Sources() {
		if st.Name == "sslrootcert" {
			s.sslrootcert = st.Value
		}
	}
	if s.maxConns, err = cfg.IntOr(KeyMaxConns, DefaultMaxConns); err != nil {
		return nil, fmt.Errorf("spark: %w", err)
	}
	if o.maxConns != 0 {
		s.maxConns = o.maxConns
	}
	if s.maxConns < 1 {
		return nil, fmt.Errorf("spark: %s: expected at least 1 connection per replica, found %d", KeyMaxConns, s.maxConns)
	}
	rs, _, _ := cfg.Lookup(KeyRemote)
	if o.remote != nil {
		rs = *o.remote
	}
	if strings.TrimSpace(rs) != "" {
		if s.remote, err = parseRemote(rs); err != nil {
			return nil, fmt.Errorf("spark: %w", err)
		}
	}
	if s.repo, err = sparkserver.Repo(); err != nil && s.remote == nil {
		return nil, fmt.Errorf("spark: finding the repository for the local Spark server (or set SPARK_REMOTE): %w", err)
	}
	s.localDir = cfg.GetOr(KeyDir, "")
	if s.localDir == "" && s.repo != "" {
		s.localDir = sparkserver.DefaultDir(s.repo)
	}
	s.snapshotDir = cfg.GetOr(KeySnapshotDir, "")
	if s.snapshotDir == "" && s.remote == nil {
		s.snapshotDir = filepath.Join(s.localDir, "snapshots")
	}
	return s, nil
}

// Engine describes the Spark server: "local Spark sc://127.0.0.1:15002" or "Spark sc://host:port".
func (s *Session) Engine() string {
	if s.remote == nil {
		if s.server != nil {
			return "local Spark " + s.server.Remote()
		}
		return "local Spark"
	}
	return "Spark " + s.remote.String()
}

// Target is the replicas read, as user@host:port,host:port/database (never the password).
func (s *Session) Target() string { return s.settings.Target() }

// MaxConns is the bound on connections one read opens at once on each replica.
func (s *Session) MaxConns() int { return s.maxConns }

// String describes the session without secrets.
func (s *Session) String() string {
	return fmt.Sprintf("spark.Session(%s reading %s, ≤%d connections per replica)", s.Engine(), s.Target(), s.maxConns)
}

// GoString keeps %#v from printing secrets.
func (s *Session) GoString() string { return s.String() }

// Close releases the session's replica connections. Temporary views vanish with the Spark session.
func (s *Session) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.pool != nil {
		s.pool.Close()
		s.pool = nil
	}
	unwatchInterrupts(s)
	s.imu.Lock()
	s.live = nil
	s.imu.Unlock()
	if s.conn != nil {
		if s.conn.conn != nil {
			_ = s.conn.conn.Close()
		}
	}
	s.spark = nil
}

// Spark is the underlying Spark Connect session (connecting first), for what this package does not
// wrap. Views registered here are temporary views of that session.
func (s *Session) Spark(ctx context.Context) (sql.SparkSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sparkLocked(ctx)
}

func (s *Session) sparkLocked(ctx context.Context) (sql.SparkSession, error) {
	if s.closed {
		return nil, errors.New("spark: the session is closed")
	}
	if s.spark != nil {
		return s.spark, nil
	}
	r := s.remote
	if r == nil {
		srv, err := s.localServer(ctx)
		if err != nil {
			return nil, err
		}
		s.server = srv
		r = &remote{host: sparkserver.Host, port: srv.Port, token: srv.Token(), headers: map[string]string{}, local: true}
	}
	b := &builder{r: r}
	sess, err := sql.NewSessionBuilder().WithChannelBuilder(b).Build(ctx)
	if err != nil {
		return nil, fmt.Errorf("spark: connecting to %s: %w", r, err)
	}
	// Session settings: results in UTC (as helpers/frame reads timestamps), and the redaction that
	// keeps the JDBC password out of what this session's requests show in Spark's UI and log.
	conf := map[string]string{"spark.sql.session.timeZone": "UTC"}
	for _, k := range []string{"spark.sql.redaction.options.regex", "spark.sql.redaction.string.regex"} {
		conf[k] = sparkserver.RedactionConf[k]
	}
	for k, v := range conf {
		if err := sess.Config().Set(ctx, k, v); err != nil {
			if b.conn != nil {
				_ = b.conn.Close()
			}
			return nil, s.connectErr(r, err)
		}
	}
	s.spark, s.conn = sess, b
	s.imu.Lock()
	s.live = b
	s.imu.Unlock()
	watchInterrupts(s)
	return sess, nil
}

func (s *Session) connectErr(r *remote, err error) error {
	msg := err.Error()
	hint := ""
	switch {
	case strings.Contains(msg, "connection refused"), strings.Contains(msg, "Unavailable"), strings.Contains(msg, "no such host"):
		if r.local {
			hint = "the local Spark server is not answering: `make spark` restarts it (log: " + s.server.LogFile() + ")"
		} else {
			hint = "check SPARK_REMOTE (host and port) and that the server runs"
		}
	case strings.Contains(msg, "authentication token"), strings.Contains(msg, "Unauthenticated"):
		hint = "the server refused the token: check token= in SPARK_REMOTE"
	}
	if hint != "" {
		return fmt.Errorf("spark: cannot reach Spark at %s (%s): %w", r, hint, scrub(err, r.token))
	}
	return fmt.Errorf("spark: setting up the Spark session at %s: %w", r, scrub(err, r.token))
}

// localServer finds the local server, starting it if it does not run.
func (s *Session) localServer(ctx context.Context) (*sparkserver.Server, error) {
	if s.localDir == "" {
		return nil, errors.New("spark: no repository found for the local Spark server: set SPARK_REMOTE or REPLICALAB_SPARK_DIR")
	}
	srv, err := sparkserver.Find(s.localDir)
	if err == nil {
		if err := sparkserver.WaitReady(ctx, srv); err != nil {
			return nil, fmt.Errorf("spark: %w", err)
		}
		return srv, nil
	}
	if !errors.Is(err, sparkserver.ErrNotRunning) {
		return nil, fmt.Errorf("spark: %w", err)
	}
	if s.noStart {
		return nil, fmt.Errorf("spark: %w (in %s): start it with `make spark`, or set SPARK_REMOTE", sparkserver.ErrNotRunning, s.localDir)
	}
	s.say("starting the local Spark server (make spark; about 30 s the first time)…")
	srv, err = sparkserver.Start(ctx, sparkserver.Options{Dir: s.localDir, Repo: s.repo})
	if err != nil {
		return nil, fmt.Errorf("spark: %w", err)
	}
	return srv, nil
}

// replicasLocked verifies every replica host once: each must be a hot standby.
func (s *Session) replicasLocked(ctx context.Context) ([]Replica, *replica.Pool, error) {
	if s.closed {
		return nil, nil, errors.New("spark: the session is closed")
	}
	if s.pool != nil {
		return s.replicas, s.pool, nil
	}
	// Directly to the replicas (not through a notebook session's proxy): Spark needs their addresses.
	pool, err := replica.Open(ctx, replica.WithConfig(s.cfg), replica.Quiet(), replica.Direct())
	if err != nil {
		return nil, nil, fmt.Errorf("spark: %w", err)
	}
	px, err := pool.Pgx(ctx)
	if err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("spark: %w", err)
	}
	base := px.Config().ConnConfig
	login := s.settings.Login()
	var rs []Replica
	for _, hc := range hostConfigs(base, login.Password) {
		r, err := verify(ctx, hc)
		if err != nil {
			pool.Close()
			return nil, nil, err
		}
		rs = append(rs, r)
	}
	s.pool, s.replicas, s.password = pool, rs, login.Password
	return rs, pool, nil
}

// Replicas verifies the replicas (once per session) and describes them.
func (s *Session) Replicas(ctx context.Context) ([]Replica, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, _, err := s.replicasLocked(ctx)
	return append([]Replica(nil), rs...), err
}
