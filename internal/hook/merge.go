package hook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/replicalab/replicalab/internal/nbclean"
	"github.com/replicalab/replicalab/internal/secrets"
)

// The git merge driver for notebooks. git runs it for a notebook changed on
// both sides of a merge (and for rebases, cherry-picks, stash pops):
//
//	replicalab-hook merge BASE OURS THEIRS [MARKER_SIZE [PATH]]
//
// It leaves the result in OURS and exits 0 when the merge is clean, 1 when
// conflicts are left in the notebook (git then stops the merge), 2 when it
// could not run. The three versions are cleaned first and their positional
// cell ids dropped (the hook numbers ids 0, 1, ...: an inserted cell would
// change the id of every cell after it and nbdime would see conflicts
// everywhere), nbdime merges them cell by cell, and the result is then made
// safe: conflicts nbdime records only in metadata are written into the
// cells where JupyterLab shows them, a cell that disappeared without a
// conflict is put back as one, and the notebook is cleaned and scanned for
// secrets by the pre-commit hook's own code.

const (
	mergeDriver   = "ipynb" // merge.ipynb.* in git config, merge=ipynb in .gitattributes
	mergeAttrLine = "*.ipynb merge=ipynb"
	mergeComment  = "# git merge combines notebooks cell by cell (nbdime; driver installed by make hooks)"
	// The labels nbdime writes in its markers: local is the branch being
	// merged into (HEAD), remote the one being merged.
	labelLocal  = "local"
	labelRemote = "remote"
)

// mergeNotebook runs the merge driver and returns its exit code.
func mergeNotebook(ctx context.Context, dir string, args []string, stderr io.Writer) int {
	if len(args) < 3 || len(args) > 5 {
		return usageError(stderr, "merge expects BASE OURS THEIRS [MARKER_SIZE [PATH]] (git passes %O %A %B %L %P)")
	}
	base, ours, theirs := args[0], args[1], args[2]
	name := ours
	if len(args) == 5 && args[4] != "" {
		name = args[4]
	}
	say := func(format string, a ...any) {
		fmt.Fprintf(stderr, "replicalab-hook: %s: "+format+"\n", append([]any{name}, a...)...)
	}
	m := &merger{dir: dir, name: name}
	out, rep, err := m.merge(ctx, base, ours, theirs)
	if err != nil {
		say("cannot merge the notebook: %v\n  Your version is left as it was and the file is marked as conflicted. Take one side with\n  git checkout --ours (or --theirs) -- %q, or edit it, then git add it.", err, name)
		return 1
	}
	if err := writeFileAtomic(ours, out); err != nil {
		say("writing the merged notebook: %v", err)
		return 2
	}
	for _, s := range rep.stripped {
		say("%s: removed a secret that came in through the merge (%s: %s); the notebook has %s instead.", s.where, s.rule, s.redacted, s.placeholder)
	}
	if len(rep.stripped) > 0 {
		hint(stderr, []*result{{stripped: rep.stripped}})
	}
	if !rep.conflicted() {
		say("merged cell by cell (%d cells), outputs and secrets removed.", rep.cells)
		return 0
	}
	if len(rep.refused) > 0 {
		say("stopping the merge: the merged notebook holds %s that the pre-commit hook would refuse:", plural(len(rep.refused), "possible secret"))
		for _, s := range rep.refused {
			fmt.Fprintf(stderr, "  %s: %s: %s\n", s.where, s.rule, s.redacted)
			if s.advice != "" {
				fmt.Fprintf(stderr, "    %s\n", s.advice)
			}
		}
	}
	if rep.strictSecrets {
		say("stopping the merge for review (%s is true): check the placeholders above, then git add and commit.", ConfigStrict)
	}
	if rep.nbdimeOnly {
		say("nbdime reported a conflict it did not mark in the notebook; it is marked in a cell at the top.")
	}
	if rep.lost > 0 {
		say("%s the automatic merge would have dropped or duplicated silently: marked as conflicts.", plural(rep.lost, "cell"))
	}
	if len(rep.spots) > 0 {
		say("%s left in the notebook, marked inside the cells:", plural(conflictCount(rep.spots), "conflict"))
		describeConflicts(stderr, rep.spots)
		fmt.Fprint(stderr, resolveHelp(name))
	}
	return 1
}

// resolveHelp says how to resolve conflicts marked in a notebook.
func resolveHelp(name string) string {
	return `  To resolve, open the notebook in JupyterLab (it opens normally); "local" is your branch, "remote" the one
  you merge in. In a cell with "<<<<<<< local" / "=======" / ">>>>>>> remote" lines, keep what you want and
  delete those lines; red marker cells around whole cells: keep the cells you want, delete the marker cells.
  "<<<<<<< LOCAL CELL DELETED >>>>>>>" (or REMOTE): one side deleted the cell, the other edited it: delete
  the cell, or only that line to keep it. Metadata (tags...) on marker lines: set it in the property
  inspector, then delete the lines. Markers in outputs: run the cell again. Save, then:
  git add ` + strconv.Quote(name) + ` && git commit
  (make check-notebooks says what is left; git merge --abort gives up the merge)
`
}

