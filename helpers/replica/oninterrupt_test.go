package replica_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/replicalab/replicalab/helpers/replica"
)

// TestOnInterruptRunsHooksThenLetsTheSignalEndTheProgram: a hook registered with OnInterrupt runs on
// SIGINT, and the program still dies by the signal; a removed hook does not run.
func TestOnInterruptRunsHooksThenLetsTheSignalEndTheProgram(t *testing.T) {
	if dir := os.Getenv("REPLICALAB_ONINTERRUPT_CHILD"); dir != "" {
		remove := replica.OnInterrupt(func(context.Context) { _ = os.WriteFile(filepath.Join(dir, "removed"), nil, 0o600) })
		replica.OnInterrupt(func(ctx context.Context) {
			_, ok := ctx.Deadline()
			if ok {
				_ = os.WriteFile(filepath.Join(dir, "ran"), nil, 0o600)
			}
		})
		remove()
		_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
		time.Sleep(5 * time.Second)
		os.Exit(3) // not reached when the signal ends the program
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestOnInterruptRunsHooksThenLetsTheSignalEndTheProgram$", "-test.count=1")
	cmd.Env = append(os.Environ(), "REPLICALAB_ONINTERRUPT_CHILD="+dir)
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !exit.Sys().(syscall.WaitStatus).Signaled() || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGINT {
		t.Errorf("the program should die by SIGINT, as without the handler; it ended with %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran")); err != nil {
		t.Error("the hook did not run (with a deadline) before the program ended")
	}
	if _, err := os.Stat(filepath.Join(dir, "removed")); err == nil {
		t.Error("a removed hook ran")
	}
}
