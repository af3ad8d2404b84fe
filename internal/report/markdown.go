package report

import (
	"bytes"
	"fmt"
	"html"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// markdown renders Markdown (sanitised) and returns the headings it holds, with their ids.
func (r *renderer) markdown(src string) (string, []heading) {
	ctx := parser.NewContext(parser.WithIDs(r.ids))
	reader := text.NewReader([]byte(src))
	doc := r.md.Parser().Parse(reader, parser.WithContext(ctx))
	var hs []heading
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		h, ok := n.(*ast.Heading)
		if !ok || !entering {
			return ast.WalkContinue, nil
		}
		id := ""
		if v, ok := h.AttributeString("id"); ok {
			if b, ok := v.([]byte); ok {
				id = string(b)
			}
		}
		hs = append(hs, heading{h.Level, id, plainText(h, []byte(src))})
		return ast.WalkSkipChildren, nil
	})
	var buf bytes.Buffer
	if err := r.md.Renderer().Render(&buf, []byte(src), doc); err != nil {
		return "<pre>" + html.EscapeString(src) + "</pre>", hs
	}
	return sanitizeHTML(buf.String()), hs
}

func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch t := c.(type) {
		case *ast.Text:
			b.Write(t.Segment.Value(src))
		case *ast.String:
			b.Write(t.Value)
		case *ast.CodeSpan:
			for ch := t.FirstChild(); ch != nil; ch = ch.NextSibling() {
				if tx, ok := ch.(*ast.Text); ok {
					b.Write(tx.Segment.Value(src))
				}
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(b.String())
}

var attachmentRef = regexp.MustCompile(`attachment:([^)\s"']+)`)

// attachmentsInline replaces attachment:name references with data URIs.
func attachmentsInline(src string, att map[string]map[string]MultiLine) string {
	if len(att) == 0 {
		return src
	}
	return attachmentRef.ReplaceAllStringFunc(src, func(ref string) string {
		name := strings.TrimPrefix(ref, "attachment:")
		bundle, ok := att[name]
		if !ok {
			return ref
		}
		mimes := make([]string, 0, len(bundle))
		for m := range bundle {
			mimes = append(mimes, m)
		}
		sort.Strings(mimes)
		for _, m := range mimes {
			if strings.HasPrefix(m, "image/") {
				return "data:" + m + ";base64," + strings.Join(strings.Fields(string(bundle[m])), "")
			}
		}
		return ref
	})
}

func metadataAuthors(md map[string]any) string {
	list, ok := md["authors"].([]any)
	if !ok {
		return ""
	}
	var names []string
	for _, a := range list {
		switch v := a.(type) {
		case string:
			names = append(names, v)
		case map[string]any:
			if n, ok := v["name"].(string); ok {
				names = append(names, n)
			}
		}
	}
	return strings.Join(names, ", ")
}

// idSet gives headings ids that are unique across every cell of the report.
type idSet struct{ seen map[string]int }

func (s *idSet) Generate(value []byte, kind ast.NodeKind) []byte {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(string(value)) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	id := b.String()
	if id == "" {
		id = "section"
	}
	n := s.seen[id]
	s.seen[id] = n + 1
	if n > 0 {
		id = fmt.Sprintf("%s-%d", id, n)
	}
	return []byte(id)
}

func (s *idSet) Put(value []byte) { s.seen[string(value)]++ }
