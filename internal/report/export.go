package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/replicalab/replicalab/internal/child"

	"github.com/replicalab/replicalab/internal/atomicfile"
	"github.com/replicalab/replicalab/internal/numfmt"
	"github.com/replicalab/replicalab/internal/secrets"
)

// ExportOptions configure Export.
type ExportOptions struct {
	Notebook  string        // the .ipynb to export
	Out       string        // the .html to write; default <repo>/reports/<notebook name>.html
	Repo      string        // repository root (for .env, the questions log, git and the venv)
	Execute   bool          // run the notebook on the "Go (replica)" kernel first (the file is not modified)
	Timeout   time.Duration // per-cell timeout with Execute; default 10 minutes
	PDF       bool          // also print the report to PDF with headless Chromium
	Paper     Paper         // the PDF's paper; default A4
	Docx      bool          // also write a Word document (.docx, through pandoc) that people can comment on
	Check     bool          // measure the written report in Chromium (see CheckReport)
	Verify    bool          // run the query behind every figure and table again and flag changed numbers
	Tolerance float64       // Verify's relative tolerance; default provenance.DefaultTolerance
	Variant   *Variant      // parameter values to run the notebook with (implies Execute)
	Title     string
	Author    string
	EnvFile   string // another .env-style file whose values must not appear (those the helpers know always count)
	Questions string // questions log to append; default the first of QuestionLogs that exists
	Now       time.Time
}

// QuestionLogs are where the questions log is looked for, relative to the repository root.
var QuestionLogs = []string{"notebooks/questions.md", "questions.md"}

// SecretsError refuses a report that would carry a secret.
type SecretsError struct {
	Findings []secrets.Finding
}

func (e *SecretsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "report: refusing to write a report that contains %d secret(s); remove them from the notebook's outputs (or hide those cells) and export again:", len(e.Findings))
	for _, f := range e.Findings {
		fmt.Fprintf(&b, "\n  %s", f)
	}
	return b.String()
}

// Result says what Export wrote.
type Result struct {
	*Rendered
	HTMLPath, PDFPath, DocxPath string
	Checked                     *Checked      // with Check
	Verification                *Verification // with Verify
	Parameters                  []Param       // with a Variant
}

