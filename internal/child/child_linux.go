//go:build linux

package child

import (
	"os/exec"
	"syscall"
)

func setup(cmd *exec.Cmd) {
	// Pdeathsig is tied to the thread that starts the child; Go never ends a thread that has not been
	// locked with runtime.LockOSThread, and Command's callers do not lock theirs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error {
		// The whole group: the child and whatever it started.
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
}