// mergeReport is what a merge left for the user to see.
type mergeReport struct {
	cells         int
	spots         []conflictSpot // conflict markers in the result
	lost          int            // cells put back as conflicts
	nbdimeOnly    bool           // nbdime said conflict but marked none
	stripped      []stripped     // secrets replaced by placeholders
	refused       []stripped     // possible secrets the hook refuses rather than replaces
	strictSecrets bool           // strict mode: a secret stops the merge
}

func (r *mergeReport) conflicted() bool {
	return len(r.spots) > 0 || r.lost > 0 || r.nbdimeOnly || r.strictSecrets || len(r.refused) > 0
}

type merger struct {
	dir  string // where git runs the driver: the top of the work tree
	name string // the notebook's path in the repository
}

// side is one version of the notebook, cleaned, as JSON for nbdime.
type side struct {
	doc   map[string]any
	minor int
	empty bool // git gives an empty base when both sides added the file
}

func (m *merger) merge(ctx context.Context, basePath, oursPath, theirsPath string) ([]byte, *mergeReport, error) {
	r, err := openRepo(ctx, m.dir)
	if err != nil {
		return nil, nil, err
	}
	settings, err := loadSettings(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	nbmerge, err := findNbmerge(r.dir)
	if err != nil {
		return nil, nil, err
	}
	var sides [3]*side
	for i, p := range []string{basePath, oursPath, theirsPath} {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, err
		}
		if sides[i], err = prepareSide(data, settings.nb); err != nil {
			return nil, nil, fmt.Errorf("%s version is not a notebook nbdime can merge: %w", []string{"the common ancestor's", "your", "their"}[i], err)
		}
	}
	tmp, err := os.MkdirTemp("", "replicalab-merge-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	var files [3]string
	for i, s := range sides {
		files[i] = filepath.Join(tmp, []string{"base", "local", "remote"}[i]+".ipynb")
		var data []byte
		if !s.empty {
			if data, err = marshalJSON(s.doc); err != nil {
				return nil, nil, err
			}
		}
		if err := os.WriteFile(files[i], data, 0o600); err != nil {
			return nil, nil, err
		}
	}
	out := filepath.Join(tmp, "merged.ipynb")
	exe, args := nbmergeCommand(nbmerge)
	cmd := exec.CommandContext(ctx, exe, append(args, "--log-level", "ERROR", "--out", out, files[0], files[1], files[2])...)
	cmd.Dir = tmp
	var errb bytes.Buffer
	cmd.Stderr = &errb
	runErr := cmd.Run()
	merged, readErr := os.ReadFile(out)
	var ee *exec.ExitError
	switch {
	case runErr != nil && !errors.As(runErr, &ee), readErr != nil:
		// nbmerge writes its result only after merging: no file is a crash.
		return nil, nil, fmt.Errorf("nbdime (%s) failed: %v: %s", nbmerge, runErr, lastLines(errb.String(), 6))
	}
	nbdimeConflict := runErr != nil
	doc, err := decodeJSON(merged)
	if err != nil {
		return nil, nil, fmt.Errorf("nbdime wrote something that is not JSON: %w", err)
	}
	rep := &mergeReport{}
	minor := slices.Max([]int{sides[0].minor, sides[1].minor, sides[2].minor})
	doc["nbformat_minor"] = json.Number(strconv.Itoa(minor))
	repairCells(doc)
	visibleMetadataConflicts(doc)
	rep.lost = restoreLostCells(doc, sides)

	data, err := marshalJSON(doc)
	if err != nil {
		return nil, nil, err
	}
	res := check(entry{path: m.name}, data, func() (*secrets.Scanner, error) { return newScanner(r.dir) }, settings.nb, false)
	if res.err != nil {
		return nil, nil, fmt.Errorf("the merged notebook does not pass the hook: %w", res.err)
	}
	if len(res.findings) > 0 {
		return nil, nil, fmt.Errorf("the merged notebook holds %s the hook cannot remove from a notebook", plural(len(res.findings), "secret"))
	}
	if res.newData != nil {
		data = res.newData
	}
	rep.spots = res.conflicts
	rep.stripped = res.stripped
	rep.refused = res.refused
	rep.strictSecrets = settings.strict && len(res.stripped) > 0
	if cells, ok := doc["cells"].([]any); ok {
		rep.cells = len(cells)
	}
	if nbdimeConflict && len(rep.spots) == 0 && rep.lost == 0 {
		// Never a silent conflict: mark it where the user will look.
		rep.nbdimeOnly = true
		cells, _ := doc["cells"].([]any)
		doc["cells"] = append([]any{markerCell("markdown",
			markerLine("markdown", "<<<<<<< "+labelLocal+": nbdime reported a conflict in this notebook but did not mark where")+"\n"+
				markerLine("markdown", ">>>>>>> "+labelRemote+": compare the two versions (git diff HEAD MERGE_HEAD -- the notebook), fix it, then delete this cell"))}, cells...)
		if data, err = marshalJSON(doc); err != nil {
			return nil, nil, err
		}
		if data, err = nbclean.Clean(data, settings.nb); err != nil {
			return nil, nil, err
		}
		rep.spots = []conflictSpot{{cell: 0, field: "source", line: 1, open: true}}
	}
	return data, rep, nil
}

// hookSettings are the git configuration values that change how notebooks
// are cleaned and secrets handled, for the hook and the merge driver alike.
type hookSettings struct {
	nb     nbclean.Options
	strict bool
}

func loadSettings(ctx context.Context, r *repo) (hookSettings, error) {
	cfg, err := r.config(ctx, `^(replicalab\.hook\.|filter\.nbstripout\.)`)
	if err != nil {
		return hookSettings{}, err
	}
	s := hookSettings{strict: gitBool(cfg[ConfigStrict])}
	for _, v := range cfg[ConfigExtraKeys] {
		s.nb.ExtraKeys = append(s.nb.ExtraKeys, strings.Fields(v)...)
	}
	for _, v := range cfg[ConfigKeepMetadataKeys] {
		s.nb.KeepMetadataKeys = append(s.nb.KeepMetadataKeys, strings.Fields(v)...)
	}
	return s, nil
}

// findNbmerge finds nbdime's nbmerge: the project's .venv first (pinned in
// requirements.txt), then PATH.
func findNbmerge(top string) (string, error) {
	p := filepath.Join(top, ".venv", "bin", "nbmerge")
	if st, err := os.Stat(p); err == nil && !st.IsDir() {
		return p, nil
	}
	if p, err := exec.LookPath("nbmerge"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("expected nbdime's nbmerge in %s or on PATH, found none: run make venv (or make hooks)", filepath.Join(top, ".venv", "bin"))
}

// nbmergeCommand runs nbmerge's own Python with its entry point, keeping
// rfc3987-syntax from loading: jsonschema (through nbformat) imports it for a
// URI format check notebooks never use, and it builds a grammar at import
// that takes about 2 s of CPU, three quarters of a merge. Where the script
// names no Python, nbmerge runs as it is.
func nbmergeCommand(nbmerge string) (string, []string) {
	f, err := os.Open(nbmerge)
	if err == nil {
		defer f.Close()
		head := make([]byte, 512)
		n, _ := io.ReadFull(f, head)
		line, _, _ := strings.Cut(string(head[:n]), "\n")
		if py, ok := strings.CutPrefix(line, "#!"); ok && !strings.ContainsAny(strings.TrimSpace(py), " \t") {
			py = strings.TrimSpace(py)
			if st, err := os.Stat(py); err == nil && !st.IsDir() && strings.HasPrefix(filepath.Base(py), "python") {
				return py, []string{"-c", "import sys; sys.modules['rfc3987_syntax'] = None; from nbdime.nbmergeapp import main; sys.exit(main())"}
			}
		}
	}
	return nbmerge, nil
}

// prepareSide cleans one version the way the hook commits it and drops the
// positional cell ids, for nbdime.
func prepareSide(data []byte, opts nbclean.Options) (*side, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return &side{empty: true}, nil
	}
	clean, err := nbclean.Clean(data, opts)
	if err != nil {
		return nil, err
	}
	doc, err := decodeJSON(clean)
	if err != nil {
		return nil, err
	}
	s := &side{doc: doc, minor: jsonInt(doc["nbformat_minor"])}
	for _, c := range cellList(doc) {
		delete(c, "id")
	}
	if s.minor > 4 {
		doc["nbformat_minor"] = json.Number("4") // 4.4: cells without ids are valid
	}
	return s, nil
}

func decodeJSON(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, errors.New("expected a JSON object, found null")
	}
	return doc, nil
}

