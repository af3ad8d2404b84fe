package report

import (
	"bytes"
	"io"
	"strings"

	"golang.org/x/net/html"

	"github.com/replicalab/replicalab/internal/provenance"
)

// dropped elements never reach a report: they run code, load remote content or change the page's base.
var dropped = map[string]bool{
	"script": true, "iframe": true, "object": true, "embed": true, "base": true, "meta": true,
	"link": true, "frame": true, "frameset": true, "applet": true, "form": true,
}

// sanitizeHTML keeps an output's markup and styling but removes anything that could run code or fetch
// from the network when a stakeholder opens the report: script-like elements (with their content),
// on* event handlers, remote URLs in attributes that load by themselves (src: only data: images and
// #anchors stay) and script URLs in links.
func sanitizeHTML(in string) string {
	z := html.NewTokenizer(strings.NewReader(in))
	var out bytes.Buffer
	skip := 0 // depth inside a dropped element
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() == io.EOF {
				return out.String()
			}
			return out.String()
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if dropped[tok.Data] {
				if tt == html.StartTagToken && !voidElement(tok.Data) {
					skip++
				}
				continue
			}
			if skip > 0 {
				continue
			}
			tok.Attr = cleanAttrs(tok.Attr)
			out.WriteString(tok.String())
		case html.EndTagToken:
			tok := z.Token()
			if dropped[tok.Data] {
				if skip > 0 && !voidElement(tok.Data) {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			out.WriteString(tok.String())
		default:
			if skip > 0 {
				continue
			}
			out.Write(z.Raw())
		}
	}
}

func voidElement(name string) bool {
	switch name {
	case "base", "meta", "link", "embed":
		return true
	}
	return false
}

func cleanAttrs(attrs []html.Attribute) []html.Attribute {
	out := attrs[:0]
	for _, a := range attrs {
		key := strings.ToLower(a.Key)
		if strings.HasPrefix(key, "on") || key == "formaction" || key == "srcdoc" || provenance.IsAttr(key) {
			continue
		}
		v := strings.ToLower(strings.Join(strings.Fields(a.Val), ""))
		switch key {
		case "src", "xlink:href", "poster", "action", "background":
			// Loaded without a click: only embedded images and in-page references.
			if !(strings.HasPrefix(v, "data:image/") || strings.HasPrefix(v, "#")) {
				continue
			}
		case "href":
			// Followed only on a click: ordinary links stay, script URLs go.
			if strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:") || strings.HasPrefix(v, "data:text/html") {
				continue
			}
		}
		out = append(out, a)
	}
	return out
}
