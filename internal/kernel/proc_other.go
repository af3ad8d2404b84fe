//go:build !linux

package kernel

import (
	"os/exec"
	"strconv"
	"strings"
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

// processes lists the live processes with their parents, from ps (no /proc here). The start time is
// left at zero: a process is known by its pid alone.
func processes() []proc {
	out, err := exec.Command("ps", "-A", "-o", "pid=", "-o", "ppid=").Output()
	if err != nil {
		return nil
	}
	var ps []proc
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		pid, err1 := strconv.Atoi(f[0])
		ppid, err2 := strconv.Atoi(f[1])
		if err1 == nil && err2 == nil {
			ps = append(ps, proc{pid: pid, ppid: ppid})
		}
	}
	return ps
}
