package report

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/replicalab/replicalab/internal/secrets"
)

func needPandoc(t testing.TB) {
	t.Helper()
	if _, _, err := Pandoc(); err != nil {
		if os.Getenv("REPLICALAB_REQUIRE_PANDOC") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// docxParts reads a .docx: its main document's XML and the names of its media files.
func docxParts(t *testing.T, path string) (string, []string) {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("%s is not a .docx (zip): %v", path, err)
	}
	defer z.Close()
	var doc string
	var media []string
	for _, f := range z.File {
		switch {
		case f.Name == "word/document.xml":
			r, _ := f.Open()
			b, _ := io.ReadAll(r)
			r.Close()
			doc = string(b)
		case strings.HasPrefix(f.Name, "word/media/"):
			media = append(media, f.Name)
		}
	}
	if doc == "" {
		t.Fatalf("%s has no word/document.xml", path)
	}
	return doc, media
}

func TestDocxOpensWithFiguresTablesAndSQL(t *testing.T) {
	needPandoc(t)
	repo := repoWithEnv(t)
	l := lineage("SELECT status, count(*) AS orders\nFROM orders WHERE currency = $1 GROUP BY 1", t0, 0.3, "EUR")
	nbPath := writeNotebook(t, repo,
		md("# Orders for comments\n\n## Status\n\nMost orders are **paid**."),
		code("", []map[string]any{figureOut("Orders per status", l)}),
		code("", []map[string]any{tableOut(l, 3)}),
		code("", []map[string]any{display(map[string]any{"image/png": pngBase64(t, 40, 30)})}),
		code("", []map[string]any{tableOut(l, 20)}),
	)
	res, err := Export(context.Background(), ExportOptions{Notebook: nbPath, Repo: repo, Docx: true}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if res.DocxPath != filepath.Join(repo, "reports", "6.0-partial-results.docx") {
		t.Fatalf("docx at %q", res.DocxPath)
	}
	doc, media := docxParts(t, res.DocxPath)
	if n := strings.Count(doc, "<w:tbl>"); n < 2 {
		t.Errorf("%d tables in the document, want the 2 query results", n)
	}
	pngs := 0
	for _, m := range media {
		if strings.HasSuffix(m, ".png") {
			pngs++
		}
		if strings.HasSuffix(m, ".svg") {
			t.Errorf("an SVG reached the .docx (Google Docs shows none): %s", m)
		}
	}
	if pngs != 2 || strings.Count(doc, "<a:blip ") != 2 {
		t.Errorf("%d PNG media and %d pictures, want 2 (the SVG chart drawn as PNG, and the PNG)", pngs, strings.Count(doc, "<a:blip "))
	}
	text := regexp.MustCompile(`<[^>]+>`).ReplaceAllString(doc, "")
	for _, want := range []string{"Most orders are", "Figure 1.", "Table 1.", "Where the figures and tables come from", "FROM orders WHERE currency = $1 GROUP BY 1", "column_19", "value 7"} {
		if !strings.Contains(text, want) {
			t.Errorf("the .docx lacks %q", want)
		}
	}
	if strings.Contains(text, "Contents") {
		t.Error("the HTML's table of contents reached the .docx")
	}
	// Converted back, the document still has its tables and pictures.
	pandoc, _, _ := Pandoc()
	back, err := exec.Command(pandoc, "--from", "docx", "--to", "html", res.DocxPath).Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(back), "<table") < 2 || strings.Count(string(back), "<img") != 2 {
		t.Errorf("converted back: %d tables, %d images", strings.Count(string(back), "<table"), strings.Count(string(back), "<img"))
	}
}

func TestSecretScanCoversTheDocx(t *testing.T) {
	needPandoc(t)
	repo := repoWithEnv(t)
	nbPath := writeNotebook(t, repo, md("# Leaky"), code("", []map[string]any{stream("password " + envPassword + "\n")}))
	docx := filepath.Join(repo, "reports", "6.0-partial-results.docx")
	if err := os.MkdirAll(filepath.Dir(docx), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(docx, []byte("previous"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Export(context.Background(), ExportOptions{Notebook: nbPath, Repo: repo, Docx: true}, &bytes.Buffer{})
	var se *SecretsError
	if !errors.As(err, &se) {
		t.Fatalf("want a SecretsError, got %v", err)
	}
	if got, _ := os.ReadFile(docx); string(got) != "previous" {
		t.Error("the refused export replaced the .docx")
	}
	if _, err := os.Stat(filepath.Join(repo, "reports", "6.0-partial-results.html")); !os.IsNotExist(err) {
		t.Error("the refused export wrote the HTML")
	}
	// The scan reads what goes into the .docx, not only the HTML page.
	sc := mustScanner(t, repo)
	src, err := docxSource([]byte("<html><body><p>" + envPassword + "</p></body></html>"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Scan("x.docx", src)) == 0 {
		t.Error("the .docx source with a password passes the scan")
	}
}

func mustScanner(t *testing.T, repo string) interface {
	Scan(string, []byte) []secrets.Finding
} {
	t.Helper()
	sc, err := secrets.NewScanner(filepath.Join(repo, ".env"), secrets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
