package hook

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/replicalab/replicalab/internal/nbclean"
	"github.com/replicalab/replicalab/internal/secrets"
)

// scanNotebook scans every string of a stripped notebook (sources, kept
// outputs of any type, metadata, attachments, unknown keys).
//
// A secret the scanner is sure of (a known value, a password in a
// connection string, a token of a known format) is replaced in the
// committed copy by its placeholder, or refused in strict mode. What only
// a generic rule flags is refused with the rule and how to allow it: the
// hook never rewrites code because a guess fired, as the rewritten cell
// could stop compiling. A secret inside base64 data (an image output, an
// attachment) is refused too: replacing part of it would break the data.
func scanNotebook(res *result, nb *nbclean.Notebook, sc *secrets.Scanner, strict bool) {
	texts := nb.Texts()
	where := func(t *nbclean.Text, line int) string {
		if t.Cell < 0 {
			return fmt.Sprintf("notebook %s", t.Field)
		}
		if line == 0 {
			return fmt.Sprintf("cell %d, %s", t.Cell+1, t.Field)
		}
		return fmt.Sprintf("cell %d, line %d (%s)", t.Cell+1, line, t.Field)
	}

	// Text: scanned as one document, so that each string is seen whole.
	var doc bytes.Buffer
	var idx, starts []int
	for i, t := range texts {
		if t.Base64 {
			continue
		}
		idx, starts = append(idx, i), append(starts, doc.Len())
		doc.WriteString(t.Value)
		doc.WriteByte('\n')
	}
	byText := map[int][]secrets.Finding{}
	for _, f := range sc.Scan(res.e.path, doc.Bytes()) {
		if f.End <= f.Start {
			res.findings = append(res.findings, f) // about the file as a whole
			continue
		}
		k := sort.SearchInts(starts, f.Start+1) - 1
		byText[k] = append(byText[k], f)
	}
	for k, fs := range byText {
		t := &texts[idx[k]]
		var local []secrets.Finding
		for _, f := range fs {
			f.Start -= starts[k]
			f.End = min(f.End-starts[k], len(t.Value))
			line := 1 + strings.Count(t.Value[:f.Start], "\n")
			s := stripped{at: starts[k] + f.Start, where: where(t, line), rule: f.Rule, variable: f.Variable, redacted: f.Redacted, placeholder: f.Placeholder()}
			switch {
			case f.Generic:
				s.advice = `a generic rule matched: if it is not a secret, end that line with a "gitleaks:allow" comment; if it is, move it to .env`
				res.refused = append(res.refused, s)
			case strict:
				res.refusedN = append(res.refusedN, s)
			default:
				res.stripped = append(res.stripped, s)
				local = append(local, f)
			}
		}
		if len(local) > 0 {
			t.Replace(string(secrets.Redact([]byte(t.Value), local)))
		}
	}

	// Base64 data: decoded and scanned on its own.
	for i := range texts {
		t := &texts[i]
		if !t.Base64 {
			continue
		}
		data, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(t.Value), ""))
		if err != nil {
			data = []byte(t.Value)
		}
		for _, f := range sc.Scan(res.e.path, data) {
			s := stripped{at: 1 << 40, where: where(t, 0), rule: f.Rule, variable: f.Variable, redacted: f.Redacted}
			if s.redacted == "" {
				s.redacted = f.Description
			}
			if f.Encoding != "" {
				s.rule += " [" + f.Encoding + "]"
			}
			s.advice = "it is inside base64 data, which the hook cannot edit: clear that output (or remove its keep_output tag) or the attachment, and commit again"
			res.refused = append(res.refused, s)
		}
	}
	for _, l := range [][]stripped{res.stripped, res.refusedN, res.refused} {
		slices.SortFunc(l, func(a, b stripped) int { return a.at - b.at })
	}
}
