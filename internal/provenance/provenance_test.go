package provenance

import (
	"strings"
	"testing"
	"time"

	xhtml "golang.org/x/net/html"
)

// firstElement parses h and returns the attributes of its first start tag.
func firstElement(t *testing.T, h string) []xhtml.Attribute {
	t.Helper()
	z := xhtml.NewTokenizer(strings.NewReader(h))
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			t.Fatalf("no element in %q", h)
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			return z.Token().Attr
		}
	}
}

func TestAttrsRoundTripThroughHTML(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 3, 0, 0, time.FixedZone("CET", 3600))
	for name, r := range map[string]Read{
		"replica with lag": {Source: `ana"lyst@db<1>:5432/shop`, At: at, Lag: 1234 * time.Millisecond, LagKnown: true},
		"lag unknown":      {Source: "a@b:1/c", At: at},
		"primary":          {Source: "a@b:1/c", At: at, Primary: true, LagKnown: true},
	} {
		t.Run(name, func(t *testing.T) {
			attrs := Attrs(Load, r)
			if strings.Contains(attrs, `<`) || strings.Count(attrs, `"`)%2 != 0 {
				t.Fatalf("attributes not escaped: %s", attrs)
			}
			m, ok := Parse(firstElement(t, `<div `+attrs+` style="x">text</div>`))
			if !ok {
				t.Fatalf("no mark parsed from %s", attrs)
			}
			if m.Kind != Load || m.Source != r.Source || !m.At.Equal(r.At) || m.At.Location() != time.UTC ||
				m.LagKnown != r.LagKnown || m.Lag != r.Lag || m.Primary != r.Primary {
				t.Errorf("parsed %+v, wrote %+v", m, r)
			}
		})
	}
}

func TestParseIgnoresUnmarkedAndInvalid(t *testing.T) {
	for _, h := range []string{`<div class="x">`, `<div data-replicalab-at="yesterday">`, `<div data-replicalab-lag="0.3">`} {
		if m, ok := Parse(firstElement(t, h)); ok {
			t.Errorf("%s parsed as a mark: %+v", h, m)
		}
	}
	m, ok := Parse(firstElement(t, `<div data-replicalab-at="2026-01-02T03:04:05Z" data-replicalab-lag="-1">`))
	if !ok || m.LagKnown || m.Kind != "" {
		t.Errorf("a mark from before kinds, with a negative lag: %+v %v", m, ok)
	}
}

func TestIsAttr(t *testing.T) {
	for key, want := range map[string]bool{AttrSource: true, "DATA-REPLICALAB-AT": true, "data-v": false, "class": false} {
		if IsAttr(key) != want {
			t.Errorf("IsAttr(%q) = %v", key, !want)
		}
	}
	if !Marked(`<p data-replicalab-at="x">`) || Marked(`<p>`) {
		t.Error("Marked")
	}
}
