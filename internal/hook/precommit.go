package hook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/replicalab/replicalab/internal/nbclean"
	"github.com/replicalab/replicalab/internal/secrets"
)

// Git configuration keys read by the hook.
const (
	ConfigStrict = "replicalab.hook.strict" // true: refuse notebook secrets instead of stripping them
	// nbstripout's keys, honoured so that teams mixing both tools get the same result.
	ConfigExtraKeys        = "filter.nbstripout.extrakeys"
	ConfigKeepMetadataKeys = "filter.nbstripout.keepmetadatakeys"
)

// checkOptions selects what a pre-commit run looks at and does.
type checkOptions struct {
	check  bool     // report only, change nothing; non-zero if anything is dirty or secret
	all    bool     // every file in the index, not only staged changes
	strict bool     // refuse notebook secrets instead of stripping them
	paths  []string // only these paths (as the pre-commit framework passes them)
}

// forbiddenFile reports files that must never be committed, anywhere in
// the tree: .env, .env.* (except the examples), *.env and .pgpass files.
func forbiddenFile(p string) bool {
	return secrets.IsEnvFile(p) || secrets.IsPassFile(p)
}

// stripped is one secret removed from a notebook.
type stripped struct {
	at          int    // offset in the notebook's scanned text, for ordering
	where       string // "cell 3, line 2 (source)"
	rule        string
	variable    string
	redacted    string
	placeholder string
	advice      string // why it is refused rather than replaced, and the fix
}

type result struct {
	e         entry
	newData   []byte // the clean notebook, when it differs from the staged one
	err       error  // the notebook cannot be read
	findings  []secrets.Finding
	stripped  []stripped
	refusedN  []stripped     // notebook secrets refused in strict mode
	refused   []stripped     // notebook findings never rewritten: generic rules, base64 data
	conflicts []conflictSpot // merge conflicts left in a notebook
}

// precommit is the hook proper: it returns the exit code.
func precommit(ctx context.Context, dir string, opts checkOptions, stderr io.Writer) int {
	say := func(format string, args ...any) { fmt.Fprintf(stderr, "replicalab-hook: "+format+"\n", args...) }
	r, err := openRepo(ctx, dir)
	if err != nil {
		say("%v", err)
		return 2
	}
	settings, err := loadSettings(ctx, r)
	if err != nil {
		say("%v", err)
		return 2
	}
	// Loading gitleaks' rules takes a few tens of milliseconds: overlap it
	// with listing and reading the staged files.
	scanner := sync.OnceValues(func() (*secrets.Scanner, error) { return newScanner(r.dir) })
	go scanner()
	opts.strict = opts.strict || settings.strict

	todo, failed, err := toCheck(ctx, r, opts, say, stderr)
	if err != nil {
		say("%v", err)
		return 2
	}
	if len(todo) == 0 {
		if failed {
			if !opts.check {
				say("commit refused; nothing was changed in the index.")
			}
			return 1
		}
		return 0
	}
	results, err := process(ctx, r, todo, scanner, settings.nb, opts.strict)
	if err != nil {
		say("reading the staged files: %v", err)
		return 2
	}
	if _, err := scanner(); err != nil {
		say("%v", err)
		return 2
	}

	rewrite, refused := reportRefusals(results, say, stderr)
	if failed || refused {
		hint(stderr, results)
		if !opts.check {
			say("commit refused; nothing was changed in the index.")
		}
		return 1
	}
	if opts.check {
		return reportUnclean(rewrite, say)
	}
	if len(rewrite) == 0 {
		return 0
	}
	if err := stageClean(ctx, r, rewrite); err != nil {
		say("%v", err)
		return 2
	}
	reportCleaned(rewrite, say, stderr)
	return 0
}

// toCheck lists the files to check (staged, or in the index with --all or paths), refusing the
// .env files among them; failed says whether any was refused (or left unmerged).
func toCheck(ctx context.Context, r *repo, opts checkOptions, say func(string, ...any), stderr io.Writer) (todo []entry, failed bool, err error) {
	var es []entry
	var unmerged []string
	switch {
	case len(opts.paths) > 0 || opts.all:
		es, unmerged, err = r.indexEntries(ctx, opts.paths)
	default:
		es, err = r.stagedEntries(ctx)
	}
	if err != nil {
		return nil, false, err
	}
	failed = reportUnmerged(r, unmerged, stderr)
	for _, e := range es {
		if forbiddenFile(e.path) {
			say("refusing to commit %q: .env files hold the connection settings and never go to git (only .env.example does).\n  Unstage it with: git rm --cached %q", e.path, e.path)
			failed = true
			continue
		}
		if e.regular() {
			todo = append(todo, e)
		}
	}
	return todo, failed, nil
}

