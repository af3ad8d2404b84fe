package report

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/replicalab/replicalab/internal/kernelspec"
)

const usage = `usage: go run ./scripts/report [flags] NOTEBOOK.ipynb

Writes reports/<notebook>.html: a self-contained page (Markdown rendered, code hidden, charts and tables
embedded, a header with author, date, commit and the data's freshness, a table of contents, the questions
log as an appendix). It refuses to write a report that contains a secret.

flags:
`

// Run is the report command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var o ExportOptions
	fs.StringVar(&o.Out, "out", "", "HTML file to write (default reports/<notebook>.html)")
	fs.BoolVar(&o.Execute, "execute", false, "run the notebook on the Go (replica) kernel first (the .ipynb is not changed)")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "per-cell timeout with --execute")
	fs.BoolVar(&o.PDF, "pdf", false, "also write a PDF next to the HTML (needs Chromium)")
	fs.StringVar(&o.Title, "title", "", "title (default: notebook metadata, else its first heading)")
	fs.StringVar(&o.Author, "author", "", "author (default: notebook metadata, else git config user.name)")
	fs.StringVar(&o.Questions, "questions", "", "questions log to append (default: notebooks/questions.md if present)")
	fs.StringVar(&o.EnvFile, "env-file", "", "the .env whose values must not appear (default <repo>/.env)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	o.Notebook = fs.Arg(0)
	if filepath.Ext(o.Notebook) != ".ipynb" {
		fmt.Fprintf(stderr, "report: expected a .ipynb notebook, found %q\n", o.Notebook)
		return 2
	}
	abs, err := filepath.Abs(o.Notebook)
	if err != nil {
		fmt.Fprintln(stderr, "report:", err)
		return 1
	}
	wd, _ := os.Getwd()
	if o.Repo, err = kernelspec.FindRepo(wd); err != nil {
		o.Repo = filepath.Dir(abs)
	}
	if o.Author == "" {
		o.Author = gitUser(ctx, o.Repo)
	}
	res, err := Export(ctx, o, stdout)
	var se *SecretsError
	switch {
	case errors.As(err, &se):
		fmt.Fprintln(stderr, err)
		return 1
	case err != nil && res == nil:
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s: %q, %d cells shown (%d with code), %d hidden, %d in the appendix, %d images; data %s\n",
		res.HTMLPath, res.Title, res.Cells.Shown, res.Cells.CodeShown, res.Cells.Hidden, res.Cells.Appendix, res.Images, res.Provenance)
	if err != nil { // the PDF step failed after the HTML was written
		fmt.Fprintln(stderr, err)
		return 1
	}
	if res.PDFPath != "" {
		fmt.Fprintf(stdout, "wrote %s\n", res.PDFPath)
	}
	return 0
}

func gitUser(ctx context.Context, repo string) string {
	out, err := execOutput(ctx, repo, "git", "config", "user.name")
	if err != nil {
		return ""
	}
	return out
}
