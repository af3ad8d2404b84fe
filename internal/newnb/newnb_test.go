package newnb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/replicalab/replicalab/internal/nbclean"
)

// template is a small notebook as someone's working copy holds it: outputs, counts, volatile metadata.
const template = `{
 "cells": [
  {"cell_type": "markdown", "id": "a1", "metadata": {}, "source": ["# 5 · Start simple\n", "\n", "Count one thing first."]},
  {"cell_type": "code", "execution_count": 7, "id": "b2", "metadata": {"tags": ["hide"], "ExecuteTime": {"start": "x"}, "scrolled": true},
   "outputs": [{"output_type": "stream", "name": "stdout", "text": ["status paid: 113 orders\n"]}],
   "source": ["%%\n", "fmt.Println(\"<b>hi</b> & bye\")"]},
  {"cell_type": "markdown", "id": "c3", "metadata": {}, "source": "## Next\n# not the title"}
 ],
 "metadata": {"kernelspec": {"display_name": "Go (replica)", "language": "go", "name": "replicalab"}},
 "nbformat": 4,
 "nbformat_minor": 5
}
`

func folder(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(template), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type cell struct {
	CellType       string         `json:"cell_type"`
	ID             string         `json:"id"`
	ExecutionCount *int           `json:"execution_count"`
	Outputs        []any          `json:"outputs"`
	Metadata       map[string]any `json:"metadata"`
	Source         []string       `json:"source"`
}

func readNotebook(t *testing.T, path string) (cells []cell, raw string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb struct {
		Cells    []cell         `json:"cells"`
		Metadata map[string]any `json:"metadata"`
	}
	if err := json.Unmarshal(data, &nb); err != nil {
		t.Fatalf("the new notebook is not valid JSON: %v\n%s", err, data)
	}
	if nb.Metadata["kernelspec"] == nil {
		t.Errorf("the kernelspec metadata was lost: %v", nb.Metadata)
	}
	return nb.Cells, string(data)
}

func TestCreateCopiesTheTemplateCleanWithAFreshTitle(t *testing.T) {
	dir := folder(t, "1.0-setup-read-replica.ipynb", "5.0-start-simple.ipynb", "7.0-report.ipynb")
	path, err := Create(context.Background(), Options{Dir: dir, Name: "Orders by Region", Initials: "AB"})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "8.0-ab-orders-by-region.ipynb" {
		t.Fatalf("want the next number, lowercase initials and the name as a slug, got %s", filepath.Base(path))
	}
	cells, raw := readNotebook(t, path)
	if len(cells) != 3 {
		t.Fatalf("want the template's 3 cells, got %d", len(cells))
	}
	title := strings.Join(cells[0].Source, "")
	if !strings.HasPrefix(title, "# Orders by region\n") || !strings.Contains(title, "5.0-start-simple.ipynb") ||
		strings.Contains(title, "Start simple\n") || !strings.Contains(title, "Count one thing first.") {
		t.Errorf("want a fresh title naming the template and the rest of the cell kept, got:\n%s", title)
	}
	if got := strings.Join(cells[2].Source, ""); got != "## Next\n# not the title" {
		t.Errorf("only the first heading changes, got %q", got)
	}
	code := cells[1]
	if len(code.Outputs) != 0 || code.ExecutionCount != nil {
		t.Errorf("want no outputs and no execution count, got %v and %v", code.Outputs, *code.ExecutionCount)
	}
	if _, ok := code.Metadata["ExecuteTime"]; ok {
		t.Errorf("volatile metadata kept: %v", code.Metadata)
	}
	if tags, _ := code.Metadata["tags"].([]any); len(tags) != 1 || tags[0] != "hide" {
		t.Errorf("the report tags must stay, got %v", code.Metadata)
	}
	for i, c := range cells {
		if c.ID != []string{"0", "1", "2"}[i] {
			t.Errorf("cell %d: want id %q as the hook numbers them, got %q", i, []string{"0", "1", "2"}[i], c.ID)
		}
	}
	if !strings.Contains(raw, `fmt.Println(\"<b>hi</b> & bye\")`) {
		t.Errorf("code must be copied as written (no HTML escaping), got:\n%s", raw)
	}
	// What the hook would commit is what was written: cleaning again changes nothing.
	again, err := Copy([]byte(raw), "Orders by region", "5.0-start-simple.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	cells2, _ := readNotebookBytes(t, again)
	if strings.Join(cells2[0].Source, "") != title {
		t.Errorf("copying a copy should give the same title")
	}
}

func readNotebookBytes(t *testing.T, data []byte) ([]cell, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.ipynb")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return readNotebook(t, p)
}

func TestCreatePicksTheTemplateByNumberOrPath(t *testing.T) {
	dir := folder(t, "5.0-start-simple.ipynb", "6.0-partial-results.ipynb")
	for from, want := range map[string]string{"": "5.0-start-simple.ipynb", "6": "6.0-partial-results.ipynb",
		"6.0": "6.0-partial-results.ipynb", "5.0-start-simple.ipynb": "5.0-start-simple.ipynb"} {
		got, err := Template(dir, from)
		if err != nil || filepath.Base(got) != want {
			t.Errorf("FROM=%q: want %s, got %q, %v", from, want, got, err)
		}
	}
	p, err := Create(context.Background(), Options{Dir: dir, Name: "churn", From: "6.0", Initials: "cd"})
	if err != nil {
		t.Fatal(err)
	}
	_, raw := readNotebook(t, p)
	if filepath.Base(p) != "7.0-cd-churn.ipynb" || !strings.Contains(raw, "6.0-partial-results.ipynb") {
		t.Errorf("want 7.0-cd-churn.ipynb from the 6.0 template, got %s:\n%s", p, raw)
	}
}

func TestCreateRefusesToOverwriteOrRepeatAName(t *testing.T) {
	dir := folder(t, "5.0-start-simple.ipynb", "8.0-ab-orders.ipynb")
	before, _ := os.ReadFile(filepath.Join(dir, "8.0-ab-orders.ipynb"))
	_, err := Create(context.Background(), Options{Dir: dir, Name: "orders", Initials: "ab"})
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "8.0-ab-orders.ipynb") {
		t.Fatalf("a second notebook named orders by ab: want ErrExists naming the first, got %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "8.0-ab-orders.ipynb"))
	if !bytes.Equal(before, after) {
		t.Error("the existing notebook was changed")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("nothing should have been written, folder holds %d files", len(entries))
	}
	// Another author may use the same description.
	if p, err := Create(context.Background(), Options{Dir: dir, Name: "orders", Initials: "cd"}); err != nil || filepath.Base(p) != "9.0-cd-orders.ipynb" {
		t.Errorf("another author's notebook: got %q, %v", p, err)
	}
}

func TestErrorsSayWhatWasExpected(t *testing.T) {
	dir := folder(t, "5.0-start-simple.ipynb", "5.0-ab-copy.ipynb")
	cases := []struct {
		o    Options
		want string
	}{
		{Options{Dir: dir, Name: " -- ", Initials: "ab"}, `expected a name of letters and digits such as "orders-by-region", found " -- "`},
		{Options{Dir: dir, Name: "x", Initials: "a1"}, `expected initials of 1 to 5 letters such as "ab", found "a1"`},
		{Options{Dir: dir, Name: "x", Initials: "ab", From: "9"}, "expected a notebook numbered 9.0 in"},
		{Options{Dir: dir, Name: "x", Initials: "ab", From: "5"}, "expected one notebook numbered 5.0 in"},
		{Options{Dir: dir, Name: "x", Initials: "ab", From: "latest"}, `expected a template number such as "5.0" or a .ipynb path, found "latest"`},
		{Options{Dir: filepath.Join(dir, "missing"), Name: "x", Initials: "ab"}, "reading the notebooks folder"},
	}
	for _, c := range cases {
		_, err := Create(context.Background(), c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: want an error containing %q, got %v", c.o, c.want, err)
		}
	}

	bad := filepath.Join(dir, "6.0-broken.ipynb")
	os.WriteFile(bad, []byte(`{"cells": [`), 0o644)
	if _, err := Create(context.Background(), Options{Dir: dir, Name: "x", Initials: "ab", From: "6"}); err == nil ||
		!strings.Contains(err.Error(), "6.0-broken.ipynb") || !strings.Contains(err.Error(), "invalid JSON") {
		t.Errorf("a broken template: want an error naming it and saying invalid JSON, got %v", err)
	}
}

func TestInitials(t *testing.T) {
	for in, want := range map[string]string{"Ada Lovelace": "al", "jean-paul sartre": "jps", "  Grace  B. Hopper ": "gbh",
		"Seed c51abf09 maintainers": "scm", "42 ÉMILE": "", "": ""} {
		if got := Initials(in); got != want {
			t.Errorf("Initials(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGitInitialsReadsTheRepositorysUserName(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	t.Setenv("GIT_CONFIG_GLOBAL", filepath.Join(dir, "no-global"))
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	if _, err := GitInitials(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "INITIALS=") {
		t.Errorf("without a user name: want an error saying to give INITIALS=, got %v", err)
	}
	if out, err := exec.Command("git", "-C", dir, "config", "user.name", "Ada Lovelace").CombinedOutput(); err != nil {
		t.Fatalf("git config: %v %s", err, out)
	}
	if got, err := GitInitials(context.Background(), dir); err != nil || got != "al" {
		t.Errorf("want al, got %q, %v", got, err)
	}
}

func TestRun(t *testing.T) {
	dir := folder(t, "5.0-start-simple.ipynb")
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"--dir", dir, "--name", "orders-by-region", "--initials", "ab"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "6.0-ab-orders-by-region.ipynb") {
		t.Errorf("want the created path, got %q", out.String())
	}
	out.Reset()
	errb.Reset()
	if code := Run(context.Background(), []string{"--dir", dir, "--name", "orders-by-region", "--initials", "ab"}, nil, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "6.0-ab-orders-by-region.ipynb") {
		t.Errorf("again: want exit 1 naming the existing notebook, got %d: %s", code, errb.String())
	}
	errb.Reset()
	if code := Run(context.Background(), []string{"--dir", dir, "create", "x"}, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), `unexpected argument "create"`) {
		t.Errorf("an unknown argument: want exit 2 naming it, got %d: %s", code, errb.String())
	}
	errb.Reset()
	if code := Run(context.Background(), []string{"--dir", dir}, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "make new NAME=") {
		t.Errorf("no name: want exit 2 with the usage, got %d: %s", code, errb.String())
	}
}

// The repository's templates are committed as the pre-commit hook would leave them, so copying one or
// committing it changes nothing but what the person wrote.
func TestRepositoryTemplatesAreHookClean(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "..", "notebooks", "*.ipynb"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no notebooks found: %v", err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		clean, err := nbclean.Clean(data, nbclean.Options{})
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if !bytes.Equal(clean, data) {
			t.Errorf("%s is not as the pre-commit hook leaves notebooks (outputs, counts or ids)", filepath.Base(p))
		}
	}
	tpl, err := Template(filepath.Join("..", "..", "notebooks"), "")
	if err != nil {
		t.Fatalf("the default template %s is missing: %v", DefaultTemplate, err)
	}
	data, _ := os.ReadFile(tpl)
	if _, err := Copy(data, "Orders by region", filepath.Base(tpl)); err != nil {
		t.Errorf("copying the default template: %v", err)
	}
}
