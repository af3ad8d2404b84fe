package child

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain doubles as the "program" of the tests: with CHILD_TEST_PARENT set it starts a child that
// would run for a minute (with a grandchild), prints their PIDs and waits to be killed.
func TestMain(m *testing.M) {
	if os.Getenv("CHILD_TEST_PARENT") != "" {
		cmd := Command(context.Background(), "sh", "-c", "sleep 60 & echo $!; wait")
		out, err := cmd.StdoutPipe()
		if err != nil {
			panic(err)
		}
		if err := cmd.Start(); err != nil {
			panic(err)
		}
		grand, _ := bufio.NewReader(out).ReadString('\n')
		fmt.Printf("%d %s", cmd.Process.Pid, grand)
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}

func gone(t *testing.T, what string, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for _, pid := range pids {
		for alive(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: process %d still runs", what, pid)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// The program killed outright (SIGKILL: no code of it runs): its child dies with it.
func TestChildDiesWithTheProgram(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux's")
	}
	parent := exec.Command(os.Args[0], "-test.run=^$")
	parent.Env = append(os.Environ(), "CHILD_TEST_PARENT=1")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var childPID, grandPID int
	if _, err := fmt.Sscan(line, &childPID, &grandPID); err != nil || !alive(childPID) || !alive(grandPID) {
		t.Fatalf("parent said %q: expected two running PIDs (%v)", line, err)
	}
	_ = parent.Process.Signal(syscall.SIGKILL)
	_ = parent.Wait()
	gone(t, "after the program was killed", childPID)
	// The grandchild is the child's business (dot and rsvg-convert start none); it was in the group:
	syscall.Kill(grandPID, syscall.SIGKILL)
}

// The context ends (a cancelled call): the child and everything in its group die, and Wait returns.
func TestContextKillsTheGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := Command(ctx, "sh", "-c", "sleep 60 & echo $!; wait")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	grand, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("child said %q", line)
	}
	cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(WaitDelay + 2*time.Second):
		t.Fatal("Wait did not return after the context ended")
	}
	pids := []int{cmd.Process.Pid}
	if runtime.GOOS == "linux" {
		pids = append(pids, grand)
	}
	gone(t, "after the context ended", pids...)
}
