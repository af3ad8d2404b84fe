//go:build !linux

package kernel

import (
	"os/exec"
	"syscall"
)

// setChildAttrs puts a child, with newSession, in a process session (and group) of its own, which the
// watchdog kills. Without Linux's parent-death signal, the watchdog is what ends it if the kernel dies.
func setChildAttrs(cmd *exec.Cmd, newSession bool) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: newSession}
}

// killSession kills the process group led by sid (GoNB's cell programs share it; its gopls leaves it,
// and ends with its last client).
func killSession(sid int) int {
	if err := syscall.Kill(-sid, syscall.SIGKILL); err != nil {
		return 0
	}
	return 1
}

// interruptBuild is Linux's; elsewhere an interrupt during a cell's build waits for the build.
func interruptBuild(int) int { return 0 }
