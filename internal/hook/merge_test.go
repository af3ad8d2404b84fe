package hook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/replicalab/replicalab/internal/nbclean"
)

// The merge scenarios run real `git merge` in temporary repositories with
// the drivers installed as `make hooks` installs them, on the real
// templates of notebooks/, with nbdime from the project's .venv.

// repoRoot is the replicalab checkout these tests run from.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// venvBin is a program of the project's .venv; without it the merge tests
// skip, unless REPLICALAB_REQUIRE_NBDIME is set (make test sets it).
func venvBin(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(repoRoot(), ".venv", "bin", name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("REPLICALAB_REQUIRE_NBDIME") != "" {
			t.Fatalf("expected %s (make venv installs nbdime from requirements.txt): %v", p, err)
		}
		t.Skipf("no %s: run make venv (set REPLICALAB_REQUIRE_NBDIME=1 to make this a failure)", p)
	}
	return p
}

// engine is how a merge repository merges notebooks: "replicalab" (what
// make hooks installs), "nbdime" (nbdime's own git driver, as `nbdime
// config-git --enable` would set it, here for this repository only) or
// "text" (git's line merge of the JSON).
type engine string

// newMergeRepo is a repository with the hook and the merge driver
// installed, the project's .venv reachable as <repo>/.venv (as in a
// checkout where make venv ran), and the templates committed on main.
func newMergeRepo(t testing.TB, eng engine, templates ...string) *testRepo {
	t.Helper()
	venv := filepath.Dir(filepath.Dir(venvBin(t, "nbmerge")))
	r := newRepo(t)
	if err := os.Symlink(venv, filepath.Join(r.dir, ".venv")); err != nil {
		t.Fatal(err)
	}
	r.write(".git/info/exclude", []byte(".venv\n"))
	r.run(0, hookBin, "install", "--binary", hookBin)
	switch eng {
	case "nbdime":
		r.git("config", "merge.ipynb.driver", filepath.Join(venv, "bin", "git-nbmergedriver")+" merge %O %A %B %L %P")
	case "text":
		r.git("config", "--remove-section", "merge.ipynb")
	}
	writeDotenv(r)
	for _, name := range templates {
		data, err := os.ReadFile(filepath.Join(repoRoot(), "notebooks", name))
		if err != nil {
			t.Fatal(err)
		}
		r.write("notebooks/"+name, data)
	}
	r.git("add", ".")
	r.commit(0, "templates")
	return r
}

// nbDoc is a notebook being edited by a scenario.
type nbDoc struct {
	t   testing.TB
	doc map[string]any
}

func (n *nbDoc) cells() []any { c, _ := n.doc["cells"].([]any); return c }
func (n *nbDoc) cell(i int) map[string]any {
	return n.cells()[i].(map[string]any)
}

// of lists the indexes of the cells of a type.
func (n *nbDoc) of(cellType string) []int {
	var out []int
	for i := range n.cells() {
		if typeOf(n.cell(i)) == cellType {
			out = append(out, i)
		}
	}
	if len(out) < 3 {
		n.t.Fatalf("expected at least 3 %s cells in the template, found %d", cellType, len(out))
	}
	return out
}
func (n *nbDoc) code(k int) int { return n.of("code")[k] }
func (n *nbDoc) md(k int) int   { return n.of("markdown")[k] }

func (n *nbDoc) src(i int) string { return sourceOf(n.cell(i)) }
func (n *nbDoc) setSrc(i int, s string) {
	n.cell(i)["source"] = s
}

// longest is the code cell with the most lines (at least 6).
func (n *nbDoc) longest() int {
	best := -1
	for _, i := range n.of("code") {
		if best < 0 || strings.Count(n.src(i), "\n") > strings.Count(n.src(best), "\n") {
			best = i
		}
	}
	if strings.Count(n.src(best), "\n") < 5 {
		n.t.Fatalf("expected a code cell of at least 6 lines in the template")
	}
	return best
}

// line is line k of cell i (negative k counts from the end).
func (n *nbDoc) line(i, k int) string {
	lines := strings.Split(n.src(i), "\n")
	if k < 0 {
		k += len(lines)
	}
	return lines[k]
}

// setLine replaces line k of cell i (negative k counts from the end).
func (n *nbDoc) setLine(i, k int, s string) {
	lines := strings.Split(n.src(i), "\n")
	if k < 0 {
		k += len(lines)
	}
	lines[k] = s
	n.setSrc(i, strings.Join(lines, "\n"))
}

