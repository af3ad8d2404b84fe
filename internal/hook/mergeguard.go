package hook

import (
	"strings"
)

// restoreLostCells checks that the merge kept every cell it had to keep and
// puts back, marked as a conflict, any cell that disappeared without one.
// nbdime accepts a deletion on one side when the other side did not touch
// the cell, and matches cells by similarity, which can drop or fold cells
// (nbdime issue #597); a merge must never lose a cell silently.
//
// Cells are compared by type and source. A cell must be in the result when
// both sides kept it unchanged, and when a side added it (or changed a cell
// into it), unless its content went into a cell that is in none of the three
// versions: a cell both sides edited, merged line by line or marked as a
// conflict, which holds every line the side wrote. It returns the number of
// cells put back.
func restoreLostCells(doc map[string]any, sides [3]*side) int {
	var B, L, R []map[string]any
	if !sides[0].empty {
		B = cellList(sides[0].doc)
	}
	L, R = cellList(sides[1].doc), cellList(sides[2].doc)
	M := cellList(doc)
	count := func(cells []map[string]any) map[string]int {
		n := map[string]int{}
		for _, c := range cells {
			n[cellKey(c)]++
		}
		return n
	}
	nB, nL, nR, nM := count(B), count(L), count(R), count(M)
	baseLines := map[string]bool{}
	for _, c := range B {
		for _, l := range sourceLines(c) {
			baseLines[l] = true
		}
	}
	// Cells of the result that none of the versions has: line merges and
	// conflict cells, which may hold a side's cell.
	var novel []map[string]bool
	for _, c := range M {
		if k := cellKey(c); nB[k] == 0 && nL[k] == 0 && nR[k] == 0 {
			set := map[string]bool{}
			for _, l := range sourceLines(c) {
				set[strings.TrimSpace(l)] = true
			}
			novel = append(novel, set)
		}
	}
	absorbed := func(lines []string) bool {
		for _, set := range novel {
			all := true
			for _, l := range lines {
				if !set[strings.TrimSpace(l)] {
					all = false
					break
				}
			}
			if all {
				return true
			}
		}
		return false
	}

	type lostCell struct {
		from  []map[string]any // the side it is taken from
		index int
		label string
	}
	var lost []lostCell
	seen := map[string]bool{}
	check := func(cells []map[string]any, label string) {
		for _, c := range cells {
			k := cellKey(c)
			if seen[k] {
				continue
			}
			seen[k] = true
			addL, addR := max(nL[k]-nB[k], 0), max(nR[k]-nB[k], 0)
			need := min(nB[k], nL[k], nR[k]) + max(addL, addR)
			missing := need - nM[k]
			if missing <= 0 {
				continue
			}
			// What must be found elsewhere: the lines the side wrote, or the
			// whole cell when it was kept unchanged on both sides.
			var want []string
			for _, l := range sourceLines(c) {
				if nB[k] > 0 || !baseLines[l] {
					want = append(want, l)
				}
			}
			if absorbed(want) {
				continue
			}
			// Put the missing copies back from the side that has them, in
			// the order of that side.
			from, fromLabel := cells, label
			if addR > addL {
				from, fromLabel = R, labelRemote
			} else if addL > 0 {
				from, fromLabel = L, labelLocal
			}
			for j := range from {
				if missing == 0 {
					break
				}
				if cellKey(from[j]) == k {
					lost = append(lost, lostCell{from: from, index: j, label: fromLabel})
					missing--
				}
			}
		}
	}
	check(L, labelLocal)
	check(R, labelRemote)
	cells, _ := doc["cells"].([]any)
	stale := markStaleCopies(cells, nB, nL, nR)
	if len(lost) == 0 {
		return stale
	}
	for _, lc := range lost {
		c := lc.from[lc.index]
		pos := anchorAfter(cells, lc.from, lc.index)
		restored := map[string]any{}
		for k, v := range c {
			restored[k] = v
		}
		t := typeOf(c)
		restored["source"] = markerLine(t, "<<<<<<< "+lc.label+": this cell was dropped by the automatic merge; it is kept here so that nothing is lost") + "\n" +
			sourceOf(c) + "\n" + markerLine(t, ">>>>>>> "+lc.label+": keep the cell (delete these two marker lines) or delete it")
		cells = append(cells[:pos], append([]any{restored}, cells[pos:]...)...)
	}
	doc["cells"] = cells
	return len(lost) + stale
}

// markStaleCopies marks the cells of the result that a side changed or
// deleted but that are still there unchanged, as a conflict: a cell moved on
// one side and edited on the other comes out twice otherwise, the old
// version and the edited one, without a word. By the three-way rule a
// cell's content is in the result base + (ours - base) + (theirs - base)
// times.
func markStaleCopies(cells []any, nB, nL, nR map[string]int) int {
	nM := map[string]int{}
	for _, c := range cells {
		if m, ok := c.(map[string]any); ok {
			nM[cellKey(m)]++
		}
	}
	marked := 0
	for i := len(cells) - 1; i >= 0; i-- { // the last copies are the extra ones
		m, ok := cells[i].(map[string]any)
		if !ok {
			continue
		}
		k := cellKey(m)
		want := max(0, nB[k]+(nL[k]-nB[k])+(nR[k]-nB[k]))
		if nB[k] == 0 || nM[k] <= want || strings.TrimSpace(sourceOf(m)) == "" {
			continue
		}
		nM[k]--
		kept, changed := labelLocal, labelRemote
		if nR[k] >= nB[k] {
			kept, changed = labelRemote, labelLocal
		}
		t := typeOf(m)
		m["source"] = markerLine(t, "<<<<<<< "+kept+": this cell is unchanged here, but "+changed+" edited, moved or deleted it; the merge kept both") + "\n" +
			sourceOf(m) + "\n" + markerLine(t, ">>>>>>> "+changed+": keep this copy (delete these two marker lines) or delete the cell")
		marked++
	}
	return marked
}

// anchorAfter is where to put back cell i of a side: just before the
// result's copy of the nearest following cell of that side, when it comes
// after the copy of the nearest preceding one (which the other side may
// have edited away), else just after that preceding copy, else at the top.
func anchorAfter(merged []any, from []map[string]any, i int) int {
	find := func(k string) int {
		for p, c := range merged {
			if m, ok := c.(map[string]any); ok && cellKey(m) == k {
				return p
			}
		}
		return -1
	}
	prev, next := -1, -1
	for j := i - 1; j >= 0 && prev < 0; j-- {
		prev = find(cellKey(from[j]))
	}
	for j := i + 1; j < len(from) && next < 0; j++ {
		next = find(cellKey(from[j]))
	}
	if next > prev {
		return next
	}
	return prev + 1
}

func cellKey(c map[string]any) string { return typeOf(c) + "\x00" + sourceOf(c) }

func sourceLines(c map[string]any) []string {
	src := sourceOf(c)
	if src == "" {
		return nil
	}
	return strings.Split(strings.TrimRight(src, "\n"), "\n")
}