// Export reads (and optionally executes, with parameters) a notebook, renders the report, checks it for
// secrets and writes it, then the PDF and the .docx when asked. Nothing is written when a step before the
// HTML fails; a failing PDF or .docx step leaves the HTML written and says so.
func Export(ctx context.Context, o ExportOptions, log io.Writer) (*Result, error) {
	data, err := os.ReadFile(o.Notebook)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	nb, err := ParseNotebook(o.Notebook, data)
	if err != nil {
		return nil, err
	}
	var params []Param
	inject, after := "", -1
	if o.Variant != nil {
		idx, decls, err := parameterCell(nb)
		if err != nil {
			return nil, err
		}
		if params, inject, err = bind(decls, *o.Variant); err != nil {
			return nil, err
		}
		after = idx
	}
	if o.Execute || o.Variant != nil {
		what := ""
		if len(params) > 0 {
			var ps []string
			for _, p := range params {
				ps = append(ps, p.Name+"="+p.Value)
			}
			what = " with " + strings.Join(ps, " ")
		}
		fmt.Fprintf(log, "executing %s%s on the Go (replica) kernel...\n", o.Notebook, what)
		if nb, err = execute(ctx, o, data, inject, after); err != nil {
			return nil, err
		}
	}
	if !o.Execute && o.Variant == nil && neverRun(nb) {
		return nil, fmt.Errorf("report: %s has code cells but no outputs (saved without running, or as committed: the hook strips outputs); "+
			"expected a notebook run in JupyterLab and saved, or add EXECUTE=1 to run it now; nothing was written", o.Notebook)
	}
	questions, qpath, err := readQuestions(o)
	if err != nil {
		return nil, err
	}
	source, _ := filepath.Rel(o.Repo, o.Notebook)
	if source == "" || strings.HasPrefix(source, "..") {
		source = o.Notebook
	}
	doc := build(nb)
	opts := Options{Title: o.Title, Author: o.Author, Date: o.Now, Commit: gitVersion(ctx, o.Repo, o.Notebook),
		Source: source, Questions: questions, Parameters: params}
	if o.Verify {
		fmt.Fprintf(log, "running the queries behind %s again on the replica...\n", numfmt.Count(len(doc.sources), "figure or table", "figures and tables"))
		if opts.verification, err = verify(ctx, o, doc.sources); err != nil {
			return nil, err
		}
	}
	r := doc.render(opts)
	res := &Result{Rendered: r, HTMLPath: outPath(o), Verification: opts.verification, Parameters: params}
	var docxHTML []byte
	if o.Docx {
		if _, _, err := Pandoc(); err != nil {
			return nil, err
		}
		if docxHTML, err = docxSource(r.HTML); err != nil {
			return nil, err
		}
		res.DocxPath = strings.TrimSuffix(res.HTMLPath, filepath.Ext(res.HTMLPath)) + ".docx"
	}
	// The values the helpers know (every .env of the repository and above it, the connection
	// variables of the environment, .pgpass), plus EnvFile when given. The scan reads the report as
	// written and decoded: entities, text split by tags, SVG, and every base64 data URI.
	known, _, err := secrets.KnownValues(o.Repo)
	if err != nil {
		return nil, fmt.Errorf("report: preparing the secret scan: %w", err)
	}
	sc, err := secrets.NewScanner(o.EnvFile, secrets.Options{Known: known})
	if err != nil {
		return nil, fmt.Errorf("report: preparing the secret scan: %w", err)
	}
	if found := sc.Scan(filepath.Base(outPath(o)), r.HTML); len(found) > 0 {
		return nil, &SecretsError{Findings: found}
	}
	if found := sc.Scan(filepath.Base(res.DocxPath), docxHTML); len(found) > 0 { // what goes into the .docx
		return nil, &SecretsError{Findings: found}
	}
	if err := os.MkdirAll(filepath.Dir(res.HTMLPath), 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if err := writeAtomic(res.HTMLPath, r.HTML); err != nil {
		return nil, err
	}
	if qpath != "" {
		fmt.Fprintf(log, "appended the questions log %s\n", qpath)
	}
	if o.PDF || o.Check {
		b, err := newBrowser(ctx)
		if err != nil {
			return res, err
		}
		defer b.close()
		if o.PDF {
			paper := o.Paper
			if paper.Width == 0 {
				paper = A4
			}
			pdf, err := b.pdf(res.HTMLPath, paper)
			if err != nil {
				return res, fmt.Errorf("report: printing the PDF: %w", err)
			}
			res.PDFPath = strings.TrimSuffix(res.HTMLPath, filepath.Ext(res.HTMLPath)) + ".pdf"
			if err := writeAtomic(res.PDFPath, pdf); err != nil {
				return res, err
			}
		}
		if o.Check {
			if res.Checked, err = b.check(res.HTMLPath, nil); err != nil {
				return res, err
			}
		}
	}
	if o.Docx {
		if err := writeDocx(ctx, docxHTML, res.DocxPath); err != nil {
			path := res.DocxPath
			res.DocxPath = ""
			return res, fmt.Errorf("%w (the HTML was written; %s was not)", err, path)
		}
	}
	return res, nil
}

// ExportVariants writes one report per variant, as Export does for one, into files named after the
// notebook and the variant. Every variant's values are checked against the parameters cell before
// anything runs, so a bad value writes nothing.
func ExportVariants(ctx context.Context, o ExportOptions, variants []Variant, log io.Writer) ([]*Result, error) {
	data, err := os.ReadFile(o.Notebook)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	nb, err := ParseNotebook(o.Notebook, data)
	if err != nil {
		return nil, err
	}
	_, decls, err := parameterCell(nb)
	if err != nil {
		return nil, err
	}
	for _, v := range variants {
		if _, _, err := bind(decls, v); err != nil {
			return nil, err
		}
	}
	base := outPath(o)
	var out []*Result
	for _, v := range variants {
		vo := o
		vo.Variant = &v
		if len(variants) > 1 || v.Name != "" {
			name := v.Name
			if name == "" {
				name = variantName(v.Values)
			}
			vo.Out = strings.TrimSuffix(base, filepath.Ext(base)) + "-" + name + filepath.Ext(base)
		}
		res, err := Export(ctx, vo, log)
		if res != nil {
			out = append(out, res)
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func outPath(o ExportOptions) string {
	if o.Out != "" {
		return o.Out
	}
	name := strings.TrimSuffix(filepath.Base(o.Notebook), filepath.Ext(o.Notebook))
	return filepath.Join(o.Repo, "reports", name+".html")
}

func readQuestions(o ExportOptions) ([]byte, string, error) {
	if o.Questions != "" {
		b, err := os.ReadFile(o.Questions)
		if err != nil {
			return nil, "", fmt.Errorf("report: questions log: %w", err)
		}
		return b, o.Questions, nil
	}
	for _, rel := range QuestionLogs {
		p := filepath.Join(o.Repo, rel)
		if b, err := os.ReadFile(p); err == nil {
			return b, p, nil
		}
	}
	return nil, "", nil
}

// gitVersion describes the commit the notebook comes from, and whether it has uncommitted changes.
func gitVersion(ctx context.Context, repo, notebook string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", repo, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	v := "commit " + strings.TrimSpace(string(out))
	st, err := exec.CommandContext(ctx, "git", "-C", repo, "status", "--porcelain", "--", notebook).Output()
	if err == nil && len(bytes.TrimSpace(st)) > 0 {
		v += " (the notebook has uncommitted changes)"
	}
	return v
}

const executeScript = `
import sys, nbformat
from nbclient import NotebookClient
src, dst, cwd, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
nb = nbformat.read(src, as_version=4)
NotebookClient(nb, kernel_name="replicalab", timeout=timeout, resources={"metadata": {"path": cwd}}).execute()
nbformat.write(nb, dst)
`

// execute runs the notebook with nbclient from the project's venv, from the notebook's folder, on a
// temporary copy; the notebook file itself is left as it is. With inject, the copy gets a cell tagged
// injected-parameters holding it after cell number after (a previous run's injected cell is dropped).
func execute(ctx context.Context, o ExportOptions, data []byte, inject string, after int) (*Notebook, error) {
	py := filepath.Join(o.Repo, ".venv", "bin", "python")
	if _, err := os.Stat(py); err != nil {
		return nil, fmt.Errorf("report: running the notebook needs the project's Jupyter tooling at %s: run make kernel first", py)
	}
	if inject != "" {
		var err error
		if data, err = injectCell(data, inject, after); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "report-*")
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	defer os.RemoveAll(dir)
	src, dst := filepath.Join(dir, "in.ipynb"), filepath.Join(dir, "out.ipynb")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 10 * time.Minute
	}
	abs, _ := filepath.Abs(o.Notebook)
	cmd := child.Command(ctx, py, "-c", executeScript, src, dst, filepath.Dir(abs), fmt.Sprint(int(timeout.Seconds())))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := stderr.String()
		if i := strings.LastIndex(msg, "CellExecutionError"); i >= 0 {
			msg = msg[i:]
		} else if len(msg) > 4000 {
			msg = msg[len(msg)-4000:]
		}
		return nil, fmt.Errorf("report: executing %s failed (nothing was written): %w\n%s", o.Notebook, err, msg)
	}
	out, err := os.ReadFile(dst)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return ParseNotebook(o.Notebook+" (executed)", out)
}

// injectCell adds the injected-parameters cell after cell number after, keeping every other field of the
// notebook as it is.
func injectCell(data []byte, source string, after int) ([]byte, error) {
	var nb map[string]any
	if err := json.Unmarshal(data, &nb); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	cells, _ := nb["cells"].([]any)
	var out []any
	for i, c := range cells {
		if m, ok := c.(map[string]any); ok && hasTag(m, TagInjected) {
			continue
		}
		out = append(out, c)
		if i == after {
			out = append(out, map[string]any{"cell_type": "code", "execution_count": nil, "outputs": []any{},
				"metadata": map[string]any{"tags": []any{TagInjected}}, "source": source})
		}
	}
	nb["cells"] = out
	return json.Marshal(nb)
}

func hasTag(cell map[string]any, tag string) bool {
	md, _ := cell["metadata"].(map[string]any)
	tags, _ := md["tags"].([]any)
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}

func writeAtomic(path string, data []byte) error {
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

func execOutput(ctx context.Context, dir string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

// neverRun reports a notebook with code to run and not one output: its report would be empty.
func neverRun(nb *Notebook) bool {
	code := false
	for _, c := range nb.Cells {
		if c.Type != "code" || strings.TrimSpace(string(c.Source)) == "" {
			continue
		}
		if len(c.Outputs) > 0 {
			return false
		}
		code = true
	}
	return code
}
