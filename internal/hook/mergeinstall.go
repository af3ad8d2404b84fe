package hook

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
)

// installMerge configures, in this repository's own git config (never the
// global one), the notebook merge driver: merge.ipynb.driver runs this
// program's merge command, and .gitattributes routes *.ipynb to it.
func installMerge(ctx context.Context, r *repo, binary string, stdout io.Writer) error {
	if _, err := r.git(ctx, nil, "config", "--local", "merge."+mergeDriver+".name", "Jupyter notebooks, merged cell by cell (nbdime) and cleaned by replicalab-hook"); err != nil {
		return err
	}
	if _, err := r.git(ctx, nil, "config", "--local", "merge."+mergeDriver+".driver", shellQuote(binary)+" merge %O %A %B %L %P"); err != nil {
		return err
	}
	added, err := ensureAttributes(filepath.Join(r.dir, ".gitattributes"), mergeAttrLine, mergeComment)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, "git merge combines notebooks cell by cell (merge.ipynb.driver)")
	if added {
		fmt.Fprintf(stdout, "; added %q to .gitattributes (commit it)", mergeAttrLine)
	}
	fmt.Fprintln(stdout)
	if p, err := findNbmerge(r.dir); err != nil {
		fmt.Fprintf(stdout, "warning: %v; until then notebook merges stop as conflicts and leave your version\n", err)
	} else {
		fmt.Fprintf(stdout, "notebook merges use %s\n", p)
	}
	return nil
}

// uninstallMerge removes the merge driver's configuration; the
// .gitattributes line stays (it is committed, and without a driver git
// merges notebooks as text again).
func uninstallMerge(ctx context.Context, r *repo) {
	_, _ = r.git(ctx, nil, "config", "--local", "--remove-section", "merge."+mergeDriver)
}
