package hook

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/replicalab/replicalab/internal/nbclean"
)

// conflictSpot is an unresolved merge conflict left in a notebook.
type conflictSpot struct {
	cell  int    // cell index, -1 for the notebook's metadata
	field string // "source", "outputs[0].text", "metadata"
	line  int    // 1-based line of the marker in that text, 0 for metadata
	open  bool   // a "<<<<<<<" line or a metadata conflict: one per conflict
}

// conflictCount is the number of conflicts the spots stand for: opening
// markers, or closing ones when only those are left.
func conflictCount(spots []conflictSpot) int {
	n := 0
	for _, s := range spots {
		if s.open {
			n++
		}
	}
	if n == 0 {
		return len(spots)
	}
	return n
}

// conflictMarker matches a conflict marker line: git's and nbdime's
// "<<<<<<< " and ">>>>>>> " lines, also inside the HTML nbdime puts in its
// marker cells. "=======" alone is not one: it underlines Markdown titles.
// nbdime's separator cell (the line wrapped in HTML) is one too.
var conflictMarker = regexp.MustCompile(`^(?:<[a-zA-Z][^<>]*>)*(?:<{7}|>{7})(?: |<|$)|^(?:<[a-zA-Z][^<>]*>)+={7}<`)

// notebookConflicts lists the merge conflicts left in a notebook: marker
// lines in cell sources and kept outputs, and conflicts nbdime recorded in
// metadata (nbdime-conflicts). Call it after Strip.
func notebookConflicts(nb *nbclean.Notebook) []conflictSpot {
	var spots []conflictSpot
	metaSeen := map[int]bool{}
	for _, t := range nb.Texts() {
		switch {
		case strings.HasPrefix(t.Field, "metadata."+nbdimeConflictsKey) || strings.Contains(t.Field, "."+nbdimeConflictsKey):
			if !metaSeen[t.Cell] {
				metaSeen[t.Cell] = true
				spots = append(spots, conflictSpot{cell: t.Cell, field: "metadata", open: true})
			}
		case t.Field == "source" || strings.HasPrefix(t.Field, "outputs"):
			for i, l := range strings.Split(t.Value, "\n") {
				if m := conflictMarker.FindString(l); m != "" {
					spots = append(spots, conflictSpot{cell: t.Cell, field: t.Field, line: i + 1, open: strings.Contains(m, "<<<<<<<")})
				}
			}
		}
	}
	return spots
}

// describeConflicts lists conflicts by cell, as JupyterLab numbers cells
// (from 1).
func describeConflicts(w io.Writer, spots []conflictSpot) {
	type key struct {
		cell  int
		field string
	}
	var order []key
	lines := map[key][]string{}
	for _, s := range spots {
		k := key{s.cell, s.field}
		if _, ok := lines[k]; !ok {
			order = append(order, k)
		}
		if s.line > 0 {
			lines[k] = append(lines[k], fmt.Sprint(s.line))
		} else {
			lines[k] = append(lines[k], "")
		}
	}
	for _, k := range order {
		where := fmt.Sprintf("cell %d", k.cell+1)
		if k.cell < 0 {
			where = "notebook"
		}
		at := ""
		if ls := strings.Join(lines[k], ", "); strings.Trim(ls, ", ") != "" {
			at = ", marker lines " + ls
		}
		fmt.Fprintf(w, "  %s: %s%s\n", where, k.field, at)
	}
}

// reportUnmerged tells, for each path a merge left unmerged in the index,
// what is left to resolve; it reports whether there was any.
func reportUnmerged(r *repo, paths []string, stderr io.Writer) bool {
	for _, p := range paths {
		fmt.Fprintf(stderr, "replicalab-hook: %q is not merged yet (a merge or rebase stopped on it)", p)
		data, err := os.ReadFile(filepath.Join(r.dir, filepath.FromSlash(p)))
		if err != nil || !strings.EqualFold(path.Ext(p), ".ipynb") {
			fmt.Fprintf(stderr, ": resolve it, then git add %q\n", p)
			continue
		}
		nb, err := nbclean.Parse(data)
		if err == nil {
			err = nb.Strip(nbclean.Options{})
		}
		if err != nil {
			fmt.Fprintf(stderr, ": it is not a notebook JupyterLab can open (%v). Take one side with git checkout --ours (or --theirs) -- %q, then git add it\n", err, p)
			continue
		}
		spots := notebookConflicts(nb)
		if len(spots) == 0 {
			fmt.Fprintf(stderr, ": no conflict marker is left in it; if it is as you want it: git add %q\n", p)
			continue
		}
		fmt.Fprintf(stderr, "; %s marked inside the cells:\n", plural(conflictCount(spots), "conflict"))
		describeConflicts(stderr, spots)
		fmt.Fprint(stderr, resolveHelp(p))
	}
	return len(paths) > 0
}
