package newnb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/replicalab/replicalab/internal/kernelspec"
	"github.com/replicalab/replicalab/internal/nbclean"
)

// DefaultTemplate is the template copied when none is named: the first simple analysis.
const DefaultTemplate = "5.0"

// ErrExists is returned when the new notebook's file, or a notebook with the same initials and name,
// already exists.
var ErrExists = errors.New("newnb: notebook exists")

// Options say what to create.
type Options struct {
	Dir      string // the notebooks folder
	Name     string // description, e.g. "orders-by-region"; normalised to lowercase words joined by "-"
	From     string // template: a number ("5.0", "5") of a notebook in Dir, or a path to a .ipynb; "" means DefaultTemplate
	Initials string // "" means from `git config user.name` (see GitInitials)
}

// numbered matches "<major>.<minor>-<rest>.ipynb".
var numbered = regexp.MustCompile(`^(\d+)\.(\d+)-(.+)\.ipynb$`)

// Slug turns a description into the file-name form: lowercase letters and digits, words joined by "-".
// "Orders by Region" gives "orders-by-region".
func Slug(name string) (string, error) {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(strings.TrimSpace(name)) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return "", fmt.Errorf("newnb: expected a name of letters and digits such as \"orders-by-region\", found %q", name)
	}
	return b.String(), nil
}

// Initials turns a person's name into lowercase initials: the first letter of each word that starts with
// an ASCII letter ("Ada Lovelace" gives "al", "jean-paul sartre" gives "jps"); "" when there is none.
func Initials(name string) string {
	var b strings.Builder
	words := strings.FieldsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || r == '-' || r == '_' || r == '.' })
	for _, w := range words {
		r := rune(w[0])
		if r < unicode.MaxASCII && unicode.IsLetter(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// GitInitials returns Initials of `git config user.name` run in dir.
func GitInitials(ctx context.Context, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", "config", "user.name")
	cmd.Dir = dir
	out, err := cmd.Output()
	name := strings.TrimSpace(string(out))
	if err != nil || name == "" {
		return "", errors.New("newnb: expected initials from `git config user.name`, found no user name: give INITIALS=ab (make) or --initials ab")
	}
	in := Initials(name)
	if in == "" {
		return "", fmt.Errorf("newnb: expected `git config user.name` to start words with letters, found %q: give INITIALS=ab (make) or --initials ab", name)
	}
	return in, nil
}

// checkInitials accepts 1 to 5 lowercase ASCII letters (uppercase is lowered).
func checkInitials(s string) (string, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	if len(in) == 0 || len(in) > 5 || strings.TrimFunc(in, func(r rune) bool { return r >= 'a' && r <= 'z' }) != "" {
		return "", fmt.Errorf("newnb: expected initials of 1 to 5 letters such as \"ab\", found %q", s)
	}
	return in, nil
}

// Template finds the template named by from in dir: a number ("5.0" or "5") of a notebook there, or a
// path to a .ipynb file.
func Template(dir, from string) (string, error) {
	if from == "" {
		from = DefaultTemplate
	}
	if strings.HasSuffix(from, ".ipynb") {
		p := from
		if _, err := os.Stat(p); err != nil && !filepath.IsAbs(p) {
			if _, err2 := os.Stat(filepath.Join(dir, p)); err2 == nil {
				p = filepath.Join(dir, p)
			}
		}
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("newnb: template %q: %w", from, err)
		}
		return p, nil
	}
	num := from
	if !strings.Contains(num, ".") {
		num += ".0"
	}
	if !regexp.MustCompile(`^\d+\.\d+$`).MatchString(num) {
		return "", fmt.Errorf("newnb: expected a template number such as \"5.0\" or a .ipynb path, found %q", from)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("newnb: reading the notebooks folder: %w", err)
	}
	var found, all []string
	for _, e := range entries {
		if m := numbered.FindStringSubmatch(e.Name()); m != nil && !e.IsDir() {
			all = append(all, e.Name())
			if m[1]+"."+m[2] == num {
				found = append(found, e.Name())
			}
		}
	}
	switch len(found) {
	case 1:
		return filepath.Join(dir, found[0]), nil
	case 0:
		return "", fmt.Errorf("newnb: expected a notebook numbered %s in %s, found none (there are: %s)", num, dir, strings.Join(all, ", "))
	default:
		return "", fmt.Errorf("newnb: expected one notebook numbered %s in %s, found %d: %s; give FROM=<file>.ipynb",
			num, dir, len(found), strings.Join(found, ", "))
	}
}

// Next returns the next notebook number in dir: one more than the highest major number of the
// numbered notebooks there (1 when there is none).
func Next(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("newnb: reading the notebooks folder: %w", err)
	}
	high := 0
	for _, e := range entries {
		if m := numbered.FindStringSubmatch(e.Name()); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil && n > high {
				high = n
			}
		}
	}
	return high + 1, nil
}