func (n *nbDoc) insert(i int, c map[string]any) {
	cells := n.cells()
	n.doc["cells"] = append(cells[:i], append([]any{c}, cells[i:]...)...)
}
func (n *nbDoc) remove(i int) map[string]any {
	c := n.cell(i)
	cells := n.cells()
	n.doc["cells"] = append(cells[:i], cells[i+1:]...)
	return c
}
func (n *nbDoc) move(from, to int) { n.insert(to, n.remove(from)) }
func (n *nbDoc) tag(i int, tags ...string) {
	meta := n.cell(i)["metadata"].(map[string]any)
	old, _ := meta["tags"].([]any)
	for _, tg := range tags {
		if !slices.Contains(old, any(tg)) {
			old = append(old, tg)
		}
	}
	meta["tags"] = old
}
func (n *nbDoc) meta() map[string]any { return n.doc["metadata"].(map[string]any) }

func newCell(cellType, src string) map[string]any {
	return markerCell(cellType, src)
}

// scenario is one merge: a notebook edited on main (ours) and on a branch
// (theirs), then `git merge theirs` on main.
type scenario struct {
	name   string
	nb     string
	ours   func(*nbDoc)
	theirs func(*nbDoc)
	// noVerify commits that side without the hook, as a colleague without
	// make hooks would: "ours", "theirs" or "".
	noVerify string
	// want, when set: "merged" or "conflicted".
	want string
	// check looks at the result (the working copy after the merge).
	check func(t testing.TB, base, merged *nbDoc)
}

// fakePassword is the .env password of writeDotenv, as a scenario types it
// into a cell.
var leakedDSN = "postgres://" + dotenvUser + ":" + dotenvPassword + "@" + dotenvHost + ":5432/app"

