package report

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const parametersCell = `import "time"

// Defaults, replaced by make report PARAMS="..."
var (
	region   = "EU"
	minTotal = 100.0
	top      = 10
	since    = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	window   = 24 * time.Hour
	paidOnly = true
)

const currency = "EUR"

var limit int64 = 5
`

func TestParametersCellDeclarationsAndTheirTypes(t *testing.T) {
	decls, err := parseDeclarations("%env X=1\n" + parametersCell)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range decls {
		got = append(got, d.keyword+" "+d.name+" "+d.typ)
	}
	want := []string{"var region string", "var minTotal float64", "var top int", "var since time.Time", "var window time.Duration",
		"var paidOnly bool", "const currency string", "var limit int64"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("declarations:\n got %q\nwant %q", got, want)
	}
	if _, err := parseDeclarations("var x = "); err == nil || !strings.Contains(err.Error(), "expected Go declarations") {
		t.Errorf("broken cell: %v", err)
	}
}

func TestBindTypesTheInjectedCell(t *testing.T) {
	decls, _ := parseDeclarations(parametersCell)
	vs, err := ParseAssignments(`region=US minTotal=250 since=2025-03-01 window=90m paidOnly=false currency="U S D" limit=7 top=3`)
	if err != nil {
		t.Fatal(err)
	}
	params, src, err := bind(decls, Variant{Values: vs})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{`import "time"`, `var region = "US"`, `var minTotal = float64(250)`, `var since = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)`,
		`var window = time.Duration(5400000000000)`, `var paidOnly = false`, `const currency = "U S D"`, `var limit int64 = int64(7)`, `var top = 3`} {
		if !strings.Contains(src, line+"\n") {
			t.Errorf("injected cell lacks %q:\n%s", line, src)
		}
	}
	if _, err := parseDeclarations(src); err != nil {
		t.Errorf("the injected cell does not parse: %v\n%s", err, src)
	}
	if params[2].Name != "since" || params[2].Value != "2025-03-01" || params[2].Type != "time.Time" || params[3].Value != "1h30m0s" {
		t.Errorf("params: %+v", params)
	}
	// A time with an offset keeps it.
	_, src, err = bind(decls, Variant{Values: [][2]string{{"since", "2025-03-01T08:30:00+02:00"}}})
	if err != nil || !strings.Contains(src, `time.Date(2025, 3, 1, 8, 30, 0, 0, time.FixedZone("+02:00", 7200))`) {
		t.Errorf("offset: %v\n%s", err, src)
	}
}

func TestBadParameterValuesNameTheParameterAndTheType(t *testing.T) {
	decls, _ := parseDeclarations(parametersCell)
	for _, c := range []struct{ in, want string }{
		{"top=ten", "parameter top: expected an integer (int), such as 42, found \"ten\""},
		{"minTotal=lots", "parameter minTotal: expected a number (float64), such as 12.5, found \"lots\""},
		{"since=yesterday", "parameter since: expected a date YYYY-MM-DD or a time in RFC 3339 such as 2025-01-31T08:00:00Z (time.Time), found \"yesterday\""},
		{"since=2025-02-30", "parameter since: expected a date"},
		{"paidOnly=maybe", "parameter paidOnly: expected true or false (bool)"},
		{"window=1d", "parameter window: expected a duration"},
		{"regoin=EU", "parameter regoin is not declared in the cell tagged \"parameters\" (it declares region, minTotal, top, since, window, paidOnly, currency, limit)"},
		{"region=EU region=US", "parameter region is given twice"},
	} {
		vs, err := ParseAssignments(c.in)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = bind(decls, Variant{Values: vs})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "nothing was written") {
			t.Errorf("%s: got %v, want %q", c.in, err, c.want)
		}
	}
	var pe *ParamError
	_, _, err := bind(decls, Variant{Values: [][2]string{{"top", "1.5"}}})
	if !errors.As(err, &pe) || pe.Name != "top" || !strings.Contains(pe.Expected, "int") {
		t.Errorf("want a ParamError, got %v", err)
	}
	for _, bad := range []string{"region", "=EU", "1x=2", `title="unclosed`} {
		if _, err := ParseAssignments(bad); err == nil {
			t.Errorf("ParseAssignments(%q) accepted", bad)
		}
	}
}

