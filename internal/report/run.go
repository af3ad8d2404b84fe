package report

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/replicalab/replicalab/internal/kernelspec"
	"github.com/replicalab/replicalab/internal/numfmt"
	"github.com/replicalab/replicalab/internal/provenance"
)

const usage = `usage: go run ./scripts/report [flags] NOTEBOOK.ipynb

Writes reports/<notebook>.html: a self-contained page (Markdown rendered, code hidden, charts and tables
embedded, a header with author, date, commit, the data's freshness and the parameters, a table of
contents, and an appendix with the query behind every figure and table, the exploration output and the
questions log). It refuses to write a report that contains a secret.

  --pdf / --docx       also a PDF (headless Chromium) / a Word document people can comment on (pandoc)
  --params "a=1 b=x"   run the notebook with these values for its cell tagged "parameters"
  --params-file F      a YAML file of values, or of several variants: one report per variant
  --verify             run the query behind every figure and table again; flag the numbers that changed
  --check              measure the report in Chromium (screen 1200 px, A4, Letter) and fail on overflow

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
	var paper, params, paramsFile string
	fs.StringVar(&o.Out, "out", "", "HTML file to write (default reports/<notebook>.html)")
	fs.BoolVar(&o.Execute, "execute", false, "run the notebook on the Go (replica) kernel first (the .ipynb is not changed)")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "per-cell timeout when the notebook runs")
	fs.BoolVar(&o.PDF, "pdf", false, "also write a PDF next to the HTML (needs Chromium)")
	fs.StringVar(&paper, "paper", "a4", "the PDF's paper: a4 or letter")
	fs.BoolVar(&o.Docx, "docx", false, "also write a .docx next to the HTML, for comments in Word or Google Docs (needs pandoc and rsvg-convert)")
	fs.BoolVar(&o.Check, "check", false, "measure the written report in Chromium and fail when something does not fit or is missing")
	fs.BoolVar(&o.Verify, "verify", false, "run the query behind every figure and table again on the replica and flag changed numbers")
	fs.Float64Var(&o.Tolerance, "tolerance", provenance.DefaultTolerance, "with --verify: how much a number may move, relative to itself")
	fs.StringVar(&params, "params", "", `parameter values, e.g. "region=EU since=2025-01-01" (runs the notebook)`)
	fs.StringVar(&paramsFile, "params-file", "", "YAML file of parameter values, or of several variants (one report each)")
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
	var err error
	if o.Paper, err = PaperNamed(paper); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if !(o.Tolerance >= 0 && o.Tolerance < 1) {
		fmt.Fprintf(stderr, "report: expected a tolerance between 0 and 1 (0.005 is 0.5 %%), found %v\n", o.Tolerance)
		return 2
	}
	var variants []Variant
	switch {
	case params != "" && paramsFile != "":
		fmt.Fprintln(stderr, "report: expected --params or --params-file, found both")
		return 2
	case params != "":
		vs, err := ParseAssignments(params)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		variants = []Variant{{Values: vs}}
	case paramsFile != "":
		if variants, err = ReadVariants(paramsFile); err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
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
	var results []*Result
	if variants != nil {
		results, err = ExportVariants(ctx, o, variants, stdout)
	} else {
		var res *Result
		if res, err = Export(ctx, o, stdout); res != nil {
			results = append(results, res)
		}
	}
	status := 0
	for _, res := range results {
		if describe(stdout, stderr, res) {
			status = 1
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return status
}

// describe says what was written, and returns true when the layout check found problems.
func describe(stdout, stderr io.Writer, res *Result) bool {
	fmt.Fprintf(stdout, "wrote %s: %q, %d cells shown (%d with code), %d hidden, %d in the appendix, %d exploration outputs moved there, %s; data %s\n",
		res.HTMLPath, res.Title, res.Cells.Shown, res.Cells.CodeShown, res.Cells.Hidden, res.Cells.Appendix, res.Cells.Exploration,
		numfmt.Count(len(res.Sources), "figure or table traced to its query", "figures and tables traced to their queries"), res.Provenance)
	if len(res.Parameters) > 0 {
		var ps []string
		for _, p := range res.Parameters {
			ps = append(ps, p.Name+" = "+p.Value)
		}
		fmt.Fprintf(stdout, "  parameters: %s\n", strings.Join(ps, ", "))
	}
	for _, p := range []string{res.PDFPath, res.DocxPath} {
		if p != "" {
			fmt.Fprintf(stdout, "wrote %s\n", p)
		}
	}
	if v := res.Verification; v != nil {
		fmt.Fprintf(stdout, "  checked: %s\n", v.summary(sourcePointers(res.Sources)))
		for _, s := range res.Sources {
			if s.Check != nil && (s.Check.Changed() || s.Check.Err != "") {
				fmt.Fprintf(stdout, "  %s: %s\n", s.Label(), s.Check)
			}
		}
	}
	if c := res.Checked; c != nil {
		fmt.Fprint(stdout, c.Summary())
		if p := c.Problems(); len(p) > 0 {
			fmt.Fprintf(stderr, "report: %s does not pass the check:\n  %s\n", res.HTMLPath, strings.Join(p, "\n  "))
			return true
		}
	}
	return false
}

func sourcePointers(s []Source) []*Source {
	out := make([]*Source, len(s))
	for i := range s {
		out[i] = &s[i]
	}
	return out
}

func gitUser(ctx context.Context, repo string) string {
	out, err := execOutput(ctx, repo, "git", "config", "user.name")
	if err != nil {
		return ""
	}
	return out
}
