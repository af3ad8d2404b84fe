package nbclean

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var regen = flag.Bool("regen", false, "rewrite testdata/corpus/*.expected with nbstripout (NBSTRIPOUT or PATH)")

// nbstripoutPath finds the reference tool: $NBSTRIPOUT, then PATH.
func nbstripoutPath() string {
	if p := os.Getenv("NBSTRIPOUT"); p != "" {
		return p
	}
	p, _ := exec.LookPath("nbstripout")
	return p
}

func corpus(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/corpus/*.ipynb.in")
	if err != nil || len(files) == 0 {
		t.Fatalf("expected notebooks (*.ipynb.in) in testdata/corpus, found %d (%v)", len(files), err)
	}
	return files
}

// TestCleanMatchesNbstripout compares Clean byte for byte with what
// nbstripout 0.9.1 wrote for the same notebook (nbstripout < in > expected).
func TestCleanMatchesNbstripout(t *testing.T) {
	if *regen {
		tool := nbstripoutPath()
		if tool == "" {
			t.Fatal("-regen needs nbstripout: set NBSTRIPOUT or put it on PATH (pip install nbstripout==0.9.1)")
		}
		for _, in := range corpus(t) {
			cmd := exec.Command(tool)
			cmd.Stdin, _ = os.Open(in)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("nbstripout < %s: %v", in, err)
			}
			if err := os.WriteFile(strings.TrimSuffix(in, ".ipynb.in")+".expected", out, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, in := range corpus(t) {
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(in, ".ipynb.in") + ".expected")
			if err != nil {
				t.Fatalf("missing golden file (run go test -regen with nbstripout installed): %v", err)
			}
			got, err := Clean(data, Options{})
			if err != nil {
				t.Fatalf("Clean: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Clean differs from nbstripout at %s\n--- got ---\n%s", firstDiff(got, want), got)
			}
			// Cleaning is idempotent: a clean notebook comes back unchanged.
			again, err := Clean(want, Options{})
			if err != nil || !bytes.Equal(again, want) {
				t.Errorf("Clean(expected) changed a clean notebook (err %v) at %s", err, firstDiff(again, want))
			}
		})
	}
}

func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	line := 1 + bytes.Count(a[:i], []byte("\n"))
	ctx := func(x []byte) string {
		lo, hi := max(0, i-40), min(len(x), i+40)
		return string(x[lo:hi])
	}
	return fmt.Sprintf("line %d: got %q, want %q", line, ctx(a), ctx(b))
}

// TestParseErrors: what a user sees for notebooks that cannot be cleaned.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, in string
		want     string // substring of the error
		syntax   bool   // a *SyntaxError
		notNB    bool   // wraps ErrNotNotebook
	}{
		{"truncated", "{\n \"cells\": [\n", "line 3 column 1", true, false},
		{"trailing comma", `{"cells": [1,]}`, "expecting a value", true, false},
		{"raw newline in string", "{\"a\": \"x\ny\"}", "invalid control character", true, false},
		{"bad escape", `{"a": "\q"}`, "invalid \\escape", true, false},
		{"not utf8", "{\"a\": \"\xff\"}", "invalid UTF-8", true, false},
		{"bom", "\xef\xbb\xbf{}", "byte order mark", true, false},
		{"extra data", `{} {}`, "extra data", true, false},
		{"array", `[]`, "expected an object", false, true},
		{"v3", `{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}`, "nbformat version 3, expected 4", false, true},
		{"no cells", `{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}`, `"cells" is missing`, false, true},
		{"cell without metadata", `{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "source": "", "outputs": []}]}`, `cell 0: "metadata" is missing`, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Clean([]byte(c.in), Options{})
			if err == nil {
				t.Fatalf("Clean(%q) succeeded, expected an error containing %q", c.in, c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
			var se *SyntaxError
			if errors.As(err, &se) != c.syntax {
				t.Errorf("errors.As(*SyntaxError) = %v, want %v (err %v)", !c.syntax, c.syntax, err)
			}
			if errors.Is(err, ErrNotNotebook) != c.notNB {
				t.Errorf("errors.Is(ErrNotNotebook) = %v, want %v", !c.notNB, c.notNB)
			}
		})
	}
}

func TestKeepOutputConflict(t *testing.T) {
	in := `{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"id": "a", "cell_type": "code", "execution_count": 1, "metadata": {"keep_output": false, "tags": ["keep_output"]}, "source": "", "outputs": []}]}`
	if _, err := Clean([]byte(in), Options{}); !errors.Is(err, ErrKeepOutputConflict) {
		t.Fatalf("expected ErrKeepOutputConflict, got %v", err)
	}
}

// TestTexts: what a secret scanner sees after Strip: every string decoded
// from JSON (sources, kept outputs, metadata, ids), base64 images marked as
// such; Replace changes what Bytes writes.
func TestTexts(t *testing.T) {
	data, err := os.ReadFile("testdata/corpus/keep_output.ipynb.in")
	if err != nil {
		t.Fatal(err)
	}
	nb, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := nb.Strip(Options{}); err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, tx := range nb.Texts() {
		fields = append(fields, fmt.Sprintf("%d:%s", tx.Cell, tx.Field))
		if strings.HasPrefix(tx.Value, "iVBOR") != tx.Base64 {
			t.Errorf("Texts marks %s = %.20q Base64=%v", tx.Field, tx.Value, tx.Base64)
		}
	}
	got := strings.Join(fields, " ")
	for _, want := range []string{"0:source", "0:metadata.tags[0]", "0:outputs[0].text", "0:outputs[1].data.text/plain", "1:source", "0:id", "0:cell_type"} {
		if !strings.Contains(got, want) {
			t.Errorf("Texts lacks %s: %s", want, got)
		}
	}
	if strings.Contains(got, "1:outputs") {
		t.Errorf("Texts lists outputs Strip removed: %s", got)
	}
	for _, tx := range nb.Texts() {
		if tx.Cell == 0 && tx.Field == "source" {
			tx.Replace("REPLACED \"quoted\"\nline 2")
		}
	}
	out, err := nb.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"REPLACED \"quoted\"\n",`+"\n") {
		t.Errorf("Bytes does not hold the replaced text split into lines:\n%s", out)
	}
}

// FuzzClean: any input either fails cleanly or cleans to a fixed point.
func FuzzClean(f *testing.F) {
	files, _ := filepath.Glob("testdata/corpus/*.ipynb.in")
	for _, p := range files {
		data, _ := os.ReadFile(p)
		f.Add(data)
	}
	f.Add([]byte(`{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "x": [1e999, -0, "\ud83d\ude00"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Clean(data, Options{})
		if err != nil {
			return
		}
		again, err := Clean(out, Options{})
		if err != nil || !bytes.Equal(again, out) {
			t.Errorf("cleaning is not idempotent (err %v):\n%s\n---\n%s", err, out, again)
		}
	})
}
