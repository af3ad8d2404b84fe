package kernel

import "sort"

// proc is one live process: its pid, parent, session and start time (clock ticks since boot, where the
// system says; with the pid it tells a process from a later one given the same pid).
type proc struct {
	pid, ppid, sid int
	start          uint64
}

// descendants lists the processes below root (its children, their children, ...), the deepest first, so
// that a child is signalled before the parent that would otherwise leave it running as an orphan.
func descendants(root int) []proc {
	ps := processes()
	children := map[int][]proc{}
	for _, p := range ps {
		children[p.ppid] = append(children[p.ppid], p)
	}
	type found struct {
		p     proc
		depth int
	}
	var out []found
	level := children[root]
	for depth := 1; len(level) > 0; depth++ {
		var next []proc
		for _, p := range level {
			out = append(out, found{p, depth})
			next = append(next, children[p.pid]...)
		}
		level = next
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].depth > out[j].depth })
	list := make([]proc, len(out))
	for i, f := range out {
		list[i] = f.p
	}
	return list
}