// Create writes the new notebook and returns its path.
func Create(ctx context.Context, o Options) (string, error) {
	if o.Dir == "" {
		return "", errors.New("newnb: expected a notebooks folder, found none")
	}
	name, err := Slug(o.Name)
	if err != nil {
		return "", err
	}
	initials := o.Initials
	if initials == "" {
		if initials, err = GitInitials(ctx, o.Dir); err != nil {
			return "", err
		}
	}
	if initials, err = checkInitials(initials); err != nil {
		return "", err
	}
	tpl, err := Template(o.Dir, o.From)
	if err != nil {
		return "", err
	}
	entries, err := os.ReadDir(o.Dir)
	if err != nil {
		return "", fmt.Errorf("newnb: reading the notebooks folder: %w", err)
	}
	suffix := "-" + initials + "-" + name + ".ipynb"
	for _, e := range entries {
		if m := numbered.FindStringSubmatch(e.Name()); m != nil && m[3] == initials+"-"+name {
			return "", fmt.Errorf("%w: %s already has the name %q for %s: open it, or choose another NAME",
				ErrExists, filepath.Join(o.Dir, e.Name()), name, initials)
		}
	}
	n, err := Next(o.Dir)
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(tpl)
	if err != nil {
		return "", fmt.Errorf("newnb: reading the template: %w", err)
	}
	out, err := Copy(data, Title(name), filepath.Base(tpl))
	if err != nil {
		return "", fmt.Errorf("newnb: template %s: %w", tpl, err)
	}
	path := filepath.Join(o.Dir, fmt.Sprintf("%d.0%s", n, suffix))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("%w: %s (nothing was written)", ErrExists, path)
	}
	if err != nil {
		return "", fmt.Errorf("newnb: %w", err)
	}
	_, werr := f.Write(out)
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(path)
		return "", fmt.Errorf("newnb: writing %s: %w", path, err)
	}
	return path, nil
}

// Title makes a heading from a slug: "orders-by-region" gives "Orders by region".
func Title(slug string) string {
	t := strings.ReplaceAll(slug, "-", " ")
	if t == "" {
		return t
	}
	return strings.ToUpper(t[:1]) + t[1:]
}

// Copy returns the template notebook data with a fresh title, cleaned as the pre-commit hook cleans:
// the first level-1 heading of the first Markdown cell becomes "# title", followed by a line naming the
// template; outputs, execution counts and volatile metadata are dropped; cell ids become "0", "1", ....
func Copy(data []byte, title, from string) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var nb map[string]any
	if err := dec.Decode(&nb); err != nil {
		return nil, fmt.Errorf("expected a Jupyter notebook (JSON), found invalid JSON: %w", err)
	}
	cells, ok := nb["cells"].([]any)
	if !ok {
		return nil, errors.New("expected a Jupyter notebook with a list of cells, found none")
	}
	heading := "# " + title + "\n\n*Started from the template `" + from + "`: say here what this analysis is for and who asked.*"
	replaced := false
	for _, c := range cells {
		cell, ok := c.(map[string]any)
		if !ok || cell["cell_type"] != "markdown" {
			continue
		}
		src := nbclean.SourceText(cell["source"])
		lines := strings.SplitAfter(src, "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, "# ") {
				nl := ""
				if strings.HasSuffix(l, "\n") {
					nl = "\n"
				}
				lines[i] = heading + nl
				// A notebook copied earlier says which template it came from: say it once.
				if i+2 < len(lines) && strings.TrimSpace(lines[i+1]) == "" && strings.HasPrefix(lines[i+2], "*Started from the template ") {
					lines = append(lines[:i+1], lines[i+3:]...)
				}
				cell["source"] = splitLines(strings.Join(lines, ""))
				replaced = true
				break
			}
		}
		break // only the first Markdown cell holds the title
	}
	if !replaced {
		title := map[string]any{"cell_type": "markdown", "metadata": map[string]any{}, "source": splitLines(heading)}
		if len(cells) > 0 {
			if _, hasID := cells[0].(map[string]any)["id"]; hasID {
				title["id"] = "title"
			}
		}
		nb["cells"] = append([]any{title}, cells...)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(nb); err != nil {
		return nil, err
	}
	return nbclean.Clean(buf.Bytes(), nbclean.Options{})
}

// splitLines stores a source as nbformat writes it: lines keeping their "\n".
func splitLines(s string) []any {
	var out []any
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

const usage = `usage: go run ./scripts/newnb --name orders-by-region [--from 5.0] [--initials ab] [--dir notebooks]
       make new NAME=orders-by-region [FROM=5.0] [INITIALS=ab]

Copies a template notebook to notebooks/<next number>.0-<initials>-<name>.ipynb, clean and with a fresh
title. FROM is a notebook number in the folder (default %s) or a .ipynb path; initials default to those of
git config user.name. It never overwrites a notebook.

flags:
`

// Run is the newnb command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("newnb", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, usage, DefaultTemplate)
		fs.PrintDefaults()
	}
	var o Options
	fs.StringVar(&o.Name, "name", "", "what the analysis is about, e.g. orders-by-region (required)")
	fs.StringVar(&o.From, "from", "", "template: a notebook number such as 6.0, or a .ipynb path (default "+DefaultTemplate+")")
	fs.StringVar(&o.Initials, "initials", "", "your initials (default: from git config user.name)")
	fs.StringVar(&o.Dir, "dir", "", "the notebooks folder (default <repository>/notebooks)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "newnb: unexpected argument %q (it takes only flags; use --name %s)\n", fs.Arg(0), fs.Arg(0))
		return 2
	}
	if strings.TrimSpace(o.Name) == "" {
		fmt.Fprintln(stderr, "newnb: expected a name, found none: make new NAME=orders-by-region")
		return 2
	}
	if o.Dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			fmt.Fprintln(stderr, "newnb:", err)
			return 1
		}
		repo, err := kernelspec.FindRepo(wd)
		if err != nil {
			fmt.Fprintf(stderr, "newnb: expected to run inside the replicalab repository, found none above %s (give --dir)\n", wd)
			return 1
		}
		o.Dir = filepath.Join(repo, "notebooks")
	}
	path, err := Create(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	rel := path
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(r, "..") {
			rel = r
		}
	}
	fmt.Fprintf(stdout, "created %s: open it in JupyterLab (make lab)\n", rel)
	return 0
}