func scenarios() []scenario {
	const nb5, nb6, nb3, nb7 = "5.0-start-simple.ipynb", "6.0-partial-results.ipynb", "3.0-investigate-visually.ipynb", "7.0-report.ipynb"
	hasSrc := func(t testing.TB, m *nbDoc, s string) {
		t.Helper()
		for i := range m.cells() {
			if strings.Contains(m.src(i), s) {
				return
			}
		}
		t.Errorf("the merged notebook has no cell containing %q", s)
	}
	count := func(t testing.TB, m *nbDoc, s string, want int) {
		t.Helper()
		n := 0
		for i := range m.cells() {
			n += strings.Count(m.src(i), s)
		}
		if n != want {
			t.Errorf("the merged notebook has %q %d times, expected %d", s, n, want)
		}
	}
	return []scenario{
		{name: "different cells edited", nb: nb5,
			ours:   func(n *nbDoc) { n.setSrc(n.md(1), n.src(n.md(1))+"\nOurs: a note.") },
			theirs: func(n *nbDoc) { n.setSrc(n.code(2), n.src(n.code(2))+"\n// theirs: a comment") },
			want:   "merged",
			check: func(t testing.TB, b, m *nbDoc) {
				hasSrc(t, m, "Ours: a note.")
				hasSrc(t, m, "// theirs: a comment")
			}},
		{name: "same cell, lines far apart", nb: nb5,
			ours:   func(n *nbDoc) { n.setLine(n.longest(), 0, n.line(n.longest(), 0)+" // ours, first line") },
			theirs: func(n *nbDoc) { n.setLine(n.longest(), -1, n.line(n.longest(), -1)+" // theirs, last line") },
			want:   "merged",
			check: func(t testing.TB, b, m *nbDoc) {
				hasSrc(t, m, "// ours, first line")
				hasSrc(t, m, "// theirs, last line")
			}},
		{name: "same line edited differently", nb: nb5,
			ours:   func(n *nbDoc) { n.setLine(n.code(1), 0, "// ours") },
			theirs: func(n *nbDoc) { n.setLine(n.code(1), 0, "// theirs") },
			want:   "conflicted",
			check: func(t testing.TB, b, m *nbDoc) {
				hasSrc(t, m, "// ours")
				hasSrc(t, m, "// theirs")
			}},
		{name: "same edit on both sides", nb: nb5,
			ours:   func(n *nbDoc) { n.setLine(n.code(1), 0, "// both") },
			theirs: func(n *nbDoc) { n.setLine(n.code(1), 0, "// both") },
			want:   "merged",
			check:  func(t testing.TB, b, m *nbDoc) { count(t, m, "// both", 1) }},
		{name: "cells added at different places", nb: nb5,
			ours:   func(n *nbDoc) { n.insert(2, newCell("code", "%%\nfmt.Println(\"ours\")")) },
			theirs: func(n *nbDoc) { n.insert(len(n.cells())-2, newCell("code", "%%\nfmt.Println(\"theirs\")")) },
			want:   "merged",
			check: func(t testing.TB, b, m *nbDoc) {
				count(t, m, `fmt.Println("ours")`, 1)
				count(t, m, `fmt.Println("theirs")`, 1)
				if len(m.cells()) != len(b.cells())+2 {
					t.Errorf("expected %d cells, found %d", len(b.cells())+2, len(m.cells()))
				}
			}},
		{name: "different cells added at the same place", nb: nb5,
			ours:   func(n *nbDoc) { n.insert(3, newCell("code", "%%\nfmt.Println(\"ours\")")) },
			theirs: func(n *nbDoc) { n.insert(3, newCell("markdown", "## Theirs\n\nA new section.")) },
			want:   "conflicted",
			check: func(t testing.TB, b, m *nbDoc) {
				hasSrc(t, m, `fmt.Println("ours")`)
				hasSrc(t, m, "A new section.")
			}},
		{name: "same cell added at the same place", nb: nb5,
			ours:   func(n *nbDoc) { n.insert(3, newCell("markdown", "## Same\n\nBoth wrote this.")) },
			theirs: func(n *nbDoc) { n.insert(3, newCell("markdown", "## Same\n\nBoth wrote this.")) },
			want:   "merged",
			check:  func(t testing.TB, b, m *nbDoc) { count(t, m, "Both wrote this.", 1) }},
		{name: "cells appended at the end on both sides", nb: nb6,
			ours:   func(n *nbDoc) { n.insert(len(n.cells()), newCell("code", "%%\nfmt.Println(\"ours at the end\")")) },
			theirs: func(n *nbDoc) { n.insert(len(n.cells()), newCell("code", "%%\nfmt.Println(\"theirs at the end\")")) },
			check: func(t testing.TB, b, m *nbDoc) {
				hasSrc(t, m, "ours at the end")
				hasSrc(t, m, "theirs at the end")
			}},
		{name: "cell deleted, another edited", nb: nb5,
			ours:   func(n *nbDoc) { n.remove(n.md(2)) },
			theirs: func(n *nbDoc) { n.setSrc(n.code(2), n.src(n.code(2))+"\n// theirs") },
			want:   "merged",
			check: func(t testing.TB, b, m *nbDoc) {
				hasSrc(t, m, "// theirs")
				if len(m.cells()) != len(b.cells())-1 {
					t.Errorf("expected %d cells, found %d", len(b.cells())-1, len(m.cells()))
				}
			}},
		{name: "cell deleted on one side, edited on the other", nb: nb5,
			ours:   func(n *nbDoc) { n.remove(n.md(2)) },
			theirs: func(n *nbDoc) { n.setSrc(n.md(2), n.src(n.md(2))+"\nTheirs: an edit of the deleted cell.") },
			check:  func(t testing.TB, b, m *nbDoc) { hasSrc(t, m, "Theirs: an edit of the deleted cell.") }},
		{name: "same cell deleted on both sides", nb: nb5,
			ours:   func(n *nbDoc) { n.remove(n.md(2)) },
			theirs: func(n *nbDoc) { n.remove(n.md(2)) },
			want:   "merged",
			check: func(t testing.TB, b, m *nbDoc) {
				if len(m.cells()) != len(b.cells())-1 {
					t.Errorf("expected %d cells, found %d", len(b.cells())-1, len(m.cells()))
				}
			}},
		{name: "cell moved, another edited", nb: nb6,
			ours:   func(n *nbDoc) { n.move(n.md(1), len(n.cells())-1) },
			theirs: func(n *nbDoc) { n.setSrc(n.code(2), n.src(n.code(2))+"\n// theirs") },
			check: func(t testing.TB, b, m *nbDoc) {
				hasSrc(t, m, "// theirs")
				count(t, m, strings.SplitN(b.src(b.md(1)), "\n", 2)[0], 1)
			}},
		{name: "cell moved on one side, edited on the other", nb: nb6,
			ours:   func(n *nbDoc) { n.move(n.md(1), len(n.cells())-1) },
			theirs: func(n *nbDoc) { n.setSrc(n.md(1), n.src(n.md(1))+"\nTheirs: an edit of the moved cell.") },
			check:  func(t testing.TB, b, m *nbDoc) { hasSrc(t, m, "Theirs: an edit of the moved cell.") }},
		{name: "tags on different cells", nb: nb6,
			ours:   func(n *nbDoc) { n.tag(n.code(2), "hide") },
			theirs: func(n *nbDoc) { n.tag(n.code(4), "show-code") },
			want:   "merged",
			check: func(t testing.TB, b, m *nbDoc) {
				if tags := fmt.Sprint(m.cell(m.code(2))["metadata"]); !strings.Contains(tags, "hide") {
					t.Errorf("our tag is lost: %s", tags)
				}
				if tags := fmt.Sprint(m.cell(m.code(4))["metadata"]); !strings.Contains(tags, "show-code") {
					t.Errorf("their tag is lost: %s", tags)
				}
			}},
		{name: "different tags on the same cell", nb: nb6,
			ours:   func(n *nbDoc) { n.tag(n.code(3), "hide") },
			theirs: func(n *nbDoc) { n.tag(n.code(3), "appendix") },
			want:   "conflicted",
			check: func(t testing.TB, b, m *nbDoc) {
				hasSrc(t, m, `"hide"`)
				hasSrc(t, m, `"appendix"`)
			}},
		{name: "notebook metadata on one side, a cell on the other", nb: nb7,
			ours:   func(n *nbDoc) { n.meta()["authors"] = []any{map[string]any{"name": "Ana"}} },
			theirs: func(n *nbDoc) { n.setSrc(n.md(1), n.src(n.md(1))+"\nTheirs.") },
			want:   "merged",
			check: func(t testing.TB, b, m *nbDoc) {
				hasSrc(t, m, "Theirs.")
				if !strings.Contains(fmt.Sprint(m.meta()["authors"]), "Ana") {
					t.Errorf("the notebook metadata lost our authors: %v", m.meta())
				}
			}},
		{name: "notebook metadata changed on both sides", nb: nb7,
			ours:   func(n *nbDoc) { n.meta()["authors"] = []any{map[string]any{"name": "Ana"}} },
			theirs: func(n *nbDoc) { n.meta()["authors"] = []any{map[string]any{"name": "Bo"}} },
			want:   "conflicted",
			check: func(t testing.TB, b, m *nbDoc) {
				hasSrc(t, m, "Ana")
				hasSrc(t, m, "Bo")
			}},
		{name: "keep_output cell with outputs on one side", nb: nb6,
			ours: func(n *nbDoc) {
				c := n.cell(n.code(1))
				n.tag(n.code(1), "keep_output")
				c["outputs"] = []any{map[string]any{"output_type": "display_data", "metadata": map[string]any{}, "data": map[string]any{"text/plain": "kept result: 42 orders"}}}
				c["execution_count"] = 7
			},
			theirs: func(n *nbDoc) { n.setSrc(n.md(0), n.src(n.md(0))+"\nTheirs.") },
			want:   "merged",
			check: func(t testing.TB, b, m *nbDoc) {
				hasSrc(t, m, "Theirs.")
				if !strings.Contains(compactJSON(m.cell(m.code(1))["outputs"]), "kept result: 42 orders") {
					t.Errorf("the keep_output cell lost its outputs: %s", compactJSON(m.cell(m.code(1))))
				}
			}},
		{name: "outputs committed without the hook on one side", nb: nb5, noVerify: "theirs",
			ours: func(n *nbDoc) { n.setSrc(n.md(0), n.src(n.md(0))+"\nOurs.") },
			theirs: func(n *nbDoc) {
				for _, i := range n.of("code") {
					n.cell(i)["outputs"] = []any{map[string]any{"output_type": "stream", "name": "stdout", "text": "rows of a customer table\n"}}
					n.cell(i)["execution_count"] = i
				}
				n.setSrc(n.code(2), n.src(n.code(2))+"\n// theirs")
			},
			want: "merged",
			check: func(t testing.TB, b, m *nbDoc) {
				hasSrc(t, m, "// theirs")
				if s := compactJSON(m.doc); strings.Contains(s, "rows of a customer table") {
					t.Errorf("outputs came back through the merge")
				}
			}},
		{name: "secret committed without the hook on one side", nb: nb5, noVerify: "theirs",
			ours:   func(n *nbDoc) { n.setSrc(n.md(0), n.src(n.md(0))+"\nOurs.") },
			theirs: func(n *nbDoc) { n.insert(2, newCell("code", "%%\ndsn := \""+leakedDSN+"\"\n_ = dsn")) },
			want:   "merged",
			check: func(t testing.TB, b, m *nbDoc) {
				hasSrc(t, m, "dsn := ")
				hasSrc(t, m, "<secret:")
				noSecretIn(t, "the merged notebook", compactJSON(m.doc))
			}},
		{name: "cell type changed, another edited", nb: nb7,
			ours:   func(n *nbDoc) { n.cell(n.md(2))["cell_type"] = "raw" },
			theirs: func(n *nbDoc) { n.setSrc(n.code(1), n.src(n.code(1))+"\n// theirs") },
			want:   "merged",
			check:  func(t testing.TB, b, m *nbDoc) { hasSrc(t, m, "// theirs") }},
		{name: "cell type changed on one side, edited on the other", nb: nb7,
			ours:   func(n *nbDoc) { n.cell(n.md(2))["cell_type"] = "raw" },
			theirs: func(n *nbDoc) { n.setSrc(n.md(2), n.src(n.md(2))+"\nTheirs: edited.") },
			check:  func(t testing.TB, b, m *nbDoc) { hasSrc(t, m, "Theirs: edited.") }},
		{name: "cell split in two, another edited", nb: nb3,
			ours: func(n *nbDoc) {
				i := n.md(1)
				lines := strings.Split(n.src(i), "\n")
				h := len(lines) / 2
				n.setSrc(i, strings.Join(lines[:h], "\n"))
				n.insert(i+1, newCell("markdown", strings.Join(lines[h:], "\n")))
			},
			theirs: func(n *nbDoc) { n.setSrc(n.code(3), n.src(n.code(3))+"\n// theirs") },
			check:  func(t testing.TB, b, m *nbDoc) { hasSrc(t, m, "// theirs") }},
		{name: "cells replaced on both sides (nbdime #597)", nb: nb3,
			ours: func(n *nbDoc) {
				i := n.md(2)
				n.remove(i)
				n.remove(i)
				n.insert(i, newCell("markdown", "## Ours replaces two cells"))
			},
			theirs: func(n *nbDoc) {
				i := n.md(4)
				n.remove(i)
				n.remove(i)
				n.insert(i, newCell("markdown", "## Theirs replaces two other cells"))
			},
			check: func(t testing.TB, b, m *nbDoc) {
				hasSrc(t, m, "Ours replaces two cells")
				hasSrc(t, m, "Theirs replaces two other cells")
			}},
		{name: "cell rewritten on one side, touched on the other", nb: nb5,
			ours: func(n *nbDoc) {
				n.setSrc(n.md(1), "## Rewritten by us\n\nNothing of the old text is left.")
			},
			theirs: func(n *nbDoc) { n.setSrc(n.md(1), n.src(n.md(1))+"\nTheirs: one more line.") },
			check: func(t testing.TB, b, m *nbDoc) {
				hasSrc(t, m, "Rewritten by us")
				hasSrc(t, m, "Theirs: one more line.")
			}},
		{name: "busy day: edits, additions and deletions on both sides", nb: nb3,
			ours: func(n *nbDoc) {
				n.setSrc(n.code(0), n.src(n.code(0))+"\n// ours 1")
				n.setSrc(n.md(3), n.src(n.md(3))+"\nOurs 2.")
				n.insert(n.md(5), newCell("code", "%%\nfmt.Println(\"ours 3\")"))
				n.remove(n.md(1))
			},
			theirs: func(n *nbDoc) {
				n.setSrc(n.code(4), n.src(n.code(4))+"\n// theirs 1")
				n.insert(n.md(2), newCell("markdown", "Theirs 2."))
				n.tag(n.code(2), "hide")
			},
			want: "merged",
			check: func(t testing.TB, b, m *nbDoc) {
				for _, s := range []string{"// ours 1", "Ours 2.", "ours 3", "// theirs 1", "Theirs 2."} {
					hasSrc(t, m, s)
				}
			}},
		{name: "keep_output cell run again on both sides", nb: nb6,
			ours: func(n *nbDoc) {
				n.tag(n.code(2), "keep_output")
				n.cell(n.code(2))["outputs"] = []any{map[string]any{"output_type": "stream", "name": "stdout", "text": "ours: 41 orders\n"}}
			},
			theirs: func(n *nbDoc) {
				n.tag(n.code(2), "keep_output")
				n.cell(n.code(2))["outputs"] = []any{map[string]any{"output_type": "stream", "name": "stdout", "text": "theirs: 42 orders\n"}}
			},
			check: func(t testing.TB, b, m *nbDoc) {
				out := compactJSON(m.cell(m.code(2))["outputs"])
				if !strings.Contains(out, "ours: 41") && !strings.Contains(out, "theirs: 42") {
					t.Errorf("the keep_output cell lost both outputs: %s", out)
				}
			}},
		{name: "notebook deleted on one side, edited on the other", nb: nb5,
			ours:   nil, // git rm
			theirs: func(n *nbDoc) { n.setSrc(n.md(0), n.src(n.md(0))+"\nTheirs.") },
			want:   "conflicted",
			check:  func(t testing.TB, b, m *nbDoc) { hasSrc(t, m, "Theirs.") }},
		{name: "notebook added on both sides", nb: "",
			ours: func(n *nbDoc) { n.setSrc(n.md(0), "# Ours: orders by region") },
			theirs: func(n *nbDoc) {
				n.setSrc(n.md(0), "# Theirs: orders by month")
			},
			check: func(t testing.TB, b, m *nbDoc) {
				hasSrc(t, m, "Ours: orders by region")
				hasSrc(t, m, "Theirs: orders by month")
			}},
	}
}

