// Package child starts the helpers' child processes (Graphviz's dot, rsvg-convert, pandoc, Python) so that
// none outlives the work it was started for: not the context (a cancelled call, an interrupted cell), and
// not the program itself, however it ends (an interrupt, a kernel restart, a crash, SIGKILL).
//
// On Linux a child gets the parent-death signal (SIGKILL as soon as the program dies: the kernel sends it,
// nothing in the program has to run) and a process group of its own, and the end of the context kills the
// whole group; Wait then returns within WaitDelay even if a grandchild holds the output pipes. Elsewhere the
// context kills the child.
//
// Chromium, started through chromedp, gets the same parent-death signal from chromedp itself, which also
// kills the browser's helper processes when its context ends.
package child

import (
	"context"
	"os/exec"
	"time"
)

// WaitDelay bounds how long Wait waits for a killed child's pipes to close.
const WaitDelay = 2 * time.Second

// Command is exec.CommandContext for a child that must die with the context and with the program.
func Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = WaitDelay
	setup(cmd)
	return cmd
}