func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func jsonInt(v any) int {
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return int(i)
		}
	}
	return 0
}

func cellList(doc map[string]any) []map[string]any {
	arr, _ := doc["cells"].([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, c := range arr {
		if m, ok := c.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// sourceOf joins a cell's source (a string or a list of strings).
func sourceOf(c map[string]any) string { return nbclean.SourceText(c["source"]) }

func typeOf(c map[string]any) string { t, _ := c["cell_type"].(string); return t }

// repairCells gives every cell the keys its type requires and no other,
// whatever nbdime did with a cell whose type changed.
func repairCells(doc map[string]any) {
	for _, c := range cellList(doc) {
		if _, ok := c["metadata"].(map[string]any); !ok {
			c["metadata"] = map[string]any{}
		}
		c["source"] = sourceOf(c)
		if typeOf(c) == "code" {
			if _, ok := c["outputs"].([]any); !ok {
				c["outputs"] = []any{}
			}
			if _, ok := c["execution_count"]; !ok {
				c["execution_count"] = nil
			}
		} else {
			delete(c, "outputs")
			delete(c, "execution_count")
		}
		delete(c, "id") // numbered again by the cleaner
		// Tags are a set: both sides adding one must not repeat it.
		meta := c["metadata"].(map[string]any)
		if tags, ok := meta["tags"].([]any); ok {
			var uniq []any
			for _, tg := range tags {
				if !slices.Contains(uniq, tg) {
					uniq = append(uniq, tg)
				}
			}
			meta["tags"] = uniq
		}
	}
}

func markerCell(cellType, source string) map[string]any {
	c := map[string]any{"cell_type": cellType, "metadata": map[string]any{}, "source": source}
	if cellType == "code" {
		c["outputs"] = []any{}
		c["execution_count"] = nil
	}
	return c
}

// visibleMetadataConflicts moves the conflicts nbdime records in metadata
// ("nbdime-conflicts", invisible in JupyterLab unless one opens the
// metadata editor) to marker lines at the top of the cell's source, or to a
// marker cell at the top for the notebook's metadata. One rule then says
// whether a notebook is resolved: no marker line is left.
func visibleMetadataConflicts(doc map[string]any) {
	for _, c := range cellList(doc) {
		meta, _ := c["metadata"].(map[string]any)
		conf, ok := meta[nbdimeConflictsKey]
		if !ok {
			continue
		}
		delete(meta, nbdimeConflictsKey)
		lines := conflictLines(typeOf(c), "cell metadata", conf)
		src := sourceOf(c)
		if src != "" && !strings.HasPrefix(src, "\n") {
			lines += "\n"
		}
		c["source"] = lines + src
	}
	meta, _ := doc["metadata"].(map[string]any)
	if conf, ok := meta[nbdimeConflictsKey]; ok {
		delete(meta, nbdimeConflictsKey)
		cells, _ := doc["cells"].([]any)
		doc["cells"] = append([]any{markerCell("markdown", conflictLines("markdown", "notebook metadata", conf)+
			"\n\nSet the notebook's metadata as you want it (property inspector, Advanced Tools), then delete this cell.")}, cells...)
	}
}

const nbdimeConflictsKey = "nbdime-conflicts"

// conflictLines writes a metadata conflict as two marker lines.
func conflictLines(cellType, what string, conf any) string {
	m, _ := conf.(map[string]any)
	return markerLine(cellType, "<<<<<<< "+labelLocal+": "+what+": "+describeDiff(m["local_diff"])) + "\n" +
		markerLine(cellType, ">>>>>>> "+labelRemote+": "+what+": "+describeDiff(m["remote_diff"]))
}

// markerLine is a conflict marker line as it is written in a cell of that
// type: as is in code, in red in Markdown as nbdime writes its own marker
// cells (a bare ">>>>>>>" line would render as nested quotes).
func markerLine(cellType, line string) string {
	if cellType != "markdown" {
		return line
	}
	// The marker itself stays raw, as nbdime writes it ("<<" opens no tag).
	return `<span style="color:red"><b>` + line[:7] + html.EscapeString(line[7:]) + `</b></span>`
}

// describeDiff renders nbdime diff entries compactly: key=value for
// additions and replacements, key removed, key: (...) for nested changes.
func describeDiff(d any) string {
	entries, _ := d.([]any)
	var parts []string
	for _, e := range entries {
		op, _ := e.(map[string]any)
		key := compactJSON(op["key"])
		if s, ok := op["key"].(string); ok {
			key = s
		}
		switch op["op"] {
		case "add", "replace":
			parts = append(parts, key+"="+compactJSON(op["value"]))
		case "remove":
			parts = append(parts, key+" removed")
		case "patch":
			parts = append(parts, key+": ("+describeDiff(op["diff"])+")")
		case "addrange":
			parts = append(parts, "insert at "+key+": "+compactJSON(op["valuelist"]))
		case "removerange":
			parts = append(parts, "remove "+compactJSON(op["length"])+" at "+key)
		default:
			parts = append(parts, compactJSON(op))
		}
	}
	if len(parts) == 0 {
		return "no change"
	}
	s := strings.Join(parts, ", ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return strings.ReplaceAll(s, "\n", " ")
}

func compactJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSpace(b.String())
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