// mergeOutcome is what one scenario gave.
type mergeOutcome struct {
	name              string
	result            string // merged, conflicted, broken
	base, ours, their int    // cells
	merged            int    // cells in the result, -1 if it is not a notebook
	file              string // the result, copied for validation
	hookOutput        string
	lost              []string // contributed lines missing from the result
	repo              *testRepo
	path              string
}

// runScenario merges one scenario for real and returns what happened.
// prepared is a scenario's repository, ready for `git merge theirs` on
// main.
type prepared struct {
	r                *testRepo
	path             string
	baseRev, oursRev string
	tmplData         []byte
	out              mergeOutcome // cell counts filled in
}

func (p *prepared) load(t testing.TB, data []byte) *nbDoc {
	t.Helper()
	doc, err := decodeJSON(data)
	if err != nil {
		t.Fatalf("%s: %v", p.out.name, err)
	}
	return &nbDoc{t: t, doc: doc}
}

// prepareScenario commits the template, then the edits of each side on its
// branch.
func prepareScenario(t testing.TB, eng engine, sc scenario) *prepared {
	t.Helper()
	tmpl := sc.nb
	if tmpl == "" {
		tmpl = "5.0-start-simple.ipynb"
	}
	var r *testRepo
	path := "notebooks/" + tmpl
	if sc.nb == "" { // added on both sides: not in the common ancestor
		r = newMergeRepo(t, eng)
		path = "notebooks/8.0-shared-analysis.ipynb"
	} else {
		r = newMergeRepo(t, eng, tmpl)
	}
	tmplData, err := os.ReadFile(filepath.Join(repoRoot(), "notebooks", tmpl))
	if err != nil {
		t.Fatal(err)
	}
	load := func(data []byte) *nbDoc {
		doc, err := decodeJSON(data)
		if err != nil {
			t.Fatalf("%s: %v", sc.name, err)
		}
		return &nbDoc{t: t, doc: doc}
	}
	edit := func(branch string, f func(*nbDoc), noVerify bool) int {
		r.git("checkout", "-q", branch)
		if f == nil {
			r.git("rm", "-q", path)
			r.commit(0, branch+" deletes the notebook")
			return 0
		}
		var n *nbDoc
		if sc.nb == "" {
			n = load(tmplData)
		} else {
			n = load(r.read(path))
		}
		f(n)
		data, err := marshalJSON(n.doc)
		if err != nil {
			t.Fatal(err)
		}
		if !noVerify {
			// Saved as the hook commits it, so that the working copy is not
			// "modified" after the commit and git lets the merge run.
			if data, err = nbclean.Clean(data, nbclean.Options{}); err != nil {
				t.Fatal(err)
			}
		}
		r.write(path, data)
		r.git("add", path)
		args := []string{"commit", "-q", "-m", branch + " edits"}
		if noVerify {
			args = append(args, "--no-verify")
		}
		r.run(0, "git", args...)
		return len(n.cells())
	}
	out := mergeOutcome{name: sc.name, repo: r, path: path}
	if sc.nb != "" {
		out.base = len(load(r.read(path)).cells())
	}
	rev := func() string { return strings.TrimSpace(r.git("rev-parse", "HEAD")) }
	baseRev := rev()
	r.git("branch", "theirs")
	out.their = edit("theirs", sc.theirs, sc.noVerify == "theirs")
	out.ours = edit("main", sc.ours, sc.noVerify == "ours")
	return &prepared{r: r, path: path, baseRev: baseRev, oursRev: rev(), tmplData: tmplData, out: out}
}

