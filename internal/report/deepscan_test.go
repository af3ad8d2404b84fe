package report

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pngWithText is a 1×1 PNG image with a tEXt (or, compressed, zTXt) chunk.
func pngWithText(text string, compressed bool) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	chunk("IHDR", []byte{0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0})
	if compressed {
		var z bytes.Buffer
		w := zlib.NewWriter(&z)
		w.Write([]byte(text))
		w.Close()
		chunk("zTXt", append([]byte("Comment\x00\x00"), z.Bytes()...))
	} else {
		chunk("tEXt", append([]byte("Comment\x00"), text...))
	}
	chunk("IDAT", []byte{0x78, 0x9c, 0x63, 0x60, 0, 0, 0, 2, 0, 1})
	chunk("IEND", nil)
	return b.Bytes()
}

func entities(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, "&#%d;", r)
	}
	return b.String()
}

// TestExportScansWhatTheReportHoldsDecoded: a secret that the report would
// carry only encoded (SVG text split in tspans, HTML entities, text split by
// tags, a PNG text chunk, an attachment, a data URI in base64 or
// percent-encoded, base64 in a stream) is found; nothing is written and the
// error shows none of it. A password from a .env in the notebook's folder
// counts as much as the repository's.
func TestExportScansWhatTheReportHoldsDecoded(t *testing.T) {
	repo := repoWithEnv(t)
	nbPassword := "nb-folder-" + "Pw7$kq2"
	if err := os.MkdirAll(filepath.Join(repo, "notebooks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "notebooks", ".env"), []byte("RDS_PASSWORD='"+nbPassword+"'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	half1, half2 := envPassword[:6], envPassword[6:]
	svg := `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text x="1" y="9"><tspan>` + half1 + `</tspan><tspan>` + half2 + `</tspan></text></svg>`
	b64 := base64.StdEncoding.EncodeToString
	cases := map[string]map[string]any{
		"svg output split in tspans": code("x", []map[string]any{display(map[string]any{"image/svg+xml": svg})}),
		"html entities":              code("x", []map[string]any{display(map[string]any{"text/html": "<p>" + entities(envPassword) + "</p>"})}),
		"html split by tags":         code("x", []map[string]any{display(map[string]any{"text/html": "<p><b>" + half1 + "</b><i>" + half2 + "</i></p>"})}),
		"png output text chunk":      code("x", []map[string]any{display(map[string]any{"image/png": b64(pngWithText("pw "+envPassword, false))})}),
		"png output compressed text": code("x", []map[string]any{display(map[string]any{"image/png": b64(pngWithText("postgresql://bob:"+"n0t-in-dotenv-Qw7x"+"@db.prod.internal/app", true))})}),
		"attachment png": {"cell_type": "markdown", "metadata": map[string]any{}, "source": "![c](attachment:c.png)",
			"attachments": map[string]any{"c.png": map[string]any{"image/png": b64(pngWithText(envPassword, true))}}},
		"attachment svg": {"cell_type": "markdown", "metadata": map[string]any{}, "source": "![c](attachment:c.svg)",
			"attachments": map[string]any{"c.svg": map[string]any{"image/svg+xml": b64([]byte(svg))}}},
		"base64 svg data uri in html":  code("x", []map[string]any{display(map[string]any{"text/html": `<img src="data:image/svg+xml;base64,` + b64([]byte(svg)) + `">`})}),
		"percent svg data uri in html": code("x", []map[string]any{display(map[string]any{"text/html": `<img src="data:image/svg+xml,` + url.PathEscape(svg) + `">`})}),
		"base64 in a stream":           code("x", []map[string]any{stream("token " + b64([]byte(envPassword)) + "\n")}),
		"notebook folder .env":         code("x", []map[string]any{stream("connected with " + nbPassword + "\n")}),
	}
	for name, cell := range cases {
		t.Run(name, func(t *testing.T) {
			nbPath := writeNotebook(t, repo, md("# Leaky"), cell)
			out := filepath.Join(t.TempDir(), "leaky.html")
			_, err := Export(context.Background(), ExportOptions{Notebook: nbPath, Repo: repo, Out: out}, &bytes.Buffer{})
			var se *SecretsError
			if !errors.As(err, &se) || len(se.Findings) == 0 {
				t.Fatalf("want a SecretsError, got %v", err)
			}
			for _, s := range []string{envPassword, nbPassword, half1 + half2, entities(envPassword), b64([]byte(envPassword)), "n0t-in-dotenv-Qw7x"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the error shows the secret: %v", err)
				}
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("a report was written although it holds a secret")
			}
		})
	}
	// The same notebook without the secret exports.
	nbPath := writeNotebook(t, repo, md("# Clean"), code("x", []map[string]any{display(map[string]any{"image/svg+xml": strings.ReplaceAll(svg, half2, "revenue")})}))
	if _, err := Export(context.Background(), ExportOptions{Notebook: nbPath, Repo: repo, Out: filepath.Join(t.TempDir(), "ok.html")}, &bytes.Buffer{}); err != nil {
		t.Fatalf("a clean report was refused: %v", err)
	}
}
