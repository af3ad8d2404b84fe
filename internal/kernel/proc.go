package kernel

import (
	"syscall"
	"time"
)

// proc is one live process: its pid, parent, session and start time (clock ticks since boot, where the
// system says; with the pid it tells a process from a later one given the same pid).
type proc struct {
	pid, ppid, sid int
	start          uint64
}

// descendants lists the processes below root (its children, their children, ...), parents before their
// children: signalled in that order, a shell gets SIGINT while it still waits for its command, and then
// ends with it instead of running its next command (bash's rule; at a terminal Ctrl-C reaches the whole
// foreground group at once).
func descendants(root int) []proc { return below(processes(), root) }

// below is descendants within the process list ps.
func below(ps []proc, root int) []proc {
	children := map[int][]proc{}
	for _, p := range ps {
		children[p.ppid] = append(children[p.ppid], p)
	}
	var list []proc
	for level := children[root]; len(level) > 0; {
		var next []proc
		for _, p := range level {
			list = append(list, p)
			next = append(next, children[p.pid]...)
		}
		level = next
	}
	return list
}

// Stopping a process tree: how often stopTree looks for new processes (often at first, when a build step
// or a program may be about to start, then less), and how long a process has to end after SIGINT before
// SIGKILL (GoNB's own wait for a cell program, jpyexec.WaitToKill).
const (
	stopPollFast = 10 * time.Millisecond
	stopPollSlow = 50 * time.Millisecond
	fastFor      = 500 * time.Millisecond
	killAfter    = 5 * time.Second
)

// stopTree stops the processes below root until done closes, and returns how many it signalled. It sends
// SIGINT to each process as it first finds it there (those already running and those that start later,
// parents first), SIGINT to all of them again on each receive from again, and SIGKILL to any
// it signalled killAfter ago that still lives, below root or not (a child that ignored SIGINT is left an
// orphan when its parent ends). onSignal runs after each SIGINT that reached a process.
func stopTree(root int, done, again <-chan struct{}, onSignal func()) int {
	type identity struct {
		pid   int
		start uint64
	}
	signalled := map[identity]time.Time{}
	n := 0
	began := time.Now()
	resend := false
	for {
		// One list of the processes per round serves both the tree and the SIGKILL of orphans.
		ps := processes()
		list := below(ps, root)
		select {
		case <-done:
			// Listed after the cell ended: the processes may be the next cell's.
			return n
		default:
		}
		now := time.Now()
		for _, p := range list {
			id := identity{p.pid, p.start}
			_, seen := signalled[id]
			if seen && !resend {
				continue
			}
			if !seen {
				signalled[id] = now
				n++
			}
			if syscall.Kill(p.pid, syscall.SIGINT) == nil {
				onSignal()
			}
		}
		resend = false
		live := make(map[identity]bool, len(ps))
		for _, p := range ps {
			live[identity{p.pid, p.start}] = true
		}
		for id, first := range signalled {
			switch {
			case !live[id]:
				delete(signalled, id) // ended
			case now.Sub(first) >= killAfter:
				_ = syscall.Kill(id.pid, syscall.SIGKILL)
			}
		}
		poll := stopPollFast
		if time.Since(began) > fastFor {
			poll = stopPollSlow
		}
		select {
		case <-done:
			return n
		case <-again:
			resend = true
		case <-time.After(poll):
		}
	}
}
