package kernel

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// setChildAttrs makes a child die with the kernel (parent-death signal) and, with newSession, lead a
// process session of its own, which the watchdog sweeps.
func setChildAttrs(cmd *exec.Cmd, newSession bool) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: newSession, Pdeathsig: syscall.SIGKILL}
}

// processes lists the live processes (from /proc).
func processes() []proc {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var ps []proc
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			if p, ok := readProc(pid); ok {
				ps = append(ps, p)
			}
		}
	}
	return ps
}

// readProc reads one process from /proc/<pid>/stat. A zombie counts as gone: it holds nothing, and its
// parent reaps it.
func readProc(pid int) (proc, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return proc{}, false
	}
	// pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
	// cutime cstime priority nice num_threads itrealvalue starttime ...; comm may hold spaces and ")".
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return proc{}, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 || f[0] == "Z" {
		return proc{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	sid, _ := strconv.Atoi(f[3])
	start, _ := strconv.ParseUint(f[19], 10, 64)
	return proc{pid: pid, ppid: ppid, sid: sid, start: start}, true
}

// sessionMembers lists the processes of session sid, the leader included.
func sessionMembers(sid int) []int {
	var pids []int
	for _, p := range processes() {
		if p.sid == sid {
			pids = append(pids, p.pid)
		}
	}
	return pids
}

// killSession kills every process of session sid; processes that left it with setsid escape.
func killSession(sid int) int {
	pids := sessionMembers(sid)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	return len(pids)
}
