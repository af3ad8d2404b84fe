package explore_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/replicalab/replicalab/helpers/explore"
)

// denseGraph is a graph Graphviz takes minutes to lay out: 300 tables, 3,000 links.
func denseGraph() *explore.Graph {
	r := rand.New(rand.NewPCG(1, 2))
	g := &explore.Graph{}
	for i := 0; i < 300; i++ {
		g.Nodes = append(g.Nodes, explore.Node{Table: fmt.Sprintf("s.t%03d", i), Estimate: -1, Keys: []string{"id"}})
	}
	for i := 0; i < 3000; i++ {
		from, to := g.Nodes[r.IntN(300)].Table, g.Nodes[r.IntN(300)].Table
		g.Edges = append(g.Edges, explore.Edge{Name: fmt.Sprintf("fk%d", i), From: from, To: to, Columns: []string{fmt.Sprintf("c%d_id", i)}, RefColumns: []string{"id"}})
	}
	return g
}

// TestInterruptedDiagramLeavesNoDot: a cell drawing a diagram Graphviz takes minutes over is interrupted
// (SIGINT, as GoNB does) or killed (a kernel restart): the dot it started is gone at once, checked by its
// PID.
func TestInterruptedDiagramLeavesNoDot(t *testing.T) {
	if os.Getenv("EXPLORE_TEST_CELL") != "" {
		// The cell: draw the dense graph, waiting for Graphviz as long as it takes.
		g := denseGraph()
		fmt.Println(len(g.DOT()))
		_, err := g.DotSVG(t.Context())
		fmt.Println("dot ended:", err)
		os.Exit(0)
	}
	if _, err := exec.LookPath("dot"); err != nil {
		t.Skip("Graphviz is not installed")
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			cell := exec.Command(os.Args[0], "-test.run=^TestInterruptedDiagramLeavesNoDot$")
			cell.Env = append(os.Environ(), "EXPLORE_TEST_CELL=1")
			out, err := cell.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cell.Start(); err != nil {
				t.Fatal(err)
			}
			defer cell.Process.Kill()
			if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
				t.Fatal(err)
			}
			var dot int
			deadline := time.Now().Add(20 * time.Second)
			for dot == 0 {
				if time.Now().After(deadline) {
					t.Fatal("the cell started no dot")
				}
				dot = childNamed(cell.Process.Pid, "dot")
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond) // dot is at work
			if !running(dot) {
				t.Fatalf("dot (pid %d) ended by itself: the graph is not dense enough to test anything", dot)
			}
			if err := cell.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			_ = cell.Wait()
			for end := time.Now().Add(3 * time.Second); running(dot); time.Sleep(20 * time.Millisecond) {
				if time.Now().After(end) {
					_ = syscall.Kill(dot, syscall.SIGKILL)
					t.Fatalf("after %s to the cell, its dot (pid %d) still runs", sig, dot)
				}
			}
		})
	}
}

// childNamed returns the PID of a child of parent running the program name, or 0.
func childNamed(parent int, name string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(stat)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		fields := strings.Fields(s[close+1:])
		if s[open+1:close] == name && len(fields) > 1 && fields[1] == strconv.Itoa(parent) {
			return pid
		}
	}
	return 0
}

// running reports whether pid is a live process (not a zombie).
func running(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}
