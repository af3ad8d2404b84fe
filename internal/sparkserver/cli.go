package sparkserver

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usageText = `usage: go run ./scripts/spark <command> [flags]

The local Spark Connect server that helpers/spark uses when SPARK_REMOTE is not set (make spark).

commands:
  start    start it in the background (installed by make spark-install), or say where it runs
  status   say whether it runs, where, and where its log is
  stop     stop it

flags (every command):
  --dir DIR   state folder (default <repo>/data/spark)
start flags:
  --port N    Spark Connect port on 127.0.0.1 (default 15002; 0 picks a free port)
  --ui        also start the Spark UI on a free loopback port
  --cores N   tasks run at once, local[N] (default: one per CPU)
  --memory M  the server's heap, e.g. 4g (default 2g)
  --no-wait   return once launched, without waiting until it accepts clients
  --stop-with PID  stop the server (and delete --dir) when process PID exits (test runs)
`

// Run is the spark command: start, status or stop the local server.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
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
	case "start", "stop", "status":
	default:
		fmt.Fprintf(stderr, "spark: unknown command %q: expected start, status or stop\n", cmd)
		return 2
	}
	fs := flag.NewFlagSet("spark "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usageText) }
	dir := fs.String("dir", "", "")
	var (
		port, cores, stopWith *int
		ui, noWait            *bool
		memory                *string
	)
	if cmd == "start" {
		port = fs.Int("port", DefaultPort, "")
		cores = fs.Int("cores", 0, "")
		memory = fs.String("memory", "", "")
		ui = fs.Bool("ui", false, "")
		noWait = fs.Bool("no-wait", false, "")
		stopWith = fs.Int("stop-with", 0, "")
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "spark %s: unexpected argument %q (flags only)\n", cmd, fs.Arg(0))
		return 2
	}
	if *dir == "" {
		repo, err := Repo()
		if err != nil {
			fmt.Fprintf(stderr, "spark %s: %v\n", cmd, err)
			return 1
		}
		*dir = DefaultDir(repo)
	}

	switch cmd {
	case "start":
		p := *port
		if p == 0 {
			p = -1
		}
		s, err := Start(ctx, Options{Dir: *dir, Port: p, UI: *ui, Cores: *cores, Memory: *memory, NoWait: *noWait,
			StopWith: *stopWith, RemoveDir: *stopWith != 0, Log: stdout})
		if err != nil {
			fmt.Fprintf(stderr, "spark start: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s\n", s)
		fmt.Fprintf(stdout, "helpers/spark uses it when SPARK_REMOTE is not set; stop it with: make spark-stop\n")
	case "status":
		s, err := Find(*dir)
		if errors.Is(err, ErrNotRunning) {
			fmt.Fprintf(stdout, "not running (%v); start it with: make spark\n", err)
			return 3
		}
		if err != nil {
			fmt.Fprintf(stderr, "spark status: %v\n", err)
			return 1
		}
		state := "running"
		if !s.Ready() {
			state = "starting"
		}
		fmt.Fprintf(stdout, "%s: %s\n", state, s)
	case "stop":
		s, err := Find(*dir)
		if errors.Is(err, ErrNotRunning) {
			fmt.Fprintf(stdout, "not running\n")
			return 0
		}
		if err != nil {
			fmt.Fprintf(stderr, "spark stop: %v\n", err)
			return 1
		}
		if err := s.Stop(ctx); err != nil {
			fmt.Fprintf(stderr, "spark stop: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "stopped Spark Connect %s (pid %d)\n", s.Remote(), s.PID)
	}
	return 0
}