// reportRefusals says why each refused file is refused; it returns the files to commit cleaned
// and whether any was refused.
func reportRefusals(results []*result, say func(string, ...any), stderr io.Writer) (rewrite []*result, failed bool) {
	for _, res := range results {
		switch {
		case res.err != nil:
			say("refusing to commit %q: %v\n  Nothing was changed. Fix the file (or git restore --staged it) and commit again.", res.e.path, res.err)
			failed = true
		case len(res.findings) > 0:
			failed = true
			say("refusing to commit %q: it contains %s", res.e.path, plural(len(res.findings), "secret"))
			for _, f := range res.findings {
				if f.Line == 0 {
					fmt.Fprintf(stderr, "  %s: %s (%s)\n", f.File, f.Rule, f.Description)
					continue
				}
				fmt.Fprintf(stderr, "  %s:%d: %s: %s\n", f.File, f.Line, f.Rule, f.Redacted)
			}
		case len(res.conflicts) > 0:
			failed = true
			say("refusing to commit %q: %s of a merge left in it (marked inside the cells):", res.e.path, plural(conflictCount(res.conflicts), "unresolved conflict"))
			describeConflicts(stderr, res.conflicts)
			fmt.Fprint(stderr, resolveHelp(res.e.path))
		case len(res.refused) > 0:
			failed = true
			say("refusing to commit %q: %s", res.e.path, plural(len(res.refused)+len(res.refusedN), "possible secret"))
			for _, s := range append(slices.Clone(res.refused), res.refusedN...) {
				fmt.Fprintf(stderr, "  %s: %s: %s: %s\n", res.e.path, s.where, s.rule, s.redacted)
				if s.advice != "" {
					fmt.Fprintf(stderr, "    %s\n", s.advice)
				}
			}
		case len(res.refusedN) > 0:
			failed = true
			say("refusing to commit %q (strict mode): its cells contain %s", res.e.path, plural(len(res.refusedN), "secret"))
			for _, s := range res.refusedN {
				fmt.Fprintf(stderr, "  %s: %s: %s: %s\n", res.e.path, s.where, s.rule, s.redacted)
			}
		}
		if res.err == nil && res.newData != nil {
			rewrite = append(rewrite, res)
		}
	}
	return rewrite, failed
}

// reportUnclean is --check's verdict: 1 when the hook would change a notebook.
func reportUnclean(rewrite []*result, say func(string, ...any)) int {
	for _, res := range rewrite {
		say("%q is not clean: %s", res.e.path, describeChange(res))
	}
	if len(rewrite) > 0 {
		say("%s would be changed by the hook: run `replicalab-hook pre-commit --all` (or commit with the hook installed)", plural(len(rewrite), "notebook"))
		return 1
	}
	return 0
}

// stageClean puts the cleaned notebooks in the index in place of the staged ones.
func stageClean(ctx context.Context, r *repo, rewrite []*result) error {
	contents := make([][]byte, len(rewrite))
	for i, res := range rewrite {
		contents[i] = res.newData
	}
	oids, err := r.writeBlobs(ctx, contents)
	if err != nil {
		return err
	}
	upd := make([]entry, len(rewrite))
	for i, res := range rewrite {
		upd[i] = entry{mode: res.e.mode, oid: oids[i], path: res.e.path}
	}
	return r.updateIndex(ctx, upd)
}

// reportCleaned says which notebooks go to the commit cleaned, and which secrets were replaced.
func reportCleaned(rewrite []*result, say func(string, ...any), stderr io.Writer) {
	if len(rewrite) == 1 {
		say("committing a clean copy of 1 notebook (outputs, execution counts and volatile metadata removed); the working copy keeps its outputs:")
	} else {
		say("committing clean copies of %d notebooks (outputs, execution counts and volatile metadata removed); the working copies keep their outputs:", len(rewrite))
	}
	for _, res := range rewrite {
		fmt.Fprintf(stderr, "  %s\n", res.e.path)
	}
	for _, res := range rewrite {
		for _, s := range res.stripped {
			say("%s: %s: removed a secret (%s: %s); the commit has %s instead.", res.e.path, s.where, s.rule, s.redacted, s.placeholder)
		}
	}
	hint(stderr, rewrite)
}

func describeChange(res *result) string {
	if len(res.stripped) > 0 {
		return "outputs and volatile metadata removed, " + plural(len(res.stripped), "secret") + " replaced by a placeholder"
	}
	return "outputs, execution counts and volatile metadata removed"
}

