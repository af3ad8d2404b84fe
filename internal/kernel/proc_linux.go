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

// sessionMembers lists the processes of session sid (found in /proc), the leader included.
func sessionMembers(sid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp session ...; comm may hold spaces and parentheses.
		s := string(data)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 4 {
			continue
		}
		if f[0] == "Z" { // a zombie holds nothing; its parent reaps it
			continue
		}
		if sess, err := strconv.Atoi(f[3]); err == nil && sess == sid {
			pids = append(pids, pid)
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

// interruptBuild sends SIGINT to the go command and goimports running in session sid: GoNB ignores an
// interrupt while it builds a cell, and would then run the program anyway.
func interruptBuild(sid int) int {
	n := 0
	for _, pid := range sessionMembers(sid) {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
		if len(args) == 0 {
			continue
		}
		name := args[0][strings.LastIndexByte(args[0], '/')+1:]
		building := name == "goimports" || name == "go" && len(args) > 1 && (args[1] == "build" || args[1] == "get" || args[1] == "test")
		if building && syscall.Kill(pid, syscall.SIGINT) == nil {
			n++
		}
	}
	return n
}