// runScenario merges one scenario for real and returns what happened; with
// checks, the scenario's own checks run on the result.
func runScenario(t testing.TB, eng engine, sc scenario, keep string, checks bool) mergeOutcome {
	t.Helper()
	p := prepareScenario(t, eng, sc)
	r, path, baseRev, oursRev, tmplData, out := p.r, p.path, p.baseRev, p.oursRev, p.tmplData, p.out
	load := func(data []byte) *nbDoc { return p.load(t, data) }
	cmd := exec.Command("git", "merge", "--no-edit", "theirs")
	cmd.Dir, cmd.Env = r.dir, r.env
	var o bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &o
	err := cmd.Run()
	out.hookOutput = o.String()
	out.result = "merged"
	if err != nil {
		out.result = "conflicted"
	}
	data := r.read(path)
	out.file = filepath.Join(keep, fmt.Sprintf("%02d-%s.ipynb", len(sc.name), strings.NewReplacer(" ", "-", "/", "-", ",", "", ":", "", "(", "", ")", "", "#", "").Replace(sc.name)))
	if err := os.WriteFile(out.file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out.merged = -1
	m, err := decodeJSON(data)
	if err != nil {
		out.result = "broken"
		return out
	}
	merged := &nbDoc{t: t, doc: m}
	out.merged = len(merged.cells())
	// No loss: every line a side wrote, and every cell both sides kept, is
	// in the result.
	baseDoc := load(tmplData)
	if sc.nb != "" {
		baseDoc = load(r.show(baseRev + ":" + path))
	}
	var all strings.Builder
	for i := range merged.cells() {
		all.WriteString(merged.src(i) + "\n")
	}
	text := all.String()
	baseSet := map[string]bool{}
	baseLines := map[string]bool{}
	if sc.nb != "" {
		for i := range baseDoc.cells() {
			baseSet[cellKey(baseDoc.cell(i))] = true
			for _, l := range sourceLines(baseDoc.cell(i)) {
				baseLines[l] = true
			}
		}
	}
	for _, rev := range []string{oursRev, "theirs"} {
		if rev == oursRev && sc.ours == nil {
			continue
		}
		side := load(r.show(rev + ":" + path))
		for i := range side.cells() {
			if baseSet[cellKey(side.cell(i))] {
				continue
			}
			for _, l := range sourceLines(side.cell(i)) {
				if strings.Contains(l, dotenvPassword) {
					continue // replaced by a placeholder, by design
				}
				if !baseLines[l] && !strings.Contains(text, l) {
					out.lost = append(out.lost, rev+": "+l)
				}
			}
		}
	}
	if checks && sc.check != nil {
		sc.check(t, baseDoc, merged)
	}
	return out
}

// validate runs nbformat's validator (the project's .venv) on files and
// returns the error of each invalid one.
func validate(t testing.TB, files []string) map[string]string {
	t.Helper()
	script := `import json, sys, nbformat
out = {}
for f in sys.argv[1:]:
    try:
        with open(f, encoding="utf-8") as fh:
            nb = nbformat.reads(fh.read(), as_version=nbformat.NO_CONVERT)
        nbformat.validate(nb)
        if nb.nbformat != 4:
            raise ValueError("nbformat %d" % nb.nbformat)
    except Exception as e:
        out[f] = "%s: %s" % (type(e).__name__, str(e)[:300])
print(json.dumps(out))
`
	cmd := exec.Command(venvBin(t, "python"), append([]string{"-c", script}, files...)...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("nbformat validator: %v: %s", err, errb.String())
	}
	res := map[string]string{}
	if err := json.Unmarshal(outb, &res); err != nil {
		t.Fatalf("nbformat validator output %q: %v", outb, err)
	}
	return res
}

// TestMergeScenarios merges every scenario through the installed driver:
// no broken notebook, no line lost, a conflict only where both sides
// changed the same thing, the result clean and secret-free, and a conflict
// refused by make check-notebooks until it is resolved.
func TestMergeScenarios(t *testing.T) {
	keep := t.TempDir()
	scs := scenarios()
	done := make([]mergeOutcome, len(scs))
	t.Run("each", func(t *testing.T) {
		for i, sc := range scs {
			t.Run(strings.ReplaceAll(sc.name, " ", "_"), func(t *testing.T) {
				t.Parallel() // each in its own repository; nbdime's start-up dominates
				o := runScenario(t, "replicalab", sc, keep, true)
				done[i] = o
				if o.result == "broken" {
					t.Fatalf("the merge left a file that is not JSON:\n%s", o.hookOutput)
				}
				if sc.want != "" && o.result != sc.want {
					t.Errorf("expected %s, found %s:\n%s", sc.want, o.result, o.hookOutput)
				}
				if len(o.lost) > 0 {
					t.Errorf("lines lost by the merge (%s):\n  %s", o.result, strings.Join(o.lost, "\n  "))
				}
				checkAfterMerge(t, o)
			})
		}
	})
	var outs []mergeOutcome
	for _, o := range done {
		if o.file != "" {
			outs = append(outs, o)
		}
	}
	files := make([]string, len(outs))
	for i, o := range outs {
		files[i] = o.file
	}
	invalid := validate(t, files)
	var table strings.Builder
	fmt.Fprintf(&table, "%-58s | %-10s | base/ours/theirs -> merged | valid\n", "scenario", "result")
	totals := map[string]int{}
	for _, o := range outs {
		valid := "yes"
		if msg, bad := invalid[o.file]; bad {
			valid = "NO"
			t.Errorf("%s: the result is not a valid notebook: %s", o.name, msg)
			totals["broken"]++
		} else {
			totals[o.result]++
		}
		fmt.Fprintf(&table, "%-58s | %-10s | %2d/%2d/%2d -> %2d             | %s\n", o.name, o.result, o.base, o.ours, o.their, o.merged, valid)
	}
	fmt.Fprintf(&table, "totals: %d scenarios, %d merged without conflict, %d conflicted, %d broken", len(outs), totals["merged"], totals["conflicted"], totals["broken"])
	t.Log("\n" + table.String())
	if os.Getenv("MERGE_DEBUG") != "" {
		for _, o := range outs {
			t.Logf("=== %s (%s)\n%s", o.name, o.result, o.hookOutput)
			data, _ := os.ReadFile(o.file)
			if doc, err := decodeJSON(data); err == nil {
				for i, c := range cellList(doc) {
					t.Logf("  %2d %-8s %q", i, typeOf(c), strings.ReplaceAll(sourceOf(c), "\n", "|")[:min(110, len(sourceOf(c)))])
				}
			}
		}
	}
	if len(outs) < 20 {
		t.Errorf("expected at least 20 scenarios, ran %d", len(outs))
	}
}

// checkAfterMerge is what make check-notebooks says after a merge: a clean
// merge commits a clean notebook; a conflict is refused, with the notebook
// and its cells named, before and after git add, and so is the commit.
func checkAfterMerge(t *testing.T, o mergeOutcome) {
	t.Helper()
	r := o.repo
	if o.result == "merged" {
		r.run(0, hookBin, "pre-commit", "--check", "--all")
		noSecretIn(t, "the merge commit", string(r.show("HEAD:"+o.path)))
		return
	}
	_, msg := r.run(1, hookBin, "pre-commit", "--check", "--all")
	if !strings.Contains(msg, o.path) || !strings.Contains(msg, "not merged yet") {
		t.Errorf("check-notebooks before git add does not name the unmerged notebook:\n%s", msg)
	}
	r.git("add", o.path)
	if strings.Contains(o.hookOutput, "CONFLICT (modify/delete)") {
		// A conflict about the file, not its cells: git add (keeping the
		// edited notebook) resolves it.
		r.run(0, hookBin, "pre-commit", "--check", "--all")
		return
	}
	_, msg = r.run(1, hookBin, "pre-commit", "--check", "--all")
	if !strings.Contains(msg, o.path) || !strings.Contains(msg, "unresolved conflict") || !strings.Contains(msg, "cell ") {
		t.Errorf("check-notebooks after git add does not name the notebook and its conflicted cells:\n%s", msg)
	}
	if msg := r.commit(1, "merge without resolving"); !strings.Contains(msg, "unresolved conflict") {
		t.Errorf("the commit of an unresolved notebook was not refused for its conflicts:\n%s", msg)
	}
}