// hint says how to load a secret properly, once, when any was met.
func hint(w io.Writer, results []*result) {
	var vars []string
	any := false
	for _, res := range results {
		for _, s := range append(append(slices.Clone(res.stripped), res.refusedN...), res.refused...) {
			any = true
			if s.variable != "" {
				vars = append(vars, s.variable)
			}
		}
		for _, f := range res.findings {
			any = true
			if f.Variable != "" {
				vars = append(vars, f.Variable)
			}
		}
	}
	if !any {
		return
	}
	name := "RDS_PASSWORD"
	if len(vars) > 0 {
		name = vars[0]
		for _, v := range vars {
			if secretName.MatchString(v) {
				name = v
				break
			}
		}
	}
	fmt.Fprintf(w, `replicalab-hook: keep secrets in .env (never committed) and load them at run time with the config helper:
    import "github.com/replicalab/replicalab/helpers/config"
    cfg, err := config.Load()              // environment, then .env found walking up
    v, err := cfg.Get(%q)
  In a GoNB notebook use that instead of %%env lines or literals. A false positive of a pattern rule can be
  allowed with a "gitleaks:allow" comment on its line (a value of your .env or .pgpass cannot).
`, name)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// newScanner builds the secret scanner for a repository: every value the
// helpers could read a secret from (secrets.KnownValues: .env files in the
// tree and above it, the connection variables of the environment, .pgpass),
// gitleaks' rules and the built-in ones.
func newScanner(top string) (*secrets.Scanner, error) {
	vals, _, err := secrets.KnownValues(top)
	if err != nil {
		return nil, err
	}
	return secrets.NewScanner("", secrets.Options{Known: vals})
}

// process reads the staged files and checks them, in parallel. A file whose
// working copy hashes to the staged blob is read from the work tree (no
// inflating); the others come from `git cat-file`.
func process(ctx context.Context, r *repo, es []entry, sc func() (*secrets.Scanner, error), nbOpts nbclean.Options, strict bool) ([]*result, error) {
	results := make([]*result, len(es))
	workers := max(1, runtime.GOMAXPROCS(0))
	type job struct {
		i    int
		data []byte // nil: try the work tree first
	}
	var (
		mu      sync.Mutex
		missing []int
		wg      sync.WaitGroup
	)
	run := func(jobs <-chan job) {
		defer wg.Done()
		for j := range jobs {
			data := j.data
			if data == nil {
				var ok bool
				if data, ok = r.worktreeBlob(es[j.i]); !ok {
					mu.Lock()
					missing = append(missing, j.i)
					mu.Unlock()
					continue
				}
			}
			results[j.i] = check(es[j.i], data, sc, nbOpts, strict)
		}
	}
	jobs := make(chan job)
	for range workers {
		wg.Add(1)
		go run(jobs)
	}
	for i := range es {
		jobs <- job{i: i}
	}
	close(jobs)
	wg.Wait()
	if len(missing) == 0 {
		return results, nil
	}
	slices.Sort(missing)
	jobs = make(chan job, workers)
	for range workers {
		wg.Add(1)
		go run(jobs)
	}
	oids := make([]string, len(missing))
	for k, i := range missing {
		oids[k] = es[i].oid
	}
	err := r.readBlobs(ctx, oids, workers, func(k int, data []byte) error {
		if data == nil {
			data = []byte{}
		}
		jobs <- job{i: missing[k], data: data}
		return nil
	})
	close(jobs)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	return results, nil
}

// check cleans and scans one staged file.
func check(e entry, data []byte, scanner func() (*secrets.Scanner, error), nbOpts nbclean.Options, strict bool) *result {
	res := &result{e: e}
	if !strings.EqualFold(path.Ext(e.path), ".ipynb") {
		if sc, err := scanner(); err == nil { // an error stops the run after process
			res.findings = sc.Scan(e.path, data)
		}
		return res
	}
	nb, err := nbclean.Parse(data)
	if err != nil {
		res.err = err
		return res
	}
	if err := nb.Strip(nbOpts); err != nil {
		res.err = err
		return res
	}
	res.conflicts = notebookConflicts(nb)
	sc, err := scanner()
	if err != nil {
		return res
	}
	scanNotebook(res, nb, sc, strict)
	out, err := nb.Bytes()
	if err != nil {
		res.err = err
		return res
	}
	if !bytes.Equal(out, data) {
		res.newData = out
	}
	return res
}

var secretName = regexp.MustCompile(`(?i)PASS|PWD|SECRET|TOKEN|KEY`)