func TestParametersFileVariants(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	named, err := ReadVariants(write("named.yaml", "europe:\n  region: EU\n  since: 2025-01-01\nunited states:\n  region: US\n  since: 2025-02-01\n"))
	if err != nil || len(named) != 2 || named[1].Name != "united-states" || !reflect.DeepEqual(named[0].Values, [][2]string{{"region", "EU"}, {"since", "2025-01-01"}}) {
		t.Errorf("named variants: %+v %v", named, err)
	}
	list, err := ReadVariants(write("list.yaml", "- {region: EU, top: 007}\n- {region: US, top: 5}\n"))
	if err != nil || len(list) != 2 || list[0].Name != "region-EU-top-007" || list[0].Values[1][1] != "007" {
		t.Errorf("list: %+v %v", list, err)
	}
	one, err := ReadVariants(write("one.yaml", "region: EU\nminTotal: 12.5\n"))
	if err != nil || len(one) != 1 || one[0].Name != "" {
		t.Errorf("one set: %+v %v", one, err)
	}
	for name, body := range map[string]string{"scalar.yaml": "EU\n", "nested.yaml": "eu:\n  region: [EU, US]\n", "bad.yaml": "a: [\n"} {
		if _, err := ReadVariants(write(name, body)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// A bad value in any variant writes nothing, and needs no kernel: values are checked before anything runs.
func TestABadVariantWritesNothing(t *testing.T) {
	repo := repoWithEnv(t)
	nb := writeNotebook(t, repo, md("# P"), code(parametersCell, nil, "parameters"), code(`%%
fmt.Println(region)`, nil))
	_, err := ExportVariants(context.Background(), ExportOptions{Notebook: nb, Repo: repo},
		[]Variant{{Name: "good", Values: [][2]string{{"region", "US"}}}, {Name: "bad", Values: [][2]string{{"since", "soon"}}}}, &bytes.Buffer{})
	var pe *ParamError
	if !errors.As(err, &pe) || pe.Variant != "bad" || pe.Name != "since" {
		t.Fatalf("want a ParamError for variant bad, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(repo, "reports")); !os.IsNotExist(err) {
		t.Errorf("something was written: %v", err)
	}
	noCell := writeNotebook(t, repo, md("# P"), code("var region = \"EU\"", nil))
	_, err = Export(context.Background(), ExportOptions{Notebook: noCell, Repo: repo, Variant: &Variant{Values: [][2]string{{"region", "US"}}}}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), `no cell tagged "parameters"`) {
		t.Errorf("no parameters cell: %v", err)
	}
}

func TestInjectedCellGoesAfterTheParametersCellAndReplacesAnOldOne(t *testing.T) {
	raw := []byte(`{"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "replicalab"}}, "cells": [
 {"cell_type": "markdown", "metadata": {}, "source": "# T"},
 {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "var a = 1", "outputs": [], "execution_count": null},
 {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "source": "var a = 5", "outputs": [], "execution_count": null},
 {"cell_type": "code", "metadata": {}, "source": "%%\nfmt.Println(a)", "outputs": [], "execution_count": null}]}`)
	out, err := injectCell(raw, "var a = 2\n", 1)
	if err != nil {
		t.Fatal(err)
	}
	nb, err := ParseNotebook("x", out)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range nb.Cells {
		got = append(got, string(c.Source))
	}
	if !reflect.DeepEqual(got, []string{"# T", "var a = 1", "var a = 2\n", "%%\nfmt.Println(a)"}) || !nb.Cells[2].tagged(TagInjected) {
		t.Errorf("cells after injection: %q", got)
	}
	if !strings.Contains(string(out), `"kernelspec":{"name":"replicalab"}`) {
		t.Errorf("notebook metadata lost: %s", out)
	}
}
