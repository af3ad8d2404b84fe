package hook

import (
	"strings"
	"testing"
)

func guardSide(cells ...[2]string) *side {
	var cs []any
	for _, c := range cells {
		cs = append(cs, markerCell(c[0], c[1]))
	}
	return &side{doc: map[string]any{"cells": cs, "metadata": map[string]any{}}}
}

func guardSources(doc map[string]any) []string {
	var out []string
	for _, c := range cellList(doc) {
		out = append(out, sourceOf(c))
	}
	return out
}

// TestGuardPutsBackDroppedCells: whatever a merge engine returns, a cell a
// side added, or that both sides kept, comes back marked as a conflict at
// its place; a cell both sides deleted, or one side deleted and the other
// left alone, stays deleted; a cell both sides edited and merged line by
// line counts as kept.
func TestGuardPutsBackDroppedCells(t *testing.T) {
	a, b, c, d := [2]string{"markdown", "# A"}, [2]string{"code", "x := 1\ny := 2"}, [2]string{"markdown", "C text"}, [2]string{"code", "z := 3"}
	base := guardSide(a, b, c, d)
	ours := guardSide(a, b, [2]string{"code", "added := true"}, c)     // adds a cell, deletes d
	theirs := guardSide(a, [2]string{"code", "x := 10\ny := 2"}, c, d) // edits b
	sides := [3]*side{base, ours, theirs}
	for _, tc := range []struct {
		name      string
		merged    *side
		restored  int
		wantInOrd []string // sources expected, in order (substring match)
	}{
		{"correct merge", guardSide(a, [2]string{"code", "x := 10\ny := 2"}, [2]string{"code", "added := true"}, c), 0,
			[]string{"# A", "x := 10", "added := true", "C text"}},
		{"added cell dropped", guardSide(a, [2]string{"code", "x := 10\ny := 2"}, c), 1,
			[]string{"# A", "x := 10", "<<<<<<< local: this cell was dropped", "added := true", "C text"}},
		{"kept cell dropped", guardSide(a, [2]string{"code", "x := 10\ny := 2"}, [2]string{"code", "added := true"}), 1,
			[]string{"# A", "x := 10", "added := true", "<<<<<<< local: this cell was dropped", "C text"}},
		{"edited cell dropped", guardSide(a, [2]string{"code", "added := true"}, c), 1,
			[]string{"# A", "added := true", "<<<<<<< remote: this cell was dropped", "x := 10", "C text"}},
		{"line merge of both edits", guardSide(a, [2]string{"code", "x := 10\ny := 2\nw := 0"}, [2]string{"code", "added := true"}, c), 0,
			[]string{"# A", "x := 10", "added := true", "C text"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := tc.merged.doc
			if n := restoreLostCells(doc, sides); n != tc.restored {
				t.Errorf("restored %d cells, expected %d:\n%q", n, tc.restored, guardSources(doc))
			}
			got := strings.Join(guardSources(doc), "\n---\n")
			at := 0
			for _, w := range tc.wantInOrd {
				i := strings.Index(got[at:], w)
				if i < 0 {
					t.Fatalf("expected %q (in this order) in the result:\n%s", w, got)
				}
				at += i + len(w)
			}
		})
	}
}

// TestGuardMarksStaleCopies: a cell one side moved and the other edited
// comes out of nbdime twice, old and new; the old copy is marked.
func TestGuardMarksStaleCopies(t *testing.T) {
	a, b, c := [2]string{"markdown", "# A"}, [2]string{"markdown", "B text"}, [2]string{"code", "z := 3"}
	base := guardSide(a, b, c)
	ours := guardSide(a, c, b)                                         // moves b to the end
	theirs := guardSide(a, [2]string{"markdown", "B text\nedited"}, c) // edits b
	merged := guardSide(a, [2]string{"markdown", "B text\nedited"}, c, b)
	if n := restoreLostCells(merged.doc, [3]*side{base, ours, theirs}); n != 1 {
		t.Fatalf("marked %d cells, expected the stale copy:\n%q", n, guardSources(merged.doc))
	}
	srcs := guardSources(merged.doc)
	if !strings.Contains(srcs[3], ">>>>>>> remote") || !strings.Contains(srcs[3], "remote edited, moved or deleted it") || strings.Contains(srcs[1], "<<<<<<<") {
		t.Errorf("expected the unchanged copy (last cell) marked, in red HTML for Markdown:\n%q", srcs)
	}
	if !strings.HasPrefix(srcs[3], `<span style="color:red"><b><<<<<<< local: `) {
		t.Errorf("a Markdown marker line should be red HTML around a raw marker: %q", srcs[3])
	}
}
