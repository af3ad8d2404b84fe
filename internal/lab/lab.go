// Package lab decides which database `make lab` opens JupyterLab on, and checks it before JupyterLab
// starts.
//
// With no .env at the repository root (and no connection variables in the environment), or with the
// demo's own .env (it carries REPLICALAB_DEMO=1), it starts the demo primary + read replica, which writes
// that .env. With a .env of the user's, it never starts the demo: it connects once, read-only, and on
// failure says which variable is wrong.
//
// Environment knobs, used by the tests and handy for a second checkout:
//
//	REPLICALAB_ENV_FILE   the .env to use (default <repo>/.env); its file name must be .env
//	REPLICALAB_DEMO_ARGS  extra flags for `demodb start`, e.g. "--dir /tmp/x --primary-port 6000 --replica-port 6001"
package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/joho/godotenv"

	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/demodb"
	"github.com/replicalab/replicalab/internal/kernelspec"
)

// connectionVars are the variables that, set in the environment, mean the user chose a server.
var connectionVars = []string{"DATABASE_URL", "RDS_HOSTNAME", "PGHOST", "PGSERVICE"}

// Run is the lab command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] != "prepare" {
		if len(args) == 0 {
			fmt.Fprintln(stderr, "usage: go run ./scripts/lab prepare")
		} else {
			fmt.Fprintf(stderr, "lab: unknown command %q (expected: prepare)\n", strings.Join(args, " "))
		}
		return 2
	}
	if err := Prepare(ctx, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "lab:", err)
		return 1
	}
	return 0
}

// Prepare starts the demo or checks the user's replica, as the package documentation says.
func Prepare(ctx context.Context, stdout, stderr io.Writer) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	repo, err := kernelspec.FindRepo(wd)
	if err != nil {
		return err
	}
	envFile := os.Getenv("REPLICALAB_ENV_FILE")
	if envFile == "" {
		envFile = filepath.Join(repo, ".env")
	}
	if filepath.Base(envFile) != ".env" {
		return fmt.Errorf("REPLICALAB_ENV_FILE must name a file called .env (the config loader looks for that name), found %q", envFile)
	}

	useDemo, why, err := chooseDemo(envFile)
	if err != nil {
		return err
	}
	if useDemo {
		fmt.Fprintf(stdout, "Using the demo read replica (%s).\n", why)
		demoArgs := append([]string{"start", "--env-file", envFile}, strings.Fields(os.Getenv("REPLICALAB_DEMO_ARGS"))...)
		if code := demodb.Run(ctx, demoArgs, nil, stdout, stderr); code != 0 {
			return fmt.Errorf("the demo database did not start (see above)")
		}
	} else {
		fmt.Fprintf(stdout, "Using your replica (%s); checking that it answers...\n", why)
	}

	cfg, err := config.LoadFrom(filepath.Dir(envFile), environWithout(useDemo))
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintln(stderr, "warning:", w)
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := replica.Check(cctx, replica.WithConfig(cfg)); err != nil {
		var ce *replica.ConnectError
		if errors.As(err, &ce) && ce.Var() != "" {
			where := envFile
			if src := cfg.Source(ce.Var()); src.String() != "" {
				where = src.String()
			}
			return fmt.Errorf("%w\n\nFix %s (set in %s) and run make lab again.%s", err, ce.Var(), where, demoHint(useDemo))
		}
		return fmt.Errorf("%w%s", err, demoHint(useDemo))
	}
	fmt.Fprintln(stdout, "The replica answers, read-only.")
	return nil
}

func demoHint(useDemo bool) string {
	if useDemo {
		return ""
	}
	return " The demo database was not started: your .env wins. Move it away to use the demo instead."
}

// chooseDemo tells whether to run the demo, and why.
func chooseDemo(envFile string) (bool, string, error) {
	if _, err := os.Stat(envFile); errors.Is(err, os.ErrNotExist) {
		for _, k := range connectionVars {
			if os.Getenv(k) != "" {
				return false, fmt.Sprintf("no .env, but $%s is set in the environment", k), nil
			}
		}
		return true, "no " + envFile + " yet", nil
	} else if err != nil {
		return false, "", fmt.Errorf("cannot read %s: %w", envFile, err)
	}
	vars, err := godotenv.Read(envFile)
	if err != nil {
		// config.LoadFrom reports the file and line without quoting values.
		if _, cerr := config.LoadFrom(filepath.Dir(envFile), nil); cerr != nil {
			return false, "", cerr
		}
		return false, "", fmt.Errorf("%s could not be parsed", envFile)
	}
	if vars["REPLICALAB_DEMO"] == "1" {
		return true, envFile + " was written by the demo", nil
	}
	return false, envFile, nil
}

// environWithout returns the process environment for the config loader. For the demo, connection
// variables in the environment would override the demo's .env, so they are left out.
func environWithout(demo bool) []string {
	env := os.Environ()
	if !demo {
		return env
	}
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "RDS_") || strings.HasPrefix(k, "PG") || k == "DATABASE_URL" {
			continue
		}
		out = append(out, kv)
	}
	return out
}
