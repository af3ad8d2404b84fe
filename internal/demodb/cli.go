package demodb

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const usageText = `usage: go run ./scripts/demodb <command> [flags]

A local PostgreSQL primary and its streaming read replica holding a synthetic marketplace database;
notebooks read from the replica through the .env file that start writes.

commands:
  start    create (first time: initdb, seed, analyze) and start both servers, write the env file
  stop     stop the replica, then the primary
  status   servers, replication state and lag, database sizes, table row estimates
  reset    stop, delete the data and start again (re-seed)
  traffic  keep writing to the primary so you can watch the replica follow

Run 'go run ./scripts/demodb <command> -h' for the flags of a command.
`

// Run is the demodb command: Run(ctx, os.Args[1:], ...) returns the exit code (0 ok, 1 failure,
// 2 usage error). Interrupt and SIGTERM cancel ctx.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usageText)
		return 0
	case "start", "stop", "status", "reset", "traffic":
	default:
		fmt.Fprintf(stderr, "demodb: unknown command %q: expected start, stop, status, reset or traffic\n", cmd)
		return 2
	}

	fs := flag.NewFlagSet("demodb "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "data folder (default <repo root>/data/demodb)")
	var (
		scale, envFile, rate     *string
		primaryPort, replicaPort *int
		tls                      *bool
		duration                 *time.Duration
	)
	switch cmd {
	case "start", "reset":
		scale = fs.String("scale", "", "rows to seed: small, medium, large or a multiplier (default small, or the recorded scale)")
		primaryPort = fs.Int("primary-port", 0, "primary's TCP port on 127.0.0.1 (default 25432, or the recorded one)")
		replicaPort = fs.Int("replica-port", 0, "replica's TCP port on 127.0.0.1 (default 25433, or the recorded one)")
		envFile = fs.String("env-file", "", "env file to write for the replica (default <repo root>/.env; \"none\" writes none)")
		tls = fs.Bool("tls", false, "turn on TLS with a generated CA (the env file gets RDS_SSLMODE and RDS_SSLROOTCERT)")
	case "traffic":
		rate = fs.String("rate", "20/s", "write operations per second, e.g. 50 or 50/s")
		duration = fs.Duration("duration", 0, "stop after this long, e.g. 30s (default: until Ctrl-C)")
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./scripts/demodb %s [flags]\n", cmd)
		fs.PrintDefaults()
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "demodb %s: unexpected argument %q (flags only)\n", cmd, fs.Arg(0))
		return 2
	}

	opts := Options{Dir: *dir, Log: stdout}
	if scale != nil {
		if *scale != "" {
			f, err := ParseScale(*scale)
			if err != nil {
				fmt.Fprintf(stderr, "demodb %s: --%v\n", cmd, err)
				return 2
			}
			opts.Scale = f
		}
		opts.PrimaryPort, opts.ReplicaPort, opts.TLS = *primaryPort, *replicaPort, *tls
		for _, p := range []int{opts.PrimaryPort, opts.ReplicaPort} {
			if p < 0 || p > 65535 {
				fmt.Fprintf(stderr, "demodb %s: ports: expected 1-65535, found %d\n", cmd, p)
				return 2
			}
		}
		switch *envFile {
		case "none":
		case "":
			f, err := DefaultEnvFile()
			if err != nil {
				fmt.Fprintf(stderr, "demodb %s: %v\n", cmd, err)
				return 1
			}
			opts.EnvFile = f
		default:
			opts.EnvFile = *envFile
		}
	}
	var trafficRate float64
	if rate != nil {
		r, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(*rate), "/s"), 64)
		if err != nil || r <= 0 {
			fmt.Fprintf(stderr, "demodb traffic: --rate: expected a positive number of operations per second such as 50/s, found %q\n", *rate)
			return 2
		}
		trafficRate = r
	}
	c, err := New(opts)
	if err != nil {
		fmt.Fprintf(stderr, "demodb %s: %v\n", cmd, err)
		return 1
	}

	switch cmd {
	case "start":
		err = c.Start(ctx)
	case "reset":
		err = c.Reset(ctx)
	case "stop":
		if !c.saved {
			fmt.Fprintf(stdout, "no demo database in %s: nothing to stop\n", c.Dir())
			return 0
		}
		if err = c.Stop(ctx); err == nil {
			fmt.Fprintln(stdout, "stopped: no demo server is running")
		}
	case "status":
		var st *Status
		if st, err = c.Status(ctx); err == nil {
			if err = st.WriteText(stdout); err == nil && !st.Running() {
				fmt.Fprintln(stderr, "demodb status: not running (start with: go run ./scripts/demodb start)")
				return 1
			}
		}
	case "traffic":
		_, err = c.Traffic(ctx, TrafficOptions{Rate: trafficRate, Duration: *duration, Out: stdout})
	}
	if err != nil {
		fmt.Fprintf(stderr, "demodb %s: %v\n", cmd, err)
		return 1
	}
	return 0
}
