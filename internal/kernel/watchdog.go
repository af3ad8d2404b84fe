package kernel

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// watchdog is a small process (this executable, "watchdog" command) that outlives the kernel: when the
// kernel's end of its stdin pipe closes — a clean exit, a crash, SIGKILL from Jupyter — it kills every
// process of the sessions the kernel registered (GoNB and all it started) and removes the registered
// folders. It runs in a process group of its own so that a signal to the kernel's group spares it.
type watchdog struct {
	mu       sync.Mutex
	w        io.WriteCloser
	sessions []int
	log      *log.Logger
}

func startWatchdog(self, dir string, lg *log.Logger) *watchdog {
	wd := &watchdog{log: lg}
	if self == "" {
		lg.Printf("no watchdog: cannot find the kernel's executable")
		return wd
	}
	cmd := exec.Command(self, "watchdog")
	w, err := cmd.StdinPipe()
	if err != nil {
		lg.Printf("no watchdog: %v", err)
		return wd
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		lg.Printf("no watchdog: %v", err)
		return wd
	}
	go func() { _ = cmd.Wait() }()
	wd.w = w
	wd.send("dir " + dir)
	return wd
}

func (wd *watchdog) send(line string) {
	wd.mu.Lock()
	defer wd.mu.Unlock()
	if wd.w != nil {
		if _, err := fmt.Fprintln(wd.w, line); err != nil {
			wd.log.Printf("watchdog: %v", err)
		}
	}
}

// watchSession registers a process session to kill when the kernel ends.
func (wd *watchdog) watchSession(sid int) {
	wd.mu.Lock()
	wd.sessions = append(wd.sessions, sid)
	wd.mu.Unlock()
	wd.send("session " + strconv.Itoa(sid))
}

// watchDir registers a folder to remove when the kernel ends.
func (wd *watchdog) watchDir(dir string) { wd.send("dir " + dir) }

// sweep kills the registered sessions now (the kernel's own clean shutdown).
func (wd *watchdog) sweep() {
	wd.mu.Lock()
	sessions := append([]int(nil), wd.sessions...)
	wd.mu.Unlock()
	for _, sid := range sessions {
		if n := killSession(sid); n > 0 {
			wd.log.Printf("stopped %d process(es) left by GoNB", n)
		}
	}
}

// close ends the watchdog: it sweeps once more and exits.
func (wd *watchdog) close() {
	wd.mu.Lock()
	defer wd.mu.Unlock()
	if wd.w != nil {
		_ = wd.w.Close()
		wd.w = nil
	}
}

// RunWatchdog is the watchdog process: it reads "session <sid>" and "dir <path>" lines until its stdin
// closes, then kills those sessions and removes those folders.
func RunWatchdog(in io.Reader) int {
	signal.Ignore(syscall.SIGINT, syscall.SIGHUP, syscall.SIGPIPE)
	var sessions []int
	var dirs []string
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		kind, arg, _ := strings.Cut(sc.Text(), " ")
		switch kind {
		case "session":
			if sid, err := strconv.Atoi(arg); err == nil && sid > 1 {
				sessions = append(sessions, sid)
			}
		case "dir":
			if filepath.IsAbs(arg) && filepath.Clean(arg) != "/" {
				dirs = append(dirs, arg)
			}
		}
	}
	for round := 0; round < 20; round++ {
		left := 0
		for _, sid := range sessions {
			left += killSession(sid)
		}
		if left == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, d := range dirs {
		_ = os.RemoveAll(d)
	}
	return 0
}
