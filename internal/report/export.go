package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

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
	HTMLPath, PDFPath string
}

// Export reads (and optionally executes) a notebook, renders the report, checks it for secrets and
// writes it. Nothing is written when any step fails.
func Export(ctx context.Context, o ExportOptions, log io.Writer) (*Result, error) {
	data, err := os.ReadFile(o.Notebook)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	nb, err := ParseNotebook(o.Notebook, data)
	if err != nil {
		return nil, err
	}
	if o.Execute {
		fmt.Fprintf(log, "executing %s on the Go (replica) kernel...\n", o.Notebook)
		if nb, err = execute(ctx, o); err != nil {
			return nil, err
		}
	}
	questions, qpath, err := readQuestions(o)
	if err != nil {
		return nil, err
	}
	source, _ := filepath.Rel(o.Repo, o.Notebook)
	if source == "" || strings.HasPrefix(source, "..") {
		source = o.Notebook
	}
	r, err := Render(nb, Options{
		Title: o.Title, Author: o.Author, Date: o.Now, Commit: gitVersion(ctx, o.Repo, o.Notebook),
		Source: source, Questions: questions,
	})
	if err != nil {
		return nil, err
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
	res := &Result{Rendered: r, HTMLPath: outPath(o)}
	if err := os.MkdirAll(filepath.Dir(res.HTMLPath), 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if err := writeAtomic(res.HTMLPath, r.HTML); err != nil {
		return nil, err
	}
	if qpath != "" {
		fmt.Fprintf(log, "appended the questions log %s\n", qpath)
	}
	if o.PDF {
		res.PDFPath = strings.TrimSuffix(res.HTMLPath, filepath.Ext(res.HTMLPath)) + ".pdf"
		if err := printPDF(ctx, res.HTMLPath, res.PDFPath); err != nil {
			return res, err
		}
	}
	return res, nil
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

// execute runs the notebook with nbclient from the project's venv, from the notebook's folder, into a
// temporary copy; the notebook file itself is left as it is.
func execute(ctx context.Context, o ExportOptions) (*Notebook, error) {
	py := filepath.Join(o.Repo, ".venv", "bin", "python")
	if _, err := os.Stat(py); err != nil {
		return nil, fmt.Errorf("report: --execute needs the project's Jupyter tooling at %s: run make kernel first", py)
	}
	tmp, err := os.CreateTemp("", "report-*.ipynb")
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 10 * time.Minute
	}
	abs, _ := filepath.Abs(o.Notebook)
	cmd := exec.CommandContext(ctx, py, "-c", executeScript, abs, tmp.Name(), filepath.Dir(abs), fmt.Sprint(int(timeout.Seconds())))
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
	data, err := os.ReadFile(tmp.Name())
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return ParseNotebook(o.Notebook+" (executed)", data)
}

// Chromium finds a headless-capable Chromium or Chrome.
func Chromium() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("report: PDF output needs Chromium (Debian/Ubuntu: apt-get install chromium)")
}

func printPDF(ctx context.Context, htmlPath, pdfPath string) error {
	bin, err := Chromium()
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(htmlPath)
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
		"--print-to-pdf="+pdfPath, "file://"+abs)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("report: printing the PDF with %s failed: %w\n%s", bin, err, out)
	}
	if st, err := os.Stat(pdfPath); err != nil || st.Size() == 0 {
		return fmt.Errorf("report: %s wrote no PDF at %s", bin, pdfPath)
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("report: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
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
