package kernel

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the processes stopTree is tried on (REPLICALAB_PROC_HELPER names the part):
// Go programs, so that what each does with SIGINT is plain.
func TestMain(m *testing.M) {
	if role := os.Getenv("REPLICALAB_PROC_HELPER"); role != "" {
		procHelper(role, os.Args[len(os.Args)-1])
		return
	}
	os.Exit(m.Run())
}

// procHelper plays one part:
//   - root: GoNB's place. Starts a "plain" and a "parent" child, and a "plain" one more once file arg
//     exists; it is never signalled.
//   - parent: starts an "ignore" child and ends on SIGINT, leaving that child an orphan.
//   - ignore: ignores SIGINT, then creates file arg+".ignoring".
//   - plain: ends on SIGINT.
//   - count: writes how many SIGINTs it got to file arg (0 once it listens), and ends on the second.
func procHelper(role, arg string) {
	if role == "parent" || role == "plain" {
		// End on SIGINT even if the test process ignores it (the watchdog's test makes it ignore SIGINT,
		// and an ignored signal stays ignored across exec).
		c := make(chan os.Signal, 1)
		signal.Notify(c, os.Interrupt)
		go func() {
			<-c
			os.Exit(130)
		}()
	}
	switch role {
	case "root":
		helperChild("plain", arg)
		helperChild("parent", arg)
		for {
			if _, err := os.Stat(arg); err == nil {
				helperChild("plain", arg)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	case "parent":
		helperChild("ignore", arg)
	case "ignore":
		signal.Ignore(os.Interrupt)
		_ = os.WriteFile(arg+".ignoring", nil, 0o644)
	case "count":
		c := make(chan os.Signal, 2)
		signal.Notify(c, os.Interrupt)
		_ = os.WriteFile(arg, []byte("0"), 0o644)
		for n := 1; n <= 2; n++ {
			<-c
			_ = os.WriteFile(arg, []byte(fmt.Sprint(n)), 0o644)
		}
		os.Exit(0)
	case "count-root":
		helperChild("count", arg)
	}
	time.Sleep(time.Hour)
}

func helperChild(role, arg string) {
	cmd := exec.Command(os.Args[0], "-test.run=^$", arg)
	cmd.Env = append(os.Environ(), "REPLICALAB_PROC_HELPER="+role)
	if err := cmd.Start(); err != nil {
		panic(err)
	}
	go cmd.Wait()
}

// startHelper starts the test binary in role, as a tree of its own, and waits until want processes run
// below it. Everything left is killed when the test ends.
func startHelper(t *testing.T, role, arg string, want int) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", arg)
	cmd.Env = append(os.Environ(), "REPLICALAB_PROC_HELPER="+role)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	root := cmd.Process.Pid
	t.Cleanup(func() {
		for _, p := range descendants(root) {
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		}
		_ = syscall.Kill(-root, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(20 * time.Second); len(descendants(root)) < want; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d processes below the helper, want %d", len(descendants(root)), want)
		}
	}
	return root
}

// find returns the process with this pid, if it runs.
func find(pid int) (proc, bool) {
	for _, p := range processes() {
		if p.pid == pid {
			return p, true
		}
	}
	return proc{}, false
}

// alive reports whether p still runs (the same process: pid and start time).
func alive(p proc) bool {
	q, ok := find(p.pid)
	return ok && q.start == p.start
}

// waitFor polls cond every 10 ms for up to timeout.
func waitFor(timeout time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// runStopTree runs stopTree below root in the background; stop ends it and returns its count.
func runStopTree(root int) (again chan struct{}, signals *atomic.Int64, stop func() int) {
	done := make(chan struct{})
	again = make(chan struct{}, 1)
	signals = new(atomic.Int64)
	result := make(chan int, 1)
	go func() { result <- stopTree(root, done, again, func() { signals.Add(1) }) }()
	stop = sync.OnceValue(func() int {
		close(done)
		return <-result
	})
	return again, signals, stop
}

// Every process below the root is stopped — those there at the interrupt and one that starts later —
// and a child that ignores SIGINT is killed killAfter later, although its parent ended on SIGINT and left
// it an orphan, no longer below the root. The root itself (GoNB's place) is never signalled.
func TestStopTreeStopsEveryProcessAndKillsOrphansThatIgnoreIt(t *testing.T) {
	late := filepath.Join(t.TempDir(), "late")
	root := startHelper(t, "root", late, 3)
	if !waitFor(20*time.Second, func() bool { _, err := os.Stat(late + ".ignoring"); return err == nil }) {
		t.Fatal("the child that ignores SIGINT never got ready")
	}
	before := descendants(root) // plain and parent, then parent's child
	if len(before) != 3 {
		t.Fatalf("below the helper: %+v, want plain, parent and parent's child", before)
	}
	orphan := before[2]
	parent := before[slices.IndexFunc(before, func(p proc) bool { return p.pid == orphan.ppid })]
	_, signals, stop := runStopTree(root)
	defer stop()
	if err := os.WriteFile(late, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// The three there at first and the late one each get SIGINT (once: there is no second interrupt).
	if !waitFor(20*time.Second, func() bool { return signals.Load() >= 4 }) {
		t.Fatalf("%d processes got SIGINT, want the 3 there at first and the one started later", signals.Load())
	}
	if !waitFor(20*time.Second, func() bool { return !alive(parent) }) {
		t.Fatalf("the parent %d did not end on SIGINT", parent.pid)
	}
	if !alive(orphan) {
		t.Fatalf("the child that ignores SIGINT ended before SIGKILL")
	}
	if q, _ := find(orphan.pid); slices.ContainsFunc(descendants(root), func(p proc) bool { return p.pid == q.pid }) {
		t.Fatalf("the orphan %d is still below the root", orphan.pid)
	}
	if !waitFor(killAfter+10*time.Second, func() bool { return !alive(orphan) }) {
		t.Errorf("the orphan that ignores SIGINT outlived SIGKILL")
	}
	if !waitFor(10*time.Second, func() bool { return len(descendants(root)) == 0 }) {
		t.Errorf("left below the root: %+v", descendants(root))
	}
	if _, ok := find(root); !ok {
		t.Errorf("the root was stopped; only what is below it should be")
	}
	if n := stop(); n < 4 {
		t.Errorf("stopTree signalled %d processes, want the 3 there at first and the late one", n)
	}
}

// Another interrupt sends SIGINT again: a program that handles the first one goes on, and ends on the
// second (without it, only SIGKILL would end it, and it would never count two).
func TestStopTreeSignalsAgainOnAnotherInterrupt(t *testing.T) {
	count := filepath.Join(t.TempDir(), "count")
	root := startHelper(t, "count-root", count, 1)
	child := descendants(root)[0]
	read := func() string { b, _ := os.ReadFile(count); return strings.TrimSpace(string(b)) }
	if !waitFor(20*time.Second, func() bool { return read() == "0" }) {
		t.Fatal("the program never started listening for SIGINT")
	}
	again, _, stop := runStopTree(root)
	defer stop()
	if !waitFor(20*time.Second, func() bool { return read() == "1" }) {
		t.Fatalf("the program never got the first SIGINT (count %q)", read())
	}
	again <- struct{}{}
	if !waitFor(20*time.Second, func() bool { return !alive(child) }) {
		t.Fatal("the program still runs after the second interrupt")
	}
	if got := read(); got != "2" {
		t.Errorf("the program counted %q SIGINTs, want 2", got)
	}
}

// Once the cell has ended, stopTree signals nothing: what it finds below GoNB then may be the next cell's.
func TestStopTreeSignalsNothingOnceTheCellEnded(t *testing.T) {
	count := filepath.Join(t.TempDir(), "count")
	root := startHelper(t, "count-root", count, 1)
	if !waitFor(20*time.Second, func() bool { _, err := os.Stat(count); return err == nil }) {
		t.Fatal("the program never started listening for SIGINT")
	}
	done := make(chan struct{})
	close(done)
	if n := stopTree(root, done, nil, func() {}); n != 0 {
		t.Errorf("stopTree signalled %d processes after the cell ended", n)
	}
	time.Sleep(200 * time.Millisecond)
	if b, _ := os.ReadFile(count); string(b) != "0" {
		t.Errorf("the program got a SIGINT after the cell ended (count %q)", b)
	}
}

// descendants finds a process's whole tree, parents before their children.
func TestDescendantsListsTheTreeParentsBeforeChildren(t *testing.T) {
	// The shell's children: a shell (whose child is a sleep) and a sleep; "; true" keeps the inner shell
	// from becoming its sleep.
	tree := exec.Command("/bin/sh", "-c", "/bin/sh -c 'sleep 300; true' & sleep 300 & wait")
	if err := tree.Start(); err != nil {
		t.Fatal(err)
	}
	root := tree.Process.Pid
	defer func() {
		for _, p := range descendants(root) {
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		}
		_ = tree.Process.Kill()
		_ = tree.Wait()
	}()
	var got []proc
	for deadline := time.Now().Add(10 * time.Second); len(got) < 3 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		got = descendants(root)
	}
	if len(got) != 3 {
		t.Fatalf("descendants = %+v, want the shell's two children and its grandchild", got)
	}
	at := map[int]int{}
	for i, p := range got {
		at[p.pid] = i
	}
	grandchildren := 0
	for i, p := range got {
		if p.ppid == root {
			continue
		}
		grandchildren++
		if parent, ok := at[p.ppid]; !ok || parent > i {
			t.Errorf("process %d (parent %d) is listed before its parent: %+v", p.pid, p.ppid, got)
		}
	}
	if grandchildren != 1 {
		t.Errorf("found %d grandchildren, want 1: %+v", grandchildren, got)
	}
	if !slices.ContainsFunc(descendants(os.Getpid()), func(p proc) bool { return p.pid == root }) {
		t.Errorf("the shell %d is not among the test's own descendants", root)
	}
}
